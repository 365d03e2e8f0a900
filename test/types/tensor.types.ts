// Static shape checking on the real Tensor API: checked by `tsc --noEmit` in `npm test`.
// Each @ts-expect-error line must fail to compile; each Expect line must infer exactly.
import * as k from '../../index.ts';
import type { Equal, Expect } from './util.ts';

type ShapeOf<T> = T extends k.Tensor<infer S, k.DType> ? S : never;
type DTypeOf<T> = T extends k.Tensor<k.Shape, infer D> ? D : never;

export function factories(): void {
  const a = k.zeros([2, 3]);
  type _a = Expect<Equal<typeof a, k.Tensor<[2, 3], 'f32'>>>;
  const b = k.ones([4], 'i32');
  type _b = Expect<Equal<typeof b, k.Tensor<[4], 'i32'>>>;
  const c = k.zerosLike(a);
  type _c = Expect<Equal<typeof c, k.Tensor<[2, 3], 'f32'>>>;
  const n: number = Number('5');
  const d = k.zeros([n, 3]);
  type _d = Expect<Equal<ShapeOf<typeof d>, [number, 3]>>;
}

export function elementwise(): void {
  const x = k.zeros([2, 1, 3]);
  const y = k.zeros([4, 3]);
  const z = x.add(y);
  type _z = Expect<Equal<ShapeOf<typeof z>, [2, 4, 3]>>;
  const s = x.mul(2);
  type _s = Expect<Equal<ShapeOf<typeof s>, [2, 1, 3]>>;
  const i = k.zeros([3], 'i32');
  const f = i.add(k.zeros([3], 'f32'));
  type _f = Expect<Equal<DTypeOf<typeof f>, 'f32'>>;
  const q = i.div(i);
  type _q = Expect<Equal<DTypeOf<typeof q>, 'f32'>>;
  const cmp = x.less(y);
  type _cmp = Expect<Equal<DTypeOf<typeof cmp>, 'bool'>>;
  // @ts-expect-error shapes [2,1,3] and [4,2] do not broadcast
  x.add(k.zeros([4, 2]));
  // @ts-expect-error shapes [3] and [4] do not broadcast
  k.zeros([3]).sub(k.zeros([4]));
}

export function matmul(): void {
  const a = k.zeros([8, 784]);
  const w = k.zeros([784, 256]);
  const h = a.matmul(w);
  type _h = Expect<Equal<ShapeOf<typeof h>, [8, 256]>>;
  const batched = k.zeros([5, 8, 3]).matmul(k.zeros([3, 2]));
  type _bt = Expect<Equal<ShapeOf<typeof batched>, [5, 8, 2]>>;
  // @ts-expect-error matmul: inner dimensions differ: [8,784] @ [256,10]
  a.matmul(k.zeros([256, 10]));
}

export function reductions(): void {
  const x = k.zeros([2, 3, 4]);
  const s = x.sum({ axis: 1 });
  type _s = Expect<Equal<ShapeOf<typeof s>, [2, 4]>>;
  const m = x.mean({ axis: -1, keepdims: true });
  type _m = Expect<Equal<ShapeOf<typeof m>, [2, 3, 1]>>;
  const all = x.max();
  type _all = Expect<Equal<ShapeOf<typeof all>, []>>;
  const am = x.argmax({ axis: 2 });
  type _am = Expect<Equal<typeof am, k.Tensor<[2, 3], 'i32'>>>;
  // @ts-expect-error axis 3 is out of range for rank 3
  x.sum({ axis: 3 });
  // @ts-expect-error axis -4 is out of range for rank 3
  x.mean({ axis: -4 });
}

export function shapes(): void {
  const x = k.zeros([2, 3, 4]);
  const t = x.transpose([2, 0, 1]);
  type _t = Expect<Equal<ShapeOf<typeof t>, [4, 2, 3]>>;
  const r = x.reshape([6, -1]);
  type _r = Expect<Equal<ShapeOf<typeof r>, [6, 4]>>;
  const tt = x.T;
  type _tt = Expect<Equal<ShapeOf<typeof tt>, [4, 3, 2]>>;
  const e = x.expandDims(0);
  type _e = Expect<Equal<ShapeOf<typeof e>, [1, 2, 3, 4]>>;
  const sl = x.slice(0, [1, 3]);
  type _sl = Expect<Equal<ShapeOf<typeof sl>, [2, 4]>>;
  // @ts-expect-error transpose: [0, 0, 1] is not a permutation
  x.transpose([0, 0, 1]);
  // @ts-expect-error transpose: axis 3 out of range
  x.transpose([0, 1, 3]);
  // @ts-expect-error cannot reshape 24 elements to [5, -1]
  x.reshape([5, -1]);
}

// Code generic over shapes and code with computed shapes compiles without casts.
export function generic<S extends k.Shape>(x: k.Tensor<S, 'f32'>): k.Tensor {
  const y = x.add(x).mul(2).exp();
  return y.sum({ axis: 0 });
}

export function computed(rows: number, cols: number): k.Tensor {
  const a = k.zeros([rows, cols]);
  const b = k.ones([cols, rows]);
  return a.matmul(b).add(k.zeros([rows])).relu().mean({ axis: 1 });
}
