// Reading tensors: shape, dtype, ndim, size, toArray, item, data (a copy), valueOf, and
// printing. Expected strings are NumPy 2.4's str() of the same arrays (np.float32 for f32,
// np.int32 for i32), copied from its output.
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import * as k from 'kiln';

describe('properties', () => {
  it('shape, dtype, ndim, size', () => {
    const x = k.zeros([2, 3, 4], 'i32');
    expect(x.shape).toEqual([2, 3, 4]);
    expect(x.dtype).toBe('i32');
    expect(x.ndim).toBe(3);
    expect(x.size).toBe(24);
    expect(x.aval).toEqual({ shape: [2, 3, 4], dtype: 'i32' });
    expect(x.isTraced).toBe(false);
    const s = k.array(1.5);
    expect([s.ndim, s.size]).toEqual([0, 1]);
    expect(k.zeros([3, 0]).size).toBe(0);
  });
});

describe('toArray, item, data, valueOf', () => {
  it('toArray gives nested arrays, booleans for bool, a bare value for 0-d', () => {
    expect(k.array([[1, 2], [3, 4]]).toArray()).toEqual([[1, 2], [3, 4]]);
    expect(k.array([true, false]).toArray()).toEqual([true, false]);
    expect(k.array(2.5).toArray()).toBe(2.5);
    expect(k.array(true).toArray()).toBe(true);
    expect(k.zeros([2, 0]).toArray()).toEqual([[], []]);
  });

  it('item reads the one element of a size-1 tensor of any rank', () => {
    expect(k.array(2.5).item()).toBe(2.5);
    expect(k.array([[7]], { dtype: 'i32' }).item()).toBe(7);
    expect(() => k.array([1, 2]).item()).toThrow(TypeError);
    expect(() => k.zeros([0]).item()).toThrow(/one element/);
  });

  // item() always returns a number (bool gives 0 or 1), so `x.item() > 0` type-checks for
  // every dtype; toArray() gives booleans for bool tensors.
  it('item of a bool tensor is 0 or 1', () => {
    expect(k.array(true).item()).toBe(1);
    expect(k.array([false]).item()).toBe(0);
  });

  it('data returns a typed array copy in row-major order', () => {
    const x = k.array([[1, 2], [3, 4]]);
    const d = x.data();
    expect(d).toBeInstanceOf(Float32Array);
    expect(Array.from(d)).toEqual([1, 2, 3, 4]);
    d[0] = 100;
    expect(x.toArray()).toEqual([[1, 2], [3, 4]]);
    expect(x.data()).not.toBe(x.data());
    expect(k.array([1], { dtype: 'f64' }).data()).toBeInstanceOf(Float64Array);
    expect(k.array([1], { dtype: 'i32' }).data()).toBeInstanceOf(Int32Array);
    expect(k.array([true]).data()).toBeInstanceOf(Uint8Array);
  });

  it('toArray returns fresh arrays', () => {
    const x = k.array([1, 2]);
    const a = x.toArray() as number[];
    a[0] = 100;
    expect(x.toArray()).toEqual([1, 2]);
  });

  it('valueOf lets JS comparisons read scalar values', () => {
    const s = k.sum(k.array([1, 2]));
    expect((s as unknown as number) > 2).toBe(true);
    expect(+s).toBe(3);
    expect(() => +k.array([1, 2])).toThrow(TypeError);
  });
});

describe('toString: NumPy str() formatting', () => {
  const str = (x: k.Tensor) => String(x);

  it('integers: right-aligned columns', () => {
    expect(str(k.array([[1, 2, 3], [40, 50, 60]], { dtype: 'i32' }))).toBe('[[ 1  2  3]\n [40 50 60]]');
    expect(str(k.array([-1, 10, -100], { dtype: 'i32' }))).toBe('[  -1   10 -100]');
    expect(str(k.arange(8).reshape([2, 2, 2]))).toBe('[[[0 1]\n  [2 3]]\n\n [[4 5]\n  [6 7]]]');
  });

  it('floats: fewest digits that round-trip, `1.` for integral values, aligned dots', () => {
    expect(str(k.array([1, 2.5, -3]))).toBe('[ 1.   2.5 -3. ]');
    expect(str(k.array([1, 2, 3]))).toBe('[1. 2. 3.]');
    expect(str(k.array([0.1, 0.25]))).toBe('[0.1  0.25]');
    expect(str(k.array([1 / 3, 2]))).toBe('[0.33333334 2.        ]');
    expect(str(k.array([1 / 3, 2], { dtype: 'f64' }))).toBe('[0.33333333 2.        ]');
    expect(str(k.array([-1.5, 2.25, 10]))).toBe('[-1.5   2.25 10.  ]');
    expect(str(k.array([-0, 1]))).toBe('[-0.  1.]');
    expect(str(k.array([1, 1000]))).toBe('[   1. 1000.]');
  });

  it('nan and inf', () => {
    expect(str(k.array([NaN, Infinity, -Infinity, 1.5]))).toBe('[ nan  inf -inf  1.5]');
  });

  it('scientific notation for tiny values (all exactly representable here)', () => {
    expect(str(k.array([1e-5, 1], { dtype: 'f64' }))).toBe('[1.e-05 1.e+00]');
    expect(str(k.array([2 ** -20, 1], { dtype: 'f64' }))).toBe('[9.53674316e-07 1.00000000e+00]');
    // f32: the shortest digits that give the f32 value back
    expect(str(k.array([2 ** -20, 1]))).toBe('[9.536743e-07 1.000000e+00]');
  });

  it('bools', () => {
    expect(str(k.array([true, false]))).toBe('[ True False]');
    expect(str(k.array([[true, false], [false, true]]))).toBe('[[ True False]\n [False  True]]');
  });

  it('0-d arrays print like scalars', () => {
    expect(str(k.array(3.5))).toBe('3.5');
    expect(str(k.array(7, { dtype: 'i32' }))).toBe('7');
    expect(str(k.array(true))).toBe('True');
    expect(str(k.array(1 / 3))).toBe('0.33333334');
  });

  it('0-d integral and large floats print like NumPy scalars', () => {
    expect(str(k.array(7))).toBe('7.0');
    expect(str(k.array(-0))).toBe('-0.0');
    expect(str(k.array(1e20))).toBe('1e+20');
  });

  it('empty arrays', () => {
    expect(str(k.zeros([0]))).toBe('[]');
  });

  it('an empty 2-D array prints as []', () => {
    expect(str(k.zeros([2, 0]))).toBe('[]');
  });

  it('more than 1000 elements are summarised with ... (3 items per edge)', () => {
    expect(str(k.arange(2000))).toBe('[   0    1    2 ... 1997 1998 1999]');
    expect(str(k.arange(2000).reshape([40, 50]))).toBe(
      '[[   0    1    2 ...   47   48   49]\n' +
        ' [  50   51   52 ...   97   98   99]\n' +
        ' [ 100  101  102 ...  147  148  149]\n' +
        ' ...\n' +
        ' [1850 1851 1852 ... 1897 1898 1899]\n' +
        ' [1900 1901 1902 ... 1947 1948 1949]\n' +
        ' [1950 1951 1952 ... 1997 1998 1999]]',
    );
    // only the printed items decide the float format
    expect(str(k.arange(1001).div(4))).toBe('[  0.     0.25   0.5  ... 249.5  249.75 250.  ]');
    expect(str(k.arange(1200).reshape([2, 3, 200]))).toBe(
      '[[[   0    1    2 ...  197  198  199]\n' +
        '  [ 200  201  202 ...  397  398  399]\n' +
        '  [ 400  401  402 ...  597  598  599]]\n\n' +
        ' [[ 600  601  602 ...  797  798  799]\n' +
        '  [ 800  801  802 ...  997  998  999]\n' +
        '  [1000 1001 1002 ... 1197 1198 1199]]]',
    );
  });

  it('1000 elements exactly are not summarised', () => {
    expect(str(k.arange(1000)).includes('...')).toBe(false);
  });

  // NumPy switches when max >= 1e8, or min < 1e-4, or max / min > 1e3.
  it('switches to scientific notation where NumPy does', () => {
    expect(str(k.array([1, 2000]))).toBe('[1.e+00 2.e+03]');
    expect(str(k.array([1e8]))).toBe('[1.e+08]');
    expect(str(k.array([123456789], { dtype: 'f64' }))).toBe('[1.23456789e+08]');
  });

  it('f32 scientific notation uses the shortest round-trip digits, zero-padded', () => {
    expect(str(k.array([1e-5, 1]))).toBe('[1.e-05 1.e+00]');
    expect(str(k.array([1.5e-5, 1]))).toBe('[1.5e-05 1.0e+00]');
    expect(str(k.array([[1.5e-5, NaN], [1, 2]]))).toBe('[[1.5e-05     nan]\n [1.0e+00 2.0e+00]]');
  });

  it('f16 values print with the shortest digits that round-trip in f16', () => {
    expect(str(k.array([0.1]).astype('f16'))).toBe('[0.1]');
  });

  it('long rows wrap at 75 characters as NumPy does', () => {
    expect(str(k.arange(30))).toBe(
      '[ 0  1  2  3  4  5  6  7  8  9 10 11 12 13 14 15 16 17 18 19 20 21 22 23\n 24 25 26 27 28 29]',
    );
    expect(str(k.arange(40).reshape([2, 20]).mul(1000))).toBe(
      '[[    0  1000  2000  3000  4000  5000  6000  7000  8000  9000 10000 11000\n' +
        '  12000 13000 14000 15000 16000 17000 18000 19000]\n' +
        ' [20000 21000 22000 23000 24000 25000 26000 27000 28000 29000 30000 31000\n' +
        '  32000 33000 34000 35000 36000 37000 38000 39000]]',
    );
    expect(str(k.full([30], true))).toBe(
      '[ True  True  True  True  True  True  True  True  True  True  True  True\n' +
        '  True  True  True  True  True  True  True  True  True  True  True  True\n' +
        '  True  True  True  True  True  True]',
    );
  });

  it('wrapped float rows have no trailing spaces', () => {
    expect(str(k.arange(30).div(3))).toBe(
      '[0.         0.33333334 0.6666667  1.         1.3333334  1.6666666\n' +
        ' 2.         2.3333333  2.6666667  3.         3.3333333  3.6666667\n' +
        ' 4.         4.3333335  4.6666665  5.         5.3333335  5.6666665\n' +
        ' 6.         6.3333335  6.6666665  7.         7.3333335  7.6666665\n' +
        ' 8.         8.333333   8.666667   9.         9.333333   9.666667  ]',
    );
  });

  it('util.inspect shows the values and the type', () => {
    expect(inspect(k.array([1, 2]))).toBe('Tensor([1. 2.], f32[2])');
  });
});
