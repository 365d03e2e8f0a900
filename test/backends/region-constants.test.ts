// Index ranges inside a loop body (a one-hot encoding in a scan, as character RNNs do) compile
// for the CPU: iota is computed from indices, not folded into data the kernel cannot hold.
import { describe, expect, it } from 'vitest';
import * as k from '../../index.ts';
import { cpuPresent, useColdCache } from './helpers.ts';

describe.runIf(cpuPresent)('index ranges in regions', () => {
  useColdCache();
  it('oneHot over 28 classes inside a scan body', () => {
    const f = (tokens: k.Tensor) =>
      k.scan((acc: k.Tensor, t: k.Tensor) => [acc.add(k.oneHot(t, 28)), null] as [k.Tensor, null], k.zeros([28]), tokens)[0];
    // Ten steps: longer than the scans the optimiser unrolls, so the body stays a region.
    const tokens = k.array([3, 27, 3, 0, 5, 5, 5, 9, 9, 27], { dtype: 'i32' });
    const cpu = k.jit(f, { device: 'cpu' })(tokens.to('cpu'));
    const ref = k.jit(f, { device: 'interp' })(tokens.to('interp'));
    expect(cpu.to('interp')).toBeAllclose(ref);
    expect(Array.from(ref.data()).filter((v) => v !== 0)).toEqual([1, 2, 3, 2, 2]);
  });
});
