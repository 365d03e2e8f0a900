// Creation primitives: constant and iota.
import { allocHost, isFloat, type HostArray } from '../../compiler/ir/dtype.ts';
import { sizeOf } from '../../compiler/ir/ir.ts';
import type { Primitive, PrimitiveParams } from '../../compiler/ir/primitives.ts';
import { convertValue } from '../../compiler/ir/numeric.ts';
import { floatResult } from './tensor.ts';

/** Row-major data converted to the dtype as `convert` would; one value fills the shape. */
export function evalConstant(p: PrimitiveParams[Primitive.Constant]): HostArray {
  const n = sizeOf(p.shape), src = p.data, d = p.dtype;
  const o = allocHost(d, n);
  if (src.length === 1) {
    o.fill(convertValue(src[0]!, d));
  } else {
    for (let i = 0; i < n; i++) o[i] = convertValue(src[i]!, d);
  }
  return o;
}

/** Element value = its coordinate along `dim`, converted to the dtype (f16 rounds above 2048). */
export function evalIota(p: PrimitiveParams[Primitive.Iota]): HostArray {
  const { shape, dim, dtype } = p;
  const outer = sizeOf(shape.slice(0, dim)), len = shape[dim]!, inner = sizeOf(shape.slice(dim + 1));
  const fill = (o: HostArray) => {
    let k = 0;
    for (let a = 0; a < outer; a++) {
      for (let j = 0; j < len; j++) for (let b = 0; b < inner; b++) o[k++] = j;
    }
  };
  if (isFloat(dtype)) return floatResult(dtype, outer * len * inner, fill);
  const o = allocHost(dtype, outer * len * inner);
  fill(o);
  return o;
}
