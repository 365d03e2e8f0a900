// Transposition of linear functions: from f(res, x) linear in x, builds
// f^T(res, ct_y) = ct_x. Equations that do not touch linear values are replayed forward;
// linear ones are walked backwards, accumulating cotangents.
import { Builder } from '../ir/builder.ts';
import { Var, type Func } from '../ir/ir.ts';
import { isControl, Primitive, type ControlOp } from '../ir/primitives.ts';
import { controlTransposeRules, type ControlTransposeRule } from './control-flow-transpose.ts';
import { dce } from '../passes/dce.ts';
import { isLinearPrimitive, transposeRules, type TransposeRule } from './transpose-rules.ts';

/**
 * @param linearInputs which inputs of `lin` are linear; the others are residuals.
 * @returns a function of (residual inputs..., output cotangents...) giving the cotangents of
 *   the linear inputs, in order.
 */
export function transposeFunc(lin: Func, linearInputs: readonly boolean[]): Func {
  const b = new Builder();
  const env = new Map<Var, Var>();
  const residualIns = lin.inputs.filter((_, i) => !linearInputs[i]).map((v) => {
    const n = new Var(v.aval);
    env.set(v, n);
    return n;
  });
  const linear = new Set<Var>(lin.inputs.filter((_, i) => linearInputs[i]));
  const get = (v: Var) => env.get(v) ?? v;
  // Forward: replay what does not depend on linear values; mark the rest.
  const linearEqns = [];
  for (const e of lin.eqns) {
    if (e.inputs.some((v) => linear.has(v))) {
      for (const o of e.outputs) linear.add(o);
      linearEqns.push(e);
    } else {
      b.loc = e.loc;
      const outs = b.emit(e.primitive, e.params as never, e.inputs.map(get));
      e.outputs.forEach((o, i) => env.set(o, outs[i]!));
    }
  }
  // Backward.
  const ct = new Map<Var, Var>();
  const addCt = (v: Var, c: Var) => {
    const prev = ct.get(v);
    ct.set(v, prev ? b.add(prev, c) : c);
  };
  const ctIns = lin.outputs.map((o) => {
    const c = new Var(o.aval);
    if (linear.has(o)) addCt(o, c);
    return c;
  });
  for (let i = linearEqns.length - 1; i >= 0; i--) {
    const e = linearEqns[i]!;
    const linMask = e.inputs.map((v) => linear.has(v));
    if (e.primitive === Primitive.CustomLin) {
      // The user's bwd: (residuals, output cotangents) -> arg cotangents.
      const cOuts = e.outputs.map((o) => ct.get(o));
      if (cOuts.every((c) => !c)) continue;
      b.loc = e.loc;
      const res = e.inputs.slice(0, e.params.numRes).map(get);
      const cIns = b.inline(e.params.bwd, [...res, ...cOuts.map((c, j) => c ?? b.zeros(e.outputs[j]!.aval))]);
      e.inputs.slice(e.params.numRes).forEach((v, j) => linear.has(v) && addCt(v, cIns[j]!));
      continue;
    }
    if (isControl(e.primitive)) {
      const cOuts = e.outputs.map((o) => ct.get(o) ?? null);
      if (cOuts.every((c) => c === null)) continue;
      b.loc = e.loc;
      const rule = controlTransposeRules[e.primitive] as ControlTransposeRule<ControlOp>;
      const cIns = rule(b, e.params as never, e.inputs.map(get), linMask, cOuts, e.outputs.map(get));
      e.inputs.forEach((v, j) => {
        const c = cIns[j];
        if (c && linear.has(v)) addCt(v, c);
      });
      continue;
    }
    const cOut = ct.get(e.outputs[0]!);
    if (!cOut) continue;
    if (!isLinearPrimitive(e.primitive)) {
      throw new Error(`transpose: ${e.primitive} has no transpose rule (it is not linear)`);
    }
    b.loc = e.loc;
    const rule = transposeRules[e.primitive] as TransposeRule<Primitive>;
    const cIns = rule(b, e.params as never, e.inputs.map(get), e.inputs.map((v) => linear.has(v)), cOut);
    e.inputs.forEach((v, j) => {
      const c = cIns[j];
      if (c && linear.has(v)) addCt(v, c);
    });
  }
  b.loc = undefined;
  const outs = lin.inputs.filter((_, i) => linearInputs[i]).map((v) => ct.get(v) ?? b.zeros(v.aval));
  return dce(b.func(`transpose_${lin.name}`, [...residualIns, ...ctIns], outs));
}
