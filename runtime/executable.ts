// An executable is data: buffers, kernel launches and host-side control flow over them. The
// compiler produces it (compiler/pipeline.ts); the runtime runs it (executor.ts) without
// knowing how it was made. The same shape will be written into AOT artifacts.
import type { AVal } from '../compiler/ir/ir.ts';

/** Where a buffer's memory comes from. */
export type BufferPlace =
  /** The i-th input of the program (the caller's array). */
  | { readonly kind: 'input'; readonly index: number }
  /** A slice of the program's arena at a byte offset (reused by values whose lives do not overlap). */
  | { readonly kind: 'arena'; readonly offset: number }
  /** A fresh array per run (results handed to the caller). */
  | { readonly kind: 'fresh' }
  /** A kernel's private temporary, allocated once and reused. */
  | { readonly kind: 'scratch' }
  /** Constant data baked into the executable. */
  | { readonly kind: 'const'; readonly data: readonly number[] };

export interface ExecBuffer {
  readonly aval: AVal;
  readonly place: BufferPlace;
}

export type ExecStep =
  /** Calls kernel `kernel` with the buffers `args` (its params in order: inputs, then outputs). */
  | { readonly kind: 'launch'; readonly kernel: string; readonly args: readonly number[] }
  /** Copies buffer `from` into buffer `to` (same size). */
  | { readonly kind: 'copy'; readonly from: number; readonly to: number }
  /** Runs branches[clamp(index)] with `operands` as its inputs; its outputs go to `results`. */
  | {
      readonly kind: 'cond';
      readonly index: number;
      readonly operands: readonly number[];
      readonly results: readonly number[];
      readonly branches: readonly ExecProgram[];
    }
  /** while (cond(condConsts, carry)) carry = body(bodyConsts, carry); results = carry. */
  | {
      readonly kind: 'while';
      readonly condConsts: readonly number[];
      readonly bodyConsts: readonly number[];
      readonly init: readonly number[];
      readonly results: readonly number[];
      readonly cond: ExecProgram;
      readonly body: ExecProgram;
    }
  /** The scan primitive's semantics, iterating on the host. */
  | {
      readonly kind: 'scan';
      readonly length: number;
      readonly reverse: boolean;
      readonly consts: readonly number[];
      readonly init: readonly number[];
      readonly xs: readonly number[];
      /** Final carries, then stacked ys. */
      readonly results: readonly number[];
      readonly body: ExecProgram;
    };

export interface ExecProgram {
  readonly name: string;
  readonly buffers: readonly ExecBuffer[];
  readonly inputs: readonly number[];
  readonly outputs: readonly number[];
  readonly steps: readonly ExecStep[];
  /** Bytes of the arena that the 'arena' buffers live in. */
  readonly arenaBytes: number;
}

/** How one GPU kernel is launched; the compiler computes it from the static shapes. */
export interface GpuLaunch {
  readonly grid: readonly [number, number, number];
  readonly block: readonly [number, number, number];
  /** Bytes of dynamic shared (workgroup) memory. */
  readonly sharedBytes: number;
}

export interface GpuKernelInfo {
  /** The kernel's entry-point name, as the `launch` steps name it. */
  readonly name: string;
  readonly launch: GpuLaunch;
}

/**
 * The kernels of one compilation for CUDA: one PTX module. Every kernel takes exactly its
 * launch step's buffers, as global-memory pointers in that order, and nothing else.
 */
export interface CudaModule {
  /** The PTX target architecture, e.g. `sm_90`. */
  readonly arch: string;
  /** Which compiler produced the PTX. */
  readonly producer: 'libnvvm' | 'llc-14';
  readonly ptx: string;
  /** The PTX assembled by ptxas for exactly `arch` (an ELF image): a GPU of that compute
   * capability loads it instead of JIT-compiling the PTX. Absent where ptxas was not found. */
  readonly cubin?: Uint8Array;
  readonly kernels: readonly GpuKernelInfo[];
}

/** How a Vulkan kernel's storage buffer holds its elements: f16 / bf16 as f32 (the host
 * layout), bool one byte per element packed into 32-bit words. */
export type VulkanStorage = 'f32' | 'f64' | 'i32' | 'u8x4';

/** Binding i of descriptor set 0 of a Vulkan kernel: the launch step's buffer i. */
export interface VulkanBinding {
  readonly storage: VulkanStorage;
  /** Elements. */
  readonly size: number;
  /** Whether the kernel may write the buffer (else it only reads it). */
  readonly writes: boolean;
}

/** One kernel compiled for Vulkan: a SPIR-V module with an entry point per dispatch. */
export interface VulkanKernel {
  /** As the `launch` steps name it. */
  readonly name: string;
  /** The SPIR-V module (version 1.3, for Vulkan 1.1). */
  readonly spirv: Uint32Array;
  readonly bindings: readonly VulkanBinding[];
  /**
   * Present when the kernel binds fewer buffers than its launch passes (a device limit):
   * descriptor binding j is a buffer of `buffers[j]` (storage, elements) made by the runtime,
   * launch buffer i is copied into binding place[i].binding at element place[i].offset before
   * the dispatches, and copied back after them when the kernel writes it.
   */
  readonly packing?: {
    readonly buffers: readonly { readonly storage: VulkanStorage; readonly size: number }[];
    readonly place: readonly { readonly binding: number; readonly offset: number }[];
  };
  /** When present, descriptor binding `statusBinding` is a runtime-made i32 status word that the
   * kernel sets to nonzero when it reached the driver's loop-iteration cap (lavapipe). */
  readonly statusBinding?: number;
  /** The dispatches that compute the kernel, in order, each separated from the next by a
   * barrier: the entry point's name and the launch shape (block = the entry's LocalSize). */
  readonly dispatches: readonly GpuKernelInfo[];
}

/** The kernels of one compilation for Vulkan compute. */
export interface VulkanModule {
  readonly targetEnv: 'vulkan1.1';
  /** Device features the kernels need: shaderFloat64 when some kernel uses f64;
   * SignedZeroInfNanPreserve (VK_KHR_shader_float_controls) when they ask to keep NaN/inf. */
  readonly requires: { readonly float64: boolean; readonly preserveNanInf: boolean };
  readonly kernels: readonly VulkanKernel[];
}
