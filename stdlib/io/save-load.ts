// Saving and loading tensors and parameter trees as safetensors files (the book's 6.6 "File
// I/O"). A tree is stored flat, one tensor per path ("0.weight", "layers.1.bias"); the tree's
// structure goes into __metadata__ under "kiln.tree" so that `load` rebuilds it. Files of other
// tools (PyTorch's safetensors) load as a flat record by name.
import fs from 'node:fs';
import path from 'node:path';
import { array } from '../../dsl/creation.ts';
import { Tensor } from '../../dsl/tensor.ts';
import { writeAll, writeFileAtomic } from './atomic.ts';
import { deserialize, encodeData, encodeHeader, SafetensorsError, type RawTensor, type TensorEntry } from './safetensors.ts';

/** The metadata key holding the saved tree's structure. */
export const TREE_METADATA_KEY = 'kiln.tree';
/** The name of the tensor when a single tensor is saved. */
export const SINGLE_TENSOR_NAME = 'tensor';

/** What `save` accepts: a tensor, arrays and plain objects of them, or a module (its parameters). */
export type SaveTree = Tensor | null | undefined | readonly SaveTree[] | { readonly [key: string]: SaveTree };

/** Something with named parameters, as nn.Module: `namedParams()` and `setParams()`. */
export interface ModuleLike {
  namedParams(): [string, Tensor][];
  setParams(params: Record<string, Tensor>): unknown;
}

function isModuleLike(x: unknown): x is ModuleLike {
  return x !== null && typeof x === 'object' && typeof (x as ModuleLike).namedParams === 'function' && typeof (x as ModuleLike).setParams === 'function';
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (x === null || typeof x !== 'object' || x instanceof Tensor) return false;
  const p = Object.getPrototypeOf(x);
  return p === Object.prototype || p === null;
}

/** A tree's structure as stored in the metadata: 0 for a tensor, null for an empty slot. */
type Structure = 0 | null | Structure[] | { [key: string]: Structure };

/** Flattens a tree to (path, tensor) pairs and its structure; paths join keys with '.'. */
export function flattenTree(tree: unknown, what = 'tree'): { entries: [string, Tensor][]; structure: Structure; flat: boolean } {
  if (isModuleLike(tree)) return { entries: tree.namedParams(), structure: null, flat: true };
  const entries: [string, Tensor][] = [];
  // A plain object of tensors is a flat record: its keys are the names, dots and all.
  if (isPlainObject(tree) && Object.keys(tree).length > 0 && Object.values(tree).every((v) => v instanceof Tensor)) {
    for (const [k, v] of Object.entries(tree)) entries.push([k, v as Tensor]);
    return { entries, structure: null, flat: true };
  }
  const walk = (t: unknown, p: string): Structure => {
    if (t instanceof Tensor) {
      entries.push([p === '' ? SINGLE_TENSOR_NAME : p, t]);
      return 0;
    }
    if (t === null || t === undefined) return null;
    const child = (k: string) => {
      if (k.includes('.')) throw new SafetensorsError(`${what}: key '${k}' at '${p}' contains '.', which separates path parts`);
      return p === '' ? k : `${p}.${k}`;
    };
    if (Array.isArray(t)) return t.map((c, i) => walk(c, child(String(i))));
    if (isPlainObject(t)) {
      const out: { [key: string]: Structure } = {};
      for (const k of Object.keys(t).sort()) out[k] = walk(t[k], child(k));
      return out;
    }
    throw new SafetensorsError(`${what}: '${p || '(root)'}' is a ${t?.constructor?.name ?? typeof t}, not a Tensor`);
  };
  const structure = walk(tree, '');
  return { entries, structure, flat: false };
}

function entryOf(name: string, t: Tensor): TensorEntry {
  if (t.isTraced) throw new SafetensorsError(`tensor '${name}': cannot save a value being traced (save outside jit/grad)`);
  return { name, dtype: t.dtype, shape: t.shape, bytes: () => encodeData(t.dtype, t.data()) };
}

/** Options of `save`. */
export interface SaveOptions {
  /** Extra string metadata for __metadata__. */
  metadata?: Record<string, string>;
}

/** The bytes of a safetensors file holding a tensor, a tree or a module's parameters. */
export function toSafetensorsBytes(tree: SaveTree | ModuleLike, opts: SaveOptions = {}): Uint8Array {
  const { header, order } = prepare(tree, opts);
  const parts = [header, ...order.map((e) => e.bytes())];
  return Buffer.concat(parts);
}

function prepare(tree: SaveTree | ModuleLike, opts: SaveOptions) {
  const { entries, structure, flat } = flattenTree(tree, 'save');
  const metadata: Record<string, string> = { ...opts.metadata };
  if (!flat) metadata[TREE_METADATA_KEY] = JSON.stringify(structure);
  return encodeHeader(entries.map(([n, t]) => entryOf(n, t)), metadata);
}

/**
 * Saves a tensor, a list or tree of tensors, or a module's parameters to a safetensors file.
 * The write is atomic: a temporary file in the same folder, renamed into place when complete.
 */
export function save(file: string, tree: SaveTree | ModuleLike, opts: SaveOptions = {}): void {
  const { header, order } = prepare(tree, opts);
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  writeFileAtomic(file, (fd) => {
    writeAll(fd, header);
    for (const e of order) writeAll(fd, e.bytes());
  });
}

/** The contents of a safetensors file: tensors by name (file order) and its metadata. */
export interface SafetensorsFile {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string>;
}

function toTensor(r: RawTensor): Tensor {
  return array(r.data, { shape: r.shape, dtype: r.dtype });
}

/** Parses safetensors bytes; `what` names the source in errors. */
export function fromSafetensorsBytes(bytes: Uint8Array, what = 'safetensors data'): SafetensorsFile {
  const { tensors, metadata } = deserialize(bytes, what);
  const out: Record<string, Tensor> = {};
  for (const [name, r] of tensors) out[name] = toTensor(r);
  return { tensors: out, metadata: metadata ?? {} };
}

/** Reads a safetensors file: every tensor by name, and the metadata. */
export function loadFile(file: string): SafetensorsFile {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    throw new SafetensorsError(`${file}: cannot read: ${(err as Error).message}`);
  }
  return fromSafetensorsBytes(bytes, file);
}

/** The tensors of a file as a flat record by name ("0.weight": ...). */
export function loadFlat(file: string): Record<string, Tensor> {
  return loadFile(file).tensors;
}

function rebuild(structure: Structure, tensors: Record<string, Tensor>, what: string): unknown {
  const used = new Set<string>();
  const walk = (s: Structure, p: string): unknown => {
    if (s === null) return null;
    if (s === 0) {
      const name = p === '' ? SINGLE_TENSOR_NAME : p;
      const t = tensors[name];
      if (!t) throw new SafetensorsError(`${what}: the stored tree names tensor '${name}', which the file lacks`);
      used.add(name);
      return t;
    }
    const child = (k: string) => (p === '' ? k : `${p}.${k}`);
    if (Array.isArray(s)) return s.map((c, i) => walk(c, child(String(i))));
    if (typeof s === 'object') return Object.fromEntries(Object.keys(s).map((k) => [k, walk(s[k]!, child(k))]));
    throw new SafetensorsError(`${what}: corrupt ${TREE_METADATA_KEY} metadata`);
  };
  const out = walk(structure, '');
  const extra = Object.keys(tensors).filter((n) => !used.has(n));
  if (extra.length) throw new SafetensorsError(`${what}: tensors not in the stored tree: ${extra.join(', ')}`);
  return out;
}

/** Nests a flat record by its dotted names: { 'a.0.w': t } -> { a: { '0': { w: t } } }. */
export function unflattenPaths(flat: Record<string, Tensor>): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [name, t] of Object.entries(flat)) {
    const parts = name.split('.');
    let node = root;
    parts.forEach((part, i) => {
      if (i === parts.length - 1) {
        if (part in node) throw new SafetensorsError(`unflattenPaths: '${name}' collides with another tensor's path`);
        node[part] = t;
        return;
      }
      const next = node[part];
      if (next instanceof Tensor) throw new SafetensorsError(`unflattenPaths: '${name}' nests under the tensor '${parts.slice(0, i + 1).join('.')}'`);
      node = (next as Record<string, unknown>) ?? (node[part] = {});
    });
  }
  return root;
}

/**
 * Loads a safetensors file. A file that Kiln saved from a tensor, list or tree comes back as
 * that tensor, list or tree; other files come back as a flat record of tensors by name (or,
 * with `{ nest: true }`, nested by the dots of their names).
 */
export function load<T = unknown>(file: string, opts: { nest?: boolean } = {}): T {
  const { tensors, metadata } = loadFile(file);
  const s = metadata[TREE_METADATA_KEY];
  if (s !== undefined) {
    let structure: Structure;
    try {
      structure = JSON.parse(s) as Structure;
    } catch {
      throw new SafetensorsError(`${file}: corrupt ${TREE_METADATA_KEY} metadata`);
    }
    return rebuild(structure, tensors, file) as T;
  }
  return (opts.nest ? unflattenPaths(tensors) : tensors) as T;
}

const describe = (t: { dtype: string; shape: readonly number[] }) => `${t.dtype}[${t.shape.join(', ')}]`;

/**
 * Loads a file's tensors into a model: `target` is a module (its parameters are replaced via
 * setParams, and the module is returned) or a tree of tensors (a tree of the same structure
 * with the loaded tensors is returned). Every parameter must be in the file with the same
 * shape and dtype; with `strict` (default), the file must hold nothing else.
 */
export function loadInto<T extends SaveTree | ModuleLike>(file: string, target: T, opts: { strict?: boolean } = {}): T {
  const strict = opts.strict ?? true;
  const stored = loadFlat(file);
  const { entries, structure, flat } = flattenTree(target, 'loadInto');
  const loaded: Record<string, Tensor> = {};
  const problems: string[] = [];
  for (const [name, want] of entries) {
    const got = stored[name];
    if (!got) {
      problems.push(`tensor '${name}' is missing from the file (the model expects ${describe(want)})`);
      continue;
    }
    if (got.dtype !== want.dtype || got.shape.length !== want.shape.length || got.shape.some((d, i) => d !== want.shape[i])) {
      problems.push(`tensor '${name}': the file has ${describe(got)}, the model expects ${describe(want)}`);
      continue;
    }
    loaded[name] = want.isTraced ? got : got.to(want.device);
  }
  if (strict) {
    const names = new Set(entries.map(([n]) => n));
    const extra = Object.keys(stored).filter((n) => !names.has(n));
    if (extra.length) problems.push(`the file has tensors the model lacks: ${extra.join(', ')}`);
  }
  if (problems.length) throw new SafetensorsError(`${file}: cannot load into the model: ${problems.join('; ')}`);
  if (isModuleLike(target)) {
    target.setParams(loaded);
    return target;
  }
  if (flat) return Object.fromEntries(entries.map(([n]) => [n, loaded[n]!])) as T;
  return rebuild(structure, loaded, file) as T;
}
