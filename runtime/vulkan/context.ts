// The process's Vulkan context: instance, the chosen physical device, a logical device with
// one compute queue, memory types, a command pool, a fence. Created on first use and kept
// for the life of the process.
//
// Device choice: KILN_VULKAN_DEVICE=<index or name substring> if set, else the first discrete
// GPU, else an integrated GPU, else a virtual GPU, else a CPU implementation (lavapipe).
import { addressOf, EXTENSION_PROPS_SIZE, FEATURES, FLOAT_CONTROLS, LIMITS, MEMORY_PROPS, PROPS, QUEUE_FAMILY_SIZE, SUBGROUP_PROPS, VK, vulkanApi, type Handle, type VulkanApi } from './api.ts';
import { check, VulkanUnavailableError } from './errors.ts';

export type VulkanDeviceType = 'discrete' | 'integrated' | 'virtual' | 'cpu' | 'other';

export interface VulkanDeviceInfo {
  readonly index: number;
  readonly name: string;
  readonly type: VulkanDeviceType;
  readonly apiVersion: string;
  /** shaderFloat64: 64-bit floats in shaders. */
  readonly float64: boolean;
  readonly maxWorkgroupInvocations: number;
  /** maxComputeWorkGroupSize: the most invocations along each workgroup axis. */
  readonly maxWorkgroupSize: readonly [number, number, number];
  /** Invocations per subgroup (Vulkan 1.1; 0 when unknown), and whether compute shaders may
   * shuffle within one (VK_SUBGROUP_FEATURE_SHUFFLE_BIT). */
  readonly subgroup: { readonly size: number; readonly shuffle: boolean };
  readonly maxWorkgroupCount: readonly [number, number, number];
  readonly maxSharedMemoryBytes: number;
  readonly maxStorageBufferRange: number;
  readonly maxStorageBuffersPerStage: number;
  /** Whether shaders can be told to keep NaN, ±inf and -0 (SignedZeroInfNanPreserve) for f32
   * and f64: without it a driver may fold x·0 to 0 and x/0 to anything. */
  readonly preserveNanInf: { readonly f32: boolean; readonly f64: boolean };
  /** Loop iterations per invocation after which the driver leaves every loop: llvmpipe's
   * (lavapipe's) gallivm limiter; undefined for drivers without one. */
  readonly loopLimit?: number;
}

const FLOAT_CONTROLS_EXT = 'VK_KHR_shader_float_controls';

function deviceExtensions(a: VulkanApi, pd: Handle): Set<string> {
  const n: [number] = [0];
  if (a.enumerateDeviceExtensionProperties(pd, null, n, null) !== 0) return new Set();
  const b = Buffer.alloc(EXTENSION_PROPS_SIZE * n[0]);
  if (a.enumerateDeviceExtensionProperties(pd, null, n, b) !== 0) return new Set();
  const out = new Set<string>();
  for (let i = 0; i < n[0]; i++) {
    const at = i * EXTENSION_PROPS_SIZE;
    const end = b.indexOf(0, at);
    out.add(b.toString('utf8', at, end < 0 || end > at + 256 ? at + 256 : end));
  }
  return out;
}

const TYPES: Readonly<Record<number, VulkanDeviceType>> = {
  [VK.DEVICE_DISCRETE_GPU]: 'discrete',
  [VK.DEVICE_INTEGRATED_GPU]: 'integrated',
  [VK.DEVICE_VIRTUAL_GPU]: 'virtual',
  [VK.DEVICE_CPU]: 'cpu',
  [VK.DEVICE_OTHER]: 'other',
};
const PREFERENCE: readonly VulkanDeviceType[] = ['discrete', 'integrated', 'virtual', 'cpu', 'other'];

function version(v: number): string {
  return `${v >>> 22}.${(v >>> 12) & 0x3ff}.${v & 0xfff}`;
}

function describe(a: VulkanApi, pd: Handle, index: number): VulkanDeviceInfo {
  const props = Buffer.alloc(PROPS.size + 64);
  a.getPhysicalDeviceProperties(pd, props);
  const api = props.readUInt32LE(PROPS.apiVersion);
  let preserve = { f32: false, f64: false };
  if (api >= VK.API_VERSION_1_1 && (api >= ((1 << 22) | (2 << 12)) || deviceExtensions(a, pd).has(FLOAT_CONTROLS_EXT))) {
    // VkPhysicalDeviceProperties2 (sType, pNext, properties at 16) chained to the float controls.
    const fc = Buffer.alloc(FLOAT_CONTROLS.size);
    fc.writeUInt32LE(VK.STYPE_PHYSICAL_DEVICE_FLOAT_CONTROLS_PROPERTIES, 0);
    const p2 = Buffer.alloc(16 + PROPS.size + 64);
    p2.writeUInt32LE(VK.STYPE_PHYSICAL_DEVICE_PROPERTIES_2, 0);
    p2.writeBigUInt64LE(addressOf(fc), 8);
    a.getPhysicalDeviceProperties2(pd, p2);
    preserve = { f32: fc.readUInt32LE(FLOAT_CONTROLS.preserveF32) !== 0, f64: fc.readUInt32LE(FLOAT_CONTROLS.preserveF64) !== 0 };
  }
  let subgroup = { size: 0, shuffle: false };
  if (api >= VK.API_VERSION_1_1) {
    const sg = Buffer.alloc(SUBGROUP_PROPS.size);
    sg.writeUInt32LE(VK.STYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES, 0);
    const p2 = Buffer.alloc(16 + PROPS.size + 64);
    p2.writeUInt32LE(VK.STYPE_PHYSICAL_DEVICE_PROPERTIES_2, 0);
    p2.writeBigUInt64LE(addressOf(sg), 8);
    a.getPhysicalDeviceProperties2(pd, p2);
    const compute = (sg.readUInt32LE(SUBGROUP_PROPS.supportedStages) & VK.SHADER_STAGE_COMPUTE) !== 0;
    const ops = sg.readUInt32LE(SUBGROUP_PROPS.supportedOperations);
    subgroup = { size: sg.readUInt32LE(SUBGROUP_PROPS.subgroupSize), shuffle: compute && (ops & VK.SUBGROUP_FEATURE_SHUFFLE) !== 0 };
  }
  const feats = Buffer.alloc(FEATURES.size);
  a.getPhysicalDeviceFeatures(pd, feats);
  const L = PROPS.limits;
  const nameEnd = props.indexOf(0, PROPS.deviceName);
  return {
    index,
    name: props.toString('utf8', PROPS.deviceName, nameEnd < 0 ? PROPS.deviceName + 256 : nameEnd),
    type: TYPES[props.readUInt32LE(PROPS.deviceType)] ?? 'other',
    apiVersion: version(props.readUInt32LE(PROPS.apiVersion)),
    float64: feats.readUInt32LE(FEATURES.shaderFloat64) !== 0,
    maxWorkgroupInvocations: props.readUInt32LE(L + LIMITS.maxComputeWorkGroupInvocations),
    maxWorkgroupSize: [0, 1, 2].map((i) => props.readUInt32LE(L + LIMITS.maxComputeWorkGroupSize + 4 * i)) as [number, number, number],
    subgroup,
    maxWorkgroupCount: [0, 1, 2].map((i) => props.readUInt32LE(L + LIMITS.maxComputeWorkGroupCount + 4 * i)) as [number, number, number],
    maxSharedMemoryBytes: props.readUInt32LE(L + LIMITS.maxComputeSharedMemorySize),
    maxStorageBufferRange: props.readUInt32LE(L + LIMITS.maxStorageBufferRange),
    maxStorageBuffersPerStage: props.readUInt32LE(L + LIMITS.maxPerStageDescriptorStorageBuffers),
    preserveNanInf: preserve,
    ...(/llvmpipe/i.test(props.toString('utf8', PROPS.deviceName, PROPS.deviceName + 256)) ? { loopLimit: 65535 } : {}),
  };
}

/** Picks a device by KILN_VULKAN_DEVICE, else by type preference. */
export function chooseDevice(devices: readonly VulkanDeviceInfo[], want = process.env.KILN_VULKAN_DEVICE): VulkanDeviceInfo {
  if (!devices.length) throw new VulkanUnavailableError('Vulkan is installed, but no Vulkan device was found (no driver? try mesa-vulkan-drivers for lavapipe)');
  const list = devices.map((d) => `${d.index}: ${d.name} (${d.type})`).join('; ');
  if (want) {
    const byIndex = /^\d+$/.test(want) ? devices.find((d) => d.index === Number(want)) : undefined;
    const found = byIndex ?? devices.find((d) => d.name.toLowerCase().includes(want.toLowerCase()));
    if (!found) throw new VulkanUnavailableError(`KILN_VULKAN_DEVICE=${want} matches no Vulkan device (devices: ${list})`);
    return found;
  }
  return [...devices].sort((a, b) => PREFERENCE.indexOf(a.type) - PREFERENCE.indexOf(b.type) || a.index - b.index)[0]!;
}

interface MemoryType {
  readonly index: number;
  readonly flags: number;
}

export class VulkanContext {
  readonly api: VulkanApi;
  readonly instance: Handle;
  readonly physical: Handle;
  readonly device: Handle;
  readonly queue: Handle;
  readonly queueFamily: number;
  readonly info: VulkanDeviceInfo;
  readonly devices: readonly VulkanDeviceInfo[];
  readonly commandPool: Handle;
  readonly fence: Handle;
  private readonly memoryTypes: readonly MemoryType[];

  private constructor() {
    const a = (this.api = vulkanApi());
    const inst: [Handle | null] = [null];
    const app = { sType: VK.STYPE_APPLICATION_INFO, pNext: null, pApplicationName: 'kiln', applicationVersion: 1, pEngineName: 'kiln', engineVersion: 1, apiVersion: VK.API_VERSION_1_1 };
    const r = a.createInstance({
      sType: VK.STYPE_INSTANCE_CREATE_INFO, pNext: null, flags: 0, pApplicationInfo: app,
      enabledLayerCount: 0, ppEnabledLayerNames: null, enabledExtensionCount: 0, ppEnabledExtensionNames: null,
    }, null, inst);
    if (r !== 0 || !inst[0]) throw new VulkanUnavailableError(`vkCreateInstance failed (${r}): no Vulkan 1.1 driver is installed`);
    this.instance = inst[0];
    const n: [number] = [0];
    check('vkEnumeratePhysicalDevices', a.enumeratePhysicalDevices(this.instance, n, null));
    const pds: (Handle | null)[] = new Array<Handle | null>(n[0]).fill(null);
    if (n[0]) check('vkEnumeratePhysicalDevices', a.enumeratePhysicalDevices(this.instance, n, pds));
    const handles = pds.slice(0, n[0]) as Handle[];
    this.devices = handles.map((pd, i) => describe(a, pd, i));
    this.info = chooseDevice(this.devices);
    this.physical = handles[this.info.index]!;

    const qn: [number] = [0];
    a.getPhysicalDeviceQueueFamilyProperties(this.physical, qn, null);
    const qb = Buffer.alloc(QUEUE_FAMILY_SIZE * qn[0]);
    a.getPhysicalDeviceQueueFamilyProperties(this.physical, qn, qb);
    let family = -1;
    for (let i = 0; i < qn[0]; i++) if (qb.readUInt32LE(i * QUEUE_FAMILY_SIZE) & VK.QUEUE_COMPUTE) { family = i; break; }
    if (family < 0) throw new VulkanUnavailableError(`Vulkan device ${this.info.name} has no compute queue`);
    this.queueFamily = family;

    // The float controls extension lets shaders ask that NaN, ±inf and -0 be kept (core in 1.2).
    const exts = deviceExtensions(a, this.physical).has(FLOAT_CONTROLS_EXT) ? [FLOAT_CONTROLS_EXT] : [];
    const features = Buffer.alloc(FEATURES.size);
    if (this.info.float64) features.writeUInt32LE(1, FEATURES.shaderFloat64);
    const dev: [Handle | null] = [null];
    check('vkCreateDevice', a.createDevice(this.physical, {
      sType: VK.STYPE_DEVICE_CREATE_INFO, pNext: null, flags: 0, queueCreateInfoCount: 1,
      pQueueCreateInfos: [{ sType: VK.STYPE_DEVICE_QUEUE_CREATE_INFO, pNext: null, flags: 0, queueFamilyIndex: family, queueCount: 1, pQueuePriorities: [1] }],
      enabledLayerCount: 0, ppEnabledLayerNames: null, enabledExtensionCount: exts.length, ppEnabledExtensionNames: exts.length ? exts : null, pEnabledFeatures: features,
    }, null, dev), this.info.name);
    this.device = dev[0]!;
    const q: [Handle | null] = [null];
    a.getDeviceQueue(this.device, family, 0, q);
    this.queue = q[0]!;

    const mp = Buffer.alloc(MEMORY_PROPS.size);
    a.getPhysicalDeviceMemoryProperties(this.physical, mp);
    const count = mp.readUInt32LE(MEMORY_PROPS.typeCount);
    this.memoryTypes = Array.from({ length: count }, (_, i) => ({ index: i, flags: mp.readUInt32LE(MEMORY_PROPS.types + 8 * i) }));

    const pool: [Handle | null] = [null];
    check('vkCreateCommandPool', a.createCommandPool(this.device, {
      sType: VK.STYPE_COMMAND_POOL_CREATE_INFO, pNext: null, flags: VK.COMMAND_POOL_RESET_COMMAND_BUFFER, queueFamilyIndex: family,
    }, null, pool));
    this.commandPool = pool[0]!;
    const fence: [Handle | null] = [null];
    check('vkCreateFence', a.createFence(this.device, { sType: VK.STYPE_FENCE_CREATE_INFO, pNext: null, flags: 0 }, null, fence));
    this.fence = fence[0]!;
  }

  private static instance: VulkanContext | null = null;
  private static failure: Error | null = null;

  /** The process's context (created on first call); a VulkanUnavailableError when there is none. */
  static get(): VulkanContext {
    if (VulkanContext.instance) return VulkanContext.instance;
    if (VulkanContext.failure) throw VulkanContext.failure;
    try {
      return (VulkanContext.instance = new VulkanContext());
    } catch (e) {
      VulkanContext.failure = e as Error;
      throw e;
    }
  }

  /**
   * A memory type allowed by `bits` with all of `want`, preferring ones that also have
   * `prefer`; null when there is none.
   */
  memoryType(bits: number, want: number, prefer = 0): number | null {
    const ok = this.memoryTypes.filter((t) => (bits >>> t.index) & 1 && (t.flags & want) === want);
    const best = ok.find((t) => (t.flags & prefer) === prefer) ?? ok[0];
    return best ? best.index : null;
  }

  /** Whether one memory type is both device-local and host-visible and coherent (CPU
   * implementations, integrated GPUs, resizable BAR): buffers are then mapped directly. */
  get unifiedMemory(): boolean {
    if (process.env.KILN_VULKAN_STAGING === '1') return false;
    const want = VK.MEMORY_DEVICE_LOCAL | VK.MEMORY_HOST_VISIBLE | VK.MEMORY_HOST_COHERENT;
    return this.memoryTypes.some((t) => (t.flags & want) === want);
  }
}

/** The Vulkan devices present, or a VulkanUnavailableError (creates the context). */
export function vulkanDevices(): readonly VulkanDeviceInfo[] {
  return VulkanContext.get().devices;
}
