// Loop unrolling against lavapipe's loop limiter: gallivm (llvmpipe) counts every loop
// iteration of an invocation in one counter and leaves all loops once it reaches 65535, so a
// thread that iterates more than that in total silently stops short. The innermost loops of
// a launch whose estimated total exceeds a budget are unrolled (body copied `factor` times,
// each copy guarded by the bound) so that the total back-edge count fits. Other Vulkan
// drivers have no such limit; unrolling is harmless there.
import type { BlockStmt } from '../../gpu/index.ts';
import type { Expr, Stmt } from '../../lower/loop-ir.ts';

/** Iterations per invocation gallivm allows; the planner aims below it. */
export const LOOP_LIMIT = 65535;
const BUDGET = 50000;
/** Most copies of a loop body, and of body instructions (roughly) an unrolled loop may hold. */
const MAX_FACTOR = 1024;
const MAX_UNROLLED_SIZE = 8192;
/** Trip count assumed for a loop whose bound is not a constant. */
const UNKNOWN_TRIPS = 256;

type AnyFor = Extract<Stmt, { k: 'for' }> | Extract<BlockStmt, { k: 'for' }>;

const trips = (s: AnyFor): number => (s.n.k === 'const' ? Math.max(0, s.n.v) : UNKNOWN_TRIPS);

interface LoopInfo {
  readonly loop: AnyFor;
  /** Iterations over one invocation (its trips times those of the loops around it). */
  readonly iterations: number;
  readonly innermost: boolean;
}

function collect(body: readonly (Stmt | BlockStmt)[], outer: number, out: LoopInfo[], full: ReadonlySet<string>): boolean {
  let hasLoop = false;
  for (const s of body) {
    if (s.k === 'for') {
      hasLoop = true;
      const it = outer * trips(s);
      const inner = collect(s.body, it, out, full);
      // A loop written out completely has no back edge of its own.
      if (!(full.has(s.v) && s.n.k === 'const')) out.push({ loop: s, iterations: it, innermost: !inner });
    } else if (s.k === 'if') {
      hasLoop = collect(s.then, outer, out, full) || hasLoop;
      hasLoop = collect(s.else, outer, out, full) || hasLoop;
    } else if (s.k === 'threads') {
      hasLoop = collect(s.body, outer, out, full) || hasLoop;
    }
  }
  return hasLoop;
}

/** A rough instruction count of loop-IR statements (for the unrolled code size). */
function exprSize(e: Expr): number {
  switch (e.k) {
    case 'const':
    case 'var':
      return 0;
    case 'load':
      return 3 + exprSize(e.idx);
    case 'unary':
    case 'cast':
      return 4 + exprSize(e.a);
    case 'binary':
      return 4 + exprSize(e.a) + exprSize(e.b);
    case 'select':
      return 1 + exprSize(e.c) + exprSize(e.a) + exprSize(e.b);
    case 'threefry':
      return 120 + exprSize(e.k0) + exprSize(e.k1) + exprSize(e.ctr);
    default:
      return e satisfies never;
  }
}

function sizeOf(body: readonly (Stmt | BlockStmt)[]): number {
  let n = 0;
  for (const s of body) {
    switch (s.k) {
      case 'let':
      case 'assign':
        n += 1 + exprSize(s.e);
        break;
      case 'decl':
        n += 1 + exprSize(s.init);
        break;
      case 'store':
        n += 3 + exprSize(s.idx) + exprSize(s.e);
        break;
      case 'if':
        n += 2 + exprSize(s.c) + sizeOf(s.then) + sizeOf(s.else);
        break;
      case 'for':
        n += 8 + sizeOf(s.body);
        break;
      case 'threads':
        n += sizeOf(s.body);
        break;
      default:
        n += 16;
    }
  }
  return Math.max(1, n);
}

/**
 * Unroll factors (> 1) for the loops of a launch's body, so that its estimated iterations per
 * invocation fit the limiter's budget where unrolling innermost constant loops can do it.
 * Loops over the variables in `full` (with constant trip counts) are written out completely
 * by the emitter and left out.
 */
export function planUnrolling(body: readonly BlockStmt[], full: ReadonlySet<string> = new Set()): UnrollPlan {
  const loops: LoopInfo[] = [];
  collect(body, 1, loops, full);
  const total = loops.reduce((s, l) => s + l.iterations, 0);
  const plan = new Map<AnyFor, number>();
  const unknown = loops.some((l) => l.loop.n.k !== 'const');
  const result: UnrollPlan = {
    factors: plan,
    // Iterations once unrolled: each unrolled loop's count divided by its factor.
    mayReach: (limit) => unknown || loops.reduce((s, l) => s + l.iterations / (plan.get(l.loop) ?? 1), 0) >= limit,
  };
  if (total <= BUDGET) return result;
  const factor = Math.min(MAX_FACTOR, 2 ** Math.ceil(Math.log2(total / BUDGET)));
  for (const l of loops) {
    if (!l.innermost || l.loop.n.k !== 'const' || l.iterations < total / (4 * loops.length)) continue;
    const f = Math.min(factor, trips(l.loop), 2 ** Math.floor(Math.log2(Math.max(1, MAX_UNROLLED_SIZE / sizeOf(l.loop.body)))));
    if (f > 1) plan.set(l.loop, f);
  }
  return result;
}

export interface UnrollPlan {
  readonly factors: ReadonlyMap<object, number>;
  /** Whether the launch may still iterate `limit` times per invocation (unknown trip counts: yes). */
  mayReach(limit: number): boolean;
}
