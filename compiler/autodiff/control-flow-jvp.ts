// Forward-mode rules of the control-flow primitives: the region bodies are transformed by
// jvpFunc and the primitive is emitted once, computing primal and tangent values together.
import type { Builder } from '../ir/builder.ts';
import { isFloat } from '../ir/dtype.ts';
import { insertInputs, permuteInputs, permuteOutputs, span, splitList } from '../ir/func-utils.ts';
import type { Var } from '../ir/ir.ts';
import { Primitive, type ControlOp, type PrimitiveParams } from '../ir/primitives.ts';
import { jvpFunc } from './jvp.ts';
import { instantiate, type Tangent } from './jvp-rules.ts';

/** A control-flow rule returns the primal outputs as well: it emits the primitive itself. */
export type ControlJvpRule<P extends ControlOp> = (
  b: Builder,
  params: PrimitiveParams[P],
  x: readonly Var[],
  t: readonly Tangent[],
) => { y: Var[]; t: Tangent[] };

const floatMask = (vs: readonly Var[]) => vs.map((v) => isFloat(v.aval.dtype));

export const controlJvpRules: { [P in ControlOp]: ControlJvpRule<P> } = {
  [Primitive.Cond]: (b, p, x, t) => {
    const ops = x.slice(1);
    const ts = t.slice(1);
    const mask = ts.map((u) => u !== null);
    const branches = p.branches.map((br) => jvpFunc(br, { wrt: mask }));
    const outs = b.emit(Primitive.Cond, { branches }, [x[0]!, ...ops, ...ts.filter((u): u is Var => u !== null)]);
    const n = p.branches[0]!.outputs.length;
    const y = outs.slice(0, n);
    return { y, t: outs.slice(n).map((u, i) => (isFloat(y[i]!.aval.dtype) ? u : null)) };
  },

  [Primitive.WhileLoop]: (b, p, x, t) => {
    const { condConsts: nc, bodyConsts: nb } = p;
    const [cc, bc, carry] = splitList(x, [nc, nb, x.length - nc - nb]) as [Var[], Var[], Var[]];
    const [, tbc, tcarry] = splitList(t, [nc, nb, x.length - nc - nb]) as [Tangent[], Tangent[], Tangent[]];
    const bcMask = tbc.map((u) => u !== null);
    // Every float carry gets a tangent: the body may make a zero tangent non-zero.
    const carryMask = floatMask(carry);
    const nk = carry.length;
    const ntb = bcMask.filter(Boolean).length;
    const ntk = carryMask.filter(Boolean).length;
    // jvpFunc gives inputs [bc, carry, tbc, tcarry]; the loop wants [bc, tbc | carry, tcarry].
    let body = jvpFunc(p.body, { wrt: [...bcMask, ...carryMask], outs: carryMask });
    body = permuteInputs(body, [...span(0, nb), ...span(nb + nk, ntb), ...span(nb, nk), ...span(nb + nk + ntb, ntk)]);
    const tanAvals = carry.filter((_, i) => carryMask[i]).map((v) => v.aval);
    const cond = insertInputs(p.cond, tanAvals, p.cond.inputs.length);
    const tInit = carry.flatMap((v, i) => (carryMask[i] ? [instantiate(b, tcarry[i]!, v)] : []));
    const outs = b.emit(Primitive.WhileLoop, { cond, body, condConsts: nc, bodyConsts: nb + ntb }, [
      ...cc, ...bc, ...tbc.filter((u): u is Var => u !== null), ...carry, ...tInit,
    ]);
    const y = outs.slice(0, nk);
    let k = nk;
    return { y, t: carryMask.map((m) => (m ? outs[k++]! : null)) };
  },

  [Primitive.Scan]: (b, p, x, t) => {
    const { numConsts: nc, numCarry: nk } = p;
    const nx = x.length - nc - nk;
    const [consts, carry, xs] = splitList(x, [nc, nk, nx]) as [Var[], Var[], Var[]];
    const [tc, tk, tx] = splitList(t, [nc, nk, nx]) as [Tangent[], Tangent[], Tangent[]];
    const cMask = tc.map((u) => u !== null);
    const kMask = floatMask(carry);
    const xMask = tx.map((u) => u !== null);
    const ny = p.body.outputs.length - nk;
    const yMask = floatMask(p.body.outputs.slice(nk));
    const ntc = cMask.filter(Boolean).length, ntk = kMask.filter(Boolean).length, ntx = xMask.filter(Boolean).length;
    const nty = yMask.filter(Boolean).length;
    let body = jvpFunc(p.body, { wrt: [...cMask, ...kMask, ...xMask], outs: [...kMask, ...yMask] });
    // inputs [c, k, x, tc, tk, tx] -> [c, tc, k, tk, x, tx]; outputs [k', y, tk', ty] -> [k', tk', y, ty]
    const n = nc + nk + nx;
    body = permuteInputs(body, [
      ...span(0, nc), ...span(n, ntc), ...span(nc, nk), ...span(n + ntc, ntk), ...span(nc + nk, nx), ...span(n + ntc + ntk, ntx),
    ]);
    body = permuteOutputs(body, [...span(0, nk), ...span(nk + ny, ntk), ...span(nk, ny), ...span(nk + ny + ntk, nty)]);
    const tInit = carry.flatMap((v, i) => (kMask[i] ? [instantiate(b, tk[i]!, v)] : []));
    const outs = b.emit(
      Primitive.Scan,
      { body, length: p.length, reverse: p.reverse, numConsts: nc + ntc, numCarry: nk + ntk },
      [...consts, ...tc.filter((u): u is Var => u !== null), ...carry, ...tInit, ...xs, ...tx.filter((u): u is Var => u !== null)],
    );
    const [yk, ytk, yy, yty] = splitList(outs, [nk, ntk, ny, nty]) as [Var[], Var[], Var[], Var[]];
    let i = 0, j = 0;
    return {
      y: [...yk, ...yy],
      t: [...kMask.map((m) => (m ? ytk[i++]! : null)), ...yMask.map((m) => (m ? yty[j++]! : null))],
    };
  },

  // The user's rule replaces the body: inline it (consts get no tangents).
  [Primitive.CustomJvpCall]: (b, p, x, t) => {
    const args = x.slice(p.numConsts);
    const ts = t.slice(p.numConsts).map((u, i) => instantiate(b, u, args[i]!));
    const outs = b.inline(p.jvp, [...x, ...ts]);
    const n = p.body.outputs.length;
    const y = outs.slice(0, n);
    return { y, t: outs.slice(n).map((u, i) => (isFloat(y[i]!.aval.dtype) ? u : null)) };
  },

  // Forward pass with residuals, then a linear custom_lin whose transpose is the user's bwd.
  [Primitive.CustomVjpCall]: (b, p, x, t) => {
    const n = p.body.outputs.length;
    const outs = b.inline(p.fwd, x);
    const y = outs.slice(0, n);
    const res = outs.slice(n);
    const args = x.slice(p.numConsts);
    const ts = t.slice(p.numConsts).map((u, i) => instantiate(b, u, args[i]!));
    const tys = b.emit(Primitive.CustomLin, { bwd: p.bwd, numRes: res.length }, [...res, ...ts]);
    return { y, t: tys.map((u, i) => (isFloat(y[i]!.aval.dtype) ? u : null)) };
  },
};
