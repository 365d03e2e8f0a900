// Small signature rewrites of functions, used when transformations rebuild region bodies.
import { Var, type AVal, type Func } from './ir.ts';

/** The same function with inputs in a new order: input i of the result is old input order[i]. */
export function permuteInputs(fn: Func, order: readonly number[]): Func {
  return { ...fn, inputs: order.map((i) => fn.inputs[i]!) };
}

/** The same function with outputs in a new order. */
export function permuteOutputs(fn: Func, order: readonly number[]): Func {
  return { ...fn, outputs: order.map((i) => fn.outputs[i]!) };
}

/** The function with unused inputs of the given types inserted at position `at`. */
export function insertInputs(fn: Func, avals: readonly AVal[], at: number): Func {
  const extra = avals.map((a) => new Var(a));
  return { ...fn, inputs: [...fn.inputs.slice(0, at), ...extra, ...fn.inputs.slice(at)] };
}

/** Indices [from, from + n). */
export function span(from: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => from + i);
}

/** Splits `xs` into consecutive groups of the given sizes. */
export function splitList<T>(xs: readonly T[], sizes: readonly number[]): T[][] {
  const out: T[][] = [];
  let i = 0;
  for (const n of sizes) {
    out.push(xs.slice(i, i + n));
    i += n;
  }
  if (i !== xs.length) throw new Error(`splitList: sizes add up to ${i}, list has ${xs.length}`);
  return out;
}
