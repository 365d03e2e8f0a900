// Differentiation of user functions. Each transform traces the function to IR (recording the
// path JS control flow takes while values are known), transforms the IR (compiler/autodiff)
// and runs the result with callIR, so it works eagerly and nested inside other traces alike.
import { isFloat } from '../compiler/ir/dtype.ts';
import { TraceError } from '../compiler/ir/errors.ts';
import { avalToString, sizeOf, type Func } from '../compiler/ir/ir.ts';
import { Primitive } from '../compiler/ir/primitives.ts';
import { jvpFunc } from '../compiler/autodiff/jvp.ts';
import { vjpFunc } from '../compiler/autodiff/vjp.ts';
import { bind1, toTensor, type TensorLike } from './lift.ts';
import { callIR, traceToFunc, type TraceResult } from './make-ir.ts';
import { full, zerosLike } from './creation.ts';
import { reshape, stack } from './shape-ops.ts';
import { Tensor } from './tensor.ts';
import { treeFlatten, treeUnflatten } from './tree.ts';

/** The identity, but no gradient flows through it (JAX's stop_gradient, PyTorch's detach). */
export function stopGradient<T extends Tensor>(x: T | TensorLike): T {
  return bind1(Primitive.StopGradient, {}, toTensor(x)) as T;
}

/** Options of grad and valueAndGrad. */
export interface GradOptions {
  /** Which positional arguments to differentiate with respect to (default 0). */
  argnums?: number | readonly number[];
  /** f returns [value, aux]; aux is passed through undifferentiated. */
  hasAux?: boolean;
}

type AnyFn = (...args: never[]) => unknown;

interface Traced {
  r: TraceResult;
  /** The func's inputs as tensors: explicit inputs, then captured values. */
  inputs: Tensor[];
  /** For each func input, the positional argument it belongs to (-1 for captured values). */
  argOf: number[];
}

function traceForAD(f: AnyFn, args: readonly unknown[], name: string): Traced {
  const r = traceToFunc(f, args, { withValues: true, name: f.name || name });
  const bounds: number[] = [];
  let total = 0;
  for (const a of args) {
    total += treeFlatten(a).leaves.length;
    bounds.push(total);
  }
  const argOfLeaf = (leaf: number) => bounds.findIndex((b) => leaf < b);
  const explicit = r.inputLeaves.map((i) => {
    const l = r.leaves[i];
    if (!(l instanceof Tensor)) throw new TraceError(`${name}: arguments must be tensors with values, got an abstract ${String(l)}`);
    return l;
  });
  const captured = r.trace.captured.map((c) => Tensor._wrap(c.value));
  return {
    r,
    inputs: [...explicit, ...captured],
    argOf: [...r.inputLeaves.map(argOfLeaf), ...captured.map(() => -1)],
  };
}

function argnumList(argnums: number | readonly number[] | undefined, nargs: number, name: string): number[] {
  const list = argnums === undefined ? [0] : typeof argnums === 'number' ? [argnums] : [...argnums];
  for (const a of list) {
    if (!Number.isInteger(a) || a < 0 || a >= nargs) throw new TraceError(`${name}: argnums ${a} out of range for ${nargs} argument(s)`);
  }
  return list;
}

/** Rebuilds, for each argnum, a tree shaped like that argument holding the gradients. */
function gradTrees(t: Traced, args: readonly unknown[], argnums: readonly number[], wrt: readonly boolean[], grads: readonly Tensor[]): unknown[] {
  const byInput = new Map<number, Tensor>();
  let g = 0;
  wrt.forEach((w, i) => {
    if (w) byInput.set(i, grads[g++]!);
  });
  // Leaf index -> func input index.
  const inputOfLeaf = new Map<number, number>();
  t.r.inputLeaves.forEach((leaf, i) => inputOfLeaf.set(leaf, i));
  let base = 0;
  const starts: number[] = [];
  for (const a of args) {
    starts.push(base);
    base += treeFlatten(a).leaves.length;
  }
  return argnums.map((a) => {
    const { leaves, def } = treeFlatten(args[a]);
    const out = leaves.map((l, j) => {
      const inp = inputOfLeaf.get(starts[a]! + j);
      if (inp === undefined || !(l instanceof Tensor)) return null;
      // Integer and boolean inputs get zero (float0-like) gradients.
      return byInput.get(inp) ?? zerosLike(l);
    });
    return treeUnflatten(def, out);
  });
}

interface VjpCall {
  out: unknown;
  /** The flat output leaves. */
  outLeaves: Tensor[];
  pullback: (cts: readonly Tensor[]) => unknown[];
}

function vjpCall(f: AnyFn, args: readonly unknown[], argnums: readonly number[], name: string, outMask?: (n: number) => boolean[]): VjpCall {
  const t = traceForAD(f, args, name);
  const fn: Func = t.r.func;
  const wrtReq = t.argOf.map((a) => argnums.includes(a));
  const outs = outMask?.(fn.outputs.length);
  const v = vjpFunc(fn, wrtReq, outs);
  const primalOuts = callIR(v.primal, t.inputs);
  const nOut = fn.outputs.length;
  const outLeaves = primalOuts.slice(0, nOut);
  const res = primalOuts.slice(nOut);
  const out = treeUnflatten(t.r.outTree, outLeaves);
  const pullback = (cts: readonly Tensor[]) => gradTrees(t, args, argnums, v.wrt, callIR(v.pullback, [...res, ...cts]));
  return { out, outLeaves, pullback };
}

function checkScalar(y: Tensor | undefined, name: string): Tensor {
  if (!(y instanceof Tensor) || !isFloat(y.dtype) || y.size !== 1) {
    throw new TraceError(
      `${name} needs a function with a float scalar output, got ${y instanceof Tensor ? avalToString(y.aval) : typeof y}; ` +
        `for other outputs use vjp with an explicit cotangent`,
    );
  }
  return y;
}

/**
 * Value and gradient of a scalar function: `valueAndGrad(f)(x)` returns `[f(x), df/dx]`.
 * With `hasAux`, f returns `[value, aux]` and the result is `[[value, aux], grads]`.
 * With several argnums, grads is an array with one tree per argnum.
 */
export function valueAndGrad<A extends unknown[]>(f: (...args: A) => unknown, opts: GradOptions = {}): (...args: A) => [unknown, unknown] {
  const name = 'valueAndGrad';
  return (...args: A) => {
    const argnums = argnumList(opts.argnums, args.length, name);
    const call = vjpCall(f as AnyFn, args, argnums, name, (n) => Array.from({ length: n }, (_, i) => i === 0));
    if (opts.hasAux && !(Array.isArray(call.out) && call.out.length === 2)) throw new TraceError(`${name} with hasAux: f must return [value, aux]`);
    const y = checkScalar(call.outLeaves[0], name);
    const grads = call.pullback([full(y.shape, 1, y.dtype)]);
    return [call.out, typeof opts.argnums === 'object' ? grads : grads[0]];
  };
}

/**
 * The gradient of a scalar function: `grad(f)(x)` has x's structure. As in the book, JS control
 * flow inside f follows the values of this call. With `hasAux` returns `[grads, aux]`.
 */
export function grad<A extends unknown[]>(f: (...args: A) => unknown, opts: GradOptions = {}): (...args: A) => any {
  const vg = valueAndGrad(f, opts);
  return (...args: A) => {
    const [value, grads] = vg(...args);
    return opts.hasAux ? [grads, (value as unknown[])[1]] : grads;
  };
}

/**
 * Reverse mode with an explicit cotangent: `const [y, pullback] = vjp(f, x1, x2)`;
 * `pullback(ct)` returns one cotangent tree per argument.
 */
export function vjp<A extends unknown[]>(f: (...args: A) => unknown, ...primals: A): [unknown, (ct: unknown) => unknown[]] {
  const argnums = primals.map((_, i) => i);
  const call = vjpCall(f as AnyFn, primals, argnums, 'vjp');
  const pullback = (ct: unknown) => {
    const cts = treeFlatten(ct).leaves.map((l, i) => {
      const y = call.outLeaves[i];
      if (!y) throw new TraceError(`vjp: the cotangent has more leaves than the output (${call.outLeaves.length})`);
      const c = toTensor(l as TensorLike, y.dtype);
      if (c.ndim !== y.ndim || c.shape.some((d, j) => d !== y.shape[j])) {
        throw new TraceError(`vjp: cotangent ${i} has shape [${c.shape.join(', ')}], the output has [${y.shape.join(', ')}]`);
      }
      return c.dtype === y.dtype ? c : c.astype(y.dtype);
    });
    if (cts.length !== call.outLeaves.length) throw new TraceError(`vjp: the cotangent has ${cts.length} leaves, the output ${call.outLeaves.length}`);
    return call.pullback(cts);
  };
  return [call.out, pullback];
}

/**
 * Forward mode: `jvp(f, [x], [dx])` returns `[f(x), df(x)[dx]]`; tangents have the primals'
 * structure.
 */
export function jvp<A extends unknown[]>(f: (...args: A) => unknown, primals: A, tangents: { [K in keyof A]: unknown }): [unknown, unknown] {
  const t = traceForAD(f as AnyFn, primals, 'jvp');
  const fn = t.r.func;
  const tanLeaves = treeFlatten(tangents as unknown[]).leaves;
  if (tanLeaves.length !== t.r.leaves.length) throw new TraceError(`jvp: tangents do not have the primals' structure`);
  const wrt = t.argOf.map((a) => a >= 0);
  const j = jvpFunc(fn, { wrt });
  const tanInputs: Tensor[] = [];
  t.r.inputLeaves.forEach((leaf, i) => {
    const x = t.inputs[i]!;
    if (!isFloat(x.dtype)) return;
    const dx = toTensor(tanLeaves[leaf] as TensorLike, x.dtype);
    if (dx.ndim !== x.ndim || dx.shape.some((d, k) => d !== x.shape[k])) {
      throw new TraceError(`jvp: tangent shape [${dx.shape.join(', ')}] differs from its primal's [${x.shape.join(', ')}]`);
    }
    tanInputs.push(dx.dtype === x.dtype ? dx : dx.astype(x.dtype));
  });
  const outs = callIR(j, [...t.inputs, ...tanInputs]);
  const n = fn.outputs.length;
  return [treeUnflatten(t.r.outTree, outs.slice(0, n)), treeUnflatten(t.r.outTree, outs.slice(n))];
}

function singleArray(args: readonly unknown[], argnum: number, name: string): Tensor {
  const x = args[argnum];
  if (!(x instanceof Tensor)) throw new TraceError(`${name}: argument ${argnum} must be a tensor`);
  return x;
}

/** The Jacobian by forward mode (one jvp per input element); shape out.shape + x.shape. */
export function jacfwd<A extends unknown[]>(f: (...args: A) => Tensor, opts: { argnums?: number } = {}): (...args: A) => Tensor {
  return (...args: A) => {
    const a = opts.argnums ?? 0;
    const x = singleArray(args, a, 'jacfwd');
    const n = x.size;
    const cols: Tensor[] = [];
    let out: Tensor | undefined;
    for (let i = 0; i < n; i++) {
      const basis = reshape(full([n], 0, x.dtype).at(i).set(1), x.shape);
      const tangents = args.map((v, j) => (j === a ? basis : zerosLikeTree(v)));
      const [y, dy] = jvp(f as (...xs: unknown[]) => unknown, args as unknown[], tangents);
      out = y as Tensor;
      cols.push(dy as Tensor);
    }
    if (n === 0) {
      out = f(...args);
      return full([...out.shape, ...x.shape], 0, out.dtype);
    }
    return reshape(stack(cols, -1), [...out!.shape, ...x.shape]);
  };
}

function zerosLikeTree(v: unknown): unknown {
  const { leaves, def } = treeFlatten(v);
  return treeUnflatten(def, leaves.map((l) => (l instanceof Tensor ? zerosLike(l) : l)));
}

/** The Jacobian by reverse mode (one pullback per output element); shape out.shape + x.shape. */
export function jacrev<A extends unknown[]>(f: (...args: A) => Tensor, opts: { argnums?: number } = {}): (...args: A) => Tensor {
  return (...args: A) => {
    const a = opts.argnums ?? 0;
    const x = singleArray(args, a, 'jacrev');
    const call = vjpCall(f as AnyFn, args, [a], 'jacrev');
    const y = call.outLeaves[0];
    if (!y || call.outLeaves.length !== 1) throw new TraceError('jacrev: f must return a single tensor');
    const m = sizeOf(y.shape);
    const rows: Tensor[] = [];
    for (let j = 0; j < m; j++) {
      const ct = reshape(full([m], 0, y.dtype).at(j).set(1), y.shape);
      rows.push(call.pullback([ct])[0] as Tensor);
    }
    if (m === 0) return reshape(full([0], 0, x.dtype), [...y.shape, ...x.shape]);
    return reshape(stack(rows, 0), [...y.shape, ...x.shape]);
  };
}

/** The Hessian of a scalar function: jacfwd of jacrev. */
export function hessian<A extends unknown[]>(f: (...args: A) => Tensor, opts: { argnums?: number } = {}): (...args: A) => Tensor {
  return jacfwd(jacrev(f, opts), opts);
}
