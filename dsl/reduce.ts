// Reductions with NumPy's { axis, keepdims } and cumulative sums.
import { isFloat } from '../compiler/ir/dtype.ts';
import { Primitive, type ReduceOp } from '../compiler/ir/primitives.ts';
import { abs, add, astype, div, equal, exp, isFinite, isNaN, lessEqual, log, logicalAnd, logicalOr, mul, sqrt, sub, where } from './elementwise.ts';
import { bind1, toTensor, type TensorLike } from './lift.ts';
import { normAxes, normAxis, reshape, broadcastTo } from './shape-ops.ts';
import type { Tensor } from './tensor.ts';

/** Options of reductions: the axes to reduce and whether to keep them as size 1. */
export interface ReduceOpts {
  /** Axis or axes to reduce; all axes when omitted. Negative axes count from the end. */
  axis?: number | readonly number[];
  /** Keep reduced axes as size 1, so the result broadcasts against the input. */
  keepdims?: boolean;
}

function keep(t: Tensor, inShape: readonly number[], axes: readonly number[], keepdims: boolean | undefined): Tensor {
  return keepdims ? reshape(t, inShape.map((d, i) => (axes.includes(i) ? 1 : d))) : t;
}

function reduce(prim: ReduceOp, name: string, x: TensorLike, opts: ReduceOpts = {}): Tensor {
  let t = toTensor(x);
  const axes = normAxes(name, opts.axis, t.ndim);
  // NumPy sums booleans as integers.
  if (t.dtype === 'bool' && (prim === Primitive.ReduceSum || prim === Primitive.ReduceProd)) t = astype(t, 'i32');
  const r = axes.length === 0 ? t : bind1(prim, { axes }, t);
  return keep(r, t.shape, axes, opts.keepdims);
}

/** Sum of elements over the given axes (all by default); booleans count as integers. */
export const sum = (x: TensorLike, opts?: ReduceOpts) => reduce(Primitive.ReduceSum, 'sum', x, opts);
/** Maximum over the given axes (all by default); NaN propagates. */
export const max = (x: TensorLike, opts?: ReduceOpts) => reduce(Primitive.ReduceMax, 'max', x, opts);
/** Minimum over the given axes (all by default); NaN propagates. */
export const min = (x: TensorLike, opts?: ReduceOpts) => reduce(Primitive.ReduceMin, 'min', x, opts);
/** Product of elements over the given axes (all by default). */
export const prod = (x: TensorLike, opts?: ReduceOpts) => reduce(Primitive.ReduceProd, 'prod', x, opts);

function countOf(t: Tensor, axes: readonly number[]): number {
  return axes.reduce((n, a) => n * t.shape[a]!, 1);
}

/** True where every element (along the axes) is true. */
export const all = (x: TensorLike, opts?: ReduceOpts) => reduce(Primitive.ReduceMin, 'all', astype(x, 'bool'), opts);
/** True where any element (along the axes) is true. */
export const any = (x: TensorLike, opts?: ReduceOpts) => reduce(Primitive.ReduceMax, 'any', astype(x, 'bool'), opts);

/** Arithmetic mean; integers average as f32. */
export function mean(x: TensorLike, opts: ReduceOpts = {}): Tensor {
  let t = toTensor(x);
  if (!isFloat(t.dtype)) t = astype(t, 'f32');
  const axes = normAxes('mean', opts.axis, t.ndim);
  return div(sum(t, opts), countOf(t, axes));
}

/** Variance with `ddof` delta degrees of freedom (0 by default, as NumPy). */
export function variance(x: TensorLike, opts: ReduceOpts & { ddof?: number } = {}): Tensor {
  let t = toTensor(x);
  if (!isFloat(t.dtype)) t = astype(t, 'f32');
  const axes = normAxes('var', opts.axis, t.ndim);
  const centred = sub(t, mean(t, { axis: axes, keepdims: true }));
  return div(sum(mul(centred, centred), { axis: axes, keepdims: opts.keepdims }), countOf(t, axes) - (opts.ddof ?? 0));
}

/** Standard deviation over the given axes, with `ddof` delta degrees of freedom. */
export function std(x: TensorLike, opts: ReduceOpts & { ddof?: number } = {}): Tensor {
  return sqrt(variance(x, opts));
}

/** log(sum(exp(x))) computed stably by shifting with the maximum. */
export function logsumexp(x: TensorLike, opts: ReduceOpts = {}): Tensor {
  let t = toTensor(x);
  if (!isFloat(t.dtype)) t = astype(t, 'f32');
  const axes = normAxes('logsumexp', opts.axis, t.ndim);
  const m = max(t, { axis: axes, keepdims: true });
  // An all -inf (or inf) slice would give nan through inf - inf; shift by 0 there instead.
  const shift = where(isFinite(m), m, 0);
  const s = log(sum(exp(sub(t, broadcastTo(shift, t.shape))), { axis: axes, keepdims: true }));
  return keep(reshape(add(s, shift), t.shape.filter((_, i) => !axes.includes(i))), t.shape, axes, opts.keepdims);
}

function argReduce(prim: Primitive.Argmax | Primitive.Argmin, name: string, x: TensorLike, opts: { axis?: number; keepdims?: boolean }): Tensor {
  const t0 = toTensor(x);
  if (opts.axis === undefined) {
    const r = bind1(prim, { axis: 0 }, reshape(t0, [-1]));
    return opts.keepdims ? reshape(r, t0.shape.map(() => 1)) : r;
  }
  const axis = normAxis(name, opts.axis, t0.ndim);
  const r = bind1(prim, { axis }, t0);
  return opts.keepdims ? keep(r, t0.shape, [axis], true) : r;
}

/** Index of the first maximum (over the flattened array when `axis` is omitted). */
export const argmax = (x: TensorLike, opts: { axis?: number; keepdims?: boolean } = {}) => argReduce(Primitive.Argmax, 'argmax', x, opts);
/** Index of the first minimum (over the flattened array when `axis` is omitted). */
export const argmin = (x: TensorLike, opts: { axis?: number; keepdims?: boolean } = {}) => argReduce(Primitive.Argmin, 'argmin', x, opts);

/** Inclusive cumulative sum along `axis` (over the flattened array when omitted). */
export function cumsum(x: TensorLike, axis?: number, opts: { reverse?: boolean } = {}): Tensor {
  let t = toTensor(x);
  if (t.dtype === 'bool') t = astype(t, 'i32');
  if (axis === undefined) {
    t = reshape(t, [-1]);
    axis = 0;
  }
  return bind1(Primitive.Cumsum, { axis: normAxis('cumsum', axis, t.ndim), reverse: opts.reverse ?? false }, t);
}

/** Whether two arrays have one shape and equal elements (NumPy's array_equal). */
export function arrayEqual(a: TensorLike, b: TensorLike): boolean {
  const x = toTensor(a), y = toTensor(b);
  if (x.ndim !== y.ndim || x.shape.some((d, i) => d !== y.shape[i])) return false;
  return all(equal(x, y)).item() !== 0;
}

/** Whether |a - b| <= atol + rtol * |b| everywhere, after broadcasting (NumPy's allclose). */
export function allclose(a: TensorLike, b: TensorLike, opts: { rtol?: number; atol?: number; equalNan?: boolean } = {}): boolean {
  const x = astype(a, 'f64'), y = astype(b, 'f64');
  const close = lessEqual(abs(sub(x, y)), add(mul(abs(y), opts.rtol ?? 1e-5), opts.atol ?? 1e-8));
  // Where either side is infinite, only an equal infinity counts as close.
  let ok = where(logicalAnd(isFinite(x), isFinite(y)), close, equal(x, y));
  if (opts.equalNan) ok = logicalOr(ok, logicalAnd(isNaN(x), isNaN(y)));
  return all(ok).item() !== 0;
}
