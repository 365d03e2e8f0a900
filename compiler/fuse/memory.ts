// Memory planning of a fused program: every buffer gets a place. Inputs stay in the caller's
// buffers and outputs get buffers of their own (handed to the caller), except that an output
// may be written into a donated input's buffer (an optimiser step updating its weights in
// place). Every other value (an intermediate) gets an offset in one arena; values whose
// lifetimes (the steps from the one writing them to the last one reading them, both
// included) overlap never overlap in the arena, so the arena is about the largest set of
// intermediates live at once rather than their sum.
//
// Offsets are assigned greedily by size (largest first; ties by first step, then by order
// of definition): each value takes the smallest gap between the already placed values whose
// lifetimes overlap its own that fits it, or goes above them all (TFLite's "greedy by size"
// arena planner). Sizes are rounded up to `alignment` bytes.
//
// Donation: for each donated input in order, one output of the same dtype and byte size takes
// its buffer if it is written after the input's last read, or by the step that reads it last
// when that step reads it only at each output element's own index (see Placement); outputs of
// the input's own shape first, then the earliest written. fuse schedules such updates after
// the input's other readers (schedule.ts), so an optimiser step can update all its weights in
// place. A donated input that hosts no output keeps its buffer (it holds no intermediates).
import { byteSize } from '../ir/dtype.ts';
import { sameAval, sizeOf, type Var } from '../ir/ir.ts';
import { isPointwise } from './classify.ts';
import type { FusedProgram, Step } from './program.ts';

/** Arena offsets and sizes are multiples of this many bytes. */
export const ALIGNMENT = 64;

/** Where a buffer lives. */
export type Placement =
  /** The caller's input buffer (also for an output that is an input). */
  | { readonly kind: 'input'; readonly index: number }
  /** A buffer of its own, returned to the caller as output `index` (its first position). */
  | { readonly kind: 'output'; readonly index: number }
  /**
   * Output `index`, written into the buffer of donated input `input`. `inPlace` says that the
   * writing step is also the last to read the input: a kernel reading it only through
   * pointwise ops at each output element's own index (an elementwise kernel, or the epilogue
   * of a reduce or matmul kernel). Its lowering must load an element's inputs before storing
   * that element, and an elementwise kernel must compute all its outputs in one loop.
   */
  | { readonly kind: 'donated'; readonly index: number; readonly input: number; readonly inPlace: boolean }
  /** An intermediate at `offset` in the arena, `bytes` long (rounded to the alignment). */
  | { readonly kind: 'arena'; readonly offset: number; readonly bytes: number };

/** Step indices: `def` writes the value (-1 for inputs), `last` is the last step reading it. */
export interface Lifetime {
  readonly def: number;
  readonly last: number;
}

export interface MemoryPlan {
  readonly alignment: number;
  /** Every buffer of the program: its inputs, its step outputs. */
  readonly placements: ReadonlyMap<Var, Placement>;
  /** Lifetimes of the inputs (def -1) and of every value a step writes; arena values are live in [def, last]. */
  readonly lifetimes: ReadonlyMap<Var, Lifetime>;
  /** Size of the arena holding all intermediates. */
  readonly arenaBytes: number;
  /** The inputs' buffers (owned by the caller, live throughout). */
  readonly inputBytes: number;
  /** The outputs' own buffers (outputs that are inputs or take donated buffers excluded). */
  readonly outputBytes: number;
  /**
   * Memory in use at the worst moment: inputs + arena + output buffers (the arena is one
   * allocation; the buffers inside control steps' regions are in their own plans).
   */
  readonly peakBytes: number;
  /** For each control step (by index), one plan per region program, planned on its own. */
  readonly regions: ReadonlyMap<number, readonly MemoryPlan[]>;
}

export interface PlanOptions {
  /** Per program input: whether the caller gives up its buffer (it may hold an output). */
  readonly donated?: readonly boolean[];
  readonly alignment?: number;
}

export function bytesOf(v: Var): number {
  return sizeOf(v.aval.shape) * byteSize(v.aval.dtype);
}

const stepReads = (s: Step) => (s.kind === 'kernel' ? s.inputs : s.eqn.inputs);
const stepWrites = (s: Step) => (s.kind === 'kernel' ? s.outputs : s.eqn.outputs);

/**
 * Whether step `s` may write `out` over `input` while reading it: a kernel whose every use of
 * `input` is (transitively) pointwise, so that it reads the input only at each output
 * element's own index (an elementwise kernel, or the epilogue of a reduce or matmul kernel:
 * the root itself is not pointwise), and `out` has the input's shape and dtype.
 */
function inPlaceSafe(s: Step, input: Var, out: Var): boolean {
  if (s.kind !== 'kernel' || !sameAval(input.aval, out.aval)) return false;
  const fn = s.kernel.func;
  const tainted = new Set<Var>(s.inputs.flatMap((v, i) => (v === input ? [fn.inputs[i]!] : [])));
  for (const e of fn.eqns) {
    if (!e.inputs.some((v) => tainted.has(v))) continue;
    if (!isPointwise(e.primitive)) return false;
    for (const o of e.outputs) tainted.add(o);
  }
  return true;
}

/** Lifetimes of the inputs (def -1) and of every value a step writes. */
function lifetimesOf(p: FusedProgram): Map<Var, { def: number; last: number }> {
  const life = new Map<Var, { def: number; last: number }>();
  for (const v of p.inputs) life.set(v, { def: -1, last: -1 });
  p.steps.forEach((s, i) => {
    for (const v of stepReads(s)) {
      const l = life.get(v);
      if (l) l.last = i;
    }
    for (const v of stepWrites(s)) if (!life.has(v)) life.set(v, { def: i, last: i });
  });
  return life;
}

export function planMemory(p: FusedProgram, opts: PlanOptions = {}): MemoryPlan {
  const align = opts.alignment ?? ALIGNMENT;
  const life = lifetimesOf(p);
  const placements = new Map<Var, Placement>();
  const inputIndex = new Map<Var, number>();
  p.inputs.forEach((v, i) => {
    inputIndex.set(v, i);
    placements.set(v, { kind: 'input', index: i });
  });
  const writer = new Map<Var, number>();
  p.steps.forEach((s, i) => stepWrites(s).forEach((v) => writer.has(v) || writer.set(v, i)));

  // Outputs: own buffers, or a donated input's buffer.
  const hosted = new Set<number>();
  const isOutput = new Set(p.outputs);
  const outputs = p.outputs.map((v, index) => ({ v, index })).filter(({ v, index }) => !inputIndex.has(v) && p.outputs.indexOf(v) === index);
  p.inputs.forEach((x, i) => {
    if (!opts.donated?.[i] || isOutput.has(x)) return;
    const lastRead = life.get(x)!.last;
    const fits = outputs.filter(({ v }) => {
      if (placements.has(v) || v.aval.dtype !== x.aval.dtype || bytesOf(v) !== bytesOf(x)) return false;
      const w = writer.get(v)!;
      return lastRead < w || (lastRead === w && inPlaceSafe(p.steps[w]!, x, v));
    });
    // Prefer an output of the input's own shape, then the earliest written.
    fits.sort((a, b) => Number(!sameAval(a.v.aval, x.aval)) - Number(!sameAval(b.v.aval, x.aval)) || writer.get(a.v)! - writer.get(b.v)!);
    const pick = fits[0];
    if (!pick) return;
    hosted.add(i);
    placements.set(pick.v, { kind: 'donated', index: pick.index, input: i, inPlace: lastRead === writer.get(pick.v) });
  });
  let outputBytes = 0;
  for (const { v, index } of outputs) {
    if (placements.has(v)) continue;
    placements.set(v, { kind: 'output', index });
    outputBytes += bytesOf(v);
  }

  // Intermediates: the arena.
  const round = (n: number) => Math.ceil(n / align) * align;
  const order = new Map<Var, number>();
  p.steps.forEach((s) => stepWrites(s).forEach((v) => order.has(v) || order.set(v, order.size)));
  const values = [...order.keys()].filter((v) => !placements.has(v));
  values.sort((a, b) => bytesOf(b) - bytesOf(a) || life.get(a)!.def - life.get(b)!.def || order.get(a)! - order.get(b)!);
  const placed: { v: Var; offset: number; bytes: number }[] = [];
  let arenaBytes = 0;
  for (const v of values) {
    const bytes = round(bytesOf(v));
    const lv = life.get(v)!;
    const clashes = placed
      .filter((q) => {
        const lq = life.get(q.v)!;
        return lq.def <= lv.last && lv.def <= lq.last;
      })
      .sort((a, b) => a.offset - b.offset);
    let best: number | undefined;
    let bestGap = Infinity;
    let top = 0;
    for (const q of clashes) {
      const gap = q.offset - top;
      if (gap >= bytes && gap < bestGap) {
        best = top;
        bestGap = gap;
      }
      top = Math.max(top, q.offset + q.bytes);
    }
    const offset = best ?? top;
    placed.push({ v, offset, bytes });
    placements.set(v, { kind: 'arena', offset, bytes });
    arenaBytes = Math.max(arenaBytes, offset + bytes);
  }

  const inputBytes = p.inputs.reduce((n, v) => n + bytesOf(v), 0);
  const regions = new Map<number, MemoryPlan[]>();
  p.steps.forEach((s, i) => {
    if (s.kind === 'control') regions.set(i, s.regions.map((r) => planMemory(r, { alignment: align })));
  });
  return { alignment: align, placements, lifetimes: life, arenaBytes, inputBytes, outputBytes, peakBytes: inputBytes + arenaBytes + outputBytes, regions };
}
