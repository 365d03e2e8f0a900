// Counter-based random numbers from explicit keys (Threefry-2x32, as JAX): the same key gives
// the same bits on every backend, and splitting a key never reuses a stream.
import type { DType } from '../compiler/ir/dtype.ts';
import { Primitive } from '../compiler/ir/primitives.ts';
import { add, astype, cos, less, log, log1p, mul, neg, sqrt } from './elementwise.ts';
import { arrayFrom, bind, bind1, shapeError, toTensor, type TensorLike } from './lift.ts';
import { full, iota } from './creation.ts';
import { argmax } from './reduce.ts';
import { getIndex } from './indexing.ts';
import { broadcastTo, concatenate, moveAxis, normAxis } from './shape-ops.ts';
import type { Tensor } from './tensor.ts';

/** A key is an i32[2] tensor. */
export type Key = Tensor;

function checkKey(k: Key, op: string): void {
  if (k.dtype !== 'i32' || k.ndim !== 1 || k.shape[0] !== 2) {
    throw shapeError(`random.${op}`, `expects a key made by random.key (i32[2]), got ${k.dtype}[${k.shape.join(',')}]`);
  }
}

/** A key from an integer seed. */
export function key(seed: number): Key {
  if (!Number.isInteger(seed)) throw shapeError('random.key', `seed must be an integer, got ${seed}`);
  const hi = Math.floor(seed / 2 ** 32) | 0;
  return arrayFrom([hi, seed | 0], 'i32');
}

/** Raw 32-bit random words as i32. */
export function bits(k: Key, shape: readonly number[]): Tensor {
  checkKey(k, 'bits');
  return bind1(Primitive.RandomBits, { shape: [...shape] }, k);
}

/** `num` new independent keys. */
export function split(k: Key, num = 2): Key[] {
  const ks = bits(k, [num, 2]);
  return Array.from({ length: num }, (_, i) => getIndex(ks, [i]));
}

/** A key derived from `k` and an integer, e.g. a step number. */
export function foldIn(k: Key, data: number): Key {
  checkKey(k, 'foldIn');
  // Hash the key to one word and pair it with the data: a key no seed or split produces.
  const word = bits(k, [1]);
  return bits(concatenate([word, arrayFrom([data | 0], 'i32')]), [2]);
}

/** Uniform floats in [0, 1) with 23 (f32) or 31 (f64) random bits. */
function unitUniform(k: Key, shape: readonly number[], dtype: DType): Tensor {
  const b = bits(k, shape);
  const keep = dtype === 'f64' ? 31 : 23;
  const hiBits = bind1(Primitive.ShiftRightLogical, {}, b, full(shape, 32 - keep, 'i32'));
  return mul(astype(hiBits, dtype), 2 ** -keep);
}

/** Uniform values in [minval, maxval). */
export function uniform(k: Key, shape: readonly number[] = [], opts: { minval?: number; maxval?: number; dtype?: DType } = {}): Tensor {
  const dtype = opts.dtype ?? 'f32';
  const lo = opts.minval ?? 0, hi = opts.maxval ?? 1;
  return add(mul(unitUniform(k, shape, dtype), hi - lo), lo);
}

/** Standard normal values (Box–Muller), scaled by `std` and shifted by `mean`. */
export function normal(k: Key, shape: readonly number[] = [], opts: { mean?: number; std?: number; dtype?: DType } = {}): Tensor {
  const dtype = opts.dtype ?? 'f32';
  const [k1, k2] = split(k, 2) as [Key, Key];
  const u1 = unitUniform(k1, shape, dtype); // in [0, 1): 1 - u1 is in (0, 1]
  const u2 = unitUniform(k2, shape, dtype);
  const r = sqrt(mul(log1p(neg(u1)), -2));
  const z = mul(r, cos(mul(u2, 2 * Math.PI)));
  return add(mul(z, opts.std ?? 1), opts.mean ?? 0);
}

/** Random integers in [minval, maxval). */
export function randint(k: Key, shape: readonly number[], minval: number, maxval: number): Tensor {
  const u = unitUniform(k, shape, 'f64');
  return astype(add(mul(u, maxval - minval), minval).floor(), 'i32');
}

/** True with probability p. */
export function bernoulli(k: Key, p: TensorLike = 0.5, shape?: readonly number[]): Tensor {
  const pt = toTensor(p, 'f32');
  return less(uniform(k, shape ?? pt.shape), pt);
}

/** Samples class indices from unnormalised log-probabilities (Gumbel-max). */
export function categorical(k: Key, logits: TensorLike, opts: { axis?: number; shape?: readonly number[] } = {}): Tensor {
  let l = toTensor(logits);
  let axis = normAxis('random.categorical', opts.axis ?? -1, l.ndim);
  if (opts.shape) {
    // Draw `shape` samples: broadcast the logits (class axis last) to shape + [classes].
    l = broadcastTo(moveAxis(l, axis, -1), [...opts.shape, l.shape[axis]!]);
    axis = l.ndim - 1;
  }
  // u in (0, 1): shift by half an ulp-step away from 0.
  const u = add(unitUniform(k, l.shape, 'f32'), 2 ** -24);
  const gumbel = neg(log(neg(log(u))));
  return argmax(add(l, gumbel), { axis });
}

/** A random permutation of 0..n-1, or of the first axis of x. */
export function permutation(k: Key, n: number | Tensor): Tensor {
  if (typeof n === 'number') {
    const keys = bits(k, [n]);
    return bind(Primitive.Sort, { axis: 0, numKeys: 1 }, [keys, iota([n], 'i32')])[1]!;
  }
  const perm = permutation(k, n.shape[0]!);
  return n.take(perm, 0);
}
