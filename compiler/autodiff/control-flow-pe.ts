// Partial evaluation of control flow: a scan or cond with some unknown inputs becomes a known
// one (computing what it can, plus residuals) and an unknown one (consuming the residuals).
// Residuals of a scan body are stacked across iterations, as JAX does.
import { Builder } from '../ir/builder.ts';
import { permuteInputs, insertInputs, span, splitList } from '../ir/func-utils.ts';
import { aval, makeEqn, Var, type Eqn, type EqnOf, type Func } from '../ir/ir.ts';
import { Primitive, type ControlOp } from '../ir/primitives.ts';
import { dce } from '../passes/dce.ts';
import { partialEval, unknownOutputs } from './partial-eval.ts';

export interface PartialEvalSide {
  known(e: Eqn): void;
  unknown(e: Eqn): void;
  /** The var standing for `v` on the unknown side (v itself if unknown, else a residual). */
  toUnknown(v: Var): Var;
}

/** Emits the known and unknown parts of e; returns which outputs of e are unknown. */
export type ControlPartialEvalRule<P extends ControlOp> = (e: EqnOf<P>, unknownIn: readonly boolean[], side: PartialEvalSide) => boolean[];

const or = (a: readonly boolean[], b: readonly boolean[]) => a.map((x, i) => x || b[i]!);
const pick = <T,>(xs: readonly T[], mask: readonly boolean[], want: boolean) => xs.filter((_, i) => mask[i] === want);

/** The unknown outputs of a control-flow equation, as its partial-eval rule will find them. */
export function controlUnknownOutputs(e: Eqn, unknownIn: readonly boolean[]): boolean[] {
  switch (e.primitive) {
    case Primitive.Cond:
      return e.params.branches.map((br) => unknownOutputs(br, unknownIn.slice(1))).reduce(or);
    case Primitive.Scan:
      return scanUnknowns(e.params, unknownIn).outU;
    case Primitive.WhileLoop:
      return whileUnknowns(e.params, unknownIn);
    default:
      return e.outputs.map(() => true);
  }
}

/** A while loop's carries are unknown if their start is, or if the body makes them so. */
function whileUnknowns(p: EqnOf<Primitive.WhileLoop>['params'], unknownIn: readonly boolean[]): boolean[] {
  const { condConsts: nc, bodyConsts: nb, body } = p;
  const ubc = unknownIn.slice(nc, nc + nb);
  let uk = unknownIn.slice(nc + nb);
  for (;;) {
    const next = or(uk, unknownOutputs(body, [...ubc, ...uk]));
    if (next.every((v, i) => v === uk[i])) return uk;
    uk = next;
  }
}

/** A scan's carries are unknown if their start is, or if the body makes them so (fixpoint). */
function scanUnknowns(p: EqnOf<Primitive.Scan>['params'], unknownIn: readonly boolean[]) {
  const { numConsts: nc, numCarry: nk, body } = p;
  const uc = unknownIn.slice(0, nc), ux = unknownIn.slice(nc + nk);
  let uk = unknownIn.slice(nc, nc + nk);
  for (;;) {
    const out = unknownOutputs(body, [...uc, ...uk, ...ux]);
    const next = or(uk, out.slice(0, nk));
    if (next.every((v, i) => v === uk[i])) return { uc, uk, ux, outU: [...uk, ...out.slice(nk)] };
    uk = next;
  }
}

export const controlPartialEvalRules: { [P in ControlOp]: ControlPartialEvalRule<P> } = {
  // A known loop computes the known carries (the condition only reads known values); the
  // whole loop is repeated on the unknown side for the others. Transposing that fails with a
  // clear error only if a cotangent reaches it, so loops no gradient flows through are fine.
  [Primitive.WhileLoop]: (e, unknownIn, side) => {
    const { condConsts: nc, bodyConsts: nb, cond, body } = e.params;
    const uk = whileUnknowns(e.params, unknownIn);
    const ucc = unknownIn.slice(0, nc);
    if (unknownOutputs(cond, [...ucc, ...uk])[0]) throw new Error('partialEval: a whileLoop condition cannot depend on tangents');
    const ubc = unknownIn.slice(nc, nc + nb);
    const kb = partialEval(body, [...ubc, ...uk], uk).known;
    const nKnown = uk.filter((u) => !u).length;
    const knownBody = dce({ ...kb, name: `${body.name}_known`, outputs: kb.outputs.slice(0, nKnown) });
    // The condition does not read the unknown carries (checked above), so they can be dropped.
    const dc = dce(cond);
    const knownCond = { ...dc, inputs: [...pick(dc.inputs.slice(0, nc), ucc, false), ...pick(dc.inputs.slice(nc), uk, false)] };
    const carry = e.inputs.slice(nc + nb);
    side.known(
      makeEqn(
        Primitive.WhileLoop,
        { cond: knownCond, body: knownBody, condConsts: nc, bodyConsts: ubc.filter((u) => !u).length },
        [...e.inputs.slice(0, nc), ...pick(e.inputs.slice(nc, nc + nb), ubc, false), ...pick(carry, uk, false)],
        pick(e.outputs, uk, false),
        e.loc,
      ),
    );
    const outs = e.outputs.map((o, i) => (uk[i] ? o : new Var(o.aval)));
    side.unknown(makeEqn(e.primitive, e.params, e.inputs.map(side.toUnknown), outs, e.loc));
    return uk;
  },

  [Primitive.Cond]: (e, unknownIn, side) => {
    if (unknownIn[0]) throw new Error('partialEval: a cond index cannot depend on tangents');
    const opsU = unknownIn.slice(1);
    const ops = e.inputs.slice(1);
    const { branches } = e.params;
    const outU = branches.map((br) => unknownOutputs(br, opsU)).reduce(or);
    const pes = branches.map((br) => partialEval(br, opsU, outU));
    const nKnownOut = outU.filter((u) => !u).length;
    const resAvals = pes.map((pe) => pe.known.outputs.slice(nKnownOut).map((v) => v.aval));
    const allRes = resAvals.flat();
    // Known branch i: its known outputs, then every branch's residuals (zeros for the others).
    const knownBranches = pes.map((pe, i) => {
      const b = new Builder();
      const ins = pe.known.inputs.map((v) => new Var(v.aval));
      const outs = b.inline(pe.known, ins);
      const res = resAvals.flatMap((avals, j) => (j === i ? outs.slice(nKnownOut) : avals.map((a) => b.zeros(a))));
      return b.func(`${branches[i]!.name}_known`, ins, [...outs.slice(0, nKnownOut), ...res]);
    });
    const resVars = allRes.map((a) => new Var(a));
    side.known(makeEqn(Primitive.Cond, { branches: knownBranches }, [e.inputs[0]!, ...pick(ops, opsU, false)], [...pick(e.outputs, outU, false), ...resVars], e.loc));
    // Unknown branch i: takes all residuals, uses its own.
    let offset = 0;
    const unknownBranches = pes.map((pe, i) => {
      const n = resAvals[i]!.length;
      let f = insertInputs(pe.unknown, allRes.slice(0, offset), 0);
      f = insertInputs(f, allRes.slice(offset + n), offset + n);
      offset += n;
      return { ...f, name: `${branches[i]!.name}_unknown` };
    });
    const uIns = [side.toUnknown(e.inputs[0]!), ...resVars.map(side.toUnknown), ...pick(ops, opsU, true).map(side.toUnknown)];
    side.unknown(makeEqn(Primitive.Cond, { branches: unknownBranches }, uIns, pick(e.outputs, outU, true), e.loc));
    return outU;
  },

  [Primitive.Scan]: (e, unknownIn, side) => {
    const { numConsts: nc, numCarry: nk, length, reverse, body } = e.params;
    const nx = e.inputs.length - nc - nk;
    const [cIn, kIn, xIn] = splitList(e.inputs, [nc, nk, nx]) as [Var[], Var[], Var[]];
    const { uc, uk, ux, outU } = scanUnknowns(e.params, unknownIn);
    const uy = outU.slice(nk);
    const pe = partialEval(body, [...uc, ...uk, ...ux], [...uk, ...uy]);
    const K = pe.known;
    const nKnownOut = K.outputs.length - pe.numResiduals;
    const kcN = uc.filter((u) => !u).length, kkN = uk.filter((u) => !u).length;
    const knownConstIns = K.inputs.slice(0, kcN);
    const knownXIns = K.inputs.slice(kcN + kkN);
    const outerKnownConsts = pick(cIn, uc, false);
    const outerKnownXs = pick(xIn, ux, false);
    // Residuals that are loop-invariant consts or scanned inputs are passed as they are;
    // the others are stacked as extra outputs of the known scan.
    type Res = { kind: 'const' | 'xs'; outer: Var } | { kind: 'stacked'; index: number };
    const res: Res[] = [];
    const stacked: Var[] = [];
    for (const r of K.outputs.slice(nKnownOut)) {
      const ci = knownConstIns.indexOf(r), xi = knownXIns.indexOf(r);
      if (ci >= 0) res.push({ kind: 'const', outer: outerKnownConsts[ci]! });
      else if (xi >= 0) res.push({ kind: 'xs', outer: outerKnownXs[xi]! });
      else {
        res.push({ kind: 'stacked', index: stacked.length });
        stacked.push(r);
      }
    }
    const knownBody: Func = { ...K, name: `${body.name}_known`, outputs: [...K.outputs.slice(0, nKnownOut), ...stacked] };
    const stackedVars = stacked.map((v) => new Var(aval([length, ...v.aval.shape], v.aval.dtype)));
    side.known(
      makeEqn(
        Primitive.Scan,
        { body: knownBody, length, reverse, numConsts: kcN, numCarry: kkN },
        [...outerKnownConsts, ...pick(kIn, uk, false), ...outerKnownXs],
        [...pick(e.outputs.slice(0, nk), uk, false), ...pick(e.outputs.slice(nk), uy, false), ...stackedVars],
        e.loc,
      ),
    );
    // Unknown body inputs are [res..., uc, uk, ux]; reorder to [const res, uc | uk | stacked, xs res, ux].
    const nRes = res.length;
    const ucN = uc.filter(Boolean).length, ukN = uk.filter(Boolean).length, uxN = ux.filter(Boolean).length;
    const constRes = res.flatMap((r, i) => (r.kind === 'const' ? [i] : []));
    const stackRes = res.flatMap((r, i) => (r.kind === 'stacked' ? [i] : []));
    const xsRes = res.flatMap((r, i) => (r.kind === 'xs' ? [i] : []));
    const order = [...constRes, ...span(nRes, ucN), ...span(nRes + ucN, ukN), ...stackRes, ...xsRes, ...span(nRes + ucN + ukN, uxN)];
    const unknownBody = { ...permuteInputs(pe.unknown, order), name: `${body.name}_unknown` };
    const outerOf = (i: number) => {
      const r = res[i]!;
      return r.kind === 'stacked' ? stackedVars[r.index]! : r.outer;
    };
    const operands = [
      ...constRes.map(outerOf), ...pick(cIn, uc, true), ...pick(kIn, uk, true), ...stackRes.map(outerOf), ...xsRes.map(outerOf), ...pick(xIn, ux, true),
    ].map(side.toUnknown);
    side.unknown(
      makeEqn(
        Primitive.Scan,
        { body: unknownBody, length, reverse, numConsts: constRes.length + ucN, numCarry: ukN },
        operands,
        [...pick(e.outputs.slice(0, nk), uk, true), ...pick(e.outputs.slice(nk), uy, true)],
        e.loc,
      ),
    );
    return [...uk, ...uy];
  },

  // After jvp these calls are inlined; with unknown inputs otherwise, they are not linear.
  [Primitive.CustomJvpCall]: (e) => {
    throw new Error(`partialEval: ${e.primitive} with unknown inputs (it should have been differentiated first)`);
  },
  [Primitive.CustomVjpCall]: (e) => {
    throw new Error(`partialEval: ${e.primitive} with unknown inputs (it should have been differentiated first)`);
  },
};
