// Reductions, argmax/argmin, cumsum, sort and dot_general. Expected values by hand.
import { describe, expect, it } from 'vitest';
import type { DType } from '../../compiler/ir/dtype.ts';
import { ShapeError } from '../../compiler/ir/errors.ts';
import { Primitive, type PrimitiveParams } from '../../compiler/ir/primitives.ts';
import { evalPrimitive, hostTensor, type HostTensor } from '../../runtime/interp/index.ts';

const t = (shape: number[], values: number[], dtype: DType = 'f32') => hostTensor(shape, dtype, values);
const ev = <P extends Primitive>(p: P, params: PrimitiveParams[P], ...ins: HostTensor[]) => evalPrimitive(p, params, ins)[0]!;
const vals = (x: HostTensor) => Array.from(x.data);
const x23 = (dtype: DType = 'f32') => t([2, 3], [1, 2, 3, 4, 5, 6], dtype);
const I32_MIN = -(2 ** 31), I32_MAX = 2 ** 31 - 1;

describe('reduce_sum/max/min/prod', () => {
  it('over chosen axes', () => {
    expect(vals(ev(Primitive.ReduceSum, { axes: [1] }, x23()))).toEqual([6, 15]);
    expect(vals(ev(Primitive.ReduceSum, { axes: [0] }, x23()))).toEqual([5, 7, 9]);
    const all = ev(Primitive.ReduceSum, { axes: [1, 0] }, x23());
    expect(all.aval.shape).toEqual([]);
    expect(vals(all)).toEqual([21]);
    expect(vals(ev(Primitive.ReduceMax, { axes: [1] }, x23('i32')))).toEqual([3, 6]);
    expect(vals(ev(Primitive.ReduceMin, { axes: [0] }, x23('f64')))).toEqual([1, 2, 3]);
    expect(vals(ev(Primitive.ReduceProd, { axes: [1] }, x23()))).toEqual([6, 120]);
    expect(vals(ev(Primitive.ReduceSum, { axes: [] }, x23()))).toEqual([1, 2, 3, 4, 5, 6]);
  });
  it('middle axis of a 3-D operand', () => {
    // x[i,j,k] = 100i + 10j + k, shape [2,2,2]; sum over j gives 200i + 10 + 2k
    const x = t([2, 2, 2], [0, 1, 10, 11, 100, 101, 110, 111]);
    expect(vals(ev(Primitive.ReduceSum, { axes: [1] }, x))).toEqual([10, 12, 210, 212]);
  });
  it('empty reductions give the identity', () => {
    const e = (dtype: DType) => t([2, 0], [], dtype);
    expect(vals(ev(Primitive.ReduceSum, { axes: [1] }, e('f32')))).toEqual([0, 0]);
    expect(vals(ev(Primitive.ReduceProd, { axes: [1] }, e('i32')))).toEqual([1, 1]);
    expect(vals(ev(Primitive.ReduceMax, { axes: [1] }, e('f32')))).toEqual([-Infinity, -Infinity]);
    expect(vals(ev(Primitive.ReduceMin, { axes: [1] }, e('f16')))).toEqual([Infinity, Infinity]);
    expect(vals(ev(Primitive.ReduceMax, { axes: [1] }, e('i32')))).toEqual([I32_MIN, I32_MIN]);
    expect(vals(ev(Primitive.ReduceMin, { axes: [1] }, e('i32')))).toEqual([I32_MAX, I32_MAX]);
    expect(vals(ev(Primitive.ReduceMax, { axes: [1] }, e('bool')))).toEqual([0, 0]);
    expect(vals(ev(Primitive.ReduceMin, { axes: [1] }, e('bool')))).toEqual([1, 1]);
  });
  it('bool max is any, min is all', () => {
    const b = t([2, 2], [0, 1, 1, 1], 'bool');
    expect(vals(ev(Primitive.ReduceMax, { axes: [1] }, b))).toEqual([1, 1]);
    expect(vals(ev(Primitive.ReduceMin, { axes: [1] }, b))).toEqual([0, 1]);
    expect(() => ev(Primitive.ReduceSum, { axes: [1] }, b)).toThrow(ShapeError);
  });
  it('f16 sums round once to f16', () => {
    // 2048 + 1 + 1 = 2050 exactly (representable); a sequential f16 loop would stay at 2048
    expect(vals(ev(Primitive.ReduceSum, { axes: [0] }, t([3], [2048, 1, 1], 'f16')))).toEqual([2050]);
    expect(vals(ev(Primitive.ReduceSum, { axes: [0] }, t([2], [2048, 1], 'f16')))).toEqual([2048]); // 2049 ties to 2048
  });
  it('max/min propagate NaN', () => {
    const x = t([2, 3], [1, NaN, 3, 4, 5, 6]);
    expect(vals(ev(Primitive.ReduceMax, { axes: [1] }, x))).toEqual([NaN, 6]);
    expect(vals(ev(Primitive.ReduceMin, { axes: [1] }, x))).toEqual([NaN, 4]);
  });
  it('i32 sum and prod wrap', () => {
    expect(vals(ev(Primitive.ReduceSum, { axes: [0] }, t([2], [I32_MAX, 2], 'i32')))).toEqual([I32_MIN + 1]);
    expect(vals(ev(Primitive.ReduceProd, { axes: [0] }, t([3], [65536, 65536, 3], 'i32')))).toEqual([0]);
  });
  it('f32 sums accumulate in double and round once', () => {
    // 1 + 2^-24 + 2^-24 = 1 + 2^-23 exactly (an f32); a sequential f32 loop would give 1.
    expect(vals(ev(Primitive.ReduceSum, { axes: [0] }, t([3], [1, 2 ** -24, 2 ** -24])))).toEqual([1 + 2 ** -23]);
    expect(vals(ev(Primitive.ReduceSum, { axes: [0] }, t([2], [0.1, 0.2])))).toEqual([Math.fround(Math.fround(0.1) + Math.fround(0.2))]);
  });
});

describe('argmax/argmin', () => {
  const am = (p: Primitive.Argmax | Primitive.Argmin, x: HostTensor, axis: number) => ev(p, { axis }, x);
  it('first occurrence of the extreme', () => {
    const r = am(Primitive.Argmax, t([5], [1, 3, 3, 2, -1]), 0);
    expect(r.aval).toEqual({ shape: [], dtype: 'i32' });
    expect(vals(r)).toEqual([1]);
    expect(vals(am(Primitive.Argmin, t([5], [1, 3, -1, 2, -1]), 0))).toEqual([2]);
  });
  it('along an axis', () => {
    const x = t([2, 3], [1, 9, 3, 7, 5, 6]);
    expect(vals(am(Primitive.Argmax, x, 0))).toEqual([1, 0, 1]);
    expect(vals(am(Primitive.Argmax, x, 1))).toEqual([1, 0]);
    expect(vals(am(Primitive.Argmin, x, 1))).toEqual([0, 1]);
  });
  it('NaN counts as the extreme; the first NaN wins', () => {
    expect(vals(am(Primitive.Argmax, t([4], [1, NaN, 5, NaN]), 0))).toEqual([1]);
    expect(vals(am(Primitive.Argmin, t([4], [1, -Infinity, NaN, NaN]), 0))).toEqual([2]);
    expect(vals(am(Primitive.Argmax, t([2], [NaN, NaN]), 0))).toEqual([0]);
  });
  it('i32 and bool', () => {
    expect(vals(am(Primitive.Argmax, t([3], [I32_MIN, 0, I32_MAX], 'i32'), 0))).toEqual([2]);
    expect(vals(am(Primitive.Argmax, t([3], [0, 1, 1], 'bool'), 0))).toEqual([1]);
  });
  it('an empty axis is a shape error', () => {
    expect(() => am(Primitive.Argmax, t([2, 0], []), 1)).toThrow(ShapeError);
  });
});

describe('cumsum', () => {
  it('inclusive, forward and reverse', () => {
    expect(vals(ev(Primitive.Cumsum, { axis: 0, reverse: false }, t([4], [1, 2, 3, 4])))).toEqual([1, 3, 6, 10]);
    expect(vals(ev(Primitive.Cumsum, { axis: 0, reverse: true }, t([4], [1, 2, 3, 4])))).toEqual([10, 9, 7, 4]);
  });
  it('along either axis of a matrix', () => {
    expect(vals(ev(Primitive.Cumsum, { axis: 0, reverse: false }, x23()))).toEqual([1, 2, 3, 5, 7, 9]);
    expect(vals(ev(Primitive.Cumsum, { axis: 1, reverse: false }, x23('i32')))).toEqual([1, 3, 6, 4, 9, 15]);
    expect(vals(ev(Primitive.Cumsum, { axis: 1, reverse: true }, x23('f64')))).toEqual([6, 5, 3, 15, 11, 6]);
  });
  it('rounds the running f32 sum every step; i32 wraps', () => {
    // 1 + 2^-24 ties to 1 in f32 each step
    expect(vals(ev(Primitive.Cumsum, { axis: 0, reverse: false }, t([3], [1, 2 ** -24, 2 ** -24])))).toEqual([1, 1, 1]);
    expect(vals(ev(Primitive.Cumsum, { axis: 0, reverse: false }, t([2], [I32_MAX, 1], 'i32')))).toEqual([I32_MAX, I32_MIN]);
    // f16: 2048 + 1 ties to 2048
    expect(vals(ev(Primitive.Cumsum, { axis: 0, reverse: false }, t([3], [2048, 1, 1], 'f16')))).toEqual([2048, 2048, 2048]);
  });
});

describe('sort', () => {
  it('ascending, NaN last, stable, all operands permuted alike', () => {
    const keys = t([6], [3, NaN, 1, 3, -Infinity, 1]);
    const payload = t([6], [0, 1, 2, 3, 4, 5], 'i32');
    const [k, p] = evalPrimitive(Primitive.Sort, { axis: 0, numKeys: 1 }, [keys, payload]);
    expect(vals(k!)).toEqual([-Infinity, 1, 1, 3, 3, NaN]);
    expect(vals(p!)).toEqual([4, 2, 5, 0, 3, 1]);
    expect(p!.aval.dtype).toBe('i32');
  });
  it('lexicographic over numKeys keys', () => {
    const a = t([4], [1, 0, 1, 0], 'i32'), b = t([4], [2, 9, 1, 3]);
    const [sa, sb] = evalPrimitive(Primitive.Sort, { axis: 0, numKeys: 2 }, [a, b]);
    expect(vals(sa!)).toEqual([0, 0, 1, 1]);
    expect(vals(sb!)).toEqual([3, 9, 1, 2]);
  });
  it('along axis 0 of a matrix', () => {
    const [s] = evalPrimitive(Primitive.Sort, { axis: 0, numKeys: 1 }, [t([2, 3], [4, 2, 6, 1, 5, 3])]);
    expect(vals(s!)).toEqual([1, 2, 3, 4, 5, 6]);
  });
});

describe('dot_general', () => {
  const dot = (l: HostTensor, r: HostTensor, p: Partial<PrimitiveParams[Primitive.DotGeneral]>) =>
    ev(Primitive.DotGeneral, { lhsContract: [], rhsContract: [], lhsBatch: [], rhsBatch: [], ...p }, l, r);
  it('plain matmul', () => {
    // [[1,2,3],[4,5,6]] @ [[1,0],[0,1],[1,1]] = [[4,5],[10,11]]
    const r = dot(x23(), t([3, 2], [1, 0, 0, 1, 1, 1]), { lhsContract: [1], rhsContract: [0] });
    expect(r.aval.shape).toEqual([2, 2]);
    expect(vals(r)).toEqual([4, 5, 10, 11]);
  });
  it('transposed operands: lhs contracts axis 0, rhs axis 1', () => {
    // lhs^T @ rhs^T with lhs = x23 (so lhs^T is 3x2), rhs = [[1,1]] (rhs^T is 2x1)
    const r = dot(x23(), t([1, 2], [1, 1]), { lhsContract: [0], rhsContract: [1] });
    expect(r.aval.shape).toEqual([3, 1]);
    expect(vals(r)).toEqual([5, 7, 9]);
  });
  it('batch axes first, then lhs free, then rhs free', () => {
    // batch 0: [1,2]·[3,4] = 11; batch 1: [5,6]·[7,8] = 83
    const l = t([2, 1, 2], [1, 2, 5, 6]), r = t([2, 2, 1], [3, 4, 7, 8]);
    const y = dot(l, r, { lhsContract: [2], rhsContract: [1], lhsBatch: [0], rhsBatch: [0] });
    expect(y.aval.shape).toEqual([2, 1, 1]);
    expect(vals(y)).toEqual([11, 83]);
  });
  it('outer product (no contraction) and full contraction', () => {
    expect(vals(dot(t([2], [1, 2]), t([3], [1, 10, 100]), {}))).toEqual([1, 10, 100, 2, 20, 200]);
    expect(vals(dot(x23(), x23(), { lhsContract: [0, 1], rhsContract: [0, 1] }))).toEqual([91]);
  });
  it('empty contraction gives zeros', () => {
    expect(vals(dot(t([2, 0], []), t([0, 2], []), { lhsContract: [1], rhsContract: [0] }))).toEqual([0, 0, 0, 0]);
  });
  it('f32 rounds once at the end; i32 wraps', () => {
    const y = dot(t([1, 3], [1, 2 ** -24, 2 ** -24]), t([3, 1], [1, 1, 1]), { lhsContract: [1], rhsContract: [0] });
    expect(vals(y)).toEqual([1 + 2 ** -23]);
    const i = dot(t([1, 2], [65536, I32_MAX], 'i32'), t([2, 1], [65536, 2], 'i32'), { lhsContract: [1], rhsContract: [0] });
    expect(vals(i)).toEqual([-2]); // 2^32 + 2^32 - 2 wraps to -2
  });
  it('f16 and bf16 results are rounded to their precision', () => {
    const p = { lhsContract: [1], rhsContract: [0] };
    expect(vals(dot(t([1, 2], [2048, 1], 'f16'), t([2, 1], [1, 1], 'f16'), p))).toEqual([2048]);
    expect(vals(dot(t([1, 2], [256, 1], 'bf16'), t([2, 1], [1, 3], 'bf16'), p))).toEqual([260]); // 259 → 260 (spacing 2, tie to even)
  });
  it('rejects mismatched contracting sizes', () => {
    expect(() => dot(x23(), x23(), { lhsContract: [1], rhsContract: [0] })).toThrow(ShapeError);
  });
});
