// Donated inputs updated in place by a matmul epilogue (an SGD step on a weight).
import { describe, expect, it } from 'vitest';
import * as k from '../../index.ts';

describe('donation on the CPU', () => {
  it('w - a @ b with w donated equals the undonated result', () => {
    const [k1, k2, k3] = k.random.split(k.random.key(7), 3) as [k.Tensor, k.Tensor, k.Tensor];
    const w = k.random.normal(k1, [3, 4]).to('cpu');
    const a = k.random.normal(k2, [3, 5]).to('cpu');
    const b = k.random.normal(k3, [5, 4]).to('cpu');
    const expected = k.sub(w.to('interp'), k.matmul(a.to('interp'), b.to('interp')));
    const f = k.jit((wt: k.Tensor, at: k.Tensor, bt: k.Tensor) => k.sub(wt, k.matmul(at, bt)), { device: 'cpu', donateArgnums: [0] });
    expect(f(w, a, b).to('interp')).toBeAllclose(expected, { rtol: 1e-5, atol: 1e-6 });
    expect(() => w.data()).toThrow(/donated/);
  });
});
