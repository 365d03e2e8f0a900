// A CudaModule's PTX loaded into the current context, with a function handle and launch
// shape per kernel. Kernels asking for more than the default 48 KiB of dynamic shared memory
// are given the opt-in attribute (checked against the device's limit first).
import { KilnError } from '../../compiler/ir/errors.ts';
import type { CudaModule, GpuLaunch } from '../executable.ts';
import type { CudaDriver, CudaHandle } from './driver-api.ts';

const DEFAULT_SHARED = 48 * 1024;

export interface LoadedKernel {
  readonly name: string;
  readonly fn: CudaHandle;
  readonly launch: GpuLaunch;
}

export class LoadedModule {
  readonly handle: CudaHandle;
  readonly kernels = new Map<string, LoadedKernel>();

  constructor(driver: CudaDriver, module: CudaModule, maxSharedOptin: number) {
    this.handle = driver.loadModule(module.ptx);
    for (const k of module.kernels) {
      const fn = driver.getFunction(this.handle, k.name);
      const shared = k.launch.sharedBytes;
      if (shared > DEFAULT_SHARED) {
        if (shared > maxSharedOptin) throw new KilnError(`cuda: kernel '${k.name}' needs ${shared} bytes of shared memory; this GPU allows ${maxSharedOptin}`);
        driver.setMaxDynamicShared(fn, shared);
      }
      this.kernels.set(k.name, { name: k.name, fn, launch: k.launch });
    }
  }

  kernel(name: string): LoadedKernel {
    const k = this.kernels.get(name);
    if (!k) throw new KilnError(`executable: kernel '${name}' is missing from its CUDA module`);
    return k;
  }
}
