// Row-major index arithmetic shared by the data-movement and reduction kernels.
import type { HostArray } from '../../compiler/ir/dtype.ts';
import { stridesOf } from '../../compiler/ir/ir.ts';

export { stridesOf };

/** Multi-index of flat position `flat` in `shape`, written into `out` (returned). */
export function unravel(flat: number, shape: readonly number[], out: number[] = []): number[] {
  out.length = shape.length;
  for (let i = shape.length - 1; i >= 0; i--) {
    const d = shape[i]!;
    out[i] = flat % d;
    flat = Math.floor(flat / d);
  }
  return out;
}

/** Flat offset of multi-index `idx` under `strides`. */
export function ravel(idx: readonly number[], strides: readonly number[]): number {
  let off = 0;
  for (let i = 0; i < idx.length; i++) off += idx[i]! * strides[i]!;
  return off;
}

/**
 * Copies a strided block: for every multi-index m < count (row-major),
 * dst[dstOff + m·dstStrides] = src[srcOff + m·srcStrides]. Strides may be 0 (broadcast) or
 * negative (reversal). This one loop serves broadcast, transpose, slice, rev, pad and
 * concatenate. Rank 0 copies one element.
 */
export function stridedCopy(
  src: HostArray,
  srcOff: number,
  srcStrides: readonly number[],
  dst: HostArray,
  dstOff: number,
  dstStrides: readonly number[],
  count: readonly number[],
): void {
  const r = count.length;
  if (r === 0) {
    dst[dstOff] = src[srcOff]!;
    return;
  }
  for (const c of count) if (c === 0) return;
  const n = count[r - 1]!, ss = srcStrides[r - 1]!, ds = dstStrides[r - 1]!;
  const idx = new Array<number>(r).fill(0);
  let so = srcOff, dof = dstOff;
  for (;;) {
    for (let i = 0, s = so, d = dof; i < n; i++, s += ss, d += ds) dst[d] = src[s]!;
    let ax = r - 2;
    for (; ax >= 0; ax--) {
      so += srcStrides[ax]!;
      dof += dstStrides[ax]!;
      if (++idx[ax]! < count[ax]!) break;
      so -= srcStrides[ax]! * count[ax]!;
      dof -= dstStrides[ax]! * count[ax]!;
      idx[ax] = 0;
    }
    if (ax < 0) return;
  }
}

/**
 * The data of a contiguous array of `shape` with its axes permuted (result axis i = axis
 * perm[i]), as a new array of the same kind; `data` itself when perm is the identity.
 */
export function permuted(data: HostArray, shape: readonly number[], perm: readonly number[]): HostArray {
  if (perm.every((p, i) => p === i)) return data;
  const strides = stridesOf(shape);
  const outShape = perm.map((p) => shape[p]!);
  const out = new (data.constructor as new (n: number) => HostArray)(data.length);
  stridedCopy(data, 0, perm.map((p) => strides[p]!), out, 0, stridesOf(outShape), outShape);
  return out;
}
