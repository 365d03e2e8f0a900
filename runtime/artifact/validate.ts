// Structural validation of a manifest read from a file: every field of the right type, every
// buffer index in range, every kernel present, every size consistent. The manifest is never
// trusted: a launch whose buffers do not have the sizes of the kernel's params, an arena view
// past the arena's end, a region whose operands disagree with its program, would make native
// code read or write out of bounds or give a wrong answer. Returns fresh objects holding only
// the known fields.
import { allocHost, isDType, type DType } from '../../compiler/ir/dtype.ts';
import { avalToString, sameAval, sizeOf, type AVal } from '../../compiler/ir/ir.ts';
import type { BufferPlace, ExecBuffer, ExecProgram, ExecStep, GpuLaunch, VulkanStorage } from '../executable.ts';
import { archCapability, MIN_CUBIN_BYTES } from '../cuda/cubin.ts';
import { ArtifactError } from './errors.ts';
import type { CubinSig, EntrySig, InputSig, KernelSig, KernelTable, Manifest, OutputSig, ParamSig, Target, VulkanKernelSig, WeightSig } from './manifest.ts';
import { countLeaves, type TreeDesc } from './tree.ts';
import { MIN_SPIRV_BYTES, VULKAN_STORAGE } from './vulkan.ts';

/** The largest buffer or arena accepted (bytes): a corrupt size must not allocate the machine. */
export const MAX_BUFFER_BYTES = 2 ** 32;
const MAX_RANK = 32;
const MAX_DEPTH = 64;
const MAX_SCAN_LENGTH = 2 ** 31 - 1;
const SYMBOL = /^[A-Za-z_][A-Za-z0-9_]*$/;

const bad = (at: string, msg: string) => new ArtifactError('malformed', `malformed manifest: ${at}: ${msg}`);

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)}`;
  if (typeof v === 'number') return `the number ${v}`;
  return typeof v === 'object' ? 'an object' : typeof v;
}

function obj(v: unknown, at: string): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw bad(at, `expected an object, got ${describe(v)}`);
  return v as Record<string, unknown>;
}

function str(v: unknown, at: string): string {
  if (typeof v !== 'string') throw bad(at, `expected a string, got ${describe(v)}`);
  return v;
}

function nat(v: unknown, at: string, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw bad(at, `expected a non-negative integer, got ${describe(v)}`);
  if (v > max) throw bad(at, `${v} exceeds the limit ${max}`);
  return v;
}

function bool(v: unknown, at: string): boolean {
  if (typeof v !== 'boolean') throw bad(at, `expected true or false, got ${describe(v)}`);
  return v;
}

function list(v: unknown, at: string): unknown[] {
  if (!Array.isArray(v)) throw bad(at, `expected an array, got ${describe(v)}`);
  return v;
}

function oneOf<T extends string>(v: unknown, at: string, options: readonly T[]): T {
  if (typeof v !== 'string' || !(options as readonly string[]).includes(v)) throw bad(at, `expected one of ${options.join(', ')}, got ${describe(v)}`);
  return v as T;
}

function dtype(v: unknown, at: string): DType {
  const s = str(v, at);
  if (!isDType(s)) throw bad(at, `unknown dtype '${s}'`);
  return s;
}

/** Bytes per element of a dtype in host memory (f16 and bf16 are held as f32). */
export function storageBytes(d: DType): number {
  return allocHost(d, 0).BYTES_PER_ELEMENT;
}

function shape(v: unknown, at: string, d: DType): number[] {
  const dims = list(v, at);
  if (dims.length > MAX_RANK) throw bad(at, `rank ${dims.length} exceeds ${MAX_RANK}`);
  const s = dims.map((x, i) => nat(x, `${at}[${i}]`, MAX_BUFFER_BYTES));
  if (sizeOf(s) * storageBytes(d) > MAX_BUFFER_BYTES) throw bad(at, `${d}[${s.join(',')}] exceeds the ${MAX_BUFFER_BYTES}-byte limit of one array`);
  return s;
}

function aval(v: unknown, at: string): AVal {
  const o = obj(v, at);
  const d = dtype(o.dtype, `${at}.dtype`);
  return { shape: shape(o.shape, `${at}.shape`, d), dtype: d };
}

function unique(names: readonly string[], at: string, what: string): void {
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) throw bad(at, `two ${what} are named '${n}'`);
    seen.add(n);
  }
}

// ---- executable programs

interface Ctx {
  readonly kernels: ReadonlyMap<string, KernelSig>;
}

function place(v: unknown, at: string, a: AVal, nInputs: number): BufferPlace {
  const o = obj(v, at);
  const kind = oneOf(o.kind, `${at}.kind`, ['input', 'arena', 'fresh', 'scratch', 'const'] as const);
  switch (kind) {
    case 'input': {
      const index = nat(o.index, `${at}.index`);
      if (index >= nInputs) throw bad(at, `input index ${index} out of range (the program has ${nInputs} inputs)`);
      return { kind, index };
    }
    case 'arena':
      return { kind, offset: nat(o.offset, `${at}.offset`) };
    case 'fresh':
    case 'scratch':
      return { kind };
    case 'const': {
      const data = list(o.data, `${at}.data`);
      const n = sizeOf(a.shape);
      if (data.length !== n && !(data.length === 1 && n > 0)) throw bad(at, `constant of ${avalToString(a)} has ${data.length} values (expected ${n}, or 1 to fill)`);
      const nums = data.map((x, i) => {
        if (typeof x !== 'number') throw bad(`${at}.data[${i}]`, `expected a number, got ${describe(x)}`);
        return x;
      });
      return { kind, data: nums };
    }
    default:
      return kind satisfies never;
  }
}

function index(v: unknown, at: string, n: number): number {
  const i = nat(v, at);
  if (i >= n) throw bad(at, `buffer index ${i} out of range (${n} buffers)`);
  return i;
}

function indices(v: unknown, at: string, n: number): number[] {
  return list(v, at).map((x, i) => index(x, `${at}[${i}]`, n));
}

/**
 * A program; `donated` says which of its inputs it may write (an entry's donated inputs; none
 * for regions, whose inputs are the enclosing program's buffers). Writing any other input would
 * change the caller's arrays or the artifact's weights.
 */
function program(v: unknown, at: string, ctx: Ctx, depth: number, donated: readonly boolean[] = []): ExecProgram {
  if (depth > MAX_DEPTH) throw bad(at, `control flow nested deeper than ${MAX_DEPTH}`);
  const o = obj(v, at);
  const name = str(o.name, `${at}.name`);
  const nInputs = list(o.inputs, `${at}.inputs`).length;
  const arenaBytes = nat(o.arenaBytes, `${at}.arenaBytes`, MAX_BUFFER_BYTES);
  const buffers: ExecBuffer[] = list(o.buffers, `${at}.buffers`).map((b, i) => {
    const bat = `${at}.buffers[${i}]`;
    const bo = obj(b, bat);
    const a = aval(bo.aval, `${bat}.aval`);
    const p = place(bo.place, `${bat}.place`, a, nInputs);
    if (p.kind === 'arena') {
      const w = storageBytes(a.dtype);
      if (p.offset % w !== 0) throw bad(bat, `arena offset ${p.offset} is not aligned to ${w} bytes (${a.dtype})`);
      if (p.offset + sizeOf(a.shape) * w > arenaBytes) throw bad(bat, `${avalToString(a)} at arena offset ${p.offset} ends past the arena (${arenaBytes} bytes)`);
    }
    return { aval: a, place: p };
  });
  const n = buffers.length;
  const inputs = indices(o.inputs, `${at}.inputs`, n);
  inputs.forEach((b, i) => {
    const p = buffers[b]!.place;
    if (p.kind !== 'input' || p.index !== i) throw bad(`${at}.inputs[${i}]`, `buffer ${b} is not placed as input ${i}`);
  });
  // A buffer may alias an input (an output in a donated input's memory): same dtype and size.
  buffers.forEach((b, i) => {
    if (b.place.kind !== 'input') return;
    if (inputs[b.place.index] !== i && !donated[b.place.index]) throw bad(`${at}.buffers[${i}]`, `placed in input ${b.place.index}, which is not donated`);
    const src = buffers[inputs[b.place.index]!]!.aval;
    if (b.aval.dtype !== src.dtype || sizeOf(b.aval.shape) !== sizeOf(src.shape)) {
      throw bad(`${at}.buffers[${i}]`, `${avalToString(b.aval)} placed in input ${b.place.index}, which is ${avalToString(src)}`);
    }
  });
  const outputs = indices(o.outputs, `${at}.outputs`, n);
  const writable = (b: number) => buffers[b]!.place.kind !== 'input' || donated[(buffers[b]!.place as { index: number }).index] === true;
  const steps = list(o.steps, `${at}.steps`).map((s, i) => step(s, `${at}.steps[${i}]`, buffers, ctx, depth, writable));
  return { name, buffers, inputs, outputs, steps, arenaBytes };
}

function sameAvals(at: string, what: string, got: readonly AVal[], want: readonly AVal[]): void {
  if (got.length !== want.length) throw bad(at, `${what}: ${got.length} values for ${want.length}`);
  got.forEach((g, i) => {
    if (!sameAval(g, want[i]!)) throw bad(at, `${what}: value ${i} is ${avalToString(g)}, expected ${avalToString(want[i]!)}`);
  });
}

function step(v: unknown, at: string, buffers: readonly ExecBuffer[], ctx: Ctx, depth: number, writable: (b: number) => boolean): ExecStep {
  const o = obj(v, at);
  const n = buffers.length;
  const written = (ids: readonly number[], what: string) => {
    const b = ids.find((x) => !writable(x));
    if (b !== undefined) throw bad(at, `${what} buffer ${b}, an input that is not donated`);
  };
  const av = (ids: readonly number[]) => ids.map((b) => buffers[b]!.aval);
  const kind = oneOf(o.kind, `${at}.kind`, ['launch', 'copy', 'cond', 'while', 'scan'] as const);
  switch (kind) {
    case 'launch': {
      const kernel = str(o.kernel, `${at}.kernel`);
      const k = ctx.kernels.get(kernel);
      if (!k) throw bad(at, `kernel '${kernel}' is not in the kernel table`);
      const args = indices(o.args, `${at}.args`, n);
      if (args.length !== k.params.length) throw bad(at, `kernel '${kernel}' takes ${k.params.length} buffers, the launch passes ${args.length}`);
      args.forEach((b, i) => {
        const a = buffers[b]!.aval, p = k.params[i]!;
        if (a.dtype !== p.dtype || sizeOf(a.shape) !== p.size) {
          throw bad(`${at}.args[${i}]`, `buffer ${b} is ${avalToString(a)} (${sizeOf(a.shape)} elements), kernel '${kernel}' param ${i} needs ${p.size} of ${p.dtype}`);
        }
      });
      written(args.filter((_, i) => k.params[i]!.role !== 'in'), `kernel '${kernel}' writes`);
      return { kind, kernel, args };
    }
    case 'copy': {
      const from = index(o.from, `${at}.from`, n), to = index(o.to, `${at}.to`, n);
      const a = buffers[from]!.aval, b = buffers[to]!.aval;
      if (a.dtype !== b.dtype || sizeOf(a.shape) !== sizeOf(b.shape)) throw bad(at, `copy from ${avalToString(a)} to ${avalToString(b)}`);
      written([to], 'the copy writes');
      return { kind, from, to };
    }
    case 'cond': {
      const idx = index(o.index, `${at}.index`, n);
      if (!sameAval(buffers[idx]!.aval, { shape: [], dtype: 'i32' })) throw bad(at, `branch index is ${avalToString(buffers[idx]!.aval)}, expected i32[]`);
      const operands = indices(o.operands, `${at}.operands`, n), results = indices(o.results, `${at}.results`, n);
      const branches = list(o.branches, `${at}.branches`).map((b, i) => program(b, `${at}.branches[${i}]`, ctx, depth + 1));
      if (branches.length === 0) throw bad(at, 'a cond needs at least one branch');
      branches.forEach((b, i) => {
        sameAvals(`${at}.branches[${i}]`, 'inputs', b.inputs.map((x) => b.buffers[x]!.aval), av(operands));
        sameAvals(`${at}.branches[${i}]`, 'outputs', b.outputs.map((x) => b.buffers[x]!.aval), av(results));
      });
      written(results, 'the cond writes');
      return { kind, index: idx, operands, results, branches };
    }
    case 'while': {
      const condConsts = indices(o.condConsts, `${at}.condConsts`, n), bodyConsts = indices(o.bodyConsts, `${at}.bodyConsts`, n);
      const init = indices(o.init, `${at}.init`, n), results = indices(o.results, `${at}.results`, n);
      const cond = program(o.cond, `${at}.cond`, ctx, depth + 1), body = program(o.body, `${at}.body`, ctx, depth + 1);
      const ins = (p: ExecProgram) => p.inputs.map((x) => p.buffers[x]!.aval);
      const outs = (p: ExecProgram) => p.outputs.map((x) => p.buffers[x]!.aval);
      sameAvals(`${at}.cond`, 'inputs', ins(cond), av([...condConsts, ...init]));
      sameAvals(`${at}.cond`, 'outputs', outs(cond), [{ shape: [], dtype: 'bool' }]);
      sameAvals(`${at}.body`, 'inputs', ins(body), av([...bodyConsts, ...init]));
      sameAvals(`${at}.body`, 'outputs', outs(body), av(init));
      sameAvals(at, 'results', av(results), av(init));
      written(results, 'the loop writes');
      return { kind, condConsts, bodyConsts, init, results, cond, body };
    }
    case 'scan': {
      const length = nat(o.length, `${at}.length`, MAX_SCAN_LENGTH);
      const reverse = bool(o.reverse, `${at}.reverse`);
      const consts = indices(o.consts, `${at}.consts`, n), init = indices(o.init, `${at}.init`, n);
      const xs = indices(o.xs, `${at}.xs`, n), results = indices(o.results, `${at}.results`, n);
      const body = program(o.body, `${at}.body`, ctx, depth + 1);
      const slices = av(xs).map((a, i) => {
        if (a.shape[0] !== length) throw bad(`${at}.xs[${i}]`, `scanned operand ${avalToString(a)} does not have ${length} rows`);
        return { shape: a.shape.slice(1), dtype: a.dtype };
      });
      sameAvals(`${at}.body`, 'inputs', body.inputs.map((x) => body.buffers[x]!.aval), [...av(consts), ...av(init), ...slices]);
      const bodyOuts = body.outputs.map((x) => body.buffers[x]!.aval);
      sameAvals(`${at}.body`, 'carries', bodyOuts.slice(0, init.length), av(init));
      const stacked = bodyOuts.slice(init.length).map((a) => ({ shape: [length, ...a.shape], dtype: a.dtype }));
      sameAvals(at, 'results', av(results), [...av(init), ...stacked]);
      written(results, 'the scan writes');
      return { kind, length, reverse, consts, init, xs, results, body };
    }
    default:
      return kind satisfies never;
  }
}

// ---- kernels, trees, entries

function launch(v: unknown, at: string): GpuLaunch {
  const o = obj(v, at);
  const dims = (x: unknown, a: string, max: number): [number, number, number] => {
    const l = list(x, a);
    if (l.length !== 3) throw bad(a, `expected 3 dimensions, got ${l.length}`);
    const d = l.map((e, i) => nat(e, `${a}[${i}]`, max));
    if (d.some((e) => e === 0)) throw bad(a, 'dimensions must be positive');
    return [d[0]!, d[1]!, d[2]!];
  };
  const grid = dims(o.grid, `${at}.grid`, 2 ** 31 - 1);
  const block = dims(o.block, `${at}.block`, 1024);
  if (block[0] * block[1] * block[2] > 1024) throw bad(`${at}.block`, `${block.join('x')} threads exceed 1024 per block`);
  return { grid, block, sharedBytes: nat(o.sharedBytes, `${at}.sharedBytes`, 2 ** 20) };
}

const FORMAT: Record<Target, KernelTable['format']> = { cpu: 'shared-object', cuda: 'ptx', vulkan: 'spirv' };

function kernelTable(v: unknown, at: string, target: Target): KernelTable {
  const o = obj(v, at);
  const format = oneOf(o.format, `${at}.format`, [FORMAT[target]]);
  const bytes = nat(o.bytes, `${at}.bytes`);
  const sha256 = str(o.sha256, `${at}.sha256`);
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw bad(`${at}.sha256`, 'expected 64 hex digits');
  const opt = (k: string) => (o[k] === undefined ? undefined : str(o[k], `${at}.${k}`));
  const producer = o.producer === undefined ? undefined : oneOf(o.producer, `${at}.producer`, ['libnvvm', 'llc-14'] as const);
  const kernels = list(o.kernels, `${at}.kernels`).map((k, i): KernelSig => {
    const kat = `${at}.kernels[${i}]`;
    const ko = obj(k, kat);
    const name = str(ko.name, `${kat}.name`);
    if (!SYMBOL.test(name)) throw bad(`${kat}.name`, `'${name}' is not a kernel symbol`);
    const params = list(ko.params, `${kat}.params`).map((p, j): ParamSig => {
      const po = obj(p, `${kat}.params[${j}]`);
      const d = dtype(po.dtype, `${kat}.params[${j}].dtype`);
      const size = nat(po.size, `${kat}.params[${j}].size`, Math.floor(MAX_BUFFER_BYTES / storageBytes(d)));
      return { dtype: d, size, role: oneOf(po.role, `${kat}.params[${j}].role`, ['in', 'out', 'inout', 'scratch'] as const) };
    });
    switch (target) {
      case 'cpu':
        return ko.launch === undefined ? { name, params } : { name, params, launch: launch(ko.launch, `${kat}.launch`) };
      case 'cuda':
        if (ko.launch === undefined) throw bad(kat, 'a cuda kernel needs its launch shape');
        return { name, params, launch: launch(ko.launch, `${kat}.launch`) };
      case 'vulkan':
        return { name, params, vulkan: vulkanKernel(ko.vulkan, `${kat}.vulkan`, params, bytes) };
      default:
        return target satisfies never;
    }
  });
  unique(kernels.map((k) => k.name), `${at}.kernels`, 'kernels');
  const table: KernelTable = { format, bytes, sha256, platform: opt('platform'), arch: opt('arch'), producer, kernels };
  if (o.cubin !== undefined) {
    if (target !== 'cuda') throw bad(`${at}.cubin`, `a ${target} artifact has no cubin`);
    const cubin = cubinSig(o.cubin, `${at}.cubin`);
    // CudaModule's cubin is for exactly the module's architecture.
    if (cubin.arch !== table.arch) throw bad(`${at}.cubin.arch`, `the cubin is for ${cubin.arch}, the PTX for ${table.arch ?? 'no stated architecture'}`);
    return { ...table, cubin };
  }
  if (target !== 'vulkan') return table;
  const ro = obj(o.requires, `${at}.requires`);
  const requires = { float64: bool(ro.float64, `${at}.requires.float64`), preserveNanInf: bool(ro.preserveNanInf, `${at}.requires.preserveNanInf`) };
  const f64 = kernels.find((k) => k.vulkan!.bindings.some((b) => b.storage === 'f64'));
  if (f64 && !requires.float64) throw bad(`${at}.requires.float64`, `kernel '${f64.name}' binds f64 buffers, but the module does not require 64-bit floats`);
  return { ...table, targetEnv: oneOf(o.targetEnv, `${at}.targetEnv`, ['vulkan1.1'] as const), requires };
}

/** The largest cubin accepted (bytes). */
const MAX_CUBIN_BYTES = 2 ** 30;

function cubinSig(v: unknown, at: string): CubinSig {
  const o = obj(v, at);
  const arch = str(o.arch, `${at}.arch`);
  if (!archCapability(arch)) throw bad(`${at}.arch`, `'${arch}' is not an architecture of the form sm_NN`);
  const bytes = nat(o.bytes, `${at}.bytes`, MAX_CUBIN_BYTES);
  if (bytes < MIN_CUBIN_BYTES) throw bad(`${at}.bytes`, `${bytes} bytes cannot hold a cubin (an ELF header has ${MIN_CUBIN_BYTES})`);
  const sha256 = str(o.sha256, `${at}.sha256`);
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw bad(`${at}.sha256`, 'expected 64 hex digits');
  return { arch, bytes, sha256 };
}

const STORAGES = ['f32', 'f64', 'i32', 'u8x4'] as const;

/**
 * A Vulkan kernel's SPIR-V range (inside the kernels section of `sectionBytes`, whole words),
 * bindings (one per param, of the param's storage and size, writable unless the param is only
 * read), packing (each param inside its packed buffer, none overlapping, no slack), status
 * binding (the one after the others) and dispatches.
 */
function vulkanKernel(v: unknown, at: string, params: readonly ParamSig[], sectionBytes: number): VulkanKernelSig {
  const o = obj(v, at);
  const so = obj(o.spirv, `${at}.spirv`);
  const spirv = { offset: nat(so.offset, `${at}.spirv.offset`), bytes: nat(so.bytes, `${at}.spirv.bytes`) };
  if (spirv.offset % 4 !== 0 || spirv.bytes % 4 !== 0) throw bad(`${at}.spirv`, `SPIR-V is whole 32-bit words: offset ${spirv.offset} and length ${spirv.bytes} must be multiples of 4`);
  if (spirv.bytes < MIN_SPIRV_BYTES) throw bad(`${at}.spirv.bytes`, `${spirv.bytes} bytes cannot hold a SPIR-V module's header (${MIN_SPIRV_BYTES} bytes)`);
  if (spirv.offset + spirv.bytes > sectionBytes) throw bad(`${at}.spirv`, `bytes ${spirv.offset}..${spirv.offset + spirv.bytes} end past the kernels section (${sectionBytes} bytes)`);
  const bindings = list(o.bindings, `${at}.bindings`).map((b, i) => {
    const bat = `${at}.bindings[${i}]`;
    const bo = obj(b, bat);
    return { storage: oneOf(bo.storage, `${bat}.storage`, STORAGES), size: nat(bo.size, `${bat}.size`), writes: bool(bo.writes, `${bat}.writes`) };
  });
  if (bindings.length !== params.length) throw bad(`${at}.bindings`, `${bindings.length} bindings for ${params.length} params`);
  bindings.forEach((b, i) => {
    const p = params[i]!;
    const want = { storage: VULKAN_STORAGE[p.dtype], size: p.size, writes: p.role !== 'in' };
    if (b.storage !== want.storage || b.size !== want.size || b.writes !== want.writes) {
      throw bad(`${at}.bindings[${i}]`, `${b.size} of ${b.storage}${b.writes ? ', written' : ''} does not bind param ${i} (${p.role} ${p.dtype}[${p.size}]: ${want.size} of ${want.storage})`);
    }
  });
  const packing = o.packing === undefined ? undefined : vulkanPacking(o.packing, `${at}.packing`, bindings);
  const count = packing ? packing.buffers.length : bindings.length;
  const statusBinding = o.statusBinding === undefined ? undefined : nat(o.statusBinding, `${at}.statusBinding`);
  if (statusBinding !== undefined && statusBinding !== count) throw bad(`${at}.statusBinding`, `the status word is bound after the kernel's ${count} buffers, at ${count}, not ${statusBinding}`);
  const dispatches = list(o.dispatches, `${at}.dispatches`).map((d, i) => {
    const dat = `${at}.dispatches[${i}]`;
    const dob = obj(d, dat);
    const name = str(dob.name, `${dat}.name`);
    if (!SYMBOL.test(name)) throw bad(`${dat}.name`, `'${name}' is not an entry point name`);
    return { name, launch: launch(dob.launch, `${dat}.launch`) };
  });
  if (dispatches.length === 0) throw bad(`${at}.dispatches`, 'a Vulkan kernel needs at least one dispatch');
  return { spirv, bindings, dispatches, ...(packing && { packing }), ...(statusBinding !== undefined && { statusBinding }) };
}

function vulkanPacking(v: unknown, at: string, bindings: readonly { readonly storage: VulkanStorage; readonly size: number }[]): NonNullable<VulkanKernelSig['packing']> {
  const o = obj(v, at);
  const buffers = list(o.buffers, `${at}.buffers`).map((b, i) => {
    const bo = obj(b, `${at}.buffers[${i}]`);
    return { storage: oneOf(bo.storage, `${at}.buffers[${i}].storage`, STORAGES), size: nat(bo.size, `${at}.buffers[${i}].size`, MAX_BUFFER_BYTES) };
  });
  const place = list(o.place, `${at}.place`).map((p, i) => {
    const po = obj(p, `${at}.place[${i}]`);
    return { binding: index(po.binding, `${at}.place[${i}].binding`, buffers.length), offset: nat(po.offset, `${at}.place[${i}].offset`) };
  });
  if (place.length !== bindings.length) throw bad(`${at}.place`, `${place.length} places for ${bindings.length} params`);
  // Per packed buffer, its params' regions in order: of its storage, back to back at most, ending at its size.
  buffers.forEach((buf, j) => {
    const regions = place.map((p, i) => ({ ...p, i, end: p.offset + bindings[i]!.size })).filter((p) => p.binding === j).sort((a, b) => a.offset - b.offset);
    let end = 0;
    for (const r of regions) {
      if (bindings[r.i]!.storage !== buf.storage) throw bad(`${at}.place[${r.i}]`, `param ${r.i} (${bindings[r.i]!.storage}) placed in packed buffer ${j} of ${buf.storage}`);
      if (r.offset < end) throw bad(`${at}.place[${r.i}]`, `param ${r.i} at element ${r.offset} overlaps the param before it (ending at ${end})`);
      end = r.end;
    }
    if (end !== buf.size) throw bad(`${at}.buffers[${j}]`, `holds ${buf.size} elements, its params end at ${end}`);
  });
  return { buffers, place };
}

function tree(v: unknown, at: string, depth = 0): TreeDesc {
  if (depth > MAX_DEPTH) throw bad(at, `tree nested deeper than ${MAX_DEPTH}`);
  const o = obj(v, at);
  const kind = oneOf(o.kind, `${at}.kind`, ['leaf', 'none', 'array', 'object'] as const);
  switch (kind) {
    case 'leaf':
    case 'none':
      return { kind };
    case 'array':
      return { kind, children: list(o.children, `${at}.children`).map((c, i) => tree(c, `${at}.children[${i}]`, depth + 1)) };
    case 'object': {
      const keys = list(o.keys, `${at}.keys`).map((k, i) => str(k, `${at}.keys[${i}]`));
      const children = list(o.children, `${at}.children`).map((c, i) => tree(c, `${at}.children[${i}]`, depth + 1));
      if (keys.length !== children.length) throw bad(at, `${keys.length} keys for ${children.length} children`);
      unique(keys, `${at}.keys`, 'keys');
      return { kind, keys, children };
    }
    default:
      return kind satisfies never;
  }
}

function entry(v: unknown, at: string, ctx: Ctx, weights: ReadonlyMap<string, WeightSig>): EntrySig {
  const o = obj(v, at);
  const name = str(o.name, `${at}.name`);
  if (name === '') throw bad(`${at}.name`, 'an entry needs a name');
  const inputs = list(o.inputs, `${at}.inputs`).map((x, i): InputSig => {
    const iat = `${at}.inputs[${i}]`;
    const io = obj(x, iat);
    const path = str(io.path, `${iat}.path`);
    const a = aval(io.aval, `${iat}.aval`);
    const source = oneOf(io.source, `${iat}.source`, ['arg', 'weight'] as const);
    const donated = bool(io.donated, `${iat}.donated`);
    if (source === 'arg') return { path, aval: a, source, donated };
    const weight = str(io.weight, `${iat}.weight`);
    const w = weights.get(weight);
    if (!w) throw new ArtifactError('missing-weight', `entry '${name}': input '${path}' binds weight '${weight}', which the artifact does not hold`);
    if (!sameAval(a, w)) throw bad(iat, `input '${path}' is ${avalToString(a)} but weight '${weight}' is ${avalToString(w)}`);
    return { path, aval: a, source, weight, donated };
  });
  const outputs = list(o.outputs, `${at}.outputs`).map((x, i): OutputSig => {
    const oo = obj(x, `${at}.outputs[${i}]`);
    return { path: str(oo.path, `${at}.outputs[${i}].path`), aval: aval(oo.aval, `${at}.outputs[${i}].aval`) };
  });
  unique(inputs.map((x) => x.path), `${at}.inputs`, 'inputs');
  unique(outputs.map((x) => x.path), `${at}.outputs`, 'outputs');
  const inputTree = o.inputTree === undefined ? undefined : tree(o.inputTree, `${at}.inputTree`);
  const outputTree = o.outputTree === undefined ? undefined : tree(o.outputTree, `${at}.outputTree`);
  if (inputTree && countLeaves(inputTree) !== inputs.length) throw bad(`${at}.inputTree`, `${countLeaves(inputTree)} leaves for ${inputs.length} inputs`);
  if (outputTree && countLeaves(outputTree) !== outputs.length) throw bad(`${at}.outputTree`, `${countLeaves(outputTree)} leaves for ${outputs.length} outputs`);
  const p = program(o.program, `${at}.program`, ctx, 0, inputs.map((x) => x.donated));
  sameAvals(`${at}.program`, 'inputs', p.inputs.map((b) => p.buffers[b]!.aval), inputs.map((x) => x.aval));
  sameAvals(`${at}.program`, 'outputs', p.outputs.map((b) => p.buffers[b]!.aval), outputs.map((x) => x.aval));
  const e: EntrySig = { name, inputs, outputs, program: p };
  return { ...e, ...(inputTree && { inputTree }), ...(outputTree && { outputTree }) };
}

/** Validates a parsed manifest of an artifact for `target`; throws an ArtifactError naming the fault. */
export function validateManifest(raw: unknown, target: Target): Manifest {
  const o = obj(raw, 'manifest');
  const kernels = kernelTable(o.kernels, 'kernels', target);
  const weights = list(o.weights, 'weights').map((w, i): WeightSig => {
    const wo = obj(w, `weights[${i}]`);
    const d = dtype(wo.dtype, `weights[${i}].dtype`);
    return { name: str(wo.name, `weights[${i}].name`), dtype: d, shape: shape(wo.shape, `weights[${i}].shape`, d) };
  });
  unique(weights.map((w) => w.name), 'weights', 'weights');
  const ctx: Ctx = { kernels: new Map(kernels.kernels.map((k) => [k.name, k])) };
  const byName = new Map(weights.map((w) => [w.name, w]));
  const entries = list(o.entries, 'entries').map((e, i) => entry(e, `entries[${i}]`, ctx, byName));
  if (entries.length === 0) throw bad('entries', 'an artifact needs at least one entry');
  unique(entries.map((e) => e.name), 'entries', 'entries');
  return { entries, kernels, weights };
}
