// The backends that run an artifact's entries: the CPU (its shared object loaded with koffi,
// programs run by the host executor), CUDA and Vulkan (their runtimes, loaded only when needed).
import type { HostArray } from '../../compiler/ir/dtype.ts';
import { KilnError } from '../../compiler/ir/errors.ts';
import { KernelLoadError, loadKernels, type ParamSpec } from '../cpu/library.ts';
import type { CudaModule } from '../executable.ts';
import { HostExecutor } from '../host-executor.ts';
import { kernelCacheDir, materialize } from './cache.ts';
import { ArtifactError } from './errors.ts';
import type { DecodedArtifact } from './format.ts';
import { vulkanModuleOf } from './vulkan.ts';

/** Runs entry `index` of an artifact on host arrays (one per program input); returns its outputs. */
export interface Runner {
  run(index: number, inputs: readonly HostArray[]): HostArray[];
  /** Frees what the runner holds on its device (GPU memory, modules, pipelines). */
  dispose(): void;
}

/** The platform a CPU artifact's shared object is for: the one it was built on. */
export function hostPlatform(): string {
  return `${process.platform}-${process.arch}`;
}

export function cpuRunner(a: DecodedArtifact, cacheDir = kernelCacheDir()): Runner {
  const table = a.manifest.kernels;
  if (table.platform !== hostPlatform()) {
    throw new ArtifactError('target', `this artifact's CPU kernels were built for ${table.platform ?? 'an unknown platform'}; this machine is ${hostPlatform()}: compile the model here`);
  }
  const path = materialize(a.kernels, table.sha256, cacheDir, '.so');
  const sigs: Record<string, readonly ParamSpec[]> = {};
  for (const k of table.kernels) sigs[k.name] = k.params.map((p) => ({ dtype: p.dtype, size: p.size }));
  let kernels;
  try {
    kernels = loadKernels(path, table.kernels.map((k) => k.name), sigs);
  } catch (e) {
    if (e instanceof KernelLoadError) throw new ArtifactError('malformed', `the artifact's kernel library cannot be used: ${e.message}`);
    throw e;
  }
  const execs = a.manifest.entries.map((e) => new HostExecutor(e.program, kernels));
  return {
    run(index, inputs) {
      try {
        return execs[index]!.run(inputs);
      } catch (e) {
        // Each kernel call checks its buffers against the manifest's param sizes.
        if (e instanceof KernelLoadError) throw new ArtifactError('malformed', e.message);
        throw e;
      }
    },
    // The library stays loaded (shared by every load of the same kernels); the arrays are GC'd.
    dispose() {},
  };
}

export async function cudaRunner(a: DecodedArtifact): Promise<Runner> {
  const table = a.manifest.kernels;
  // Imported only for CUDA artifacts: a CPU artifact never loads the CUDA runtime.
  let rt: typeof import('../cuda/index.ts');
  try {
    rt = await import('../cuda/index.ts');
  } catch (e) {
    throw new ArtifactError('unavailable', `cannot run a cuda artifact: this Kiln's CUDA runtime (runtime/cuda) cannot be loaded (${(e as Error).message.split('\n')[0]})`);
  }
  const module: CudaModule = {
    arch: table.arch ?? 'unknown',
    producer: table.producer ?? 'llc-14',
    ptx: new TextDecoder().decode(a.kernels),
    ...(a.cubin && { cubin: a.cubin }),
    kernels: table.kernels.map((k) => ({ name: k.name, launch: k.launch! })),
  };
  try {
    const runner = rt.createCudaRunner(module, a.manifest.entries.map((e) => e.program));
    return { run: (i, inputs) => runner.run(i, inputs), dispose: () => runner.dispose() };
  } catch (e) {
    if (e instanceof KilnError && !(e instanceof ArtifactError)) throw new ArtifactError('target', `cannot run a cuda artifact here: ${e.message}`);
    throw e;
  }
}

export async function vulkanRunner(a: DecodedArtifact): Promise<Runner> {
  // Imported only for Vulkan artifacts (it opens libvulkan through koffi).
  let rt: typeof import('../vulkan/index.ts');
  try {
    rt = await import('../vulkan/index.ts');
  } catch (e) {
    throw new ArtifactError('unavailable', `cannot run a vulkan artifact: this Kiln's Vulkan runtime (runtime/vulkan) cannot be loaded (${(e as Error).message.split('\n')[0]})`);
  }
  try {
    const runner = rt.createVulkanRunner(vulkanModuleOf(a.manifest.kernels, a.kernels), a.manifest.entries.map((e) => e.program));
    return { run: (i, inputs) => runner.run(i, inputs), dispose: () => runner.dispose() };
  } catch (e) {
    // No loader or device, or one lacking a feature the kernels need (f64, float controls).
    if (e instanceof KilnError && !(e instanceof ArtifactError)) throw new ArtifactError('target', `cannot run a vulkan artifact here: ${e.message}`);
    throw e;
  }
}
