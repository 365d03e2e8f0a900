// gather and scatter with index rows over the leading k axes of the operand.
// indices i32[...B, k]: row b holds a position (i_0..i_{k-1}) in the first k axes of x; each
// coordinate is clamped into [0, x.shape[j] - 1]. The row selects the contiguous slice
// x[i_0, ..., i_{k-1}, ...] of S = prod(x.shape[k:]) elements.
import { allocHost, type HostArray } from '../../compiler/ir/dtype.ts';
import { sizeOf, type AVal } from '../../compiler/ir/ir.ts';
import type { Primitive, PrimitiveParams } from '../../compiler/ir/primitives.ts';
import { stridesOf } from './indexing.ts';
import { narrowing } from '../../compiler/ir/numeric.ts';
import type { HostTensor } from './tensor.ts';

interface Rows {
  /** Number of index rows (prod of the batch shape). */
  readonly rows: number;
  /** Elements per selected slice. */
  readonly slice: number;
  /** Flat offset in x of the slice that row b selects. */
  offset(b: number): number;
  /** False when some indexed axis of x has size 0 (nothing can be selected). */
  readonly valid: boolean;
}

function indexRows(x: AVal, idx: HostTensor): Rows {
  const ishape = idx.aval.shape, k = ishape[ishape.length - 1]!;
  const xs = stridesOf(x.shape), dims = x.shape, id = idx.data;
  return {
    rows: sizeOf(ishape.slice(0, -1)),
    slice: sizeOf(x.shape.slice(k)),
    valid: dims.slice(0, k).every((d) => d > 0),
    offset(b: number): number {
      let off = 0;
      for (let j = 0, base = b * k; j < k; j++) {
        const hi = dims[j]! - 1, i = id[base + j]!;
        off += (i < 0 ? 0 : i > hi ? hi : i) * xs[j]!;
      }
      return off;
    },
  };
}

/**
 * Result [...B, ...x.shape[k:]]: row b's slice. If an indexed axis of x is empty while the
 * result is not (x: [0, 3], indices [2, 1]), there is nothing to clamp into: the result is
 * zeros (false for bool).
 */
export function evalGather(x: HostTensor, idx: HostTensor, out: AVal): HostArray {
  const o = allocHost(out.dtype, sizeOf(out.shape));
  const r = indexRows(x.aval, idx);
  if (!r.valid) return o;
  const xd = x.data, S = r.slice;
  for (let b = 0; b < r.rows; b++) {
    const off = r.offset(b), at = b * S;
    for (let s = 0; s < S; s++) o[at + s] = xd[off + s]!;
  }
  return o;
}

/**
 * A copy of x with updates written at the rows' slices, rows taken in row-major order of the
 * batch. mode `set`: a later row overwrites an earlier one. mode `add`: updates accumulate
 * one at a time in that order, each addition rounded to the dtype (f32/f16/bf16), wrapping
 * for i32, and logical or for bool.
 */
export function evalScatter(x: HostTensor, idx: HostTensor, upd: HostTensor, p: PrimitiveParams[Primitive.Scatter]): HostArray {
  const o = x.data.slice();
  const r = indexRows(x.aval, idx);
  if (!r.valid) return o;
  const u = upd.data, S = r.slice, d = x.aval.dtype;
  const narrow = narrowing(d);
  for (let b = 0; b < r.rows; b++) {
    const off = r.offset(b), at = b * S;
    if (p.mode === 'set') {
      for (let s = 0; s < S; s++) o[off + s] = u[at + s]!;
    } else if (d === 'i32') {
      for (let s = 0; s < S; s++) o[off + s] = (o[off + s]! + u[at + s]!) | 0;
    } else if (d === 'bool') {
      for (let s = 0; s < S; s++) o[off + s] = o[off + s]! | u[at + s]!;
    } else if (narrow !== null) {
      for (let s = 0; s < S; s++) o[off + s] = narrow(o[off + s]! + u[at + s]!);
    } else {
      for (let s = 0; s < S; s++) o[off + s] = o[off + s]! + u[at + s]!;
    }
  }
  return o;
}
