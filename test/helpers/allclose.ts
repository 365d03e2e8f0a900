// NumPy-style closeness of arrays: the engine behind the `toBeAllclose` matcher, usable on
// its own in property tests. Either side may be a Tensor or nested arrays of numbers/booleans.
// Tensors are recognised by shape (duck typing), so that the setup file, which every test file
// of the repository loads, does not import Kiln itself.
import type { Tensor } from '../../index.ts';

export interface AllcloseOpts {
  /** Relative tolerance (NumPy's default 1e-5). */
  rtol?: number;
  /** Absolute tolerance (NumPy's default 1e-8). */
  atol?: number;
  /** Count NaN as equal to NaN (NumPy's equal_nan; false by default). */
  equalNan?: boolean;
}

/** Something the matcher can compare: a Tensor, a number or boolean, or nested arrays of them. */
export type ArrayLikeValue = Tensor | number | boolean | readonly ArrayLikeValue[];

export interface Flat {
  shape: number[];
  values: number[];
}

const fmtShape = (s: readonly number[]) => `[${s.join(', ')}]`;

/** A Kiln Tensor (recognised by its shape, dtype and toArray). */
function isTensor(x: unknown): x is Tensor {
  if (x === null || typeof x !== 'object') return false;
  const t = x as Partial<Tensor>;
  return Array.isArray(t.shape) && typeof t.toArray === 'function' && typeof t.dtype === 'string';
}

/** Shape and row-major values; throws on ragged nesting or non-numeric leaves. */
export function flatten(x: unknown, what = 'value'): Flat {
  if (isTensor(x)) {
    const v = x.toArray();
    const f = flatten(v, what);
    return { shape: [...x.shape], values: f.values };
  }
  const shape: number[] = [];
  let cur: unknown = x;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    if (cur.length === 0) break;
    cur = cur[0];
  }
  const values: number[] = [];
  const walk = (v: unknown, depth: number, path: number[]): void => {
    if (depth === shape.length) {
      if (typeof v === 'number') values.push(v);
      else if (typeof v === 'boolean') values.push(v ? 1 : 0);
      else throw new TypeError(`toBeAllclose: ${what} has a non-numeric leaf at ${fmtShape(path)}: ${String(v)}`);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) {
      throw new TypeError(`toBeAllclose: ${what} is ragged at ${fmtShape(path)} (expected length ${shape[depth]})`);
    }
    v.forEach((e, i) => walk(e, depth + 1, [...path, i]));
  };
  walk(x, 0, []);
  return { shape, values };
}

/** NumPy's isclose for one pair: |a - b| <= atol + rtol * |b|; infinities must match exactly. */
export function isClose(a: number, b: number, rtol: number, atol: number, equalNan: boolean): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return equalNan && Number.isNaN(a) && Number.isNaN(b);
  if (!Number.isFinite(a) || !Number.isFinite(b)) return a === b;
  return Math.abs(a - b) <= atol + rtol * Math.abs(b);
}

function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length).fill(0);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = i % shape[d]!;
    i = Math.floor(i / shape[d]!);
  }
  return idx;
}

export interface AllcloseResult {
  pass: boolean;
  /** What went wrong (or, when passing, a one-line summary for `.not`). */
  message: string;
}

/** Compares `actual` with `expected`: shapes exactly, values with NumPy's allclose rule. */
export function allclose(actual: unknown, expected: unknown, opts: AllcloseOpts = {}): AllcloseResult {
  const rtol = opts.rtol ?? 1e-5;
  const atol = opts.atol ?? 1e-8;
  const equalNan = opts.equalNan ?? false;
  const a = flatten(actual, 'received');
  const e = flatten(expected, 'expected');
  const tol = `rtol=${rtol}, atol=${atol}${equalNan ? ', equalNan' : ''}`;
  if (a.shape.length !== e.shape.length || a.shape.some((d, i) => d !== e.shape[i])) {
    return { pass: false, message: `shapes differ: received ${fmtShape(a.shape)}, expected ${fmtShape(e.shape)}` };
  }
  let first = -1;
  let bad = 0;
  let nanBad = 0;
  let maxAbs = 0;
  let maxRel = 0;
  for (let i = 0; i < a.values.length; i++) {
    const x = a.values[i]!, y = e.values[i]!;
    if (isClose(x, y, rtol, atol, equalNan)) continue;
    bad++;
    if (first < 0) first = i;
    const abs = Math.abs(x - y);
    if (Number.isNaN(abs)) {
      nanBad++;
      continue;
    }
    maxAbs = Math.max(maxAbs, abs);
    if (y !== 0) maxRel = Math.max(maxRel, abs / Math.abs(y));
    else if (abs !== 0) maxRel = Infinity;
  }
  if (bad === 0) {
    return { pass: true, message: `arrays of shape ${fmtShape(a.shape)} are close (${tol})` };
  }
  const idx = fmtShape(unravel(first, a.shape));
  return {
    pass: false,
    message:
      `arrays are not close (${tol}): ${bad} of ${a.values.length} elements differ\n` +
      `  first mismatch at index ${idx}: received ${a.values[first]}, expected ${e.values[first]}\n` +
      `  max abs error ${maxAbs}, max rel error ${maxRel}` +
      (nanBad ? ` (over the non-NaN mismatches; ${nanBad} mismatch${nanBad > 1 ? 'es involve' : ' involves'} NaN)` : ''),
  };
}
