// Cones (the equations a kernel computes, back to the buffers it reads) and their closure into
// a kernel func with fresh Vars.
import { makeEqn, Var, type Eqn, type Func } from '../ir/ir.ts';
import type { Graph } from './graph.ts';

/**
 * The equations needed to compute `roots`, walking back through producers and stopping at
 * function inputs and at buffers that `owns` does not claim (those the kernel reads). Sorted.
 */
export function coneOf(g: Graph, roots: readonly Var[], isBuffer: (v: Var) => boolean, owns: (v: Var) => boolean): number[] {
  const cone = new Set<number>();
  const stack = [...roots];
  while (stack.length) {
    const v = stack.pop()!;
    const d = g.def.get(v);
    if (d === undefined || cone.has(d) || (isBuffer(v) && !owns(v))) continue;
    cone.add(d);
    stack.push(...g.eqns[d]!.inputs);
  }
  return [...cone].sort((a, b) => a - b);
}

/**
 * The cone with the equations that `root` (an equation of the cone) depends on first, then
 * `root`, then the rest (its epilogue), each part in source order: a reduce or matmul kernel's
 * func reads as prologue, root, epilogue.
 */
export function rootFirst(g: Graph, cone: readonly number[], root: number): number[] {
  const inCone = new Set(cone);
  const before = new Set<number>([root]);
  const stack = [root];
  while (stack.length) {
    for (const v of g.eqns[stack.pop()!]!.inputs) {
      const d = g.def.get(v);
      if (d !== undefined && inCone.has(d) && !before.has(d)) {
        before.add(d);
        stack.push(d);
      }
    }
  }
  return [...cone.filter((i) => before.has(i)), ...cone.filter((i) => !before.has(i))];
}

/** Values the cone's equations use but do not define: the buffers read, in first-use order. */
export function readsOf(g: Graph, cone: readonly number[]): Var[] {
  const defined = new Set<Var>(cone.flatMap((i) => g.eqns[i]!.outputs));
  const reads: Var[] = [];
  const seen = new Set<Var>();
  for (const i of cone) {
    for (const v of g.eqns[i]!.inputs) {
      if (defined.has(v) || seen.has(v)) continue;
      seen.add(v);
      reads.push(v);
    }
  }
  return reads;
}

/**
 * The cone as a closed func: its inputs stand for `reads` (in that order), its outputs for
 * `writes`; every value is a fresh Var, so kernels never share Vars with each other or with
 * the source function.
 */
export function closeCone(g: Graph, name: string, cone: readonly number[], reads: readonly Var[], writes: readonly Var[]): Func {
  const rename = new Map<Var, Var>();
  const inputs = reads.map((v) => {
    const r = new Var(v.aval);
    rename.set(v, r);
    return r;
  });
  const eqns: Eqn[] = cone.map((i) => {
    const e = g.eqns[i]!;
    const ins = e.inputs.map((v) => rename.get(v)!);
    const outs = e.outputs.map((o) => {
      const r = new Var(o.aval);
      rename.set(o, r);
      return r;
    });
    return makeEqn(e.primitive, e.params as never, ins, outs, e.loc);
  });
  return { name, inputs, eqns, outputs: writes.map((v) => rename.get(v)!) };
}
