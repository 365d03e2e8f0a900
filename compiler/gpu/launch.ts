// Launch shapes: how many blocks of how many threads cover a given number of work items, and
// how wide `index` values must be.
import type { GpuLaunch } from '../../runtime/executable.ts';
import { WARP } from './kernel.ts';

/** Threads per block for one-thread-per-item kernels. */
export const DEFAULT_BLOCK = 256;
/** Above this many blocks, a 1-D launch keeps this many and every thread loops (grid-stride). */
export const MAX_BLOCKS = 65536;
/** Largest value an i32 `index` must hold. */
const I32_LIMIT = 2 ** 31 - 1;

export interface LinearLaunch {
  readonly launch: GpuLaunch;
  /** Threads of the whole grid. */
  readonly threads: number;
  /** Items each thread handles (1 unless grid-stride). */
  readonly iterations: number;
}

/**
 * A 1-D launch for `items` independent work items: blocks of `block` threads (fewer, rounded up
 * to a warp, when there are fewer items), at most MAX_BLOCKS blocks, each thread taking items
 * gid, gid + threads, ... (grid-stride) when there are more items than threads.
 */
export function linearLaunch(items: number, block = DEFAULT_BLOCK, maxBlocks = MAX_BLOCKS): LinearLaunch {
  if (!Number.isSafeInteger(items) || items < 0) throw new RangeError(`linearLaunch: ${items} items`);
  const b = Math.max(1, Math.min(block, Math.ceil(Math.max(items, 1) / WARP) * WARP));
  const blocks = Math.max(1, Math.min(maxBlocks, Math.ceil(items / b)));
  const threads = blocks * b;
  return {
    launch: { grid: [blocks, 1, 1], block: [b, 1, 1], sharedBytes: 0 },
    threads,
    iterations: Math.max(1, Math.ceil(items / threads)),
  };
}

/** One block of one thread (serial code). */
export const SINGLE_THREAD: GpuLaunch = { grid: [1, 1, 1], block: [1, 1, 1], sharedBytes: 0 };

/**
 * i32 when every value an `index` takes stays below 2^31: buffer sizes (offsets are below
 * them) and thread or item counts (with a thread's whole stride added); else i64.
 */
export function indexWidth(extents: readonly number[]): 'i32' | 'i64' {
  return extents.every((e) => e <= I32_LIMIT) ? 'i32' : 'i64';
}
