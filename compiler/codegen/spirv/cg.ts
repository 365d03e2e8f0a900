// The state of emitting one SPIR-V function: the module, the function, the scalar types of
// the loop IR as SPIR-V types, and structured control flow (SPIR-V for Vulkan requires every
// loop and branch to be a structured construct with its merge block declared).
//
// Register types: f32, f16 and bf16 values are 32-bit floats (f16 / bf16 rounded to their
// format after every operation, scalar.ts); f64 is a 64-bit float; i32 and `index` are 32-bit
// signed integers (Int64 is not available everywhere); bool is OpTypeBool.
import type { ScalarType } from '../../lower/loop-ir.ts';
import { SpirvFunction, SpirvModule } from './builder.ts';
import { Decoration, GLSL, Op, StorageClass } from './spec.ts';

export class Cg {
  readonly tVoid: number;
  readonly tBool: number;
  readonly tI32: number;
  readonly tF32: number;
  readonly glsl: number;
  private tF64Id = 0;
  f!: SpirvFunction;
  /** Emitted in every loop's continue block (iteration counting, unroll.ts). */
  onBackEdge: (() => void) | undefined;
  /** Whether float adds and multiplies may fuse (GpuKernel.contract: matrix products only). */
  contract = false;

  constructor(readonly m: SpirvModule) {
    this.tVoid = m.typeVoid();
    this.tBool = m.typeBool();
    this.tI32 = m.typeInt(32, true);
    this.tF32 = m.typeFloat(32);
    this.glsl = m.extInstImport('GLSL.std.450');
  }

  get tF64(): number {
    if (!this.tF64Id) this.tF64Id = this.m.typeFloat(64);
    return this.tF64Id;
  }

  /** The SPIR-V type holding a value of loop-IR type t. */
  reg(t: ScalarType): number {
    switch (t) {
      case 'f32':
      case 'f16':
      case 'bf16':
        return this.tF32;
      case 'f64':
        return this.tF64;
      case 'i32':
      case 'index':
        return this.tI32;
      case 'bool':
        return this.tBool;
      default:
        return t satisfies never;
    }
  }

  // ---- constants ---------------------------------------------------------------------------

  i32(v: number): number {
    return this.m.constant(this.tI32, v | 0);
  }

  bool(v: boolean): number {
    return this.m.constBool(v);
  }

  /** A float constant of register type `ft` (tF32 or tF64). */
  fc(ft: number, v: number): number {
    return ft === this.tF32 ? this.m.constF32(v) : this.m.constF64(v);
  }

  // ---- instructions ------------------------------------------------------------------------

  op(op: number, type: number, ...args: number[]): number {
    return this.f.op(op, type, ...args);
  }

  /** A GLSL.std.450 instruction. */
  ext(inst: number, type: number, ...args: number[]): number {
    return this.f.op(Op.ExtInst, type, this.glsl, inst, ...args);
  }

  /** Float add / sub / mul, not contracted into a fused multiply-add unless `contract` (the
   * interpreter rounds every product and sum, and so must elementwise kernels). */
  farith(op: typeof Op.FAdd | typeof Op.FSub | typeof Op.FMul, type: number, a: number, b: number): number {
    const id = this.f.op(op, type, a, b);
    if (!this.contract) this.m.decorate(id, Decoration.NoContraction);
    return id;
  }

  fadd(type: number, a: number, b: number): number {
    return this.farith(Op.FAdd, type, a, b);
  }

  fsub(type: number, a: number, b: number): number {
    return this.farith(Op.FSub, type, a, b);
  }

  fmul(type: number, a: number, b: number): number {
    return this.farith(Op.FMul, type, a, b);
  }

  fdiv(type: number, a: number, b: number): number {
    return this.f.op(Op.FDiv, type, a, b);
  }

  sel(type: number, c: number, a: number, b: number): number {
    return this.f.op(Op.Select, type, c, a, b);
  }

  not(c: number): number {
    return this.f.op(Op.LogicalNot, this.tBool, c);
  }

  and(a: number, b: number): number {
    return this.f.op(Op.LogicalAnd, this.tBool, a, b);
  }

  or(a: number, b: number): number {
    return this.f.op(Op.LogicalOr, this.tBool, a, b);
  }

  isNan(x: number): number {
    return this.f.op(Op.IsNan, this.tBool, x);
  }

  fabs(ft: number, x: number): number {
    return this.ext(GLSL.FAbs, ft, x);
  }

  /** Whether the sign bit of float x is set (f64 through its high word). */
  signBit(ft: number, x: number): number {
    return this.f.op(Op.SLessThan, this.tBool, this.highWord(ft, x), this.i32(0));
  }

  /** The 32 bits of an f32, or the high word (sign, exponent, top of the mantissa) of an f64. */
  highWord(ft: number, x: number): number {
    if (ft === this.tF32) return this.f.op(Op.Bitcast, this.tI32, x);
    const v2 = this.m.typeVector(this.tI32, 2);
    return this.f.op(Op.CompositeExtract, this.tI32, this.f.op(Op.Bitcast, v2, x), 1);
  }

  // ---- mutable locals ----------------------------------------------------------------------

  /** A Function-storage variable of type `type`, initialised with `init` when given. */
  local(type: number, init?: number, name?: string): number {
    const v = this.f.variable(this.m.typePointer(StorageClass.Function, type), name);
    if (init !== undefined) this.f.emit(Op.Store, [v, init]);
    return v;
  }

  load(type: number, ptr: number): number {
    return this.f.op(Op.Load, type, ptr);
  }

  store(ptr: number, v: number): void {
    this.f.emit(Op.Store, [ptr, v]);
  }

  // ---- structured control flow -------------------------------------------------------------

  /** if (c) then() else otherwise(): a selection construct; continues in its merge block. */
  ifElse(c: number, then: () => void, otherwise?: () => void): void {
    const f = this.f, m = this.m;
    const thenL = m.id(), merge = m.id();
    const elseL = otherwise ? m.id() : merge;
    f.selectionMerge(merge);
    f.branchConditional(c, thenL, elseL);
    f.label(thenL);
    then();
    f.branch(merge);
    if (otherwise) {
      f.label(elseL);
      otherwise();
      f.branch(merge);
    }
    f.label(merge);
  }

  /**
   * while (cond()) body(): a loop construct (header with OpLoopMerge, a block evaluating the
   * condition, the body, a continue block that jumps back); continues in the merge block.
   * `step` runs in the continue block.
   */
  loop(cond: () => number, body: () => void, step?: () => void): void {
    const f = this.f, m = this.m;
    const header = m.id(), check = m.id(), bodyL = m.id(), cont = m.id(), merge = m.id();
    f.branch(header);
    f.label(header);
    f.loopMerge(merge, cont);
    f.branch(check);
    f.label(check);
    f.branchConditional(cond(), bodyL, merge);
    f.label(bodyL);
    body();
    f.branch(cont);
    f.label(cont);
    step?.();
    this.onBackEdge?.();
    f.branch(header);
    f.label(merge);
  }

  /**
   * for (i = start; i < end; i++) body(i), over i32 (`end` evaluated once, before). A loop that
   * may run more than MAX_LOOP_TRIPS times (`trips`: its known trip count, if any) is split in
   * two nested loops: lavapipe (gallivm) stops any loop after 65535 iterations.
   */
  forRange(start: number, end: number, body: (i: number) => void, name?: string, trips?: number): void {
    if (trips !== undefined && trips <= MAX_LOOP_TRIPS) return this.simpleFor(start, end, body, name);
    const I = this.tI32, B = this.tBool;
    const C = this.i32(LOOP_CHUNK);
    const count = this.op(Op.ISub, I, end, start);
    const chunks = this.op(Op.SDiv, I, this.op(Op.IAdd, I, count, this.i32(LOOP_CHUNK - 1)), C);
    this.simpleFor(this.i32(0), chunks, (o) => {
      const base = this.op(Op.IAdd, I, start, this.op(Op.IMul, I, o, C));
      const left = this.op(Op.ISub, I, end, base);
      const n = this.sel(I, this.op(Op.SLessThan, B, left, C), left, C);
      this.simpleFor(this.i32(0), n, (j) => body(this.op(Op.IAdd, I, base, j)), name);
    }, name ? `${name}.chunk` : undefined);
  }

  private simpleFor(start: number, end: number, body: (i: number) => void, name?: string): void {
    const iv = this.local(this.tI32, start, name);
    let i = 0;
    this.loop(
      () => {
        i = this.load(this.tI32, iv);
        return this.op(Op.SLessThan, this.tBool, i, end);
      },
      () => body(i),
      () => this.store(iv, this.op(Op.IAdd, this.tI32, this.load(this.tI32, iv), this.i32(1))),
    );
  }
}

/** Loops of at most this many iterations are emitted as one loop (lavapipe's cap is 65535). */
export const MAX_LOOP_TRIPS = 65535;
const LOOP_CHUNK = 32768;
