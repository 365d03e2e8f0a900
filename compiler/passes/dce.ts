// Dead-code elimination: drops equations whose outputs nothing uses, in regions too. Every
// primitive is pure, so an unused equation can always go.
import type { Eqn, Func, Var } from '../ir/ir.ts';
import { mapRegions } from './rewrite.ts';

export function dce(fn: Func): Func {
  const live = new Set<Var>(fn.outputs);
  const kept: Eqn[] = [];
  let changed = false;
  for (let i = fn.eqns.length - 1; i >= 0; i--) {
    let e = fn.eqns[i]!;
    if (!e.outputs.some((o) => live.has(o))) {
      changed = true;
      continue;
    }
    const before = e;
    e = mapRegions(e, dce);
    if (e !== before) changed = true;
    kept.push(e);
    for (const v of e.inputs) live.add(v);
  }
  kept.reverse();
  return changed ? { ...fn, eqns: kept } : fn;
}
