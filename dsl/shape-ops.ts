// Shape and data-movement ops: reshape, transpose, broadcast, concatenate, pad, tile, ...
import { promoteTypes as promote } from '../compiler/ir/dtype.ts';
import { sizeOf } from '../compiler/ir/ir.ts';
import { Primitive } from '../compiler/ir/primitives.ts';
import { bind1, shapeError, toTensor, type TensorLike } from './lift.ts';
import type { Tensor } from './tensor.ts';

/** An axis in [-rank, rank) as a non-negative axis; a ShapeError names `op` otherwise. */
export function normAxis(op: string, axis: number, rank: number): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) throw shapeError(op, `axis ${axis} out of range for rank ${rank}`);
  return axis < 0 ? axis + rank : axis;
}

export function normAxes(op: string, axis: number | readonly number[] | undefined, rank: number): number[] {
  if (axis === undefined) return Array.from({ length: rank }, (_, i) => i);
  const axes = (typeof axis === 'number' ? [axis] : axis).map((a) => normAxis(op, a, rank));
  if (new Set(axes).size !== axes.length) throw shapeError(op, `repeated axis in [${axes.join(', ')}]`);
  return axes;
}

/** Reshape; one dimension may be -1 and is inferred. */
export function reshape(x: TensorLike, shape: readonly number[]): Tensor {
  const t = toTensor(x);
  const n = t.size;
  const unknown = shape.filter((d) => d === -1).length;
  if (unknown > 1) throw shapeError('reshape', `only one dimension may be -1, got [${shape.join(', ')}]`);
  let target = [...shape];
  if (unknown === 1) {
    const known = sizeOf(shape.filter((d) => d !== -1));
    if (known === 0 || n % known !== 0) throw shapeError('reshape', `cannot reshape [${t.shape.join(', ')}] (${n} elements) to [${shape.join(', ')}]`);
    target = shape.map((d) => (d === -1 ? n / known : d));
  }
  if (sizeOf(target) !== n || target.some((d) => !Number.isInteger(d) || d < 0)) {
    throw shapeError('reshape', `cannot reshape [${t.shape.join(', ')}] (${n} elements) to [${shape.join(', ')}]`);
  }
  if (target.length === t.ndim && target.every((d, i) => d === t.shape[i])) return t;
  return bind1(Primitive.Reshape, { shape: target }, t);
}

/** Permutes axes; without `perm` reverses them (NumPy's default). */
export function transpose(x: TensorLike, perm?: readonly number[]): Tensor {
  const t = toTensor(x);
  const p = perm ? perm.map((a) => normAxis('transpose', a, t.ndim)) : Array.from({ length: t.ndim }, (_, i) => t.ndim - 1 - i);
  if (p.length !== t.ndim || new Set(p).size !== p.length) throw shapeError('transpose', `perm [${perm?.join(', ')}] is not a permutation of ${t.ndim} axes`);
  if (p.every((a, i) => a === i)) return t;
  return bind1(Primitive.Transpose, { perm: p }, t);
}

/** Moves axis `from` to position `to`, keeping the other axes in order. */
export function moveAxis(x: TensorLike, from: number, to: number): Tensor {
  const t = toTensor(x);
  const f = normAxis('moveAxis', from, t.ndim);
  const d = normAxis('moveAxis', to, t.ndim);
  const rest = Array.from({ length: t.ndim }, (_, i) => i).filter((i) => i !== f);
  rest.splice(d, 0, f);
  return transpose(t, rest);
}

/** Broadcasts to `shape` by NumPy rules (right-aligned; size-1 axes stretch). */
export function broadcastTo(x: TensorLike, shape: readonly number[]): Tensor {
  const t = toTensor(x);
  if (t.ndim === shape.length && t.shape.every((d, i) => d === shape[i])) return t;
  const off = shape.length - t.ndim;
  if (off < 0 || t.shape.some((d, i) => d !== 1 && d !== shape[off + i])) {
    throw shapeError('broadcastTo', `cannot broadcast [${t.shape.join(', ')}] to [${shape.join(', ')}]`);
  }
  return bind1(Primitive.BroadcastInDim, { shape: [...shape], dims: t.shape.map((_, i) => off + i) }, t);
}

/** Inserts size-1 axes at the given positions of the result. */
export function expandDims(x: TensorLike, axis: number | readonly number[]): Tensor {
  const t = toTensor(x);
  const axes = typeof axis === 'number' ? [axis] : axis;
  const rank = t.ndim + axes.length;
  const norm = normAxes('expandDims', axes, rank);
  const out: number[] = [];
  let k = 0;
  for (let i = 0; i < rank; i++) out.push(norm.includes(i) ? 1 : t.shape[k++]!);
  return reshape(t, out);
}

/** Removes size-1 axes (all of them, or the given ones, which must have size 1). */
export function squeeze(x: TensorLike, axis?: number | readonly number[]): Tensor {
  const t = toTensor(x);
  const axes = axis === undefined ? t.shape.flatMap((d, i) => (d === 1 ? [i] : [])) : normAxes('squeeze', axis, t.ndim);
  for (const a of axes) if (t.shape[a] !== 1) throw shapeError('squeeze', `axis ${a} of [${t.shape.join(', ')}] has size ${t.shape[a]}, not 1`);
  return reshape(t, t.shape.filter((_, i) => !axes.includes(i)));
}

/** Joins arrays along an existing axis (dtypes are promoted). */
export function concatenate(xs: readonly TensorLike[], axis = 0): Tensor {
  if (xs.length === 0) throw shapeError('concatenate', 'needs at least one array');
  const ts = xs.map((x) => toTensor(x));
  const d = ts.reduce((acc, t) => (acc === t.dtype ? acc : promote(acc, t.dtype)), ts[0]!.dtype);
  const a = normAxis('concatenate', axis, ts[0]!.ndim);
  const conv = ts.map((t) => (t.dtype === d ? t : t.astype(d)));
  if (conv.length === 1) return conv[0]!;
  return bind1(Primitive.Concatenate, { axis: a }, ...conv);
}

/** Joins arrays of one shape along a new axis. */
export function stack(xs: readonly TensorLike[], axis = 0): Tensor {
  if (xs.length === 0) throw shapeError('stack', 'needs at least one array');
  const ts = xs.map((x) => toTensor(x));
  const s = ts[0]!.shape;
  for (const t of ts) {
    if (t.ndim !== s.length || t.shape.some((d, i) => d !== s[i])) {
      throw shapeError('stack', `all arrays must have one shape, got ${ts.map((u) => `[${u.shape.join(', ')}]`).join(', ')}`);
    }
  }
  const a = normAxis('stack', axis, s.length + 1);
  return concatenate(ts.map((t) => expandDims(t, a)), a);
}

/** Splits into `sections` equal parts, or at the given indices, along `axis`. */
export function split(x: TensorLike, sections: number | readonly number[], axis = 0): Tensor[] {
  const t = toTensor(x);
  const a = normAxis('split', axis, t.ndim);
  const n = t.shape[a]!;
  let cuts: number[];
  if (typeof sections === 'number') {
    if (sections <= 0 || n % sections !== 0) throw shapeError('split', `axis ${a} of size ${n} does not split into ${sections} equal parts`);
    cuts = Array.from({ length: sections - 1 }, (_, i) => ((i + 1) * n) / sections);
  } else cuts = [...sections];
  const bounds = [0, ...cuts.map((c) => Math.min(Math.max(c < 0 ? c + n : c, 0), n)), n];
  const parts: Tensor[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    const lo = bounds[i]!, hi = Math.max(bounds[i]!, bounds[i + 1]!);
    parts.push(sliceAxis(t, a, lo, hi));
  }
  return parts;
}

/** x[..., lo:hi:step, ...] on one axis. */
export function sliceAxis(x: Tensor, axis: number, lo: number, hi: number, step = 1): Tensor {
  if (lo === 0 && hi === x.shape[axis] && step === 1) return x;
  const start = x.shape.map(() => 0);
  const limit = [...x.shape];
  const strides = x.shape.map(() => 1);
  start[axis] = lo;
  limit[axis] = hi;
  strides[axis] = step;
  return bind1(Primitive.Slice, { start, limit, strides }, x);
}

/** Reverses the order of elements along the given axes (all when omitted). */
export function flip(x: TensorLike, axis?: number | readonly number[]): Tensor {
  const t = toTensor(x);
  const axes = normAxes('flip', axis, t.ndim);
  if (axes.length === 0) return t;
  return bind1(Primitive.Rev, { axes }, t);
}

/** Pad widths: one number for all sides, [before, after] for every axis, or one pair per axis. */
export type PadWidth = number | readonly [number, number] | readonly (readonly [number, number])[];

/** Constant padding, as NumPy's pad with mode 'constant'. */
export function pad(x: TensorLike, width: PadWidth, opts: { value?: number } = {}): Tensor {
  const t = toTensor(x);
  let w: (readonly [number, number])[];
  if (typeof width === 'number') w = t.shape.map(() => [width, width] as const);
  else if (typeof width[0] === 'number') w = t.shape.map(() => width as readonly [number, number]);
  else w = [...(width as readonly (readonly [number, number])[])];
  if (w.length !== t.ndim) throw shapeError('pad', `pad width has ${w.length} entries for rank ${t.ndim}`);
  if (w.some(([a, b]) => a < 0 || b < 0)) throw shapeError('pad', 'pad widths must be non-negative');
  return bind1(
    Primitive.Pad,
    { lo: w.map((p) => p[0]), hi: w.map((p) => p[1]), interior: w.map(() => 0), value: opts.value ?? 0 },
    t,
  );
}

/** Repeats the whole array `reps` times along each axis (NumPy's tile). */
export function tile(x: TensorLike, reps: number | readonly number[]): Tensor {
  let t = toTensor(x);
  const r = typeof reps === 'number' ? [reps] : [...reps];
  const rank = Math.max(t.ndim, r.length);
  t = reshape(t, [...Array(rank - t.ndim).fill(1), ...t.shape]);
  const rr = [...Array(rank - r.length).fill(1), ...r] as number[];
  // [d0, d1] -> [r0, d0, r1, d1] by broadcasting, then merge pairs.
  const inter = t.shape.flatMap((d, i) => [rr[i]!, d]);
  const b = bind1(Primitive.BroadcastInDim, { shape: inter, dims: t.shape.map((_, i) => 2 * i + 1) }, t);
  return reshape(b, t.shape.map((d, i) => d * rr[i]!));
}

/** Repeats each element `repeats` times along `axis` (flattened when omitted). */
export function repeat(x: TensorLike, repeats: number, axis?: number): Tensor {
  let t = toTensor(x);
  if (axis === undefined) {
    t = reshape(t, [-1]);
    axis = 0;
  }
  const a = normAxis('repeat', axis, t.ndim);
  const inter = [...t.shape.slice(0, a + 1), repeats, ...t.shape.slice(a + 1)];
  const dims = t.shape.map((_, i) => (i <= a ? i : i + 1));
  const b = bind1(Primitive.BroadcastInDim, { shape: inter, dims }, t);
  const out = [...t.shape];
  out[a] = t.shape[a]! * repeats;
  return reshape(b, out);
}
