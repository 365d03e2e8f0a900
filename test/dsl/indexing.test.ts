// Indexing: slice (NumPy basic indexing plus one integer-array index), take, takeAlongAxis,
// and functional updates x.at(...).set/add. Expected values written out by hand from Python's
// slicing rules (NumPy 2.4 agrees with each).
import { describe, expect, it } from 'vitest';
import * as k from 'kiln';

// [[ 0,  1,  2,  3],
//  [ 4,  5,  6,  7],
//  [ 8,  9, 10, 11]]
const x: k.Tensor = k.arange(12).reshape([3, 4]);
const v = k.arange(10);
const idx = (xs: unknown) => k.array(xs as number[], { dtype: 'i32' });

describe('slice: integers', () => {
  it('an integer removes the axis; negative integers count from the end', () => {
    expect(x.slice(1).toArray()).toEqual([4, 5, 6, 7]);
    expect(x.slice(-1).toArray()).toEqual([8, 9, 10, 11]);
    expect(x.slice(1, -2).toArray()).toBe(6);
    expect(x.slice(1, -2).shape).toEqual([]);
    expect(k.slice(x, [null, 2]).toArray()).toEqual([2, 6, 10]);
  });

  it('out-of-range integers are a ShapeError naming the axis and its size', () => {
    expect(() => x.slice(3)).toThrow(k.ShapeError);
    expect(() => x.slice(3)).toThrow(/index 3 is out of bounds for axis 0 with size 3/);
    expect(() => x.slice(0, -5)).toThrow(/index -5 is out of bounds for axis 1 with size 4/);
    expect(() => x.slice(0, 0, 0)).toThrow(/too many indices/);
    expect(() => x.slice(1.5)).toThrow(k.ShapeError);
  });
});

describe('slice: ranges [start, stop, step]', () => {
  it('start/stop/step with Python semantics', () => {
    expect(v.slice([2, 8, 2]).toArray()).toEqual([2, 4, 6]);
    expect(v.slice([2, 8]).toArray()).toEqual([2, 3, 4, 5, 6, 7]);
    expect(v.slice([7]).toArray()).toEqual([7, 8, 9]);
    expect(v.slice([null, 3]).toArray()).toEqual([0, 1, 2]);
    expect(v.slice([null, null, 3]).toArray()).toEqual([0, 3, 6, 9]);
    expect(v.slice([]).toArray()).toEqual(v.toArray());
    expect(v.slice(null).toArray()).toEqual(v.toArray());
  });

  it('negative start and stop count from the end', () => {
    expect(v.slice([-3]).toArray()).toEqual([7, 8, 9]);
    expect(v.slice([null, -3]).toArray()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(v.slice([-5, -2]).toArray()).toEqual([5, 6, 7]);
  });

  it('negative steps walk backwards', () => {
    expect(v.slice([null, null, -1]).toArray()).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    expect(v.slice([8, 2, -2]).toArray()).toEqual([8, 6, 4]);
    expect(v.slice([-1, -4, -1]).toArray()).toEqual([9, 8, 7]);
    expect(v.slice([2, null, -1]).toArray()).toEqual([2, 1, 0]);
    expect(v.slice([5, -100, -1]).toArray()).toEqual([5, 4, 3, 2, 1, 0]);
  });

  it('bounds are clamped; empty selections are fine', () => {
    expect(v.slice([-100, 100]).toArray()).toEqual(v.toArray());
    expect(v.slice([100, -100, -3]).toArray()).toEqual([9, 6, 3, 0]);
    expect(v.slice([5, 2]).shape).toEqual([0]);
    expect(v.slice([-100, null, -1]).shape).toEqual([0]);
  });

  it('several axes at once', () => {
    expect(x.slice([1, null], [null, null, 2]).toArray()).toEqual([[4, 6], [8, 10]]);
    expect(x.slice([null, null, -1], [null, null, -2]).toArray()).toEqual([[11, 9], [7, 5], [3, 1]]);
    expect(x.slice([0, 2], 3).toArray()).toEqual([3, 7]);
    expect(x.slice(-1, [1, 3]).toArray()).toEqual([9, 10]);
  });

  it('a zero step is a ShapeError', () => {
    expect(() => v.slice([0, 5, 0])).toThrow(/step cannot be zero/);
  });

  it('non-integer range bounds are a ShapeError', () => {
    expect(() => v.slice([0.5, 3])).toThrow(k.ShapeError);
    expect(() => v.slice([0, 5, 1.5])).toThrow(k.ShapeError);
  });
});

describe("slice: 'newaxis' and '...'", () => {
  it("'newaxis' inserts a size-1 axis where it stands", () => {
    expect(x.slice('newaxis').shape).toEqual([1, 3, 4]);
    expect(x.slice(null, 'newaxis').shape).toEqual([3, 1, 4]);
    expect(x.slice('...', 'newaxis').shape).toEqual([3, 4, 1]);
    expect(x.slice(1, 'newaxis').shape).toEqual([1, 4]);
    expect(k.array(5).slice('newaxis').toArray()).toEqual([5]);
  });

  it("'...' stands for all the axes not indexed", () => {
    const y = k.arange(24).reshape([2, 3, 4]);
    expect(y.slice('...', 1).shape).toEqual([2, 3]);
    // y[1, ..., 2] = 12 + 4 j + 2 for j = 0..2
    expect(y.slice(1, '...', 2).toArray()).toEqual([14, 18, 22]);
    expect(y.slice('...').toArray()).toEqual(y.toArray());
    expect(y.slice(0, 1, 2, '...').toArray()).toBe(6);
  });

  it("only one '...' is allowed", () => {
    expect(() => x.slice('...', '...')).toThrow(/single ellipsis/);
  });
});

describe('slice: an integer tensor index', () => {
  it('gathers rows; negative entries count from the end', () => {
    const r = x.slice(idx([2, 0, -1]));
    expect(r.shape).toEqual([3, 4]);
    expect(r.toArray()).toEqual([[8, 9, 10, 11], [0, 1, 2, 3], [8, 9, 10, 11]]);
  });

  it('on a later axis', () => {
    expect(x.slice(null, idx([3, 0])).toArray()).toEqual([[3, 0], [7, 4], [11, 8]]);
    expect(x.slice(1, idx([0, 3])).toArray()).toEqual([4, 7]);
    expect(x.slice(idx([0, 2]), 3).toArray()).toEqual([3, 11]);
    expect(x.slice([1, null], idx([1])).toArray()).toEqual([[5], [9]]);
  });

  it('a 2-D index puts its shape where the axis was', () => {
    const r = x.slice(idx([[0, 1], [2, 2]]), 1);
    expect(r.shape).toEqual([2, 2]);
    expect(r.toArray()).toEqual([[1, 5], [9, 9]]);
    expect(x.slice(null, idx([[0, 1]])).shape).toEqual([3, 1, 2]);
    expect(x.slice('newaxis', idx([[0, 1], [2, 2]])).shape).toEqual([1, 2, 2, 4]);
  });

  it('a 0-d index acts like an integer', () => {
    expect(x.slice(idx(1)).toArray()).toEqual([4, 5, 6, 7]);
  });

  it('an integer and a tensor index separated by a slice put the index axes first', () => {
    const y = k.arange(24).reshape([2, 3, 4]);
    const r = y.slice(0, null, idx([1, 0]));
    expect(r.shape).toEqual([2, 3]);
    expect(r.toArray()).toEqual([[1, 5, 9], [0, 4, 8]]);
  });

  it('an integer next to a tensor index keeps the index axes in place', () => {
    const y = k.arange(24).reshape([2, 3, 4]);
    expect(y.slice(0, idx([1, 0])).shape).toEqual([2, 4]);
    expect(y.slice(null, idx([1, 0]), 0).toArray()).toEqual([[4, 0], [16, 12]]);
  });

  it('only one tensor index per call', () => {
    expect(() => x.slice(idx([0]), idx([0]))).toThrow(k.ShapeError);
  });

  it("'newaxis' after a 2-D tensor index goes after the index's axes", () => {
    expect(x.slice(idx([[0, 1], [2, 2]]), 'newaxis').shape).toEqual([2, 2, 1, 4]);
  });

  it('a bool tensor index is a mask, or is rejected — never read as 0/1 indices', () => {
    const mask = k.array([true, false, true]);
    let r: unknown;
    try {
      r = x.slice(mask).toArray();
    } catch (e) {
      expect(e).toBeInstanceOf(k.KilnError);
      return;
    }
    expect(r).toEqual([[0, 1, 2, 3], [8, 9, 10, 11]]);
  });

  it('out-of-range tensor entries are clamped (gather semantics, as jnp)', () => {
    // JAX clamps out-of-bounds gather indices instead of raising
    expect(x.slice(idx([5])).toArray()).toEqual([[8, 9, 10, 11]]);
  });
});

describe('take and takeAlongAxis', () => {
  it('take on the flattened array by default; negative indices wrap', () => {
    expect(k.take(x, idx([-1, 0, 5])).toArray()).toEqual([11, 0, 5]);
    expect(k.take(x, [[1, 2]]).toArray()).toEqual([[1, 2]]);
  });

  it('take along an axis puts the index shape in place of the axis', () => {
    expect(k.take(x, [-1, 0], 1).toArray()).toEqual([[3, 0], [7, 4], [11, 8]]);
    expect(k.take(x, [[0, 2]], 0).shape).toEqual([1, 2, 4]);
    expect(k.take(x, [[0, 2]], 0).toArray()).toEqual([[[0, 1, 2, 3], [8, 9, 10, 11]]]);
    expect(k.take(x, [1], -1).toArray()).toEqual([[1], [5], [9]]);
    expect(x.take([2], 0).toArray()).toEqual([[8, 9, 10, 11]]);
    expect(k.take(x, 2, 1).toArray()).toEqual([2, 6, 10]);
  });

  it('take reads a bool index as 0/1 (as np.take does: np.take(np.arange(3), [T, F, T]) is [1, 0, 1])', () => {
    expect(k.take(k.arange(3), k.array([true, false, true])).toArray()).toEqual([1, 0, 1]);
  });

  it('takeAlongAxis picks along an axis with an index of the same rank', () => {
    const a = k.array([[10, 30, 20], [60, 40, 50]]);
    expect(k.takeAlongAxis(a, idx([[0, 2], [1, 0]]), 1).toArray()).toEqual([[10, 20], [40, 60]]);
    expect(k.takeAlongAxis(a, [[1, 0, 1]], 0).toArray()).toEqual([[60, 30, 50]]);
    expect(k.takeAlongAxis(a, [[-1]], 1).toArray()).toEqual([[20], [50]]);
    expect(k.takeAlongAxis(a, [[2], [0]], -1).toArray()).toEqual([[20], [60]]);
  });

  it('takeAlongAxis with argsort sorts', () => {
    const a = k.array([[3, 1, 2], [9, 7, 8]]);
    expect(k.takeAlongAxis(a, k.argsort(a, 1), 1).toArray()).toEqual([[1, 2, 3], [7, 8, 9]]);
    expect(k.takeAlongAxis(a, k.argmax(a, { axis: 1, keepdims: true }), 1).toArray()).toEqual([[3], [9]]);
  });

  it('takeAlongAxis needs indices of the same rank', () => {
    expect(() => k.takeAlongAxis(k.array([[10, 30, 20]]), [2], 1)).toThrow(k.ShapeError);
  });
});

describe('at().set / at().add', () => {
  const z = k.zeros([3, 4], 'i32');
  const w = k.zeros([6]);

  it('set with integers and slices; the original is unchanged', () => {
    expect(z.at(1).set(5).toArray()).toEqual([[0, 0, 0, 0], [5, 5, 5, 5], [0, 0, 0, 0]]);
    expect(z.at(1, -1).set(5).toArray()).toEqual([[0, 0, 0, 0], [0, 0, 0, 5], [0, 0, 0, 0]]);
    expect(z.at([1, null], [1, 3]).set(7).toArray()).toEqual([[0, 0, 0, 0], [0, 7, 7, 0], [0, 7, 7, 0]]);
    expect(z.at(null, 0).set([1, 2, 3]).toArray()).toEqual([[1, 0, 0, 0], [2, 0, 0, 0], [3, 0, 0, 0]]);
    expect(z.toArray()).toEqual([[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]);
  });

  it('the value is converted to the array dtype and broadcast', () => {
    const r = z.at(0, 0).set(2.7);
    expect(r.dtype).toBe('i32');
    expect(r.toArray()).toEqual([[2, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]);
    expect(z.at([0, 2]).set([[1, 2, 3, 4]]).toArray()).toEqual([[1, 2, 3, 4], [1, 2, 3, 4], [0, 0, 0, 0]]);
    expect(() => z.at(0).set([1, 2, 3])).toThrow(k.ShapeError);
  });

  it('set with strided and reversed slices', () => {
    expect(w.at([null, null, 2]).set([1, 2, 3]).toArray()).toEqual([1, 0, 2, 0, 3, 0]);
    expect(w.at([null, null, -1]).set([1, 2, 3, 4, 5, 6]).toArray()).toEqual([6, 5, 4, 3, 2, 1]);
    expect(w.at([3, 3]).set(1).toArray()).toEqual([0, 0, 0, 0, 0, 0]);
    // rows 0, 2 and columns 3, 0 (range(4)[::-3])
    const m = k.zeros([3, 4]).at([null, null, 2], [null, null, -3]).set(1);
    expect(m.toArray()).toEqual([[1, 0, 0, 1], [0, 0, 0, 0], [1, 0, 0, 1]]);
  });

  it('set and add with a negative step that does not end at the mirrored position', () => {
    expect(w.at([4, null, -2]).set([1, 2, 3]).toArray()).toEqual([3, 0, 2, 0, 1, 0]);
    expect(w.at([-1, 0, -2]).set([7, 8, 9]).toArray()).toEqual([0, 9, 0, 8, 0, 7]);
    expect(k.arange(6).at([3, null, -2]).add(10).toArray()).toEqual([0, 11, 2, 13, 4, 5]);
  });

  it('add with slices, strided and reversed', () => {
    const base = k.arange(6);
    expect(base.at([1, null, 2]).add(10).toArray()).toEqual([0, 11, 2, 13, 4, 15]);
    expect(base.at([null, null, -1]).add([0, 0, 0, 0, 0, 100]).toArray()).toEqual([100, 1, 2, 3, 4, 5]);
    expect(z.at(null, [1, 3]).add([[1, 2]]).toArray()).toEqual([[0, 1, 2, 0], [0, 1, 2, 0], [0, 1, 2, 0]]);
  });

  it("with 'newaxis' and '...'", () => {
    expect(z.at('newaxis', 1).set(3).toArray()).toEqual([[0, 0, 0, 0], [3, 3, 3, 3], [0, 0, 0, 0]]);
    expect(z.at('...', 2).set(3).toArray()).toEqual([[0, 0, 3, 0], [0, 0, 3, 0], [0, 0, 3, 0]]);
  });

  it('set with an integer tensor index (negative entries wrap)', () => {
    expect(w.at(idx([0, 5, -2])).set([1, 2, 3]).toArray()).toEqual([1, 0, 0, 0, 3, 2]);
    expect(z.at(idx([2, 0])).set([[1, 2, 3, 4], [5, 6, 7, 8]]).toArray()).toEqual([
      [5, 6, 7, 8],
      [0, 0, 0, 0],
      [1, 2, 3, 4],
    ]);
    expect(z.at(null, idx([3, 0])).set(9).toArray()).toEqual([[9, 0, 0, 9], [9, 0, 0, 9], [9, 0, 0, 9]]);
  });

  it('add with duplicate indices accumulates every update', () => {
    expect(w.at(idx([1, 1, 3])).add(1).toArray()).toEqual([0, 2, 0, 1, 0, 0]);
    expect(w.at(idx([1, 1, 3])).add([1, 2, 4]).toArray()).toEqual([0, 3, 0, 4, 0, 0]);
    expect(z.at(null, idx([3, 3])).add([[1, 2], [3, 4], [5, 6]]).toArray()).toEqual([
      [0, 0, 0, 3],
      [0, 0, 0, 7],
      [0, 0, 0, 11],
    ]);
    expect(w.at(idx([[0, 0], [0, 5]])).add(1).toArray()).toEqual([3, 0, 0, 0, 0, 1]);
  });

  it('get reads the indexed part', () => {
    expect(x.at(1, [1, 3]).get().toArray()).toEqual([5, 6]);
  });

  it('an integer tensor index with a partial slice in an update is a ShapeError', () => {
    expect(() => z.at(idx([0]), 1).set(3)).toThrow(k.ShapeError);
  });
});
