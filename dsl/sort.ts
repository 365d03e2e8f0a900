// Sorting along an axis, stable, NaN last (NumPy's order).
import { Primitive } from '../compiler/ir/primitives.ts';
import { bind, toTensor, type TensorLike } from './lift.ts';
import { iota } from './creation.ts';
import { normAxis, reshape } from './shape-ops.ts';
import type { Tensor } from './tensor.ts';

function prepare(x: TensorLike, axis: number | undefined): { t: Tensor; axis: number } {
  let t = toTensor(x);
  if (axis === undefined) {
    t = reshape(t, [-1]);
    return { t, axis: 0 };
  }
  return { t, axis: normAxis('sort', axis, t.ndim) };
}

/** Sorted copy along `axis` (the last axis by default; flattened when null). */
export function sort(x: TensorLike, axis: number | null = -1): Tensor {
  const p = prepare(x, axis ?? undefined);
  return bind(Primitive.Sort, { axis: p.axis, numKeys: 1 }, [p.t])[0]!;
}

/** Indices that sort `x` along `axis` (stable). */
export function argsort(x: TensorLike, axis: number | null = -1): Tensor {
  const p = prepare(x, axis ?? undefined);
  const idx = iota(p.t.shape, 'i32', p.axis);
  return bind(Primitive.Sort, { axis: p.axis, numKeys: 1 }, [p.t, idx])[1]!;
}
