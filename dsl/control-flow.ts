// Structured control flow whose decisions depend on traced values: cond, switchCase,
// whileLoop, forLoop and scan. Each traces its callbacks to closed sub-functions; values the
// callbacks capture from outside become extra operands.
import { TraceError } from '../compiler/ir/errors.ts';
import { insertInputs } from '../compiler/ir/func-utils.ts';
import { avalToString, sameAval, type AVal, type Func } from '../compiler/ir/ir.ts';
import { Primitive } from '../compiler/ir/primitives.ts';
import { astype } from './elementwise.ts';
import { arange } from './creation.ts';
import { bind, shapeError, toTensor, type TensorLike } from './lift.ts';
import { ShapeDtype, traceToFunc, type TraceResult } from './make-ir.ts';
import { Tensor } from './tensor.ts';
import { treeDefEqual, treeFlatten, treeUnflatten, type TreeDef } from './tree.ts';

interface Region {
  func: Func;
  outTree: TreeDef;
  /** Values captured from outside, passed as extra operands after the explicit ones. */
  captured: Tensor[];
}

/** Traces `f` on abstract values shaped like `args` (a list of trees). */
function traceRegion(f: (...args: never[]) => unknown, args: readonly unknown[], name: string): Region {
  const abstract = treeFlatten(args);
  const absArgs = treeUnflatten<unknown[]>(
    abstract.def,
    abstract.leaves.map((l) => (l instanceof Tensor ? new ShapeDtype(l.shape, l.dtype) : l)),
  );
  let r: TraceResult;
  try {
    r = traceToFunc(f, absArgs, { name });
  } catch (e) {
    if (e instanceof TraceError) throw new TraceError(`in ${name}: ${e.message}`);
    throw e;
  }
  return { func: r.func, outTree: r.outTree, captured: r.trace.captured.map((c) => Tensor._wrap(c.value)) };
}

function leavesOf(tree: unknown, what: string): Tensor[] {
  return treeFlatten(tree).leaves.map((l, i) => {
    if (l instanceof Tensor) return l;
    if (typeof l === 'number' || typeof l === 'boolean') return toTensor(l);
    throw new TraceError(`${what}: leaf ${i} is not a tensor (${typeof l})`);
  });
}

const sig = (xs: readonly AVal[]) => `(${xs.map(avalToString).join(', ')})`;

function sameSig(a: readonly AVal[], b: readonly AVal[]): boolean {
  return a.length === b.length && a.every((x, i) => sameAval(x, b[i]!));
}

/**
 * Runs one of `branches` on `operands`, chosen by an integer index (clamped into range), as
 * a traced decision. All branches must return trees of the same shapes and dtypes.
 */
export function switchCase<T>(index: TensorLike, branches: readonly ((...ops: Tensor[]) => T)[], ...operands: Tensor[]): T {
  if (branches.length === 0) throw shapeError('switchCase', 'needs at least one branch');
  const idx = astype(toTensor(index, 'i32'), 'i32');
  if (idx.ndim !== 0) throw shapeError('switchCase', `index must be a scalar, got ${avalToString(idx.aval)}`);
  const regions = branches.map((br, i) => traceRegion(br as (...a: never[]) => unknown, operands, `branch${i}`));
  const first = regions[0]!;
  for (const [i, r] of regions.entries()) {
    const outs = r.func.outputs.map((v) => v.aval);
    if (!treeDefEqual(r.outTree, first.outTree) || !sameSig(outs, first.func.outputs.map((v) => v.aval))) {
      throw shapeError('cond', `branch ${i} returns ${sig(outs)} but branch 0 returns ${sig(first.func.outputs.map((v) => v.aval))}`);
    }
  }
  // Each branch takes every branch's captured values; it uses only its own.
  const capturedAvals = regions.map((r) => r.captured.map((c) => c.aval));
  const funcs = regions.map((r, i) => {
    const before = capturedAvals.slice(0, i).flat();
    const after = capturedAvals.slice(i + 1).flat();
    const f = insertInputs(insertInputs(r.func, before, operands.length), after, r.func.inputs.length + before.length);
    return { ...f, name: `branch${i}` };
  });
  const outs = bind(Primitive.Cond, { branches: funcs }, [idx, ...operands, ...regions.flatMap((r) => r.captured)]);
  return treeUnflatten<T>(first.outTree, outs);
}

/** `trueFn(...operands)` where `pred` holds, else `falseFn(...operands)`, as a traced decision. */
export function cond<T>(pred: TensorLike, trueFn: (...ops: Tensor[]) => T, falseFn: (...ops: Tensor[]) => T, ...operands: Tensor[]): T {
  const p = toTensor(pred);
  if (p.ndim !== 0) throw shapeError('cond', `the predicate must be a scalar, got ${avalToString(p.aval)}`);
  // Branch 0 is taken for index 0, so false comes first.
  return switchCase(astype(astype(p, 'bool'), 'i32'), [falseFn, trueFn], ...operands);
}

function checkCarry(what: string, got: Func, init: readonly Tensor[], outOffset = 0, count = init.length): void {
  const want = init.map((t) => t.aval);
  const outs = got.outputs.slice(outOffset, outOffset + count).map((v) => v.aval);
  if (!sameSig(outs, want)) {
    throw shapeError(what, `the body returns the carry as ${sig(outs)} but it starts as ${sig(want)}; they must match exactly (convert with astype)`);
  }
}

/** Repeats `body` while `condFn` holds, starting from `init`; returns the final value. */
export function whileLoop<C>(condFn: (carry: C) => TensorLike, body: (carry: C) => C, init: C): C {
  const initLeaves = leavesOf(init, 'whileLoop init');
  const initDef = treeFlatten(init).def;
  const c = traceRegion((x: never) => toTensor(condFn(x) as TensorLike), [init], 'cond');
  const cOut = c.func.outputs[0]!.aval;
  if (c.func.outputs.length !== 1 || cOut.shape.length !== 0) throw shapeError('whileLoop', `the condition must return a scalar, got ${sig(c.func.outputs.map((v) => v.aval))}`);
  let condFunc = c.func;
  if (cOut.dtype !== 'bool') {
    condFunc = traceRegion((x: never) => astype(toTensor(condFn(x) as TensorLike), 'bool'), [init], 'cond').func;
  }
  const b = traceRegion(body as (x: never) => unknown, [init], 'body');
  if (!treeDefEqual(b.outTree, initDef)) throw shapeError('whileLoop', 'the body must return a carry with the structure of init');
  checkCarry('whileLoop', b.func, initLeaves);
  // Consts (captured values) come first in each region's signature.
  const cf = moveCapturedFirst(condFunc, initLeaves.length);
  const bf = moveCapturedFirst(b.func, initLeaves.length);
  const outs = bind(
    Primitive.WhileLoop,
    { cond: cf, body: bf, condConsts: c.captured.length, bodyConsts: b.captured.length },
    [...c.captured, ...b.captured, ...initLeaves],
  );
  return treeUnflatten<C>(initDef, outs);
}

/** traceToFunc puts captured inputs last; control-flow regions want them first. */
function moveCapturedFirst(fn: Func, nExplicit: number): Func {
  return { ...fn, inputs: [...fn.inputs.slice(nExplicit), ...fn.inputs.slice(0, nExplicit)] };
}

/** Options of scan. */
export interface ScanOptions {
  /** Number of iterations; required when xs is null, else the leading axis of xs. */
  length?: number;
  /** Iterate from the last slice to the first. */
  reverse?: boolean;
}

/**
 * Loops `f(carry, x) -> [carry, y]` over the leading axis of `xs` (a tree of tensors, or
 * null with `length`), returning the final carry and the ys stacked along a new leading axis.
 * Differentiable in both modes; the reverse of a scan is a scan.
 */
export function scan<C, X, Y>(f: (carry: C, x: X) => [C, Y], init: C, xs: X | null, opts: ScanOptions = {}): [C, Y] {
  const initLeaves = leavesOf(init, 'scan init');
  const initDef = treeFlatten(init).def;
  const xsLeaves = xs === null ? [] : leavesOf(xs, 'scan xs');
  const xsDef = treeFlatten(xs).def;
  let length = opts.length;
  for (const x of xsLeaves) {
    if (x.ndim === 0) throw shapeError('scan', `scanned inputs need a leading axis, got ${avalToString(x.aval)}`);
    if (length === undefined) length = x.shape[0]!;
    if (x.shape[0] !== length) throw shapeError('scan', `scanned inputs have leading axes ${xsLeaves.map((t) => t.shape[0]).join(', ')}${opts.length !== undefined ? ` but length is ${opts.length}` : ''}`);
  }
  if (length === undefined) throw shapeError('scan', 'length is required when xs is null');
  const slices = xsLeaves.map((x) => new ShapeDtype(x.shape.slice(1), x.dtype));
  const xArg = xs === null ? null : treeUnflatten(xsDef, slices);
  const body = traceRegion(
    (c: never, x: never) => {
      const out = f(c as C, x as X);
      if (!Array.isArray(out) || out.length !== 2) throw new TraceError('scan: the body must return [carry, y]');
      return out;
    },
    [init, xArg],
    'body',
  );
  const outDef = body.outTree;
  if (outDef.kind !== 'array' || !treeDefEqual(outDef.children[0]!, initDef)) {
    throw shapeError('scan', 'the body must return [carry, y] with carry structured like init');
  }
  checkCarry('scan', body.func, initLeaves);
  const nExplicit = initLeaves.length + xsLeaves.length;
  const outs = bind(
    Primitive.Scan,
    { body: moveCapturedFirst(body.func, nExplicit), length, reverse: opts.reverse ?? false, numConsts: body.captured.length, numCarry: initLeaves.length },
    [...body.captured, ...initLeaves, ...xsLeaves],
  );
  const carry = treeUnflatten<C>(initDef, outs.slice(0, initLeaves.length));
  const ys = treeUnflatten<Y>(outDef.children[1]!, outs.slice(initLeaves.length));
  return [carry, ys];
}

/**
 * `for (i = lower; i < upper; i++) carry = body(i, carry)` with a static trip count, as a scan
 * over the indices (so it is differentiable in reverse mode, unlike whileLoop).
 */
export function forLoop<C>(lower: number, upper: number, body: (i: Tensor, carry: C) => C, init: C): C {
  if (!Number.isInteger(lower) || !Number.isInteger(upper)) throw shapeError('forLoop', `bounds must be integers, got ${lower} and ${upper}`);
  const n = Math.max(0, upper - lower);
  const [carry] = scan((c: C, i: Tensor) => [body(i, c), null] as [C, null], init, arange(lower, lower + n), { length: n });
  return carry;
}
