// Elementwise ops: values (closed forms from Math.*, rounded to f32 where exactness matters),
// dtype promotion with weak JS numbers, broadcasting, and the Tensor method forms.
import { describe, expect, it } from 'vitest';
import * as k from 'kiln';

const f32 = (xs: k.NestedArray) => k.array(xs);
const i32 = (xs: k.NestedArray) => k.array(xs, { dtype: 'i32' });
const f64 = (xs: k.NestedArray) => k.array(xs, { dtype: 'f64' });

describe('arithmetic', () => {
  it('add, sub, mul, div on f32', () => {
    const a = f32([1, 2, 3]), b = f32([4, 5, 6]);
    expect(k.add(a, b).toArray()).toEqual([5, 7, 9]);
    expect(k.sub(a, b).toArray()).toEqual([-3, -3, -3]);
    expect(k.mul(a, b).toArray()).toEqual([4, 10, 18]);
    expect(k.div(a, b).toArray()).toEqual([0.25, 0.4, 0.5].map(Math.fround));
  });

  it('f32 results are rounded to f32, f64 results are not', () => {
    expect(k.add(f32([0.1]), f32([0.2])).item()).toBe(Math.fround(Math.fround(0.1) + Math.fround(0.2)));
    expect(k.add(f64([0.1]), f64([0.2])).item()).toBe(0.1 + 0.2);
  });

  it('i32 arithmetic stays i32 and wraps', () => {
    const r = k.add(i32([2147483647]), i32([1]));
    expect(r.dtype).toBe('i32');
    expect(r.toArray()).toEqual([-2147483648]);
    expect(k.mul(i32([3, -4]), i32([5, 6])).toArray()).toEqual([15, -24]);
    expect(k.sub(i32([3]), 5).toArray()).toEqual([-2]);
  });

  it('div of integers is true division giving f32', () => {
    const r = k.div(i32([1, 2, 7]), i32([2, 4, 2]));
    expect(r.dtype).toBe('f32');
    expect(r.toArray()).toEqual([0.5, 0.5, 3.5]);
    expect(k.div(i32([1]), 3).dtype).toBe('f32');
    expect(k.div(k.array([true]), k.array([true])).dtype).toBe('f32');
    // IEEE: 1/0 = inf, -1/0 = -inf, 0/0 = nan
    expect(k.div(i32([1, -1, 0]), 0)).toBeAllclose([Infinity, -Infinity, NaN], { equalNan: true });
  });

  it('div of f64 stays f64', () => {
    const r = k.div(f64([1, 2]), 3);
    expect(r.dtype).toBe('f64');
    expect(r.toArray()).toEqual([1 / 3, 2 / 3]);
  });

  it('pow on floats and integers', () => {
    expect(k.pow(f32([2, 4, 9]), 0.5)).toBeAllclose([Math.SQRT2, 2, 3], { rtol: 1e-7 });
    expect(k.pow(f32([2, -2]), f32([3, 2])).toArray()).toEqual([8, 4]);
    const r = k.pow(i32([2, 3, -2]), 3);
    expect(r.dtype).toBe('i32');
    expect(r.toArray()).toEqual([8, 27, -8]);
    // An integer base with a float exponent promotes to f32.
    expect(k.pow(i32([4]), 0.5).dtype).toBe('f32');
    expect(k.pow(i32([4]), 0.5).item()).toBe(2);
  });

  it('neg, abs, sign keep the dtype', () => {
    expect(k.neg(f32([1, -2, 0])).toArray()).toEqual([-1, 2, -0]);
    expect(k.neg(i32([1, -2])).dtype).toBe('i32');
    expect(k.abs(f32([-1.5, 2, -0])).toArray()).toEqual([1.5, 2, 0]);
    expect(k.abs(i32([-3, 3])).toArray()).toEqual([3, 3]);
    expect(k.sign(f32([-2, 0, 3])).toArray()).toEqual([-1, 0, 1]);
    expect(k.sign(i32([-7, 0, 9])).toArray()).toEqual([-1, 0, 1]);
    expect(k.sign(i32([-7])).dtype).toBe('i32');
    expect(k.sign(f32([NaN]))).toBeAllclose([NaN], { equalNan: true });
  });

  it('maximum and minimum (NaN propagates)', () => {
    expect(k.maximum(f32([1, 5, -1]), f32([3, 2, -1])).toArray()).toEqual([3, 5, -1]);
    expect(k.minimum(f32([1, 5, -1]), f32([3, 2, -1])).toArray()).toEqual([1, 2, -1]);
    expect(k.maximum(i32([1, 5]), 3).toArray()).toEqual([3, 5]);
    expect(k.maximum(i32([1, 5]), 3).dtype).toBe('i32');
    expect(k.maximum(f32([NaN, 1]), 0)).toBeAllclose([NaN, 1], { equalNan: true });
    expect(k.minimum(f32([NaN, 1]), 0)).toBeAllclose([NaN, 0], { equalNan: true });
  });
});

describe('transcendental and rounding functions', () => {
  const xs = [-2, -0.5, 0, 0.5, 1, 3];
  const pos = [0.25, 1, Math.E, 10];

  it('exp, log, log1p, expm1 (f32, to within f32 rounding)', () => {
    expect(k.exp(f32(xs))).toBeAllclose(xs.map(Math.exp), { rtol: 1e-6 });
    expect(k.log(f32(pos))).toBeAllclose(pos.map((x) => Math.log(Math.fround(x))), { rtol: 1e-6 });
    expect(k.log1p(f32(pos))).toBeAllclose(pos.map((x) => Math.log1p(Math.fround(x))), { rtol: 1e-6 });
    expect(k.expm1(f32(xs))).toBeAllclose(xs.map(Math.expm1), { rtol: 1e-6 });
  });

  it('log1p and expm1 keep precision near zero', () => {
    expect(k.log1p(f64([1e-20])).item()).toBe(1e-20);
    expect(k.expm1(f64([1e-20])).item()).toBe(1e-20);
  });

  it('log at the edges: log(0) = -inf, log(-1) = nan', () => {
    expect(k.log(f32([0, -1]))).toBeAllclose([-Infinity, NaN], { equalNan: true });
  });

  it('sqrt and rsqrt', () => {
    expect(k.sqrt(f32([0, 1, 4, 2]))).toBeAllclose([0, 1, 2, Math.SQRT2], { rtol: 1e-7 });
    expect(k.rsqrt(f32([4, 0.25, 2]))).toBeAllclose([0.5, 2, Math.SQRT1_2], { rtol: 1e-7 });
    expect(k.sqrt(f32([-1]))).toBeAllclose([NaN], { equalNan: true });
  });

  it('sin, cos, tanh', () => {
    const t = [0, Math.PI / 6, Math.PI / 2, Math.PI, -1];
    expect(k.sin(f64(t))).toBeAllclose([0, 0.5, 1, 0, -Math.sin(1)], { atol: 1e-15 });
    expect(k.cos(f64(t))).toBeAllclose([1, Math.sqrt(3) / 2, 0, -1, Math.cos(1)], { atol: 1e-15 });
    expect(k.tanh(f32([0, 1, -1, 100, -100]))).toBeAllclose([0, Math.tanh(1), -Math.tanh(1), 1, -1], { rtol: 1e-6 });
  });

  it('sigmoid = 1 / (1 + exp(-x)), saturating without overflow', () => {
    expect(k.sigmoid(f32([0, 1, -1]))).toBeAllclose([0.5, 1 / (1 + Math.exp(-1)), 1 / (1 + Math.E)], { rtol: 1e-6 });
    expect(k.sigmoid(f32([-1000, 1000])).toArray()).toEqual([0, 1]);
  });

  it('transcendentals of integers compute in f32', () => {
    for (const f of [k.exp, k.log, k.log1p, k.expm1, k.sqrt, k.rsqrt, k.sin, k.cos, k.tanh, k.sigmoid]) {
      expect(f(i32([1, 2])).dtype).toBe('f32');
    }
    expect(k.sqrt(i32([4, 9])).toArray()).toEqual([2, 3]);
    expect(k.exp(f64([1])).dtype).toBe('f64');
  });

  it('floor, ceil and round (half to even, as NumPy)', () => {
    expect(k.floor(f32([-1.5, 1.5, 2])).toArray()).toEqual([-2, 1, 2]);
    expect(k.ceil(f32([-1.5, 1.5, 2])).toArray()).toEqual([-1, 2, 2]);
    // NumPy: np.round([0.5, 1.5, 2.5, -0.5, -2.5, 2.6]) is [0, 2, 2, -0, -2, 3]
    expect(k.round(f32([0.5, 1.5, 2.5, -0.5, -2.5, 2.6])).toArray()).toEqual([0, 2, 2, -0, -2, 3]);
  });

  it('rounding is the identity on integers', () => {
    for (const f of [k.floor, k.ceil, k.round]) {
      const r = f(i32([-3, 4]));
      expect(r.dtype).toBe('i32');
      expect(r.toArray()).toEqual([-3, 4]);
    }
  });

  it('relu = max(x, 0), keeping the dtype', () => {
    expect(k.relu(f32([-2, 0, 3])).toArray()).toEqual([0, 0, 3]);
    const r = k.relu(i32([-2, 5]));
    expect(r.dtype).toBe('i32');
    expect(r.toArray()).toEqual([0, 5]);
  });

  it('clip to [lo, hi], either bound optional', () => {
    expect(k.clip(f32([1, 5, 10]), 2, 8).toArray()).toEqual([2, 5, 8]);
    expect(k.clip(f32([1, 5]), 3).toArray()).toEqual([3, 5]);
    expect(k.clip(f32([1, 5]), undefined, 3).toArray()).toEqual([1, 3]);
    expect(k.clip(f32([1, 5])).toArray()).toEqual([1, 5]);
    expect(k.clip(i32([0, 9]), 1, 5).dtype).toBe('i32');
    expect(k.clip(f32([[1, 5], [7, 0]]), f32([2, 3]), f32([4, 6])).toArray()).toEqual([[2, 5], [4, 3]]);
  });
});

describe('comparisons and logic give bool', () => {
  const a = f32([1, 2, 3]), b = f32([3, 2, 1]);

  it('equal, notEqual, less, lessEqual, greater, greaterEqual', () => {
    const cases: [(x: k.TensorLike, y: k.TensorLike) => k.Tensor, boolean[]][] = [
      [k.equal, [false, true, false]],
      [k.notEqual, [true, false, true]],
      [k.less, [true, false, false]],
      [k.lessEqual, [true, true, false]],
      [k.greater, [false, false, true]],
      [k.greaterEqual, [false, true, true]],
    ];
    for (const [f, want] of cases) {
      const r = f(a, b);
      expect(r.dtype).toBe('bool');
      expect(r.toArray()).toEqual(want);
    }
  });

  it('NaN compares unequal to everything, itself included', () => {
    const n = f32([NaN]);
    expect(k.equal(n, n).toArray()).toEqual([false]);
    expect(k.notEqual(n, n).toArray()).toEqual([true]);
    expect(k.less(n, 0).toArray()).toEqual([false]);
    expect(k.greaterEqual(n, 0).toArray()).toEqual([false]);
  });

  it('comparisons of mixed dtypes compare the promoted values', () => {
    // 1 < 1.5 and 2 > 1.5: the i32 tensor is promoted to f32 by the weak float
    expect(k.less(i32([1, 2]), 1.5).toArray()).toEqual([true, false]);
    expect(k.equal(i32([1, 2]), 1.5).toArray()).toEqual([false, false]);
    expect(k.equal(k.array([true, false]), 1).toArray()).toEqual([true, false]);
    expect(k.equal(i32([1]), f32([1])).toArray()).toEqual([true]);
  });

  it('logicalAnd, logicalOr, logicalNot treat nonzero as true', () => {
    const x = f32([1, 0, 2, 0]), y = f32([1, 1, 0, 0]);
    expect(k.logicalAnd(x, y).toArray()).toEqual([true, false, false, false]);
    expect(k.logicalOr(x, y).toArray()).toEqual([true, true, true, false]);
    expect(k.logicalNot(x).toArray()).toEqual([false, true, false, true]);
    expect(k.logicalNot(x).dtype).toBe('bool');
    expect(k.logicalAnd(true, false).toArray()).toEqual(false);
    expect(k.logicalOr(k.array([true, false]), false).toArray()).toEqual([true, false]);
  });

  it('isFinite and isNaN', () => {
    const x = f32([1, Infinity, NaN, -Infinity, -0]);
    expect(k.isFinite(x).toArray()).toEqual([true, false, false, false, true]);
    expect(k.isNaN(x).toArray()).toEqual([false, false, true, false, false]);
    expect(k.isFinite(i32([1, 2])).toArray()).toEqual([true, true]);
    expect(k.isNaN(i32([[1, 2]])).toArray()).toEqual([[false, false]]);
    expect(k.isNaN(i32([[1, 2]])).dtype).toBe('bool');
  });
});

describe('where', () => {
  it('picks a where cond is true, else b', () => {
    const r = k.where(k.array([true, false, true]), f32([1, 2, 3]), f32([10, 20, 30]));
    expect(r.toArray()).toEqual([1, 20, 3]);
  });

  it('broadcasts all three operands', () => {
    const r = k.where(k.array([[true], [false]]), f32([1, 2, 3]), 0);
    expect(r.shape).toEqual([2, 3]);
    expect(r.toArray()).toEqual([[1, 2, 3], [0, 0, 0]]);
  });

  it('a non-bool condition means nonzero', () => {
    expect(k.where(f32([0, 2]), 1, 2).toArray()).toEqual([2, 1]);
  });

  it('promotes the branches; weak numbers keep the tensor dtype', () => {
    expect(k.where(k.array([true, false]), i32([1, 2]), 0).dtype).toBe('i32');
    expect(k.where(k.array([true, false]), i32([1, 2]), 0.5).dtype).toBe('f32');
    expect(k.where(k.array([true, false]), f64([1, 2]), 0.5).dtype).toBe('f64');
    expect(k.where(k.array([true, false]), 1, 2).dtype).toBe('i32');
  });

  it('rejects shapes that do not broadcast', () => {
    expect(() => k.where(k.array([true, false]), f32([1, 2, 3]), 0)).toThrow(k.ShapeError);
  });
});

describe('astype', () => {
  it('float to int truncates toward zero; NaN gives 0', () => {
    const r = f32([1.7, -1.7, NaN, 0.2]).astype('i32');
    expect(r.dtype).toBe('i32');
    expect(r.toArray()).toEqual([1, -1, 0, 0]);
  });

  it('to bool is x != 0 (NaN is true)', () => {
    expect(f32([0, 2, -0.5, NaN, -0]).astype('bool').toArray()).toEqual([false, true, true, true, false]);
  });

  it('bool to numbers gives 0/1', () => {
    expect(k.array([true, false]).astype('f32').toArray()).toEqual([1, 0]);
    expect(k.array([true, false]).astype('i32').toArray()).toEqual([1, 0]);
  });

  it('f32 to f64 keeps the f32 value; f64 to f32 rounds; f16 rounds to half precision', () => {
    expect(f32([0.1]).astype('f64').item()).toBe(Math.fround(0.1));
    expect(f64([0.1]).astype('f32').item()).toBe(Math.fround(0.1));
    // f16(0.1) = 1638 * 2^-14 (10 fraction bits: 0.1 = 1.6 * 2^-4, 1.6 * 1024 = 1638.4 -> 1638)
    expect(f32([0.1]).astype('f16').item()).toBe(1638 * 2 ** -14);
    expect(f32([0.1]).astype('f16').dtype).toBe('f16');
  });

  it('the same dtype returns the same tensor; k.astype takes JS numbers', () => {
    const x = f32([1]);
    expect(x.astype('f32')).toBe(x);
    const r = k.astype(3.9, 'i32');
    expect(r.dtype).toBe('i32');
    expect(r.item()).toBe(3);
    expect(k.astype(k.array([1, 0]), 'bool').toArray()).toEqual([true, false]);
  });
});

describe('dtype promotion', () => {
  const t = (d: k.DType) => k.array([1], { dtype: d });

  it('tensor with tensor follows the lattice bool < i32 < f16/bf16 < f32 < f64', () => {
    const table: [k.DType, k.DType, k.DType][] = [
      ['i32', 'f32', 'f32'],
      ['f32', 'i32', 'f32'],
      ['i32', 'f64', 'f64'],
      ['f32', 'f64', 'f64'],
      ['bool', 'i32', 'i32'],
      ['bool', 'f32', 'f32'],
      ['i32', 'f16', 'f16'],
      ['f16', 'f32', 'f32'],
      ['f16', 'bf16', 'f32'],
      ['bf16', 'f16', 'f32'],
      ['i32', 'i32', 'i32'],
    ];
    for (const [a, b, want] of table) {
      expect(k.add(t(a), t(b)).dtype, `${a} + ${b}`).toBe(want);
      expect(k.mul(t(b), t(a)).dtype, `${b} * ${a}`).toBe(want);
    }
  });

  it('i32 + f32 converts the integers: values are exact', () => {
    const r = k.add(i32([1, 2]), f32([0.5, 0.25]));
    expect(r.dtype).toBe('f32');
    expect(r.toArray()).toEqual([1.5, 2.25]);
  });

  it('weak JS numbers keep the tensor dtype', () => {
    expect(k.add(i32([1]), 2).dtype).toBe('i32');
    expect(k.add(f64([1]), 2).dtype).toBe('f64');
    expect(k.add(t('f16'), 1.5).dtype).toBe('f16');
    expect(k.add(t('bf16'), 1).dtype).toBe('bf16');
    expect(k.mul(f64([1]), 0.1).item()).toBe(0.1); // the weak 0.1 is not rounded to f32 first
    expect(k.mul(2, f32([3])).dtype).toBe('f32');
  });

  it('a weak number only raises the kind: float promotes ints and bools to f32, int promotes bool to i32', () => {
    const r = k.add(i32([1, 2]), 1.5);
    expect(r.dtype).toBe('f32');
    expect(r.toArray()).toEqual([2.5, 3.5]);
    const s = k.add(k.array([true, false]), 1);
    expect(s.dtype).toBe('i32');
    expect(s.toArray()).toEqual([2, 1]);
    expect(k.mul(k.array([true, false]), 2.5).toArray()).toEqual([2.5, 0]);
  });

  it('two weak numbers: integers give i32, otherwise f32', () => {
    expect(k.add(2, 3).dtype).toBe('i32');
    expect(k.add(2, 3).item()).toBe(5);
    expect(k.add(2, 0.5).dtype).toBe('f32');
  });

  it('nested JS arrays are not weak: they are f32 tensors', () => {
    expect(k.add(i32([1, 2]), [1, 2]).dtype).toBe('f32');
  });
});

describe('broadcasting', () => {
  it('scalars, trailing axes and size-1 axes stretch', () => {
    const col = f32([[1], [2]]);
    const row = f32([10, 20, 30]);
    const r = k.add(col, row);
    expect(r.shape).toEqual([2, 3]);
    expect(r.toArray()).toEqual([[11, 21, 31], [12, 22, 32]]);
    expect(k.mul(f32([[1, 2], [3, 4]]), 2).toArray()).toEqual([[2, 4], [6, 8]]);
    expect(k.sub(k.array(1), f32([[1, 2]])).shape).toEqual([1, 2]);
    expect(k.add(k.zeros([2, 1, 3]), k.zeros([4, 1])).shape).toEqual([2, 4, 3]);
  });

  it('size-0 axes broadcast with size-1 axes', () => {
    expect(k.add(k.zeros([0, 1]), k.zeros([1, 3])).shape).toEqual([0, 3]);
  });

  it('incompatible shapes throw a ShapeError naming the op and the shapes', () => {
    expect(() => k.add(f32([1, 2]), f32([1, 2, 3]))).toThrow(k.ShapeError);
    expect(() => k.mul(k.zeros([2, 3]), k.zeros([3, 2]))).toThrow(/mul.*\[2, 3\].*\[3, 2\]/);
    expect(() => k.maximum(k.zeros([4]), k.zeros([2, 3]))).toThrow(k.ShapeError);
    expect(() => k.less(k.zeros([4]), k.zeros([5]))).toThrow(k.ShapeError);
  });

  it('broadcastShapes computes the NumPy broadcast shape', () => {
    expect(k.broadcastShapes('op', [2, 1], [3], [1, 1, 1])).toEqual([1, 2, 3]);
    expect(k.broadcastShapes('op', [], [4])).toEqual([4]);
    expect(k.broadcastShapes('op')).toEqual([]);
    expect(k.broadcastShapes('op', [5, 1, 4], [3, 1])).toEqual([5, 3, 4]);
    expect(() => k.broadcastShapes('myop', [2], [3])).toThrow(/myop/);
  });
});

describe('Tensor methods match the functions', () => {
  it('binary and unary methods', () => {
    const x = f32([1, -2, 3]), y = f32([2, 2, 2]);
    const pairs: [k.Tensor, k.Tensor][] = [
      [x.add(y), k.add(x, y)],
      [x.sub(y), k.sub(x, y)],
      [x.mul(y), k.mul(x, y)],
      [x.div(y), k.div(x, y)],
      [x.pow(y), k.pow(x, y)],
      [x.maximum(y), k.maximum(x, y)],
      [x.minimum(y), k.minimum(x, y)],
      [x.neg(), k.neg(x)],
      [x.abs(), k.abs(x)],
      [x.sign(), k.sign(x)],
      [x.exp(), k.exp(x)],
      [x.abs().log(), k.log(k.abs(x))],
      [x.abs().log1p(), k.log1p(k.abs(x))],
      [x.expm1(), k.expm1(x)],
      [x.abs().sqrt(), k.sqrt(k.abs(x))],
      [x.abs().rsqrt(), k.rsqrt(k.abs(x))],
      [x.sin(), k.sin(x)],
      [x.cos(), k.cos(x)],
      [x.tanh(), k.tanh(x)],
      [x.sigmoid(), k.sigmoid(x)],
      [x.relu(), k.relu(x)],
      [x.div(2).floor(), k.floor(k.div(x, 2))],
      [x.div(2).ceil(), k.ceil(k.div(x, 2))],
      [x.div(2).round(), k.round(k.div(x, 2))],
      [x.clip(0, 2), k.clip(x, 0, 2)],
      [x.equal(y), k.equal(x, y)],
      [x.notEqual(y), k.notEqual(x, y)],
      [x.less(y), k.less(x, y)],
      [x.lessEqual(y), k.lessEqual(x, y)],
      [x.greater(y), k.greater(x, y)],
      [x.greaterEqual(y), k.greaterEqual(x, y)],
      [x.logicalAnd(y), k.logicalAnd(x, y)],
      [x.logicalOr(y), k.logicalOr(x, y)],
      [x.logicalNot(), k.logicalNot(x)],
    ];
    for (const [m, f] of pairs) {
      expect(m.dtype).toBe(f.dtype);
      expect(m).toBeAllclose(f, { rtol: 0, atol: 0, equalNan: true });
    }
  });
});
