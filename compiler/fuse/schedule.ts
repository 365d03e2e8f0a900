// The order of a level's steps: a topological order of the kernels and control steps (a step
// runs after the steps writing what it reads). Among the steps ready to run, the earliest in
// source order goes first, except that an update (a step reading input x and writing a
// program output of x's type, as an optimiser writes a new weight) waits while another step
// that reads x and does not depend on it is still to run: then x's last read comes no later
// than the update, so the memory planner can write the update into x's buffer when x is
// donated.
import { sameAval, type Var } from '../ir/ir.ts';

export interface SchedNode {
  readonly reads: readonly Var[];
  readonly writes: readonly Var[];
  /** Position in source order. */
  readonly anchor: number;
}

export function schedule(nodes: readonly SchedNode[], inputs: readonly Var[], outputs: readonly Var[]): number[] {
  const writer = new Map<Var, number>();
  nodes.forEach((n, i) => n.writes.forEach((w) => writer.set(w, i)));
  const succs = nodes.map((): number[] => []);
  const waiting = nodes.map((n, i) => {
    const ps = new Set<number>();
    for (const v of n.reads) {
      const w = writer.get(v);
      if (w !== undefined && w !== i) ps.add(w);
    }
    for (const p of ps) succs[p]!.push(i);
    return ps.size;
  });

  // Updates: node -> the inputs it updates; readers of each input.
  const isInput = new Set(inputs);
  const readers = new Map<Var, number[]>();
  nodes.forEach((n, i) => n.reads.forEach((v) => isInput.has(v) && readers.set(v, [...(readers.get(v) ?? []), i])));
  const outs = nodes.map((n) => n.writes.filter((w) => outputs.includes(w)));
  const updates = nodes.map((n, i) => n.reads.filter((x) => isInput.has(x) && outs[i]!.some((o) => sameAval(o.aval, x.aval))));
  const done = new Set<number>();
  const reachable = (from: number): Set<number> => {
    const seen = new Set<number>();
    const stack = [from];
    while (stack.length) for (const s of succs[stack.pop()!]!) if (!seen.has(s)) seen.add(s), stack.push(s);
    return seen;
  };
  const deferred = (i: number): boolean => {
    if (!updates[i]!.length) return false;
    const after = reachable(i);
    return updates[i]!.some((x) => readers.get(x)!.some((r) => r !== i && !done.has(r) && !after.has(r)));
  };

  const ready = nodes.map((_, i) => i).filter((i) => waiting[i] === 0);
  const order: number[] = [];
  while (ready.length) {
    ready.sort((a, b) => nodes[a]!.anchor - nodes[b]!.anchor);
    const at = Math.max(0, ready.findIndex((i) => !deferred(i)));
    const i = ready.splice(at, 1)[0]!;
    order.push(i);
    done.add(i);
    for (const s of succs[i]!) if (--waiting[s]! === 0) ready.push(s);
  }
  if (order.length !== nodes.length) throw new Error('fuse: internal error: kernels depend on each other cyclically');
  return order;
}
