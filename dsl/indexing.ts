// NumPy-style indexing: basic slices (start/stop/step, negative indices, newaxis, ellipsis),
// one integer-array index, take / takeAlongAxis, and functional updates x.at(...).set(v).
import { Primitive } from '../compiler/ir/primitives.ts';
import { add, astype, broadcastShapes, less, where } from './elementwise.ts';
import { bind1, shapeError, toTensor, type TensorLike } from './lift.ts';
import { iota } from './creation.ts';
import { broadcastTo, expandDims, flip, moveAxis, normAxis, reshape, stack, transpose } from './shape-ops.ts';
import { Tensor } from './tensor.ts';

/**
 * One entry of an index: an integer (removes the axis), a range `[start, stop, step]` whose
 * entries may be null or omitted (`[]` or `null` is the whole axis), `'newaxis'`, `'...'`,
 * or an integer tensor (gathers along the axis).
 */
export type IndexSpec =
  | number
  | null
  | 'newaxis'
  | '...'
  | readonly [start?: number | null, stop?: number | null, step?: number | null]
  | Tensor;

interface AxisSel {
  axis: number; // axis of x
  start: number; // first selected index, after normalisation
  count: number;
  step: number; // may be negative
  drop: boolean; // integer index: the axis disappears
}

interface Plan {
  sels: AxisSel[];
  /** Result positions (in the basic-sliced result) of new axes. */
  newAxes: number[];
  /** The integer-array index, if any, and the x axis it applies to. */
  gather?: { axis: number; index: Tensor };
  /** Integer and array indices are separated by a slice: the array's axes go first (NumPy). */
  separated: boolean;
}

function pySliceRange(n: number, s: readonly (number | null | undefined)[]): { start: number; count: number; step: number } {
  for (const v of s) if (v !== null && v !== undefined && !Number.isInteger(v)) throw shapeError('slice', `slice bounds must be integers, got [${s.join(', ')}]`);
  const step = s[2] ?? 1;
  if (step === 0) throw shapeError('slice', 'slice step cannot be zero');
  const clampIdx = (v: number | null | undefined, dflt: number, lo: number, hi: number) => {
    if (v === null || v === undefined) return dflt;
    const w = v < 0 ? v + n : v;
    return Math.min(Math.max(w, lo), hi);
  };
  if (step > 0) {
    const start = clampIdx(s[0], 0, 0, n);
    const stop = clampIdx(s[1], n, 0, n);
    return { start, count: Math.max(0, Math.ceil((stop - start) / step)), step };
  }
  const start = clampIdx(s[0], n - 1, -1, n - 1);
  const stop = clampIdx(s[1], -1, -1, n - 1);
  return { start, count: Math.max(0, Math.ceil((stop - start) / step)), step };
}

function plan(op: string, shape: readonly number[], specs: readonly IndexSpec[]): Plan {
  const consumes = (s: IndexSpec) => s !== 'newaxis' && s !== '...';
  const ell = specs.filter((s) => s === '...').length;
  if (ell > 1) throw shapeError(op, `an index can only have a single ellipsis ('...')`);
  const used = specs.filter(consumes).length;
  if (used > shape.length) throw shapeError(op, `too many indices for an array of rank ${shape.length}: ${used} were given`);
  const expanded: IndexSpec[] = [];
  for (const s of specs) {
    if (s === '...') for (let i = 0; i < shape.length - used; i++) expanded.push(null);
    else expanded.push(s);
  }
  while (expanded.filter(consumes).length < shape.length) expanded.push(null);
  const sels: AxisSel[] = [];
  const newAxes: number[] = [];
  let gather: Plan['gather'];
  let axis = 0;
  let outPos = 0;
  for (const s of expanded) {
    if (s === 'newaxis') {
      newAxes.push(outPos++);
      continue;
    }
    const n = shape[axis]!;
    if (s instanceof Tensor) {
      if (gather) throw shapeError(op, 'only one integer-array index is supported; index the others in a second step');
      if (s.dtype === 'bool') {
        throw shapeError(op, 'a boolean mask gives a result whose shape depends on the data; use k.where(mask, x, other) instead');
      }
      gather = { axis, index: s };
      sels.push({ axis, start: 0, count: n, step: 1, drop: false });
      outPos += s.ndim;
    } else if (typeof s === 'number') {
      if (!Number.isInteger(s) || s < -n || s >= n) throw shapeError(op, `index ${s} is out of bounds for axis ${axis} with size ${n}`);
      sels.push({ axis, start: s < 0 ? s + n : s, count: 1, step: 1, drop: true });
    } else {
      const r = pySliceRange(n, s === null ? [] : (s as readonly (number | null | undefined)[]));
      sels.push({ axis, ...r, drop: false });
      outPos++;
    }
    axis++;
  }
  // Advanced indices (integers count as such next to an array index) separated by a slice?
  const kinds = expanded.filter(consumes).map((s) => (s instanceof Tensor || typeof s === 'number' ? 'adv' : 'basic'));
  const first = kinds.indexOf('adv'), last = kinds.lastIndexOf('adv');
  const separated = gather !== undefined && first >= 0 && kinds.slice(first, last + 1).includes('basic');
  return { sels, newAxes, gather, separated };
}

/**
 * The selection as a slice with positive strides over the same elements; axes with negative
 * steps are listed in `revAxes` (their selected elements come in reverse order).
 */
function forwardSlice(_shape: readonly number[], sels: readonly AxisSel[]) {
  const revAxes: number[] = [];
  const start: number[] = [], limit: number[] = [], strides: number[] = [];
  for (const s of sels) {
    const step = Math.abs(s.step);
    if (s.step < 0) revAxes.push(s.axis);
    const lowest = s.step < 0 ? s.start + (s.count - 1) * s.step : s.start;
    start.push(s.count === 0 ? 0 : lowest);
    limit.push(s.count === 0 ? 0 : lowest + (s.count - 1) * step + 1);
    strides.push(step);
  }
  return { revAxes, start, limit, strides };
}

function isFull(shape: readonly number[], f: ReturnType<typeof forwardSlice>): boolean {
  return f.revAxes.length === 0 && shape.every((d, i) => f.start[i] === 0 && f.limit[i] === d && f.strides[i] === 1);
}

/** Normalises negative entries of an integer index against an axis of size n. */
function wrapIndex(index: Tensor, n: number): Tensor {
  const i = astype(index, 'i32');
  return where(less(i, 0), add(i, n), i);
}

/** x[...specs], NumPy's basic indexing plus one integer-array index. */
export function getIndex(x: TensorLike, specs: readonly IndexSpec[]): Tensor {
  let t = toTensor(x);
  const p = plan('slice', t.shape, specs);
  const f = forwardSlice(t.shape, p.sels);
  if (!isFull(t.shape, { ...f, revAxes: [] })) t = bind1(Primitive.Slice, { start: f.start, limit: f.limit, strides: f.strides }, t);
  if (f.revAxes.length) t = flip(t, f.revAxes);
  if (p.gather) {
    const a = p.gather.axis;
    const k = p.gather.index.ndim;
    t = take(t, p.gather.index, a);
    const keep = [...p.sels.slice(0, a).map((s) => !s.drop), ...Array<boolean>(k).fill(true), ...p.sels.slice(a + 1).map((s) => !s.drop)];
    t = reshape(t, t.shape.filter((_, i) => keep[i]));
    if (p.separated) {
      const g = p.sels.slice(0, a).filter((s) => !s.drop).length;
      const rest = range(0, t.ndim).filter((i) => i < g || i >= g + k);
      t = transpose(t, [...range(g, g + k), ...rest]);
    }
  } else {
    t = reshape(t, t.shape.filter((_, i) => !p.sels[i]!.drop));
  }
  if (p.newAxes.length) t = expandDims(t, p.newAxes);
  return t;
}

/** Elements of x at `indices` along `axis` (of the flattened array when axis is omitted). */
export function take(x: TensorLike, indices: TensorLike, axis?: number): Tensor {
  let t = toTensor(x);
  if (axis === undefined) {
    t = reshape(t, [-1]);
    axis = 0;
  }
  const a = normAxis('take', axis, t.ndim);
  const idx = wrapIndex(toTensor(indices, 'i32'), t.shape[a]!);
  const front = moveAxis(t, a, 0);
  const g = bind1(Primitive.Gather, {}, front, expandDims(idx, -1));
  // g is [...idx, ...rest]; put the index axes where `a` was.
  const k = idx.ndim;
  const rest = t.ndim - 1;
  const perm = [...range(k, k + a), ...range(0, k), ...range(k + a, k + rest)];
  return transpose(g, perm);
}

/** NumPy's take_along_axis: picks along `axis` with an index array of the same rank. */
export function takeAlongAxis(x: TensorLike, indices: TensorLike, axis: number): Tensor {
  const t = toTensor(x);
  const idx0 = toTensor(indices, 'i32');
  if (idx0.ndim !== t.ndim) throw shapeError('takeAlongAxis', `indices of rank ${idx0.ndim} for an array of rank ${t.ndim}`);
  const a = normAxis('takeAlongAxis', axis, t.ndim);
  const xs = t.shape.map((d, i) => (i === a ? 1 : d));
  const is = idx0.shape.map((d, i) => (i === a ? 1 : d));
  const out = broadcastShapes('takeAlongAxis', xs, is);
  out[a] = idx0.shape[a]!;
  const idx = broadcastTo(wrapIndex(idx0, t.shape[a]!), out);
  const coords = out.map((_, d) => (d === a ? idx : t.shape[d] === 1 ? broadcastTo(astype(0, 'i32'), out) : iota(out, 'i32', d)));
  return bind1(Primitive.Gather, {}, t, stack(coords, -1));
}

/** Functional updates of the indexed part: x.at(...).set(v) / .add(v) return new arrays. */
export class IndexUpdate {
  constructor(
    private readonly x: Tensor,
    private readonly specs: readonly IndexSpec[],
  ) {}

  /** The indexed part, as x.slice(...) gives it. */
  get(): Tensor {
    return getIndex(this.x, this.specs);
  }

  /** A copy of x with the indexed part replaced by v (broadcast). */
  set(v: TensorLike): Tensor {
    return this.update(v, 'set');
  }

  /** A copy of x with v added to the indexed part; repeated indices add up. */
  add(v: TensorLike): Tensor {
    return this.update(v, 'add');
  }

  private update(v: TensorLike, mode: 'set' | 'add'): Tensor {
    const x = this.x;
    const op = mode === 'set' ? 'at().set' : 'at().add';
    const p = plan(op, x.shape, this.specs);
    const target = this.get().shape;
    let val = astype(broadcastTo(astype(toTensor(v, x.dtype), x.dtype), target), x.dtype);
    if (p.newAxes.length) val = reshape(val, target.filter((_, i) => !p.newAxes.includes(i)));
    if (p.gather) return this.scatter(val, p, mode);
    // Put dropped (integer-indexed) axes back as size 1.
    const f = forwardSlice(x.shape, p.sels);
    val = reshape(val, p.sels.map((s) => s.count));
    if (f.revAxes.length) val = flip(val, f.revAxes);
    // Padding with interior gaps is exactly the inverse of a strided slice.
    const pad = (t: Tensor, value: number) =>
      bind1(
        Primitive.Pad,
        {
          lo: f.start,
          hi: x.shape.map((d, i) => d - f.limit[i]!),
          interior: f.strides.map((s) => s - 1),
          value,
        },
        t,
      );
    if (mode === 'add') return x.add(pad(val, 0));
    const mask = pad(broadcastTo(toTensor(true, 'bool'), val.shape), 0);
    return where(mask, pad(val, 0), x);
  }

  private scatter(val: Tensor, p: Plan, mode: 'set' | 'add'): Tensor {
    const x = this.x;
    if (p.sels.some((s) => s.drop || s.count !== x.shape[s.axis] || s.step !== 1)) {
      throw shapeError('at', 'an integer-array index can only be combined with whole-axis slices in an update');
    }
    const a = p.gather!.axis;
    const idx = wrapIndex(p.gather!.index, x.shape[a]!);
    const k = idx.ndim;
    // val is [...x[:a], ...idx, ...x[a+1:]]; scatter wants [...idx, ...x[:a], ...x[a+1:]].
    const perm = [...range(a, a + k), ...range(0, a), ...range(a + k, val.ndim)];
    const upd = transpose(val, perm);
    const front = moveAxis(x, a, 0);
    const r = bind1(Primitive.Scatter, { mode }, front, expandDims(idx, -1), upd);
    return moveAxis(r, 0, a);
  }
}

function range(a: number, b: number): number[] {
  return Array.from({ length: Math.max(0, b - a) }, (_, i) => a + i);
}
