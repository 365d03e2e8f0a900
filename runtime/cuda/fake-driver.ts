// A CudaDriver without a GPU, for tests: "device" memory is host memory at made-up addresses
// (every access is bounds-checked against its block), and kernels are JS functions over typed
// views of their parameters, looked up by name (`name`, or `<ptx>/<name>` for a kernel of the
// module whose PTX text is `<ptx>`, so that modules may reuse names; a cubin's by name only). It lets the allocator, the executor and the
// backends run here exactly as they would on a device, one launch at a time.
import { allocHost, type DType, type HostArray } from '../../compiler/ir/dtype.ts';
import type { CudaDriver, CudaHandle, DevicePtr } from './driver-api.ts';
import { CudaError } from './errors.ts';

/** A kernel of the fake device: its parameters' dtypes and element counts, and its body. */
export interface FakeKernel {
  readonly params: readonly { readonly dtype: DType; readonly size: number }[];
  run(buffers: HostArray[]): void;
}

export interface FakeDriverOptions {
  /** Number of GPUs (default 1); 0 simulates a driver that finds none. */
  readonly devices?: number;
  /** Bytes of device memory; allocations beyond it fail with CUDA_ERROR_OUT_OF_MEMORY. */
  readonly capacity?: number;
  /** The device's compute capability (default [9, 0], an H100). */
  readonly computeCapability?: readonly [number, number];
  /** Refuse every cubin with CUDA_ERROR_NO_BINARY_FOR_GPU, as a driver older than the ptxas
   * that made it does. */
  readonly rejectCubins?: boolean;
}

export interface FakeLaunch {
  readonly kernel: string;
  readonly grid: readonly number[];
  readonly block: readonly number[];
  readonly sharedBytes: number;
  readonly params: readonly DevicePtr[];
}

const ERRORS: Readonly<Record<number, [string, string]>> = {
  1: ['CUDA_ERROR_INVALID_VALUE', 'invalid argument'],
  2: ['CUDA_ERROR_OUT_OF_MEMORY', 'out of memory'],
  100: ['CUDA_ERROR_NO_DEVICE', 'no CUDA-capable device is detected'],
  500: ['CUDA_ERROR_NOT_FOUND', 'named symbol not found'],
  209: ['CUDA_ERROR_NO_BINARY_FOR_GPU', 'no kernel image is available for execution on the device'],
};

function fail(func: string, code: number, detail = ''): never {
  const [name, text] = ERRORS[code] ?? ['CUDA_ERROR_UNKNOWN', 'unknown error'];
  throw new CudaError(func, code, name, text, detail);
}

export class FakeCudaDriver implements CudaDriver {
  readonly source = 'fake';
  readonly launches: FakeLaunch[] = [];
  /** What each loadModule call was given, in order (a refused cubin included). */
  readonly loadedImages: ('ptx' | 'cubin')[] = [];
  /** Calls to memAlloc that reached "the device". */
  allocCalls = 0;
  private readonly blocks = new Map<DevicePtr, ArrayBuffer>();
  private next = 0x10000n;
  private used = 0;
  private readonly functions = new Map<CudaHandle, string>();
  private readonly modules = new Map<CudaHandle, string>();
  private handles = 1n;

  constructor(
    private readonly kernels: Readonly<Record<string, FakeKernel>>,
    private readonly opts: FakeDriverOptions = {},
  ) {}

  init(): void {
    if ((this.opts.devices ?? 1) === 0) fail('cuInit', 100);
  }
  deviceCount(): number {
    return this.opts.devices ?? 1;
  }
  device(i: number): number {
    return i;
  }
  deviceName(): string {
    return 'Fake GPU';
  }
  deviceAttribute(attr: number): number {
    const [major, minor] = this.opts.computeCapability ?? [9, 0];
    return attr === 97 ? 227 * 1024 : attr === 75 ? major : attr === 76 ? minor : attr === 16 ? 4 : 0;
  }
  primaryContext(): CudaHandle {
    return this.handles++;
  }

  memAlloc(bytes: number): DevicePtr {
    if (bytes <= 0) fail('cuMemAlloc_v2', 1);
    if (this.opts.capacity !== undefined && this.used + bytes > this.opts.capacity) fail('cuMemAlloc_v2', 2);
    this.allocCalls++;
    const ptr = this.next;
    // A gap after each block, so a pointer running off its block hits no other one.
    this.next += BigInt(Math.ceil(bytes / 256) * 256 + 256);
    this.blocks.set(ptr, new ArrayBuffer(bytes));
    this.used += bytes;
    return ptr;
  }

  memFree(ptr: DevicePtr): void {
    const b = this.blocks.get(ptr);
    if (!b) fail('cuMemFree_v2', 1, `0x${ptr.toString(16)} is not an allocation`);
    this.used -= b.byteLength;
    this.blocks.delete(ptr);
  }

  /** Blocks allocated and not freed. */
  liveBlocks(): number {
    return this.blocks.size;
  }

  /** `bytes` bytes at `ptr`, as bytes of the block holding them (out of bounds throws). */
  bytesAt(ptr: DevicePtr, bytes: number, what = 'access'): Uint8Array {
    for (const [base, buf] of this.blocks) {
      if (ptr >= base && ptr + BigInt(bytes) <= base + BigInt(buf.byteLength)) return new Uint8Array(buf, Number(ptr - base), bytes);
    }
    throw new Error(`fake cuda: ${what} of ${bytes} bytes at 0x${ptr.toString(16)} is outside every allocation`);
  }

  private view(ptr: DevicePtr, dtype: DType, n: number, what: string): HostArray {
    const probe = allocHost(dtype, 0);
    const bytes = this.bytesAt(ptr, n * probe.BYTES_PER_ELEMENT, what);
    if (bytes.byteOffset % probe.BYTES_PER_ELEMENT !== 0) throw new Error(`fake cuda: ${what} at 0x${ptr.toString(16)} is misaligned for ${dtype}`);
    const C = probe.constructor as new (b: ArrayBufferLike, o: number, n: number) => HostArray;
    return new C(bytes.buffer, bytes.byteOffset, n);
  }

  copyHtoD(dst: DevicePtr, src: ArrayBufferView): void {
    this.bytesAt(dst, src.byteLength, 'cuMemcpyHtoD').set(new Uint8Array(src.buffer, src.byteOffset, src.byteLength));
  }
  copyDtoH(dst: ArrayBufferView, src: DevicePtr): void {
    new Uint8Array(dst.buffer, dst.byteOffset, dst.byteLength).set(this.bytesAt(src, dst.byteLength, 'cuMemcpyDtoH'));
  }
  copyDtoD(dst: DevicePtr, src: DevicePtr, bytes: number): void {
    this.bytesAt(dst, bytes, 'cuMemcpyDtoD').set(this.bytesAt(src, bytes, 'cuMemcpyDtoD').slice());
  }
  memsetD8(dst: DevicePtr, value: number, bytes: number): void {
    this.bytesAt(dst, bytes, 'cuMemsetD8').fill(value);
  }

  loadModule(image: string | Uint8Array): CudaHandle {
    const cubin = typeof image !== 'string';
    this.loadedImages.push(cubin ? 'cubin' : 'ptx');
    if (cubin && this.opts.rejectCubins) fail('cuModuleLoadDataEx', 209);
    const h = this.handles++;
    // A cubin's kernels are found by their names alone (the scoped names are PTX-keyed).
    this.modules.set(h, cubin ? `cubin ${h}` : image);
    return h;
  }
  getFunction(module: CudaHandle, name: string): CudaHandle {
    const scoped = `${this.modules.get(module)}/${name}`;
    const key = this.kernels[scoped] ? scoped : name;
    if (!this.kernels[key]) fail('cuModuleGetFunction', 500, `(kernel '${name}')`);
    const h = this.handles++;
    this.functions.set(h, key);
    return h;
  }
  setMaxDynamicShared(): void {}

  launch(fn: CudaHandle, grid: readonly [number, number, number], block: readonly [number, number, number], sharedBytes: number, _s: CudaHandle, params: readonly DevicePtr[]): void {
    const name = this.functions.get(fn);
    if (name === undefined) fail('cuLaunchKernel', 1, 'unknown function handle');
    const k = this.kernels[name]!;
    if (params.length !== k.params.length) throw new Error(`fake cuda: kernel ${name} takes ${k.params.length} params, launched with ${params.length}`);
    this.launches.push({ kernel: name, grid: [...grid], block: [...block], sharedBytes, params: [...params] });
    k.run(params.map((p, i) => this.view(p, k.params[i]!.dtype, k.params[i]!.size, `${name} param ${i}`)));
  }

  streamCreate(): CudaHandle {
    return this.handles++;
  }
  streamSynchronize(): void {}
  eventCreate(): CudaHandle {
    return this.handles++;
  }
  eventRecord(): void {}
  eventSynchronize(): void {}
  eventElapsedMs(): number {
    return 1;
  }
}
