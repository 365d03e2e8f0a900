// Recording work into one command buffer between host decisions: dispatches and copies, with
// a memory barrier inserted only where a command touches a buffer that an earlier,
// unsynchronised command wrote (read after write, write after write) or read (write after
// read). Host transfers: with mapped (unified) memory the host reads and writes buffers
// directly; otherwise through a staging buffer, with the copies recorded here. `flush`
// submits, waits on the fence and then runs the pending host reads.
import type { HostArray } from '../../compiler/ir/dtype.ts';
import { VK, type Handle } from './api.ts';
import type { VulkanContext } from './context.ts';
import { check } from './errors.ts';
import { MemoryBlock, type GpuBuffer } from './memory.ts';

const ALL_STAGES = VK.STAGE_COMPUTE_SHADER | VK.STAGE_TRANSFER;
const WRITES = VK.ACCESS_SHADER_WRITE | VK.ACCESS_TRANSFER_WRITE;
const ALL_ACCESS = VK.ACCESS_SHADER_READ | VK.ACCESS_SHADER_WRITE | VK.ACCESS_TRANSFER_READ | VK.ACCESS_TRANSFER_WRITE;

/** The bytes of a host array (its own memory, no copy). */
export function bytesOf(a: HostArray): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

export class Recorder {
  private cmd: Handle;
  private recording = false;
  private dirty = false;
  private readonly written = new Set<Handle>();
  private readonly read = new Set<Handle>();
  private readonly afterFlush: (() => void)[] = [];
  private staging: MemoryBlock | null = null;
  private stagingUsed = 0;
  /** Commands recorded since the last flush (profiling, tests). */
  commands = 0;
  submissions = 0;

  constructor(readonly ctx: VulkanContext) {
    const out: (Handle | null)[] = [null];
    check('vkAllocateCommandBuffers', ctx.api.allocateCommandBuffers(ctx.device, {
      sType: VK.STYPE_COMMAND_BUFFER_ALLOCATE_INFO, pNext: null, commandPool: ctx.commandPool, level: VK.COMMAND_BUFFER_LEVEL_PRIMARY, commandBufferCount: 1,
    }, out));
    this.cmd = out[0]!;
  }

  get unified(): boolean {
    return this.ctx.unifiedMemory;
  }

  private begin(): void {
    if (this.recording) return;
    check('vkBeginCommandBuffer', this.ctx.api.beginCommandBuffer(this.cmd, {
      sType: VK.STYPE_COMMAND_BUFFER_BEGIN_INFO, pNext: null, flags: VK.COMMAND_BUFFER_ONE_TIME_SUBMIT, pInheritanceInfo: null,
    }));
    this.recording = true;
  }

  private barrier(src: number, dst: number, srcAccess: number, dstAccess: number): void {
    this.ctx.api.cmdPipelineBarrier(this.cmd, src, dst, 0, 1, [{ sType: VK.STYPE_MEMORY_BARRIER, pNext: null, srcAccessMask: srcAccess, dstAccessMask: dstAccess }], 0, null, 0, null);
  }

  /** Orders the next command after earlier ones it conflicts with. */
  private hazard(reads: readonly Handle[], writes: readonly Handle[]): void {
    const conflict = reads.some((b) => this.written.has(b)) || writes.some((b) => this.written.has(b) || this.read.has(b));
    if (conflict) {
      this.barrier(ALL_STAGES, ALL_STAGES, WRITES, ALL_ACCESS);
      this.written.clear();
      this.read.clear();
    }
    for (const b of reads) this.read.add(b);
    for (const b of writes) this.written.add(b);
  }

  dispatch(pipeline: Handle, layout: Handle, set: Handle, grid: readonly [number, number, number], reads: readonly Handle[], writes: readonly Handle[]): void {
    if (grid[0] * grid[1] * grid[2] === 0) return;
    this.begin();
    this.hazard(reads, writes);
    const a = this.ctx.api;
    a.cmdBindPipeline(this.cmd, VK.PIPELINE_BIND_POINT_COMPUTE, pipeline);
    a.cmdBindDescriptorSets(this.cmd, VK.PIPELINE_BIND_POINT_COMPUTE, layout, 0, 1, [set], 0, null);
    a.cmdDispatch(this.cmd, grid[0], grid[1], grid[2]);
    this.commands++;
    this.dirty = true;
  }

  /** Copies `bytes` bytes between buffers (nothing when the ranges are the same). */
  copy(src: Handle, srcOffset: number, dst: Handle, dstOffset: number, bytes: number): void {
    if (bytes <= 0 || (src === dst && srcOffset === dstOffset)) return;
    this.begin();
    this.hazard([src], [dst]);
    this.ctx.api.cmdCopyBuffer(this.cmd, src, dst, 1, [{ srcOffset, dstOffset, size: bytes }]);
    this.commands++;
    this.dirty = true;
  }

  /** A staging region of `bytes` bytes for this submission (flushing first when full). */
  private stage(bytes: number): { buffer: GpuBuffer; offset: number } {
    const need = Math.ceil(bytes / 16) * 16;
    if (this.staging && this.stagingUsed + need > this.staging.buffers[0]!.bytes && this.stagingUsed > 0) this.flush();
    if (!this.staging || need > this.staging.buffers[0]!.bytes) {
      // Only reached with nothing pending on the old staging buffer. (Sized before the old one
      // is destroyed: destroy empties its buffer list.)
      const bytes = Math.max(need, 1 << 20, 2 * (this.staging?.buffers[0]?.bytes ?? 0));
      this.staging?.destroy();
      this.staging = new MemoryBlock(this.ctx, [bytes], true, 'staging buffer');
    }
    const offset = this.stagingUsed;
    this.stagingUsed += need;
    return { buffer: this.staging.buffers[0]!, offset };
  }

  /** Puts host data into a buffer before the commands recorded after this call. */
  upload(dst: GpuBuffer, data: Uint8Array): void {
    if (data.byteLength > dst.bytes) throw new RangeError(`upload of ${data.byteLength} bytes into a buffer of ${dst.bytes}`);
    if (dst.mapped) {
      // Written now: nothing recorded but not yet submitted may still read the old contents.
      if (this.dirty) this.flush();
      dst.mapped.set(data);
      return;
    }
    const s = this.stage(data.byteLength);
    s.buffer.mapped!.set(data, s.offset);
    this.copy(s.buffer.buffer, s.offset, dst.buffer, 0, data.byteLength);
  }

  /** Reads `bytes` bytes of `src` at `offset` after the work recorded so far: `done` receives
   * them at the next flush (valid during the call only). */
  download(src: GpuBuffer, offset: number, bytes: number, done: (data: Uint8Array) => void): void {
    if (src.mapped) {
      this.afterFlush.push(() => done(src.mapped!.subarray(offset, offset + bytes)));
      return;
    }
    const s = this.stage(bytes);
    this.copy(src.buffer, offset, s.buffer.buffer, s.offset, bytes);
    this.afterFlush.push(() => done(s.buffer.mapped!.subarray(s.offset, s.offset + bytes)));
  }

  /** Resets queries `first`..`first + count - 1` of `pool` (before they are written again). */
  resetQueries(pool: Handle, first: number, count: number): void {
    this.begin();
    this.ctx.api.cmdResetQueryPool(this.cmd, pool, first, count);
    this.dirty = true;
  }

  /** Writes a timestamp into query `query` of `pool` once every command recorded before has
   * completed; commands recorded after it wait for those (timing: bench/gpu). */
  timestamp(pool: Handle, query: number): void {
    this.begin();
    this.ctx.api.cmdWriteTimestamp(this.cmd, VK.STAGE_BOTTOM_OF_PIPE, pool, query);
    this.barrier(ALL_STAGES, ALL_STAGES, WRITES, ALL_ACCESS);
    this.written.clear();
    this.read.clear();
    this.dirty = true;
  }

  /** Submits the recorded commands, waits for them, then runs the pending reads. */
  flush(): void {
    const a = this.ctx.api, dev = this.ctx.device;
    if (this.recording) {
      // Device writes become visible to the host reads that follow the fence.
      this.barrier(ALL_STAGES, VK.STAGE_HOST, WRITES, VK.ACCESS_HOST_READ);
      check('vkEndCommandBuffer', a.endCommandBuffer(this.cmd));
      this.recording = false;
      check('vkQueueSubmit', a.queueSubmit(this.ctx.queue, 1, [{
        sType: VK.STYPE_SUBMIT_INFO, pNext: null, waitSemaphoreCount: 0, pWaitSemaphores: null, pWaitDstStageMask: null,
        commandBufferCount: 1, pCommandBuffers: [this.cmd], signalSemaphoreCount: 0, pSignalSemaphores: null,
      }], this.ctx.fence));
      this.submissions++;
      check('vkWaitForFences', a.waitForFences(dev, 1, [this.ctx.fence], 1, 0xffffffffffffffffn));
      check('vkResetFences', a.resetFences(dev, 1, [this.ctx.fence]));
      check('vkResetCommandBuffer', a.resetCommandBuffer(this.cmd, 0));
      // Everything before is complete: later commands need no barrier against it.
      this.written.clear();
      this.read.clear();
    }
    this.dirty = false;
    this.stagingUsed = 0;
    const reads = this.afterFlush.splice(0);
    for (const r of reads) r();
  }
}
