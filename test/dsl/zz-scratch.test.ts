import { expect, it } from 'vitest';
import * as k from 'kiln';
it('loc', () => {
  try {
    k.add(k.zeros([2]), k.zeros([3]));
  } catch (e) {
    console.log((e as Error).message, new Error().stack?.split('\n')[1]);
  }
  expect(k.array([1, 2])).toBeAllclose([1, 2.000001]);
  expect(() => expect(k.array([[1, 2], [3, NaN]])).toBeAllclose([[1, 2], [3.1, 4]])).toThrow();
  try { expect(k.array([[1, 2], [3, NaN]])).toBeAllclose([[1, 2], [3.1, 4]]); } catch (e) { console.log((e as Error).message); }
  try { expect(k.array([[1, 2], [3, NaN]])).toBeAllclose([1, 2]); } catch (e) { console.log((e as Error).message); }
  const ir = k.makeIR((x: k.Tensor) => x.add(1))(k.shapeDtype([2]));
  console.log(String(ir));
});
