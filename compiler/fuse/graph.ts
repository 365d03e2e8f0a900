// Use-def facts about one function level that fusion decisions read: where each value is
// defined, which equations use it, which equations are live, and each equation's role.
import type { Eqn, Func, Var } from '../ir/ir.ts';
import { roleOf, type Role } from './classify.ts';

export interface Graph {
  readonly fn: Func;
  readonly eqns: readonly Eqn[];
  /** Index of the equation defining each equation result (function inputs are absent). */
  readonly def: ReadonlyMap<Var, number>;
  /** Indices of the live equations using each value: ascending, each once. */
  readonly uses: ReadonlyMap<Var, readonly number[]>;
  readonly isOutput: ReadonlySet<Var>;
  /** Whether some result of the equation is needed (an optimised function has no dead code). */
  readonly live: readonly boolean[];
  readonly role: readonly Role[];
}

export function analyse(fn: Func): Graph {
  const eqns = fn.eqns;
  const isOutput = new Set(fn.outputs);
  const needed = new Set<Var>(fn.outputs);
  const live = new Array<boolean>(eqns.length).fill(false);
  for (let i = eqns.length - 1; i >= 0; i--) {
    const e = eqns[i]!;
    if (!e.outputs.some((o) => needed.has(o))) continue;
    live[i] = true;
    for (const v of e.inputs) needed.add(v);
  }
  const def = new Map<Var, number>();
  const uses = new Map<Var, number[]>();
  eqns.forEach((e, i) => {
    e.outputs.forEach((o) => def.set(o, i));
    if (!live[i]) return;
    for (const v of e.inputs) {
      let u = uses.get(v);
      if (!u) uses.set(v, (u = []));
      if (u[u.length - 1] !== i) u.push(i);
    }
  });
  return { fn, eqns, def, uses, isOutput, live, role: eqns.map((e) => roleOf(e.primitive)) };
}

export function usesOf(g: Graph, v: Var): readonly number[] {
  return g.uses.get(v) ?? [];
}
