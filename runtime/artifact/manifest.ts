// The manifest of an artifact (its JSON section): what each entry takes and returns, the launch
// plan that runs it (an ExecProgram per entry, host control flow included), the kernels with
// the sizes of their params, and a summary of the weights.
import type { DType } from '../../compiler/ir/dtype.ts';
import type { AVal } from '../../compiler/ir/ir.ts';
import type { KernelParam } from '../../compiler/lower/loop-ir.ts';
import type { ExecProgram, GpuKernelInfo, GpuLaunch, VulkanKernel, VulkanModule } from '../executable.ts';
import type { TreeDesc } from './tree.ts';

export type Target = 'cpu' | 'cuda' | 'vulkan';
export const TARGETS: readonly Target[] = ['cpu', 'cuda', 'vulkan'];

/** One input of an entry: a leaf of its argument tree. */
export interface InputSig {
  /** Path name in the argument tree, e.g. `params.W1`, `x`, `0.w`. */
  readonly path: string;
  readonly aval: AVal;
  /** `arg`: the caller passes it; `weight`: bound from the artifact's weights by name. */
  readonly source: 'arg' | 'weight';
  /** The weight's name, for `weight` inputs. */
  readonly weight?: string;
  /** The entry may reuse this input's buffer for an output (the caller gives it up). */
  readonly donated: boolean;
}

export interface OutputSig {
  readonly path: string;
  readonly aval: AVal;
}

export interface EntrySig {
  readonly name: string;
  readonly inputs: readonly InputSig[];
  readonly outputs: readonly OutputSig[];
  /** The argument tree (leaves in the order of `inputs`), to accept and rebuild trees. */
  readonly inputTree?: TreeDesc;
  /** The result tree (leaves in the order of `outputs`). */
  readonly outputTree?: TreeDesc;
  /** How the entry runs: its program's inputs are `inputs` in order, its outputs `outputs`. */
  readonly program: ExecProgram;
}

/** A param of a kernel as its code expects it (the loop kernel's param, less its name). */
export type ParamSig = Omit<KernelParam, 'name'>;

export interface KernelSig {
  /** The symbol (CPU) or entry point (GPU) that `launch` steps name. */
  readonly name: string;
  readonly params: readonly ParamSig[];
  /** Grid, block and shared memory (cuda). */
  readonly launch?: GpuLaunch;
  /** The kernel's SPIR-V module and how it binds and dispatches (vulkan). */
  readonly vulkan?: VulkanKernelSig;
}

/**
 * A Vulkan kernel as the manifest records it: runtime/executable.ts's VulkanKernel, its SPIR-V
 * words stored in the kernels section (little-endian) at a byte range.
 */
export interface VulkanKernelSig {
  readonly spirv: { readonly offset: number; readonly bytes: number };
  readonly bindings: VulkanKernel['bindings'];
  readonly packing?: VulkanKernel['packing'];
  readonly statusBinding?: number;
  readonly dispatches: readonly GpuKernelInfo[];
}

/** What the kernels section holds and how to check it. */
export interface KernelTable {
  /** `shared-object`: an ELF library of the CPU kernels; `ptx`: a CUDA PTX module's text;
   * `spirv`: the SPIR-V modules of Vulkan kernels, one after another. */
  readonly format: 'shared-object' | 'ptx' | 'spirv';
  /** Bytes of the kernels section, and their SHA-256 (hex): the cache file's name. */
  readonly bytes: number;
  readonly sha256: string;
  /** The OS and CPU the shared object was built for (`process.platform`-`process.arch`). */
  readonly platform?: string;
  /** CUDA: the PTX target architecture (e.g. `sm_90`) and which compiler produced it. */
  readonly arch?: string;
  readonly producer?: 'libnvvm' | 'llc-14';
  /** CUDA: the PTX assembled for one architecture (an ELF image), held in its own section
   * (CUBN); a GPU of exactly that compute capability loads it instead of JIT-compiling the PTX. */
  readonly cubin?: CubinSig;
  /** Vulkan: the target environment and the device features the kernels need. */
  readonly targetEnv?: VulkanModule['targetEnv'];
  readonly requires?: VulkanModule['requires'];
  readonly kernels: readonly KernelSig[];
}

/** The cubin section: its architecture (`sm_NN`), size and SHA-256 (hex). */
export interface CubinSig {
  readonly arch: string;
  readonly bytes: number;
  readonly sha256: string;
}

export interface WeightSig {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
}

export interface Manifest {
  readonly entries: readonly EntrySig[];
  readonly kernels: KernelTable;
  readonly weights: readonly WeightSig[];
}
