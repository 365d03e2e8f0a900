// Reductions (reduce_sum / max / min / prod, argmax / argmin) with their elementwise prologue
// evaluated at the full input index and, when possible, their epilogue fused after them.
//
// Loop orders (X: the reduced operand's shape):
//
// A. Inner reduction — when the last non-unit axis of X is reduced, for argmax / argmin
//    always, and when the kept trailing block is shorter than 8 elements:
//      [parallel] for kept axes { acc = identity; for reduced axes { acc = acc ⊕ prologue(x) };
//                                 epilogue(acc) → outputs }
//    Each output owns a scalar accumulator; the reduction loop reads the operand contiguously
//    when the reduced axes are innermost.
//
// B. Row accumulation — when X ends with a block T of kept axes (≥ 8 elements; e.g. summing a
//    [B, N] matrix over B): the contiguous output axes stay innermost so that the inner loop
//    vectorises, and the accumulators are a row of a buffer (the output itself when the
//    reduction result is an output of its dtype, else a scratch parameter):
//      [parallel] for kept axes before T {
//        for T: acc[t] = identity
//        for reduced axes: for T: acc[t] = acc[t] ⊕ prologue(x)
//        for T: epilogue(acc[t]) → outputs }
//    With no kept axes before T and a large operand, T is split into chunks of CHUNK
//    elements and the chunk loop is the parallel one.
//
// A reduction of all axes to a scalar runs on one thread (the accumulation is sequential).
//
// Accumulation: in the operand's dtype (f32 sums round after every addition, which the
// interpreter does not — it sums in double — so results agree within a tolerance), except
// that f16 / bf16 sums and products accumulate in f32 and round once. max / min propagate NaN
// (Math.max semantics, as the interpreter); identities as the interpreter's (0, 1, ∓inf, the
// i32 extremes, false / true for bool any / all). argmax / argmin keep (best, index) and
// update when `v > best` (`<` for argmin) or v is NaN, unless best is already NaN: the first
// extreme wins, and the first NaN wins over everything.
//
// Fused epilogue: when the reduction is the kernel's last heavy equation and every output
// still to be written has as many elements as the reduction result, the outputs are
// computed right after the accumulation, at the same (flat) position; a read of the result
// at any other position abandons the fusion, and the result then goes to a buffer (its
// output, else scratch) from which finishOutputs computes the rest.
import { isFloat, type DType } from '../ir/dtype.ts';
import { sizeOf, type EqnOf, type Var } from '../ir/ir.ts';
import { I32_MAX, I32_MIN } from '../ir/numeric.ts';
import { Primitive } from '../ir/primitives.ts';
import { CHUNK, FuseFail, LoweringContext, PARALLEL_MIN_WORK, type Target } from './context.ts';
import { castTo } from './elementwise.ts';
import { bin, constOf, idxConst, keyOf } from './index-exprs.ts';
import type { Expr } from './loop-ir.ts';

type ReduceEqn = EqnOf<
  Primitive.ReduceSum | Primitive.ReduceMax | Primitive.ReduceMin | Primitive.ReduceProd | Primitive.Argmax | Primitive.Argmin
>;
type CombineOp = Primitive.Add | Primitive.Mul | Primitive.Max | Primitive.Min;

/** The value of an empty reduction. */
export function reduceIdentity(op: Primitive, d: DType): number {
  const max = op === Primitive.ReduceMax || op === Primitive.Argmax;
  switch (op) {
    case Primitive.ReduceSum: return 0;
    case Primitive.ReduceProd: return 1;
    default:
      if (isFloat(d)) return max ? -Infinity : Infinity;
      if (d === 'i32') return max ? I32_MIN : I32_MAX;
      return max ? 0 : 1;
  }
}

function combineOp(op: Primitive): CombineOp {
  switch (op) {
    case Primitive.ReduceSum: return Primitive.Add;
    case Primitive.ReduceProd: return Primitive.Mul;
    case Primitive.ReduceMax: return Primitive.Max;
    default: return Primitive.Min;
  }
}

/**
 * Stores `targets` at index `rIdx` of the reduction result r, with reads of r at that very
 * position giving `res` (bound once); a read elsewhere throws FuseFail.
 */
export function fusedEpilogue(ctx: LoweringContext, r: Var, rIdx: readonly Expr[], res: Expr, targets: readonly Target[]): void {
  const R = r.aval.shape;
  const at = keyOf(ctx.ix.linearise(rIdx, R));
  let bound: Expr | null = null;
  ctx.hooks.set(r, (idx) => {
    if (keyOf(ctx.ix.linearise(idx, R)) !== at) throw new FuseFail();
    bound ??= ctx.em.bind(res);
    return bound;
  });
  try {
    ctx.storeTargets(targets, rIdx, R);
  } finally {
    ctx.hooks.delete(r);
  }
}

/** The output positions still to be written, as targets, if all have `n` elements; else null. */
export function epilogueTargets(ctx: LoweringContext, n: number): Target[] | null {
  const ts: Target[] = [];
  ctx.func.outputs.forEach((v, pos) => {
    if (!ctx.filled[pos]) ts.push({ v, buf: ctx.outParam[pos]!, pos });
  });
  return ts.length > 0 && ts.every((t) => sizeOf(t.v.aval.shape) === n) ? ts : null;
}

/** Lowers one reduction; `fuse`: it is the kernel's last heavy equation. */
export function lowerReduce(ctx: LoweringContext, eqn: ReduceEqn, fuse: boolean): void {
  const r = eqn.outputs[0]!;
  const epi = fuse ? epilogueTargets(ctx, sizeOf(r.aval.shape)) : null;
  if (epi) {
    const mark = ctx.params.length;
    try {
      emitReduce(ctx, eqn, epi);
      for (const t of epi) ctx.fill(t.pos!, t.v);
      return;
    } catch (e) {
      if (!(e instanceof FuseFail)) throw e;
      ctx.params.length = mark;
    }
  }
  const buf = ctx.resultBuffer(r);
  emitReduce(ctx, eqn, [{ v: r, buf }]);
  ctx.bufOf.set(r, buf);
}

function emitReduce(ctx: LoweringContext, eqn: ReduceEqn, targets: readonly Target[]): void {
  const { em, ix } = ctx;
  const x = eqn.inputs[0]!, r = eqn.outputs[0]!;
  const X = x.aval.shape;
  const op = eqn.primitive;
  const isArg = op === Primitive.Argmax || op === Primitive.Argmin;
  const red = eqn.primitive === Primitive.Argmax || eqn.primitive === Primitive.Argmin
    ? [eqn.params.axis]
    : [...eqn.params.axes].sort((a, b) => a - b);
  const kept = X.map((_, i) => i).filter((i) => !red.includes(i));
  const dt = x.aval.dtype;
  const accT: DType = (op === Primitive.ReduceSum || op === Primitive.ReduceProd) && (dt === 'f16' || dt === 'bf16') ? 'f32' : dt;
  const par = sizeOf(X) >= PARALLEL_MIN_WORK;
  const full = (keptIdx: readonly Expr[], redIdx: readonly Expr[]) => {
    const f = new Array<Expr>(X.length);
    kept.forEach((a, i) => (f[a] = keptIdx[i]!));
    red.forEach((a, i) => (f[a] = redIdx[i]!));
    return f;
  };

  // Case B: a trailing block T of kept axes.
  let s = X.length;
  while (s > 0 && !(red.includes(s - 1) && X[s - 1] !== 1)) s--;
  const T = kept.filter((a) => a >= s), Kp = kept.filter((a) => a < s);
  const TDims = T.map((a) => X[a]!);
  const rowCase = !isArg && s > 0 && sizeOf(TDims) >= 8;

  if (!rowCase) {
    const keptDims = kept.map((a) => X[a]!), redDims = red.map((a) => X[a]!);
    ctx.chooseGroups([keptDims, redDims], ([gK, gR]) => {
      ctx.nest(keptDims, gK!, par, (kIdx0) => {
        const kIdx = [...kIdx0];
        let res: Expr;
        if (isArg) {
          const best = em.decl(dt, constOf(dt, reduceIdentity(op, dt)));
          const bi = em.decl('i32', constOf('i32', 0));
          ctx.nest(redDims, gR!, false, (rIdx) => {
            const v = em.bind(ctx.valueAt(x, full(kIdx, rIdx)));
            const better = bin(op === Primitive.Argmax ? Primitive.Gt : Primitive.Lt, 'bool', v, best);
            const upd = em.bind(
              isFloat(dt)
                ? bin(Primitive.And, 'bool', bin(Primitive.Eq, 'bool', best, best), bin(Primitive.Or, 'bool', better, bin(Primitive.Ne, 'bool', v, v)))
                : better,
            );
            em.assign(best, { k: 'select', t: dt, c: upd, a: v, b: best });
            em.assign(bi, { k: 'select', t: 'i32', c: upd, a: castTo(rIdx[0]!, 'i32'), b: bi });
          });
          res = bi;
        } else {
          const acc = em.decl(accT, constOf(accT, reduceIdentity(op, accT)));
          ctx.nest(redDims, gR!, false, (rIdx) => {
            em.assign(acc, bin(combineOp(op), accT, acc, castTo(ctx.valueAt(x, full(kIdx, rIdx)), accT)));
          });
          res = castTo(acc, dt);
        }
        fusedEpilogue(ctx, r, kIdx, res, targets);
      });
    });
    return;
  }

  // Case B.
  // Accumulate into an output that is r itself or a reshape of it (keepdims) when the
  // dtypes allow; the epilogue then only writes the other outputs.
  const rTarget = accT === dt ? targets.find((t) => ctx.isFlatAlias(t.v, r)) : undefined;
  const accBuf = rTarget ? rTarget.buf : ctx.scratch(accT, sizeOf(r.aval.shape));
  const rest = targets.filter((t) => t !== rTarget);
  const R = r.aval.shape;
  const KpDims = Kp.map((a) => X[a]!), redDims = red.map((a) => X[a]!);
  const Tsize = sizeOf(TDims);
  const chunked = Kp.every((a) => X[a] === 1) && par && Tsize >= 2 * CHUNK;
  const cop = combineOp(op);
  const identity = constOf(accT, reduceIdentity(op, accT));

  ctx.chooseGroups([KpDims, redDims, TDims], ([gKp, gR, gT]) => {
    const body = (kpIdx: readonly Expr[], chunk: Expr | null) => {
      const tNest = (inner: (tIdx: readonly Expr[]) => void) => {
        if (chunk === null) return ctx.nest(TDims, gT!, false, inner);
        const start = ix.mul(chunk, CHUNK);
        em.loop(ix.min(idxConst(CHUNK), ix.sub(idxConst(Tsize), start)), false, (tt) => inner(ix.delinearise(ix.add(start, tt), TDims)));
      };
      const keptIdx = (tIdx: readonly Expr[]) => kept.map((a) => (a < s ? kpIdx[Kp.indexOf(a)]! : tIdx[T.indexOf(a)]!));
      tNest((tIdx) => em.emit({ k: 'store', buf: accBuf, idx: ix.linearise(keptIdx(tIdx), R), e: identity }));
      ctx.nest(redDims, gR!, false, (rIdx) =>
        tNest((tIdx) => {
          const kIdx = keptIdx(tIdx);
          const at = ix.linearise(kIdx, R);
          const v = castTo(ctx.valueAt(x, full(kIdx, rIdx)), accT);
          em.emit({ k: 'store', buf: accBuf, idx: at, e: bin(cop, accT, ctx.load(accBuf, at), v) });
        }),
      );
      if (rest.length > 0) {
        tNest((tIdx) => {
          const kIdx = keptIdx(tIdx);
          fusedEpilogue(ctx, r, kIdx, castTo(ctx.load(accBuf, ix.linearise(kIdx, R)), dt), rest);
        });
      }
    };
    if (chunked) em.loop(Math.ceil(Tsize / CHUNK), true, (c) => body(Kp.map(() => idxConst(0)), c));
    else ctx.nest(KpDims, gKp!, par, (kp) => body([...kp], null));
  });
}
