// Transpose rules of the linear primitives: given the cotangent of the output, the cotangents
// of the linear operands (null for operands that are not linear). Each linear primitive must
// have one; the table's type makes a missing rule a compile error.
import type { Builder } from '../ir/builder.ts';
import type { Var } from '../ir/ir.ts';
import { Primitive, type PrimitiveParams } from '../ir/primitives.ts';

export const LINEAR_PRIMITIVES = [
  Primitive.Neg, Primitive.Add, Primitive.Sub, Primitive.Mul, Primitive.Div, Primitive.Select,
  Primitive.Convert, Primitive.BroadcastInDim, Primitive.Reshape, Primitive.Transpose, Primitive.Slice,
  Primitive.Pad, Primitive.Concatenate, Primitive.Rev, Primitive.Gather, Primitive.Scatter,
  Primitive.ReduceSum, Primitive.Cumsum, Primitive.DotGeneral,
] as const;
export type LinearPrimitive = (typeof LINEAR_PRIMITIVES)[number];

export type TransposeRule<P extends Primitive> = (
  b: Builder,
  params: PrimitiveParams[P],
  inputs: readonly Var[],
  linear: readonly boolean[],
  ct: Var,
) => (Var | null)[];

function nonLinear(op: string): never {
  throw new Error(`transpose: ${op} is not linear in the given operands (an autodiff rule emitted a non-linear tangent)`);
}

function range(n: number, from = 0): number[] {
  return Array.from({ length: n }, (_, i) => from + i);
}

function inversePerm(perm: readonly number[]): number[] {
  const inv: number[] = [];
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}

/** Cotangent of one dot_general operand, from the output cotangent and the other operand. */
function dotTranspose(
  b: Builder,
  ct: Var,
  other: Var,
  selfShapeRank: number,
  selfContract: readonly number[],
  selfBatch: readonly number[],
  otherContract: readonly number[],
  otherBatch: readonly number[],
  selfIsLhs: boolean,
): Var {
  const nb = selfBatch.length;
  const otherRank = other.aval.shape.length;
  const selfFree = range(selfShapeRank).filter((a) => !selfContract.includes(a) && !selfBatch.includes(a));
  const otherFree = range(otherRank).filter((a) => !otherContract.includes(a) && !otherBatch.includes(a));
  // Positions of the output's axes: batch, lhs free, rhs free.
  const selfPos = selfIsLhs ? range(selfFree.length, nb) : range(selfFree.length, nb + otherFree.length);
  const otherPos = selfIsLhs ? range(otherFree.length, nb + selfFree.length) : range(otherFree.length, nb);
  const raw = b.emit1(
    Primitive.DotGeneral,
    { lhsContract: otherPos, rhsContract: otherFree, lhsBatch: range(nb), rhsBatch: [...otherBatch] },
    ct,
    other,
  );
  // raw axes: batch, self free, then other's contracting axes in increasing order.
  const otherContractSorted = [...otherContract].sort((a, c) => a - c);
  const rawToSelf = [...selfBatch, ...selfFree, ...otherContractSorted.map((a) => selfContract[otherContract.indexOf(a)]!)];
  void selfPos;
  return b.transpose(raw, range(selfShapeRank).map((a) => rawToSelf.indexOf(a)));
}

/**
 * For scatter-set: true at the updates that survive (the last one written to each place, in
 * row-major order of the index batch), found by scattering each update's position and reading
 * the winner back.
 */
function scatterWinners(b: Builder, x: Var, idx: Var, u: Var): Var {
  const batch = idx.aval.shape.slice(0, -1);
  const nb = batch.length;
  const flatPos = b.reshape(b.emit1(Primitive.Iota, { shape: [batch.reduce((a, d) => a * d, 1)], dtype: 'i32', dim: 0 }), batch);
  const pos = b.broadcast(flatPos, u.aval.shape, range(nb));
  const owner = b.emit1(Primitive.Scatter, { mode: 'set' }, b.full(x.aval.shape, -1, 'i32'), idx, pos);
  return b.binary(Primitive.Eq, b.emit1(Primitive.Gather, {}, owner, idx), pos);
}

export const transposeRules: { [P in LinearPrimitive]: TransposeRule<P> } = {
  [Primitive.Neg]: (b, _p, _x, _l, ct) => [b.neg(ct)],
  [Primitive.Add]: (_b, _p, _x, [l0, l1], ct) => [l0 ? ct : null, l1 ? ct : null],
  [Primitive.Sub]: (b, _p, _x, [l0, l1], ct) => [l0 ? ct : null, l1 ? b.neg(ct) : null],
  [Primitive.Mul]: (b, _p, [x0, x1], [l0, l1], ct) => {
    if (l0 && l1) nonLinear('mul');
    return [l0 ? b.mul(ct, x1!) : null, l1 ? b.mul(x0!, ct) : null];
  },
  [Primitive.Div]: (b, _p, [, x1], [l0, l1], ct) => {
    if (l1) nonLinear('div');
    return [l0 ? b.div(ct, x1!) : null, null];
  },
  [Primitive.Select]: (b, _p, [pred], [lp, la, lb], ct) => {
    if (lp) nonLinear('select predicate');
    const z = b.zeros(ct.aval);
    return [null, la ? b.select(pred!, ct, z) : null, lb ? b.select(pred!, z, ct) : null];
  },
  [Primitive.Convert]: (b, _p, [x], _l, ct) => [b.convert(ct, x!.aval.dtype)],
  [Primitive.BroadcastInDim]: (b, p, [x], _l, ct) => [b.unbroadcast(ct, x!.aval.shape, p.dims)],
  [Primitive.Reshape]: (b, _p, [x], _l, ct) => [b.reshape(ct, x!.aval.shape)],
  [Primitive.Transpose]: (b, p, _x, _l, ct) => [b.transpose(ct, inversePerm(p.perm))],
  [Primitive.Slice]: (b, p, [x], _l, ct) => {
    const shape = x!.aval.shape;
    const count = ct.aval.shape;
    const hi = shape.map((d, i) => (count[i] === 0 ? d - p.start[i]! : d - (p.start[i]! + (count[i]! - 1) * p.strides[i]! + 1)));
    return [b.emit1(Primitive.Pad, { lo: [...p.start], hi, interior: p.strides.map((s) => s - 1), value: 0 }, ct)];
  },
  [Primitive.Pad]: (b, p, [x], _l, ct) => {
    if (p.value !== 0) nonLinear('pad with a non-zero value');
    // Undo negative padding (cropping) by padding with zeros, then take every (interior+1)th.
    const grown = b.emit1(
      Primitive.Pad,
      { lo: p.lo.map((v) => Math.max(-v, 0)), hi: p.hi.map((v) => Math.max(-v, 0)), interior: p.lo.map(() => 0), value: 0 },
      ct,
    );
    const shape = x!.aval.shape;
    const start = p.lo.map((v) => Math.max(v, 0));
    const strides = p.interior.map((v) => v + 1);
    const limit = shape.map((d, i) => (d === 0 ? start[i]! : start[i]! + (d - 1) * strides[i]! + 1));
    return [b.emit1(Primitive.Slice, { start, limit, strides }, grown)];
  },
  [Primitive.Concatenate]: (b, p, xs, linear, ct) => {
    let off = 0;
    return xs.map((x, i) => {
      const n = x.aval.shape[p.axis]!;
      const lo = off;
      off += n;
      if (!linear[i]) return null;
      const start = ct.aval.shape.map(() => 0);
      const limit = [...ct.aval.shape];
      start[p.axis] = lo;
      limit[p.axis] = lo + n;
      return b.emit1(Primitive.Slice, { start, limit, strides: ct.aval.shape.map(() => 1) }, ct);
    });
  },
  [Primitive.Rev]: (b, p, _x, _l, ct) => [b.emit1(Primitive.Rev, p, ct)],
  [Primitive.Gather]: (b, _p, [x, idx], [, li], ct) => {
    if (li) nonLinear('gather indices');
    return [b.emit1(Primitive.Scatter, { mode: 'add' }, b.zeros(x!.aval), idx!, ct), null];
  },
  [Primitive.Scatter]: (b, p, [, idx, u], [lx, li, lu], ct) => {
    if (li) nonLinear('scatter indices');
    const ctX = !lx ? null : p.mode === 'add' ? ct : b.emit1(Primitive.Scatter, { mode: 'set' }, ct, idx!, b.zeros(u!.aval));
    if (!lu) return [ctX, null, null];
    const ctU = b.emit1(Primitive.Gather, {}, ct, idx!);
    if (p.mode === 'add') return [ctX, null, ctU];
    return [ctX, null, b.select(scatterWinners(b, ct, idx!, u!), ctU, b.zeros(u!.aval))];
  },
  [Primitive.ReduceSum]: (b, p, [x], _l, ct) => {
    const kept = x!.aval.shape.map((_, i) => i).filter((i) => !p.axes.includes(i));
    return [b.broadcast(ct, x!.aval.shape, kept)];
  },
  [Primitive.Cumsum]: (b, p, _x, _l, ct) => [b.emit1(Primitive.Cumsum, { axis: p.axis, reverse: !p.reverse }, ct)],
  [Primitive.DotGeneral]: (b, p, [l, r], [ll, lr], ct) => {
    if (ll && lr) nonLinear('dot_general');
    const ctL = ll ? dotTranspose(b, ct, r!, l!.aval.shape.length, p.lhsContract, p.lhsBatch, p.rhsContract, p.rhsBatch, true) : null;
    const ctR = lr ? dotTranspose(b, ct, l!, r!.aval.shape.length, p.rhsContract, p.rhsBatch, p.lhsContract, p.lhsBatch, false) : null;
    return [ctL, ctR];
  },
};

export function isLinearPrimitive(p: Primitive): p is LinearPrimitive {
  return (LINEAR_PRIMITIVES as readonly Primitive[]).includes(p);
}
