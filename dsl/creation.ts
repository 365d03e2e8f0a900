// Array creation. Constants and index ranges are primitives, so inside a trace they become
// small IR equations rather than captured data.
import type { DType } from '../compiler/ir/dtype.ts';
import { Primitive } from '../compiler/ir/primitives.ts';
import { add, astype, equal, mul, where } from './elementwise.ts';
import { arrayFrom, bind1, shapeError, type NestedArray, type TypedArrayLike } from './lift.ts';
import type { Shape, Tensor } from './tensor.ts';

function checkShape(op: string, shape: readonly number[]): number[] {
  for (const d of shape) if (!Number.isInteger(d) || d < 0) throw shapeError(op, `invalid shape [${shape.join(', ')}]`);
  return [...shape];
}

/** A tensor from nested arrays, a typed array (with an optional shape), or a scalar. */
export function array(x: NestedArray | TypedArrayLike, opts: { dtype?: DType; shape?: readonly number[] } = {}): Tensor {
  return arrayFrom(x, opts.dtype, opts.shape);
}

/** A tensor of `shape` filled with `value` (f32 unless a dtype is given or value is boolean). */
export function full<const S extends Shape, D extends DType = 'f32'>(shape: S, value: number | boolean, dtype?: D): Tensor<[...S], D> {
  const d: DType = dtype ?? (typeof value === 'boolean' ? 'bool' : 'f32');
  return bind1(Primitive.Constant, { shape: checkShape('full', shape), dtype: d, data: [Number(value)] }) as never;
}

/** A tensor of zeros (f32 unless a dtype is given). */
export const zeros = <const S extends Shape, D extends DType = 'f32'>(shape: S, dtype?: D): Tensor<[...S], D> => full(shape, 0, dtype ?? ('f32' as D));
/** A tensor of ones (f32 unless a dtype is given). */
export const ones = <const S extends Shape, D extends DType = 'f32'>(shape: S, dtype?: D): Tensor<[...S], D> => full(shape, 1, dtype ?? ('f32' as D));
/** Zeros with the shape (and dtype, unless given) of x. */
export const zerosLike = <S extends Shape, D extends DType>(x: Tensor<S, D>, dtype?: D): Tensor<S, D> => full(x.shape, 0, dtype ?? x.dtype) as never;
/** Ones with the shape (and dtype, unless given) of x. */
export const onesLike = <S extends Shape, D extends DType>(x: Tensor<S, D>, dtype?: D): Tensor<S, D> => full(x.shape, 1, dtype ?? x.dtype) as never;
/** A tensor with the shape (and dtype, unless given) of x, filled with value. */
export const fullLike = <S extends Shape, D extends DType>(x: Tensor<S, D>, value: number | boolean, dtype?: D): Tensor<S, D> =>
  full(x.shape, value, dtype ?? x.dtype) as never;

/** Values 0..shape[dim]-1 along `dim`, broadcast over the other axes. */
export function iota(shape: readonly number[], dtype: DType = 'i32', dim = 0): Tensor {
  return bind1(Primitive.Iota, { shape: checkShape('iota', shape), dtype, dim });
}

/**
 * Evenly spaced values in [start, stop) with `step`, as NumPy's arange: `arange(5)`,
 * `arange(1, 5)`, `arange(0, 1, 0.25)`. Integers give i32, otherwise f32.
 */
export function arange(stop: number, opts?: { dtype?: DType }): Tensor;
export function arange(start: number, stop: number, step?: number, opts?: { dtype?: DType }): Tensor;
export function arange(start: number, stopOrOpts?: number | { dtype?: DType }, step = 1, opts: { dtype?: DType } = {}): Tensor {
  let stop: number;
  if (stopOrOpts === undefined || typeof stopOrOpts === 'object') {
    [start, stop] = [0, start];
    opts = stopOrOpts ?? opts;
  } else stop = stopOrOpts;
  if (step === 0) throw shapeError('arange', 'step must not be zero');
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const d: DType = opts.dtype ?? ([start, stop, step].every(Number.isInteger) ? 'i32' : 'f32');
  const i = iota([n], d === 'bool' ? 'i32' : d);
  return astype(add(mul(i, step), start), d);
}

/** `num` evenly spaced values from start to stop (inclusive unless endpoint is false). */
export function linspace(start: number, stop: number, num = 50, opts: { endpoint?: boolean; dtype?: DType } = {}): Tensor {
  const endpoint = opts.endpoint ?? true;
  const d = opts.dtype ?? 'f32';
  if (!Number.isInteger(num) || num < 0) throw shapeError('linspace', `num must be a non-negative integer, got ${num}`);
  const div = endpoint ? num - 1 : num;
  const step = div > 0 ? (stop - start) / div : 0;
  const i = iota([num], d === 'i32' ? 'f32' : d);
  let v = add(mul(i, step), start);
  // NumPy sets the last value to `stop` exactly.
  if (endpoint && num > 1) v = where(equal(i, num - 1), stop, v);
  return astype(v, d);
}

/** A 2-D array with ones on the k-th diagonal and zeros elsewhere. */
export function eye(n: number, m?: number, opts: { k?: number; dtype?: DType } = {}): Tensor {
  const cols = m ?? n;
  const r = iota([n, cols], 'i32', 0);
  const c = iota([n, cols], 'i32', 1);
  return astype(equal(add(r, opts.k ?? 0), c), opts.dtype ?? 'f32');
}
