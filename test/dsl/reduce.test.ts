// Reductions with axis / keepdims / negative axes, mean, var/std with ddof, logsumexp,
// argmax/argmin and cumsum. Values are small enough to work out by hand.
import { describe, expect, it } from 'vitest';
import * as k from 'kiln';

// [[1, 2, 3],
//  [4, 5, 6]]
const x = k.array([[1, 2, 3], [4, 5, 6]]);
const xi = k.array([[1, 2, 3], [4, 5, 6]], { dtype: 'i32' });

describe('sum, max, min, prod', () => {
  it('over all axes by default, giving a 0-d array', () => {
    const s = k.sum(x);
    expect(s.shape).toEqual([]);
    expect(s.item()).toBe(21);
    expect(k.max(x).item()).toBe(6);
    expect(k.min(x).item()).toBe(1);
    expect(k.prod(x).item()).toBe(720);
  });

  it('over one axis, positive or negative', () => {
    expect(k.sum(x, { axis: 0 }).toArray()).toEqual([5, 7, 9]);
    expect(k.sum(x, { axis: 1 }).toArray()).toEqual([6, 15]);
    expect(k.sum(x, { axis: -1 }).toArray()).toEqual([6, 15]);
    expect(k.sum(x, { axis: -2 }).toArray()).toEqual([5, 7, 9]);
    expect(k.max(x, { axis: 0 }).toArray()).toEqual([4, 5, 6]);
    expect(k.min(x, { axis: -1 }).toArray()).toEqual([1, 4]);
    expect(k.prod(xi, { axis: 1 }).toArray()).toEqual([6, 120]);
  });

  it('over several axes', () => {
    const y = k.arange(24).reshape([2, 3, 4]);
    // sum over axes 0 and 2: for row j, sum_i sum_l (12 i + 4 j + l) = 2*(4*4j + 6) + 12*4 = 32 j + 60
    expect(k.sum(y, { axis: [0, 2] }).toArray()).toEqual([60, 92, 124]);
    expect(k.sum(y, { axis: [-1, 0] }).toArray()).toEqual([60, 92, 124]);
    expect(k.max(y, { axis: [1, 2] }).toArray()).toEqual([11, 23]);
    expect(k.sum(x, { axis: [0, 1] }).item()).toBe(21);
  });

  it('keepdims keeps reduced axes as size 1', () => {
    const s = k.sum(x, { axis: -1, keepdims: true });
    expect(s.shape).toEqual([2, 1]);
    expect(s.toArray()).toEqual([[6], [15]]);
    expect(k.sum(x, { keepdims: true }).shape).toEqual([1, 1]);
    expect(k.max(k.zeros([2, 3, 4]), { axis: [0, 2], keepdims: true }).shape).toEqual([1, 3, 1]);
    expect(k.min(x, { axis: 0, keepdims: true }).toArray()).toEqual([[1, 2, 3]]);
  });

  it('dtypes: sums keep the dtype; bool sums and products count as i32; bool max/min are any/all', () => {
    expect(k.sum(xi).dtype).toBe('i32');
    const b = k.array([true, false, true]);
    expect(k.sum(b).dtype).toBe('i32');
    expect(k.sum(b).item()).toBe(2);
    expect(k.prod(b).item()).toBe(0);
    expect(k.max(b).dtype).toBe('bool');
    expect(k.max(b).toArray()).toBe(true);
    expect(k.min(b).toArray()).toBe(false);
  });

  it('an empty axis list reduces nothing; a 0-d array reduces to itself', () => {
    expect(k.sum(x, { axis: [] }).toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);
    expect(k.sum(k.array(5)).item()).toBe(5);
  });

  it('empty sums are 0 and empty products 1', () => {
    expect(k.sum(k.zeros([0, 3]), { axis: 0 }).toArray()).toEqual([0, 0, 0]);
    expect(k.prod(k.zeros([2, 0]), { axis: 1 }).toArray()).toEqual([1, 1]);
  });

  it('max and min propagate NaN', () => {
    expect(k.max(k.array([1, NaN, 3]))).toBeAllclose(NaN, { equalNan: true });
    expect(k.min(k.array([1, NaN, 3]))).toBeAllclose(NaN, { equalNan: true });
  });

  it('rejects out-of-range and repeated axes', () => {
    expect(() => k.sum(x, { axis: 2 })).toThrow(k.ShapeError);
    expect(() => k.sum(x, { axis: -3 })).toThrow(k.ShapeError);
    expect(() => k.max(x, { axis: [0, -2] })).toThrow(/repeated/);
  });

  it('method forms', () => {
    expect(x.sum({ axis: 0 }).toArray()).toEqual([5, 7, 9]);
    expect(x.max().item()).toBe(6);
    expect(x.min({ axis: 1 }).toArray()).toEqual([1, 4]);
    expect(xi.prod().item()).toBe(720);
  });
});

describe('mean', () => {
  it('of floats, over all or some axes', () => {
    expect(k.mean(x).item()).toBe(3.5);
    expect(k.mean(x, { axis: 0 }).toArray()).toEqual([2.5, 3.5, 4.5]);
    expect(k.mean(x, { axis: -1, keepdims: true }).toArray()).toEqual([[2], [5]]);
    expect(k.mean(x, { keepdims: true }).toArray()).toEqual([[3.5]]);
  });

  it('of integers is f32 (not integer division)', () => {
    const m = k.mean(xi, { axis: 0 });
    expect(m.dtype).toBe('f32');
    expect(m.toArray()).toEqual([2.5, 3.5, 4.5]);
    expect(k.mean(k.array([1, 2], { dtype: 'i32' })).item()).toBe(1.5);
    expect(k.mean(k.array([true, false, false, false])).item()).toBe(0.25);
  });

  it('of f64 stays f64', () => {
    expect(k.mean(k.array([0.1, 0.2], { dtype: 'f64' })).dtype).toBe('f64');
    expect(k.mean(k.array([1, 2], { dtype: 'f64' })).item()).toBe(1.5);
  });

  it('of an empty array is NaN', () => {
    expect(k.mean(k.zeros([0]))).toBeAllclose(NaN, { equalNan: true });
  });
});

describe('var and std', () => {
  it('population variance by default (ddof = 0)', () => {
    // mean 3.5; squared deviations 6.25, 2.25, 0.25, 0.25, 2.25, 6.25 sum to 17.5; 17.5 / 6
    expect(k.var(x)).toBeAllclose(17.5 / 6, { rtol: 1e-6 });
    expect(k.std(x)).toBeAllclose(Math.sqrt(17.5 / 6), { rtol: 1e-6 });
  });

  it('ddof = 1 divides by n - 1', () => {
    expect(k.var(x, { ddof: 1 })).toBeAllclose(3.5, { rtol: 1e-6 });
    // columns [1, 4], [2, 5], [3, 6]: deviations ±1.5, (2.25 + 2.25) / 1 = 4.5
    expect(k.std(x, { axis: 0, ddof: 1 })).toBeAllclose([Math.sqrt(4.5), Math.sqrt(4.5), Math.sqrt(4.5)], { rtol: 1e-6 });
  });

  it('along an axis, with keepdims', () => {
    const v = k.var(x, { axis: 1, keepdims: true });
    expect(v.shape).toEqual([2, 1]);
    // rows [1, 2, 3] and [4, 5, 6]: (1 + 0 + 1) / 3
    expect(v).toBeAllclose([[2 / 3], [2 / 3]], { rtol: 1e-6 });
    expect(k.std(x, { axis: -1 }).shape).toEqual([2]);
  });

  it('of integers is f32; of f64 is f64', () => {
    const v = k.var(k.array([1, 2, 3, 4], { dtype: 'i32' }));
    expect(v.dtype).toBe('f32');
    expect(v.item()).toBe(1.25);
    expect(k.var(k.array([1, 2, 3, 4], { dtype: 'f64' })).dtype).toBe('f64');
    expect(k.std(k.array([2, 4, 4, 4, 5, 5, 7, 9], { dtype: 'f64' })).item()).toBe(2);
  });

  it('is not fooled by a large offset (two-pass)', () => {
    // var(1e4 + [1, 2, 3]) = 2/3 exactly in f64; a one-pass sum of squares would lose it
    expect(k.var(k.array([1e4 + 1, 1e4 + 2, 1e4 + 3]))).toBeAllclose(2 / 3, { rtol: 1e-5 });
  });

  it('method forms', () => {
    expect(x.var({ ddof: 1 })).toBeAllclose(3.5, { rtol: 1e-6 });
    expect(x.std({ axis: 0 })).toBeAllclose([1.5, 1.5, 1.5], { rtol: 1e-6 });
  });
});

describe('logsumexp', () => {
  it('equals log(sum(exp(x)))', () => {
    expect(k.logsumexp(k.array([1, 2, 3]))).toBeAllclose(Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3)), { rtol: 1e-6 });
    expect(k.logsumexp(k.array([[0, 0], [1, 1]]), { axis: 1 })).toBeAllclose([Math.LN2, 1 + Math.LN2], { rtol: 1e-6 });
  });

  it('is stable for large values: 1000 + log 2, not inf', () => {
    const r = k.logsumexp(k.array([1000, 1000]));
    expect(r).toBeAllclose(1000 + Math.LN2, { rtol: 1e-6 });
    expect(k.logsumexp(k.array([-1000, -1000]))).toBeAllclose(-1000 + Math.LN2, { rtol: 1e-6 });
  });

  it('an all -inf slice gives -inf, not NaN', () => {
    const r = k.logsumexp(k.array([[-Infinity, -Infinity], [0, 0]]), { axis: 1 });
    expect(r).toBeAllclose([-Infinity, Math.LN2], { rtol: 1e-6 });
  });

  it('+inf gives +inf; -inf entries contribute nothing', () => {
    expect(k.logsumexp(k.array([Infinity, 1])).item()).toBe(Infinity);
    expect(k.logsumexp(k.array([-Infinity, 1])).item()).toBe(1);
  });

  it('keepdims and negative axes', () => {
    const r = k.logsumexp(k.array([[1, 2], [3, 4]]), { axis: -2, keepdims: true });
    expect(r.shape).toEqual([1, 2]);
    expect(r).toBeAllclose([[Math.log(Math.exp(1) + Math.exp(3)), Math.log(Math.exp(2) + Math.exp(4))]], { rtol: 1e-6 });
    expect(k.logsumexp(k.array([[1, 2], [3, 4]]), { keepdims: true }).shape).toEqual([1, 1]);
    expect(k.logsumexp(k.array([[1, 2], [3, 4]])).shape).toEqual([]);
  });

  it('integers are reduced in f32', () => {
    const r = k.logsumexp(k.array([0, 0], { dtype: 'i32' }));
    expect(r.dtype).toBe('f32');
    expect(r).toBeAllclose(Math.LN2, { rtol: 1e-6 });
  });

  it('method form', () => {
    expect(k.array([0, 0]).logsumexp()).toBeAllclose(Math.LN2, { rtol: 1e-6 });
  });
});

describe('argmax and argmin', () => {
  it('over the flattened array by default, as i32', () => {
    const r = k.argmax(k.array([[1, 9], [9, 2]]));
    expect(r.dtype).toBe('i32');
    expect(r.shape).toEqual([]);
    expect(r.item()).toBe(1); // the first of the two 9s in row-major order
    expect(k.argmin(k.array([[3, 0], [0, 2]])).item()).toBe(1);
  });

  it('ties pick the first index', () => {
    expect(k.argmax(k.array([1, 3, 3, 2])).item()).toBe(1);
    expect(k.argmin(k.array([2, 0, 0, 5])).item()).toBe(1);
    expect(k.argmax(k.array([[5, 5], [1, 3]]), { axis: 1 }).toArray()).toEqual([0, 1]);
  });

  it('along an axis, negative axes included', () => {
    const y = k.array([[1, 3], [5, 5], [0, 9]]);
    expect(k.argmax(y, { axis: 0 }).toArray()).toEqual([1, 2]);
    expect(k.argmax(y, { axis: -1 }).toArray()).toEqual([1, 0, 1]);
    expect(k.argmin(y, { axis: 0 }).toArray()).toEqual([2, 0]);
    expect(k.argmin(y, { axis: -2 }).toArray()).toEqual([2, 0]);
  });

  it('keepdims with an axis keeps it as size 1', () => {
    const r = k.argmax(k.array([[1, 3], [5, 5]]), { axis: 1, keepdims: true });
    expect(r.shape).toEqual([2, 1]);
    expect(r.toArray()).toEqual([[1], [0]]);
  });

  it('keepdims without an axis keeps every axis as size 1', () => {
    const r = k.argmax(k.array([[1, 3], [5, 5]]), { keepdims: true });
    expect(r.shape).toEqual([1, 1]);
    expect(r.toArray()).toEqual([[2]]);
  });

  it('NaN counts as the extreme (the first NaN wins)', () => {
    expect(k.argmax(k.array([1, NaN, 3, NaN])).item()).toBe(1);
    expect(k.argmin(k.array([1, NaN, 0])).item()).toBe(1);
  });

  it('method forms', () => {
    expect(k.array([1, 3, 2]).argmax().item()).toBe(1);
    expect(k.array([[1, 3], [0, 4]]).argmin({ axis: 0 }).toArray()).toEqual([1, 0]);
  });
});

describe('cumsum', () => {
  it('over the flattened array by default', () => {
    expect(k.cumsum(k.array([[1, 2], [3, 4]])).toArray()).toEqual([1, 3, 6, 10]);
  });

  it('along an axis, negative included', () => {
    const y = k.array([[1, 2], [3, 4]]);
    expect(k.cumsum(y, 1).toArray()).toEqual([[1, 3], [3, 7]]);
    expect(k.cumsum(y, 0).toArray()).toEqual([[1, 2], [4, 6]]);
    expect(k.cumsum(y, -2).toArray()).toEqual([[1, 2], [4, 6]]);
    expect(y.cumsum(-1).toArray()).toEqual([[1, 3], [3, 7]]);
  });

  it('keeps i32; counts bools as i32', () => {
    const r = k.cumsum(k.array([1, 2, 3], { dtype: 'i32' }));
    expect(r.dtype).toBe('i32');
    expect(r.toArray()).toEqual([1, 3, 6]);
    const b = k.cumsum(k.array([true, true, false, true]));
    expect(b.dtype).toBe('i32');
    expect(b.toArray()).toEqual([1, 2, 2, 3]);
  });

  it('rejects an out-of-range axis', () => {
    expect(() => k.cumsum(k.zeros([2, 2]), 2)).toThrow(k.ShapeError);
  });
});

describe('all and any', () => {
  it('nonzero counts as true; along axes with keepdims', () => {
    const y = k.array([[1, 0], [2, 3]]);
    expect(k.all(y).toArray()).toBe(false);
    expect(k.any(y).toArray()).toBe(true);
    expect(k.all(y, { axis: 1 }).toArray()).toEqual([false, true]);
    expect(k.any(k.array([[1, 0], [0, 0]]), { axis: -1, keepdims: true }).toArray()).toEqual([[true], [false]]);
    expect(k.all(y, { axis: 0 }).dtype).toBe('bool');
  });

  it('method forms', () => {
    expect(k.array([1, 0]).all().toArray()).toBe(false);
    expect(k.array([[1, 0], [1, 1]]).any({ axis: 1 }).toArray()).toEqual([true, true]);
  });

  it('empty: all is true, any is false; NaN is true', () => {
    expect(k.all(k.zeros([0])).toArray()).toBe(true);
    expect(k.any(k.zeros([0])).toArray()).toBe(false);
    expect(k.all(k.array([NaN])).toArray()).toBe(true);
  });
});

describe('arrayEqual and allclose', () => {
  it('arrayEqual needs one shape and equal elements (NaN is never equal)', () => {
    expect(k.arrayEqual(k.array([1, 2]), [1, 2])).toBe(true);
    expect(k.arrayEqual(k.array([1, 2], { dtype: 'i32' }), k.array([1, 2]))).toBe(true);
    expect(k.arrayEqual(k.array([1, 2]), [1, 3])).toBe(false);
    expect(k.arrayEqual(k.array([1, 2]), [[1, 2]])).toBe(false);
    expect(k.arrayEqual(k.array([1, 1]), 1)).toBe(false);
    expect(k.arrayEqual(k.array([NaN]), [NaN])).toBe(false);
  });

  it("allclose uses NumPy's rule and broadcasts", () => {
    expect(k.allclose(k.array([1, 2]), [1, 2.00001])).toBe(true);
    expect(k.allclose(k.array([1, 2]), [1, 2.1])).toBe(false);
    expect(k.allclose(k.array([1, 2]), [1, 2.1], { rtol: 0.1 })).toBe(true);
    expect(k.allclose(k.array([0.5]), [0], { atol: 0.5 })).toBe(true);
    expect(k.allclose(k.array([[1, 1]]), 1)).toBe(true);
    expect(k.allclose(k.array([NaN]), [NaN])).toBe(false);
    expect(k.allclose(k.array([NaN]), [NaN], { equalNan: true })).toBe(true);
    expect(k.allclose(k.array([Infinity, -Infinity]), [Infinity, -Infinity])).toBe(true);
    expect(k.allclose(k.array([Infinity]), [1])).toBe(false);
    expect(() => k.allclose(k.array([1, 1]), [1, 1, 1])).toThrow(k.ShapeError);
  });

  it('allclose of opposite infinities is false', () => {
    expect(k.allclose(k.array([Infinity]), [-Infinity])).toBe(false);
  });
});
