// sort: a stable multi-operand sort along one axis, lexicographic over the key operands.
import type { HostArray } from '../../compiler/ir/dtype.ts';
import { sizeOf } from '../../compiler/ir/ir.ts';
import type { Primitive, PrimitiveParams } from '../../compiler/ir/primitives.ts';
import type { HostTensor } from './tensor.ts';

/** Ascending total order with every NaN after every number (NaNs, and -0/+0, tie). */
function compareValues(a: number, b: number): number {
  if (a < b) return -1;
  if (a > b) return 1;
  const an = a !== a, bn = b !== b;
  return an === bn ? 0 : an ? 1 : -1;
}

/**
 * Sorts every lane along `axis` by the first `numKeys` operands (lexicographically), stably
 * (equal keys keep their order), and permutes every operand the same way.
 */
export function evalSort(xs: readonly HostTensor[], p: PrimitiveParams[Primitive.Sort]): HostArray[] {
  const shape = xs[0]!.aval.shape;
  const outer = sizeOf(shape.slice(0, p.axis)), len = shape[p.axis]!, inner = sizeOf(shape.slice(p.axis + 1));
  const keys = xs.slice(0, p.numKeys).map((t) => t.data);
  const outs = xs.map((t) => t.data.slice());
  const order = new Array<number>(len);
  let base = 0; // flat offset of the current lane's first element
  const cmp = (i: number, j: number): number => {
    for (const k of keys) {
      const c = compareValues(k[base + i * inner]!, k[base + j * inner]!);
      if (c !== 0) return c;
    }
    return 0; // Array.prototype.sort is stable, so ties keep input order
  };
  for (let a = 0; a < outer; a++) {
    for (let b = 0; b < inner; b++) {
      base = a * len * inner + b;
      for (let j = 0; j < len; j++) order[j] = j;
      order.sort(cmp);
      for (let t = 0; t < xs.length; t++) {
        const src = xs[t]!.data, dst = outs[t]!;
        for (let j = 0; j < len; j++) dst[base + j * inner] = src[base + order[j]! * inner]!;
      }
    }
  }
  return outs;
}
