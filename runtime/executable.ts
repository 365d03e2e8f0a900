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
  readonly kernels: readonly GpuKernelInfo[];
}
