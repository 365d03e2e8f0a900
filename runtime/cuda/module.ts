// A CudaModule loaded into the current context, with a function handle and launch shape per
// kernel. Its cubin is loaded when it is for exactly the device's compute capability (no JIT);
// else, or when the driver refuses the cubin (e.g. one from a newer ptxas than the driver), the
// PTX, which the driver JIT-compiles. Kernels asking for more than the default 48 KiB of dynamic
// shared memory are given the opt-in attribute (checked against the device's limit first).
import { KilnError } from '../../compiler/ir/errors.ts';
import type { CudaModule, GpuLaunch } from '../executable.ts';
import { cubinRunsOn } from './cubin.ts';
import type { CudaDriver, CudaHandle } from './driver-api.ts';
import { CudaError } from './errors.ts';

const DEFAULT_SHARED = 48 * 1024;

export interface LoadedKernel {
  readonly name: string;
  readonly fn: CudaHandle;
  readonly launch: GpuLaunch;
}

export class LoadedModule {
  readonly handle: CudaHandle;
  readonly kernels = new Map<string, LoadedKernel>();

  /** Which image was loaded: the cubin, or the PTX through the driver's JIT. */
  readonly image: 'cubin' | 'ptx';

  /** `computeCapability` is the device's, e.g. [9, 0]; without it the PTX is loaded. */
  constructor(driver: CudaDriver, module: CudaModule, maxSharedOptin: number, computeCapability?: readonly [number, number]) {
    const cubin = module.cubin && computeCapability && process.env.KILN_CUDA_CUBIN !== '0' && cubinRunsOn(module.arch, computeCapability) ? module.cubin : undefined;
    let handle = cubin && loadCubin(driver, cubin, module.arch);
    this.image = handle === undefined ? 'ptx' : 'cubin';
    handle ??= driver.loadModule(module.ptx);
    this.handle = handle;
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

let fallbackSaid = false;

/** The cubin loaded, or undefined when the driver refuses it (said once on stderr). */
function loadCubin(driver: CudaDriver, cubin: Uint8Array, arch: string): CudaHandle | undefined {
  try {
    return driver.loadModule(cubin);
  } catch (e) {
    if (!(e instanceof CudaError)) throw e;
    if (!fallbackSaid) {
      fallbackSaid = true;
      process.stderr.write(`kiln: the CUDA driver refused a cubin for ${arch}; loading the PTX instead (${e.message.split('\n')[0]})\n`);
    }
    return undefined;
  }
}
