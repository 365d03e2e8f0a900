// The Vulkan variants of the GPU check's cases: the same workloads compiled with
// compileForVulkan. A VulkanModule holds its kernels' SPIR-V as Uint32Arrays, which JSON
// cannot carry: in these files each kernel's `spirv` is the base64 of its little-endian bytes.
// Correctness cases carry their inputs as the seeded recipes of bench-cases.ts (remade on the
// GPU machine, as the benchmarks' are) and the interpreter's results as data.
import { parseNonFinite, stringifyNonFinite } from '../../runtime/artifact/json.ts';
import type { ExecProgram, VulkanKernel, VulkanModule } from '../../runtime/executable.ts';
import type { BenchCase, BenchInput } from './bench-cases.ts';
import type { GpuCaseArray } from './cases.ts';

export interface VulkanKernelJson extends Omit<VulkanKernel, 'spirv'> {
  /** Base64 of the SPIR-V words' little-endian bytes. */
  readonly spirv: string;
}

export interface VulkanModuleJson extends Omit<VulkanModule, 'kernels'> {
  readonly kernels: readonly VulkanKernelJson[];
}

/** A correctness case: a program compiled for Vulkan, its inputs' recipes and the interpreter's results. */
export interface VulkanCase {
  readonly format: 'kiln-vulkan-case-1';
  readonly name: string;
  readonly module: VulkanModuleJson;
  readonly program: ExecProgram;
  readonly inputs: readonly BenchInput[];
  /** The interpreter's results, in the program's output order. */
  readonly expected: readonly GpuCaseArray[];
  readonly rtol: number;
  readonly atol: number;
}

/** A benchmark case compiled for Vulkan: as BenchCase, with the module in its JSON form. */
export interface VulkanBenchCase extends Omit<BenchCase, 'format' | 'module'> {
  readonly format: 'kiln-vulkan-bench-case-1';
  readonly module: VulkanModuleJson;
}

export function encodeVulkanModule(m: VulkanModule): VulkanModuleJson {
  return {
    ...m,
    kernels: m.kernels.map((k) => {
      const bytes = Buffer.alloc(k.spirv.byteLength);
      k.spirv.forEach((w, i) => bytes.writeUInt32LE(w, 4 * i));
      return { ...k, spirv: bytes.toString('base64') };
    }),
  };
}

export function decodeVulkanModule(m: VulkanModuleJson): VulkanModule {
  return {
    ...m,
    kernels: m.kernels.map((k) => {
      const bytes = Buffer.from(k.spirv, 'base64');
      if (bytes.byteLength % 4 !== 0) throw new Error(`vulkan case: the SPIR-V of kernel ${k.name} is ${bytes.byteLength} bytes, not whole 32-bit words`);
      const words = new Uint32Array(bytes.byteLength / 4);
      for (let i = 0; i < words.length; i++) words[i] = bytes.readUInt32LE(4 * i);
      return { ...k, spirv: words };
    }),
  };
}

export function stringifyVulkanCase(c: VulkanCase | VulkanBenchCase): string {
  return stringifyNonFinite(c);
}

export function parseVulkanCase(text: string): VulkanCase {
  const c = parseNonFinite(text) as VulkanCase;
  if (c.format !== 'kiln-vulkan-case-1') throw new Error(`not a Vulkan correctness case (format ${String(c.format)})`);
  return c;
}

export function parseVulkanBenchCase(text: string): VulkanBenchCase {
  const c = parseNonFinite(text) as VulkanBenchCase;
  if (c.format !== 'kiln-vulkan-bench-case-1') throw new Error(`not a Vulkan benchmark case (format ${String(c.format)})`);
  return c;
}
