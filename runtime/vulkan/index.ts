// The Vulkan runtime: runs executables whose kernels were compiled to SPIR-V
// (compiler/codegen/spirv) on a Vulkan 1.1 device through koffi and the system's loader
// (libvulkan.so.1): a discrete GPU if there is one, else an integrated one, else a CPU
// implementation such as Mesa's lavapipe (KILN_VULKAN_DEVICE overrides). Nothing here
// compiles: the module is an artifact.
import type { HostArray } from '../../compiler/ir/dtype.ts';
import { KilnError } from '../../compiler/ir/errors.ts';
import type { ExecProgram, VulkanModule } from '../executable.ts';
import { VulkanContext, type VulkanDeviceInfo } from './context.ts';
import { ProgramExecutor } from './executor.ts';
import { PipelineCache } from './pipelines.ts';
import { Recorder } from './recorder.ts';
import { MemoryBlock } from './memory.ts';

export { VulkanUnavailableError, VulkanError, VulkanLimitError } from './errors.ts';
export { VulkanContext, chooseDevice, vulkanDevices, type VulkanDeviceInfo, type VulkanDeviceType } from './context.ts';
export { vulkanLoaderPresent } from './api.ts';

export interface VulkanRunner {
  readonly device: VulkanDeviceInfo;
  /** Runs program `programIndex` on host inputs; returns its outputs as fresh host arrays. */
  run(programIndex: number, inputs: readonly HostArray[]): HostArray[];
  /** Frees the runner's buffers and pipelines (it cannot run afterwards). */
  dispose(): void;
}

let recorder: Recorder | null = null;

/**
 * A runner of `programs` whose launch steps name kernels of `module`, on the process's
 * Vulkan device. Throws VulkanUnavailableError without a usable device, and a KilnError
 * naming the kernel when the module needs 64-bit floats the device lacks.
 */
export function createVulkanRunner(module: VulkanModule, programs: readonly ExecProgram[]): VulkanRunner {
  const ctx = VulkanContext.get();
  if (module.requires.float64 && !ctx.info.float64) {
    const names = module.kernels.filter((k) => k.bindings.some((b) => b.storage === 'f64')).map((k) => k.name);
    throw new KilnError(`the Vulkan device ${ctx.info.name} does not support 64-bit floats (shaderFloat64), which kernel(s) ${names.join(', ') || '(f64 arithmetic)'} need`);
  }
  const p = ctx.info.preserveNanInf;
  if (module.requires.preserveNanInf && !(p.f32 && (p.f64 || !module.requires.float64))) {
    throw new KilnError(`the Vulkan device ${ctx.info.name} cannot keep NaN and infinities exactly (no VK_KHR_shader_float_controls SignedZeroInfNanPreserve); compile with preserveNanInf: false for it`);
  }
  const rec = (recorder ??= new Recorder(ctx));
  const statusBlock = new MemoryBlock(ctx, [4], rec.unified, 'status word');
  const status = statusBlock.buffers[0]!;
  rec.upload(status, new Uint8Array(4));
  const pipelines = new PipelineCache(ctx, module);
  const execs = new Map<number, ProgramExecutor>();
  let disposed = false;
  return {
    device: ctx.info,
    run(programIndex, inputs) {
      if (disposed) throw new KilnError('this Vulkan runner was disposed');
      const p = programs[programIndex];
      if (!p) throw new KilnError(`Vulkan runner: no program ${programIndex} (it has ${programs.length})`);
      let e = execs.get(programIndex);
      if (!e) execs.set(programIndex, (e = new ProgramExecutor(p, pipelines, rec, status)));
      return e.run(inputs);
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      rec.flush();
      for (const e of execs.values()) e.destroy();
      pipelines.destroy();
      statusBlock.destroy();
    },
  };
}
