// The CUDA runtime: the driver API through koffi, device memory, modules (PTX, or a cubin for the
// device's architecture) and the executor of executables on the GPU. Nothing here compiles:
// modules come from the compiler or an artifact.
export { CudaError, CudaUnavailableError } from './errors.ts';
export { DeviceAttr, type CudaDriver, type CudaHandle, type DevicePtr } from './driver-api.ts';
export { loadCudaDriver, libcudaCandidates } from './driver.ts';
export { CudaContext, cudaContext, cudaStatus, useCudaDriver, type CudaDeviceInfo } from './context.ts';
export { CachingAllocator, sizeClass, storageBytes, upload, download, type AllocatorStats } from './memory.ts';
export { LoadedModule, type LoadedKernel } from './module.ts';
export { archCapability, cubinRunsOn, isCubin, MIN_CUBIN_BYTES } from './cubin.ts';
export { CudaExecutor, createCudaRunner, type CudaRunner, type DeviceRun, type ExecutorOptions } from './executor.ts';
export { timeOnGpu, type GpuTiming, type TimingOptions } from './timing.ts';
export { FakeCudaDriver, type FakeKernel, type FakeDriverOptions, type FakeLaunch } from './fake-driver.ts';
export { CudaArray } from './array.ts';
