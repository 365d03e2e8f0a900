// The JVP transformation of IR functions: f(x) -> (f(x), df(x)[dx]) as one new function.
import { Builder } from '../ir/builder.ts';
import { isFloat } from '../ir/dtype.ts';
import { Var, type Func } from '../ir/ir.ts';
import { instantiate, jvpRules, type JvpRule, type Tangent } from './jvp-rules.ts';
import { isControl, type ControlOp, type Primitive } from '../ir/primitives.ts';
import { controlJvpRules, type ControlJvpRule } from './control-flow-jvp.ts';

export interface JvpOptions {
  /** Which inputs carry tangents (non-float inputs never do). Default: all. */
  wrt?: readonly boolean[];
  /** Which outputs get tangent outputs. Default: all. */
  outs?: readonly boolean[];
}

/**
 * Returns g(x..., dx...) = (y..., dy...): the primal outputs, then the tangents of the selected
 * outputs. `dx` has one input per input with a tangent, in order.
 */
export function jvpFunc(fn: Func, opts: JvpOptions = {}): Func {
  const b = new Builder();
  const primalIn = fn.inputs.map((v) => new Var(v.aval));
  const tangentIn = fn.inputs.map((v, i) => ((opts.wrt?.[i] ?? true) && isFloat(v.aval.dtype) ? new Var(v.aval) : null));
  const env = new Map<Var, Var>();
  const tenv = new Map<Var, Tangent>();
  fn.inputs.forEach((v, i) => {
    env.set(v, primalIn[i]!);
    tenv.set(v, tangentIn[i]!);
  });
  const get = (v: Var) => env.get(v) ?? v;
  for (const e of fn.eqns) {
    b.loc = e.loc;
    const xs = e.inputs.map(get);
    const ts = e.inputs.map((v) => tenv.get(v) ?? null);
    let ys: Var[];
    let tys: Tangent[];
    if (ts.every((t) => t === null)) {
      ys = b.emit(e.primitive, e.params as never, xs);
      e.outputs.forEach((o, i) => env.set(o, ys[i]!));
      continue;
    }
    if (isControl(e.primitive)) {
      ({ y: ys, t: tys } = (controlJvpRules[e.primitive] as ControlJvpRule<ControlOp>)(b, e.params as never, xs, ts));
    } else {
      ys = b.emit(e.primitive, e.params as never, xs);
      tys = (jvpRules[e.primitive] as JvpRule<Primitive>)(b, e.params as never, xs, ts, ys);
    }
    e.outputs.forEach((o, i) => env.set(o, ys[i]!));
    e.outputs.forEach((o, i) => tenv.set(o, isFloat(o.aval.dtype) ? tys[i]! : null));
  }
  b.loc = undefined;
  const outs = fn.outputs.map(get);
  const touts = fn.outputs.flatMap((o, i) => ((opts.outs?.[i] ?? true) ? [instantiate(b, tenv.get(o) ?? null, get(o))] : []));
  return b.func(`jvp_${fn.name}`, [...primalIn, ...tangentIn.filter((t): t is Var => t !== null)], [...outs, ...touts]);
}
