// GPU kernels → SPIR-V: one module per loop-IR kernel (SPIR-V 1.3, for Vulkan 1.1), with one
// GLCompute entry point per launch of compiler/gpu's mapping (mapLoopKernel: a kernel's
// top-level statements cut into consecutive launches, each a block program of per-thread
// loop-IR sections, barriers, uniform loops and warp shuffles).
//
// Interface: param i of the launches (the loop kernel's params, then any scratch buffers the
// mapping adds with MapOptions.scratch: partials of two-pass reductions) is binding i of
// descriptor set 0, a storage buffer holding a Block struct with one runtime array. Element
// storage follows Kiln's host layout:
//   f32, f16, bf16 → 32-bit floats (host arrays hold f16 / bf16 widened to f32);
//   f64 → 64-bit floats (needs the device's shaderFloat64);
//   i32 → 32-bit ints;
//   bool → one byte per element, packed four to a 32-bit word (little-endian), read by
//          shifting and written with atomic and/or on the word, so that invocations writing
//          neighbouring bytes do not race. This needs no 8-bit storage support.
// Indices are 32-bit (a mapping that needs 64-bit indices is refused). Shared arrays are
// Workgroup variables and thread locals Function variables (bool held as i32 0/1 in both);
// a warp shuffle goes through a Workgroup array between two barriers, which works for any
// subgroup size (Vulkan devices have 4 to 128 lanes; lavapipe 8), so no subgroup operation
// is needed. Loops the mapping marks for unrolling (GpuKernel.unroll) are written out, and
// only launches marked `contract` (matrix products) let float products and sums fuse.
// THREAD_VAR is LocalInvocationId.x and BLOCK_VARS are WorkgroupId.
import type { DType } from '../../ir/dtype.ts';
import type { Expr, KernelParam, LoopKernel, ScalarType, Stmt } from '../../lower/loop-ir.ts';
import { BLOCK_VARS, THREAD_VAR, blockThreads, mapLoopKernel, type BlockStmt, type GpuArray, type GpuKernel, type MapOptions } from '../../gpu/index.ts';
import type { GpuLaunch } from '../../../runtime/executable.ts';
import { SpirvError, SpirvModule } from './builder.ts';
import { Cg } from './cg.ts';
import { planUnrolling } from './unroll.ts';
import { asWord, binary, cast, constant, threefry, unary } from './scalar.ts';
import { BuiltIn, Capability, Decoration, ExecutionMode, MemorySemantics, Op, Scope, StorageClass } from './spec.ts';

/** How a buffer's elements are stored (see the file comment). */
export type BufferStorage = 'f32' | 'f64' | 'i32' | 'u8x4';

export function storageOf(d: DType): BufferStorage {
  switch (d) {
    case 'f32':
    case 'f16':
    case 'bf16':
      return 'f32';
    case 'f64':
      return 'f64';
    case 'i32':
      return 'i32';
    case 'bool':
      return 'u8x4';
    default:
      return d satisfies never;
  }
}

/** Bytes of the Vulkan buffer holding `size` elements of `d` (at least 4, a multiple of 4). */
export function bufferBytes(d: DType, size: number): number {
  const bytes = d === 'f64' ? 8 * size : d === 'bool' ? size : 4 * size;
  return Math.max(4, Math.ceil(bytes / 4) * 4);
}

export interface EmittedDispatch {
  /** The entry point's name in the kernel's module. */
  readonly name: string;
  readonly launch: GpuLaunch;
}

/**
 * Parameters packed into one storage buffer per storage type, for devices that bind fewer
 * buffers per kernel than it has parameters: parameter i lives in binding place[i].binding
 * from element place[i].offset on (bool regions start at a word).
 */
export interface KernelPacking {
  readonly buffers: readonly { readonly storage: BufferStorage; readonly size: number }[];
  readonly place: readonly { readonly binding: number; readonly offset: number }[];
}

export function packParams(k: { readonly params: readonly KernelParam[] }): KernelPacking {
  const buffers: { storage: BufferStorage; size: number }[] = [];
  const place = k.params.map((p) => {
    const st = storageOf(p.dtype);
    let j = buffers.findIndex((b) => b.storage === st);
    if (j < 0) j = buffers.push({ storage: st, size: 0 }) - 1;
    const b = buffers[j]!;
    const offset = st === 'u8x4' ? Math.ceil(b.size / 4) * 4 : b.size;
    b.size = offset + p.size;
    return { binding: j, offset };
  });
  return { buffers, place };
}

export interface EmittedKernel {
  readonly name: string;
  /** The binding of the status word set when a loop limit was reached (SpirvEmitOptions.loopLimit). */
  readonly statusBinding?: number;
  /** Present when the parameters are packed (SpirvEmitOptions.maxBindings). */
  readonly packing?: KernelPacking;
  readonly words: Uint32Array;
  /** The launches that compute the kernel, in order (each takes all of its parameters). */
  readonly dispatches: readonly EmittedDispatch[];
  readonly usesFloat64: boolean;
  /** The launches' parameters: the loop kernel's, then any scratch buffers the mapping added
   * (MapOptions.scratch), which the caller allocates and passes after the kernel's own. */
  readonly params: readonly KernelParam[];
}

export interface SpirvEmitOptions {
  /** Whether the target device supports 64-bit floats (shaderFloat64); default true. */
  readonly float64?: boolean;
  /** The GPU mapping's options (block size, most blocks per launch). */
  readonly map?: MapOptions;
  /**
   * Ask that NaN, ±inf and -0 be kept (SPV_KHR_float_controls' SignedZeroInfNanPreserve, for
   * f32 and, where used, f64); default true. Without it Vulkan lets a driver assume there are
   * none (lavapipe folds x·0 to 0).
   */
  readonly preserveNanInf?: boolean;
  /**
   * Guard against a driver's cap on loop iterations per invocation (lavapipe: 65535): kernels
   * that may iterate that much count their iterations and flag a status buffer (binding
   * EmittedKernel.statusBinding) when they reach it, so that the runtime reports an error
   * instead of a silently truncated result. Default: no guard.
   */
  readonly loopLimit?: number;
  /** Storage buffers a kernel may bind (the device's maxPerStageDescriptorStorageBuffers); a
   * kernel with more parameters packs them (KernelPacking). Default: no limit. */
  readonly maxBindings?: number;
}

/** Vulkan guarantees 65535 workgroups per grid dimension (CUDA allows more). */
export const VULKAN_MAX_GROUPS = 65535;
/** Vulkan guarantees 128 invocations per workgroup. */
export const VULKAN_MIN_INVOCATIONS = 128;
/**
 * Invocations per workgroup when the device is not known at compile time: every Vulkan GPU of
 * interest allows 256 (the tiled matmul needs that many); the runtime checks each dispatch
 * against its device's limits when it creates the pipeline.
 */
export const VULKAN_DEFAULT_WORKGROUP = 256;

type Binding =
  | { readonly kind: 'val'; readonly id: number; readonly t: ScalarType }
  | { readonly kind: 'mut'; readonly ptr: number; readonly t: ScalarType };

/** Where a loop-IR buffer number points in the launch being emitted. */
type ArrayRef = { readonly kind: 'param'; readonly dtype: DType } | { readonly kind: 'array'; readonly ptr: number; readonly dtype: DType };

/** A loop's trip count when it is a constant. */
const tripsOf = (n: Expr): number | undefined => (n.k === 'const' ? n.v : undefined);

class KernelEmitter {
  private readonly m = new SpirvModule();
  private readonly cg = new Cg(this.m);
  /** The storage buffer variable of each parameter, and the element offset of its data there. */
  private readonly buffers: number[] = [];
  private readonly bases: number[] = [];
  private readonly packing: KernelPacking | undefined;
  private readonly localId: number;
  private readonly groupId: number;
  private usesFloat64 = false;
  /** Shared arrays, then thread locals, of the launch being emitted. */
  private arrays: ArrayRef[] = [];
  private gk: GpuKernel | null = null;
  private readonly shuffleTmp = new Map<string, number>();
  /** The status buffer of the loop-limit guard, made on first use. */
  private status: { readonly v: number; readonly binding: number } | null = null;
  /** Unroll factors of the loops of the launch being emitted (unroll.ts). */
  private unroll: ReadonlyMap<object, number> = new Map();
  /** Entry-point function ids. */
  private readonly entries: number[] = [];
  /** The launches of the kernel (compiler/gpu's mapping) and their parameters. */
  private readonly launches: readonly GpuKernel[];
  private readonly params: readonly KernelParam[];
  /** Loop variables of the launch being emitted that are written out completely (GpuKernel.unroll). */
  private fullUnroll: ReadonlySet<string> = new Set();

  constructor(
    private readonly k: LoopKernel,
    private readonly opts: SpirvEmitOptions,
  ) {
    const m = this.m, cg = this.cg;
    this.launches = mapLoopKernel(k, { maxBlocks: VULKAN_MAX_GROUPS, block: VULKAN_DEFAULT_WORKGROUP, ...opts.map });
    this.params = this.launches[0]?.params ?? k.params;
    const u3 = m.typeVector(m.typeInt(32, false), 3);
    this.localId = m.globalVariable(m.typePointer(StorageClass.Input, u3), StorageClass.Input, 'local_id');
    m.decorate(this.localId, Decoration.BuiltIn, BuiltIn.LocalInvocationId);
    this.groupId = m.globalVariable(m.typePointer(StorageClass.Input, u3), StorageClass.Input, 'group_id');
    m.decorate(this.groupId, Decoration.BuiltIn, BuiltIn.WorkgroupId);
    const binding = (st: BufferStorage, i: number, name: string) => {
      if (st === 'f64') this.needF64(`parameter ${name}`);
      const elem = st === 'f64' ? cg.tF64 : st === 'f32' ? cg.tF32 : cg.tI32;
      const arr = m.typeRuntimeArray(elem, st === 'f64' ? 8 : 4);
      const block = m.typeBlock([arr], [0], `${st}_buffer`);
      const v = m.globalVariable(m.typePointer(StorageClass.StorageBuffer, block), StorageClass.StorageBuffer, name);
      m.decorate(v, Decoration.DescriptorSet, 0);
      m.decorate(v, Decoration.Binding, i);
      return v;
    };
    this.packing = opts.maxBindings !== undefined && this.params.length > opts.maxBindings ? packParams({ params: this.params }) : undefined;
    if (this.packing) {
      const vars = this.packing.buffers.map((b, j) => binding(b.storage, j, `packed_${b.storage}`));
      this.packing.place.forEach((pl) => {
        this.buffers.push(vars[pl.binding]!);
        this.bases.push(pl.offset);
      });
    } else {
      this.params.forEach((p, i) => {
        this.buffers.push(binding(storageOf(p.dtype), i, p.name));
        this.bases.push(0);
      });
    }
  }

  private fail(msg: string): never {
    throw new SpirvError(`kernel ${this.k.name}: ${msg}`);
  }

  private needF64(what: string): void {
    if (this.opts.float64 === false) this.fail(`${what} is f64, but the Vulkan device does not support 64-bit floats (shaderFloat64)`);
    this.usesFloat64 = true;
  }

  emit(): EmittedKernel {
    const dispatches = this.launches.map((g) => this.launch(g));
    if (!this.launches.length) {
      // Nothing to compute (an empty kernel): a module needs an entry point to be valid.
      const f = (this.cg.f = this.m.voidFunction(`${this.k.name}_noop`));
      this.m.entryPoint(f.id, `${this.k.name}_noop`, [this.localId, this.groupId]);
      this.m.localSize(f.id, 1, 1, 1);
      this.entries.push(f.id);
      f.terminate(Op.Return, []);
    }
    if (this.opts.preserveNanInf !== false) {
      const m = this.m;
      m.extension('SPV_KHR_float_controls');
      m.capability(Capability.SignedZeroInfNanPreserve);
      for (const fn of this.entries) {
        m.executionMode(fn, ExecutionMode.SignedZeroInfNanPreserve, 32);
        if (this.usesFloat64) m.executionMode(fn, ExecutionMode.SignedZeroInfNanPreserve, 64);
      }
    }
    const status = this.status ? { statusBinding: this.status.binding } : {};
    return { name: this.k.name, words: this.m.words(), dispatches, usesFloat64: this.usesFloat64, packing: this.packing, params: this.params, ...status };
  }

  private statusVar(): number {
    if (!this.status) {
      const m = this.m;
      const binding = this.packing ? this.packing.buffers.length : this.params.length;
      const block = m.typeBlock([m.typeRuntimeArray(this.cg.tI32, 4)], [0], 'i32_buffer');
      const v = m.globalVariable(m.typePointer(StorageClass.StorageBuffer, block), StorageClass.StorageBuffer, 'status');
      m.decorate(v, Decoration.DescriptorSet, 0);
      m.decorate(v, Decoration.Binding, binding);
      this.status = { v, binding };
    }
    return this.status.v;
  }

  /** Register type of a shared or local array's elements (bool as i32 0/1). */
  private arrayElem(d: DType): number {
    return d === 'bool' ? this.cg.tI32 : this.cg.reg(d);
  }

  private arrayType(a: GpuArray): number {
    return this.m.typeArray(this.arrayElem(a.dtype), this.cg.i32(Math.max(1, a.size)));
  }

  private launch(g: GpuKernel): EmittedDispatch {
    const m = this.m, cg = this.cg;
    if (g.index !== 'i32') this.fail(`launch ${g.name} needs 64-bit indices, which the Vulkan backend does not support`);
    if (g.launch.block[1] !== 1 || g.launch.block[2] !== 1) this.fail(`launch ${g.name} has a ${g.launch.block.join('x')} block (only 1-D blocks are supported)`);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(g.name)) this.fail(`launch name '${g.name}' is not an identifier`);
    this.gk = g;
    this.fullUnroll = new Set(g.unroll ?? []);
    cg.contract = g.contract === true;
    const plan = planUnrolling(g.body, this.fullUnroll);
    this.unroll = plan.factors;
    const f = (cg.f = m.voidFunction(g.name));
    const limit = this.opts.loopLimit;
    const counter = limit !== undefined && plan.mayReach(limit) ? cg.local(cg.tI32, cg.i32(0), 'iterations') : null;
    cg.onBackEdge = counter === null ? undefined : () => cg.store(counter, cg.op(Op.IAdd, cg.tI32, cg.load(cg.tI32, counter), cg.i32(1)));
    m.entryPoint(f.id, g.name, [this.localId, this.groupId]);
    this.entries.push(f.id);
    m.localSize(f.id, g.launch.block[0], 1, 1);
    this.shuffleTmp.clear();
    this.arrays = [
      ...g.shared.map((a): ArrayRef => {
        const ptr = m.globalVariable(m.typePointer(StorageClass.Workgroup, this.arrayType(a)), StorageClass.Workgroup, `${g.name}.${a.name}`);
        return { kind: 'array', ptr, dtype: a.dtype };
      }),
      ...g.locals.map((a): ArrayRef => ({ kind: 'array', ptr: cg.local(this.arrayType(a), undefined, a.name), dtype: a.dtype })),
    ];
    for (const a of [...g.shared, ...g.locals]) if (a.dtype === 'f64') this.needF64(`array ${a.name}`);
    const u = m.typeInt(32, false), u3 = m.typeVector(u, 3);
    const comp = (v: number, i: number) => cg.op(Op.Bitcast, cg.tI32, cg.op(Op.CompositeExtract, u, v, i));
    const lid = cg.load(u3, this.localId), wg = cg.load(u3, this.groupId);
    const specials = new Map<string, Binding>([[THREAD_VAR, { kind: 'val', id: comp(lid, 0), t: 'index' }]]);
    BLOCK_VARS.forEach((name, i) => specials.set(name, { kind: 'val', id: comp(wg, i), t: 'index' }));
    this.blockStmts(g.body, [specials]);
    cg.onBackEdge = undefined;
    if (counter !== null) {
      const reached = cg.op(Op.SGreaterThanEqual, cg.tBool, cg.load(cg.tI32, counter), cg.i32(limit!));
      cg.ifElse(reached, () => {
        const st = this.statusVar();
        const ptr = cg.op(Op.AccessChain, m.typePointer(StorageClass.StorageBuffer, cg.tI32), st, cg.i32(0), cg.i32(0));
        cg.op(Op.AtomicOr, cg.tI32, ptr, cg.i32(Scope.Device), cg.i32(0), cg.i32(1));
      });
    }
    f.terminate(Op.Return, []);
    this.gk = null;
    cg.contract = false;
    return { name: g.name, launch: g.launch };
  }

  private blockStmts(body: readonly BlockStmt[], scopes: Map<string, Binding>[]): void {
    const cg = this.cg;
    for (const s of body) {
      switch (s.k) {
        case 'threads':
          this.stmts(s.body, scopes);
          break;
        case 'barrier':
          this.barrier();
          break;
        case 'for': {
          const n = this.index(s.n, scopes);
          this.forLoop(n, s.n, this.unroll.get(s) ?? 1, s.v, (i) => this.blockStmts(s.body, [...scopes, new Map<string, Binding>([[s.v, { kind: 'val', id: i, t: 'index' }]])]));
          break;
        }
        case 'shuffle':
          this.shuffle(s, scopes);
          break;
        default:
          s satisfies never;
      }
    }
  }

  /**
   * for (i = 0; i < n; i++) body(i), its body copied `factor` times per iteration when unrolled,
   * or written out for every i when the launch asks for it (constant indices let the driver
   * keep thread-local arrays in registers).
   */
  private forLoop(n: number, nExpr: Expr, factor: number, name: string, body: (i: number) => void): void {
    const cg = this.cg, I = cg.tI32;
    const trips = tripsOf(nExpr);
    if (trips !== undefined && this.fullUnroll.has(name)) {
      for (let i = 0; i < trips; i++) body(cg.i32(i));
      return;
    }
    if (factor <= 1 || trips === undefined) return cg.forRange(cg.i32(0), n, body, name, trips);
    const chunks = Math.ceil(trips / factor);
    cg.forRange(cg.i32(0), cg.i32(chunks), (c) => {
      const base = cg.op(Op.IMul, I, c, cg.i32(factor));
      for (let u = 0; u < factor; u++) {
        const i = u ? cg.op(Op.IAdd, I, base, cg.i32(u)) : base;
        // Only the last chunk can be partial.
        if (trips % factor === 0 || u === 0) body(i);
        else cg.ifElse(cg.op(Op.SLessThan, cg.tBool, i, n), () => body(i));
      }
    }, name, chunks);
  }

  private barrier(): void {
    const cg = this.cg;
    const sem = MemorySemantics.AcquireRelease | MemorySemantics.WorkgroupMemory | MemorySemantics.UniformMemory;
    cg.f.emit(Op.ControlBarrier, [cg.i32(Scope.Workgroup), cg.i32(Scope.Workgroup), cg.i32(sem)]);
  }

  /** locals[dst][dstIdx] = locals[src][srcIdx] of thread (tid XOR mask), through shared memory. */
  private shuffle(s: Extract<BlockStmt, { k: 'shuffle' }>, scopes: Map<string, Binding>[]): void {
    const cg = this.cg, m = this.m, g = this.gk!;
    // src and dst number the launch's thread locals (which follow its shared arrays here).
    const src = this.arrays[g.shared.length + s.src], dst = this.arrays[g.shared.length + s.dst];
    if (src?.kind !== 'array' || dst?.kind !== 'array') this.fail(`shuffle between locals ${s.src} and ${s.dst}, which the launch does not have`);
    const elem = this.arrayElem(src.dtype);
    const threads = blockThreads(g);
    const key = `${elem}`;
    let tmp = this.shuffleTmp.get(key);
    if (tmp === undefined) {
      const t = m.typeArray(elem, cg.i32(threads));
      tmp = m.globalVariable(m.typePointer(StorageClass.Workgroup, t), StorageClass.Workgroup, `${g.name}.shuffle`);
      this.shuffleTmp.set(key, tmp);
    }
    const tid = this.lookup(THREAD_VAR, scopes);
    if (tid.kind !== 'val') this.fail('thread index is not a value');
    const ptrT = m.typePointer(StorageClass.Workgroup, elem);
    const fptr = m.typePointer(StorageClass.Function, elem);
    const v = cg.load(elem, cg.op(Op.AccessChain, fptr, src.ptr, cg.i32(s.srcIdx)));
    cg.store(cg.op(Op.AccessChain, ptrT, tmp, tid.id), v);
    this.barrier();
    const other = cg.op(Op.BitwiseXor, cg.tI32, tid.id, cg.i32(s.mask));
    const got = cg.load(elem, cg.op(Op.AccessChain, ptrT, tmp, other));
    cg.store(cg.op(Op.AccessChain, fptr, dst.ptr, cg.i32(s.dstIdx)), got);
    this.barrier();
  }

  // ---- buffers -------------------------------------------------------------------------------

  private param(i: number) {
    const p = this.params[i];
    if (!p) this.fail(`reference to param ${i}, but the kernel has ${this.params.length}`);
    return p;
  }

  /** The dtype of loop-IR buffer `buf` (a parameter, shared array or thread local). */
  private dtypeOf(buf: number): DType {
    if (buf < this.params.length) return this.param(buf).dtype;
    const a = this.arrays[buf - this.params.length];
    if (!a) this.fail(`reference to buffer ${buf}, which is neither a parameter nor an array of the launch`);
    return a.dtype;
  }

  private elemPtr(buf: number, idx: number): { ptr: number; type: number } {
    const cg = this.cg;
    if (buf >= this.params.length) {
      const a = this.arrays[buf - this.params.length];
      if (a?.kind !== 'array') this.fail(`reference to buffer ${buf}, which is neither a parameter nor an array of the launch`);
      const type = this.arrayElem(a.dtype);
      const sc = buf - this.params.length < this.gk!.shared.length ? StorageClass.Workgroup : StorageClass.Function;
      return { ptr: cg.op(Op.AccessChain, this.m.typePointer(sc, type), a.ptr, idx), type };
    }
    const st = storageOf(this.param(buf).dtype);
    const type = st === 'f64' ? cg.tF64 : st === 'f32' ? cg.tF32 : cg.tI32;
    const ptr = cg.op(Op.AccessChain, this.m.typePointer(StorageClass.StorageBuffer, type), this.buffers[buf]!, cg.i32(0), idx);
    return { ptr, type };
  }

  /** The element index in the parameter's storage buffer (packed parameters start at a base). */
  private at(buf: number, idx: number): number {
    const base = buf < this.params.length ? this.bases[buf]! : 0;
    return base ? this.cg.op(Op.IAdd, this.cg.tI32, idx, this.cg.i32(base)) : idx;
  }

  /** Element idx of buffer buf, as a register value of its dtype. */
  load(buf: number, index: number): number {
    const cg = this.cg, I = cg.tI32;
    const d = this.dtypeOf(buf);
    const idx = this.at(buf, index);
    if (d !== 'bool') {
      const { ptr, type } = this.elemPtr(buf, idx);
      return cg.load(type, ptr);
    }
    if (buf >= this.params.length) return cg.op(Op.INotEqual, cg.tBool, cg.load(I, this.elemPtr(buf, idx).ptr), cg.i32(0));
    const { ptr } = this.elemPtr(buf, cg.op(Op.ShiftRightArithmetic, I, idx, cg.i32(2)));
    const shift = cg.op(Op.ShiftLeftLogical, I, cg.op(Op.BitwiseAnd, I, idx, cg.i32(3)), cg.i32(3));
    const byte = cg.op(Op.BitwiseAnd, I, cg.op(Op.ShiftRightLogical, I, cg.load(I, ptr), shift), cg.i32(0xff));
    return cg.op(Op.INotEqual, cg.tBool, byte, cg.i32(0));
  }

  store(buf: number, index: number, v: number): void {
    const cg = this.cg, I = cg.tI32;
    const d = this.dtypeOf(buf);
    const idx = this.at(buf, index);
    if (d !== 'bool') {
      cg.store(this.elemPtr(buf, idx).ptr, v);
      return;
    }
    const word = cg.sel(I, v, cg.i32(1), cg.i32(0));
    if (buf >= this.params.length) {
      cg.store(this.elemPtr(buf, idx).ptr, word);
      return;
    }
    const { ptr } = this.elemPtr(buf, cg.op(Op.ShiftRightArithmetic, I, idx, cg.i32(2)));
    const shift = cg.op(Op.ShiftLeftLogical, I, cg.op(Op.BitwiseAnd, I, idx, cg.i32(3)), cg.i32(3));
    const clear = cg.op(Op.Not, I, cg.op(Op.ShiftLeftLogical, I, cg.i32(0xff), shift));
    const set = cg.op(Op.ShiftLeftLogical, I, word, shift);
    const scope = cg.i32(Scope.Device), none = cg.i32(0);
    cg.op(Op.AtomicAnd, I, ptr, scope, none, clear);
    cg.op(Op.AtomicOr, I, ptr, scope, none, set);
  }

  // ---- statements ----------------------------------------------------------------------------

  private lookup(name: string, scopes: readonly Map<string, Binding>[]): Binding {
    for (let i = scopes.length - 1; i >= 0; i--) {
      const b = scopes[i]!.get(name);
      if (b) return b;
    }
    return this.fail(`unknown variable ${name}`);
  }

  private stmts(body: readonly Stmt[], scopes: Map<string, Binding>[]): void {
    const inner = [...scopes, new Map<string, Binding>()];
    for (const s of body) this.stmt(s, inner);
  }

  private stmt(s: Stmt, scopes: Map<string, Binding>[]): void {
    const cg = this.cg;
    const scope = scopes[scopes.length - 1]!;
    switch (s.k) {
      case 'for': {
        const n = this.index(s.n, scopes);
        this.forLoop(n, s.n, this.unroll.get(s) ?? 1, s.v, (i) => this.stmts(s.body, [...scopes, new Map<string, Binding>([[s.v, { kind: 'val', id: i, t: 'index' }]])]));
        return;
      }
      case 'let':
        scope.set(s.name, { kind: 'val', id: this.expr(s.e, scopes), t: s.e.t });
        return;
      case 'decl': {
        if (s.init.t !== s.t) this.fail(`decl ${s.name}: ${s.t} initialised with a ${s.init.t} value`);
        this.checkType(s.t, `local ${s.name}`);
        const ptr = cg.local(cg.reg(s.t), undefined, s.name);
        cg.store(ptr, this.expr(s.init, scopes));
        scope.set(s.name, { kind: 'mut', ptr, t: s.t });
        return;
      }
      case 'assign': {
        const b = this.lookup(s.name, scopes);
        if (b.kind !== 'mut') this.fail(`assignment to ${s.name}, which is not a mutable local`);
        if (s.e.t !== b.t) this.fail(`assignment of a ${s.e.t} value to ${s.name}: ${b.t}`);
        cg.store(b.ptr, this.expr(s.e, scopes));
        return;
      }
      case 'store': {
        const d = this.dtypeOf(s.buf);
        if (s.e.t !== d) this.fail(`store of a ${s.e.t} value into buffer ${s.buf}: ${d}`);
        this.store(s.buf, this.index(s.idx, scopes), this.expr(s.e, scopes));
        return;
      }
      case 'if': {
        if (s.c.t !== 'bool') this.fail(`if condition of type ${s.c.t}`);
        const c = this.expr(s.c, scopes);
        cg.ifElse(c, () => this.stmts(s.then, scopes), s.else.length ? () => this.stmts(s.else, scopes) : undefined);
        return;
      }
      case 'matmul':
      case 'sort':
        return this.fail(`a ${s.k} statement reached the SPIR-V generator (compiler/gpu expands them)`);
      default:
        return s satisfies never;
    }
  }

  // ---- expressions ---------------------------------------------------------------------------

  private checkType(t: ScalarType, what: string): void {
    if (t === 'f64') this.needF64(what);
  }

  /** An index-valued expression as an i32 (index and i32 are both 32-bit here). */
  private index(e: Expr, scopes: readonly Map<string, Binding>[]): number {
    if (e.t !== 'index' && e.t !== 'i32') this.fail(`an index expression has type ${e.t}`);
    return this.expr(e, scopes);
  }

  private expr(e: Expr, scopes: readonly Map<string, Binding>[]): number {
    const cg = this.cg;
    this.checkType(e.t, `a ${e.k} expression`);
    switch (e.k) {
      case 'const':
        return constant(cg, e.t, e.v);
      case 'var': {
        const b = this.lookup(e.name, scopes);
        if (b.t !== e.t) this.fail(`variable ${e.name} has type ${b.t}, used as ${e.t}`);
        return b.kind === 'val' ? b.id : cg.load(cg.reg(b.t), b.ptr);
      }
      case 'load': {
        const d = this.dtypeOf(e.buf);
        if (d !== e.t) this.fail(`load of ${e.t} from buffer ${e.buf}: ${d}`);
        return this.load(e.buf, this.index(e.idx, scopes));
      }
      case 'unary':
        if (e.a.t !== e.t) this.fail(`${e.op} of a ${e.a.t} operand typed ${e.t}`);
        return unary(cg, e.op, e.t, this.expr(e.a, scopes));
      case 'binary': {
        if (e.a.t !== e.b.t) this.fail(`${e.op} of ${e.a.t} and ${e.b.t} operands`);
        const a = this.expr(e.a, scopes), b = this.expr(e.b, scopes);
        // Lowering promises non-negative dividends and positive constant divisors for index
        // division: truncating division is floor division there.
        if (e.a.t === 'index' && (e.op === 'idiv' || e.op === 'imod') && e.b.k === 'const' && e.b.v > 0) {
          return cg.op(e.op === 'idiv' ? Op.SDiv : Op.SRem, cg.tI32, a, b);
        }
        const kv = (x: Expr) => (x.k === 'const' ? x.v : undefined);
        return binary(cg, e.op, e.a.t, a, b, kv(e.a), kv(e.b));
      }
      case 'select': {
        if (e.c.t !== 'bool' || e.a.t !== e.t || e.b.t !== e.t) this.fail(`select(${e.c.t}, ${e.a.t}, ${e.b.t}) typed ${e.t}`);
        const c = this.expr(e.c, scopes), a = this.expr(e.a, scopes), b = this.expr(e.b, scopes);
        return cg.sel(cg.reg(e.t), c, a, b);
      }
      case 'cast':
        this.checkType(e.a.t, 'a cast operand');
        return cast(cg, e.a.t, e.t, this.expr(e.a, scopes));
      case 'threefry':
        return threefry(
          cg,
          asWord(cg, e.k0.t, this.expr(e.k0, scopes)),
          asWord(cg, e.k1.t, this.expr(e.k1, scopes)),
          asWord(cg, e.ctr.t, this.expr(e.ctr, scopes)),
        );
      default:
        return e satisfies never;
    }
  }
}

/** Emits one kernel as a SPIR-V module with an entry point per dispatch. */
export function emitKernel(k: LoopKernel, opts: SpirvEmitOptions = {}): EmittedKernel {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k.name)) throw new SpirvError(`kernel name '${k.name}' is not an identifier`);
  return new KernelEmitter(k, opts).emit();
}

