// Reverse mode as JAX builds it: jvp, then partial evaluation with the tangents unknown
// (linearize), then transposition of the linear part (vjp).
import { Builder } from '../ir/builder.ts';
import { isFloat } from '../ir/dtype.ts';
import { TraceError } from '../ir/errors.ts';
import { avalToString, sizeOf, Var, type Func } from '../ir/ir.ts';
import { jvpFunc } from './jvp.ts';
import { partialEval } from './partial-eval.ts';
import { transposeFunc } from './transpose.ts';

export interface Linearized {
  /** inputs -> (outputs..., residuals...) */
  primal: Func;
  /** (residuals..., tangents of the wrt inputs...) -> tangents of the selected outputs */
  linear: Func;
  numResiduals: number;
}

export interface Vjp {
  /** inputs -> (outputs..., residuals...) */
  primal: Func;
  /** (residuals..., cotangents of the selected outputs...) -> cotangents of the wrt inputs */
  pullback: Func;
  numResiduals: number;
  /** Which inputs get cotangents (float inputs among those asked for). */
  wrt: boolean[];
}

function wrtMask(fn: Func, wrt?: readonly boolean[]): boolean[] {
  return fn.inputs.map((v, i) => (wrt?.[i] ?? true) && isFloat(v.aval.dtype));
}

/** Splits f into its primal computation and its linear tangent map at the same point. */
export function linearizeFunc(fn: Func, wrt?: readonly boolean[], outs?: readonly boolean[]): Linearized {
  const w = wrtMask(fn, wrt);
  const o = fn.outputs.map((_, i) => outs?.[i] ?? true);
  const j = jvpFunc(fn, { wrt: w, outs: o });
  const n = fn.inputs.length;
  const nt = w.filter(Boolean).length;
  const unknownIn = [...Array<boolean>(n).fill(false), ...Array<boolean>(nt).fill(true)];
  const unknownOut = [...fn.outputs.map(() => false), ...o.filter(Boolean).map(() => true)];
  const pe = partialEval(j, unknownIn, unknownOut);
  return { primal: { ...pe.known, name: `${fn.name}_primal` }, linear: { ...pe.unknown, name: `${fn.name}_lin` }, numResiduals: pe.numResiduals };
}

/** The vjp of f with respect to the `wrt` inputs, for the `outs` outputs (default: all). */
export function vjpFunc(fn: Func, wrt?: readonly boolean[], outs?: readonly boolean[]): Vjp {
  const w = wrtMask(fn, wrt);
  const lin = linearizeFunc(fn, w, outs);
  const nt = w.filter(Boolean).length;
  const linearIns = [...Array<boolean>(lin.numResiduals).fill(false), ...Array<boolean>(nt).fill(true)];
  const pullback = transposeFunc(lin.linear, linearIns);
  return { primal: lin.primal, pullback: { ...pullback, name: `${fn.name}_pullback` }, numResiduals: lin.numResiduals, wrt: w };
}

/**
 * One function computing f's value and its gradient: g(x...) = (f(x), df/dx...). The first
 * output of f must be a float scalar; other outputs (auxiliary data) pass through.
 */
export function gradFunc(fn: Func, wrt?: readonly boolean[]): Func {
  const y = fn.outputs[0];
  if (!y || !isFloat(y.aval.dtype) || sizeOf(y.aval.shape) !== 1) {
    throw new TraceError(`grad needs a float scalar output, got ${y ? avalToString(y.aval) : 'none'}`);
  }
  const v = vjpFunc(fn, wrt, fn.outputs.map((_, i) => i === 0));
  const b = new Builder();
  const ins = fn.inputs.map((x) => new Var(x.aval));
  const primalOuts = b.inline(v.primal, ins);
  const nOut = fn.outputs.length;
  const res = primalOuts.slice(nOut);
  const one = b.full(y.aval.shape, 1, y.aval.dtype);
  const grads = b.inline(v.pullback, [...res, one]);
  return b.func(`grad_${fn.name}`, ins, [...primalOuts.slice(0, nOut), ...grads]);
}
