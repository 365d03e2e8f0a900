// Timing Vulkan programs on the device alone, for the GPU check. The runner of
// runtime/vulkan copies inputs in and results out at every run; here a program's buffers stay
// on the device: inputs are uploaded once, then each timed run is recorded back to back into
// one command buffer between two timestamp queries (vkCmdWriteTimestamp; ticks times the
// device's timestampPeriod). Without timestamps on the compute queue, the fallback is the host's
// wall time of one submission of all the runs, divided by their number.
import { allocHost, type HostArray } from '../../compiler/ir/dtype.ts';
import { KilnError } from '../../compiler/ir/errors.ts';
import { sizeOf } from '../../compiler/ir/ir.ts';
import type { ExecProgram, VulkanModule } from '../../runtime/executable.ts';
import { LIMITS, PROPS, QUEUE_FAMILY_SIZE, VK, type Handle } from '../../runtime/vulkan/api.ts';
import { VulkanContext } from '../../runtime/vulkan/context.ts';
import { check } from '../../runtime/vulkan/errors.ts';
import { ProgramExecutor } from '../../runtime/vulkan/executor.ts';
import { MemoryBlock, type GpuBuffer } from '../../runtime/vulkan/memory.ts';
import { PipelineCache } from '../../runtime/vulkan/pipelines.ts';
import { bytesOf, Recorder } from '../../runtime/vulkan/recorder.ts';

export interface VulkanTiming {
  readonly medianMs: number;
  readonly minMs: number;
  readonly runs: number;
  /** 'timestamps': device time of each run; 'wall': host time of all runs in one submission. */
  readonly method: 'timestamps' | 'wall';
}

export interface TimingOptions {
  readonly warmup?: number;
  readonly runs?: number;
}

let recorder: Recorder | null = null;

function rec(): Recorder {
  return (recorder ??= new Recorder(VulkanContext.get()));
}

/** The timestamp period (ns per tick) and valid bits of the compute queue; undefined without timestamps. */
export function timestampSupport(ctx: VulkanContext): { readonly periodNs: number; readonly validBits: number } | undefined {
  const props = Buffer.alloc(PROPS.size + 64);
  ctx.api.getPhysicalDeviceProperties(ctx.physical, props);
  const periodNs = props.readFloatLE(PROPS.limits + LIMITS.timestampPeriod);
  const n: [number] = [0];
  ctx.api.getPhysicalDeviceQueueFamilyProperties(ctx.physical, n, null);
  const q = Buffer.alloc(QUEUE_FAMILY_SIZE * n[0]);
  ctx.api.getPhysicalDeviceQueueFamilyProperties(ctx.physical, n, q);
  const validBits = q.readUInt32LE(ctx.queueFamily * QUEUE_FAMILY_SIZE + 8);
  return validBits > 0 && periodNs > 0 ? { periodNs, validBits } : undefined;
}

/**
 * Times `record` (which records one run into the recorder): `warmup` runs first, then `runs`
 * runs in one submission, each between two timestamps (or, without them, the wall time).
 */
export function timeRecorded(record: () => void, opts: TimingOptions = {}): VulkanTiming {
  const { warmup = 5, runs = 20 } = opts;
  const r = rec(), ctx = r.ctx, a = ctx.api;
  for (let i = 0; i < warmup; i++) record();
  r.flush();
  const ts = timestampSupport(ctx);
  if (!ts) {
    for (let i = 0; i < runs; i++) record();
    const t0 = performance.now();
    r.flush();
    const ms = (performance.now() - t0) / runs;
    return { medianMs: ms, minMs: ms, runs, method: 'wall' };
  }
  const pool: [Handle | null] = [null];
  check('vkCreateQueryPool', a.createQueryPool(ctx.device, {
    sType: VK.STYPE_QUERY_POOL_CREATE_INFO, pNext: null, flags: 0, queryType: VK.QUERY_TYPE_TIMESTAMP, queryCount: 2 * runs, pipelineStatistics: 0,
  }, null, pool));
  try {
    r.resetQueries(pool[0]!, 0, 2 * runs);
    for (let i = 0; i < runs; i++) {
      r.timestamp(pool[0]!, 2 * i);
      record();
      r.timestamp(pool[0]!, 2 * i + 1);
    }
    r.flush();
    const out = Buffer.alloc(16 * runs);
    check('vkGetQueryPoolResults', a.getQueryPoolResults(ctx.device, pool[0]!, 0, 2 * runs, out.byteLength, out, 8, VK.QUERY_RESULT_64_BIT | VK.QUERY_RESULT_WAIT));
    const mask = ts.validBits >= 64 ? (1n << 64n) - 1n : (1n << BigInt(ts.validBits)) - 1n;
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = out.readBigUInt64LE(16 * i) & mask, t1 = out.readBigUInt64LE(16 * i + 8) & mask;
      // A counter with fewer than 64 valid bits may wrap once between the two.
      const ticks = t1 >= t0 ? t1 - t0 : t1 + mask + 1n - t0;
      times.push((Number(ticks) * ts.periodNs) / 1e6);
    }
    times.sort((x, y) => x - y);
    return { medianMs: times[times.length >> 1]!, minMs: times[0]!, runs, method: 'timestamps' };
  } finally {
    a.destroyQueryPool(ctx.device, pool[0]!, null);
  }
}

/** A program whose buffers stay on the Vulkan device: inputs uploaded once, runs recorded. */
export class ResidentProgram {
  private readonly pipelines: PipelineCache;
  private readonly statusBlock: MemoryBlock;
  private readonly exec: ProgramExecutor;

  constructor(
    module: VulkanModule,
    readonly program: ExecProgram,
    inputs: readonly HostArray[],
  ) {
    const r = rec();
    this.pipelines = new PipelineCache(r.ctx, module);
    this.statusBlock = new MemoryBlock(r.ctx, [4], r.unified, 'status word');
    try {
      r.upload(this.status, new Uint8Array(4));
      this.exec = new ProgramExecutor(program, this.pipelines, r, this.status);
    } catch (e) {
      this.pipelines.destroy();
      this.statusBlock.destroy();
      throw e;
    }
    if (inputs.length !== program.inputs.length) throw new KilnError(`${program.name}: expects ${program.inputs.length} inputs, got ${inputs.length}`);
    program.inputs.forEach((b, i) => r.upload(this.exec.bufs[b]!, bytesOf(inputs[i]!)));
    r.flush();
  }

  private get status(): GpuBuffer {
    return this.statusBlock.buffers[0]!;
  }

  /** Records one run (submitted with the recorder's next flush). */
  record(): void {
    this.exec.record();
  }

  /** Reads output `i` back (after the work recorded so far). */
  output(i: number): HostArray {
    const p = this.program, b = p.buffers[p.outputs[i]!]!;
    const a = allocHost(b.aval.dtype, sizeOf(b.aval.shape));
    const r = rec();
    r.download(this.exec.bufs[p.outputs[i]!]!, 0, a.byteLength, (d) => bytesOf(a).set(d));
    r.flush();
    return a;
  }

  /** Whether a kernel reached the driver's loop cap in any run so far (lavapipe). */
  loopCapReached(): boolean {
    let flagged = 0;
    const r = rec();
    r.download(this.status, 0, 4, (d) => (flagged = d[0]! | d[1]! | d[2]! | d[3]!));
    r.flush();
    return flagged !== 0;
  }

  time(opts?: TimingOptions): VulkanTiming {
    return timeRecorded(() => this.record(), opts);
  }

  dispose(): void {
    rec().flush();
    this.exec.destroy();
    this.pipelines.destroy();
    this.statusBlock.destroy();
  }
}

/** Times a device-to-device copy of `bytes` bytes (vkCmdCopyBuffer), the bandwidth baseline. */
export function timeVulkanCopy(bytes: number, opts?: TimingOptions): VulkanTiming {
  const r = rec();
  const block = new MemoryBlock(r.ctx, [bytes, bytes], false, 'copy baseline');
  try {
    const [src, dst] = block.buffers as [GpuBuffer, GpuBuffer];
    return timeRecorded(() => r.copy(src.buffer, 0, dst.buffer, 0, bytes), opts);
  } finally {
    r.flush();
    block.destroy();
  }
}
