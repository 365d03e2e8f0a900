// Multi-output elementwise kernels. Materialised elementwise values are first one kernel
// each; two kernels then merge into one writing both outputs when
//   - their outputs have the same shape (an elementwise kernel has one iteration space),
//   - they share work: their cones have a common equation that costs something (not just a
//     constant, iota or view), or read a common buffer (horizontal fusion: one launch, one
//     load), or one kernel reads the other's output, and
//   - every read of the other's output is at the element's own index (only pointwise ops
//     between it and the output), so the merged kernel uses the value it just computed
//     instead of reading it back and never recomputes the other's cone at another index,
//   - merging creates no cycle between kernels (no path from one to the other through a
//     third kernel).
// Merging is greedy in definition order: each kernel joins every earlier compatible kernel. It saves the recomputation of the shared cone and a write/read round trip (an
// optimiser's m, v and w updates become one kernel).
import type { Var } from '../ir/ir.ts';
import { isPointwise, recomputeCost } from './classify.ts';
import type { Graph } from './graph.ts';

/** What merging needs of each group (every kernel or control step of the level). */
export interface MergeNode {
  readonly elementwise: boolean;
  readonly writes: readonly Var[];
  readonly reads: readonly Var[];
  readonly cone: readonly number[];
}

/** Whether every use of `vals` inside `cone` (transitively) is pointwise. */
function readsAtOwnIndex(g: Graph, cone: readonly number[], vals: ReadonlySet<Var>): boolean {
  const tainted = new Set(vals);
  for (const i of cone) {
    const e = g.eqns[i]!;
    if (!e.inputs.some((v) => tainted.has(v))) continue;
    if (!isPointwise(e.primitive)) return false;
    for (const o of e.outputs) tainted.add(o);
  }
  return true;
}

/** Groups nodes into clusters; returns, for each node, the index of its cluster's first node. */
export function mergeElementwise(g: Graph, nodes: readonly MergeNode[]): number[] {
  const parent = nodes.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]!]!;
    return i;
  };
  const members = new Map<number, number[]>(nodes.map((_, i) => [i, [i]]));
  const coneSet = new Map<number, Set<number>>(nodes.map((n, i) => [i, new Set(n.cone)]));
  const readers = new Map<Var, number[]>();
  nodes.forEach((n, i) => {
    for (const r of n.reads) {
      let rs = readers.get(r);
      if (!rs) readers.set(r, (rs = []));
      rs.push(i);
    }
  });

  const succ = (rep: number): Set<number> => {
    const out = new Set<number>();
    for (const m of members.get(rep)!) for (const w of nodes[m]!.writes) for (const r of readers.get(w) ?? []) out.add(find(r));
    out.delete(rep);
    return out;
  };
  /** A path from `from` to `to` through at least one other cluster. */
  const indirectPath = (from: number, to: number): boolean => {
    const stack = [...succ(from)].filter((s) => s !== to);
    const seen = new Set(stack);
    while (stack.length) {
      const c = stack.pop()!;
      for (const s of succ(c)) {
        if (s === to) return true;
        if (!seen.has(s)) {
          seen.add(s);
          stack.push(s);
        }
      }
    }
    return false;
  };

  const writesOf = (c: number) => new Set(members.get(c)!.flatMap((m) => nodes[m]!.writes));
  const readsOf = (c: number) => new Set(members.get(c)!.flatMap((m) => nodes[m]!.reads));
  const sortedCone = (c: number) => [...coneSet.get(c)!].sort((a, b) => a - b);
  /** Whether cluster `a` reads any output of `b`, and only at its own index; undefined if it does not read them. */
  const readsOwnIndex = (a: number, b: number): boolean | undefined => {
    const theirs = writesOf(b);
    const read = [...readsOf(a)].filter((r) => theirs.has(r));
    return read.length ? readsAtOwnIndex(g, sortedCone(a), new Set(read)) : undefined;
  };
  const compatible = (a: number, b: number): boolean => {
    const ab = readsOwnIndex(a, b), ba = readsOwnIndex(b, a);
    if (ab === false || ba === false) return false;
    const ca = coneSet.get(a)!, rb = readsOf(b);
    const shares = ab || ba || [...coneSet.get(b)!].some((e) => ca.has(e) && recomputeCost(g.eqns[e]!) > 0) || [...readsOf(a)].some((r) => rb.has(r));
    return shares && !indirectPath(a, b) && !indirectPath(b, a);
  };

  const byShape = new Map<string, number[]>();
  nodes.forEach((n, i) => {
    if (!n.elementwise) return;
    const key = JSON.stringify(n.writes[0]!.aval.shape);
    const earlier = byShape.get(key) ?? [];
    // Join every earlier compatible cluster, in order; a cluster is named by its first node.
    for (const c of new Set(earlier.map(find))) {
      const cur = find(i);
      if (c === cur || !compatible(c, cur)) continue;
      const [keep, drop] = c < cur ? [c, cur] : [cur, c];
      parent[drop] = keep;
      members.get(keep)!.push(...members.get(drop)!);
      for (const e of coneSet.get(drop)!) coneSet.get(keep)!.add(e);
      members.delete(drop);
      coneSet.delete(drop);
    }
    earlier.push(i);
    byShape.set(key, earlier);
  });
  return nodes.map((_, i) => find(i));
}
