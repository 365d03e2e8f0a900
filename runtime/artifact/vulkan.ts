// Vulkan kernels in an artifact: every kernel's SPIR-V words written one module after another
// into the kernels section (little-endian, whatever the host), the rest of each VulkanKernel in
// the manifest's kernel table; and the VulkanModule read back from both for the runtime.
import type { DType } from '../../compiler/ir/dtype.ts';
import type { VulkanModule, VulkanStorage } from '../executable.ts';
import { ArtifactError } from './errors.ts';
import type { KernelSig, KernelTable } from './manifest.ts';

/** The first word of every SPIR-V module. */
export const SPIRV_MAGIC = 0x07230203;
/** Words of a SPIR-V module's header: magic, version, generator, bound, schema. */
const HEADER_WORDS = 5;
export const MIN_SPIRV_BYTES = 4 * HEADER_WORDS;

/** How a buffer of each dtype is bound (f16 and bf16 held as f32, bool as bytes in words):
 * the host layout, which the loader checks every binding against. */
export const VULKAN_STORAGE: Readonly<Record<DType, VulkanStorage>> = { f32: 'f32', f16: 'f32', bf16: 'f32', f64: 'f64', i32: 'i32', bool: 'u8x4' };

/**
 * The kernels section and kernel table of `module`: `params` gives each kernel's params (as the
 * launch steps pass its buffers), by name; each kernel's SPIR-V is placed at a byte range.
 */
export function encodeVulkanKernels(module: VulkanModule, params: readonly KernelSig[]): { readonly bytes: Uint8Array; readonly table: Omit<KernelTable, 'bytes' | 'sha256'> } {
  const byName = new Map(params.map((k) => [k.name, k]));
  const total = module.kernels.reduce((n, k) => n + k.spirv.byteLength, 0);
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  let offset = 0;
  const kernels = module.kernels.map((k): KernelSig => {
    const sig = byName.get(k.name);
    if (!sig) throw new ArtifactError('bad-spec', `cannot package the artifact: Vulkan kernel '${k.name}' has no params recorded`);
    k.spirv.forEach((w, i) => view.setUint32(offset + 4 * i, w, true));
    const spirv = { offset, bytes: k.spirv.byteLength };
    offset += spirv.bytes;
    const vulkan = {
      spirv, bindings: k.bindings, dispatches: k.dispatches,
      ...(k.packing && { packing: k.packing }),
      ...(k.statusBinding !== undefined && { statusBinding: k.statusBinding }),
    };
    return { name: k.name, params: sig.params, vulkan };
  });
  return { bytes, table: { format: 'spirv', targetEnv: module.targetEnv, requires: module.requires, kernels } };
}

/** Checks that each kernel's byte range of the section holds a SPIR-V module (its magic word). */
export function checkSpirv(table: KernelTable, section: Uint8Array, what: string): void {
  const view = new DataView(section.buffer, section.byteOffset, section.byteLength);
  for (const k of table.kernels) {
    const r = k.vulkan!.spirv;
    const magic = view.getUint32(r.offset, true);
    if (magic !== SPIRV_MAGIC) {
      throw new ArtifactError('malformed', `${what}: kernel '${k.name}': the kernels section at byte ${r.offset} is not a SPIR-V module (first word 0x${magic.toString(16).padStart(8, '0')}, expected 0x07230203)`);
    }
  }
}

/** The VulkanModule of a validated kernel table and its section. */
export function vulkanModuleOf(table: KernelTable, section: Uint8Array): VulkanModule {
  const view = new DataView(section.buffer, section.byteOffset, section.byteLength);
  return {
    targetEnv: table.targetEnv ?? 'vulkan1.1',
    requires: table.requires ?? { float64: false, preserveNanInf: false },
    kernels: table.kernels.map((k) => {
      const v = k.vulkan!;
      const spirv = Uint32Array.from({ length: v.spirv.bytes / 4 }, (_, i) => view.getUint32(v.spirv.offset + 4 * i, true));
      return {
        name: k.name, spirv, bindings: v.bindings, dispatches: v.dispatches,
        ...(v.packing && { packing: v.packing }),
        ...(v.statusBinding !== undefined && { statusBinding: v.statusBinding }),
      };
    }),
  };
}
