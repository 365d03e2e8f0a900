// Every primitive of the IR compiled for the CPU against the interpreter, bound directly (so
// that parameters the DSL never produces are covered too: xor and shifts, pads with interior
// and negative widths, multi-axis gather/scatter with clamped indices, scatter 'set' with
// duplicates, dot_general with several contracting and non-leading batch axes, sort with two
// keys, dense constants); exact ops must agree bit for bit. A coverage check makes a new
// primitive without a differential test fail here.
import { describe, expect, it } from 'vitest';
import * as k from '../../index.ts';
import { Primitive as P } from '../../compiler/ir/primitives.ts';
import { bind, bind1 } from '../../dsl/lift.ts';
import { cpuPresent, diff, rand, rng, useColdCache } from './helpers.ts';

useColdCache();

type T = k.Tensor;
const covered = new Set<P>();
const b1 = <Q extends P>(p: Q, params: Parameters<typeof bind1<Q>>[1], ...xs: T[]): T => {
  covered.add(p);
  return bind1(p, params, ...xs);
};
const bn = <Q extends P>(p: Q, params: Parameters<typeof bind<Q>>[1], xs: T[]): T[] => {
  covered.add(p);
  return bind(p, params, xs);
};
const UNARY = [P.Neg, P.Abs, P.Sign, P.Exp, P.Log, P.Log1p, P.Expm1, P.Sqrt, P.Rsqrt, P.Sin, P.Cos, P.Tanh, P.Logistic, P.Floor, P.Ceil, P.Round] as const;
const EXACT_UNARY = new Set<P>([P.Neg, P.Abs, P.Sign, P.Sqrt, P.Floor, P.Ceil, P.Round]);
const ARITH = [P.Add, P.Sub, P.Mul, P.Div, P.Pow, P.Max, P.Min] as const;
const COMPARE = [P.Eq, P.Ne, P.Lt, P.Le, P.Gt, P.Ge] as const;

describe.runIf(cpuPresent)('every primitive on the CPU equals the interpreter', () => {
  const r = rng(71);

  it('elementwise primitives on f32 and f64; exact ones bit for bit', () => {
    const f = (x: T, y: T, pos: T) => {
      const o: Record<string, T> = {};
      for (const p of UNARY) o[`${p}`] = b1(p, {}, [P.Log, P.Log1p, P.Sqrt, P.Rsqrt].includes(p as never) ? pos : x);
      for (const p of ARITH) o[`${p}`] = b1(p, {}, p === P.Pow ? pos : x, y);
      for (const p of COMPARE) o[`${p}`] = b1(p, {}, x, y.round());
      o.select = b1(P.Select, {}, b1(P.Gt, {}, x, y), x, y);
      o.stop = b1(P.StopGradient, {}, x);
      o.convert = b1(P.Convert, { dtype: 'i32' }, x.mul(1000));
      return o;
    };
    for (const dt of ['f32', 'f64'] as const) {
      const args = [rand(r, [5, 7], dt), rand(r, [5, 7], dt), rand(r, [5, 7], dt, 0.01, 5)] as const;
      // transcendental functions within a few ulps; the rest exactly
      diff(f, [...args], (path) => (EXACT_UNARY.has(path as P) || (ARITH as readonly string[]).includes(path) && path !== P.Pow ? { rtol: 0, atol: 0 } : { rtol: dt === 'f32' ? 4e-7 : 1e-15, atol: 0 }));
    }
  });

  it('integer and boolean primitives: and/or/xor/not, shifts (logical, out-of-range counts), i32 arithmetic', () => {
    const a = k.array([0, 1, -1, 2147483647, -2147483648, 12345, -777, 8], { dtype: 'i32' });
    const s = k.array([0, 1, 31, 32, 5, -1, 33, 3], { dtype: 'i32' });
    const p = k.array([true, false, true, true, false, false, true, false]), q = k.array([true, true, false, true, false, true, false, false]);
    diff(
      (a: T, s: T, p: T, q: T) => ({
        and: b1(P.And, {}, p, q), or: b1(P.Or, {}, p, q), xor: b1(P.Xor, {}, p, q), not: b1(P.Not, {}, p),
        andI: b1(P.And, {}, a, s), orI: b1(P.Or, {}, a, s), xorI: b1(P.Xor, {}, a, s), notI: b1(P.Not, {}, a),
        shl: b1(P.ShiftLeft, {}, a, s), shr: b1(P.ShiftRightLogical, {}, a, s), div: b1(P.Div, {}, a, s), pow: b1(P.Pow, {}, a, s),
        sign: b1(P.Sign, {}, a), abs: b1(P.Abs, {}, a), toBool: b1(P.Convert, { dtype: 'bool' }, a), toF: b1(P.Convert, { dtype: 'f64' }, a),
      }),
      [a, s, p, q],
    );
  });

  it('creation: constant (scalar and dense), iota on each axis and dtype, random_bits', () => {
    const x = rand(r, [2, 3, 4]);
    diff(
      (x: T, key: T) => ({
        c: x.add(b1(P.Constant, { shape: [2, 3, 4], dtype: 'f32', data: [1.5] })),
        dense: x.slice(1).mul(b1(P.Constant, { shape: [3, 4], dtype: 'f32', data: Array.from({ length: 12 }, (_, i) => i * 0.5 - 2) })),
        denseFew: x.slice(0).add(b1(P.Constant, { shape: [3, 4], dtype: 'f32', data: [1, 1, 2, 2, 2, -1, -1, 0, 0, 0, 0, 5] })),
        denseBig: b1(P.Constant, { shape: [40], dtype: 'f64', data: Array.from({ length: 40 }, (_, i) => Math.sqrt(i)) }).add(x.max().astype('f64')),
        iota0: b1(P.Iota, { shape: [20, 2], dtype: 'i32', dim: 0 }).astype('f32').add(x.max()), iota2: x.mul(b1(P.Iota, { shape: [24], dtype: 'f32', dim: 0 }).reshape([2, 3, 4])), iotaSmall: x.slice(0, 0).mul(b1(P.Iota, { shape: [4], dtype: 'f32', dim: 0 })),
        iotaF64: b1(P.Iota, { shape: [3, 5], dtype: 'f64', dim: 1 }).add(x.max().astype('f64')),
        bits: b1(P.RandomBits, { shape: [3, 7] }, key),
      }),
      [x, k.random.key(5)],
    );
    // (iotas and broadcast constants over more than 16 elements with few distinct values:
    // see folded-constants.test.ts)
  });

  it('views and data movement: broadcast_in_dim, reshape, transpose, slice, pad (interior, negative), concatenate, rev', () => {
    const x = rand(r, [3, 4, 5]), y = rand(r, [3, 2, 5]);
    diff(
      (x: T, y: T) => ({
        bcast: b1(P.BroadcastInDim, { shape: [2, 3, 6, 4, 5], dims: [1, 3, 4] }, x),
        bcastUnit: b1(P.BroadcastInDim, { shape: [3, 4, 7], dims: [0, 1, 2] }, x.sum({ axis: 2, keepdims: true })),
        reshape: b1(P.Reshape, { shape: [5, 12] }, x), transpose: b1(P.Transpose, { perm: [2, 0, 1] }, x),
        slice: b1(P.Slice, { start: [0, 1, 1], limit: [3, 4, 5], strides: [2, 2, 3] }, x),
        padInterior: b1(P.Pad, { lo: [1, 0, 2], hi: [0, 2, 1], interior: [1, 2, 0], value: -1 }, x),
        padNegative: b1(P.Pad, { lo: [-1, 1, -2], hi: [0, -2, 1], interior: [0, 1, 1], value: 3 }, x),
        concat: b1(P.Concatenate, { axis: 1 }, x, y, x), rev: b1(P.Rev, { axes: [0, 2] }, x),
        chain: b1(P.Rev, { axes: [1] }, b1(P.Pad, { lo: [0, 1, 0], hi: [0, 1, 0], interior: [0, 0, 0], value: 0 }, b1(P.Transpose, { perm: [0, 2, 1] }, x))).sum({ axis: 0 }),
      }),
      [x, y],
    );
  });

  it('gather and scatter: multi-axis index rows, clamped out-of-range indices, add and set with duplicates', () => {
    const x = rand(r, [4, 3, 5]);
    const idx = k.array([[0, 1], [3, 2], [3, 2], [-2, 9], [1, 0]], { dtype: 'i32' });
    const idx1 = k.array([[[2], [0]], [[2], [7]]], { dtype: 'i32' });
    const upd = rand(r, [5, 5]), upd1 = rand(r, [2, 2, 3, 5]);
    diff(
      (x: T, idx: T, idx1: T, upd: T, upd1: T) => ({
        gather: b1(P.Gather, {}, x, idx), gather1: b1(P.Gather, {}, x, idx1),
        add: b1(P.Scatter, { mode: 'add' }, x, idx, upd), set: b1(P.Scatter, { mode: 'set' }, x, idx, upd),
        add1: b1(P.Scatter, { mode: 'add' }, x, idx1, upd1), set1: b1(P.Scatter, { mode: 'set' }, x, idx1, upd1),
        setI: b1(P.Scatter, { mode: 'add' }, x.astype('i32'), idx, upd.astype('i32')),
      }),
      [x, idx, idx1, upd, upd1],
    );
  });

  it('reductions, argmax/argmin, cumsum, sort with two keys (i32 and f64 payloads)', () => {
    const x = rand(r, [4, 6, 3], 'f64'), ki = rand(r, [4, 6, 3], 'i32', 0, 3);
    diff(
      (x: T, ki: T) => ({
        sum: b1(P.ReduceSum, { axes: [0, 2] }, x), max: b1(P.ReduceMax, { axes: [1] }, x), min: b1(P.ReduceMin, { axes: [0, 1, 2] }, x),
        prod: b1(P.ReduceProd, { axes: [2] }, x), prodI: b1(P.ReduceProd, { axes: [1] }, ki.add(1)), argmax: b1(P.Argmax, { axis: 1 }, x),
        argmin: b1(P.Argmin, { axis: 0 }, ki), cumsum: b1(P.Cumsum, { axis: 1, reverse: true }, x), cumsumI: b1(P.Cumsum, { axis: 2, reverse: false }, ki),
        sort2: bn(P.Sort, { axis: 1, numKeys: 2 }, [ki, x.round(), x]), sort1: bn(P.Sort, { axis: 0, numKeys: 1 }, [x.neg(), ki]),
      }),
      [x, ki],
      { scale: 20 },
    );
  });

  it('dot_general: several contracting axes, batch axes not leading, i32', () => {
    const a = rand(r, [3, 4, 2, 5], 'f64'), b = rand(r, [5, 2, 6, 3], 'f64'), c = rand(r, [3, 4, 5], 'f64'), d = rand(r, [5, 6, 4], 'f64');
    diff(
      (a: T, b: T, c: T, d: T) => ({
        multi: b1(P.DotGeneral, { lhsContract: [1, 2], rhsContract: [2, 0], lhsBatch: [], rhsBatch: [] }, c, d),
        batch: b1(P.DotGeneral, { lhsContract: [3], rhsContract: [0], lhsBatch: [2, 0], rhsBatch: [1, 3] }, a, b),
        int: b1(P.DotGeneral, { lhsContract: [1], rhsContract: [2], lhsBatch: [], rhsBatch: [] }, c.mul(3).astype('i32'), d.mul(3).astype('i32')),
      }),
      [a, b, c, d],
      { scale: 20 },
    );
  });

  it('control flow (cond, while_loop, scan) and custom derivative calls', () => {
    const x = rand(r, [4], 'f64');
    const softplus = k.customJvp(
      (v: T) => v.exp().log1p(),
      (primals: T[], tangents: T[]) => [primals[0]!.exp().log1p(), tangents[0]!.mul(primals[0]!.sigmoid())] as never,
    );
    const clipGrad = k.customVjp(
      (v: T) => v.mul(2),
      (v: T) => [v.mul(2), v] as never,
      (_res: T, g: T) => [g.mul(2).clip(-1, 1)] as never,
    );
    const { cpu } = diff(
      (x: T) => ({
        cond: k.cond(x.sum().greater(0), (v: T) => v.exp(), (v: T) => v.neg(), x),
        loop: k.whileLoop((v: T) => v.sum().less(10), (v: T) => v.abs().add(1), x),
        scan: k.scan((c: T, v: T) => [c.add(v), c.mul(v)] as [T, T], k.array(0, { dtype: 'f64' }), x),
        custom: softplus(x), gradCustom: k.grad((v: T) => softplus(v).sum())(x), vjpCustom: k.grad((v: T) => clipGrad(v).sum())(x),
      }),
      [x],
    );
    expect(cpu.vjpCustom.toArray()).toEqual([1, 1, 1, 1]);
    for (const p of [P.Cond, P.WhileLoop, P.Scan, P.CustomJvpCall, P.CustomVjpCall, P.CustomLin]) covered.add(p);
  });

  it('covers every primitive', () => {
    const all = Object.values(P) as P[];
    expect(all.filter((p) => !covered.has(p) && !UNARY.includes(p as never) && !ARITH.includes(p as never) && !COMPARE.includes(p as never))).toEqual([]);
  });
});
