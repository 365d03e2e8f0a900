// Ahead-of-time compilation of a model file: read the entries' types (stopping at TypeScript
// errors), plan their abstract arguments from the types, `--args` and the weights file, import
// the model and trace each entry; then hand the traced entries to compiler/aot/package.ts,
// which compiles them together and encodes the artifact.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { verifyFunc } from '../ir/verify.ts';
import { deserialize, type RawTensor } from '../../stdlib/io/safetensors.ts';
import { checkDonate, checkOverridesUsed, overridesFor, planEntry, traceEntry, type TracedEntry, type WeightInfo } from './entries.ts';
import { CompileError, EntryError } from './errors.ts';
import { parseOverrides } from './overrides.ts';
import type { EntrySpec } from './package.ts';
import { leafPaths, pruneTree } from '../../runtime/artifact/tree.ts';
import { TARGETS, type Target } from '../../runtime/artifact/manifest.ts';
import { assertNoTypeErrors, findEntry, readModelSignatures, type EntrySig, type ModelSignatures } from './signature.ts';

export interface TraceModelRequest {
  /** The model file (.ts). */
  readonly file: string;
  /** The entries to compile; empty: the file's only exported function. */
  readonly entries: readonly string[];
  /** The `--args` text (see overrides.ts). */
  readonly args?: string;
  /** A safetensors file whose tensors bind inputs by name. */
  readonly weights?: string;
  /** Stop at the model file's TypeScript errors (default true). */
  readonly typeCheck?: boolean;
  /** "did you mean" for a missing entry (the CLI's). */
  readonly didYouMean?: (word: string, candidates: readonly string[]) => string;
}

export interface TracedModel {
  /** The model file as messages name it. */
  readonly file: string;
  readonly entries: readonly TracedEntry[];
  /** The weights some entry binds, by name (the file's tensors that no entry uses are left out). */
  readonly weights: ReadonlyMap<string, RawTensor>;
}

/** Reads the weights file; its tensors by name. */
export function readWeights(file: string): Map<string, RawTensor> {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw new CompileError(`cannot read the weights file ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  return deserialize(bytes, file).tensors;
}

/** The entries named by the request, or the only exported function. */
export function chooseEntries(m: ModelSignatures, names: readonly string[], dym: (w: string, c: readonly string[]) => string = () => ''): EntrySig[] {
  if (names.length === 0) {
    const all = [...m.entries.keys()].sort();
    if (all.length !== 1) {
      throw new EntryError(all.length === 0 ? `${m.file} exports no function` : `${m.file} exports several functions (${all.join(', ')}); choose one with --entry`);
    }
    return [m.entries.get(all[0]!)!];
  }
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new EntryError(`--entry names ${dup} twice`);
  return names.map((n) => findEntry(m, n, dym));
}

/** Type-checks the model, plans and traces the entries. */
export async function traceModel(req: TraceModelRequest): Promise<TracedModel> {
  const overrides = parseOverrides(req.args ?? ''); // before the (slow) type checker
  const model = readModelSignatures(req.file, { typeCheck: req.typeCheck });
  assertNoTypeErrors(model);
  const sigs = chooseEntries(model, req.entries, req.didYouMean);
  sigs.forEach(checkDonate);
  checkOverridesUsed(overrides, sigs);
  const fileWeights = req.weights ? readWeights(req.weights) : new Map<string, RawTensor>();
  const infos = new Map<string, WeightInfo>([...fileWeights].map(([n, t]) => [n, { shape: t.shape, dtype: t.dtype }]));
  const names = sigs.map((s) => s.name);
  // Plan every entry before importing the model: type problems are reported without running it.
  const plans = sigs.map((s) => planEntry(s, overridesFor(s, overrides, names), infos));
  const mod = (await import(pathToFileURL(path.resolve(req.file)).href)) as Record<string, unknown>;
  const entries = plans.map((plan) => {
    const fn = mod[plan.sig.name];
    if (typeof fn !== 'function') throw new CompileError(`${model.file}: the export '${plan.sig.name}' is not a function at run time`);
    const traced = traceEntry(fn as (...args: never[]) => unknown, plan);
    verifyFunc(traced.func);
    return traced;
  });
  const used = new Set(entries.flatMap((e) => e.inputs.flatMap((i) => (i.weight !== undefined ? [i.weight] : []))));
  const weights = new Map([...fileWeights].filter(([n]) => used.has(n)));
  if (req.weights && weights.size === 0) {
    const sample = [...fileWeights.keys()].slice(0, 5).join(', ');
    throw new CompileError(
      `no input of ${names.join(', ')} matches a tensor of ${req.weights} (${sample}${fileWeights.size > 5 ? ', ...' : ''}); ` +
        `weights bind the leaves whose path names them (params.W1), or the parameter 'params' as a whole`,
    );
  }
  return { file: model.file, entries, weights };
}

/** What `kiln compile` asks for: the traced model's request, a target and where the kernels are cached. */
export interface CompileModelRequest extends TraceModelRequest {
  readonly target: Target;
  readonly cacheDir?: string;
}

export interface CompiledModel extends TracedModel {
  readonly target: Target;
  /** The artifact's bytes (write them with writeArtifact). */
  readonly bytes: Uint8Array;
}

/** The packager's description of a traced entry: static leaves pruned from its argument tree. */
export function entrySpec(e: TracedEntry): EntrySpec {
  const statics = new Set(Object.keys(e.statics));
  const isInput = leafPaths(e.inTree, e.paramNames).map((p) => !statics.has(p));
  return { name: e.name, func: e.func, inputs: e.inputs, outputs: e.outputs, inputTree: pruneTree(e.inTree, isInput), outputTree: e.outTree };
}

/** Traces the entries and packages them for `req.target`. */
export async function compileModel(req: CompileModelRequest): Promise<CompiledModel> {
  if (!TARGETS.includes(req.target)) throw new CompileError(`unknown target '${req.target}' (targets: ${TARGETS.join(', ')})`);
  const traced = await traceModel(req);
  // The packager brings the whole back end (LLVM, the GPU code generators): only when packaging.
  const { packageArtifact } = await import('./package.ts');
  const bytes = packageArtifact({ target: req.target, entries: traced.entries.map(entrySpec), weights: traced.weights, cacheDir: req.cacheDir });
  return { ...traced, target: req.target, bytes };
}
