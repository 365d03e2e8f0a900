// Device memory: a caching allocator (blocks rounded up to size classes and kept for reuse
// when freed, as GPU frameworks do, since cuMemAlloc/cuMemFree are slow and synchronise), and
// copies of Kiln's host arrays. Host and device hold the same element layout: f16 and bf16 are
// f32 on both, bool one byte, so a copy is the host array's bytes.
//
// Reuse is safe without events because all work runs in order on one stream (and the driver's
// synchronous copies wait for it): a block freed by the host is next written by work enqueued
// after every use of it.
import { allocHost, type DType, type HostArray } from '../../compiler/ir/dtype.ts';
import { KilnError } from '../../compiler/ir/errors.ts';
import type { CudaDriver, DevicePtr } from './driver-api.ts';
import { CudaError } from './errors.ts';

/** Bytes of one element as stored on the host and the device (f16/bf16 as f32). */
export function storageBytes(dtype: DType): number {
  return allocHost(dtype, 0).BYTES_PER_ELEMENT;
}

const MIN_BLOCK = 256;
const CUDA_ERROR_OUT_OF_MEMORY = 2;

/** The size class of a request: at least 256 bytes, else a power of two times 1, 1.25, 1.5 or 1.75. */
export function sizeClass(bytes: number): number {
  if (bytes <= MIN_BLOCK) return MIN_BLOCK;
  const p = 2 ** Math.floor(Math.log2(bytes));
  for (const f of [1, 1.25, 1.5, 1.75, 2]) {
    const c = Math.ceil((p * f) / MIN_BLOCK) * MIN_BLOCK;
    if (c >= bytes) return c;
  }
  return 2 * p;
}

export interface AllocatorStats {
  /** Bytes handed out and not yet freed (in size classes). */
  readonly liveBytes: number;
  /** Bytes freed and kept for reuse. */
  readonly cachedBytes: number;
  /** cuMemAlloc calls so far. */
  readonly driverAllocs: number;
}

export class CachingAllocator {
  private readonly free = new Map<number, DevicePtr[]>();
  private readonly live = new Map<DevicePtr, number>();
  private liveBytes = 0;
  private cachedBytes = 0;
  private driverAllocs = 0;

  constructor(private readonly driver: CudaDriver) {}

  /** A block of at least `bytes` bytes (a cached one when its class has one). */
  alloc(bytes: number): DevicePtr {
    const size = sizeClass(bytes);
    const cached = this.free.get(size)?.pop();
    let ptr: DevicePtr;
    if (cached !== undefined) {
      ptr = cached;
      this.cachedBytes -= size;
    } else {
      ptr = this.fromDriver(size);
    }
    this.live.set(ptr, size);
    this.liveBytes += size;
    return ptr;
  }

  private fromDriver(size: number): DevicePtr {
    this.driverAllocs++;
    try {
      return this.driver.memAlloc(size);
    } catch (e) {
      // Out of memory with blocks cached: give them back to the driver and try once more.
      if (!(e instanceof CudaError) || e.code !== CUDA_ERROR_OUT_OF_MEMORY || this.cachedBytes === 0) throw e;
      this.release();
      return this.driver.memAlloc(size);
    }
  }

  /** Returns a block from alloc() for reuse. */
  dealloc(ptr: DevicePtr): void {
    const size = this.live.get(ptr);
    if (size === undefined) throw new KilnError(`cuda: freeing device address 0x${ptr.toString(16)}, which is not a live block`);
    this.live.delete(ptr);
    this.liveBytes -= size;
    let list = this.free.get(size);
    if (!list) this.free.set(size, (list = []));
    list.push(ptr);
    this.cachedBytes += size;
  }

  /** The size (class) of live block `ptr`; undefined when it is not one. */
  sizeOf(ptr: DevicePtr): number | undefined {
    return this.live.get(ptr);
  }

  /** Gives every cached (freed) block back to the driver. Live blocks stay. */
  release(): void {
    for (const list of this.free.values()) for (const p of list) this.driver.memFree(p);
    this.free.clear();
    this.cachedBytes = 0;
  }

  stats(): AllocatorStats {
    return { liveBytes: this.liveBytes, cachedBytes: this.cachedBytes, driverAllocs: this.driverAllocs };
  }
}

/** A new device block holding a copy of `host`. */
export function upload(driver: CudaDriver, memory: CachingAllocator, host: HostArray): DevicePtr {
  const ptr = memory.alloc(host.byteLength);
  driver.copyHtoD(ptr, host);
  return ptr;
}

/** `n` elements of `dtype` at `ptr`, copied to a new host array. */
export function download(driver: CudaDriver, ptr: DevicePtr, dtype: DType, n: number): HostArray {
  const out = allocHost(dtype, n);
  driver.copyDtoH(out, ptr);
  return out;
}
