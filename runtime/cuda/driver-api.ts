// The CUDA driver as the rest of the runtime sees it: an interface of plain calls that throw
// CudaError on failure. driver.ts implements it with koffi over libcuda; tests inject a fake
// that keeps "device" memory on the host, so the allocator and executor run without a GPU.

/** A device address (CUdeviceptr, 64-bit). Offsets into a block are plain additions. */
export type DevicePtr = bigint;
/** An opaque driver handle (CUcontext, CUmodule, CUfunction, CUstream, CUevent). */
export type CudaHandle = bigint;

/** CUdevice_attribute values used here (cuda.h). */
export const DeviceAttr = {
  maxThreadsPerBlock: 1,
  maxSharedMemoryPerBlock: 8,
  multiprocessorCount: 16,
  computeCapabilityMajor: 75,
  computeCapabilityMinor: 76,
  maxSharedMemoryPerBlockOptin: 97,
} as const;

export interface CudaDriver {
  /** Where the driver came from (a library path, or 'fake'). */
  readonly source: string;
  init(): void;
  deviceCount(): number;
  /** The CUdevice of ordinal `i`. */
  device(i: number): number;
  deviceName(dev: number): string;
  deviceAttribute(attr: number, dev: number): number;
  /** Retains the device's primary context and makes it current on this thread. */
  primaryContext(dev: number): CudaHandle;

  memAlloc(bytes: number): DevicePtr;
  memFree(ptr: DevicePtr): void;
  /** Copies all of `src`'s bytes to `dst` (synchronous). */
  copyHtoD(dst: DevicePtr, src: ArrayBufferView): void;
  /** Fills all of `dst`'s bytes from `src` (synchronous). */
  copyDtoH(dst: ArrayBufferView, src: DevicePtr): void;
  copyDtoD(dst: DevicePtr, src: DevicePtr, bytes: number): void;
  memsetD8(dst: DevicePtr, value: number, bytes: number): void;

  /** Loads a module: PTX text (JIT-compiled by the driver; a failure reports the JIT log) or a
   * cubin's bytes (SASS for the device's architecture, loaded as is). */
  loadModule(image: string | Uint8Array): CudaHandle;
  getFunction(module: CudaHandle, name: string): CudaHandle;
  /** Allows a kernel more than the default 48 KiB of dynamic shared memory. */
  setMaxDynamicShared(fn: CudaHandle, bytes: number): void;
  /** Launches `fn`; `params` are its parameters, each one device pointer. */
  launch(
    fn: CudaHandle,
    grid: readonly [number, number, number],
    block: readonly [number, number, number],
    sharedBytes: number,
    stream: CudaHandle,
    params: readonly DevicePtr[],
  ): void;

  streamCreate(): CudaHandle;
  streamSynchronize(stream: CudaHandle): void;
  eventCreate(): CudaHandle;
  eventRecord(event: CudaHandle, stream: CudaHandle): void;
  eventSynchronize(event: CudaHandle): void;
  /** Milliseconds between two recorded events. */
  eventElapsedMs(start: CudaHandle, end: CudaHandle): number;
}
