// Inlining of control flow that is static: a cond whose index is a constant becomes its
// branch, a scan of a few iterations is unrolled (slices in, concatenation out), which lets
// fusion see through it, and calls with custom derivatives become their bodies.
import type { Builder } from '../ir/builder.ts';
import { aval, type Eqn, type Func, type Var } from '../ir/ir.ts';
import { Primitive } from '../ir/primitives.ts';
import { rewrite } from './rewrite.ts';

/** Scans of at most this many steps are unrolled. */
export const MAX_UNROLL = 4;

function unrollScan(e: Extract<Eqn, { primitive: Primitive.Scan }>, b: Builder): Var[] {
  const { body, length, reverse, numConsts: nc, numCarry: nk } = e.params;
  const consts = e.inputs.slice(0, nc);
  let carry = e.inputs.slice(nc, nc + nk);
  const xs = e.inputs.slice(nc + nk);
  const ny = body.outputs.length - nk;
  const ys: Var[][] = Array.from({ length: ny }, () => []);
  for (let step = 0; step < length; step++) {
    const i = reverse ? length - 1 - step : step;
    const slices = xs.map((x) => {
      const s = x.aval.shape;
      const start = s.map((_, d) => (d === 0 ? i : 0));
      const limit = s.map((n, d) => (d === 0 ? i + 1 : n));
      const sl = b.emit1(Primitive.Slice, { start, limit, strides: s.map(() => 1) }, x);
      return b.reshape(sl, s.slice(1));
    });
    const outs = b.inline(body, [...consts, ...carry, ...slices]);
    carry = outs.slice(0, nk);
    outs.slice(nk).forEach((y, j) => (ys[j]![i] = b.reshape(y, [1, ...y.aval.shape])));
  }
  const stacked = ys.map((parts, j) => {
    const a = body.outputs[nk + j]!.aval;
    if (length === 0) return b.zeros(aval([0, ...a.shape], a.dtype));
    return parts.length === 1 ? parts[0]! : b.emit1(Primitive.Concatenate, { axis: 0 }, ...parts);
  });
  return [...carry, ...stacked];
}

export function inlineControl(fn: Func): Func {
  return rewrite(fn, () => {
    const consts = new Map<Var, number>();
    return (e, b) => {
      if (e.primitive === Primitive.Constant && e.params.data.length === 1) consts.set(e.outputs[0]!, e.params.data[0]!);
      if (e.primitive === Primitive.Cond) {
        const idx = consts.get(e.inputs[0]!);
        if (idx === undefined) return undefined;
        const n = e.params.branches.length;
        const branch = e.params.branches[Math.min(Math.max(idx, 0), n - 1)]!;
        return b.inline(branch, e.inputs.slice(1));
      }
      if (e.primitive === Primitive.Scan && e.params.length <= MAX_UNROLL) return unrollScan(e, b);
      // User-defined derivatives only matter to autodiff, which has run by now.
      if (e.primitive === Primitive.CustomJvpCall || e.primitive === Primitive.CustomVjpCall) return b.inline(e.params.body, e.inputs);
      return undefined;
    };
  });
}
