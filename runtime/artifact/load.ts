// Loading an artifact and calling its entries: the runtime side of ahead-of-time compilation.
// Nothing here imports the DSL or the compiler (llvm-bindings, ts-morph, chevrotain): a
// deployed model needs only the runtime. Inputs and results are host arrays named by path.
import { readFileSync } from 'node:fs';
import { allocHost, type HostArray } from '../../compiler/ir/dtype.ts';
import { avalToString, sizeOf } from '../../compiler/ir/ir.ts';
import { didYouMean } from '../../cli/command.ts';
import type { ContainerHeader } from './container.ts';
import { ArtifactError } from './errors.ts';
import { decodeArtifact, type HostValue } from './format.ts';
import type { EntrySig, InputSig, Manifest, Target } from './manifest.ts';
import { cpuRunner, cudaRunner, vulkanRunner, type Runner } from './runners.ts';
import { buildTree, leavesByDesc } from './tree.ts';

/** An input: a host array of the input's storage type, or one with its dtype and shape. */
export type InputValue = HostArray | { readonly dtype: string; readonly shape: readonly number[]; readonly data: HostArray | readonly number[] };

/**
 * An entry's inputs: an array is the argument tree (leaves bound to weights left out), any
 * other object a record by path name (e.g. `{ x: ..., 'opt.lr': ... }`).
 */
export type EntryInputs = readonly unknown[] | Readonly<Record<string, unknown>>;

export interface LoadOptions {
  /** Where the CPU kernels are written before loading (default: KILN_CACHE_DIR or ~/.cache/kiln/kernels). */
  readonly cacheDir?: string;
}

export interface LoadedArtifact {
  readonly header: ContainerHeader;
  readonly target: Target;
  readonly manifest: Manifest;
  readonly entries: readonly EntrySig[];
  /** The printed IR of the entries, when the artifact carries it. */
  readonly ir?: string;
  /** The signature of entry `name` (an ArtifactError naming the entries when there is none). */
  entry(name: string): EntrySig;
  /** Runs entry `name`; results by output path. */
  call(name: string, inputs: EntryInputs): Record<string, HostValue>;
  /** Runs entry `name`; results rebuilt into the entry's output tree (a record by path without one). */
  callTree(name: string, inputs: EntryInputs): unknown;
  /** Frees the artifact's device resources (GPU memory, modules, pipelines); later calls fail. */
  dispose(): void;
}

/** Reads an artifact file; a missing or unreadable file is an ArtifactError. */
export function readArtifactFile(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ArtifactError('unavailable', `cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
}

/** Loads an artifact (a file path or its bytes), validates it and readies its kernels. */
export async function loadArtifact(src: string | Uint8Array, opts: LoadOptions = {}): Promise<LoadedArtifact> {
  const bytes = typeof src === 'string' ? readArtifactFile(src) : src;
  const a = decodeArtifact(bytes, typeof src === 'string' ? src : 'artifact');
  const target = a.header.target;
  let runner: Runner;
  switch (target) {
    case 'cpu':
      runner = cpuRunner(a, opts.cacheDir);
      break;
    case 'cuda':
      runner = await cudaRunner(a);
      break;
    case 'vulkan':
      runner = await vulkanRunner(a);
      break;
    default:
      throw target satisfies never;
  }
  const entries = a.manifest.entries;
  const entry = (name: string): EntrySig => {
    const e = entries.find((x) => x.name === name);
    if (!e) {
      const names = entries.map((x) => x.name);
      throw new ArtifactError('missing-entry', `no entry '${name}' in the artifact${didYouMean(name, names)} (entries: ${names.join(', ')})`);
    }
    return e;
  };
  let disposed = false;
  const call = (name: string, inputs: EntryInputs): Record<string, HostValue> => {
    if (disposed) throw new ArtifactError('unavailable', `cannot call '${name}': the artifact was disposed`);
    const e = entry(name);
    const arrays = bindInputs(e, inputs, a.weights);
    const outs = runner.run(entries.indexOf(e), arrays);
    // Results never share memory with an input (a weight, or an array the caller keeps) or with each other.
    const seen = new Set<HostArray>(arrays);
    const result: Record<string, HostValue> = {};
    e.outputs.forEach((o, i) => {
      let d = outs[i]!;
      if (seen.has(d)) d = d.slice();
      seen.add(d);
      result[o.path] = { dtype: o.aval.dtype, shape: o.aval.shape, data: d };
    });
    return result;
  };
  return {
    header: a.header,
    target,
    manifest: a.manifest,
    entries,
    ...(a.ir !== undefined && { ir: a.ir }),
    entry,
    call,
    callTree(name, inputs) {
      const e = entry(name);
      const r = call(name, inputs);
      const leaves = e.outputs.map((o) => r[o.path]!);
      return e.outputTree ? buildTree(e.outputTree, leaves) : r;
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      runner.dispose();
    },
  };
}

const STORAGE = { f32: Float32Array, f16: Float32Array, bf16: Float32Array, f64: Float64Array, i32: Int32Array, bool: Uint8Array } as const;

/** The program inputs of entry `e`: the caller's arrays (checked) and the artifact's weights. */
function bindInputs(e: EntrySig, inputs: EntryInputs, weights: ReadonlyMap<string, HostValue>): HostArray[] {
  const fail = (msg: string) => new ArtifactError('bad-input', `entry '${e.name}': ${msg}`);
  const given = givenByInput(e, inputs, fail);
  const missing = e.inputs.filter((s, i) => s.source === 'arg' && given[i] === undefined);
  if (missing.length) {
    throw fail(`missing input${missing.length > 1 ? 's' : ''} ${missing.map((s) => `'${s.path}' (${avalToString(s.aval)})`).join(', ')}`);
  }
  const arrays = e.inputs.map((s, i): HostArray => {
    if (s.source === 'weight') {
      if (given[i] !== undefined) throw fail(`input '${s.path}' is bound to the artifact's weight '${s.weight}'; leave it out`);
      const w = weights.get(s.weight!);
      if (!w) throw new ArtifactError('missing-weight', `entry '${e.name}': weight '${s.weight}' is not in the artifact`);
      // A donated weight would be overwritten: the entry gets a copy.
      return s.donated ? w.data.slice() : w.data;
    }
    return toArray(s, given[i], fail);
  });
  // A donated buffer passed again elsewhere would be overwritten while still read: copy it.
  arrays.forEach((d, i) => {
    if (e.inputs[i]!.donated && arrays.some((o, j) => j !== i && o === d)) arrays[i] = d.slice();
  });
  return arrays;
}

/** The caller's value for each input of `e` (undefined where none was given). */
function givenByInput(e: EntrySig, inputs: EntryInputs, fail: (m: string) => Error): unknown[] {
  if (Array.isArray(inputs)) {
    if (!e.inputTree) throw fail(`the entry records no argument tree; pass its inputs as a record by path name (${e.inputs.map((s) => s.path).join(', ')})`);
    return leavesByDesc(e.inputTree, inputs, fail);
  }
  if (inputs === null || typeof inputs !== 'object') throw fail(`inputs must be an array (the argument tree) or a record by path name, got ${typeof inputs}`);
  const rec = inputs as Readonly<Record<string, unknown>>;
  const paths = e.inputs.map((s) => s.path);
  for (const k of Object.keys(rec)) {
    if (!paths.includes(k)) {
      const args = e.inputs.filter((s) => s.source === 'arg').map((s) => s.path);
      throw fail(`unknown input '${k}'${didYouMean(k, args)} (inputs: ${args.join(', ') || 'none'})`);
    }
  }
  return paths.map((p) => rec[p]);
}

function isHostArray(v: unknown): v is HostArray {
  return v instanceof Float32Array || v instanceof Float64Array || v instanceof Int32Array || v instanceof Uint8Array;
}

/** A checked host array for input `s` (a copy only where the given one is not of the exact storage type). */
function toArray(s: InputSig, v: unknown, fail: (m: string) => Error): HostArray {
  const want = avalToString(s.aval);
  const n = sizeOf(s.aval.shape);
  const Storage = STORAGE[s.aval.dtype];
  let data: unknown = v;
  if (!isHostArray(v)) {
    if (v === null || typeof v !== 'object' || !('data' in v) || !('shape' in v) || !('dtype' in v)) {
      throw fail(`input '${s.path}' must be a typed array or { dtype, shape, data }, got ${v === null ? 'null' : typeof v}`);
    }
    const o = v as { dtype: unknown; shape: unknown; data: unknown };
    if (o.dtype !== s.aval.dtype) throw fail(`input '${s.path}' has dtype ${String(o.dtype)}, expected ${want}`);
    const shape = o.shape;
    if (!Array.isArray(shape) || shape.length !== s.aval.shape.length || shape.some((d, i) => d !== s.aval.shape[i])) {
      throw fail(`input '${s.path}' has shape [${Array.isArray(shape) ? shape.join(', ') : String(shape)}], expected ${want}`);
    }
    data = o.data;
    if (Array.isArray(data)) {
      if (data.length !== n || data.some((x) => typeof x !== 'number' && typeof x !== 'boolean')) throw fail(`input '${s.path}': expected ${n} numbers for ${want}`);
      const a = allocHost(s.aval.dtype, n);
      a.set(data.map(Number));
      return a;
    }
    if (!isHostArray(data)) throw fail(`input '${s.path}': data must be a typed array or an array of numbers`);
  }
  const arr = data as HostArray;
  if (!(arr instanceof Storage)) throw fail(`input '${s.path}' is a ${arr.constructor.name}, expected a ${Storage.name} for ${want}`);
  if (arr.length !== n) throw fail(`input '${s.path}' has ${arr.length} elements, expected ${n} for ${want}`);
  // Subclasses (a Node Buffer is a Uint8Array) are copied into the exact type the kernels take.
  return arr.constructor === Storage ? arr : new Storage(arr as never);
}
