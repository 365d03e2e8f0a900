// Rewrites fusion makes before grouping, on one function level (fuse recurses into regions).
// A matmul kernel reads whole buffers and writes its result whole and row-major, so views
// next to a dot_general would otherwise become copy kernels; these rewrites remove the
// common ones:
// - unit axes: an operand that is a reshape only inserting size-1 free axes (the DSL's
//   matmul of a vector: [k] -> [1,k]) is replaced by the reshape's operand, and a reshape of
//   the result that only drops those axes again becomes the result itself;
// - transposed results: a dot_general whose only use is a transpose swapping its lhs-free and
//   rhs-free axes becomes the dot_general of the swapped operands (reverse mode emits these
//   for weight gradients: (dy^T x)^T = x^T dy).
// And calls with custom derivatives (which the optimiser normally inlines) become their bodies.
// Surviving Vars are kept, so the printed source's value numbers still name the buffers.
import { Builder } from '../ir/builder.ts';
import { KilnError } from '../ir/errors.ts';
import { makeEqn, Var, type Eqn, type EqnOf, type Func } from '../ir/ir.ts';
import { Primitive, type PrimitiveParams } from '../ir/primitives.ts';

type Dot = EqnOf<Primitive.DotGeneral>;
type DotParams = PrimitiveParams[Primitive.DotGeneral];

/** Uses of each value (function outputs count), and the last equation using it. */
function usesIn(fn: Func): { count: Map<Var, number>; user: Map<Var, Eqn> } {
  const count = new Map<Var, number>();
  const user = new Map<Var, Eqn>();
  for (const e of fn.eqns) {
    for (const v of e.inputs) {
      count.set(v, (count.get(v) ?? 0) + 1);
      user.set(v, e);
    }
  }
  for (const v of fn.outputs) count.set(v, (count.get(v) ?? 0) + 1);
  return { count, user };
}

const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);
const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

function inlineCustomCalls(fn: Func): Func {
  if (!fn.eqns.some((e) => e.primitive === Primitive.CustomJvpCall || e.primitive === Primitive.CustomVjpCall || e.primitive === Primitive.CustomLin)) return fn;
  const eqns: Eqn[] = [];
  for (const e of fn.eqns) {
    if (e.primitive === Primitive.CustomLin) throw new KilnError('fuse: custom_lin cannot be evaluated forward (it only exists inside derivatives)');
    if (e.primitive !== Primitive.CustomJvpCall && e.primitive !== Primitive.CustomVjpCall) {
      eqns.push(e);
      continue;
    }
    // The body with fresh Vars, then the call's results bound by identity reshapes (views).
    const b = new Builder();
    const outs = b.inline(e.params.body, e.inputs);
    eqns.push(...inlineCustomCalls({ name: e.params.body.name, inputs: [], eqns: b.eqns, outputs: outs }).eqns);
    outs.forEach((v, i) => eqns.push(makeEqn(Primitive.Reshape, { shape: [...v.aval.shape] }, [v], [e.outputs[i]!], e.loc)));
  }
  return { ...fn, eqns };
}

/**
 * The axes of `shape` that a reshape to `shape` from `from` inserted (all of size 1), or
 * undefined if the reshape does more than insert unit axes.
 */
function insertedUnitAxes(from: readonly number[], shape: readonly number[]): number[] | undefined {
  const inserted: number[] = [];
  let j = 0;
  for (let i = 0; i < shape.length; i++) {
    if (j < from.length && shape[i] === from[j]) j++;
    else if (shape[i] === 1) inserted.push(i);
    else return undefined;
  }
  return j === from.length ? inserted : undefined;
}

function squeezeDotOperands(fn: Func): Func {
  const { count, user } = usesIn(fn);
  const def = new Map<Var, Eqn>();
  const dropped = new Set<Eqn>();
  const eqns: Eqn[] = [];
  for (const e of fn.eqns) {
    e.outputs.forEach((o) => def.set(o, e));
    if (dropped.has(e)) continue;
    if (e.primitive !== Primitive.DotGeneral) {
      eqns.push(e);
      continue;
    }
    const p: DotParams = { lhsContract: [...e.params.lhsContract], rhsContract: [...e.params.rhsContract], lhsBatch: [...e.params.lhsBatch], rhsBatch: [...e.params.rhsBatch] };
    const ins = [...e.inputs];
    const nb = p.lhsBatch.length;
    const free = [0, 1].map((s) => ins[s]!.aval.shape.length - nb - (s === 0 ? p.lhsContract : p.rhsContract).length);
    const keepOut = range(0, e.outputs[0]!.aval.shape.length).map(() => true);
    for (const s of [0, 1]) {
      const r = def.get(ins[s]!);
      if (r?.primitive !== Primitive.Reshape) continue;
      const a = r.inputs[0]!;
      const unit = insertedUnitAxes(a.aval.shape, ins[s]!.aval.shape);
      const contract = s === 0 ? p.lhsContract : p.rhsContract;
      const batch = s === 0 ? p.lhsBatch : p.rhsBatch;
      if (!unit?.length || unit.some((u) => contract.includes(u) || batch.includes(u))) continue;
      const renum = (ax: number) => ax - unit.filter((u) => u < ax).length;
      const freeAxes = range(0, ins[s]!.aval.shape.length).filter((ax) => !contract.includes(ax) && !batch.includes(ax));
      const base = s === 0 ? nb : nb + free[0]!;
      freeAxes.forEach((ax, i) => unit.includes(ax) && (keepOut[base + i] = false));
      if (s === 0) Object.assign(p, { lhsContract: contract.map(renum), lhsBatch: batch.map(renum) });
      else Object.assign(p, { rhsContract: contract.map(renum), rhsBatch: batch.map(renum) });
      ins[s] = a;
    }
    if (ins[0] === e.inputs[0] && ins[1] === e.inputs[1]) {
      eqns.push(e);
      continue;
    }
    const out = e.outputs[0]!;
    const shape = out.aval.shape.filter((_, i) => keepOut[i]);
    const next = user.get(out);
    if (count.get(out) === 1 && next?.primitive === Primitive.Reshape && sameShape(next.outputs[0]!.aval.shape, shape)) {
      eqns.push(makeEqn(Primitive.DotGeneral, p, ins, next.outputs, e.loc));
      dropped.add(next);
    } else {
      const o = new Var({ shape, dtype: out.aval.dtype });
      eqns.push(makeEqn(Primitive.DotGeneral, p, ins, [o], e.loc), makeEqn(Primitive.Reshape, { shape: [...out.aval.shape] }, [o], [out], e.loc));
    }
  }
  return { ...fn, eqns };
}

/** Whether `perm` maps [batch, lhs free, rhs free] to [batch, rhs free, lhs free]. */
function swapsFreeAxes(d: Dot, perm: readonly number[]): boolean {
  const nb = d.params.lhsBatch.length;
  const nl = d.inputs[0]!.aval.shape.length - nb - d.params.lhsContract.length;
  const nr = d.inputs[1]!.aval.shape.length - nb - d.params.rhsContract.length;
  if (nl === 0 || nr === 0) return false;
  const want = [...range(0, nb), ...range(nb + nl, nr), ...range(nb, nl)];
  return perm.length === want.length && perm.every((a, i) => a === want[i]);
}

function swapTransposedDots(fn: Func): Func {
  const { count, user } = usesIn(fn);
  const dropped = new Set<Eqn>();
  const eqns: Eqn[] = [];
  for (const e of fn.eqns) {
    if (dropped.has(e)) continue;
    const t = e.primitive === Primitive.DotGeneral && count.get(e.outputs[0]!) === 1 ? user.get(e.outputs[0]!) : undefined;
    if (e.primitive === Primitive.DotGeneral && t?.primitive === Primitive.Transpose && swapsFreeAxes(e, t.params.perm)) {
      const p = e.params;
      const params = { lhsContract: [...p.rhsContract], rhsContract: [...p.lhsContract], lhsBatch: [...p.rhsBatch], rhsBatch: [...p.lhsBatch] };
      eqns.push(makeEqn(Primitive.DotGeneral, params, [e.inputs[1]!, e.inputs[0]!], t.outputs, e.loc));
      dropped.add(t);
    } else eqns.push(e);
  }
  return { ...fn, eqns };
}

export function canonicalizeForFusion(fn: Func): Func {
  if (!fn.eqns.some((e) => e.primitive === Primitive.DotGeneral || e.primitive === Primitive.CustomJvpCall || e.primitive === Primitive.CustomVjpCall || e.primitive === Primitive.CustomLin)) return fn;
  return swapTransposedDots(squeezeDotOperands(inlineCustomCalls(fn)));
}
