import { it } from 'vitest';
import * as k from 'kiln';
type T = k.Tensor;
const f64 = (x: any) => k.array(x, { dtype: 'f64' });
it('scratch', () => {
  const x = f64([1.5, 2]);
  const f = (a: T) => k.cond(k.greater(k.sum(a), 0), (b: T) => k.scan((h: T, xi: T) => [k.mul(h, xi), null] as [T, null], k.slice(b, [0]), b)[0], (b: T) => k.sum(b), a);
  console.log(String(k.makeIR(f)(k.shapeDtype([2], 'f64'))));
  console.log(String(k.jvp(f, [x], [x])));
  try { k.grad(f)(x); } catch (e) { console.log((e as Error).stack); }
});
