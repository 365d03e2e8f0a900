// Control-flow primitives: cond, while_loop and scan. Each runs its regions (closed
// sub-functions) through `run`, which is evalFunc (passed in to keep this module free of an
// import cycle with eval.ts).
//
// Aliasing: no kernel mutates a tensor, so tensors may be passed around freely inside a loop.
// But evalFunc returns a region output that is a region input as that very tensor, so a loop
// (or a branch) that passes a value through would hand the caller's own buffer back as its
// result. evalPrimitive promises fresh results, so `detach` copies any result whose buffer is
// one of the operands' (or another result's).
import { allocHost, type HostArray } from '../../compiler/ir/dtype.ts';
import { KilnError } from '../../compiler/ir/errors.ts';
import { aval, sizeOf, type AVal, type Func } from '../../compiler/ir/ir.ts';
import type { Primitive, PrimitiveParams } from '../../compiler/ir/primitives.ts';
import type { HostTensor } from './tensor.ts';

/** Evaluates a whole function (evalFunc). */
export type RunFunc = (fn: Func, inputs: readonly HostTensor[]) => HostTensor[];

/** The data of `results`, copied where a buffer is shared with an operand or an earlier result. */
function detach(results: readonly HostTensor[], operands: readonly HostTensor[]): HostArray[] {
  const held = new Set<ArrayBufferLike>(operands.map((t) => t.data.buffer));
  return results.map((t) => {
    if (held.has(t.data.buffer)) return t.data.slice();
    held.add(t.data.buffer);
    return t.data;
  });
}

/** Runs a region and checks that it gave as many results as the equation expects. */
function call(run: RunFunc, fn: Func, what: string, inputs: readonly HostTensor[], n: number): HostTensor[] {
  const res = run(fn, inputs);
  if (res.length !== n) throw new KilnError(`${what} @${fn.name} gave ${res.length} result(s), expected ${n}`);
  return res;
}

/** cond: runs branches[clamp(index, 0, n-1)] on the remaining operands. */
export function evalCond(p: PrimitiveParams[Primitive.Cond], ins: readonly HostTensor[], outs: readonly AVal[], run: RunFunc): HostArray[] {
  const n = p.branches.length;
  const index = Math.min(Math.max(ins[0]!.data[0]!, 0), n - 1);
  const args = ins.slice(1);
  return detach(call(run, p.branches[index]!, `cond branch ${index}`, args, outs.length), ins);
}

/** while_loop: carry = body(body consts, carry) while cond(cond consts, carry) is true. */
export function evalWhileLoop(p: PrimitiveParams[Primitive.WhileLoop], ins: readonly HostTensor[], run: RunFunc): HostArray[] {
  const nc = p.condConsts, nb = p.bodyConsts;
  const condConsts = ins.slice(0, nc), bodyConsts = ins.slice(nc, nc + nb);
  let carry: readonly HostTensor[] = ins.slice(nc + nb);
  for (;;) {
    const [pred] = call(run, p.cond, 'while_loop cond', [...condConsts, ...carry], 1);
    if (pred!.data[0] === 0) break;
    carry = call(run, p.body, 'while_loop body', [...bodyConsts, ...carry], carry.length);
  }
  return detach(carry, ins);
}

/**
 * scan: for i = 0..length-1 (length-1..0 with `reverse`), (carry, y) = body(consts, carry,
 * xs[i]); y is written at position i of the stacked ys. Results: the final carry, then the ys.
 */
export function evalScan(p: PrimitiveParams[Primitive.Scan], ins: readonly HostTensor[], outs: readonly AVal[], run: RunFunc): HostArray[] {
  const { length, numConsts: nc, numCarry: nk } = p;
  const consts = ins.slice(0, nc);
  let carry: readonly HostTensor[] = ins.slice(nc, nc + nk);
  const xs = ins.slice(nc + nk);
  const xAvals = xs.map((x) => aval(x.aval.shape.slice(1), x.aval.dtype));
  const xSizes = xAvals.map((a) => sizeOf(a.shape));
  const yAvals = outs.slice(nk);
  const ys = yAvals.map((a) => allocHost(a.dtype, sizeOf(a.shape)));
  const ySizes = yAvals.map((a) => sizeOf(a.shape.slice(1)));
  for (let step = 0; step < length; step++) {
    const i = p.reverse ? length - 1 - step : step;
    // Copies, not views: a slice the body passes through to the carry must not alias xs.
    const slices = xs.map((x, j): HostTensor => ({ aval: xAvals[j]!, data: x.data.slice(i * xSizes[j]!, (i + 1) * xSizes[j]!) }));
    const res = call(run, p.body, 'scan body', [...consts, ...carry, ...slices], outs.length);
    carry = res.slice(0, nk);
    res.slice(nk).forEach((y, j) => ys[j]!.set(y.data, i * ySizes[j]!));
  }
  return [...detach(carry, ins), ...ys];
}
