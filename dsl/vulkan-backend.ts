// The Vulkan device: eager ops run as compiled single-op programs (cached per primitive,
// params and operand types) and jit compiles whole functions, both through the SPIR-V code
// generator (compileForVulkan) and the Vulkan runtime (runtime/vulkan). Arrays of this
// device are kept in host memory between calls and copied to and from the device's buffers
// by each run (on lavapipe and integrated GPUs those buffers are host memory themselves).
//
// The device is listed whenever the Vulkan loader is installed; the driver is opened on first
// use (a VulkanUnavailableError then if there is none). It becomes the default device only
// when asked for (KILN_BACKEND=vulkan): finding out whether the Vulkan device is a GPU or a
// CPU implementation costs an instance (about 0.1 s) at every import otherwise.
import type { HostArray } from '../compiler/ir/dtype.ts';
import type { Func } from '../compiler/ir/ir.ts';
import { compileForVulkan } from '../compiler/pipeline.ts';
import { Device } from '../runtime/device.ts';
import type { VulkanModule } from '../runtime/executable.ts';
import { createVulkanRunner, VulkanContext, vulkanLoaderPresent } from '../runtime/vulkan/index.ts';
import type { RunnableProgram } from './compile.ts';
import type { EagerBackend, Unavailable } from './eager.ts';
import { hostMemoryBackend, singleOpBackend } from './single-op-backend.ts';

const vulkan = new Device('vulkan');

/** Threads per workgroup of one-per-item launches on the device (256, or the device's limit). */
function workgroupSize(ctx: VulkanContext): number {
  return Math.min(256, ctx.info.maxWorkgroupInvocations);
}

const compileListeners = new Set<(module: VulkanModule) => void>();

/** Calls `fn` with every module the backend compiles (tests validate them); returns a remover. */
export function onVulkanCompile(fn: (module: VulkanModule) => void): () => void {
  compileListeners.add(fn);
  return () => compileListeners.delete(fn);
}

/** Compiles `func` for the process's Vulkan device and returns its runner. */
export function vulkanProgram(func: Func, donated: readonly boolean[]): RunnableProgram {
  const ctx = VulkanContext.get();
  const preserveNanInf = ctx.info.preserveNanInf.f32 && (ctx.info.preserveNanInf.f64 || !ctx.info.float64);
  const c = compileForVulkan([func], { donated: [donated], float64: ctx.info.float64, workgroupSize: workgroupSize(ctx), preserveNanInf,
    maxBindings: ctx.info.maxStorageBuffersPerStage, loopLimit: ctx.info.loopLimit,
  });
  for (const l of compileListeners) l(c.module);
  const cf = c.funcs[0]!;
  const runner = createVulkanRunner(c.module, [cf.program]);
  return {
    kernelCount: c.module.kernels.length,
    cached: false,
    peakBytes: cf.plan.peakBytes,
    run: (inputs: readonly HostArray[]) => runner.run(0, inputs),
  };
}

export const vulkanBackend: EagerBackend = singleOpBackend({ device: vulkan, compile: vulkanProgram, ...hostMemoryBackend(vulkan) });

/**
 * How the Vulkan backend registers: as a default candidate (`backends`) when KILN_BACKEND
 * asks for it and a device opens, else as a device available by name (`listed`) when the
 * loader is installed; `unavailable` says why not.
 */
export function vulkanBackendStatus(): {
  readonly backends: readonly EagerBackend[];
  readonly listed: readonly EagerBackend[];
  readonly unavailable: { readonly vulkan?: Unavailable };
} {
  if (process.env.KILN_BACKEND === 'vulkan') {
    try {
      VulkanContext.get();
      return { backends: [vulkanBackend], listed: [], unavailable: {} };
    } catch (e) {
      return { backends: [], listed: [], unavailable: { vulkan: { reason: (e as Error).message } } };
    }
  }
  if (!vulkanLoaderPresent()) return { backends: [], listed: [], unavailable: { vulkan: { reason: 'the Vulkan loader (libvulkan.so.1) is not installed', quiet: true } } };
  return { backends: [], listed: [vulkanBackend], unavailable: {} };
}

/** Whether a Vulkan device can be opened here (opens it). */
export function vulkanPresent(): boolean {
  try {
    VulkanContext.get();
    return true;
  } catch {
    return false;
  }
}
