// Common-subexpression elimination: an equation equal to an earlier one (same primitive,
// params and operands) reuses its outputs. Regions are compared by identity.
import type { Eqn, Func, Var } from '../ir/ir.ts';
import { isControl } from '../ir/primitives.ts';
import { rewrite } from './rewrite.ts';

const ids = new WeakMap<object, number>();
let nextId = 0;
function idOf(o: object): number {
  let i = ids.get(o);
  if (i === undefined) ids.set(o, (i = nextId++));
  return i;
}

function key(e: Eqn): string {
  const params = isControl(e.primitive) ? `#${idOf(e.params)}` : JSON.stringify(e.params);
  return `${e.primitive}|${params}|${e.inputs.map(idOf).join(',')}`;
}

export function cse(fn: Func): Func {
  return rewrite(fn, () => {
    const seen = new Map<string, readonly Var[]>();
    return (e) => {
      const k = key(e);
      const prev = seen.get(k);
      if (prev) return [...prev];
      seen.set(k, e.outputs);
      return undefined;
    };
  });
}
