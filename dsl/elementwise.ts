// Elementwise ops with NumPy broadcasting and dtype promotion.
import { isFloat, promoteTypes, type DType } from '../compiler/ir/dtype.ts';
import { Primitive, type BinaryOp, type CompareOp, type UnaryOp } from '../compiler/ir/primitives.ts';
import { bind1, isWeak, shapeError, toTensor, type TensorLike } from './lift.ts';
import { broadcastTo } from './shape-ops.ts';
import type { Tensor } from './tensor.ts';
import { customJvp } from './custom.ts';

/** The broadcast shape of several shapes (NumPy rules), or a ShapeError naming `op`. */
export function broadcastShapes(op: string, ...shapes: (readonly number[])[]): number[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    let d = 1;
    for (const s of shapes) {
      const e = s[s.length - rank + i] ?? 1;
      if (e === 1) continue;
      if (d !== 1 && d !== e) {
        throw shapeError(op, `shapes ${shapes.map((s) => `[${s.join(', ')}]`).join(' and ')} do not broadcast (axis ${i} of the result: ${d} vs ${e})`);
      }
      d = e;
    }
    out.push(d);
  }
  return out;
}

/** Converts to another dtype (float to int truncates toward zero; anything to bool is x != 0). */
export function astype(x: TensorLike, dtype: DType): Tensor {
  const t = toTensor(x, typeof x === 'number' ? dtype : undefined);
  return t.dtype === dtype ? t : bind1(Primitive.Convert, { dtype }, t);
}

/** The common dtype of operands; JS numbers are weak and adopt the tensors' dtype. */
export function resultDType(xs: readonly TensorLike[]): DType {
  let d: DType | undefined;
  for (const x of xs) if (!isWeak(x)) d = d === undefined ? toTensor(x).dtype : promoteTypes(d, toTensor(x).dtype);
  for (const x of xs) {
    if (!isWeak(x)) continue;
    const w: DType = typeof x === 'boolean' ? 'bool' : Number.isInteger(x) ? 'i32' : 'f32';
    if (d === undefined) d = w;
    // A weak value only raises the kind (bool < int < float), never the width.
    else if (w === 'f32' && !isFloat(d)) d = 'f32';
    else if (w === 'i32' && d === 'bool') d = 'i32';
  }
  return d ?? 'f32';
}

/** Operands converted to one dtype and broadcast to one shape. */
export function coerce(op: string, xs: readonly TensorLike[], dtype?: DType): Tensor[] {
  const d = dtype ?? resultDType(xs);
  const ts = xs.map((x) => astype(toTensor(x, d), d));
  const shape = broadcastShapes(op, ...ts.map((t) => t.shape));
  return ts.map((t) => broadcastTo(t, shape));
}

export function unary(prim: UnaryOp, x: TensorLike, needsFloat = false): Tensor {
  let t = toTensor(x);
  if (needsFloat && !isFloat(t.dtype)) t = astype(t, 'f32');
  return bind1(prim, {}, t);
}

export function binary(prim: BinaryOp, a: TensorLike, b: TensorLike, dtype?: DType): Tensor {
  const [x, y] = coerce(prim, [a, b], dtype);
  return bind1(prim, {}, x!, y!);
}

export function compare(prim: CompareOp, a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = coerce(prim, [a, b]);
  return bind1(prim, {}, x!, y!);
}

const floatUnary = (p: UnaryOp) => (x: TensorLike) => unary(p, x, true);

/** Elementwise negation, -x. */
export const neg = (x: TensorLike) => unary(Primitive.Neg, x);
/** Elementwise absolute value |x|. */
export const abs = (x: TensorLike) => unary(Primitive.Abs, x);
/** Elementwise sign: -1, 0 or 1 (NaN stays NaN). */
export const sign = (x: TensorLike) => unary(Primitive.Sign, x);
/** Elementwise e^x (integers are computed as f32). */
export const exp = floatUnary(Primitive.Exp);
/** Elementwise natural logarithm. */
export const log = floatUnary(Primitive.Log);
/** Elementwise log(1 + x), accurate for small x. */
export const log1p = floatUnary(Primitive.Log1p);
/** Elementwise e^x - 1, accurate for small x. */
export const expm1 = floatUnary(Primitive.Expm1);
/** Elementwise square root. */
export const sqrt = floatUnary(Primitive.Sqrt);
/** Elementwise reciprocal square root 1/sqrt(x). */
export const rsqrt = floatUnary(Primitive.Rsqrt);
/** Elementwise sine (radians). */
export const sin = floatUnary(Primitive.Sin);
/** Elementwise cosine (radians). */
export const cos = floatUnary(Primitive.Cos);
/** Elementwise hyperbolic tangent. */
export const tanh = floatUnary(Primitive.Tanh);
/** Elementwise logistic sigmoid 1 / (1 + e^-x), computed stably. */
export const sigmoid = floatUnary(Primitive.Logistic);

/** Rounding ops are the identity on integers, as in NumPy. */
const rounding = (p: UnaryOp) => (x: TensorLike) => {
  const t = toTensor(x);
  return isFloat(t.dtype) ? bind1(p, {}, t) : t;
};
/** Elementwise floor (the identity on integers). */
export const floor = rounding(Primitive.Floor);
/** Elementwise ceiling (the identity on integers). */
export const ceil = rounding(Primitive.Ceil);
/** Elementwise rounding half to even, as NumPy (the identity on integers). */
export const round = rounding(Primitive.Round);

// Through a custom derivative, so that the forward pass stays one max while the derivative at
// 0 is 0 (max itself splits ties).
let reluImpl: ((x: Tensor) => Tensor) | undefined;
/** Rectified linear unit max(x, 0); its derivative at 0 is 0, as in the book, PyTorch and JAX. */
export const relu = (x: TensorLike): Tensor => {
  reluImpl ??= customJvp(
    (t: Tensor) => maximum(t, 0),
    ([t], [dt]) => [maximum(t!, 0), where(greater(t!, 0), dt!, 0)],
  );
  return reluImpl(toTensor(x));
};

/** Elementwise a + b with broadcasting. */
export const add = (a: TensorLike, b: TensorLike) => binary(Primitive.Add, a, b);
/** Elementwise a - b with broadcasting. */
export const sub = (a: TensorLike, b: TensorLike) => binary(Primitive.Sub, a, b);
/** Elementwise a * b with broadcasting. */
export const mul = (a: TensorLike, b: TensorLike) => binary(Primitive.Mul, a, b);
/** True division: integer operands give f32. */
export const div = (a: TensorLike, b: TensorLike) => {
  const d = resultDType([a, b]);
  return binary(Primitive.Div, a, b, isFloat(d) ? d : 'f32');
};
/** Elementwise a ** b with broadcasting. */
export const pow = (a: TensorLike, b: TensorLike) => binary(Primitive.Pow, a, b);
/** Elementwise maximum with broadcasting; NaN propagates. */
export const maximum = (a: TensorLike, b: TensorLike) => binary(Primitive.Max, a, b);
/** Elementwise minimum with broadcasting; NaN propagates. */
export const minimum = (a: TensorLike, b: TensorLike) => binary(Primitive.Min, a, b);

/** Elementwise a == b (bool result). */
export const equal = (a: TensorLike, b: TensorLike) => compare(Primitive.Eq, a, b);
/** Elementwise a != b (bool result). */
export const notEqual = (a: TensorLike, b: TensorLike) => compare(Primitive.Ne, a, b);
/** Elementwise a < b (bool result). */
export const less = (a: TensorLike, b: TensorLike) => compare(Primitive.Lt, a, b);
/** Elementwise a <= b (bool result). */
export const lessEqual = (a: TensorLike, b: TensorLike) => compare(Primitive.Le, a, b);
/** Elementwise a > b (bool result). */
export const greater = (a: TensorLike, b: TensorLike) => compare(Primitive.Gt, a, b);
/** Elementwise a >= b (bool result). */
export const greaterEqual = (a: TensorLike, b: TensorLike) => compare(Primitive.Ge, a, b);

/** Elementwise logical and of truth values. */
export const logicalAnd = (a: TensorLike, b: TensorLike) => binary(Primitive.And, a, b, 'bool');
/** Elementwise logical or of truth values. */
export const logicalOr = (a: TensorLike, b: TensorLike) => binary(Primitive.Or, a, b, 'bool');
/** Elementwise logical not of truth values. */
export const logicalNot = (x: TensorLike) => bind1(Primitive.Not, {}, astype(x, 'bool'));

/** Elementwise choice: `a` where `cond` is true, else `b`, all broadcast together. */
export function where(cond: TensorLike, a: TensorLike, b: TensorLike): Tensor {
  const d = resultDType([a, b]);
  const ts = [astype(cond, 'bool'), astype(toTensor(a, d), d), astype(toTensor(b, d), d)];
  const shape = broadcastShapes('where', ...ts.map((t) => t.shape));
  const [pc, pa, pb] = ts.map((t) => broadcastTo(t, shape));
  return bind1(Primitive.Select, {}, pc!, pa!, pb!);
}

/** True where x is neither infinite nor NaN (x - x is 0 exactly there). */
export function isFinite(x: TensorLike): Tensor {
  const t = toTensor(x);
  return isFloat(t.dtype) ? equal(sub(t, t), 0) : fullBool(t, true);
}

/** True where x is NaN. */
export function isNaN(x: TensorLike): Tensor {
  const t = toTensor(x);
  return isFloat(t.dtype) ? notEqual(t, t) : fullBool(t, false);
}

function fullBool(t: Tensor, v: boolean): Tensor {
  return broadcastTo(toTensor(v, 'bool'), t.shape);
}

/** Limits values to [lo, hi]; either bound may be omitted. */
export function clip(x: TensorLike, lo?: TensorLike, hi?: TensorLike): Tensor {
  let t = toTensor(x);
  if (lo !== undefined) t = maximum(t, lo);
  if (hi !== undefined) t = minimum(t, hi);
  return t;
}
