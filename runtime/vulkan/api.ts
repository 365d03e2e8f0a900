// The Vulkan 1.1 API surface Kiln uses, declared for koffi against libvulkan.so.1 (the
// loader, which exports every core function). Handles, dispatchable or not, are pointers on
// 64-bit platforms: koffi passes and returns them as BigInts (null for VK_NULL_HANDLE).
// Struct layouts follow vulkan_core.h; koffi computes the offsets and padding from the member
// types, as a C compiler does. Large output structs (device properties, features, memory
// properties) are read from byte buffers at their documented offsets.
import koffi, { type TypeObject } from 'koffi';
import { VulkanUnavailableError } from './errors.ts';

export type Handle = bigint;

export const VK = {
  API_VERSION_1_1: (1 << 22) | (1 << 12),
  // VkStructureType
  STYPE_APPLICATION_INFO: 0,
  STYPE_INSTANCE_CREATE_INFO: 1,
  STYPE_DEVICE_QUEUE_CREATE_INFO: 2,
  STYPE_DEVICE_CREATE_INFO: 3,
  STYPE_SUBMIT_INFO: 4,
  STYPE_MEMORY_ALLOCATE_INFO: 5,
  STYPE_FENCE_CREATE_INFO: 8,
  STYPE_QUERY_POOL_CREATE_INFO: 11,
  STYPE_BUFFER_CREATE_INFO: 12,
  STYPE_SHADER_MODULE_CREATE_INFO: 16,
  STYPE_PIPELINE_SHADER_STAGE_CREATE_INFO: 18,
  STYPE_COMPUTE_PIPELINE_CREATE_INFO: 29,
  STYPE_PIPELINE_LAYOUT_CREATE_INFO: 30,
  STYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO: 32,
  STYPE_DESCRIPTOR_POOL_CREATE_INFO: 33,
  STYPE_DESCRIPTOR_SET_ALLOCATE_INFO: 34,
  STYPE_WRITE_DESCRIPTOR_SET: 35,
  STYPE_COMMAND_POOL_CREATE_INFO: 39,
  STYPE_COMMAND_BUFFER_ALLOCATE_INFO: 40,
  STYPE_COMMAND_BUFFER_BEGIN_INFO: 42,
  STYPE_MEMORY_BARRIER: 46,
  STYPE_PHYSICAL_DEVICE_PROPERTIES_2: 1000059001,
  STYPE_PHYSICAL_DEVICE_FLOAT_CONTROLS_PROPERTIES: 1000197000,
  STYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES: 1000094000,
  SUBGROUP_FEATURE_SHUFFLE: 0x10,
  // flags and enums
  QUEUE_COMPUTE: 0x2,
  MEMORY_DEVICE_LOCAL: 0x1,
  MEMORY_HOST_VISIBLE: 0x2,
  MEMORY_HOST_COHERENT: 0x4,
  MEMORY_HOST_CACHED: 0x8,
  BUFFER_USAGE_TRANSFER_SRC: 0x1,
  BUFFER_USAGE_TRANSFER_DST: 0x2,
  BUFFER_USAGE_STORAGE: 0x20,
  SHARING_EXCLUSIVE: 0,
  DESCRIPTOR_STORAGE_BUFFER: 7,
  SHADER_STAGE_COMPUTE: 0x20,
  PIPELINE_BIND_POINT_COMPUTE: 1,
  DESCRIPTOR_POOL_FREE_DESCRIPTOR_SET: 0x1,
  COMMAND_POOL_RESET_COMMAND_BUFFER: 0x2,
  COMMAND_BUFFER_LEVEL_PRIMARY: 0,
  COMMAND_BUFFER_ONE_TIME_SUBMIT: 0x1,
  STAGE_COMPUTE_SHADER: 0x800,
  STAGE_TRANSFER: 0x1000,
  STAGE_HOST: 0x4000,
  STAGE_BOTTOM_OF_PIPE: 0x2000,
  // timestamp queries (timing)
  QUERY_TYPE_TIMESTAMP: 2,
  QUERY_RESULT_64_BIT: 0x1,
  QUERY_RESULT_WAIT: 0x2,
  ACCESS_SHADER_READ: 0x20,
  ACCESS_SHADER_WRITE: 0x40,
  ACCESS_TRANSFER_READ: 0x800,
  ACCESS_TRANSFER_WRITE: 0x1000,
  ACCESS_HOST_READ: 0x2000,
  ACCESS_HOST_WRITE: 0x4000,
  WHOLE_SIZE: 0xffffffffffffffffn,
  // VkPhysicalDeviceType
  DEVICE_OTHER: 0,
  DEVICE_INTEGRATED_GPU: 1,
  DEVICE_DISCRETE_GPU: 2,
  DEVICE_VIRTUAL_GPU: 3,
  DEVICE_CPU: 4,
} as const;

// ---- structs -------------------------------------------------------------------------------

const H = 'void *';

const ApplicationInfo = koffi.struct('KilnVkApplicationInfo', {
  sType: 'uint32_t', pNext: H, pApplicationName: 'const char *', applicationVersion: 'uint32_t',
  pEngineName: 'const char *', engineVersion: 'uint32_t', apiVersion: 'uint32_t',
});
const InstanceCreateInfo = koffi.struct('KilnVkInstanceCreateInfo', {
  sType: 'uint32_t', pNext: H, flags: 'uint32_t', pApplicationInfo: koffi.pointer(ApplicationInfo),
  enabledLayerCount: 'uint32_t', ppEnabledLayerNames: 'const char **', enabledExtensionCount: 'uint32_t', ppEnabledExtensionNames: 'const char **',
});
const DeviceQueueCreateInfo = koffi.struct('KilnVkDeviceQueueCreateInfo', {
  sType: 'uint32_t', pNext: H, flags: 'uint32_t', queueFamilyIndex: 'uint32_t', queueCount: 'uint32_t', pQueuePriorities: 'const float *',
});
const DeviceCreateInfo = koffi.struct('KilnVkDeviceCreateInfo', {
  sType: 'uint32_t', pNext: H, flags: 'uint32_t', queueCreateInfoCount: 'uint32_t', pQueueCreateInfos: koffi.pointer(DeviceQueueCreateInfo),
  enabledLayerCount: 'uint32_t', ppEnabledLayerNames: 'const char **', enabledExtensionCount: 'uint32_t', ppEnabledExtensionNames: 'const char **',
  pEnabledFeatures: 'const uint8_t *',
});
const BufferCreateInfo = koffi.struct('KilnVkBufferCreateInfo', {
  sType: 'uint32_t', pNext: H, flags: 'uint32_t', size: 'uint64_t', usage: 'uint32_t', sharingMode: 'uint32_t',
  queueFamilyIndexCount: 'uint32_t', pQueueFamilyIndices: 'const uint32_t *',
});
const MemoryRequirements = koffi.struct('KilnVkMemoryRequirements', { size: 'uint64_t', alignment: 'uint64_t', memoryTypeBits: 'uint32_t' });
const MemoryAllocateInfo = koffi.struct('KilnVkMemoryAllocateInfo', { sType: 'uint32_t', pNext: H, allocationSize: 'uint64_t', memoryTypeIndex: 'uint32_t' });
const ShaderModuleCreateInfo = koffi.struct('KilnVkShaderModuleCreateInfo', {
  sType: 'uint32_t', pNext: H, flags: 'uint32_t', codeSize: 'size_t', pCode: 'const uint32_t *',
});
const DescriptorSetLayoutBinding = koffi.struct('KilnVkDescriptorSetLayoutBinding', {
  binding: 'uint32_t', descriptorType: 'uint32_t', descriptorCount: 'uint32_t', stageFlags: 'uint32_t', pImmutableSamplers: H,
});
const DescriptorSetLayoutCreateInfo = koffi.struct('KilnVkDescriptorSetLayoutCreateInfo', {
  sType: 'uint32_t', pNext: H, flags: 'uint32_t', bindingCount: 'uint32_t', pBindings: koffi.pointer(DescriptorSetLayoutBinding),
});
const PipelineLayoutCreateInfo = koffi.struct('KilnVkPipelineLayoutCreateInfo', {
  sType: 'uint32_t', pNext: H, flags: 'uint32_t', setLayoutCount: 'uint32_t', pSetLayouts: 'void **',
  pushConstantRangeCount: 'uint32_t', pPushConstantRanges: H,
});
const PipelineShaderStageCreateInfo = koffi.struct('KilnVkPipelineShaderStageCreateInfo', {
  sType: 'uint32_t', pNext: H, flags: 'uint32_t', stage: 'uint32_t', module: H, pName: 'const char *', pSpecializationInfo: H,
});
const ComputePipelineCreateInfo = koffi.struct('KilnVkComputePipelineCreateInfo', {
  sType: 'uint32_t', pNext: H, flags: 'uint32_t', stage: PipelineShaderStageCreateInfo, layout: H, basePipelineHandle: H, basePipelineIndex: 'int32_t',
});
const DescriptorPoolSize = koffi.struct('KilnVkDescriptorPoolSize', { type: 'uint32_t', descriptorCount: 'uint32_t' });
const DescriptorPoolCreateInfo = koffi.struct('KilnVkDescriptorPoolCreateInfo', {
  sType: 'uint32_t', pNext: H, flags: 'uint32_t', maxSets: 'uint32_t', poolSizeCount: 'uint32_t', pPoolSizes: koffi.pointer(DescriptorPoolSize),
});
const DescriptorSetAllocateInfo = koffi.struct('KilnVkDescriptorSetAllocateInfo', {
  sType: 'uint32_t', pNext: H, descriptorPool: H, descriptorSetCount: 'uint32_t', pSetLayouts: 'void **',
});
const DescriptorBufferInfo = koffi.struct('KilnVkDescriptorBufferInfo', { buffer: H, offset: 'uint64_t', range: 'uint64_t' });
const WriteDescriptorSet = koffi.struct('KilnVkWriteDescriptorSet', {
  sType: 'uint32_t', pNext: H, dstSet: H, dstBinding: 'uint32_t', dstArrayElement: 'uint32_t', descriptorCount: 'uint32_t',
  descriptorType: 'uint32_t', pImageInfo: H, pBufferInfo: koffi.pointer(DescriptorBufferInfo), pTexelBufferView: H,
});
const CommandPoolCreateInfo = koffi.struct('KilnVkCommandPoolCreateInfo', { sType: 'uint32_t', pNext: H, flags: 'uint32_t', queueFamilyIndex: 'uint32_t' });
const CommandBufferAllocateInfo = koffi.struct('KilnVkCommandBufferAllocateInfo', {
  sType: 'uint32_t', pNext: H, commandPool: H, level: 'uint32_t', commandBufferCount: 'uint32_t',
});
const CommandBufferBeginInfo = koffi.struct('KilnVkCommandBufferBeginInfo', { sType: 'uint32_t', pNext: H, flags: 'uint32_t', pInheritanceInfo: H });
const MemoryBarrier = koffi.struct('KilnVkMemoryBarrier', { sType: 'uint32_t', pNext: H, srcAccessMask: 'uint32_t', dstAccessMask: 'uint32_t' });
const BufferCopy = koffi.struct('KilnVkBufferCopy', { srcOffset: 'uint64_t', dstOffset: 'uint64_t', size: 'uint64_t' });
const SubmitInfo = koffi.struct('KilnVkSubmitInfo', {
  sType: 'uint32_t', pNext: H, waitSemaphoreCount: 'uint32_t', pWaitSemaphores: H, pWaitDstStageMask: H,
  commandBufferCount: 'uint32_t', pCommandBuffers: 'void **', signalSemaphoreCount: 'uint32_t', pSignalSemaphores: H,
});
const FenceCreateInfo = koffi.struct('KilnVkFenceCreateInfo', { sType: 'uint32_t', pNext: H, flags: 'uint32_t' });
const QueryPoolCreateInfo = koffi.struct('KilnVkQueryPoolCreateInfo', {
  sType: 'uint32_t', pNext: H, flags: 'uint32_t', queryType: 'uint32_t', queryCount: 'uint32_t', pipelineStatistics: 'uint32_t',
});

// ---- byte layouts of the output structs read by offset -------------------------------------

/** VkPhysicalDeviceProperties: 824 bytes; limits start at 296. */
export const PROPS = {
  size: 824,
  apiVersion: 0,
  vendorID: 8,
  deviceType: 16,
  deviceName: 20,
  limits: 296,
} as const;
/** Offsets inside VkPhysicalDeviceLimits. */
export const LIMITS = {
  maxStorageBufferRange: 28,
  maxMemoryAllocationCount: 36,
  maxPerStageDescriptorStorageBuffers: 76,
  maxComputeSharedMemorySize: 216,
  maxComputeWorkGroupCount: 220,
  maxComputeWorkGroupInvocations: 232,
  maxComputeWorkGroupSize: 236,
  timestampComputeAndGraphics: 420,
  /** float: nanoseconds per timestamp tick. */
  timestampPeriod: 424,
} as const;
/** VkPhysicalDeviceFeatures: 55 VkBool32s; shaderFloat64 is the 40th. */
export const FEATURES = { size: 55 * 4, shaderFloat64: 39 * 4 } as const;
/** VkPhysicalDeviceMemoryProperties: count, 32 × (flags, heap), count, 16 × (size u64, flags). */
export const MEMORY_PROPS = { size: 520, typeCount: 0, types: 4, heapCount: 260, heaps: 264 } as const;
/** VkPhysicalDeviceFloatControlsProperties (sType, pNext, then 17 u32): preserve NaN/Inf/±0. */
export const FLOAT_CONTROLS = { size: 16 + 17 * 4, preserveF32: 16 + 3 * 4, preserveF64: 16 + 4 * 4 } as const;
/** VkPhysicalDeviceSubgroupProperties (Vulkan 1.1): sType, pNext, subgroupSize,
 * supportedStages, supportedOperations, quadOperationsInAllStages. */
export const SUBGROUP_PROPS = { size: 32, subgroupSize: 16, supportedStages: 20, supportedOperations: 24 } as const;
/** VkExtensionProperties: extensionName[256], specVersion. */
export const EXTENSION_PROPS_SIZE = 260;
/** VkQueueFamilyProperties: 24 bytes, queueFlags first, then queueCount, then timestampValidBits. */
export const QUEUE_FAMILY_SIZE = 24;

// ---- functions -----------------------------------------------------------------------------

/** A JS view of the API: functions taking handles (BigInt), numbers and plain objects. */
export interface VulkanApi {
  createInstance(info: object, alloc: null, out: [Handle | null]): number;
  destroyInstance(inst: Handle, alloc: null): void;
  enumeratePhysicalDevices(inst: Handle, n: [number], out: (Handle | null)[] | null): number;
  getPhysicalDeviceProperties(pd: Handle, out: Buffer): void;
  getPhysicalDeviceProperties2(pd: Handle, props2: Buffer): void;
  enumerateDeviceExtensionProperties(pd: Handle, layer: null, n: [number], out: Buffer | null): number;
  getPhysicalDeviceFeatures(pd: Handle, out: Buffer): void;
  getPhysicalDeviceMemoryProperties(pd: Handle, out: Buffer): void;
  getPhysicalDeviceQueueFamilyProperties(pd: Handle, n: [number], out: Buffer | null): void;
  createDevice(pd: Handle, info: object, alloc: null, out: [Handle | null]): number;
  destroyDevice(dev: Handle, alloc: null): void;
  deviceWaitIdle(dev: Handle): number;
  getDeviceQueue(dev: Handle, family: number, index: number, out: [Handle | null]): void;
  createBuffer(dev: Handle, info: object, alloc: null, out: [Handle | null]): number;
  destroyBuffer(dev: Handle, buf: Handle, alloc: null): void;
  getBufferMemoryRequirements(dev: Handle, buf: Handle, out: { size?: number | bigint; alignment?: number | bigint; memoryTypeBits?: number }): void;
  allocateMemory(dev: Handle, info: object, alloc: null, out: [Handle | null]): number;
  freeMemory(dev: Handle, mem: Handle, alloc: null): void;
  bindBufferMemory(dev: Handle, buf: Handle, mem: Handle, offset: number): number;
  mapMemory(dev: Handle, mem: Handle, offset: number, size: bigint, flags: number, out: [Handle | null]): number;
  unmapMemory(dev: Handle, mem: Handle): void;
  createShaderModule(dev: Handle, info: object, alloc: null, out: [Handle | null]): number;
  destroyShaderModule(dev: Handle, m: Handle, alloc: null): void;
  createDescriptorSetLayout(dev: Handle, info: object, alloc: null, out: [Handle | null]): number;
  destroyDescriptorSetLayout(dev: Handle, l: Handle, alloc: null): void;
  createPipelineLayout(dev: Handle, info: object, alloc: null, out: [Handle | null]): number;
  destroyPipelineLayout(dev: Handle, l: Handle, alloc: null): void;
  createComputePipelines(dev: Handle, cache: null, n: number, infos: object[], alloc: null, out: (Handle | null)[]): number;
  destroyPipeline(dev: Handle, p: Handle, alloc: null): void;
  createDescriptorPool(dev: Handle, info: object, alloc: null, out: [Handle | null]): number;
  destroyDescriptorPool(dev: Handle, p: Handle, alloc: null): void;
  allocateDescriptorSets(dev: Handle, info: object, out: (Handle | null)[]): number;
  freeDescriptorSets(dev: Handle, pool: Handle, n: number, sets: Handle[]): number;
  updateDescriptorSets(dev: Handle, n: number, writes: object[], copies: number, pc: null): void;
  createCommandPool(dev: Handle, info: object, alloc: null, out: [Handle | null]): number;
  destroyCommandPool(dev: Handle, p: Handle, alloc: null): void;
  allocateCommandBuffers(dev: Handle, info: object, out: (Handle | null)[]): number;
  resetCommandBuffer(cmd: Handle, flags: number): number;
  beginCommandBuffer(cmd: Handle, info: object): number;
  endCommandBuffer(cmd: Handle): number;
  cmdBindPipeline(cmd: Handle, bindPoint: number, p: Handle): void;
  cmdBindDescriptorSets(cmd: Handle, bindPoint: number, layout: Handle, first: number, n: number, sets: Handle[], nd: number, dyn: null): void;
  cmdDispatch(cmd: Handle, x: number, y: number, z: number): void;
  cmdPipelineBarrier(cmd: Handle, src: number, dst: number, dep: number, nm: number, mem: object[] | null, nb: number, bufs: null, ni: number, imgs: null): void;
  cmdCopyBuffer(cmd: Handle, src: Handle, dst: Handle, n: number, regions: object[]): void;
  cmdFillBuffer(cmd: Handle, dst: Handle, offset: number, size: bigint, data: number): void;
  queueSubmit(q: Handle, n: number, infos: object[], fence: Handle): number;
  createFence(dev: Handle, info: object, alloc: null, out: [Handle | null]): number;
  destroyFence(dev: Handle, f: Handle, alloc: null): void;
  waitForFences(dev: Handle, n: number, fences: Handle[], all: number, timeout: bigint): number;
  resetFences(dev: Handle, n: number, fences: Handle[]): number;
  createQueryPool(dev: Handle, info: object, alloc: null, out: [Handle | null]): number;
  destroyQueryPool(dev: Handle, pool: Handle, alloc: null): void;
  cmdResetQueryPool(cmd: Handle, pool: Handle, first: number, count: number): void;
  cmdWriteTimestamp(cmd: Handle, stage: number, pool: Handle, query: number): void;
  getQueryPoolResults(dev: Handle, pool: Handle, first: number, count: number, bytes: number, out: Buffer, stride: number, flags: number): number;
}

/** The loader's library names, most specific first. */
const LOADER_NAMES = ['libvulkan.so.1', 'libvulkan.so', 'libvulkan.1.dylib', 'vulkan-1.dll'];

let api: VulkanApi | null = null;
let library: ReturnType<typeof koffi.load> | null = null;
let loadError: string | null = null;

/** The loader library, opened once (no function is bound, no instance created). */
function loader(): ReturnType<typeof koffi.load> {
  if (library) return library;
  if (loadError) throw new VulkanUnavailableError(loadError);
  const tried: string[] = [];
  for (const name of LOADER_NAMES) {
    try {
      return (library = koffi.load(name));
    } catch (e) {
      tried.push(`${name}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  loadError = `the Vulkan loader could not be loaded (install libvulkan1 and a driver, e.g. mesa-vulkan-drivers): ${tried.join('; ')}`;
  throw new VulkanUnavailableError(loadError);
}

/** The API bound to the system's Vulkan loader, or a VulkanUnavailableError naming why not. */
export function vulkanApi(): VulkanApi {
  if (api) return api;
  const l = loader();
  const f = (name: string, ret: string, args: (string | TypeObject | ReturnType<typeof koffi.out>)[]) => l.func(name, ret, args);
  const out = (t: string | TypeObject) => koffi.out(t);
  const p = (t: TypeObject) => koffi.pointer(t);
  api = {
    createInstance: f('vkCreateInstance', 'int', [p(InstanceCreateInfo), H, out('void **')]),
    destroyInstance: f('vkDestroyInstance', 'void', [H, H]),
    enumeratePhysicalDevices: f('vkEnumeratePhysicalDevices', 'int', [H, koffi.inout('uint32_t *'), out('void **')]),
    getPhysicalDeviceProperties: f('vkGetPhysicalDeviceProperties', 'void', [H, out('uint8_t *')]),
    getPhysicalDeviceProperties2: f('vkGetPhysicalDeviceProperties2', 'void', [H, 'uint8_t *']),
    enumerateDeviceExtensionProperties: f('vkEnumerateDeviceExtensionProperties', 'int', [H, 'const char *', koffi.inout('uint32_t *'), out('uint8_t *')]),
    getPhysicalDeviceFeatures: f('vkGetPhysicalDeviceFeatures', 'void', [H, out('uint8_t *')]),
    getPhysicalDeviceMemoryProperties: f('vkGetPhysicalDeviceMemoryProperties', 'void', [H, out('uint8_t *')]),
    getPhysicalDeviceQueueFamilyProperties: f('vkGetPhysicalDeviceQueueFamilyProperties', 'void', [H, koffi.inout('uint32_t *'), out('uint8_t *')]),
    createDevice: f('vkCreateDevice', 'int', [H, p(DeviceCreateInfo), H, out('void **')]),
    destroyDevice: f('vkDestroyDevice', 'void', [H, H]),
    deviceWaitIdle: f('vkDeviceWaitIdle', 'int', [H]),
    getDeviceQueue: f('vkGetDeviceQueue', 'void', [H, 'uint32_t', 'uint32_t', out('void **')]),
    createBuffer: f('vkCreateBuffer', 'int', [H, p(BufferCreateInfo), H, out('void **')]),
    destroyBuffer: f('vkDestroyBuffer', 'void', [H, H, H]),
    getBufferMemoryRequirements: f('vkGetBufferMemoryRequirements', 'void', [H, H, out(p(MemoryRequirements))]),
    allocateMemory: f('vkAllocateMemory', 'int', [H, p(MemoryAllocateInfo), H, out('void **')]),
    freeMemory: f('vkFreeMemory', 'void', [H, H, H]),
    bindBufferMemory: f('vkBindBufferMemory', 'int', [H, H, H, 'uint64_t']),
    mapMemory: f('vkMapMemory', 'int', [H, H, 'uint64_t', 'uint64_t', 'uint32_t', out('void **')]),
    unmapMemory: f('vkUnmapMemory', 'void', [H, H]),
    createShaderModule: f('vkCreateShaderModule', 'int', [H, p(ShaderModuleCreateInfo), H, out('void **')]),
    destroyShaderModule: f('vkDestroyShaderModule', 'void', [H, H, H]),
    createDescriptorSetLayout: f('vkCreateDescriptorSetLayout', 'int', [H, p(DescriptorSetLayoutCreateInfo), H, out('void **')]),
    destroyDescriptorSetLayout: f('vkDestroyDescriptorSetLayout', 'void', [H, H, H]),
    createPipelineLayout: f('vkCreatePipelineLayout', 'int', [H, p(PipelineLayoutCreateInfo), H, out('void **')]),
    destroyPipelineLayout: f('vkDestroyPipelineLayout', 'void', [H, H, H]),
    createComputePipelines: f('vkCreateComputePipelines', 'int', [H, H, 'uint32_t', p(ComputePipelineCreateInfo), H, out('void **')]),
    destroyPipeline: f('vkDestroyPipeline', 'void', [H, H, H]),
    createDescriptorPool: f('vkCreateDescriptorPool', 'int', [H, p(DescriptorPoolCreateInfo), H, out('void **')]),
    destroyDescriptorPool: f('vkDestroyDescriptorPool', 'void', [H, H, H]),
    allocateDescriptorSets: f('vkAllocateDescriptorSets', 'int', [H, p(DescriptorSetAllocateInfo), out('void **')]),
    freeDescriptorSets: f('vkFreeDescriptorSets', 'int', [H, H, 'uint32_t', 'void **']),
    updateDescriptorSets: f('vkUpdateDescriptorSets', 'void', [H, 'uint32_t', p(WriteDescriptorSet), 'uint32_t', H]),
    createCommandPool: f('vkCreateCommandPool', 'int', [H, p(CommandPoolCreateInfo), H, out('void **')]),
    destroyCommandPool: f('vkDestroyCommandPool', 'void', [H, H, H]),
    allocateCommandBuffers: f('vkAllocateCommandBuffers', 'int', [H, p(CommandBufferAllocateInfo), out('void **')]),
    resetCommandBuffer: f('vkResetCommandBuffer', 'int', [H, 'uint32_t']),
    beginCommandBuffer: f('vkBeginCommandBuffer', 'int', [H, p(CommandBufferBeginInfo)]),
    endCommandBuffer: f('vkEndCommandBuffer', 'int', [H]),
    cmdBindPipeline: f('vkCmdBindPipeline', 'void', [H, 'uint32_t', H]),
    cmdBindDescriptorSets: f('vkCmdBindDescriptorSets', 'void', [H, 'uint32_t', H, 'uint32_t', 'uint32_t', 'void **', 'uint32_t', H]),
    cmdDispatch: f('vkCmdDispatch', 'void', [H, 'uint32_t', 'uint32_t', 'uint32_t']),
    cmdPipelineBarrier: f('vkCmdPipelineBarrier', 'void', [H, 'uint32_t', 'uint32_t', 'uint32_t', 'uint32_t', p(MemoryBarrier), 'uint32_t', H, 'uint32_t', H]),
    cmdCopyBuffer: f('vkCmdCopyBuffer', 'void', [H, H, H, 'uint32_t', p(BufferCopy)]),
    cmdFillBuffer: f('vkCmdFillBuffer', 'void', [H, H, 'uint64_t', 'uint64_t', 'uint32_t']),
    queueSubmit: f('vkQueueSubmit', 'int', [H, 'uint32_t', p(SubmitInfo), H]),
    createFence: f('vkCreateFence', 'int', [H, p(FenceCreateInfo), H, out('void **')]),
    destroyFence: f('vkDestroyFence', 'void', [H, H, H]),
    waitForFences: f('vkWaitForFences', 'int', [H, 'uint32_t', 'void **', 'uint32_t', 'uint64_t']),
    resetFences: f('vkResetFences', 'int', [H, 'uint32_t', 'void **']),
    createQueryPool: f('vkCreateQueryPool', 'int', [H, p(QueryPoolCreateInfo), H, out('void **')]),
    destroyQueryPool: f('vkDestroyQueryPool', 'void', [H, H, H]),
    cmdResetQueryPool: f('vkCmdResetQueryPool', 'void', [H, H, 'uint32_t', 'uint32_t']),
    cmdWriteTimestamp: f('vkCmdWriteTimestamp', 'void', [H, 'uint32_t', H, 'uint32_t']),
    getQueryPoolResults: f('vkGetQueryPoolResults', 'int', [H, H, 'uint32_t', 'uint32_t', 'size_t', 'uint8_t *', 'uint64_t', 'uint32_t']),
  } as unknown as VulkanApi;
  return api;
}

/** Whether the Vulkan loader library can be opened (no instance is created). */
export function vulkanLoaderPresent(): boolean {
  try {
    loader();
    return true;
  } catch {
    return false;
  }
}

/** The address of a buffer's memory (for pNext chains, which the callee fills). */
export function addressOf(b: Buffer): Handle {
  return koffi.address(b);
}

/** A typed-array view of `bytes` bytes of mapped memory at address `ptr` (no copy). */
export function mappedView(ptr: Handle, bytes: number): ArrayBuffer {
  return koffi.view(ptr, bytes);
}
