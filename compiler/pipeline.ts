// The whole compiler for one target: optimise, fuse, plan memory, lower every kernel to loop
// IR, generate one native library, and describe the run as an executable (data for the
// runtime). Several functions can share one library (AOT artifacts with several entries).
import { compileModuleSync } from './codegen/llvm/index.ts';
import { fuse, planMemory, type FusedProgram, type MemoryPlan } from './fuse/index.ts';
import { aval, type Func, type Var } from './ir/ir.ts';
import { lowerKernel, MAX_INLINE_CONSTANT } from './lower/index.ts';
import type { KernelParam, LoopKernel } from './lower/loop-ir.ts';
import { optimize } from './passes/index.ts';
import type { CudaModule, ExecBuffer, ExecProgram, ExecStep, VulkanModule } from '../runtime/executable.ts';
import { emitKernel, storageOf } from './codegen/spirv/index.ts';
import { compileGpuKernels, moduleCubin } from './codegen/ptx/index.ts';
import { mapLoopKernel, type GpuKernel } from './gpu/index.ts';
import { Primitive } from './ir/primitives.ts';

export interface CompileOptions {
  /** Per input of each function: whether the caller gives up its buffer. */
  readonly donated?: readonly (readonly boolean[])[];
  /** Where compiled libraries are cached (default: KILN_CACHE_DIR or ~/.cache/kiln/kernels). */
  readonly cacheDir?: string;
}

export interface CompiledFunc {
  readonly program: ExecProgram;
  readonly fused: FusedProgram;
  readonly plan: MemoryPlan;
  /** Kernels of this function (regions included), as lowered. */
  readonly kernels: readonly LoopKernel[];
}

export interface CompiledLibrary {
  readonly funcs: readonly CompiledFunc[];
  /** The shared library holding every kernel, and how it was obtained. */
  readonly library: { readonly path: string; readonly cached: boolean; readonly compileMs: number };
  /** Time spent in the compiler before LLVM (optimise, fuse, plan, lower). */
  readonly frontMs: number;
}

/** A C identifier for a kernel: function index, region path, kernel name. */
function kernelSymbol(prefix: string, name: string): string {
  return `${prefix}_${name}`.replace(/[^A-Za-z0-9_]/g, '_');
}

/** Converts a fused program and its memory plan into an executable program. */
function toExec(p: FusedProgram, plan: MemoryPlan, prefix: string, kernels: LoopKernel[]): ExecProgram {
  const buffers: ExecBuffer[] = [];
  const ids = new Map<Var, number>();
  const idOf = (v: Var): number => {
    let id = ids.get(v);
    if (id !== undefined) return id;
    const pl = plan.placements.get(v);
    if (!pl) throw new Error(`pipeline: no placement for a value of ${p.name}`);
    const place: ExecBuffer['place'] =
      pl.kind === 'input' ? { kind: 'input', index: pl.index }
      : pl.kind === 'donated' ? { kind: 'input', index: pl.input }
      : pl.kind === 'arena' ? { kind: 'arena', offset: pl.offset }
      : { kind: 'fresh' };
    id = buffers.length;
    buffers.push({ aval: v.aval, place });
    ids.set(v, id);
    return id;
  };
  p.inputs.forEach(idOf);
  const steps: ExecStep[] = [];
  p.steps.forEach((s, si) => {
    if (s.kind === 'kernel') {
      const lk = lowerKernel(s.kernel);
      const symbol = kernelSymbol(prefix, s.kernel.name);
      kernels.push({ ...lk, name: symbol });
      const scratch = lk.params.filter((q) => q.role === 'scratch').map((q) => {
        buffers.push({ aval: aval([q.size], q.dtype), place: { kind: 'scratch' } });
        return buffers.length - 1;
      });
      steps.push({ kind: 'launch', kernel: symbol, args: [...s.inputs.map(idOf), ...s.outputs.map(idOf), ...scratch] });
      return;
    }
    const e = s.eqn;
    const regionPlans = plan.regions.get(si) ?? [];
    const sub = (i: number) => toExec(s.regions[i]!, regionPlans[i]!, `${prefix}_s${si}r${i}`, kernels);
    const ins = e.inputs.map(idOf);
    const outs = e.outputs.map(idOf);
    switch (e.primitive) {
      case Primitive.Cond:
        steps.push({ kind: 'cond', index: ins[0]!, operands: ins.slice(1), results: outs, branches: s.regions.map((_, i) => sub(i)) });
        return;
      case Primitive.WhileLoop: {
        const { condConsts: nc, bodyConsts: nb } = e.params;
        steps.push({
          kind: 'while', condConsts: ins.slice(0, nc), bodyConsts: ins.slice(nc, nc + nb), init: ins.slice(nc + nb),
          results: outs, cond: sub(0), body: sub(1),
        });
        return;
      }
      case Primitive.Scan: {
        const { numConsts: nc, numCarry: nk, length, reverse } = e.params;
        steps.push({
          kind: 'scan', length, reverse, consts: ins.slice(0, nc), init: ins.slice(nc, nc + nk), xs: ins.slice(nc + nk),
          results: outs, body: sub(0),
        });
        return;
      }
      default:
        throw new Error(`pipeline: ${e.primitive} cannot run as a host step`);
    }
  });
  return { name: p.name, buffers, inputs: p.inputs.map(idOf), outputs: p.outputs.map(idOf), steps, arenaBytes: plan.arenaBytes };
}

/** Kernels inline dense constants of at most this many values (see compiler/lower); larger
 * ones become buffers. A one-value constant of any size is always inline. */
const MAX_INLINE = MAX_INLINE_CONSTANT;

/**
 * Moves dense constants with many distinct values out of the function: they become extra
 * inputs (after the original ones) whose data the executable carries.
 */
function hoistConstants(fn: Func): { fn: Func; data: (readonly number[])[] } {
  const data: (readonly number[])[] = [];
  const extra: Var[] = [];
  const eqns = fn.eqns.filter((e) => {
    if (e.primitive !== Primitive.Constant || e.params.data.length <= MAX_INLINE) return true;
    extra.push(e.outputs[0]!);
    data.push(e.params.data);
    return false;
  });
  return { fn: { ...fn, inputs: [...fn.inputs, ...extra], eqns }, data };
}

/** The front half shared by every target: optimise, hoist constants, fuse, plan memory, lower. */
function compileFront(fns: readonly Func[], opts: CompileOptions): { funcs: CompiledFunc[]; kernels: LoopKernel[]; frontMs: number } {
  const t0 = performance.now();
  const kernels: LoopKernel[] = [];
  const funcs = fns.map((fn, i) => {
    const n = fn.inputs.length;
    const h = hoistConstants(optimize(fn));
    const fused = fuse(h.fn);
    const donated = [...(opts.donated?.[i] ?? fn.inputs.map(() => false)), ...h.data.map(() => false)];
    const plan = planMemory(fused, { donated });
    const before = kernels.length;
    let program = toExec(fused, plan, `f${i}`, kernels);
    if (h.data.length) {
      // The hoisted inputs are constants of the executable, not arguments.
      const buffers = program.buffers.map((b) =>
        b.place.kind === 'input' && b.place.index >= n ? { aval: b.aval, place: { kind: 'const' as const, data: h.data[b.place.index - n]! } } : b,
      );
      program = { ...program, buffers, inputs: program.inputs.slice(0, n) };
    }
    return { program, fused, plan, kernels: kernels.slice(before) };
  });
  return { funcs, kernels, frontMs: performance.now() - t0 };
}

/** Compiles functions for the CPU into one library. */
export function compileForCpu(fns: readonly Func[], opts: CompileOptions = {}): CompiledLibrary {
  const { funcs, kernels, frontMs } = compileFront(fns, opts);
  const lib = compileModuleSync(kernels, { target: 'x86_64', cacheDir: opts.cacheDir });
  return { funcs, library: { path: lib.path, cached: lib.cached, compileMs: lib.compileMs }, frontMs };
}

export interface CudaCompileOptions extends CompileOptions {
  /** PTX target architecture (default: $KILN_CUDA_ARCH, else sm_90). */
  readonly arch?: string;
  /** Also assemble the PTX into a cubin for `arch` with ptxas, when found (default: true
   * unless $KILN_CUDA_CUBIN=0): a GPU of that architecture then skips the driver's JIT. */
  readonly cubin?: boolean;
}

export interface CompiledCuda {
  /** Each function's program, its launch steps naming GPU kernels (one loop kernel may have
   * become several consecutive launches). */
  readonly funcs: readonly CompiledFunc[];
  readonly module: CudaModule;
  /** Time spent in the compiler before the GPU mapping. */
  readonly frontMs: number;
  /** The GPU kernels of the module, as mapped (for tests and `kiln ir`). */
  readonly gpuKernels: readonly GpuKernel[];
  /** Whether the PTX came from the cache, and the time spent mapping, emitting and compiling it. */
  readonly ptx: { readonly cached: boolean; readonly compileMs: number };
}

/** Compiles functions for CUDA into one PTX module. */
export function compileForCuda(fns: readonly Func[], opts: CudaCompileOptions = {}): CompiledCuda {
  const { funcs, kernels, frontMs } = compileFront(fns, opts);
  const t0 = performance.now();
  const launches = new Map<string, GpuKernel[]>();
  const ownParams = new Map<string, number>();
  for (const k of kernels) {
    launches.set(k.name, mapLoopKernel(k, { scratch: true }));
    ownParams.set(k.name, k.params.length);
  }
  const gpuKernels = [...launches.values()].flat();
  const r = compileGpuKernels(gpuKernels, { arch: opts.arch, cacheDir: opts.cacheDir });
  const cubin = (opts.cubin ?? process.env.KILN_CUDA_CUBIN !== '0') ? moduleCubin(r.ptx, r.arch, opts.cacheDir) : undefined;
  const module: CudaModule = {
    arch: r.arch,
    producer: r.producer,
    ptx: r.ptx,
    ...(cubin && { cubin }),
    kernels: gpuKernels.map((g) => ({ name: g.name, launch: g.launch })),
  };
  const cudaFuncs = funcs.map((f) => ({ ...f, program: splitLaunches(f.program, launches, ownParams) }));
  return { funcs: cudaFuncs, module, frontMs, gpuKernels, ptx: { cached: r.cached, compileMs: performance.now() - t0 } };
}

/**
 * A program whose launch steps of loop kernels are replaced by the launches of their GPU
 * kernels; GPU kernels with scratch parameters beyond the loop kernel's (`own` of them) get
 * new scratch buffers of the program, one set per launch step.
 */
function splitLaunches(p: ExecProgram, launches: ReadonlyMap<string, readonly GpuKernel[]>, own: ReadonlyMap<string, number>): ExecProgram {
  const gpuOf = (kernel: string) => {
    const gks = launches.get(kernel);
    if (!gks) throw new Error(`pipeline: no GPU kernels for ${kernel}`);
    return gks;
  };
  return withScratch(
    p,
    (kernel) => (gpuOf(kernel)[0]?.params ?? []).slice(own.get(kernel) ?? 0),
    (s, args) => gpuOf(s.kernel).map((g) => ({ kind: 'launch', kernel: g.name, args })),
  );
}

type LaunchStep = Extract<ExecStep, { kind: 'launch' }>;

/**
 * A program (and its regions) whose launch steps pass scratch buffers after their own: for
 * each launch step, `scratchOf(kernel)` lists the parameters the GPU mapping added, each
 * becomes a new scratch buffer of the program (one set per launch step: the runtime allocates
 * them once per program), and `rewrite` gives the steps that replace it, with the arguments
 * extended.
 */
function withScratch(
  p: ExecProgram,
  scratchOf: (kernel: string) => readonly KernelParam[],
  rewrite: (s: LaunchStep, args: readonly number[]) => ExecStep[] = (s, args) => [{ ...s, args }],
): ExecProgram {
  const buffers: ExecBuffer[] = [...p.buffers];
  const sub = (q: ExecProgram) => withScratch(q, scratchOf, rewrite);
  const steps = p.steps.flatMap((s): ExecStep[] => {
    switch (s.kind) {
      case 'launch': {
        const extra = scratchOf(s.kernel).map((q) => {
          buffers.push({ aval: aval([q.size], q.dtype), place: { kind: 'scratch' } });
          return buffers.length - 1;
        });
        return rewrite(s, [...s.args, ...extra]);
      }
      case 'copy':
        return [s];
      case 'cond':
        return [{ ...s, branches: s.branches.map(sub) }];
      case 'while':
        return [{ ...s, cond: sub(s.cond), body: sub(s.body) }];
      case 'scan':
        return [{ ...s, body: sub(s.body) }];
      default:
        return s satisfies never;
    }
  });
  return { ...p, buffers, steps };
}

export interface VulkanCompileOptions extends CompileOptions {
  /** Whether the device supports 64-bit floats (shaderFloat64); default true (the runtime
   * checks the module's requirement against its device). */
  readonly float64?: boolean;
  /** Invocations per workgroup: of one-per-item launches, and the most of cooperative ones
   * (reductions, the tiled matmul, which needs 256). Default 256, which every Vulkan GPU of
   * interest supports; the runtime checks it against its device (maxComputeWorkGroupInvocations). */
  readonly workgroupSize?: number;
  /** Keep NaN, ±inf and -0 exactly (needs VK_KHR_shader_float_controls); default true. */
  readonly preserveNanInf?: boolean;
  /** Storage buffers a kernel may bind (the device's limit; kernels with more pack them);
   * default 32. */
  readonly maxBindings?: number;
  /** The driver's cap on loop iterations per invocation, if any (lavapipe: 65535): kernels
   * that may reach it report it instead of returning truncated results. */
  readonly loopLimit?: number;
}

export interface CompiledVulkan {
  readonly funcs: readonly CompiledFunc[];
  readonly module: VulkanModule;
  /** Time spent in the compiler before the GPU mapping, and mapping and emitting SPIR-V. */
  readonly frontMs: number;
  readonly spirvMs: number;
}

/** Compiles functions for Vulkan compute: one SPIR-V module per kernel (compiler/codegen/spirv).
 * Long reductions use scratch buffers and a second dispatch, as on CUDA. */
export function compileForVulkan(fns: readonly Func[], opts: VulkanCompileOptions = {}): CompiledVulkan {
  const { funcs, kernels, frontMs } = compileFront(fns, opts);
  const t0 = performance.now();
  let float64 = false;
  const scratch = new Map<string, readonly KernelParam[]>();
  const params = new Map<string, readonly KernelParam[]>();
  const vkKernels = kernels.map((k) => {
    const e = emitKernel(k, {
      float64: opts.float64, preserveNanInf: opts.preserveNanInf, maxBindings: opts.maxBindings ?? 32, loopLimit: opts.loopLimit,
      map: { scratch: true, ...(opts.workgroupSize ? { block: opts.workgroupSize } : {}) },
    });
    float64 ||= e.usesFloat64;
    scratch.set(k.name, e.params.slice(k.params.length));
    params.set(k.name, e.params);
    return {
      name: k.name,
      spirv: e.words,
      bindings: e.params.map((p) => ({ storage: storageOf(p.dtype), size: p.size, writes: p.role !== 'in' })),
      dispatches: e.dispatches,
      ...(e.packing ? { packing: e.packing } : {}),
      ...(e.statusBinding !== undefined ? { statusBinding: e.statusBinding } : {}),
    };
  });
  const module: VulkanModule = { targetEnv: 'vulkan1.1', requires: { float64, preserveNanInf: opts.preserveNanInf !== false }, kernels: vkKernels };
  // A kernel's params are what its launch steps pass: its own, then its scratch buffers.
  const vkFuncs = funcs.map((f) => ({
    ...f,
    program: withScratch(f.program, (name) => scratch.get(name) ?? []),
    kernels: f.kernels.map((k) => ({ ...k, params: params.get(k.name) ?? k.params })),
  }));
  return { funcs: vkFuncs, module, frontMs, spirvMs: performance.now() - t0 };
}
