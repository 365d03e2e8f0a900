// Naive reference implementations on plain JS arrays (row-major flat values plus a shape),
// written with explicit index loops and independently of Kiln's code, for property tests.
import fc from 'fast-check';

export interface Arr {
  shape: number[];
  values: number[];
}

export const sizeOf = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);
export const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** Multi-index of a row-major flat offset. */
export function unravel(o: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length).fill(0);
  for (let i = shape.length - 1; i >= 0; i--) {
    idx[i] = o % shape[i]!;
    o = Math.floor(o / shape[i]!);
  }
  return idx;
}

/** Row-major flat offset of a multi-index. */
export function ravel(idx: readonly number[], shape: readonly number[]): number {
  let o = 0;
  for (let i = 0; i < shape.length; i++) o = o * shape[i]! + idx[i]!;
  return o;
}

/** Nested JS arrays of the given shape from flat row-major values. */
export function nest(values: readonly number[], shape: readonly number[]): unknown {
  let k = 0;
  const build = (axis: number): unknown =>
    axis === shape.length ? values[k++] : Array.from({ length: shape[axis]! }, () => build(axis + 1));
  return build(0);
}

/** NumPy broadcast shape of two shapes, or undefined when they do not broadcast. */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] | undefined {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const x = i - (r - a.length) >= 0 ? a[i - (r - a.length)]! : 1;
    const y = i - (r - b.length) >= 0 ? b[i - (r - b.length)]! : 1;
    if (x !== y && x !== 1 && y !== 1) return undefined;
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** The element of `a` that position `outIdx` of a broadcast result reads. */
function broadcastRead(a: Arr, outIdx: readonly number[]): number {
  const off = outIdx.length - a.shape.length;
  const idx = a.shape.map((d, i) => (d === 1 ? 0 : outIdx[off + i]!));
  return a.values[ravel(idx, a.shape)]!;
}

/** f applied elementwise with broadcasting. */
export function binary(a: Arr, b: Arr, f: (x: number, y: number) => number): Arr {
  const shape = broadcastShape(a.shape, b.shape);
  if (!shape) throw new Error('naive.binary: shapes do not broadcast');
  const values: number[] = [];
  for (let o = 0; o < sizeOf(shape); o++) {
    const idx = unravel(o, shape);
    values.push(f(broadcastRead(a, idx), broadcastRead(b, idx)));
  }
  return { shape, values };
}

/** Reduction over `axes` (all when undefined) with an initial value and a combining step. */
export function reduce(
  a: Arr,
  axes: readonly number[] | undefined,
  keepdims: boolean,
  init: number,
  step: (acc: number, x: number) => number,
): Arr {
  const r = a.shape.length;
  const red = (axes ?? range(r)).map((x) => (x < 0 ? x + r : x));
  const outFull = a.shape.map((d, i) => (red.includes(i) ? 1 : d));
  const acc = new Array<number>(sizeOf(outFull)).fill(init);
  for (let o = 0; o < a.values.length; o++) {
    const idx = unravel(o, a.shape).map((v, i) => (red.includes(i) ? 0 : v));
    const t = ravel(idx, outFull);
    acc[t] = step(acc[t]!, a.values[o]!);
  }
  const shape = keepdims ? outFull : a.shape.filter((_, i) => !red.includes(i));
  return { shape, values: acc };
}

/** Result axis i is input axis perm[i]. */
export function transpose(a: Arr, perm: readonly number[]): Arr {
  const shape = perm.map((p) => a.shape[p]!);
  const values: number[] = [];
  for (let o = 0; o < sizeOf(shape); o++) {
    const out = unravel(o, shape);
    const src = new Array<number>(a.shape.length);
    perm.forEach((p, i) => (src[p] = out[i]!));
    values.push(a.values[ravel(src, a.shape)]!);
  }
  return { shape, values };
}

/**
 * The indices Python's `range(n)[start:stop:step]` selects, following CPython's
 * PySlice_AdjustIndices: None defaults, negative values count from the end, then clamping.
 */
export function pySliceIndices(n: number, start: number | null, stop: number | null, step: number | null): number[] {
  const st = step ?? 1;
  if (st === 0) throw new Error('slice step cannot be zero');
  const adjust = (v: number | null, dflt: number): number => {
    if (v === null) return dflt;
    if (v < 0) {
      v += n;
      if (v < 0) v = st < 0 ? -1 : 0;
    } else if (v >= n) {
      v = st < 0 ? n - 1 : n;
    }
    return v;
  };
  const lo = adjust(start, st < 0 ? n - 1 : 0);
  const hi = adjust(stop, st < 0 ? -1 : n);
  const out: number[] = [];
  if (st > 0) for (let i = lo; i < hi; i += st) out.push(i);
  else for (let i = lo; i > hi; i += st) out.push(i);
  return out;
}

/** x[sel_0, sel_1, ...] where sel_i is a list of indices along axis i (no axis dropped). */
export function select(a: Arr, sels: readonly (readonly number[])[]): Arr {
  const shape = sels.map((s) => s.length);
  const values: number[] = [];
  for (let o = 0; o < sizeOf(shape); o++) {
    const idx = unravel(o, shape).map((j, i) => sels[i]![j]!);
    values.push(a.values[ravel(idx, a.shape)]!);
  }
  return { shape, values };
}

// ---- fast-check arbitraries

/** A shape of rank 0..maxRank with dims 1..maxDim (0 included when `allowEmpty`). */
export const shapeArb = (maxRank = 4, maxDim = 4, allowEmpty = false): fc.Arbitrary<number[]> =>
  fc.array(fc.integer({ min: allowEmpty ? 0 : 1, max: maxDim }), { maxLength: maxRank });

/** Small integers: exact in f32, so sums and products of a few of them are exact too. */
export const smallInt = fc.integer({ min: -20, max: 20 });

/** An array of the given shape filled with small integers. */
export const arrOf = (shape: readonly number[]): fc.Arbitrary<Arr> =>
  fc.array(smallInt, { minLength: sizeOf(shape), maxLength: sizeOf(shape) }).map((values) => ({ shape: [...shape], values }));

/** An array with a random shape. */
export const arrArb = (maxRank = 4, maxDim = 4): fc.Arbitrary<Arr> => shapeArb(maxRank, maxDim).chain(arrOf);

/**
 * Two shapes that broadcast: drawn from one result shape, each keeping a suffix of it with
 * some dims replaced by 1.
 */
export const broadcastPairArb: fc.Arbitrary<[number[], number[]]> = shapeArb(4, 4).chain((out) => {
  const one = fc
    .tuple(fc.integer({ min: 0, max: out.length }), fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }))
    .map(([drop, ones]) => out.slice(drop).map((d, i) => (ones[drop + i] ? 1 : d)));
  return fc.tuple(one, one);
});
