// Devices and the arrays that live on them. The interpreter and the CPU backend keep arrays in
// host memory (a typed array); GPU backends keep a device buffer and copy to the host on
// demand. Nothing here compiles anything: the runtime is thin.
import type { HostArray } from '../compiler/ir/dtype.ts';
import { KilnError } from '../compiler/ir/errors.ts';
import { avalToString, type AVal } from '../compiler/ir/ir.ts';
import type { HostTensor } from './interp/index.ts';

export type BackendKind = 'interp' | 'cpu' | 'cuda' | 'vulkan';

/** A device, as the book's section 5.6 uses them: `cpu:0`, `cuda:0`. */
export class Device {
  constructor(
    readonly kind: BackendKind,
    readonly index = 0,
  ) {}

  /** The device's name, e.g. `cpu:0`. */
  toString(): string {
    return `${this.kind}:${this.index}`;
  }

  /** Whether arrays on this device live in host memory (no copies to read them). */
  get isHost(): boolean {
    return this.kind === 'interp' || this.kind === 'cpu';
  }
}

/** A concrete array on a device. */
export interface DeviceArray {
  readonly device: Device;
  readonly aval: AVal;
  /**
   * Placed on its device on purpose (x.to(d), or computed from such arrays). Uncommitted
   * arrays (made on the default device) follow committed operands to their device, as in JAX.
   */
  readonly committed: boolean;
  /** The array's data in host memory (the array itself on host devices; a copy otherwise). */
  toHost(): HostTensor;
}

/** An array in host memory, on the interpreter or the CPU device. */
export class HostArrayOnDevice implements DeviceArray {
  private deleted: string | undefined;

  constructor(
    readonly device: Device,
    readonly aval: AVal,
    private readonly buffer: HostArray,
    readonly committed = false,
  ) {}

  get data(): HostArray {
    if (this.deleted) throw new KilnError(`this ${avalToString(this.aval)} tensor can no longer be used: ${this.deleted}`);
    return this.buffer;
  }

  toHost(): HostTensor {
    return { aval: this.aval, data: this.data };
  }

  /** The buffer was handed over (donated): any later read is an error naming `why`. */
  markDeleted(why: string): void {
    this.deleted = why;
  }
}

/** Two arrays on different devices met in one operation. */
export class DeviceMismatchError extends KilnError {
  override name = 'DeviceMismatchError';
}

/**
 * The device an operation on `arrays` runs on: that of the committed operands, which must
 * agree (else a DeviceMismatchError); the first operand's when none is committed.
 */
export function checkSameDevice(op: string, arrays: readonly DeviceArray[]): Device | undefined {
  const committed = arrays.filter((a) => a.committed);
  if (committed.length === 0) return arrays[0]?.device;
  const first = committed[0]!.device;
  for (const a of committed) {
    if (a.device.kind !== first!.kind || a.device.index !== first!.index) {
      throw new DeviceMismatchError(
        `${op}: operands live on different devices (${committed.map((x) => `${avalToString(x.aval)} on ${x.device}`).join(', ')}); ` +
          `move them with x.to(device) first`,
      );
    }
  }
  return first;
}
