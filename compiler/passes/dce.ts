// Dead-code elimination: drops equations whose outputs nothing uses. Every primitive is pure,
// so an unused equation can always go.
import type { Func, Var } from '../ir/ir.ts';

export function dce(fn: Func): Func {
  const live = new Set<Var>(fn.outputs);
  const kept = [];
  for (let i = fn.eqns.length - 1; i >= 0; i--) {
    const e = fn.eqns[i]!;
    if (!e.outputs.some((o) => live.has(o))) continue;
    kept.push(e);
    for (const v of e.inputs) live.add(v);
  }
  kept.reverse();
  return kept.length === fn.eqns.length ? fn : { ...fn, eqns: kept };
}
