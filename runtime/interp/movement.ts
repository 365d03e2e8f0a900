// Data-movement primitives: broadcast_in_dim, reshape, transpose, slice, pad, concatenate,
// rev. Each is one `stridedCopy` with the right source offset and strides; values are copied
// bit for bit (no rounding, NaN payloads kept).
import { allocHost, type HostArray } from '../../compiler/ir/dtype.ts';
import { sizeOf, type AVal } from '../../compiler/ir/ir.ts';
import type { Primitive, PrimitiveParams } from '../../compiler/ir/primitives.ts';
import { stridedCopy, stridesOf } from './indexing.ts';
import { convertValue } from '../../compiler/ir/numeric.ts';
import type { HostTensor } from './tensor.ts';

function fresh(out: AVal): HostArray {
  return allocHost(out.dtype, sizeOf(out.shape));
}

export function evalBroadcastInDim(x: HostTensor, p: PrimitiveParams[Primitive.BroadcastInDim], out: AVal): HostArray {
  const xs = stridesOf(x.aval.shape);
  const src = new Array<number>(out.shape.length).fill(0);
  p.dims.forEach((d, i) => {
    if (x.aval.shape[i] !== 1) src[d] = xs[i]!;
  });
  const o = fresh(out);
  stridedCopy(x.data, 0, src, o, 0, stridesOf(out.shape), out.shape);
  return o;
}

export function evalReshape(x: HostTensor): HostArray {
  return x.data.slice();
}

export function evalTranspose(x: HostTensor, p: PrimitiveParams[Primitive.Transpose], out: AVal): HostArray {
  const xs = stridesOf(x.aval.shape);
  const o = fresh(out);
  stridedCopy(x.data, 0, p.perm.map((a) => xs[a]!), o, 0, stridesOf(out.shape), out.shape);
  return o;
}

export function evalSlice(x: HostTensor, p: PrimitiveParams[Primitive.Slice], out: AVal): HostArray {
  const xs = stridesOf(x.aval.shape);
  let off = 0;
  for (let i = 0; i < xs.length; i++) off += p.start[i]! * xs[i]!;
  const o = fresh(out);
  stridedCopy(x.data, off, xs.map((s, i) => s * p.strides[i]!), o, 0, stridesOf(out.shape), out.shape);
  return o;
}

/**
 * pad: input element j of axis i lands at lo[i] + j·(interior[i]+1); everything else is
 * `value` (converted to the dtype). Negative lo/hi crop: elements landing outside are dropped.
 */
export function evalPad(x: HostTensor, p: PrimitiveParams[Primitive.Pad], out: AVal): HostArray {
  const xshape = x.aval.shape, xs = stridesOf(xshape), os = stridesOf(out.shape);
  const o = fresh(out);
  o.fill(convertValue(p.value, out.dtype));
  let srcOff = 0, dstOff = 0;
  const count: number[] = [], dstStrides: number[] = [];
  for (let i = 0; i < xshape.length; i++) {
    const step = p.interior[i]! + 1, lo = p.lo[i]!, od = out.shape[i]!;
    const jmin = Math.max(0, Math.ceil(-lo / step));
    const jmax = Math.min(xshape[i]!, Math.floor((od - 1 - lo) / step) + 1);
    if (jmax <= jmin) return o;
    count.push(jmax - jmin);
    srcOff += jmin * xs[i]!;
    dstOff += (lo + jmin * step) * os[i]!;
    dstStrides.push(os[i]! * step);
  }
  stridedCopy(x.data, srcOff, xs, o, dstOff, dstStrides, count);
  return o;
}

export function evalConcatenate(xs: readonly HostTensor[], p: PrimitiveParams[Primitive.Concatenate], out: AVal): HostArray {
  const os = stridesOf(out.shape);
  const o = fresh(out);
  let at = 0;
  for (const x of xs) {
    stridedCopy(x.data, 0, stridesOf(x.aval.shape), o, at * os[p.axis]!, os, x.aval.shape);
    at += x.aval.shape[p.axis]!;
  }
  return o;
}

export function evalRev(x: HostTensor, p: PrimitiveParams[Primitive.Rev], out: AVal): HostArray {
  const shape = x.aval.shape, src = stridesOf(shape);
  let off = 0;
  for (const a of p.axes) {
    off += (shape[a]! - 1) * src[a]!;
    src[a] = -src[a]!;
  }
  const o = fresh(out);
  stridedCopy(x.data, off, src, o, 0, stridesOf(shape), shape);
  return o;
}
