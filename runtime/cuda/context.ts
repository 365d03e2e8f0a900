// One CUDA device in use: the driver, the device's primary context, one stream for all work,
// the memory pool and the loaded modules. The process-wide context is created on first use;
// when no driver or GPU is there, that use throws a CudaUnavailableError (remembered, so
// asking again is cheap), which callers turn into a fallback to another backend.
import type { DType, HostArray } from '../../compiler/ir/dtype.ts';
import type { CudaModule } from '../executable.ts';
import { DeviceAttr, type CudaDriver, type CudaHandle, type DevicePtr } from './driver-api.ts';
import { loadCudaDriver } from './driver.ts';
import { CudaError, CudaUnavailableError } from './errors.ts';
import { CachingAllocator, download, upload } from './memory.ts';
import { LoadedModule } from './module.ts';

export interface CudaDeviceInfo {
  readonly ordinal: number;
  readonly name: string;
  /** e.g. [9, 0] for an H100. */
  readonly computeCapability: readonly [number, number];
  readonly multiprocessors: number;
  /** Most dynamic shared memory a kernel may opt in to, in bytes. */
  readonly maxSharedOptin: number;
  /** Where the driver came from. */
  readonly driver: string;
}

export class CudaContext {
  readonly memory: CachingAllocator;
  readonly stream: CudaHandle;
  readonly info: CudaDeviceInfo;
  private readonly modules = new WeakMap<CudaModule, LoadedModule>();

  private constructor(
    readonly driver: CudaDriver,
    ordinal: number,
  ) {
    const dev = driver.device(ordinal);
    driver.primaryContext(dev);
    this.info = {
      ordinal,
      name: driver.deviceName(dev),
      computeCapability: [driver.deviceAttribute(DeviceAttr.computeCapabilityMajor, dev), driver.deviceAttribute(DeviceAttr.computeCapabilityMinor, dev)],
      multiprocessors: driver.deviceAttribute(DeviceAttr.multiprocessorCount, dev),
      maxSharedOptin: driver.deviceAttribute(DeviceAttr.maxSharedMemoryPerBlockOptin, dev),
      driver: driver.source,
    };
    this.stream = driver.streamCreate();
    this.memory = new CachingAllocator(driver);
  }

  /** Starts the driver and makes device `ordinal` current. Throws CudaUnavailableError. */
  static create(driver: CudaDriver, ordinal = 0): CudaContext {
    let n: number;
    try {
      driver.init();
      n = driver.deviceCount();
      if (n > ordinal) return new CudaContext(driver, ordinal);
    } catch (e) {
      // No device (CUDA_ERROR_NO_DEVICE), a driver too old, a context that cannot be made.
      if (e instanceof CudaError) throw new CudaUnavailableError(`the CUDA driver (${driver.source}) did not start: ${e.message}`);
      throw e;
    }
    if (n === 0) throw new CudaUnavailableError(`the CUDA driver (${driver.source}) found no GPU`);
    throw new CudaUnavailableError(`cuda:${ordinal} is not present (${n} GPU${n > 1 ? 's' : ''} found)`);
  }

  /** The module's kernels, loaded once per module object. */
  load(module: CudaModule): LoadedModule {
    let m = this.modules.get(module);
    if (!m) this.modules.set(module, (m = new LoadedModule(this.driver, module, this.info.maxSharedOptin, this.info.computeCapability)));
    return m;
  }

  upload(host: HostArray): DevicePtr {
    return upload(this.driver, this.memory, host);
  }

  download(ptr: DevicePtr, dtype: DType, n: number): HostArray {
    this.synchronize();
    return download(this.driver, ptr, dtype, n);
  }

  synchronize(): void {
    this.driver.streamSynchronize(this.stream);
  }
}

let shared: CudaContext | undefined;
let failure: CudaUnavailableError | undefined;
let injected: CudaDriver | undefined;

/** The process's CUDA context (device 0), created on first use. Throws CudaUnavailableError. */
export function cudaContext(): CudaContext {
  if (shared) return shared;
  if (failure) throw failure;
  try {
    if (process.env.KILN_NO_CUDA === '1') throw new CudaUnavailableError('CUDA is disabled by KILN_NO_CUDA=1', true);
    shared = CudaContext.create(injected ?? loadCudaDriver());
    return shared;
  } catch (e) {
    if (e instanceof CudaUnavailableError) failure = e;
    throw e;
  }
}

/** Whether a GPU is usable, and if not, why. Never throws for a missing driver. */
export function cudaStatus():
  | { readonly available: true; readonly info: CudaDeviceInfo }
  | { readonly available: false; readonly reason: string; readonly missing: boolean } {
  try {
    return { available: true, info: cudaContext().info };
  } catch (e) {
    if (e instanceof CudaUnavailableError) return { available: false, reason: e.message, missing: e.missing };
    if (e instanceof CudaError) return { available: false, reason: e.message, missing: false };
    throw e;
  }
}

/** Uses `driver` for the process's context from now on (tests inject a fake); undefined resets. */
export function useCudaDriver(driver: CudaDriver | undefined): void {
  injected = driver;
  shared = undefined;
  failure = undefined;
}
