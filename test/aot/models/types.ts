// Entries whose parameter types exercise the AOT signature reader (test/aot/compile-signature
// and compile-errors tests): aliases, trees, tuples, arrays, statics with defaults, donation,
// and parameters that are not tensors.
import * as k from 'kiln';
import type { Tensor } from 'kiln';

type Batch = Tensor<[number, 784]>;
type Vec<N extends number> = Tensor<[N], 'f32'>;
export interface Pair {
  a: Tensor<[2, 3], 'f64'>;
  b: Tensor<[3], 'i32'>;
}

/** Aliases, a generic alias, a scalar bool, a dtype choice. */
export function aliases(x: Batch, v: Vec<5>, s: Tensor<[], 'bool'>, h: Tensor<[4], 'f16' | 'bf16'>): k.Tensor {
  return x.sum().add(v.sum()).add(s.astype('f32')).add(h.astype('f32').sum());
}

/** An interface, a tuple, an array of unknown length, nesting and an empty slot. */
export function trees(p: Pair, t: [Tensor<[2]>, Tensor<[3], 'i32'>], list: Tensor<[4]>[], nested: { inner: { w: Tensor<[1, 2]> }; none: null }): k.Tensor {
  const s = list.reduce((acc: k.Tensor, l) => acc.add(l.sum()), k.array(0, { dtype: 'f32' }));
  return p.a.sum().astype('f32').add(p.b.sum().astype('f32')).add(t[0].sum()).add(t[1].sum().astype('f32')).add(s).add(nested.inner.w.sum());
}

/** An arrow function with static parameters and their defaults. */
export const statics = (x: Tensor<[2, 2]>, scale = 2, mode: 'sum' | 'mean' = 'mean', flag = true, n: number = -1.5): k.Tensor => {
  const y = x.mul(scale + n + (flag ? 1 : 0));
  return mode === 'sum' ? y.sum() : y.mean();
};

/** Shapes the types leave open. */
export function open(x: k.Tensor, y: Tensor<[number, 3], 'i32'>, z: Tensor<number[], 'f32'>): k.Tensor {
  return x.sum().add(y.sum().astype('f32')).add(z.sum());
}

/**
 * Donates two parameters.
 * @donate params, state
 */
export function donating(params: { w: Tensor<[2]> }, state: Tensor<[2]>, x: Tensor<[2]>): { params: { w: k.Tensor }; state: k.Tensor } {
  return { params: { w: params.w.add(x) }, state: state.add(1) };
}

/** A callback is not an input. */
export function withCallback(x: Tensor<[2]>, f: (v: number) => number): k.Tensor {
  return x.mul(f(2));
}

/** A Date deep inside a tree is not a tensor either. */
export function deepBad(p: { w: Tensor<[2]>; when: Date }): k.Tensor {
  return p.w.mul(p.when.getDate());
}
