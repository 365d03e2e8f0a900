// Timing GPU work with CUDA events on the context's stream: warm-up runs, then the median of
// timed runs (each between two events, so host overheads of enqueueing are included only as
// far as they delay the GPU).
import type { CudaContext } from './context.ts';

export interface GpuTiming {
  readonly medianMs: number;
  readonly minMs: number;
  readonly runs: number;
}

export interface TimingOptions {
  readonly warmup?: number;
  readonly runs?: number;
}

/** Median milliseconds of `fn` (which enqueues work on `ctx`'s stream), by CUDA events. */
export function timeOnGpu(ctx: CudaContext, fn: () => void, opts: TimingOptions = {}): GpuTiming {
  const { warmup = 3, runs = 20 } = opts;
  const d = ctx.driver;
  for (let i = 0; i < warmup; i++) fn();
  ctx.synchronize();
  const start = d.eventCreate(), end = d.eventCreate();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    d.eventRecord(start, ctx.stream);
    fn();
    d.eventRecord(end, ctx.stream);
    d.eventSynchronize(end);
    times.push(d.eventElapsedMs(start, end));
  }
  times.sort((a, b) => a - b);
  return { medianMs: times[times.length >> 1]!, minMs: times[0]!, runs };
}
