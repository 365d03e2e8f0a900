// Forward-mode rules: for each primitive, the output tangents as new equations given the
// primal inputs, their tangents (null = symbolic zero) and the primal outputs. Every rule
// emits only equations linear in the tangents, so that linearize + transpose gives reverse
// mode. A primitive without a rule is a type error.
import type { Builder } from '../ir/builder.ts';
import { isFloat } from '../ir/dtype.ts';
import { TraceError } from '../ir/errors.ts';
import type { Var } from '../ir/ir.ts';
import { Primitive, type ControlOp, type PrimitiveParams } from '../ir/primitives.ts';

/** A tangent: a value, or null for a symbolic zero (nothing is computed for it). */
export type Tangent = Var | null;

export type JvpRule<P extends Primitive> = (
  b: Builder,
  params: PrimitiveParams[P],
  x: readonly Var[],
  t: readonly Tangent[],
  y: readonly Var[],
) => Tangent[];

/** The tangent as a value, materialising a symbolic zero shaped like `like`. */
export function instantiate(b: Builder, t: Tangent, like: Var): Var {
  return t ?? b.zeros(like.aval);
}

const zero: JvpRule<Primitive> = (_b, _p, _x, _t, y) => y.map(() => null);

/** t * factor, skipping the work for a zero tangent. */
const scaled = (b: Builder, t: Tangent, factor: () => Var): Tangent => (t ? b.mul(t, factor()) : null);

/** A linear unary op: apply it to the tangent. */
function linear1<P extends Primitive>(b: Builder, p: P, params: PrimitiveParams[P], t: Tangent): Tangent {
  return t ? b.emit1(p, params, t) : null;
}

function addTangents(b: Builder, a: Tangent, c: Tangent): Tangent {
  if (!a) return c;
  if (!c) return a;
  return b.add(a, c);
}

function maxMin(b: Builder, x: readonly Var[], t: readonly Tangent[], isMax: boolean): Tangent[] {
  const [x1, x2] = x as [Var, Var];
  if (!t[0] && !t[1]) return [null];
  const t1 = instantiate(b, t[0]!, x1), t2 = instantiate(b, t[1]!, x2);
  // Ties share the gradient equally, as JAX does.
  const first = b.binary(isMax ? Primitive.Gt : Primitive.Lt, x1, x2);
  const second = b.binary(isMax ? Primitive.Lt : Primitive.Gt, x1, x2);
  const half = b.scale(b.add(t1, t2), 0.5);
  return [b.select(first, t1, b.select(second, t2, half))];
}

/** d reduce_max / d x: the tangent averaged over the positions that attain the extreme. */
function chooser(b: Builder, axes: readonly number[], x: Var, t: Tangent, y: Var): Tangent {
  if (!t) return null;
  const kept = x.aval.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const yb = b.broadcast(y, x.aval.shape, kept);
  const mask = b.convert(b.binary(Primitive.Eq, x, yb), x.aval.dtype);
  const count = b.reduceSum(mask, axes);
  return b.div(b.reduceSum(b.mul(t, mask), axes), count);
}

/** d reduce_prod: each element's tangent times the product of the others (exact with zeros). */
function prodRule(b: Builder, axes: readonly number[], x: Var, t: Tangent): Tangent {
  if (!t) return null;
  const shape = x.aval.shape;
  const kept = shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const perm = [...kept, ...axes];
  const m = kept.reduce((n, a) => n * shape[a]!, 1);
  const n = axes.reduce((k, a) => k * shape[a]!, 1);
  const xs = b.reshape(b.transpose(x, perm), [m, n]);
  const ts = b.reshape(b.transpose(t, perm), [m, n]);
  // others[m, i] = prod_{j != i} x[m, j]: an [m, n, n] array with ones on the diagonal.
  const grid = b.broadcast(xs, [m, n, n], [0, 2]);
  const i = b.emit1(Primitive.Iota, { shape: [m, n, n], dtype: 'i32', dim: 1 });
  const j = b.emit1(Primitive.Iota, { shape: [m, n, n], dtype: 'i32', dim: 2 });
  const diag = b.binary(Primitive.Eq, i, j);
  const others = b.emit1(Primitive.ReduceProd, { axes: [2] }, b.select(diag, b.fullLike(grid, 1), grid));
  const out = b.reduceSum(b.mul(ts, others), [1]);
  return b.reshape(out, kept.map((a) => shape[a]!));
}

/** Rules of all primitives but control flow (whose rules are in control-flow-jvp.ts). */
export const jvpRules: { [P in Exclude<Primitive, ControlOp>]: JvpRule<P> } = {
  [Primitive.Neg]: (b, _p, _x, [t]) => [t ? b.neg(t) : null],
  [Primitive.Abs]: (b, _p, [x], [t]) => [scaled(b, t!, () => b.unary(Primitive.Sign, x!))],
  [Primitive.Sign]: zero,
  [Primitive.Exp]: (b, _p, _x, [t], [y]) => [scaled(b, t!, () => y!)],
  [Primitive.Log]: (b, _p, [x], [t]) => [t ? b.div(t, x!) : null],
  [Primitive.Log1p]: (b, _p, [x], [t]) => [t ? b.div(t, b.add(x!, b.fullLike(x!, 1))) : null],
  [Primitive.Expm1]: (b, _p, _x, [t], [y]) => [scaled(b, t!, () => b.add(y!, b.fullLike(y!, 1)))],
  [Primitive.Sqrt]: (b, _p, _x, [t], [y]) => [t ? b.div(t, b.scale(y!, 2)) : null],
  // d x^(-1/2) = -1/2 x^(-3/2) = -1/2 y / x
  [Primitive.Rsqrt]: (b, _p, [x], [t], [y]) => [scaled(b, t!, () => b.div(b.scale(y!, -0.5), x!))],
  [Primitive.Sin]: (b, _p, [x], [t]) => [scaled(b, t!, () => b.unary(Primitive.Cos, x!))],
  [Primitive.Cos]: (b, _p, [x], [t]) => [scaled(b, t!, () => b.neg(b.unary(Primitive.Sin, x!)))],
  [Primitive.Tanh]: (b, _p, _x, [t], [y]) => [scaled(b, t!, () => b.sub(b.fullLike(y!, 1), b.mul(y!, y!)))],
  [Primitive.Logistic]: (b, _p, _x, [t], [y]) => [scaled(b, t!, () => b.mul(y!, b.sub(b.fullLike(y!, 1), y!)))],
  [Primitive.Floor]: zero,
  [Primitive.Ceil]: zero,
  [Primitive.Round]: zero,
  [Primitive.Not]: zero,
  [Primitive.Add]: (b, _p, _x, [t1, t2]) => [addTangents(b, t1!, t2!)],
  [Primitive.Sub]: (b, _p, _x, [t1, t2]) => [addTangents(b, t1!, t2 ? b.neg(t2) : null)],
  [Primitive.Mul]: (b, _p, [x1, x2], [t1, t2]) => [addTangents(b, scaled(b, t1!, () => x2!), scaled(b, t2!, () => x1!))],
  // d(a/c) = da/c - dc * (a/c) / c
  [Primitive.Div]: (b, _p, [, x2], [t1, t2], [y]) => [
    addTangents(b, t1 ? b.div(t1, x2!) : null, t2 ? b.neg(b.mul(t2, b.div(y!, x2!))) : null),
  ],
  [Primitive.Pow]: (b, _p, [x, p], [tx, tp], [y]) => {
    // d/dx = p x^(p-1), taken as 0 where p == 0 (so 0^0 has no NaN); d/dp = log(x) y, 0 at x == 0.
    const dx = scaled(b, tx!, () => {
      const pm1 = b.pow(x!, b.sub(p!, b.fullLike(p!, 1)));
      const isZero = b.binary(Primitive.Eq, p!, b.fullLike(p!, 0));
      return b.select(isZero, b.fullLike(x!, 0), b.mul(p!, pm1));
    });
    const dp = scaled(b, tp!, () => {
      const xZero = b.binary(Primitive.Eq, x!, b.fullLike(x!, 0));
      return b.select(xZero, b.fullLike(y!, 0), b.mul(b.unary(Primitive.Log, x!), y!));
    });
    return [addTangents(b, dx, dp)];
  },
  [Primitive.Max]: (b, _p, x, t) => maxMin(b, x, t, true),
  [Primitive.Min]: (b, _p, x, t) => maxMin(b, x, t, false),
  [Primitive.And]: zero,
  [Primitive.Or]: zero,
  [Primitive.Xor]: zero,
  [Primitive.ShiftLeft]: zero,
  [Primitive.ShiftRightLogical]: zero,
  [Primitive.Eq]: zero,
  [Primitive.Ne]: zero,
  [Primitive.Lt]: zero,
  [Primitive.Le]: zero,
  [Primitive.Gt]: zero,
  [Primitive.Ge]: zero,
  [Primitive.Select]: (b, _p, [pred, a, c], [, ta, tc]) => {
    if (!ta && !tc) return [null];
    return [b.select(pred!, instantiate(b, ta!, a!), instantiate(b, tc!, c!))];
  },
  [Primitive.Convert]: (b, p, [x], [t]) => [t && isFloat(p.dtype) && isFloat(x!.aval.dtype) ? b.convert(t, p.dtype) : null],
  [Primitive.StopGradient]: zero,
  [Primitive.Constant]: zero,
  [Primitive.Iota]: zero,
  [Primitive.RandomBits]: zero,
  [Primitive.BroadcastInDim]: (b, p, _x, [t]) => [linear1(b, Primitive.BroadcastInDim, p, t!)],
  [Primitive.Reshape]: (b, p, _x, [t]) => [linear1(b, Primitive.Reshape, p, t!)],
  [Primitive.Transpose]: (b, p, _x, [t]) => [linear1(b, Primitive.Transpose, p, t!)],
  [Primitive.Slice]: (b, p, _x, [t]) => [linear1(b, Primitive.Slice, p, t!)],
  // The padding value is a constant: its tangent is zero.
  [Primitive.Pad]: (b, p, _x, [t]) => [linear1(b, Primitive.Pad, { ...p, value: 0 }, t!)],
  [Primitive.Concatenate]: (b, p, x, t) => {
    if (t.every((u) => !u)) return [null];
    return [b.emit1(Primitive.Concatenate, p, ...x.map((xi, i) => instantiate(b, t[i]!, xi)))];
  },
  [Primitive.Rev]: (b, p, _x, [t]) => [linear1(b, Primitive.Rev, p, t!)],
  [Primitive.Gather]: (b, _p, [, idx], [t]) => [t ? b.emit1(Primitive.Gather, {}, t, idx!) : null],
  [Primitive.Scatter]: (b, p, [x, idx, u], [tx, , tu]) => {
    if (!tx && !tu) return [null];
    return [b.emit1(Primitive.Scatter, p, instantiate(b, tx!, x!), idx!, instantiate(b, tu!, u!))];
  },
  [Primitive.ReduceSum]: (b, p, _x, [t]) => [linear1(b, Primitive.ReduceSum, p, t!)],
  [Primitive.ReduceMax]: (b, p, [x], [t], [y]) => [chooser(b, p.axes, x!, t!, y!)],
  [Primitive.ReduceMin]: (b, p, [x], [t], [y]) => [chooser(b, p.axes, x!, t!, y!)],
  [Primitive.ReduceProd]: (b, p, [x], [t]) => [prodRule(b, p.axes, x!, t!)],
  [Primitive.Argmax]: zero,
  [Primitive.Argmin]: zero,
  [Primitive.Cumsum]: (b, p, _x, [t]) => [linear1(b, Primitive.Cumsum, p, t!)],
  [Primitive.Sort]: (b, p, x, t, y) => {
    if (t.every((u) => !u)) return y.map(() => null);
    // Sort once more with an iota attached to learn the permutation, then move the tangents.
    const iota = b.emit1(Primitive.Iota, { shape: [...x[0]!.aval.shape], dtype: 'i32', dim: p.axis });
    const outs = b.emit(Primitive.Sort, p, [...x, iota]);
    const perm = outs[outs.length - 1]!;
    return t.map((ti) => (ti ? b.takeAlongAxis(ti, perm, p.axis) : null));
  },
  // Linear in the arg tangents; tangents of the residuals would need bwd's derivative.
  [Primitive.CustomLin]: (b, p, x, t) => {
    if (t.slice(0, p.numRes).some((u) => u !== null)) {
      throw new TraceError('differentiating the derivative of a customVjp function again (higher order) is not supported; use customJvp');
    }
    const ts = t.slice(p.numRes);
    if (ts.every((u) => !u)) return p.bwd.inputs.slice(p.numRes).map(() => null);
    return b.emit(Primitive.CustomLin, p, [...x.slice(0, p.numRes), ...ts.map((u, i) => instantiate(b, u, x[p.numRes + i]!))]);
  },
  [Primitive.DotGeneral]: (b, p, [l, r], [tl, tr]) => [
    addTangents(
      b,
      tl ? b.emit1(Primitive.DotGeneral, p, tl, r!) : null,
      tr ? b.emit1(Primitive.DotGeneral, p, l!, tr) : null,
    ),
  ],
};
