// The state of lowering one kernel: its parameters, which graph values live in which buffer,
// the emitter, and `valueAt` — the backward walk that turns "value v at multi-index idx" into
// a scalar expression (elementwise.ts holds the per-primitive rules).
import type { DType } from '../ir/dtype.ts';
import { KilnError } from '../ir/errors.ts';
import { sizeOf, type Eqn, type Func, type Var } from '../ir/ir.ts';
import { Primitive } from '../ir/primitives.ts';
import { Emitter, type Trial } from './emitter.ts';
import { computeValue } from './elementwise.ts';
import { countDivMod, idxConst, keyOf } from './index-exprs.ts';
import type { Expr, KernelParam } from './loop-ir.ts';

/**
 * Total elements of work from which the outermost loop of a nest is marked parallel (below
 * it, thread start-up costs more than it saves).
 */
export const PARALLEL_MIN_WORK = 32768;

/** Chunk length when a contiguous axis is split to give a parallel outer loop. */
export const CHUNK = 256;

/** Thrown when a fused epilogue reads a value at an index other than the one being produced. */
export class FuseFail extends Error {}

/** A graph value to be stored, element by element, into a kernel parameter. */
export interface Target {
  readonly v: Var;
  readonly buf: number;
  /** The output position this fills, if any. */
  readonly pos?: number;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export class LoweringContext {
  readonly em = new Emitter();
  readonly params: KernelParam[] = [];
  /** Graph values held in a parameter (inputs, materialised intermediates, written outputs). */
  readonly bufOf = new Map<Var, number>();
  /** Values whose reads are redirected (fused epilogues read reduction / matmul results). */
  readonly hooks = new Map<Var, (idx: readonly Expr[]) => Expr>();
  readonly producer = new Map<Var, Eqn>();
  private readonly uses = new Map<Var, number>();
  /** Parameter index of output position j. */
  readonly outParam: number[] = [];
  readonly filled: boolean[];

  constructor(readonly func: Func, readonly kernelName: string) {
    func.inputs.forEach((v, j) => {
      this.params.push({ name: `in${j}`, dtype: v.aval.dtype, size: sizeOf(v.aval.shape), role: 'in' });
      if (!this.bufOf.has(v)) this.bufOf.set(v, j);
    });
    func.outputs.forEach((v, j) => {
      this.outParam.push(this.params.length);
      this.params.push({ name: `out${j}`, dtype: v.aval.dtype, size: sizeOf(v.aval.shape), role: 'out' });
    });
    this.filled = func.outputs.map(() => false);
    for (const e of func.eqns) {
      for (const o of e.outputs) this.producer.set(o, e);
      for (const i of e.inputs) this.uses.set(i, (this.uses.get(i) ?? 0) + 1);
    }
    for (const o of func.outputs) this.uses.set(o, (this.uses.get(o) ?? 0) + 1);
  }

  get ix() {
    return this.em.ix;
  }

  error(msg: string): KilnError {
    return new KilnError(`lowerKernel ${this.kernelName}: ${msg}`);
  }

  /** A new scratch parameter. */
  scratch(dtype: DType, size: number): number {
    const n = this.params.filter((p) => p.role === 'scratch').length;
    this.params.push({ name: `tmp${n}`, dtype, size, role: 'scratch' });
    return this.params.length - 1;
  }

  /** The first unfilled output position that holds `v`, or -1. */
  outputPos(v: Var): number {
    return this.func.outputs.findIndex((o, j) => o === v && !this.filled[j]);
  }

  /** Marks output position `pos` as written with `v`'s value. */
  fill(pos: number, v: Var): void {
    this.filled[pos] = true;
    if (!this.bufOf.has(v)) this.bufOf.set(v, this.outParam[pos]!);
  }

  /**
   * Where a result `v` computed by a non-elementwise statement goes: the output parameter of
   * its first unfilled output position (then marked filled), else a new scratch parameter.
   */
  resultBuffer(v: Var): number {
    const pos = this.outputPos(v);
    if (pos >= 0) {
      this.filled[pos] = true;
      return this.outParam[pos]!;
    }
    return this.scratch(v.aval.dtype, sizeOf(v.aval.shape));
  }

  /** Whether `v` is `base` or a reshape of it (same elements in the same flat order). */
  isFlatAlias(v: Var, base: Var): boolean {
    for (let u: Var | undefined = v; u; ) {
      if (u === base) return true;
      const e = this.producer.get(u);
      if (!e || (e.primitive !== Primitive.Reshape && e.primitive !== Primitive.StopGradient)) return false;
      u = e.inputs[0];
    }
    return false;
  }

  load(buf: number, idx: Expr): Expr {
    return { k: 'load', t: this.params[buf]!.dtype, buf, idx };
  }

  /** The scalar value of `v` at multi-index `idx` (memoised per block; shared values get lets). */
  valueAt(v: Var, idx: readonly Expr[]): Expr {
    const key = `${v.id}@${idx.map(keyOf).join(',')}`;
    const hit = this.em.lookup(key);
    if (hit) return hit;
    let e: Expr;
    const hook = this.hooks.get(v);
    const buf = this.bufOf.get(v);
    if (hook) e = hook(idx);
    else if (buf !== undefined) e = this.load(buf, this.ix.linearise(idx, v.aval.shape));
    else {
      const eqn = this.producer.get(v);
      if (!eqn) throw this.error(`value %${v.id} has no producer and no buffer`);
      e = computeValue(this, eqn, v, idx);
    }
    // Shared values get a let; so do loop-invariant ones (hoisted out of their loops).
    if ((this.uses.get(v) ?? 0) > 1 || (e.k !== 'const' && e.k !== 'var' && this.em.homeOf(e) < this.em.blockDepth)) e = this.em.bind(e);
    this.em.rememberHoisted(key, e);
    return e;
  }

  /**
   * Emits loops over `dims` grouped as `groups` (each group: positions of non-unit axes that
   * one loop covers, row-major); `inner` receives the multi-index. The outermost loop is
   * parallel when `parallel` is set.
   */
  nest(dims: readonly number[], groups: readonly (readonly number[])[], parallel: boolean, inner: (idx: readonly Expr[]) => void): void {
    const idx: Expr[] = dims.map(() => idxConst(0));
    const rec = (g: number): void => {
      if (g === groups.length) {
        inner(idx);
        return;
      }
      const grp = groups[g]!;
      const gd = grp.map((a) => dims[a]!);
      this.em.loop(sizeOf(gd), parallel && g === 0, (v) => {
        const parts = this.ix.delinearise(v, gd);
        grp.forEach((a, i) => (idx[a] = parts[i]!));
        rec(g + 1);
      });
    };
    rec(0);
  }

  /**
   * Chooses how to group the axes of several loop nests (segments) and emits the result:
   * starting from one loop per non-unit axis, adjacent loops of a segment are merged (from
   * the innermost outwards) whenever the merged version needs no more idiv / imod operations
   * than the current one. `build` emits the code for a grouping (called on trials).
   */
  chooseGroups(segments: readonly (readonly number[])[], build: (groups: number[][][]) => void): void {
    let groups = segments.map((d) => d.map((_, i) => i).filter((i) => d[i] !== 1).map((i) => [i]));
    let best: Trial = this.em.trial(() => build(groups));
    let cost = countDivMod(best.stmts);
    for (let s = segments.length - 1; s >= 0; s--) {
      for (let p = groups[s]!.length - 2; p >= 0; p--) {
        const cand = groups.map((seg) => seg.map((g) => [...g]));
        const seg = cand[s]!;
        seg.splice(p, 2, [...seg[p]!, ...seg[p + 1]!]);
        let t: Trial;
        try {
          t = this.em.trial(() => build(cand));
        } catch (e) {
          if (e instanceof FuseFail) continue;
          throw e;
        }
        const c = countDivMod(t.stmts);
        if (c <= cost) {
          groups = cand;
          best = t;
          cost = c;
        }
      }
    }
    this.em.commit(best);
  }

  /** The index of `shape` that corresponds (row-major) to index `idx` of `base`. */
  reindex(idx: readonly Expr[], base: readonly number[], shape: readonly number[]): readonly Expr[] {
    if (sameShape(base, shape)) return idx;
    return this.ix.delinearise(this.ix.linearise(idx, base), shape);
  }

  /** Evaluates every target at the index that corresponds to `idx` of `base`, then stores them. */
  storeTargets(targets: readonly Target[], idx: readonly Expr[], base: readonly number[]): void {
    const vals = targets.map((t) => {
      const ti = this.reindex(idx, base, t.v.aval.shape);
      return { t, flat: this.ix.linearise(ti, t.v.aval.shape), e: this.valueAt(t.v, ti) };
    });
    for (const { t, flat, e } of vals) this.em.emit({ k: 'store', buf: t.buf, idx: flat, e });
  }

  /**
   * An elementwise loop nest over `shape` storing every target (all of size(shape)). The
   * outermost loop is parallel from PARALLEL_MIN_WORK elements.
   */
  elementwise(targets: readonly Target[], shape: readonly number[]): void {
    const par = sizeOf(shape) >= PARALLEL_MIN_WORK;
    this.chooseGroups([shape], ([g]) => this.nest(shape, g!, par, (idx) => this.storeTargets(targets, idx, shape)));
  }

  /** The parameter holding `v`, materialising it (elementwise) into a new one if needed. */
  bufferOf(v: Var): number {
    const b = this.bufOf.get(v);
    if (b !== undefined) return b;
    const pos = this.outputPos(v);
    const buf = pos >= 0 ? this.outParam[pos]! : this.scratch(v.aval.dtype, sizeOf(v.aval.shape));
    this.elementwise([{ v, buf }], v.aval.shape);
    if (pos >= 0) this.filled[pos] = true;
    this.bufOf.set(v, buf);
    return buf;
  }

  /** Computes every output position not yet written (elementwise nests, one per shape). */
  finishOutputs(): void {
    const groups = new Map<string, Target[]>();
    this.func.outputs.forEach((v, pos) => {
      if (this.filled[pos]) return;
      const key = v.aval.shape.join(',');
      const g = groups.get(key) ?? [];
      g.push({ v, buf: this.outParam[pos]!, pos });
      groups.set(key, g);
    });
    for (const ts of groups.values()) {
      this.elementwise(ts, ts[0]!.v.aval.shape);
      for (const t of ts) this.fill(t.pos!, t.v);
    }
  }
}
