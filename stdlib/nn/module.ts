// nn.Module: the base class of layers and blocks (the book's chapter 5), with a functional core.
// A module owns named parameters and named child modules. `call(x)` runs `forward` with the
// module's own parameters; `apply(params, x)` runs it with a given parameter tree substituted
// for the duration of the call, so the same module works under `k.grad` and `k.jit`, where the
// substituted tensors are tracers. A call context carries the random key and the
// training/evaluation mode for layers such as Dropout.
import type { DType } from '../../compiler/ir/dtype.ts';
import { KilnError } from '../../compiler/ir/errors.ts';
import { toDevice } from '../../dsl/devices.ts';
import { makeIR, ShapeDtype } from '../../dsl/make-ir.ts';
import { foldIn, split, type Key } from '../../dsl/random.ts';
import { Tensor } from '../../dsl/tensor.ts';
import type { Device } from '../../runtime/device.ts';
import { computeNow, nextKey } from './keys.ts';

/** Parameters as a nested object by module path: `{ '0': { weight, bias }, '2': { ... } }`. */
export interface ParamTree {
  readonly [name: string]: Tensor | ParamTree;
}

/** Parameters as a flat record by dotted path: `{ '0.weight': w, '0.bias': b }`. */
export type FlatParams = Record<string, Tensor>;

/**
 * A parameter initialiser: a tensor of `shape` and `dtype` drawn with `key`. The function must
 * be pure tensor code (it is traced and evaluated once, at creation).
 */
export type Initializer = (key: Key, shape: readonly number[], dtype: DType) => Tensor;

/** Options of one call of a module: `net.call(x, { key })`, `net.apply(params, x, { training: false })`. */
export interface CallOptions {
  /**
   * The random key of this call. Each random layer (Dropout) draws its own key from it in call
   * order, so one key per step is enough; inside `k.jit` pass it as an argument of the jitted
   * function. Without it, random layers advance their own key streams (eager mode only).
   */
  key?: Key;
  /** Overrides the modules' own train()/eval() mode for this call. */
  training?: boolean;
}

/** Options of every module's constructor. */
export interface ModuleOptions {
  /** The key parameters are drawn from (and random layers' own stream); by default the global key source (`nn.manualSeed`). */
  key?: Key;
  /** Children to register by name, in order (as `this.child(name, m)` for each). */
  children?: Record<string, AnyModule>;
}

/** A module of any signature, as children are held. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyModule = Module<any[], any>;

/** A mistake in using modules: a missing or unknown parameter, an uninitialised lazy layer, a missing key. */
export class ModuleError extends KilnError {
  override name = 'ModuleError';
}

// ---- the call context --------------------------------------------------------------------

interface CallContext {
  readonly key?: Key;
  readonly training?: boolean;
  count: number;
}

const contexts: CallContext[] = [];
let callDepth = 0;

const CALL_OPTION_KEYS = new Set(['key', 'training']);

function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (x === null || typeof x !== 'object' || x instanceof Tensor || Array.isArray(x)) return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

/** Whether `x` is a CallOptions object (a plain object with only `key` and `training`). */
function isCallOptions(x: unknown): x is CallOptions {
  if (!isPlainObject(x)) return false;
  if (!Object.keys(x).every((k) => CALL_OPTION_KEYS.has(k))) return false;
  return (x.key === undefined || x.key instanceof Tensor) && (x.training === undefined || typeof x.training === 'boolean');
}

function splitArgs(args: readonly unknown[]): { inputs: unknown[]; opts?: CallOptions } {
  const last = args[args.length - 1];
  if (args.length > 0 && isCallOptions(last)) return { inputs: args.slice(0, -1), opts: last };
  return { inputs: [...args] };
}

function withContext<T>(opts: CallOptions | undefined, f: () => T): T {
  if (opts && (opts.key !== undefined || opts.training !== undefined)) {
    contexts.push({ key: opts.key, training: opts.training, count: 0 });
    try {
      return f();
    } finally {
      contexts.pop();
    }
  }
  return f();
}

/** True when `t` is a value being traced without a known value (inside `k.jit` or AOT compilation). */
export function isAbstract(t: Tensor): boolean {
  const v = t._value;
  return v.kind === 'traced' && v.known === undefined;
}

const join = (prefix: string, name: string) => (prefix ? `${prefix}.${name}` : name);

/** The leaves of a parameter tree (or flat record) by dotted path. */
export function flattenParams(p: ParamTree | FlatParams, what = 'params'): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  const walk = (node: unknown, prefix: string) => {
    if (node instanceof Tensor) {
      out.set(prefix, node);
      return;
    }
    if (!isPlainObject(node)) throw new ModuleError(`${what}: '${prefix}' is not a tensor or an object of tensors (${node === null ? 'null' : typeof node})`);
    for (const [k, v] of Object.entries(node)) walk(v, join(prefix, k));
  };
  if (p instanceof Tensor) throw new ModuleError(`${what}: expected a tree or record of parameters, got a single tensor`);
  walk(p, '');
  return out;
}

/** A nested tree from dotted paths. */
export function nestParams(flat: Iterable<[string, Tensor]>): ParamTree {
  const root: Record<string, unknown> = {};
  for (const [path, t] of flat) {
    const parts = path.split('.');
    let node = root;
    for (const part of parts.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>;
    node[parts[parts.length - 1]!] = t;
  }
  return root as ParamTree;
}

// ---- Module ------------------------------------------------------------------------------

/**
 * The base class of layers and blocks, like PyTorch's `nn.Module`. Subclasses register
 * parameters with `this.param(name, init, shape)` (readable as `this.<name>`; write
 * `declare readonly weight: Tensor` for the type) and children with `this.child(name, m)` or
 * simply as properties holding modules, and implement `forward`.
 *
 * `net.call(x)` runs forward with the module's own parameters; `net.apply(params, x)` with a
 * parameter tree substituted (for `k.grad` and `k.jit`); `net.paramTree()` gives that tree.
 */
export abstract class Module<I extends unknown[] = [Tensor], O = Tensor> {
  /** Training mode (true, the default) or evaluation mode; set with `train()` / `eval()`. */
  training = true;
  /** @internal Own parameters by name; null while a deferred parameter waits for its shape. */
  private readonly _params = new Map<string, Tensor | null>();
  /** @internal Explicitly registered children. */
  private readonly _children = new Map<string, AnyModule>();
  /** @internal Parameters substituted by apply(). */
  private _override: Map<string, Tensor> | undefined = undefined;
  /** @internal The constructor's key, when one was given. */
  private readonly _key: Key | undefined;
  /** @internal Keys drawn from `_key` so far. */
  private _keyCount = 0;
  /** @internal The eager key stream of random layers. */
  private _stream: Key | undefined = undefined;

  constructor(opts: ModuleOptions = {}) {
    this._key = opts.key;
    for (const [name, m] of Object.entries(opts.children ?? {})) this.child(name, m);
  }

  /** The computation of the module on its inputs, reading its parameters as `this.<name>`. */
  abstract forward(...inputs: I): O;

  /**
   * Runs the module with its own parameters: `net.call(x)`, or `net.call(x, { key, training })`
   * with call options as the last argument.
   */
  call(...args: [...I] | [...I, CallOptions]): O {
    const { inputs, opts } = splitArgs(args);
    if (callDepth === 0) this._walk(false);
    callDepth++;
    try {
      return withContext(opts, () => this.forward(...(inputs as I)));
    } finally {
      callDepth--;
    }
  }

  /**
   * Runs the module with `params` (a tree as `paramTree()` returns, or a flat record by path)
   * in place of its own, e.g. `k.grad((p) => loss(net.apply(p, x), y))(net.paramTree())`.
   * Every parameter must be given; tied parameters once, under their first path. Call options
   * (`{ key, training }`) may follow the inputs.
   */
  apply(params: ParamTree | FlatParams, ...args: [...I] | [...I, CallOptions]): O {
    const flat = flattenParams(params, 'apply');
    const { inputs, opts } = splitArgs(args);
    const used = new Set<string>();
    const saved: [AnyModule, Map<string, Tensor> | undefined][] = [];
    const restore = () => {
      for (const [m, prev] of saved.reverse()) m._override = prev;
    };
    try {
      for (const [path, m] of this._walk(true)) {
        if (m._params.size === 0) continue;
        const ov = new Map<string, Tensor>();
        for (const [name, own] of m._params) {
          const full = join(path, name);
          const t = flat.get(full);
          if (t === undefined) {
            if (own === null) throw notInitialised(m, full);
            throw new ModuleError(`apply: the parameters lack '${full}' (expected ${describeExpected(own)})`);
          }
          ov.set(name, t);
          used.add(full);
        }
        saved.push([m, m._override]);
        m._override = ov;
      }
      const unknown = [...flat.keys()].filter((p) => !used.has(p));
      if (unknown.length) throw unknownPaths('apply', unknown, this);
      callDepth++;
      try {
        return withContext(opts, () => this.forward(...(inputs as I)));
      } finally {
        callDepth--;
      }
    } finally {
      restore();
    }
  }

  /** Switches this module and all its descendants to training mode (or evaluation with `false`). */
  train(mode = true): this {
    for (const [, m] of this._walk(false)) m.training = mode;
    return this;
  }

  /** Switches this module and all its descendants to evaluation mode (Dropout becomes the identity). */
  eval(): this {
    return this.train(false);
  }

  /** Registers `m` as a child named `name` (PyTorch's add_module) and returns it. */
  child<M extends AnyModule>(name: string, m: M): M {
    if (!(m instanceof Module)) throw new ModuleError(`child '${name}': not a Module`);
    if (name === '' || name.includes('.')) throw new ModuleError(`child name '${name}' must be non-empty and contain no '.'`);
    if (this._params.has(name)) throw new ModuleError(`'${name}' is already a parameter of this ${this.constructor.name}`);
    this._children.set(name, m);
    return m;
  }

  /**
   * Registers a parameter: `this.param('weight', nn.init.normal(0.01), [out, in])` draws it with
   * the initialiser (from the module's key); `this.param('scale', tensor)` takes a tensor as it
   * is. Returns the tensor; afterwards `this.<name>` reads the current value (the substituted
   * one inside `apply`).
   */
  protected param(name: string, init: Initializer | Tensor, shape?: readonly number[], opts: { dtype?: DType; key?: Key } = {}): Tensor {
    if (name === '' || name.includes('.')) throw new ModuleError(`parameter name '${name}' must be non-empty and contain no '.'`);
    if (this._children.has(name)) throw new ModuleError(`'${name}' is already a child module of this ${this.constructor.name}`);
    let t: Tensor;
    if (init instanceof Tensor) {
      t = init;
    } else {
      if (!shape) throw new ModuleError(`param '${name}': an initialiser needs a shape`);
      const key = opts.key ?? this.nextInitKey();
      const dtype = opts.dtype ?? 'f32';
      t = computeNow(() => init(key, shape, dtype));
      if (!(t instanceof Tensor) || t.ndim !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
        throw new ModuleError(`param '${name}': the initialiser returned ${t instanceof Tensor ? `shape [${t.shape.join(', ')}]` : typeof t}, expected [${shape.join(', ')}]`);
      }
    }
    this._params.set(name, t);
    this._installAccessor(name);
    return t;
  }

  /**
   * Registers a deferred parameter (section 5.3): it has no value until the module creates it
   * with `param(name, ...)` on its first call, once the input shape is known.
   */
  protected deferParam(name: string): void {
    if (!this._params.has(name)) this._params.set(name, null);
    this._installAccessor(name);
  }

  /** Whether this module has a parameter `name` with a value (false for a deferred one not yet created, unless `apply` substitutes it). */
  protected hasParam(name: string): boolean {
    return this._override?.has(name) === true || (this._params.get(name) ?? null) !== null;
  }

  /** Whether this module is in training mode for the current call (call options override train()/eval()). */
  protected isTraining(): boolean {
    for (let i = contexts.length - 1; i >= 0; i--) {
      const t = contexts[i]!.training;
      if (t !== undefined) return t;
    }
    return this.training;
  }

  /**
   * A new random key for this call: derived from the call's `key` option when there is one,
   * else the next key of this module's own stream (eager mode only: inside `k.jit` a stream
   * would be baked into the program, so `like`, an input of the call, being abstract is an error).
   */
  protected nextRandomKey(like?: Tensor): Key {
    for (let i = contexts.length - 1; i >= 0; i--) {
      const c = contexts[i]!;
      if (c.key !== undefined) return foldIn(c.key, c.count++);
    }
    if (like && isAbstract(like)) {
      throw new ModuleError(
        `${this.constructor.name} in training mode inside a jitted function needs a random key: ` +
          `pass it as an argument of the jitted function and call net.apply(params, x, { key }) ` +
          `(optim.trainStep's step takes it as its last argument), or switch the module to eval()`,
      );
    }
    const stream = (this._stream ??= this._key !== undefined ? computeNow(() => foldIn(this._key!, -1)) : nextKey());
    const [next, sub] = computeNow(() => split(stream, 2)) as [Key, Key];
    this._stream = next;
    return sub;
  }

  /** The next key for drawing a parameter: from the constructor's key, else from the global key source. */
  protected nextInitKey(): Key {
    if (this._key === undefined) return nextKey();
    const base = this._key, n = this._keyCount++;
    return computeNow(() => foldIn(base, n));
  }

  /** Re-draws this module's own parameter `name` with `init` (same shape and dtype), like `nn.init.normal_(m.weight)`. */
  initParam(name: string, init: Initializer, key?: Key): Tensor {
    const cur = this._params.get(name);
    if (cur === undefined) throw new ModuleError(`initParam: ${this.constructor.name} has no parameter '${name}' (it has: ${[...this._params.keys()].join(', ') || 'none'})`);
    if (cur === null) throw notInitialised(this, name);
    return this.param(name, init, cur.shape, { dtype: cur.dtype, key });
  }

  /** The direct children by name: registered ones, then properties holding modules (arrays of modules as `name.i`). */
  namedChildren(): [string, AnyModule][] {
    const out: [string, AnyModule][] = [...this._children];
    for (const prop of Object.keys(this)) {
      if (prop.startsWith('_')) continue;
      const desc = Object.getOwnPropertyDescriptor(this, prop);
      if (!desc || !('value' in desc)) continue;
      const v: unknown = desc.value;
      if (v instanceof Module) out.push([prop, v]);
      else if (Array.isArray(v) && v.length > 0 && v.every((e) => e instanceof Module)) v.forEach((e, i) => out.push([`${prop}.${i}`, e as AnyModule]));
    }
    return out;
  }

  /** This module ('') and all its descendants by path, each instance once (under its first path). */
  namedModules(): [string, AnyModule][] {
    return this._walk(true);
  }

  /** The parameters as [path, tensor] pairs in registration order, tied ones once; an error while a deferred parameter is not created. */
  namedParams(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [path, m] of this._walk(true)) {
      for (const [name, t] of m._params) {
        const full = join(path, name);
        if (t === null) throw notInitialised(m, full);
        out.push([full, m._override?.get(name) ?? t]);
      }
    }
    return out;
  }

  /** The parameters as a flat record by path: `{ '0.weight': ..., '0.bias': ..., '2.weight': ... }`. */
  params(): FlatParams {
    return Object.fromEntries(this.namedParams());
  }

  /** The parameters as a nested tree by path, the form `apply`, `k.grad` and the optimisers take. */
  paramTree(): ParamTree {
    return nestParams(this.namedParams());
  }

  /** The number of parameter elements (tied ones counted once). */
  paramCount(): number {
    return this.namedParams().reduce((n, [, t]) => n + t.size, 0);
  }

  /** Whether every parameter has been created (false while a deferred layer awaits its first call). */
  get initialized(): boolean {
    return this._walk(true).every(([, m]) => [...m._params.values()].every((t) => t !== null));
  }

  /**
   * Creates deferred parameters by tracing one call on inputs of the given shapes (tensors or
   * `k.shapeDtype(shape)`), computing nothing else; in evaluation mode. Returns this module.
   */
  initialize(...inputs: (Tensor | ShapeDtype)[]): this {
    const abs = inputs.map((x) => (x instanceof Tensor ? new ShapeDtype(x.shape, x.dtype) : x));
    makeIR((...xs: Tensor[]) => (this.call as (...a: unknown[]) => unknown)(...xs, { training: false }), { name: 'initialize' })(...abs);
    return this;
  }

  /**
   * Replaces parameters by path from a tree or flat record (as `params()`, `paramTree()` or an
   * optimiser return them); a subset is allowed, unknown paths and shape changes are errors.
   */
  setParams(params: ParamTree | FlatParams): this {
    const flat = flattenParams(params, 'setParams');
    const owners = new Map<string, [AnyModule, string]>();
    for (const [path, m] of this._walk(true)) for (const name of m._params.keys()) owners.set(join(path, name), [m, name]);
    const unknown = [...flat.keys()].filter((p) => !owners.has(p));
    if (unknown.length) throw unknownPaths('setParams', unknown, this);
    for (const [path, t] of flat) {
      const [m, name] = owners.get(path)!;
      const cur = m._params.get(name);
      if (cur && (cur.ndim !== t.ndim || cur.shape.some((d, i) => d !== t.shape[i]))) {
        throw new ModuleError(`setParams: '${path}' has shape [${cur.shape.join(', ')}], got [${t.shape.join(', ')}]`);
      }
      if (t.isTraced) throw new ModuleError(`setParams: '${path}' is a traced value; set parameters from concrete results (outside k.grad / k.jit)`);
      m._params.set(name, t);
    }
    return this;
  }

  /** The parameter at a dotted path, e.g. `net.getParam('2.weight')` (a tied module answers under each of its paths). */
  getParam(path: string): Tensor {
    const i = path.lastIndexOf('.');
    const m = i < 0 ? this : this.getModule(path.slice(0, i));
    const name = path.slice(i + 1);
    const t = m._params.get(name);
    if (t === undefined) throw new ModuleError(`getParam: no parameter '${path}' (parameters: ${this._paramPaths().join(', ') || 'none'})`);
    if (t === null) throw notInitialised(m, path);
    return m._override?.get(name) ?? t;
  }

  /** The descendant module at a dotted path, e.g. `net.getModule('0')`; '' is this module. */
  getModule(path: string): AnyModule {
    if (path === '') return this;
    const found = this._walk(false).find(([p]) => p === path);
    if (!found) throw new ModuleError(`getModule: no module '${path}' (modules: ${this._walk(false).map(([p]) => p).filter((p) => p).join(', ') || 'none'})`);
    return found[1];
  }

  /** Moves the parameters to a device (`net.to('cpu')`), like PyTorch's `net.to(device)`. Returns this module. */
  to(device: Device | string): this {
    for (const [, m] of this._walk(true)) {
      for (const [name, t] of m._params) if (t) m._params.set(name, toDevice(t, device));
    }
    return this;
  }

  /** A PyTorch-like description of the module tree. */
  toString(): string {
    const kids = this.namedChildren();
    const head = `${this.constructor.name}(${this.extraRepr()}`;
    if (kids.length === 0) return `${head})`;
    const lines = kids.map(([n, m]) => `  (${n}): ${m.toString().replace(/\n/g, '\n  ')}`);
    return `${head}${this.extraRepr() ? ',' : ''}\n${lines.join('\n')}\n)`;
  }

  /** What `toString` shows inside the parentheses (layer sizes, options). */
  protected extraRepr(): string {
    return '';
  }

  /** @internal Defines `this.<name>` reading the current value of the parameter. */
  private _installAccessor(name: string): void {
    const desc = Object.getOwnPropertyDescriptor(this, name);
    if (desc?.get) return;
    const ok = desc ? 'value' in desc && (desc.value === undefined || desc.value instanceof Tensor) && desc.configurable : !(name in this);
    if (!ok) return; // a name the class itself uses: reachable through getParam only
    Object.defineProperty(this, name, {
      configurable: true,
      enumerable: false,
      get: () => {
        const t = this._override?.get(name) ?? this._params.get(name);
        if (t === null || t === undefined) throw notInitialised(this, name);
        return t;
      },
      set: (t: Tensor) => {
        if (!(t instanceof Tensor)) throw new ModuleError(`parameter '${name}' must be a Tensor`);
        this._params.set(name, t);
      },
    });
  }

  /** @internal Re-installs accessors that a class field initialiser (`weight = this.param(...)`) replaced by plain values. */
  private _heal(): void {
    for (const name of this._params.keys()) {
      const desc = Object.getOwnPropertyDescriptor(this, name);
      if (desc && 'value' in desc && desc.value instanceof Tensor) {
        if (desc.value !== this._params.get(name)) this._params.set(name, desc.value);
        Reflect.deleteProperty(this, name);
        this._installAccessor(name);
      }
    }
  }

  /** @internal The modules by path in depth-first pre-order; `dedup` keeps each instance once. */
  private _walk(dedup: boolean): [string, AnyModule][] {
    const out: [string, AnyModule][] = [];
    const seen = new Set<AnyModule>();
    const stack = new Set<AnyModule>();
    const visit = (path: string, m: AnyModule) => {
      if (stack.has(m)) return; // a reference back to an ancestor is not a child
      if (dedup && seen.has(m)) return;
      seen.add(m);
      out.push([path, m]);
      m._heal();
      stack.add(m);
      for (const [name, c] of m.namedChildren()) visit(join(path, name), c);
      stack.delete(m);
    };
    visit('', this);
    return out;
  }

  /** @internal All parameter paths, for error messages. */
  private _paramPaths(): string[] {
    return this._walk(true).flatMap(([path, m]) => [...m._params.keys()].map((n) => join(path, n)));
  }

  /** @internal */
  static _paramPathsOf(m: AnyModule): string[] {
    return m._paramPaths();
  }
}

function describeExpected(t: Tensor): string {
  return `${t.dtype}[${t.shape.join(', ')}]`;
}

function notInitialised(m: AnyModule, path: string): ModuleError {
  return new ModuleError(
    `parameter '${path}' of ${m.constructor.name} is not initialised yet: its shape is inferred from the input on the first call ` +
      `(deferred initialisation); call the network once on an example batch (net.call(x)) or use net.initialize(k.shapeDtype([batch, features])) first`,
  );
}

function unknownPaths(what: string, paths: readonly string[], root: AnyModule): ModuleError {
  const known = Module._paramPathsOf(root);
  return new ModuleError(
    `${what}: ${paths.map((p) => `'${p}'`).join(', ')} ${paths.length > 1 ? 'are not parameter paths' : 'is not a parameter path'} of this ${root.constructor.name} ` +
      `(parameters: ${known.join(', ') || 'none'}; a shared module's parameters appear once, under its first path)`,
  );
}
