// The per-primitive rules of `valueAt`: the scalar value of an equation's output at a
// multi-index, in terms of its operands' values at mapped indices. Elementwise ops apply at
// the same index; views and creation ops become index arithmetic.
import type { DType } from '../ir/dtype.ts';
import { sizeOf, type Eqn, type Var } from '../ir/ir.ts';
import { convertValue } from '../ir/numeric.ts';
import { Primitive } from '../ir/primitives.ts';
import type { LoweringContext } from './context.ts';
import { boolConst, constOf, idxConst, keyOf } from './index-exprs.ts';
import type { Expr } from './loop-ir.ts';

/** Largest dense constant (number of distinct positions) lowered as a select chain. */
export const MAX_INLINE_CONSTANT = 16;

/** Conversion of `e` to dtype `t` (no node when the types agree). */
export function castTo(e: Expr, t: DType | 'index'): Expr {
  if (e.t === t) return e;
  if (e.k === 'const' && t !== 'index' && e.t !== 'index') return constOf(t, convertValue(e.v, t));
  if (e.k === 'const' && t === 'index' && (e.t === 'i32' || e.t === 'bool')) return idxConst(e.v);
  if (e.k === 'const' && e.t === 'index' && t !== 'index') return constOf(t, convertValue(e.v, t));
  return { k: 'cast', t, a: e };
}

export function computeValue(ctx: LoweringContext, eqn: Eqn, v: Var, idx: readonly Expr[]): Expr {
  const ix = ctx.ix;
  const t = v.aval.dtype;
  const shape = v.aval.shape;
  const operand = (i: number, at: readonly Expr[] = idx) => ctx.valueAt(eqn.inputs[i]!, at);
  switch (eqn.primitive) {
    case Primitive.Neg:
    case Primitive.Abs:
    case Primitive.Sign:
    case Primitive.Exp:
    case Primitive.Log:
    case Primitive.Log1p:
    case Primitive.Expm1:
    case Primitive.Sqrt:
    case Primitive.Rsqrt:
    case Primitive.Sin:
    case Primitive.Cos:
    case Primitive.Tanh:
    case Primitive.Logistic:
    case Primitive.Floor:
    case Primitive.Ceil:
    case Primitive.Round:
    case Primitive.Not:
      return { k: 'unary', t, op: eqn.primitive, a: operand(0) };
    case Primitive.Add:
    case Primitive.Sub:
    case Primitive.Mul:
    case Primitive.Div:
    case Primitive.Pow:
    case Primitive.Max:
    case Primitive.Min:
    case Primitive.And:
    case Primitive.Or:
    case Primitive.Xor:
    case Primitive.ShiftLeft:
    case Primitive.ShiftRightLogical:
    case Primitive.Eq:
    case Primitive.Ne:
    case Primitive.Lt:
    case Primitive.Le:
    case Primitive.Gt:
    case Primitive.Ge:
      return { k: 'binary', t, op: eqn.primitive, a: operand(0), b: operand(1) };
    case Primitive.Select: {
      const c = operand(0);
      if (c.k === 'const') return operand(c.v ? 1 : 2);
      const a = operand(1), b = operand(2);
      return keyOf(a) === keyOf(b) ? a : { k: 'select', t, c, a, b };
    }
    case Primitive.Convert:
      return castTo(operand(0), t);
    case Primitive.StopGradient:
      return operand(0);
    case Primitive.Constant: {
      const p = eqn.params;
      const data = p.data.map((x) => convertValue(x, p.dtype));
      if (data.every((x) => Object.is(x, data[0]))) return constOf(t, data[0]!);
      const flat = ix.linearise(idx, shape);
      if (flat.k === 'const') return constOf(t, data[flat.v]!);
      const [lo, hi] = ix.range(flat);
      const from = Math.max(0, lo), to = Math.min(data.length - 1, hi);
      if (to - from + 1 > MAX_INLINE_CONSTANT) {
        throw ctx.error(
          `dense constant ${t}[${shape.join(',')}] (${data.length} values) cannot be inlined into a kernel ` +
            `(at most ${MAX_INLINE_CONSTANT} values become a select chain); fusion should pass large constants as kernel inputs`,
        );
      }
      let e = constOf(t, data[to]!);
      for (let j = to - 1; j >= from; j--) {
        if (Object.is(data[j], data[j + 1])) continue; // the chain already gives data[j + 1] here
        e = ix.select(ix.cmp(Primitive.Le, flat, idxConst(j)), constOf(t, data[j]!), e);
      }
      return e;
    }
    case Primitive.Iota:
      return castTo(idx[eqn.params.dim]!, t);
    case Primitive.RandomBits: {
      const key = eqn.inputs[0]!;
      return {
        k: 'threefry',
        t: 'i32',
        k0: ctx.valueAt(key, [idxConst(0)]),
        k1: ctx.valueAt(key, [idxConst(1)]),
        ctr: ix.linearise(idx, shape),
      };
    }
    case Primitive.BroadcastInDim: {
      const xs = eqn.inputs[0]!.aval.shape;
      return operand(0, eqn.params.dims.map((d, i) => (xs[i] === 1 ? idxConst(0) : idx[d]!)));
    }
    case Primitive.Reshape:
      return operand(0, ctx.reindex(idx, shape, eqn.inputs[0]!.aval.shape));
    case Primitive.Transpose: {
      const src = new Array<Expr>(idx.length);
      eqn.params.perm.forEach((a, i) => (src[a] = idx[i]!));
      return operand(0, src);
    }
    case Primitive.Slice: {
      const p = eqn.params;
      return operand(0, idx.map((e, i) => ix.add(idxConst(p.start[i]!), ix.mul(e, p.strides[i]!))));
    }
    case Primitive.Rev: {
      const xs = eqn.inputs[0]!.aval.shape;
      return operand(0, idx.map((e, i) => (eqn.params.axes.includes(i) ? ix.sub(idxConst(xs[i]! - 1), e) : e)));
    }
    case Primitive.Pad: {
      const p = eqn.params;
      const xs = eqn.inputs[0]!.aval.shape;
      const padValue = constOf(t, convertValue(p.value, t));
      if (sizeOf(xs) === 0) return padValue;
      let cond = boolConst(true);
      const src = idx.map((e, i) => {
        const s = p.interior[i]! + 1, n = xs[i]!;
        const off = ix.sub(e, idxConst(p.lo[i]!)); // position along the interior-padded operand
        cond = ix.and(cond, ix.cmp(Primitive.Ge, off, idxConst(0)));
        cond = ix.and(cond, ix.cmp(Primitive.Le, off, idxConst((n - 1) * s)));
        // max(off, 0): divisions only ever see non-negative dividends (off < 0 fails `cond`)
        const pos = ix.max(off, idxConst(0));
        if (s > 1) cond = ix.and(cond, ix.cmp(Primitive.Eq, ix.imod(pos, s), idxConst(0)));
        return ix.min(ix.idiv(pos, s), idxConst(n - 1));
      });
      if (cond.k === 'const' && !cond.v) return padValue;
      return ix.select(cond, operand(0, src), padValue);
    }
    case Primitive.Concatenate: {
      const axis = eqn.params.axis;
      const parts: { i: number; off: number; n: number }[] = [];
      let off = 0;
      eqn.inputs.forEach((x, i) => {
        const n = x.aval.shape[axis]!;
        if (n > 0) parts.push({ i, off, n });
        off += n;
      });
      const at = (part: { i: number; off: number; n: number }) => {
        const src = [...idx];
        src[axis] = ix.clamp(ix.sub(idx[axis]!, idxConst(part.off)), 0, part.n - 1);
        return operand(part.i, src);
      };
      let e = at(parts[parts.length - 1]!);
      for (let j = parts.length - 2; j >= 0; j--) {
        const c = ix.cmp(Primitive.Lt, idx[axis]!, idxConst(parts[j + 1]!.off));
        if (c.k === 'const') {
          if (c.v) e = at(parts[j]!);
          continue;
        }
        e = ix.select(c, at(parts[j]!), e);
      }
      return e;
    }
    case Primitive.Gather: {
      const [x, ind] = eqn.inputs as [Var, Var];
      const xs = x.aval.shape, is = ind.aval.shape;
      const k = is[is.length - 1]!, nb = is.length - 1;
      if (xs.slice(0, k).some((d) => d === 0)) return constOf(t, 0);
      const b = idx.slice(0, nb);
      const coords = Array.from({ length: k }, (_, j) =>
        ix.clamp(castTo(ctx.valueAt(ind, [...b, idxConst(j)]), 'index'), 0, xs[j]! - 1),
      );
      return operand(0, [...coords, ...idx.slice(nb)]);
    }
    case Primitive.ReduceSum:
    case Primitive.ReduceMax:
    case Primitive.ReduceMin:
    case Primitive.ReduceProd:
    case Primitive.Argmax:
    case Primitive.Argmin:
    case Primitive.Cumsum:
    case Primitive.Sort:
    case Primitive.DotGeneral:
    case Primitive.Scatter:
      throw ctx.error(`internal: ${eqn.primitive} result read before it was computed`);
    case Primitive.Cond:
    case Primitive.WhileLoop:
    case Primitive.Scan:
    case Primitive.CustomJvpCall:
    case Primitive.CustomVjpCall:
    case Primitive.CustomLin:
      throw ctx.error(`${eqn.primitive} cannot appear inside a kernel (control flow stays on the host)`);
    default:
      return eqn satisfies never;
  }
}
