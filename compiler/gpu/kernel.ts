// The GPU kernel form: a loop-IR kernel mapped onto a grid of blocks of threads, independent of
// the target (PTX now, SPIR-V later). A block's program is a list of block-uniform statements
// (uniform loops, barriers, warp shuffles) around per-thread sections of ordinary loop IR, so
// that the threads of a block run in lockstep between barriers: a CPU simulator can run each
// section for every thread in turn (simulate.ts) and a code generator emits it as SPMD code.
//
// Buffers: loop-IR loads and stores name buffers by number. Numbers below params.length are
// the kernel's parameters (global memory); then come the block's shared arrays, then each
// thread's private arrays (`locals`: registers that live across sections, e.g. accumulators
// of a tiled matrix product; index them with constants or fully unrolled loops).
//
// Special variables (type `index`), visible in every section: THREAD_VAR (the thread's index
// in its 1-D block) and BLOCK_VARS (the block's x, y, z indices in the grid).
import type { DType } from '../ir/dtype.ts';
import type { Expr, KernelParam, Stmt } from '../lower/loop-ir.ts';
import type { GpuLaunch } from '../../runtime/executable.ts';

export const THREAD_VAR = 'gpu.tid';
export const BLOCK_VARS = ['gpu.bx', 'gpu.by', 'gpu.bz'] as const;
/** Threads that execute a shuffle together (a warp on NVIDIA GPUs, a subgroup on Vulkan). */
export const WARP = 32;

export interface GpuArray {
  readonly name: string;
  readonly dtype: DType;
  /** Elements (per block for shared arrays, per thread for locals). */
  readonly size: number;
}

export type BlockStmt =
  /** Every thread of the block runs `body` (loop IR; its lets and decls end with the section). */
  | { readonly k: 'threads'; readonly body: readonly Stmt[] }
  /** Every thread waits until all threads of the block arrive; shared memory is then consistent. */
  | { readonly k: 'barrier' }
  /** A loop with the same trip count in every thread of the block (`n` reads only constants,
   * block indices and enclosing uniform loop variables). */
  | { readonly k: 'for'; readonly v: string; readonly n: Expr; readonly body: readonly BlockStmt[] }
  /**
   * Butterfly shuffle within each warp: every thread sets locals[dst][dstIdx] to the value of
   * locals[src][srcIdx] held by the thread whose lane is its own lane XOR `mask` (mask < WARP,
   * a power of two). Block sizes are multiples of WARP where shuffles are used.
   */
  | { readonly k: 'shuffle'; readonly src: number; readonly srcIdx: number; readonly dst: number; readonly dstIdx: number; readonly mask: number };

export interface GpuKernel {
  readonly name: string;
  /** Exactly the launch step's buffers, in order (global memory). */
  readonly params: readonly KernelParam[];
  readonly shared: readonly GpuArray[];
  readonly locals: readonly GpuArray[];
  /** grid and block (block: [threads, 1, 1]); sharedBytes is dynamic shared memory (none: shared
   * arrays are static). */
  readonly launch: GpuLaunch;
  /** Width of `index` values: i32 where every buffer and the thread count allow it. */
  readonly index: 'i32' | 'i64';
  readonly body: readonly BlockStmt[];
  /** Loop variables (constant trip counts) that code generators should unroll completely. */
  readonly unroll?: readonly string[];
  /**
   * Set on elementwise launches whose threads take groups of this many consecutive items
   * (element width·g + u of the buffers they index by item): code generators may check the
   * buffers' alignment at run time and use vector memory accesses there.
   */
  readonly vector?: number;
  /**
   * Float multiplies and adds may fuse (FMA). Only matrix products set it: their results are
   * compared within tolerances, while elementwise kernels must round every operation as the
   * interpreter does.
   */
  readonly contract?: boolean;
}

/** Threads per block. */
export const blockThreads = (k: GpuKernel): number => k.launch.block[0] * k.launch.block[1] * k.launch.block[2];

/** Bytes of static shared memory a block of `k` uses. */
export function sharedBytes(k: GpuKernel): number {
  return k.shared.reduce((s, a) => s + a.size * elementBytes(a.dtype), 0);
}

/** Bytes of one element in GPU memory: the host arrays' layout (f16/bf16 held as f32, bool a byte). */
export function elementBytes(d: DType): number {
  switch (d) {
    case 'f64':
      return 8;
    case 'f32':
    case 'f16':
    case 'bf16':
    case 'i32':
      return 4;
    case 'bool':
      return 1;
    default:
      return d satisfies never;
  }
}
