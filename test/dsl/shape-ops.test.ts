// Shape ops: reshape, transpose, moveAxis, broadcastTo, expandDims, squeeze, concatenate,
// stack, split, flip, pad, tile, repeat. Expected arrays written out by hand (NumPy 2.4 agrees).
import { describe, expect, it } from 'vitest';
import * as k from 'kiln';

// [[0, 1, 2],
//  [3, 4, 5]]
const x: k.Tensor = k.arange(6).reshape([2, 3]);

describe('reshape', () => {
  it('row-major order', () => {
    expect(x.toArray()).toEqual([[0, 1, 2], [3, 4, 5]]);
    expect(k.reshape(x, [3, 2]).toArray()).toEqual([[0, 1], [2, 3], [4, 5]]);
    expect(k.reshape(x, [6]).toArray()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(k.reshape(k.array([7]), []).shape).toEqual([]);
    expect(x.flatten().toArray()).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('infers one -1 dimension', () => {
    expect(x.reshape([-1, 2]).shape).toEqual([3, 2]);
    expect(x.reshape([1, -1, 1]).shape).toEqual([1, 6, 1]);
    expect(k.zeros([0, 3]).reshape([-1, 3]).shape).toEqual([0, 3]);
  });

  it('an incompatible -1 or size is a ShapeError', () => {
    // shapes typed number[] so that the static shape checks leave them to the runtime
    const shape = (s: number[]) => s;
    expect(() => x.reshape([4, -1])).toThrow(k.ShapeError);
    expect(() => x.reshape([4, -1])).toThrow(/reshape.*\[2, 3\].*\[4, -1\]/);
    expect(() => x.reshape(shape([-1, -1]))).toThrow(/only one dimension may be -1/);
    expect(() => x.reshape([4, 2])).toThrow(k.ShapeError);
    expect(() => x.reshape(shape([-2, -3]))).toThrow(k.ShapeError);
  });
});

describe('transpose and moveAxis', () => {
  it('reverses the axes by default (and .T)', () => {
    expect(k.transpose(x).toArray()).toEqual([[0, 3], [1, 4], [2, 5]]);
    expect(x.T.toArray()).toEqual([[0, 3], [1, 4], [2, 5]]);
    expect(k.zeros([2, 3, 4]).transpose().shape).toEqual([4, 3, 2]);
    expect(k.arange(3).T.toArray()).toEqual([0, 1, 2]);
  });

  it('with a permutation, negative entries allowed', () => {
    const y = k.arange(24).reshape([2, 3, 4]);
    const t = y.transpose([1, 0, 2]);
    expect(t.shape).toEqual([3, 2, 4]);
    // t[j, i, l] = y[i, j, l] = 12 i + 4 j + l
    expect((t.toArray() as number[][][])[2]![1]![3]).toBe(12 + 8 + 3);
    expect(y.transpose([-1, 0, 1]).shape).toEqual([4, 2, 3]);
    expect(k.transpose(y, [0, 1, 2])).toBe(y);
  });

  it('rejects a perm that is not a permutation', () => {
    expect(() => x.transpose([0, 0])).toThrow(k.ShapeError);
    expect(() => x.transpose([0])).toThrow(k.ShapeError);
    expect(() => x.transpose([0, 2])).toThrow(k.ShapeError);
  });

  it('moveAxis moves one axis and keeps the others in order', () => {
    expect(k.moveAxis(k.zeros([2, 3, 4]), 0, -1).shape).toEqual([3, 4, 2]);
    expect(k.moveAxis(k.zeros([2, 3, 4]), -1, 0).shape).toEqual([4, 2, 3]);
    expect(k.moveAxis(x, 0, 1).toArray()).toEqual([[0, 3], [1, 4], [2, 5]]);
  });
});

describe('broadcastTo, expandDims, squeeze', () => {
  it('broadcastTo stretches size-1 and missing leading axes', () => {
    expect(k.broadcastTo(k.array([1, 2, 3]), [2, 3]).toArray()).toEqual([[1, 2, 3], [1, 2, 3]]);
    expect(k.broadcastTo(k.array([[1], [2]]), [2, 2]).toArray()).toEqual([[1, 1], [2, 2]]);
    expect(k.broadcastTo(k.array(5), [2]).toArray()).toEqual([5, 5]);
    expect(x.broadcastTo([4, 2, 3]).shape).toEqual([4, 2, 3]);
  });

  it('broadcastTo rejects incompatible targets', () => {
    expect(() => k.broadcastTo(k.array([1, 2, 3]), [3, 2])).toThrow(k.ShapeError);
    expect(() => k.broadcastTo(x, [3])).toThrow(k.ShapeError);
  });

  it('expandDims inserts size-1 axes at positions of the result', () => {
    expect(x.expandDims(0).shape).toEqual([1, 2, 3]);
    expect(x.expandDims(1).shape).toEqual([2, 1, 3]);
    expect(x.expandDims(-1).shape).toEqual([2, 3, 1]);
    expect(k.expandDims(x, [0, 3]).shape).toEqual([1, 2, 3, 1]);
    expect(k.expandDims(x, [-1, 0]).shape).toEqual([1, 2, 3, 1]);
    expect(x.expandDims(0).toArray()).toEqual([[[0, 1, 2], [3, 4, 5]]]);
    expect(() => x.expandDims(4)).toThrow(k.ShapeError);
  });

  it('squeeze removes all size-1 axes, or the given ones', () => {
    expect(k.zeros([1, 2, 1]).squeeze().shape).toEqual([2]);
    expect(k.squeeze(k.zeros([1, 2, 1]), -1).shape).toEqual([1, 2]);
    expect(k.squeeze(k.zeros([1, 2, 1]), [0, 2]).shape).toEqual([2]);
    expect(k.array([[7]]).squeeze().shape).toEqual([]);
    expect(() => k.squeeze(k.zeros([1, 2, 1]), 1)).toThrow(/axis 1 .* has size 2/);
  });
});

describe('concatenate and stack', () => {
  it('concatenate along an axis', () => {
    expect(k.concatenate([x, x]).shape).toEqual([4, 3]);
    expect(k.concatenate([x, k.array([[9, 9]], { dtype: 'i32' }).T], 1).toArray()).toEqual([
      [0, 1, 2, 9],
      [3, 4, 5, 9],
    ]);
    expect(k.concatenate([x, x], -1).shape).toEqual([2, 6]);
    expect(k.concatenate([k.array([1]), k.array([2, 3])]).toArray()).toEqual([1, 2, 3]);
  });

  it('promotes dtypes', () => {
    const r = k.concatenate([k.array([1, 2], { dtype: 'i32' }), k.array([3.5])]);
    expect(r.dtype).toBe('f32');
    expect(r.toArray()).toEqual([1, 2, 3.5]);
    const s = k.concatenate([k.array([true]), k.array([2], { dtype: 'i32' })]);
    expect(s.dtype).toBe('i32');
    expect(s.toArray()).toEqual([1, 2]);
    expect(k.concatenate([k.array([1]), k.array([2], { dtype: 'f64' })]).dtype).toBe('f64');
  });

  it('a single array is returned as is; none is an error', () => {
    expect(k.concatenate([x])).toBe(x);
    expect(() => k.concatenate([])).toThrow(k.ShapeError);
  });

  it('mismatched shapes outside the axis are a ShapeError', () => {
    expect(() => k.concatenate([x, k.zeros([2, 2], 'i32')], 0)).toThrow(k.ShapeError);
    expect(() => k.concatenate([x, k.zeros([3], 'i32')])).toThrow(k.ShapeError);
    expect(() => k.concatenate([x, x], 2)).toThrow(k.ShapeError);
  });

  it('stack joins along a new axis', () => {
    const a = k.array([1, 2]), b = k.array([3, 4]);
    expect(k.stack([a, b]).toArray()).toEqual([[1, 2], [3, 4]]);
    expect(k.stack([a, b], 1).toArray()).toEqual([[1, 3], [2, 4]]);
    expect(k.stack([a, b], -1).toArray()).toEqual([[1, 3], [2, 4]]);
    expect(k.stack([x, x, x], 1).shape).toEqual([2, 3, 3]);
    expect(k.stack([1, 2]).toArray()).toEqual([1, 2]);
  });

  it('stack needs arrays of one shape', () => {
    expect(() => k.stack([k.array([1, 2]), k.array([3, 4, 5])])).toThrow(k.ShapeError);
    expect(() => k.stack([])).toThrow(k.ShapeError);
    expect(() => k.stack([k.array([1])], 2)).toThrow(k.ShapeError);
  });
});

describe('split', () => {
  const v = k.arange(6);
  const arrays = (ts: k.Tensor[]) => ts.map((t) => t.toArray());

  it('into equal sections', () => {
    expect(arrays(k.split(v, 3))).toEqual([[0, 1], [2, 3], [4, 5]]);
    expect(arrays(k.split(v, 1))).toEqual([[0, 1, 2, 3, 4, 5]]);
    expect(() => k.split(v, 4)).toThrow(/does not split into 4 equal parts/);
  });

  it('at indices (NumPy: np.split(np.arange(6), [2, 5]))', () => {
    expect(arrays(k.split(v, [2, 5]))).toEqual([[0, 1], [2, 3, 4], [5]]);
    // out-of-range and decreasing indices give empty parts, as NumPy's
    expect(arrays(k.split(v, [2, 10]))).toEqual([[0, 1], [2, 3, 4, 5], []]);
    expect(arrays(k.split(v, [4, 2]))).toEqual([[0, 1, 2, 3], [], [2, 3, 4, 5]]);
    expect(arrays(k.split(v, [-2]))).toEqual([[0, 1, 2, 3], [4, 5]]);
    expect(arrays(k.split(v, []))).toEqual([[0, 1, 2, 3, 4, 5]]);
  });

  it('along an axis', () => {
    const parts = k.split(x, [1], 1);
    expect(parts.map((p) => p.shape)).toEqual([[2, 1], [2, 2]]);
    expect(arrays(parts)).toEqual([[[0], [3]], [[1, 2], [4, 5]]]);
    expect(arrays(k.split(x, 2, 0))).toEqual([[[0, 1, 2]], [[3, 4, 5]]]);
    expect(k.split(x, 3, -1).map((p) => p.shape)).toEqual([[2, 1], [2, 1], [2, 1]]);
  });
});

describe('flip', () => {
  it('all axes by default, or the given ones', () => {
    expect(x.flip().toArray()).toEqual([[5, 4, 3], [2, 1, 0]]);
    expect(k.flip(x, 1).toArray()).toEqual([[2, 1, 0], [5, 4, 3]]);
    expect(k.flip(x, -1).toArray()).toEqual([[2, 1, 0], [5, 4, 3]]);
    expect(k.flip(x, 0).toArray()).toEqual([[3, 4, 5], [0, 1, 2]]);
    expect(k.flip(x, [0, 1]).toArray()).toEqual([[5, 4, 3], [2, 1, 0]]);
    expect(k.flip(k.array(3)).item()).toBe(3);
  });
});

describe('pad', () => {
  it('one width for every side of every axis', () => {
    expect(k.pad(k.array([1, 2]), 1).toArray()).toEqual([0, 1, 2, 0]);
    expect(k.pad(k.array([[1]]), 1).toArray()).toEqual([[0, 0, 0], [0, 1, 0], [0, 0, 0]]);
  });

  it('one (before, after) pair for every axis, with a value', () => {
    expect(k.pad(x, [1, 0], { value: 9 }).toArray()).toEqual([
      [9, 9, 9, 9],
      [9, 0, 1, 2],
      [9, 3, 4, 5],
    ]);
  });

  it('a pair per axis', () => {
    expect(k.pad(x, [[0, 1], [2, 0]]).toArray()).toEqual([
      [0, 0, 0, 1, 2],
      [0, 0, 3, 4, 5],
      [0, 0, 0, 0, 0],
    ]);
    expect(k.pad(x, [[0, 0], [0, 0]]).toArray()).toEqual(x.toArray());
  });

  it('rejects negative widths and wrong pair counts', () => {
    expect(() => k.pad(x, -1)).toThrow(k.ShapeError);
    expect(() => k.pad(x, [[1, 1]])).toThrow(k.ShapeError);
  });
});

describe('tile and repeat', () => {
  it('tile repeats the whole array (NumPy semantics for short and long reps)', () => {
    expect(k.tile(k.array([1, 2]), 2).toArray()).toEqual([1, 2, 1, 2]);
    expect(k.tile(k.array([1, 2]), [2, 2]).toArray()).toEqual([[1, 2, 1, 2], [1, 2, 1, 2]]);
    expect(k.tile(x, [2, 1]).toArray()).toEqual([[0, 1, 2], [3, 4, 5], [0, 1, 2], [3, 4, 5]]);
    expect(x.tile(2).toArray()).toEqual([[0, 1, 2, 0, 1, 2], [3, 4, 5, 3, 4, 5]]);
    expect(k.tile(k.array([1, 2]), 0).shape).toEqual([0]);
    expect(k.tile(k.array(3), [2, 2]).toArray()).toEqual([[3, 3], [3, 3]]);
  });

  it('repeat repeats each element, over the flattened array by default', () => {
    const y = k.array([[1, 2], [3, 4]]);
    expect(k.repeat(y, 2).toArray()).toEqual([1, 1, 2, 2, 3, 3, 4, 4]);
    expect(k.repeat(y, 2, 1).toArray()).toEqual([[1, 1, 2, 2], [3, 3, 4, 4]]);
    expect(y.repeat(2, -1).toArray()).toEqual([[1, 1, 2, 2], [3, 3, 4, 4]]);
    expect(k.repeat(y, 3, 0).toArray()).toEqual([[1, 2], [1, 2], [1, 2], [3, 4], [3, 4], [3, 4]]);
    expect(k.repeat(k.array([1, 2]), 0).shape).toEqual([0]);
  });
});
