// From an entry's signature to a traced IR function: the abstract argument of every parameter
// (shapes and dtypes from the types, `--args` for what the types leave open, weights bound by
// name), the static values, and the path of each input and output in the argument and result
// trees.
import type { DType } from '../ir/dtype.ts';
import type { Func } from '../ir/ir.ts';
import { makeIR, ShapeDtype } from '../../dsl/make-ir.ts';
import { treeFlatten, type TreeDef } from '../../dsl/tree.ts';
import { leafPaths } from '../../runtime/artifact/tree.ts';
import { CompileError, posToString } from './errors.ts';
import { ArgsError, overrideValueToString, type Override, type OverrideValue } from './overrides.ts';
import { formatSigType, type EntrySig, type ParamSig, type SigType, type StaticValue } from './signature.ts';
// Types only: the packager (and the back end it loads) is imported when packaging, not here.
import type { InputSpec as PackageInputSpec, OutputSpec } from './package.ts';

/** A tensor of the weights file: its name, shape and dtype. */
export interface WeightInfo {
  readonly shape: readonly number[];
  readonly dtype: DType;
}

/**
 * One input of a traced entry, in the order of the function's inputs, as the packager takes it
 * (path: the parameter's name, then keys); `donated` when the entry's `@donate` names it.
 */
export interface InputSpec extends PackageInputSpec {
  readonly donated: boolean;
}

/** One output of a traced entry: its path in the result tree ('' for a lone tensor). */
export type { OutputSpec };

export interface TracedEntry {
  readonly name: string;
  readonly func: Func;
  readonly inputs: readonly InputSpec[];
  readonly outputs: readonly OutputSpec[];
  /** The static arguments, by path. */
  readonly statics: Readonly<Record<string, StaticValue>>;
  readonly inTree: TreeDef;
  readonly outTree: TreeDef;
  /** The parameters' names, in order (the argument tree's root is the list of them). */
  readonly paramNames: readonly string[];
}

/** The parameter whose tree is bound as a whole from a file saved from it (`k.io.save(file, params)`). */
export const PARAMS_NAME = 'params';

/** The abstract arguments of an entry, with each leaf's path. */
export interface EntryPlan {
  readonly sig: EntrySig;
  /** ShapeDtype leaves for tensors, values for statics, null for empty slots. */
  readonly args: readonly unknown[];
  /** Per tensor leaf (flatten order): path, and the weight it is bound to. */
  readonly leaves: readonly { readonly path: string; readonly weight?: string }[];
  readonly statics: Readonly<Record<string, StaticValue>>;
}

const join = (p: string, k: string | number) => (p === '' ? String(k) : `${p}.${k}`);

/**
 * Which overrides are meant for `entry`: `entry.param...` items, and unscoped `param...` items
 * whose first segment is a parameter of the entry. Positional items need a single entry.
 * Returns them by path within the entry (`x`, `params.W1`).
 */
export function overridesFor(sig: EntrySig, all: readonly Override[], entryNames: readonly string[]): Map<string, Override> {
  const out = new Map<string, Override>();
  const paramNames = sig.params.map((p) => p.name);
  all.forEach((o, i) => {
    if (o.name === undefined) {
      if (entryNames.length > 1) throw new ArgsError(`--args: positional values are ambiguous with several entries (${entryNames.join(', ')}); name them, e.g. ${sig.name}.${paramNames[0] ?? 'x'}=[2,3]`);
      const p = sig.params[i];
      if (!p) throw new ArgsError(`--args: ${all.length} values, but ${sig.name} takes ${sig.params.length} parameter${sig.params.length === 1 ? '' : 's'} (${paramNames.join(', ')})`);
      out.set(p.name, o);
      return;
    }
    const segs = o.name.split('.');
    if (segs.length > 1 && segs[0] === sig.name && paramNames.includes(segs[1]!)) out.set(segs.slice(1).join('.'), o);
    else if (!entryNames.includes(segs[0]!) && paramNames.includes(segs[0]!)) out.set(o.name, o);
  });
  return out;
}

/** Every named override must reach some entry's parameter. */
export function checkOverridesUsed(all: readonly Override[], sigs: readonly EntrySig[]): void {
  const names = sigs.map((s) => s.name);
  for (const o of all) {
    if (o.name === undefined) continue;
    const segs = o.name.split('.');
    const reaches = sigs.some((s) => {
      const params = s.params.map((p) => p.name);
      return (segs[0] === s.name && params.includes(segs[1] ?? '')) || (!names.includes(segs[0]!) && params.includes(segs[0]!));
    });
    if (!reaches) {
      const known = sigs.map((s) => `${s.name}(${s.params.map((p) => p.name).join(', ')})`).join(', ');
      throw new ArgsError(`--args ${o.text}: no parameter '${o.name}' in the entries compiled: ${known}`);
    }
  }
}

/**
 * Plans an entry's abstract arguments. Tensors take their shape from, in order: the weights
 * (a leaf whose full path names a weight, or the parameter `params` when every one of its
 * leaves names a weight), `--args`, the type. Statics take `--args`, else the default.
 */
export function planEntry(sig: EntrySig, overrides: ReadonlyMap<string, Override>, weights: ReadonlyMap<string, WeightInfo>): EntryPlan {
  const statics: Record<string, StaticValue> = {};
  const used = new Set<string>();
  const args = sig.params.map((p) => {
    const relative = p.name === PARAMS_NAME && bindsWhole(p.type, weights);
    return resolve(p.type, p.name, { param: p, sig, overrides, weights, statics, relative, used });
  });
  for (const [path, o] of overrides) {
    if (!used.has(path)) throw new ArgsError(`--args ${o.text}: ${sig.name} has no tensor or static leaf '${path}' (${describeParams(sig)})`);
  }
  // The tensor leaves in flatten order, each with its path: flatten a tree of paths alongside.
  const pathTree = sig.params.map((p, i) => pathsOf(args[i], p.name));
  const leafPaths = treeFlatten(pathTree).leaves as string[];
  const argLeaves = treeFlatten(args).leaves;
  const leaves = argLeaves.flatMap((l, i) => (l instanceof BoundShape ? [{ path: leafPaths[i]!, weight: l.weight }] : l instanceof ShapeDtype ? [{ path: leafPaths[i]! }] : []));
  return { sig, args, leaves, statics };
}

/** A ShapeDtype bound to a weight (still an abstract input of the trace). */
class BoundShape extends ShapeDtype {
  constructor(
    shape: readonly number[],
    dtype: DType,
    readonly weight: string,
  ) {
    super(shape, dtype);
  }
}

function pathsOf(v: unknown, path: string): unknown {
  if (v === null || v === undefined) return v;
  if (Array.isArray(v)) return v.map((c, i) => pathsOf(c, join(path, i)));
  if (typeof v === 'object' && !(v instanceof ShapeDtype)) return Object.fromEntries(Object.entries(v).map(([k, c]) => [k, pathsOf(c, join(path, k))]));
  return path;
}

function describeParams(sig: EntrySig): string {
  return `its parameters: ${sig.params.map((p) => `${p.name}: ${formatSigType(p.type)}`).join(', ') || 'none'}`;
}

interface Ctx {
  readonly param: ParamSig;
  readonly sig: EntrySig;
  readonly overrides: ReadonlyMap<string, Override>;
  readonly weights: ReadonlyMap<string, WeightInfo>;
  readonly statics: Record<string, StaticValue>;
  /** Bind `params`' leaves by their paths relative to the parameter. */
  readonly relative: boolean;
  readonly used: Set<string>;
}

/** Whether every tensor leaf of a `params` type names a weight by its relative path. */
function bindsWhole(t: SigType, weights: ReadonlyMap<string, WeightInfo>): boolean {
  const paths: string[] = [];
  const walk = (t: SigType, p: string): boolean => {
    switch (t.kind) {
      case 'tensor':
        paths.push(p);
        return true;
      case 'tuple':
        return t.elements.every((e, i) => walk(e, join(p, i)));
      case 'array': {
        const n = arrayLength(weights, p);
        return n > 0 && Array.from({ length: n }, (_, i) => walk(t.element, join(p, i))).every(Boolean);
      }
      case 'object':
        return t.fields.every((f) => walk(f.type, join(p, f.key)));
      case 'static':
      case 'none':
        return true;
      case 'unsupported':
        return false;
      default:
        return t satisfies never;
    }
  };
  return t.kind !== 'tensor' && walk(t, '') && paths.length > 0 && paths.every((p) => weights.has(p));
}

/** The length of an array at `path` as the weights give it (indices `path.0`, `path.1`, ...). */
function arrayLength(weights: ReadonlyMap<string, WeightInfo>, path: string): number {
  const prefix = path === '' ? '' : `${path}.`;
  let n = 0;
  for (const name of weights.keys()) {
    if (!name.startsWith(prefix)) continue;
    const m = /^(\d+)(\.|$)/.exec(name.slice(prefix.length));
    if (m) n = Math.max(n, Number(m[1]) + 1);
  }
  return n;
}

function where(c: Ctx): string {
  return `parameter '${c.param.name}' of ${c.sig.name} (${posToString(c.param.pos)})`;
}

/** `parameter 'x' of predict (file:line:col)`, or `'params.W1' in parameter 'params' of ...`. */
function what(path: string, c: Ctx): string {
  return path === c.param.name ? where(c) : `'${path}' in ${where(c)}`;
}

function resolve(t: SigType, path: string, c: Ctx): unknown {
  const o = c.overrides.get(path);
  if (o) c.used.add(path);
  switch (t.kind) {
    case 'tensor':
      return resolveTensor(t, path, o?.value, c);
    case 'tuple':
      if (o) throw new ArgsError(`--args ${o.text}: ${what(path, c)} is a tuple; give its elements (${path}.0=...)`);
      return t.elements.map((e, i) => resolve(e, join(path, i), c));
    case 'array': {
      if (o) throw new ArgsError(`--args ${o.text}: ${what(path, c)} is an array; give its elements (${path}.0=...)`);
      const rel = c.relative ? path.slice(c.param.name.length + 1) : path;
      let n = arrayLength(c.weights, rel);
      for (const k of c.overrides.keys()) {
        const m = new RegExp(`^${path.replace(/[.$]/g, '\\$&')}\\.(\\d+)(\\.|$)`).exec(k);
        if (m) n = Math.max(n, Number(m[1]) + 1);
      }
      if (n === 0) {
        throw new ArgsError(`${what(path, c)} is an array of unknown length (${formatSigType(t)}); use a tuple type, give its elements with --args ${path}.0=..., or bind it from --weights`);
      }
      return Array.from({ length: n }, (_, i) => resolve(t.element, join(path, i), c));
    }
    case 'object':
      if (o) throw new ArgsError(`--args ${o.text}: ${what(path, c)} is an object; give its fields (${path}.${t.fields[0]?.key ?? 'key'}=...)`);
      return Object.fromEntries(t.fields.map((f) => [f.key, resolve(f.type, join(path, f.key), c)]));
    case 'static':
      return resolveStatic(t, path, o?.value, o?.text, c);
    case 'none':
      return null;
    case 'unsupported':
      throw new CompileError(
        `${where(c)} has type ${path === c.param.name ? c.param.typeText : `${c.param.typeText}, whose '${path}' is ${t.text}`}, which is neither a tensor tree ` +
          `(Tensor<S, D>, or objects, arrays and tuples of them) nor a static number, boolean or string`,
      );
    default:
      return t satisfies never;
  }
}

function resolveTensor(t: Extract<SigType, { kind: 'tensor' }>, path: string, o: OverrideValue | undefined, c: Ctx): ShapeDtype {
  const typeText = formatSigType(t);
  const weightName = c.relative ? path.slice(c.param.name.length + 1) : path;
  const w = c.weights.get(weightName);
  if (w) {
    if (o) throw new ArgsError(`--args ${path}=${overrideValueToString(o)}: '${path}' of ${c.sig.name} is bound to the weight '${weightName}'; leave it out of --args`);
    const bad = !t.dtypes.includes(w.dtype) || (t.shape && (t.shape.length !== w.shape.length || t.shape.some((d, i) => d !== null && d !== w.shape[i])));
    if (bad) {
      throw new CompileError(`the weight '${weightName}' is ${w.dtype}[${w.shape.join(',')}], but ${what(path, c)} is ${typeText} (${c.param.typeText})`);
    }
    return new BoundShape(w.shape, w.dtype, weightName);
  }
  if (o && o.kind !== 'shape') throw new ArgsError(`--args ${path}=${overrideValueToString(o)}: ${what(path, c)} is a tensor (${typeText}); give its shape, e.g. ${path}=[2,3]`);
  const dtypeHint = t.dtypes.length === 1 ? t.dtypes[0]! : 'f32';
  const example = `${path}=${t.shape ? `[${t.shape.map((d) => d ?? 'N').join(',')}]` : `${dtypeHint}[2,3]`}`;
  let dtype: DType;
  if (o?.dtype) {
    if (!t.dtypes.includes(o.dtype)) throw new ArgsError(`--args ${path}=${overrideValueToString(o)}: ${what(path, c)} is ${typeText}, not ${o.dtype}`);
    dtype = o.dtype;
  } else if (t.dtypes.length === 1) dtype = t.dtypes[0]!;
  else if (t.dtypes.includes('f32')) dtype = 'f32';
  else throw new ArgsError(`${what(path, c)} may be ${t.dtypes.join(' or ')}; choose with --args ${c.sig.name}.${path}=${t.dtypes[0]}[...]`);
  if (o) {
    const s = t.shape;
    if (s && (s.length !== o.shape.length || s.some((d, i) => d !== null && d !== o.shape[i]))) {
      throw new ArgsError(`--args ${path}=${overrideValueToString(o)}: ${what(path, c)} has type ${c.param.typeText === typeText ? typeText : `${typeText}`}; the shape must be ${s.length} dims [${s.map((d) => d ?? 'N').join(',')}]`);
    }
    return new ShapeDtype(o.shape, dtype);
  }
  if (!t.shape) {
    throw new ArgsError(`${what(path, c)} is a tensor of unknown rank (${c.param.typeText}); give its shape with --args ${c.sig.name}.${example}, or write its shape in the type (Tensor<[2, 3], 'f32'>)`);
  }
  const open = t.shape.findIndex((d) => d === null);
  if (open >= 0) {
    throw new ArgsError(`dimension ${open} of ${what(path, c)} is dynamic (${c.param.typeText}); give its shape with --args ${c.sig.name}.${example}`);
  }
  return new ShapeDtype(t.shape as number[], dtype);
}

function resolveStatic(t: Extract<SigType, { kind: 'static' }>, path: string, o: OverrideValue | undefined, text: string | undefined, c: Ctx): StaticValue {
  let v: StaticValue;
  if (o) {
    if (o.kind !== 'static') throw new ArgsError(`--args ${text}: ${what(path, c)} is a static ${t.type}, not a tensor`);
    v = t.type === 'string' ? String(o.value) : o.value;
    if (typeof v !== t.type) throw new ArgsError(`--args ${text}: ${what(path, c)} is a ${t.type}, got ${JSON.stringify(o.value)}`);
  } else if (path === c.param.name && c.param.default !== undefined) v = c.param.default;
  else {
    const why = path === c.param.name && c.param.defaultText ? ` (its default '${c.param.defaultText}' is not a literal)` : '';
    throw new ArgsError(`${what(path, c)} is a static ${formatSigType(t)} without a value${why}; give it with --args ${c.sig.name}.${path}=${t.options?.[0] ?? (t.type === 'number' ? 1 : t.type === 'boolean' ? 'true' : 'text')}`);
  }
  if (t.options && !t.options.includes(v)) throw new ArgsError(`${what(path, c)} must be one of ${t.options.map((x) => JSON.stringify(x)).join(', ')}, got ${JSON.stringify(v)}`);
  c.statics[path] = v;
  return v;
}

/** Traces `fn` on the plan's abstract arguments. */
export function traceEntry(fn: (...args: never[]) => unknown, plan: EntryPlan): TracedEntry {
  const { sig } = plan;
  const traced = makeIR(fn as (...args: unknown[]) => unknown, { name: sig.name })(...plan.args);
  const func = traced.func;
  if (func.inputs.length !== plan.leaves.length) {
    throw new CompileError(`${sig.name}: the trace has ${func.inputs.length} inputs for ${plan.leaves.length} tensor leaves`);
  }
  const donated = new Set(sig.donate);
  const inputs = plan.leaves.map((l, i) => {
    const v = func.inputs[i]!;
    const top = l.path.split('.')[0]!;
    return { path: l.path, shape: v.aval.shape, dtype: v.aval.dtype, ...(l.weight !== undefined ? { weight: l.weight } : {}), donated: donated.has(top) };
  });
  const outPaths = leafPaths(traced.outTree, [], '');
  const outputs = func.outputs.map((v, i) => ({ path: outPaths[i] ?? String(i), shape: v.aval.shape, dtype: v.aval.dtype }));
  return { name: sig.name, func, inputs, outputs, statics: plan.statics, inTree: traced.inTree, outTree: traced.outTree, paramNames: sig.params.map((p) => p.name) };
}

/** `@donate` must name parameters of the entry. */
export function checkDonate(sig: EntrySig): void {
  const names = sig.params.map((p) => p.name);
  for (const d of sig.donate) {
    if (!names.includes(d)) throw new CompileError(`@donate ${d} on ${sig.name} (${posToString(sig.pos)}): ${sig.name} has no parameter '${d}' (parameters: ${names.join(', ') || 'none'})`);
  }
}
