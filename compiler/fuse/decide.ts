// The fusion decisions on one function level: which pointwise consumers become epilogues of
// reduce and matmul kernels, and which elementwise values are materialised (written to a
// buffer by an elementwise kernel) rather than recomputed inside every kernel that reads them.
import type { Var } from '../ir/ir.ts';
import { isPointwise, MATMUL_VIEWS, recomputeCost } from './classify.ts';
import { usesOf, type Graph } from './graph.ts';

/**
 * Recomputation budget: an elementwise value read by several kernels is recomputed in each
 * unless its cone (the elementwise equations back to buffers, each counted once, weighted by
 * `recomputeCost`) costs more than this; then it is materialised once.
 */
export const MAX_RECOMPUTE_COST = 16;
/** Cones visited beyond this many equations count as expensive without further counting. */
const MAX_CONE_WALK = 512;

export interface Decisions {
  /** Pointwise equation index → the reduce/matmul equation whose epilogue it is. */
  readonly epilogueOf: ReadonlyMap<number, number>;
  /** For each reduce/matmul equation: the value its kernel writes (last epilogue value, or its result). */
  readonly tail: ReadonlyMap<number, Var>;
  /** Elementwise values written by elementwise kernels, in definition order. */
  readonly materialised: readonly Var[];
}

/**
 * Epilogues. From a reduce or matmul result r, follow the chain of single uses: while the value
 * is not a function output and has exactly one using equation, which is pointwise (so it reads
 * the value at its own index, and its result has r's shape) and not yet in another epilogue,
 * that equation joins the epilogue. Its other operands are computed in the kernel at the
 * output index (a broadcast bias, a scale). Only the chain's last value is written, and
 * nothing else reads r or the chain, so no cycle between kernels can arise through it: every
 * path from r leaves through the chain's end.
 */
function findEpilogues(g: Graph): { epilogueOf: Map<number, number>; tail: Map<number, Var> } {
  const epilogueOf = new Map<number, number>();
  const tail = new Map<number, Var>();
  g.eqns.forEach((e, i) => {
    if (!g.live[i] || (g.role[i] !== 'reduce' && g.role[i] !== 'matmul')) return;
    let t = e.outputs[0]!;
    for (;;) {
      if (g.isOutput.has(t)) break;
      const us = usesOf(g, t);
      if (us.length !== 1) break;
      const c = us[0]!;
      if (!isPointwise(g.eqns[c]!.primitive) || epilogueOf.has(c)) break;
      epilogueOf.set(c, i);
      t = g.eqns[c]!.outputs[0]!;
    }
    tail.set(i, t);
  });
  return { epilogueOf, tail };
}

const NEEDS_BUFFER = new Set(['matmul', 'scatter', 'cumsum', 'sort', 'control']);

/**
 * Whether equation i is a view (reshape, transpose, broadcast) of a buffer, through other such
 * views: a matmul reads it through strides, so it need not be materialised for the matmul.
 */
function isViewOfBuffer(g: Graph, i: number): boolean {
  for (let d: number | undefined = i; ; ) {
    if (!MATMUL_VIEWS.has(g.eqns[d]!.primitive)) return false;
    d = g.def.get(g.eqns[d]!.inputs[0]!);
    if (d === undefined || g.role[d] !== 'ew') return true;
  }
}

export function decide(g: Graph, maxCost = MAX_RECOMPUTE_COST): Decisions {
  const { epilogueOf, tail } = findEpilogues(g);
  const n = g.eqns.length;
  const isFree = (i: number) => g.live[i] && g.role[i] === 'ew' && !epilogueOf.has(i);
  const tails = new Set(tail.values());

  // Values that must be buffers whatever the heuristic says.
  const mandatory = new Set<Var>();
  g.eqns.forEach((e, i) => {
    if (!isFree(i)) return;
    const v = e.outputs[0]!;
    const needsBuffer = (u: number) => NEEDS_BUFFER.has(g.role[u]!) && !(g.role[u] === 'matmul' && isViewOfBuffer(g, i));
    if (g.isOutput.has(v) || usesOf(g, v).some(needsBuffer)) mandatory.add(v);
  });
  const materialised = new Set<Var>(mandatory);
  const isStop = (v: Var) => {
    const d = g.def.get(v);
    return d === undefined || g.role[d] !== 'ew' || tails.has(v) || materialised.has(v);
  };
  /** Whether recomputing v's cone costs more than `maxCost`. */
  const expensive = (v: Var): boolean => {
    const seen = new Set<number>();
    const stack = [g.def.get(v)!];
    let cost = 0;
    while (stack.length) {
      const i = stack.pop()!;
      if (seen.has(i)) continue;
      seen.add(i);
      cost += recomputeCost(g.eqns[i]!);
      if (cost > maxCost || seen.size > MAX_CONE_WALK) return true;
      for (const w of g.eqns[i]!.inputs) if (!isStop(w)) stack.push(g.def.get(w)!);
    }
    return false;
  };

  // Consumers first: the kernels that would recompute each value. Kernel keys: a reduce,
  // matmul, scatter, cumsum, sort or control equation i is key i; a materialised value
  // defined by equation i is key n + i.
  const users = new Map<Var, ReadonlySet<number>>();
  for (let i = n - 1; i >= 0; i--) {
    if (!isFree(i)) continue;
    const v = g.eqns[i]!.outputs[0]!;
    if (materialised.has(v)) continue;
    const ks = new Set<number>();
    for (const u of usesOf(g, v)) {
      const owner = epilogueOf.get(u);
      if (owner !== undefined) ks.add(owner);
      else if (g.role[u] !== 'ew') ks.add(u);
      else {
        const w = g.eqns[u]!.outputs[0]!;
        if (materialised.has(w)) ks.add(n + u);
        else for (const k of users.get(w) ?? []) ks.add(k);
      }
    }
    if (ks.size > 1 && expensive(v)) materialised.add(v);
    else users.set(v, ks);
  }
  const order = [...materialised].sort((a, b) => g.def.get(a)! - g.def.get(b)!);
  return { epilogueOf, tail, materialised: order };
}
