// Compute pipelines of a VulkanModule: per kernel one shader module, one descriptor set layout
// (binding i = storage buffer i), one pipeline layout, and one pipeline per dispatch entry.
// Made once per runner and kept.
import type { VulkanKernel, VulkanModule } from '../executable.ts';
import { VK, type Handle } from './api.ts';
import type { VulkanContext } from './context.ts';
import { check, VulkanError } from './errors.ts';

export interface KernelPipelines {
  readonly kernel: VulkanKernel;
  readonly setLayout: Handle;
  readonly layout: Handle;
  readonly pipelines: readonly Handle[];
}

function out(): [Handle | null] {
  return [null];
}

export function createPipelines(ctx: VulkanContext, k: VulkanKernel): KernelPipelines {
  const a = ctx.api, dev = ctx.device;
  const where = `kernel ${k.name}`;
  const count = (k.packing ? k.packing.buffers.length : k.bindings.length) + (k.statusBinding !== undefined ? 1 : 0);
  if (count > ctx.info.maxStorageBuffersPerStage) {
    throw new VulkanError('vkCreateDescriptorSetLayout', -10, `${where} binds ${count} buffers; ${ctx.info.name} binds at most ${ctx.info.maxStorageBuffersPerStage} per kernel (compile with maxBindings)`);
  }
  for (const d of k.dispatches) {
    const [x, y, z] = d.launch.block, max = ctx.info.maxWorkgroupSize;
    if (x * y * z > ctx.info.maxWorkgroupInvocations || x > max[0] || y > max[1] || z > max[2]) {
      throw new VulkanError('vkCreateComputePipelines', -13,
        `${where}, entry ${d.name}: a workgroup of ${x}x${y}x${z} invocations exceeds ${ctx.info.name}'s limits ` +
          `(maxComputeWorkGroupInvocations ${ctx.info.maxWorkgroupInvocations}, maxComputeWorkGroupSize ${max.join('x')}); compile with a smaller workgroupSize`);
    }
  }
  const sm = out();
  check('vkCreateShaderModule', a.createShaderModule(dev, {
    sType: VK.STYPE_SHADER_MODULE_CREATE_INFO, pNext: null, flags: 0, codeSize: k.spirv.byteLength, pCode: k.spirv,
  }, null, sm), where);
  const sl = out();
  check('vkCreateDescriptorSetLayout', a.createDescriptorSetLayout(dev, {
    sType: VK.STYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO, pNext: null, flags: 0, bindingCount: count,
    pBindings: Array.from({ length: count }, (_, i) => ({ binding: i, descriptorType: VK.DESCRIPTOR_STORAGE_BUFFER, descriptorCount: 1, stageFlags: VK.SHADER_STAGE_COMPUTE, pImmutableSamplers: null })),
  }, null, sl), where);
  const pl = out();
  check('vkCreatePipelineLayout', a.createPipelineLayout(dev, {
    sType: VK.STYPE_PIPELINE_LAYOUT_CREATE_INFO, pNext: null, flags: 0, setLayoutCount: 1, pSetLayouts: [sl[0]],
    pushConstantRangeCount: 0, pPushConstantRanges: null,
  }, null, pl), where);
  const pipelines = k.dispatches.map((d) => {
    const p: (Handle | null)[] = [null];
    check('vkCreateComputePipelines', a.createComputePipelines(dev, null, 1, [{
      sType: VK.STYPE_COMPUTE_PIPELINE_CREATE_INFO, pNext: null, flags: 0,
      stage: { sType: VK.STYPE_PIPELINE_SHADER_STAGE_CREATE_INFO, pNext: null, flags: 0, stage: VK.SHADER_STAGE_COMPUTE, module: sm[0], pName: d.name, pSpecializationInfo: null },
      layout: pl[0], basePipelineHandle: null, basePipelineIndex: -1,
    }], null, p), `${where}, entry ${d.name}`);
    return p[0]!;
  });
  // The pipelines keep what they need of the shader module.
  a.destroyShaderModule(dev, sm[0]!, null);
  return { kernel: k, setLayout: sl[0]!, layout: pl[0]!, pipelines };
}

/** Pipelines of every kernel of a module, by kernel name (made on first use). */
export class PipelineCache {
  private readonly byName = new Map<string, KernelPipelines>();
  private readonly kernels: ReadonlyMap<string, VulkanKernel>;

  constructor(
    private readonly ctx: VulkanContext,
    module: VulkanModule,
  ) {
    this.kernels = new Map(module.kernels.map((k) => [k.name, k]));
  }

  has(name: string): boolean {
    return this.kernels.has(name);
  }

  get(name: string): KernelPipelines {
    let p = this.byName.get(name);
    if (!p) {
      const k = this.kernels.get(name);
      if (!k) throw new VulkanError('createPipelines', -13, `kernel '${name}' is not in the Vulkan module`);
      this.byName.set(name, (p = createPipelines(this.ctx, k)));
    }
    return p;
  }

  destroy(): void {
    const a = this.ctx.api, dev = this.ctx.device;
    for (const p of this.byName.values()) {
      for (const pipe of p.pipelines) a.destroyPipeline(dev, pipe, null);
      a.destroyPipelineLayout(dev, p.layout, null);
      a.destroyDescriptorSetLayout(dev, p.setLayout, null);
    }
    this.byName.clear();
  }
}
