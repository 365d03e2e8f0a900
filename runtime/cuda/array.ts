// An array whose data lives in GPU memory. Its block returns to the context's pool when the
// array is garbage-collected, or moves to another array when it is donated to a jitted
// function that writes its result in place. Reading it on the host copies (once: arrays are
// immutable, so the copy is kept).
import type { HostArray } from '../../compiler/ir/dtype.ts';
import { KilnError } from '../../compiler/ir/errors.ts';
import { avalToString, sizeOf, type AVal } from '../../compiler/ir/ir.ts';
import { Device, type DeviceArray } from '../device.ts';
import type { HostTensor } from '../interp/index.ts';
import type { CudaContext } from './context.ts';
import type { DevicePtr } from './driver-api.ts';

interface Held {
  readonly ctx: CudaContext;
  readonly ptr: DevicePtr;
}

// Blocks of collected arrays go back to the pool (bookkeeping only, no driver call, so it is
// safe whenever the callback runs; the stream orders any later reuse after earlier kernels).
const blocks = new FinalizationRegistry<Held>((h) => h.ctx.memory.dealloc(h.ptr));

export class CudaArray implements DeviceArray {
  private block: DevicePtr | undefined;
  private deleted: string | undefined;
  private host: HostArray | undefined;

  /** Takes ownership of pool block `ptr` of `ctx`. */
  constructor(
    readonly context: CudaContext,
    readonly device: Device,
    readonly aval: AVal,
    ptr: DevicePtr,
    readonly committed = false,
  ) {
    this.block = ptr;
    blocks.register(this, { ctx: context, ptr }, this);
  }

  /** The device address of the data. */
  get ptr(): DevicePtr {
    if (this.block === undefined) throw new KilnError(`this ${avalToString(this.aval)} tensor can no longer be used: ${this.deleted}`);
    return this.block;
  }

  toHost(): HostTensor {
    const ptr = this.ptr; // a donated array is unusable even when a copy is kept
    this.host ??= this.context.download(ptr, this.aval.dtype, sizeOf(this.aval.shape));
    return { aval: this.aval, data: this.host };
  }

  /** Hands the block over (the array was donated and a result now lives in it): later use is an error naming `why`. */
  transfer(why: string): DevicePtr {
    const p = this.ptr;
    blocks.unregister(this);
    this.block = undefined;
    this.deleted = why;
    return p;
  }

  /** The array was donated but its block not reused: it is freed now, and later use is an error naming `why`. */
  markDeleted(why: string): void {
    if (this.block === undefined) return;
    this.context.memory.dealloc(this.transfer(why));
  }
}
