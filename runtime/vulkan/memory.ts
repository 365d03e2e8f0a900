// Buffers and their memory. An executor's buffers share one allocation (Vulkan limits the
// number of allocations; a program's buffers live as long as it does). Where a memory type is
// device-local and host-visible and coherent (lavapipe, integrated GPUs), the allocation is
// mapped and the host reads and writes buffers directly; otherwise buffers are device-local
// and data moves through a host-visible staging buffer (recorder.ts).
import { mappedView, VK, type Handle } from './api.ts';
import type { VulkanContext } from './context.ts';
import { check, VulkanError } from './errors.ts';

export interface GpuBuffer {
  readonly buffer: Handle;
  /** Bytes of data (the Vulkan buffer may be larger: at least 4, a multiple of 4). */
  readonly bytes: number;
  /** The buffer's memory as seen by the host, when mapped. */
  readonly mapped: Uint8Array | null;
}

const USAGE = VK.BUFFER_USAGE_STORAGE | VK.BUFFER_USAGE_TRANSFER_SRC | VK.BUFFER_USAGE_TRANSFER_DST;

/** Many buffers in one memory allocation. */
export class MemoryBlock {
  readonly buffers: GpuBuffer[] = [];
  private memory: Handle | null = null;

  /** Creates buffers of the given data sizes, bound to one allocation (host-mapped when `mapped`). */
  constructor(
    private readonly ctx: VulkanContext,
    sizes: readonly number[],
    mapped: boolean,
    what: string,
  ) {
    const a = ctx.api, dev = ctx.device;
    const handles: Handle[] = [];
    const offsets: number[] = [];
    let total = 0;
    let bits = 0xffffffff;
    try {
      for (const bytes of sizes) {
        const size = Math.max(4, Math.ceil(bytes / 4) * 4);
        const h: [Handle | null] = [null];
        check('vkCreateBuffer', a.createBuffer(dev, {
          sType: VK.STYPE_BUFFER_CREATE_INFO, pNext: null, flags: 0, size, usage: USAGE, sharingMode: VK.SHARING_EXCLUSIVE,
          queueFamilyIndexCount: 0, pQueueFamilyIndices: null,
        }, null, h), `${what}: ${size} bytes`);
        handles.push(h[0]!);
        const req: { size?: number | bigint; alignment?: number | bigint; memoryTypeBits?: number } = {};
        a.getBufferMemoryRequirements(dev, h[0]!, req);
        const align = Number(req.alignment ?? 1);
        total = Math.ceil(total / align) * align;
        offsets.push(total);
        total += Number(req.size ?? size);
        bits &= req.memoryTypeBits ?? 0;
      }
      const want = mapped ? VK.MEMORY_HOST_VISIBLE | VK.MEMORY_HOST_COHERENT : VK.MEMORY_DEVICE_LOCAL;
      const type = ctx.memoryType(bits, want, mapped ? VK.MEMORY_DEVICE_LOCAL : 0) ?? (mapped ? null : ctx.memoryType(bits, 0));
      if (type === null) throw new VulkanError('vkAllocateMemory', -2, `${what}: no ${mapped ? 'host-visible, coherent' : 'usable'} memory type`);
      const mem: [Handle | null] = [null];
      check('vkAllocateMemory', a.allocateMemory(dev, { sType: VK.STYPE_MEMORY_ALLOCATE_INFO, pNext: null, allocationSize: Math.max(total, 4), memoryTypeIndex: type }, null, mem), `${what}: ${total} bytes`);
      this.memory = mem[0]!;
      let view: ArrayBuffer | null = null;
      if (mapped) {
        const p: [Handle | null] = [null];
        check('vkMapMemory', a.mapMemory(dev, this.memory, 0, VK.WHOLE_SIZE, 0, p), what);
        view = mappedView(p[0]!, Math.max(total, 4));
      }
      handles.forEach((h, i) => {
        check('vkBindBufferMemory', a.bindBufferMemory(dev, h, this.memory!, offsets[i]!), what);
        this.buffers.push({ buffer: h, bytes: sizes[i]!, mapped: view ? new Uint8Array(view, offsets[i]!, sizes[i]!) : null });
      });
    } catch (e) {
      for (const h of handles) a.destroyBuffer(dev, h, null);
      if (this.memory) a.freeMemory(dev, this.memory, null);
      this.memory = null;
      throw e;
    }
  }

  destroy(): void {
    const a = this.ctx.api, dev = this.ctx.device;
    for (const b of this.buffers) a.destroyBuffer(dev, b.buffer, null);
    if (this.memory) a.freeMemory(dev, this.memory, null);
    this.buffers.length = 0;
    this.memory = null;
  }
}
