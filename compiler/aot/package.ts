// Packaging: compiles traced entries (IR functions with their signatures) together for one
// target and writes them, with their weights and printed IR, as one artifact
// (runtime/artifact/). The loader needs none of this module's imports.
import { readFileSync } from 'node:fs';
import type { DType } from '../ir/dtype.ts';
import { avalToString, sameAval, type Func } from '../ir/ir.ts';
import { printFunc } from '../ir/print.ts';
import type { KernelParam } from '../lower/loop-ir.ts';
import { compileForCpu, compileForCuda, compileForVulkan, type CompiledFunc, type CompileOptions, type VulkanCompileOptions } from '../pipeline.ts';
import type { GpuLaunch } from '../../runtime/executable.ts';
import { ArtifactError } from '../../runtime/artifact/errors.ts';
import { encodeArtifact, type ArtifactContents } from '../../runtime/artifact/format.ts';
import { isNonFiniteName } from '../../runtime/artifact/json.ts';
import type { EntrySig, InputSig, KernelSig, KernelTable, Target } from '../../runtime/artifact/manifest.ts';
import { hostPlatform } from '../../runtime/artifact/runners.ts';
import { countLeaves, leafPaths, type TreeDesc } from '../../runtime/artifact/tree.ts';
import { encodeVulkanKernels } from '../../runtime/artifact/vulkan.ts';

/** One input of an entry (as compiler/aot's traced entries describe them). */
export interface InputSpec {
  /** Path in the argument tree, e.g. `params.W1`, `x`, `0.w`. */
  readonly path: string;
  readonly shape: readonly number[];
  readonly dtype: DType;
  /** The weight this input is bound to; undefined for an argument the caller passes. */
  readonly weight?: string;
  readonly donated?: boolean;
}

export interface OutputSpec {
  /** Path in the result tree; '' (a lone tensor) is stored as `output`. */
  readonly path: string;
  readonly shape: readonly number[];
  readonly dtype: DType;
}

export interface EntrySpec {
  readonly name: string;
  readonly func: Func;
  /** One per input of `func`, in order. */
  readonly inputs: readonly InputSpec[];
  /** One per output of `func`, in order. */
  readonly outputs: readonly OutputSpec[];
  /** The argument tree, its leaves the inputs in order (static leaves as `none`; see pruneTree). */
  readonly inputTree?: TreeDesc;
  readonly outputTree?: TreeDesc;
  /** Per input: donated (overrides the inputs' own `donated`). */
  readonly donated?: readonly boolean[];
}

/** A weight's value: dtype, shape and row-major data (as stdlib/io reads safetensors). */
export interface WeightValue {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: ArrayLike<number>;
}

/** How Vulkan kernels are compiled for an artifact, whose device is not known yet. */
export type VulkanPackageOptions = Pick<VulkanCompileOptions, 'float64' | 'workgroupSize' | 'preserveNanInf' | 'maxBindings' | 'loopLimit'>;

/**
 * The defaults for artifacts: kernels that may reach lavapipe's cap of 65535 loop iterations
 * per invocation report it rather than return truncated results on such a device (a status
 * word; a GPU without a cap only pays for writing it).
 */
export const VULKAN_PACKAGE_DEFAULTS: VulkanPackageOptions = { loopLimit: 65535 };

export interface PackageSpec {
  readonly target: Target;
  readonly entries: readonly EntrySpec[];
  /** Weights by name; entries bind them through their inputs' `weight`. Stored once each. */
  readonly weights?: ReadonlyMap<string, WeightValue>;
  /** The kernel cache folder for the compilation (default: KILN_CACHE_DIR). */
  readonly cacheDir?: string;
  /** Store the printed graph IR of every entry (default true), for `kiln ir` and `kiln inspect --ir`. */
  readonly includeIR?: boolean;
  /** Vulkan code generation (over VULKAN_PACKAGE_DEFAULTS). */
  readonly vulkan?: VulkanPackageOptions;
}

const specError = (msg: string) => new ArtifactError('bad-spec', `cannot package the artifact: ${msg}`);

function checkName(what: string, name: string): void {
  if (name === '' || isNonFiniteName(name)) throw specError(`${what} cannot be named '${name}'`);
}

/** Checks an entry against its function and the weights; its signature for the manifest (program to come). */
function signature(e: EntrySpec, weights: ReadonlyMap<string, WeightValue>): Omit<EntrySig, 'program'> {
  checkName('an entry', e.name);
  const f = e.func;
  if (e.inputs.length !== f.inputs.length) throw specError(`entry '${e.name}': ${e.inputs.length} input specs for ${f.inputs.length} inputs of @${f.name}`);
  if (e.outputs.length !== f.outputs.length) throw specError(`entry '${e.name}': ${e.outputs.length} output specs for ${f.outputs.length} outputs of @${f.name}`);
  if (e.donated && e.donated.length !== e.inputs.length) throw specError(`entry '${e.name}': donated has ${e.donated.length} flags for ${e.inputs.length} inputs`);
  const inputs = e.inputs.map((s, i): InputSig => {
    checkName(`an input of '${e.name}'`, s.path);
    const aval = { shape: [...s.shape], dtype: s.dtype };
    if (!sameAval(aval, f.inputs[i]!.aval)) throw specError(`entry '${e.name}': input '${s.path}' is declared ${avalToString(aval)}, the function takes ${avalToString(f.inputs[i]!.aval)}`);
    const donated = e.donated?.[i] ?? s.donated ?? false;
    if (s.weight === undefined) return { path: s.path, aval, source: 'arg', donated };
    checkName('a weight', s.weight);
    const w = weights.get(s.weight);
    if (!w) throw new ArtifactError('missing-weight', `cannot package the artifact: entry '${e.name}': input '${s.path}' binds weight '${s.weight}', which is not among the weights given`);
    if (!sameAval(aval, w)) throw specError(`entry '${e.name}': input '${s.path}' is ${avalToString(aval)}, weight '${s.weight}' is ${avalToString(w)}`);
    return { path: s.path, aval, source: 'weight', weight: s.weight, donated };
  });
  const lone = e.outputs.length === 1 && e.outputs[0]!.path === '';
  const outputs = e.outputs.map((s, i) => {
    const path = lone ? 'output' : s.path;
    checkName(`an output of '${e.name}'`, path);
    const aval = { shape: [...s.shape], dtype: s.dtype };
    if (!sameAval(aval, f.outputs[i]!.aval)) throw specError(`entry '${e.name}': output '${path}' is declared ${avalToString(aval)}, the function returns ${avalToString(f.outputs[i]!.aval)}`);
    return { path, aval };
  });
  for (const [what, paths] of [['inputs', inputs.map((x) => x.path)], ['outputs', outputs.map((x) => x.path)]] as const) {
    const dup = paths.find((p, i) => paths.indexOf(p) !== i);
    if (dup !== undefined) throw specError(`entry '${e.name}': two ${what} are named '${dup}'`);
  }
  for (const [what, tree, n] of [['inputTree', e.inputTree, inputs.length], ['outputTree', e.outputTree, outputs.length]] as const) {
    if (tree && countLeaves(tree) !== n) throw specError(`entry '${e.name}': ${what} has ${countLeaves(tree)} leaves for ${n} ${what === 'inputTree' ? 'inputs' : 'outputs'} (static leaves must be 'none')`);
    if (tree) checkTreeKeys(tree, e.name);
  }
  return { name: e.name, inputs, outputs, ...(e.inputTree && { inputTree: e.inputTree }), ...(e.outputTree && { outputTree: e.outputTree }) };
}

function checkTreeKeys(t: TreeDesc, entry: string): void {
  if (t.kind === 'object') t.keys.forEach((k) => checkName(`a key in the trees of '${entry}'`, k));
  if (t.kind === 'array' || t.kind === 'object') t.children.forEach((c) => checkTreeKeys(c, entry));
}

/** The kernel table's entries: each kernel's params (and launch shape on GPUs), once per name. */
function kernelSigs(kernels: readonly { readonly name: string; readonly params: readonly KernelParam[]; readonly launch?: GpuLaunch }[]): KernelSig[] {
  const byName = new Map<string, KernelSig>();
  for (const k of kernels) {
    const params = k.params.map((p) => ({ dtype: p.dtype, size: p.size, role: p.role }));
    byName.set(k.name, k.launch ? { name: k.name, params, launch: k.launch } : { name: k.name, params });
  }
  return [...byName.values()];
}

/** Compiles the entries together for `spec.target` and encodes the artifact. */
export function packageArtifact(spec: PackageSpec): Uint8Array {
  if (spec.entries.length === 0) throw specError('no entries');
  const dup = spec.entries.find((e, i) => spec.entries.findIndex((x) => x.name === e.name) !== i);
  if (dup) throw specError(`two entries are named '${dup.name}'`);
  const weights = spec.weights ?? new Map<string, WeightValue>();
  for (const n of weights.keys()) checkName('a weight', n);
  const sigs = spec.entries.map((e) => signature(e, weights));
  const funcs = spec.entries.map((e) => e.func);
  const opts: CompileOptions = { donated: sigs.map((s) => s.inputs.map((i) => i.donated)), cacheDir: spec.cacheDir };
  let compiled: readonly CompiledFunc[];
  let kernels: Uint8Array;
  let kernelTable: Omit<KernelTable, 'bytes' | 'sha256'>;
  let cubin: ArtifactContents['cubin'];
  switch (spec.target) {
    case 'cpu': {
      const lib = compileForCpu(funcs, opts);
      compiled = lib.funcs;
      kernels = readFileSync(lib.library.path);
      kernelTable = { format: 'shared-object', platform: hostPlatform(), kernels: kernelSigs(compiled.flatMap((f) => f.kernels)) };
      break;
    }
    case 'cuda': {
      // Compiling for CUDA needs no GPU: the PTX is text, run where the artifact is loaded.
      const out = compileForCuda(funcs, opts);
      compiled = out.funcs;
      kernels = Buffer.from(out.module.ptx, 'utf8');
      kernelTable = { format: 'ptx', arch: out.module.arch, producer: out.module.producer, kernels: kernelSigs(out.gpuKernels) };
      // SASS for the target architecture where ptxas was found: such a GPU skips the JIT.
      if (out.module.cubin) cubin = { arch: out.module.arch, image: out.module.cubin };
      break;
    }
    case 'vulkan': {
      // Like CUDA, no device is needed: the SPIR-V runs where the artifact is loaded, which
      // checks the features the module requires against its device.
      const out = compileForVulkan(funcs, { ...opts, ...VULKAN_PACKAGE_DEFAULTS, ...spec.vulkan });
      compiled = out.funcs;
      ({ bytes: kernels, table: kernelTable } = encodeVulkanKernels(out.module, kernelSigs(compiled.flatMap((f) => f.kernels))));
      break;
    }
    default:
      throw spec.target satisfies never;
  }
  const entries: EntrySig[] = sigs.map((s, i) => ({ ...s, program: compiled[i]!.program }));
  const ir = spec.includeIR === false ? undefined : funcs.map((f, i) => printFunc({ ...f, name: sigs[i]!.name })).join('\n');
  return encodeArtifact({ target: spec.target, entries, kernelTable, kernels, ...(cubin && { cubin }), weights, ...(ir !== undefined && { ir }) });
}

/** Writes an artifact atomically (a temporary file in the same folder, renamed over `path`). */
export { writeArtifact } from '../../runtime/artifact/write.ts';

/** A traced function (as makeIR returns it) with the trees of its arguments and results. */
export interface TracedLike {
  readonly func: Func;
  readonly inTree: TreeDesc;
  readonly outTree: TreeDesc;
}

/**
 * An entry from a makeIR trace whose argument leaves are all tensors: inputs named by path
 * (arguments by `argNames`, else by position), the leaves whose path `weights` maps bound to
 * those weights, and the arguments in `donateArgnums` donated.
 */
export function entryFromTrace(
  name: string,
  traced: TracedLike,
  opts: { readonly argNames?: readonly string[]; readonly weights?: Readonly<Record<string, string>>; readonly donateArgnums?: readonly number[] } = {},
): EntrySpec {
  const { func, inTree, outTree } = traced;
  if (countLeaves(inTree) !== func.inputs.length) throw specError(`entry '${name}': the arguments have static leaves; describe its inputs with InputSpecs and a pruned tree`);
  const paths = leafPaths(inTree, opts.argNames);
  // The argument each leaf belongs to: the first segment of its positional path.
  const argOf = inTree.kind === 'array' ? leafPaths(inTree).map((p) => Number(p.split('.')[0])) : func.inputs.map(() => 0);
  const inputs = func.inputs.map((v, i): InputSpec => {
    const weight = opts.weights?.[paths[i]!];
    return { path: paths[i]!, shape: v.aval.shape, dtype: v.aval.dtype, ...(weight !== undefined && { weight }), donated: opts.donateArgnums?.includes(argOf[i]!) ?? false };
  });
  const outPaths = leafPaths(outTree, [], 'output');
  const outputs = func.outputs.map((v, i) => ({ path: outPaths[i]!, shape: v.aval.shape, dtype: v.aval.dtype }));
  return { name, func, inputs, outputs, inputTree: inTree, outputTree: outTree };
}
