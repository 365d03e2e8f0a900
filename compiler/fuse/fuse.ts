// fuse: an optimised function → a fused program of kernels and control steps.
//
// 1. canonicalizeForFusion (canonicalize.ts): views around dot_general folded into it, and
//    calls with custom derivatives inlined.
// 2. decide (decide.ts): epilogues of reduce/matmul kernels, and which elementwise values
//    are materialised: function outputs, operands of matmul/scatter/cumsum/sort/control, and
//    values read by several kernels whose cone is too expensive to recompute in each.
// 3. One group per reduce/matmul/scatter/cumsum/sort/control equation and per materialised
//    value. A group's cone is everything its outputs need back to buffers (function inputs,
//    outputs of other groups): elementwise producers are recomputed in every cone that needs
//    them, which is what fusing them into their consumers means.
// 4. mergeElementwise (merge.ts): multi-output elementwise kernels.
// 5. Kernels in a topological order (schedule.ts), named k<i>_<kind>; control
//    equations become control steps whose regions are fused recursively.
import type { Func, Var } from '../ir/ir.ts';
import { regionsOf } from '../ir/param-schema.ts';
import { canonicalizeForFusion } from './canonicalize.ts';
import { closeCone, coneOf, readsOf, rootFirst } from './cone.ts';
import { decide, MAX_RECOMPUTE_COST } from './decide.ts';
import { analyse, type Graph } from './graph.ts';
import { mergeElementwise, type MergeNode } from './merge.ts';
import type { FusedProgram, KernelKind, Step } from './program.ts';
import { schedule } from './schedule.ts';

export interface FuseOptions {
  /** Recomputation budget of a value read by several kernels (default MAX_RECOMPUTE_COST). */
  readonly maxRecomputeCost?: number;
  /** Merge elementwise kernels into multi-output kernels (default true). */
  readonly multiOutput?: boolean;
}

interface Group extends MergeNode {
  readonly kind: KernelKind | 'control';
  /** The equation that places it in source order: its heavy equation, or its value's definition. */
  readonly anchor: number;
}

export function fuse(fn: Func, opts: FuseOptions = {}): FusedProgram {
  const g = analyse(canonicalizeForFusion(fn));
  const d = decide(g, opts.maxRecomputeCost ?? MAX_RECOMPUTE_COST);

  const written = new Set<Var>();
  const isBuffer = (v: Var) => !g.def.has(v) || written.has(v);
  // Writes of each group, before cones are taken (a cone stops at other groups' writes).
  const proto: { kind: KernelKind | 'control'; anchor: number; writes: Var[] }[] = [];
  g.eqns.forEach((e, i) => {
    if (!g.live[i]) return;
    const role = g.role[i]!;
    if (role === 'ew') return;
    const writes =
      role === 'reduce' || role === 'matmul' ? [d.tail.get(i)!] : role === 'control' ? [...e.outputs] : e.outputs.filter((o) => g.uses.has(o) || g.isOutput.has(o));
    proto.push({ kind: role, anchor: i, writes });
  });
  for (const v of d.materialised) proto.push({ kind: 'elementwise', anchor: g.def.get(v)!, writes: [v] });
  proto.sort((a, b) => a.anchor - b.anchor);
  for (const p of proto) for (const w of p.writes) written.add(w);

  const groups: Group[] = proto.map((p) => {
    if (p.kind === 'control') {
      const e = g.eqns[p.anchor]!;
      return { ...p, elementwise: false, cone: [p.anchor], reads: [...new Set(e.inputs)] };
    }
    const own = new Set(p.writes);
    let cone = coneOf(g, p.writes, isBuffer, (v) => own.has(v));
    checkCone(g, p.kind, p.anchor, cone);
    if (p.kind !== 'elementwise') cone = rootFirst(g, cone, p.anchor);
    return { ...p, elementwise: p.kind === 'elementwise', cone, reads: readsOf(g, cone) };
  });

  const cluster = opts.multiOutput === false ? groups.map((_, i) => i) : mergeElementwise(g, groups);
  return { name: fn.name, inputs: fn.inputs, outputs: g.fn.outputs, steps: buildSteps(g, groups, cluster, isBuffer, opts), source: fn };
}

/** A kernel's cone holds elementwise equations and at most its own root equation. */
function checkCone(g: Graph, kind: KernelKind, anchor: number, cone: readonly number[]): void {
  for (const i of cone) {
    if (g.role[i] === 'ew' || (i === anchor && kind !== 'elementwise')) continue;
    throw new Error(`fuse: internal error: ${kind} kernel at eqn ${anchor} would contain ${g.eqns[i]!.primitive} (eqn ${i})`);
  }
}

function buildSteps(g: Graph, groups: readonly Group[], cluster: readonly number[], isBuffer: (v: Var) => boolean, opts: FuseOptions): Step[] {
  // Nodes: one per cluster, keyed by its first group.
  const reps = [...new Set(cluster)];
  const membersOf = new Map<number, number[]>(reps.map((r) => [r, []]));
  groups.forEach((_, i) => membersOf.get(cluster[i]!)!.push(i));

  const order = schedule(
    reps.map((r) => {
      const ms = membersOf.get(r)!;
      return { reads: ms.flatMap((m) => groups[m]!.reads), writes: ms.flatMap((m) => groups[m]!.writes), anchor: Math.min(...ms.map((m) => groups[m]!.anchor)) };
    }),
    g.fn.inputs,
    g.fn.outputs,
  ).map((i) => reps[i]!);

  const steps: Step[] = [];
  let k = 0;
  for (const r of order) {
    const ms = membersOf.get(r)!;
    const first = groups[ms[0]!]!;
    if (first.kind === 'control') {
      const e = g.eqns[first.anchor]!;
      steps.push({ kind: 'control', eqn: e, regions: regionsOf(e.primitive, e.params).map((reg) => fuse(reg.func, opts)) });
      continue;
    }
    const writes = ms.flatMap((m) => groups[m]!.writes).sort((a, b) => g.def.get(a)! - g.def.get(b)!);
    const own = new Set(writes);
    const cone = ms.length === 1 ? first.cone : coneOf(g, writes, isBuffer, (v) => own.has(v));
    const reads = readsOf(g, cone);
    const name = `k${k++}_${first.kind}`;
    const func = closeCone(g, name, cone, reads, writes);
    steps.push({ kind: 'kernel', kernel: { name, kind: first.kind, func }, inputs: reads, outputs: writes });
  }
  return steps;
}
