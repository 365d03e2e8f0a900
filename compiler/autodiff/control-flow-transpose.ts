// Transposition of linear control flow: a cond transposes branch by branch; a scan becomes a
// scan in the opposite direction whose carry holds the cotangents of the carry and of the
// linear loop-invariant inputs, and whose outputs are the cotangents of the scanned inputs.
import { Builder } from '../ir/builder.ts';
import { TraceError } from '../ir/errors.ts';
import { splitList } from '../ir/func-utils.ts';
import { aval, locToString, Var } from '../ir/ir.ts';
import { Primitive, type ControlOp, type PrimitiveParams } from '../ir/primitives.ts';
import { transposeFunc } from './transpose.ts';

export type ControlTransposeRule<P extends ControlOp> = (
  b: Builder,
  params: PrimitiveParams[P],
  inputs: readonly Var[],
  linear: readonly boolean[],
  cts: readonly (Var | null)[],
  outputs: readonly Var[],
) => (Var | null)[];

export const controlTransposeRules: { [P in ControlOp]: ControlTransposeRule<P> } = {
  [Primitive.WhileLoop]: (b) => {
    throw new TraceError(
      `reverse-mode differentiation through whileLoop is not supported (its trip count is only known at run time)` +
        `${b.loc ? ` at ${locToString(b.loc)}` : ''}; use k.forLoop with a static trip count, or k.scan`,
    );
  },

  [Primitive.Cond]: (b, p, inputs, linear, cts, outputs) => {
    const lin = linear.slice(1);
    const ops = inputs.slice(1);
    const ctVals = cts.map((c, i) => c ?? b.zeros(outputs[i]!.aval));
    const branches = p.branches.map((br) => transposeFunc(br, lin));
    const res = b.emit(Primitive.Cond, { branches }, [inputs[0]!, ...ops.filter((_, i) => !lin[i]), ...ctVals]);
    let k = 0;
    return [null, ...lin.map((l) => (l ? res[k++]! : null))];
  },

  [Primitive.Scan]: (b, p, inputs, linear, cts, outputs) => {
    const { numConsts: nc, numCarry: nk, length } = p;
    const nx = inputs.length - nc - nk;
    const [cIn, kIn, xIn] = splitList(inputs, [nc, nk, nx]) as [Var[], Var[], Var[]];
    const [lc, lk, lx] = splitList(linear, [nc, nk, nx]) as [boolean[], boolean[], boolean[]];
    // The body is linear in every carry; a carry may still start from a constant (a zero
    // tangent), which gets no cotangent.
    const lkIn = [...lk];
    const bodyLinear = [...lc, ...lk.map(() => true), ...lx];
    const ctK = cts.slice(0, nk).map((c, i) => c ?? b.zeros(outputs[i]!.aval));
    const ctY = cts.slice(nk).map((c, i) => c ?? b.zeros(outputs[nk + i]!.aval));
    // Body transposed: (nonlinear consts, nonlinear x slices, ct carry', ct y slices) -> (ct lin consts, ct carry, ct lin x slices)
    const tb = transposeFunc(p.body, bodyLinear);
    const nlc = lc.filter((l) => !l).length;
    const linC = cIn.filter((_, i) => lc[i]), nLinC = linC.length;
    const nLinX = lx.filter(Boolean).length;
    // New body: (nl consts | ct lin consts acc, ct carry | nl x slices, ct y slices) -> (acc', ct carry | ct lin x slices)
    const bb = new Builder();
    const nlConsts = cIn.filter((_, i) => !lc[i]).map((v) => new Var(v.aval));
    const acc = linC.map((v) => new Var(v.aval));
    const ctCarry = kIn.map((v) => new Var(v.aval));
    const nlX = xIn.filter((_, i) => !lx[i]).map((v) => new Var(aval(v.aval.shape.slice(1), v.aval.dtype)));
    const ctYs = p.body.outputs.slice(nk).map((v) => new Var(v.aval));
    const r = bb.inline(tb, [...nlConsts, ...nlX, ...ctCarry, ...ctYs]);
    const [rc, rk, rx] = splitList(r, [nLinC, nk, nLinX]) as [Var[], Var[], Var[]];
    const body = bb.func(`${p.body.name}_transpose`, [...nlConsts, ...acc, ...ctCarry, ...nlX, ...ctYs], [
      ...acc.map((a, i) => bb.add(a, rc[i]!)), ...rk, ...rx,
    ]);
    const outs = b.emit(
      Primitive.Scan,
      { body, length, reverse: !p.reverse, numConsts: nlc, numCarry: nLinC + nk },
      [...cIn.filter((_, i) => !lc[i]), ...linC.map((v) => b.zeros(v.aval)), ...ctK, ...xIn.filter((_, i) => !lx[i]), ...ctY],
    );
    const [oc, ok, ox] = splitList(outs, [nLinC, nk, nLinX]) as [Var[], Var[], Var[]];
    let ic = 0, ix = 0;
    return [...lc.map((l) => (l ? oc[ic++]! : null)), ...ok.map((c, i) => (lkIn[i] ? c : null)), ...lx.map((l) => (l ? ox[ix++]! : null))];
  },

  [Primitive.CustomJvpCall]: () => {
    throw new Error('transpose: custom_jvp_call is not linear');
  },
  [Primitive.CustomVjpCall]: () => {
    throw new Error('transpose: custom_vjp_call is not linear');
  },
};
