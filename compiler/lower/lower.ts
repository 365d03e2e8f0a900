// lowerKernel: one fused kernel (a closed sub-graph) → one LoopKernel.
//
// Parameters: the kernel func's inputs (role 'in'), then its outputs (role 'out'), in order,
// named in<j> / out<j>; then any scratch parameters the lowering needs (tmp<j>). Every
// buffer is flat row-major; sizes are in elements.
//
// Strategy. The equations that are not elementwise or views ("heavy": reductions,
// argmax / argmin, dot_general, scatter, cumsum, sort) are lowered one by one in program
// order, each into its own loop structure (reduce.ts, matmul.ts, misc.ts); their results go to
// their output parameter, or to a scratch parameter when they are intermediate. Everything
// else is never materialised: elementwise ops and views are evaluated on demand at the index
// where a consumer needs them (`valueAt`, elementwise.ts), so a reduction's prologue runs
// inside the reduction loop and a matmul / reduction epilogue runs in the loop that reads
// the heavy result (fused when it is the last heavy equation). Outputs still unwritten at
// the end are computed by elementwise loop nests, one per output shape.
//
// This handles every kernel kind of program.ts the same way (the kind is a promise about the
// contents, not needed to lower them), and more general sub-graphs too: several reductions,
// a reduction feeding a matmul, and so on. Control flow (cond, while_loop, scan) and custom
// derivative calls cannot be lowered: they must not reach a kernel.
//
// Loop nests for elementwise work (elementwise kernels, epilogues, copies): loops over the
// output shape, row-major, so the innermost loop runs over the last (contiguous) axis and
// vectorises; size-1 axes get no loop. Adjacent loops are merged when that costs no extra
// index division (context.ts, chooseGroups): a contiguous output whose reads are all at the
// same flat position (elementwise ops, reshapes) becomes a single flat loop, while a
// broadcast or a transposed read keeps the loops it needs. The outermost loop is parallel
// when the nest covers at least PARALLEL_MIN_WORK (32768) elements.
//
// Values: a value read by several consumers at the same index is computed once (a `let`,
// memoised per block on (value, index)); a value whose index does not depend on the inner
// loops is hoisted out of them (loop-invariant code motion). Index arithmetic is simplified
// (index-exprs.ts).
//
// Guarantees beyond loop-ir.ts (tested): loop variables, lets and locals have names unique
// within the kernel (i<n>, t<n>, acc<n>); every idiv / imod has a positive constant divisor
// and a non-negative dividend, so backends may use unsigned or truncating division; loads
// are in bounds on both sides of every select; a loop with a non-constant trip count
// (chunked loops, `min(256, n - c*256)`) runs at least once; 'out' parameters may be read
// after the kernel wrote them (row accumulation, in-place epilogues, cumsum, scatter), so a
// backend must not treat them as write-only.
import { inlineControl } from '../passes/inline.ts';
import { KilnError } from '../ir/errors.ts';
import type { Eqn, Func, Var } from '../ir/ir.ts';
import { Primitive } from '../ir/primitives.ts';
import type { FusedProgram, Kernel } from '../fuse/program.ts';
import { LoweringContext } from './context.ts';
import type { LoopKernel } from './loop-ir.ts';
import { printLoopKernel } from './print.ts';
import { lowerDot } from './matmul.ts';
import { lowerCumsum, lowerScatter, lowerSort } from './misc.ts';
import { lowerReduce } from './reduce.ts';

export { PARALLEL_MIN_WORK, CHUNK } from './context.ts';
export { MAX_INLINE_CONSTANT } from './elementwise.ts';

const HEAVY = new Set<Primitive>([
  Primitive.ReduceSum, Primitive.ReduceMax, Primitive.ReduceMin, Primitive.ReduceProd, Primitive.Argmax,
  Primitive.Argmin, Primitive.DotGeneral, Primitive.Scatter, Primitive.Cumsum, Primitive.Sort,
]);

/** Whether lowering gives `prim` its own loop structure (it is not evaluated per element). */
export function isHeavy(prim: Primitive): boolean {
  return HEAVY.has(prim);
}

/** The equations that the outputs depend on, in program order. */
function liveEqns(func: Func): Eqn[] {
  const live = new Set<Var>(func.outputs);
  const out: Eqn[] = [];
  for (let i = func.eqns.length - 1; i >= 0; i--) {
    const e = func.eqns[i]!;
    if (!e.outputs.some((o) => live.has(o))) continue;
    out.push(e);
    for (const v of e.inputs) live.add(v);
  }
  return out.reverse();
}

/** Lowers a kernel to loop IR (see the file comment for the parameter order and strategy). */
export function lowerKernel(kernel: Kernel): LoopKernel {
  return lowerFunc(kernel.func, kernel.name);
}

/** Lowers a closed function as one kernel named `name`. */
export function lowerFunc(func: Func, name: string): LoopKernel {
  // Calls with user-defined derivatives (relu is one) are their bodies here; the optimiser
  // usually inlined them already, but kernels built directly may still hold them.
  func = inlineControl(func);
  const ctx = new LoweringContext(func, name);
  const heavy = liveEqns(func).filter((e) => HEAVY.has(e.primitive));
  heavy.forEach((e, i) => {
    const last = i === heavy.length - 1;
    switch (e.primitive) {
      case Primitive.ReduceSum:
      case Primitive.ReduceMax:
      case Primitive.ReduceMin:
      case Primitive.ReduceProd:
      case Primitive.Argmax:
      case Primitive.Argmin:
        return lowerReduce(ctx, e, last);
      case Primitive.DotGeneral:
        return lowerDot(ctx, e, last);
      case Primitive.Scatter:
        return lowerScatter(ctx, e);
      case Primitive.Cumsum:
        return lowerCumsum(ctx, e);
      case Primitive.Sort:
        return lowerSort(ctx, e);
      default:
        throw new KilnError(`lowerKernel ${name}: unexpected ${e.primitive}`);
    }
  });
  ctx.finishOutputs();
  return { name, params: ctx.params, body: ctx.em.root() };
}

/** Every kernel of a fused program lowered, in step order, control-flow regions included. */
export function lowerProgram(p: FusedProgram): LoopKernel[] {
  const out: LoopKernel[] = [];
  const walk = (q: FusedProgram): void => {
    for (const st of q.steps) {
      if (st.kind === 'kernel') out.push(lowerKernel(st.kernel));
      else st.regions.forEach(walk);
    }
  };
  walk(p);
  return out;
}

/** The text of `kiln ir --stage loops`: every kernel of the program as loop IR. */
export function printProgramLoops(p: FusedProgram): string {
  return lowerProgram(p).map(printLoopKernel).join('\n\n');
}
