// Type-level dtype rules, mirroring promoteTypes in compiler/ir/dtype.ts.
import type { DType } from '../compiler/ir/dtype.ts';

type Rank<D extends DType> = D extends 'bool' ? 0 : D extends 'i32' ? 1 : D extends 'f16' | 'bf16' ? 2 : D extends 'f32' ? 3 : 4;

/** The dtype two operands promote to. */
export type Promote<A extends DType, B extends DType> = DType extends A
  ? DType
  : DType extends B
    ? DType
    : A extends B
      ? A
      : [A, B] extends ['f16', 'bf16'] | ['bf16', 'f16']
        ? 'f32'
        : Rank<A> extends 0
          ? B
          : Rank<B> extends 0
            ? A
            : Rank<A> extends 1
              ? B
              : Rank<B> extends 1
                ? A
                : Rank<A> extends 4
                  ? A
                  : Rank<B> extends 4
                    ? B
                    : Rank<A> extends 3
                      ? A
                      : B;

/** The dtype of a float result (transcendentals and division of integers give f32). */
export type FloatOf<D extends DType> = D extends 'f64' | 'f16' | 'bf16' ? D : 'f32';
