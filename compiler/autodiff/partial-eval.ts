// Partial evaluation: splits a function, given which inputs are known now, into a "known"
// function of the known inputs and an "unknown" function of residuals and unknown inputs.
// Applied to a JVP function with the tangents unknown, it is JAX's linearize: the unknown
// part is linear in the tangents.
import { makeEqn, Var, type Eqn, type Func } from '../ir/ir.ts';
import { isControl, Primitive, type ControlOp } from '../ir/primitives.ts';
import { controlPartialEvalRules, controlUnknownOutputs, type ControlPartialEvalRule } from './control-flow-pe.ts';
import { dce } from '../passes/dce.ts';

export interface PartialEvalResult {
  /** Known inputs -> (outputs not in `unknownOutputs`..., residuals...). */
  known: Func;
  /** (residuals..., unknown inputs...) -> outputs in `unknownOutputs`. */
  unknown: Func;
  numResiduals: number;
}

// Cheap equations of constants are recomputed on the unknown side instead of being passed
// over as residuals (a broadcast zero would otherwise cost a whole buffer).
const REPLICABLE = new Set<Primitive>([
  Primitive.Constant, Primitive.Iota, Primitive.BroadcastInDim, Primitive.Reshape, Primitive.Convert,
]);

export function partialEval(fn: Func, unknownInputs: readonly boolean[], unknownOutputs: readonly boolean[]): PartialEvalResult {
  const unknown = new Set<Var>(fn.inputs.filter((_, i) => unknownInputs[i]));
  const replicable = new Set<Var>();
  const knownEqns: Eqn[] = [];
  const unknownEqns: Eqn[] = [];
  // Known vars used on the unknown side become residuals (or replicas of constants).
  const residuals: Var[] = [];
  const residualOf = new Map<Var, Var>();
  const replicaOf = new Map<Var, Var>();
  const constEqn = new Map<Var, Eqn>();

  const unknownSide = (v: Var): Var => {
    if (unknown.has(v)) return v;
    const r = replicaOf.get(v);
    if (r) return r;
    if (replicable.has(v)) {
      const e = constEqn.get(v)!;
      const ins = e.inputs.map(unknownSide);
      const outs = e.outputs.map((o) => new Var(o.aval));
      unknownEqns.push(makeEqn(e.primitive, e.params as never, ins, outs, e.loc));
      e.outputs.forEach((o, i) => replicaOf.set(o, outs[i]!));
      return replicaOf.get(v)!;
    }
    let res = residualOf.get(v);
    if (!res) {
      res = new Var(v.aval);
      residualOf.set(v, res);
      residuals.push(v);
    }
    return res;
  };

  for (const e of fn.eqns) {
    if (isControl(e.primitive) && e.inputs.some((v) => unknown.has(v))) {
      const rule = controlPartialEvalRules[e.primitive] as ControlPartialEvalRule<ControlOp>;
      const outU = rule(e as never, e.inputs.map((v) => unknown.has(v)), {
        known: (k) => knownEqns.push(k),
        unknown: (u) => unknownEqns.push(u),
        toUnknown: unknownSide,
      });
      e.outputs.forEach((o, i) => outU[i] && unknown.add(o));
    } else if (e.inputs.some((v) => unknown.has(v))) {
      const ins = e.inputs.map(unknownSide);
      unknownEqns.push(makeEqn(e.primitive, e.params as never, ins, e.outputs, e.loc));
      for (const o of e.outputs) unknown.add(o);
    } else {
      knownEqns.push(e);
      if (REPLICABLE.has(e.primitive) && e.inputs.every((v) => replicable.has(v))) {
        for (const o of e.outputs) {
          replicable.add(o);
          constEqn.set(o, e);
        }
      }
    }
  }
  const knownOuts = fn.outputs.filter((_, i) => !unknownOutputs[i]);
  for (const v of knownOuts) {
    if (unknown.has(v)) throw new Error(`partialEval: output ${fn.outputs.indexOf(v)} depends on unknown inputs`);
  }
  const unknownOuts = fn.outputs.filter((_, i) => unknownOutputs[i]).map(unknownSide);
  const unknownIns = fn.inputs.filter((_, i) => unknownInputs[i]);
  const knownFn = dce({
    name: `${fn.name}_known`,
    inputs: fn.inputs.filter((_, i) => !unknownInputs[i]),
    eqns: knownEqns,
    outputs: [...knownOuts, ...residuals],
  });
  const unknownFn = dce({
    name: `${fn.name}_unknown`,
    inputs: [...residuals.map((r) => residualOf.get(r)!), ...unknownIns],
    eqns: unknownEqns,
    outputs: unknownOuts,
  });
  return { known: knownFn, unknown: unknownFn, numResiduals: residuals.length };
}

/**
 * Which outputs of fn are unknown after partial evaluation with the given unknown inputs. It
 * must agree with partialEval exactly, so it looks into nested control flow the same way.
 */
export function unknownOutputs(fn: Func, unknownInputs: readonly boolean[]): boolean[] {
  const unknown = new Set<Var>(fn.inputs.filter((_, i) => unknownInputs[i]));
  for (const e of fn.eqns) {
    const ins = e.inputs.map((v) => unknown.has(v));
    if (!ins.some(Boolean)) continue;
    const outs = isControl(e.primitive) ? controlUnknownOutputs(e, ins) : e.outputs.map(() => true);
    e.outputs.forEach((o, i) => outs[i] && unknown.add(o));
  }
  return fn.outputs.map((o) => unknown.has(o));
}
