// The shared machinery of rewrite passes: walk the equations in order, let a rule replace
// each one by existing values or by new equations (through a Builder), substitute the
// replacements in everything after, and recurse into control-flow regions.
import { Builder } from '../ir/builder.ts';
import { makeEqn, type Eqn, type Func, type Var } from '../ir/ir.ts';
import { paramSchema } from '../ir/param-schema.ts';

/**
 * A rule sees an equation whose inputs are already substituted. It returns the values that
 * replace the equation's outputs (emitting any new equations into `b`), or undefined to keep it.
 */
export type RewriteRule = (e: Eqn, b: Builder) => Var[] | undefined;

/** Applies `f` to every region (sub-function) of an equation; the same equation if it has none. */
export function mapRegions(e: Eqn, f: (fn: Func) => Func): Eqn {
  const schema = paramSchema(e.primitive);
  let params: Record<string, unknown> | undefined;
  for (const [name, kind] of Object.entries(schema)) {
    if (kind !== 'func' && kind !== 'funcs') continue;
    params ??= { ...(e.params as Record<string, unknown>) };
    const v = params[name];
    params[name] = kind === 'func' ? f(v as Func) : (v as Func[]).map(f);
  }
  return params ? makeEqn(e.primitive, params as never, e.inputs, e.outputs, e.loc) : e;
}

/**
 * Rewrites fn, recursing into regions first. `makeRule` is called once per function (the
 * top level and each region), so rules may keep per-function state: regions are closed and
 * must never see values of the enclosing function.
 */
export function rewrite(fn: Func, makeRule: () => RewriteRule): Func {
  const rule = makeRule();
  const b = new Builder();
  const subst = new Map<Var, Var>();
  const get = (v: Var) => subst.get(v) ?? v;
  for (const e0 of fn.eqns) {
    let e = mapRegions(e0, (r) => rewrite(r, makeRule));
    e = makeEqn(e.primitive, e.params as never, e.inputs.map(get), e.outputs, e.loc);
    b.loc = e.loc;
    const repl = rule(e, b);
    if (repl) e.outputs.forEach((o, i) => subst.set(o, repl[i]!));
    else b.eqns.push(e);
  }
  return { ...fn, eqns: b.eqns, outputs: fn.outputs.map(get) };
}
