// Array creation: array (nested arrays, typed arrays, scalars, dtype inference), full, zeros,
// ones, *Like, arange, linspace, eye, iota. Expected values are closed forms or worked out by
// hand (NumPy 2.4 agrees with every one checked against it).
import { describe, expect, it } from 'vitest';
import * as k from 'kiln';

describe('array', () => {
  it('builds from nested arrays, inferring the shape; numbers default to f32', () => {
    const x = k.array([[1, 2, 3], [4, 5, 6]]);
    expect(x.shape).toEqual([2, 3]);
    expect(x.dtype).toBe('f32');
    expect(x.toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);
  });

  it('booleans infer bool', () => {
    const x = k.array([[true], [false]]);
    expect(x.dtype).toBe('bool');
    expect(x.shape).toEqual([2, 1]);
    expect(x.toArray()).toEqual([[true], [false]]);
  });

  it('a JS number gives a 0-d array', () => {
    const x = k.array(2.5);
    expect(x.shape).toEqual([]);
    expect(x.ndim).toBe(0);
    expect(x.dtype).toBe('f32');
    expect(x.item()).toBe(2.5);
    expect(k.array(true).dtype).toBe('bool');
  });

  it('an empty list is f32[0]', () => {
    const x = k.array([]);
    expect(x.shape).toEqual([0]);
    expect(x.dtype).toBe('f32');
    expect(x.size).toBe(0);
  });

  it('an explicit dtype converts the values', () => {
    const x = k.array([1.7, -1.7, 3], { dtype: 'i32' });
    expect(x.dtype).toBe('i32');
    expect(x.toArray()).toEqual([1, -1, 3]); // truncation toward zero
    const y = k.array([0.1], { dtype: 'f64' });
    expect(y.item()).toBe(0.1);
    // f32 keeps the nearest single: Math.fround(0.1)
    expect(k.array([0.1]).item()).toBe(Math.fround(0.1));
  });

  it('typed arrays infer the dtype from their class', () => {
    expect(k.array(new Float32Array([1, 2])).dtype).toBe('f32');
    expect(k.array(new Float64Array([1, 2])).dtype).toBe('f64');
    expect(k.array(new Int32Array([1, 2])).dtype).toBe('i32');
    const b = k.array(new Uint8Array([0, 1, 2]));
    expect(b.dtype).toBe('bool');
    expect(b.toArray()).toEqual([false, true, true]);
  });

  it('typed arrays take an optional shape', () => {
    const x = k.array(new Float64Array([1, 2, 3, 4, 5, 6]), { shape: [3, 2] });
    expect(x.shape).toEqual([3, 2]);
    expect(x.toArray()).toEqual([[1, 2], [3, 4], [5, 6]]);
    expect(k.array(new Int32Array([1, 2, 3])).shape).toEqual([3]);
  });

  it('a nested array with a shape is reshaped', () => {
    expect(k.array([1, 2, 3, 4], { shape: [2, 2] }).toArray()).toEqual([[1, 2], [3, 4]]);
    expect(() => k.array([1, 2, 3], { shape: [2, 2] })).toThrow(k.ShapeError);
    expect(() => k.array(new Float32Array(3), { shape: [2, 2] })).toThrow(k.ShapeError);
  });

  it('copies its input: later writes to the source do not show', () => {
    const src = new Float32Array([1, 2, 3]);
    const x = k.array(src);
    src[0] = 100;
    expect(x.toArray()).toEqual([1, 2, 3]);
    const nested = [1, 2];
    const y = k.array(nested);
    nested[0] = 100;
    expect(y.toArray()).toEqual([1, 2]);
  });

  it('dtype inference considers every element, not just the first', () => {
    const x = k.array([true, 2]);
    expect(x.dtype).not.toBe('bool');
    expect(x.toArray()).toEqual([1, 2]);
  });

  it('rejects ragged nesting with a ShapeError', () => {
    expect(() => k.array([[1], [2, 3]])).toThrow(k.ShapeError);
    expect(() => k.array([[1, 2], 3] as never)).toThrow(/ragged/);
  });

  // NumPy: np.array([nan, 0, 2], dtype=bool) is [True, False, True].
  it('NaN converts to true in a bool array, as astype and NumPy do', () => {
    expect(k.array([NaN, 0, 2], { dtype: 'bool' }).toArray()).toEqual([true, false, true]);
  });

  it('a f16 or bf16 dtype rounds the values to that format', () => {
    expect(k.array([0.1], { dtype: 'f16' }).item()).toBe(0.0999755859375);
    expect(k.array([1 + 2 ** -8], { dtype: 'bf16' }).item()).toBe(1);
  });

  // One conversion rule for array(), astype/convert and full(): out-of-range values saturate.
  it('array() converts to i32 like astype does (clamping out-of-range values)', () => {
    const viaAstype = k.array([3e9, -3e9], { dtype: 'f64' }).astype('i32').toArray();
    expect(viaAstype).toEqual([2147483647, -2147483648]);
    expect(k.array([3e9, -3e9], { dtype: 'i32' }).toArray()).toEqual(viaAstype);
  });
});

describe('full, zeros, ones and the *Like variants', () => {
  it('full fills with a value; f32 by default, bool for booleans', () => {
    const x = k.full([2, 3], 7);
    expect(x.shape).toEqual([2, 3]);
    expect(x.dtype).toBe('f32');
    expect(x).toBeAllclose([[7, 7, 7], [7, 7, 7]]);
    const b = k.full([2], true);
    expect(b.dtype).toBe('bool');
    expect(b.toArray()).toEqual([true, true]);
    expect(k.full([2], 2.9, 'i32').toArray()).toEqual([2, 2]);
    expect(k.full([], 3).shape).toEqual([]);
  });

  it('zeros and ones, with and without dtype', () => {
    expect(k.zeros([2]).toArray()).toEqual([0, 0]);
    expect(k.zeros([2]).dtype).toBe('f32');
    expect(k.ones([2, 1], 'i32').toArray()).toEqual([[1], [1]]);
    expect(k.ones([2, 1], 'i32').dtype).toBe('i32');
    expect(k.zeros([3, 0]).shape).toEqual([3, 0]);
    expect(k.ones([1], 'bool').toArray()).toEqual([true]);
  });

  it('rejects negative or fractional dimensions', () => {
    expect(() => k.zeros([-1])).toThrow(k.ShapeError);
    expect(() => k.ones([1.5])).toThrow(k.ShapeError);
  });

  it('zerosLike / onesLike / fullLike copy shape and dtype, or take a new dtype', () => {
    const x = k.array([[1, 2, 3]], { dtype: 'i32' });
    const z = k.zerosLike(x);
    expect(z.shape).toEqual([1, 3]);
    expect(z.dtype).toBe('i32');
    expect(z.toArray()).toEqual([[0, 0, 0]]);
    const o = k.onesLike(x, 'f64');
    expect(o.dtype).toBe('f64');
    expect(o.toArray()).toEqual([[1, 1, 1]]);
    const f = k.fullLike(x, 9);
    expect(f.dtype).toBe('i32');
    expect(f.toArray()).toEqual([[9, 9, 9]]);
    expect(k.fullLike(x, 0.5, 'f32').toArray()).toEqual([[0.5, 0.5, 0.5]]);
  });
});

describe('arange', () => {
  it('arange(stop), arange(start, stop), arange(start, stop, step) with integers give i32', () => {
    expect(k.arange(5).toArray()).toEqual([0, 1, 2, 3, 4]);
    expect(k.arange(5).dtype).toBe('i32');
    expect(k.arange(2, 6).toArray()).toEqual([2, 3, 4, 5]);
    expect(k.arange(1, 10, 3).toArray()).toEqual([1, 4, 7]);
    expect(k.arange(5, 0, -2).toArray()).toEqual([5, 3, 1]);
  });

  it('empty ranges', () => {
    expect(k.arange(0).shape).toEqual([0]);
    expect(k.arange(-3).shape).toEqual([0]);
    expect(k.arange(3, 1).shape).toEqual([0]);
    expect(k.arange(1, 3, -1).shape).toEqual([0]);
  });

  it('float steps give f32 and ceil((stop - start) / step) elements', () => {
    const x = k.arange(0, 1, 0.25);
    expect(x.dtype).toBe('f32');
    expect(x.toArray()).toEqual([0, 0.25, 0.5, 0.75]);
    // ceil(0.3 / 0.1) = ceil(2.9999999999999996) = 3 (NumPy: [0, 0.1, 0.2])
    expect(k.arange(0, 0.3, 0.1)).toBeAllclose([0, 0.1, 0.2]);
    // ceil(5 / 1.5) = 4
    expect(k.arange(5, 0, -1.5)).toBeAllclose([5, 3.5, 2, 0.5]);
    expect(k.arange(0.5, 3)).toBeAllclose([0.5, 1.5, 2.5]);
  });

  it('takes a dtype', () => {
    const x = k.arange(3, { dtype: 'f64' });
    expect(x.dtype).toBe('f64');
    expect(x.toArray()).toEqual([0, 1, 2]);
    const y = k.arange(1, 3, 1, { dtype: 'f32' });
    expect(y.dtype).toBe('f32');
    expect(y.toArray()).toEqual([1, 2]);
  });

  it('rejects a zero step', () => {
    expect(() => k.arange(0, 1, 0)).toThrow(k.ShapeError);
  });
});

describe('linspace', () => {
  it('includes the endpoint by default', () => {
    const x = k.linspace(0, 1, 5);
    expect(x.dtype).toBe('f32');
    expect(x.toArray()).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(k.linspace(1, 0, 3).toArray()).toEqual([1, 0.5, 0]);
  });

  it('endpoint: false divides into num steps and stops short', () => {
    expect(k.linspace(0, 1, 4, { endpoint: false }).toArray()).toEqual([0, 0.25, 0.5, 0.75]);
    expect(k.linspace(2, 3, 1, { endpoint: false }).toArray()).toEqual([2]);
  });

  it('i / (num - 1) spacing for other counts; the last value is stop exactly', () => {
    const x = k.linspace(0, 1, 7, { dtype: 'f64' });
    expect(x).toBeAllclose([0, 1 / 6, 2 / 6, 3 / 6, 4 / 6, 5 / 6, 1], { rtol: 1e-15 });
    const y = k.linspace(-1, 0.3, 11);
    expect(y).toBeAllclose(Array.from({ length: 11 }, (_, i) => -1 + (1.3 * i) / 10), { rtol: 1e-6, atol: 1e-7 });
    expect((y.toArray() as number[])[10]).toBe(Math.fround(0.3));
  });

  it('num = 0 and num = 1', () => {
    expect(k.linspace(2, 3, 0).shape).toEqual([0]);
    expect(k.linspace(2, 3, 1).toArray()).toEqual([2]);
  });

  it('a dtype converts the result (i32 truncates)', () => {
    // NumPy: np.linspace(0, 10, 4, dtype=np.int32) is [0, 3, 6, 10]
    const x = k.linspace(0, 10, 4, { dtype: 'i32' });
    expect(x.dtype).toBe('i32');
    expect(x.toArray()).toEqual([0, 3, 6, 10]);
  });

  it('rejects a negative or fractional count', () => {
    expect(() => k.linspace(0, 1, -1)).toThrow(k.ShapeError);
    expect(() => k.linspace(0, 1, 2.5)).toThrow(k.ShapeError);
  });
});

describe('eye', () => {
  it('the identity, f32 by default', () => {
    const x = k.eye(3);
    expect(x.dtype).toBe('f32');
    expect(x.toArray()).toEqual([[1, 0, 0], [0, 1, 0], [0, 0, 1]]);
  });

  it('rectangular, with a k offset above or below the diagonal', () => {
    expect(k.eye(3, 4, { k: 1 }).toArray()).toEqual([
      [0, 1, 0, 0],
      [0, 0, 1, 0],
      [0, 0, 0, 1],
    ]);
    expect(k.eye(3, undefined, { k: -1 }).toArray()).toEqual([
      [0, 0, 0],
      [1, 0, 0],
      [0, 1, 0],
    ]);
    expect(k.eye(2, 2, { k: 5 }).toArray()).toEqual([[0, 0], [0, 0]]);
  });

  it('takes a dtype', () => {
    const x = k.eye(2, 3, { dtype: 'i32', k: -1 });
    expect(x.dtype).toBe('i32');
    expect(x.toArray()).toEqual([[0, 0, 0], [1, 0, 0]]);
    expect(k.eye(2, 2, { dtype: 'bool' }).toArray()).toEqual([[true, false], [false, true]]);
  });
});

describe('iota', () => {
  it('counts along dim and repeats along the others', () => {
    expect(k.iota([4]).toArray()).toEqual([0, 1, 2, 3]);
    expect(k.iota([4]).dtype).toBe('i32');
    expect(k.iota([2, 3], 'i32', 1).toArray()).toEqual([[0, 1, 2], [0, 1, 2]]);
    expect(k.iota([2, 3], 'f32', 0).toArray()).toEqual([[0, 0, 0], [1, 1, 1]]);
    expect(k.iota([2, 3], 'f32').dtype).toBe('f32');
  });

  it('rejects bool and out-of-range dims', () => {
    expect(() => k.iota([2], 'bool')).toThrow(k.ShapeError);
    expect(() => k.iota([2], 'i32', 1)).toThrow(k.ShapeError);
  });
});
