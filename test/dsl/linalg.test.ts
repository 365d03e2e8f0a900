// matmul (1-D, 2-D, batched with broadcasting), dot, outer, norm, oneHot; sort and argsort.
// Products worked out by hand; norms from their definitions (NumPy 2.4 agrees).
import { describe, expect, it } from 'vitest';
import * as k from 'kiln';

const a = k.array([[1, 2], [3, 4]]);
const b = k.array([[5, 6], [7, 8]]);

/** Naive matmul of nested 2-D arrays. */
function mm(x: number[][], y: number[][]): number[][] {
  return x.map((row) => y[0]!.map((_, j) => row.reduce((s, v, kk) => s + v * y[kk]![j]!, 0)));
}

describe('matmul', () => {
  it('2-D @ 2-D', () => {
    // [[1*5 + 2*7, 1*6 + 2*8], [3*5 + 4*7, 3*6 + 4*8]]
    expect(k.matmul(a, b).toArray()).toEqual([[19, 22], [43, 50]]);
    expect(a.matmul(b).toArray()).toEqual([[19, 22], [43, 50]]);
    const r = k.matmul(k.arange(6).reshape([2, 3]), k.arange(12).reshape([3, 4]));
    expect(r.toArray()).toEqual(mm([[0, 1, 2], [3, 4, 5]], [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]));
  });

  it('1-D operands are promoted and the added axis removed', () => {
    expect(k.matmul(a, k.array([1, 1])).toArray()).toEqual([3, 7]);
    expect(k.matmul(k.array([1, 1]), a).toArray()).toEqual([4, 6]);
    const s = k.matmul(k.array([1, 2]), k.array([3, 4]));
    expect(s.shape).toEqual([]);
    expect(s.item()).toBe(11);
  });

  it('batched, broadcasting the batch axes', () => {
    expect(k.matmul(k.ones([2, 1, 2, 3]), k.ones([4, 3, 5])).shape).toEqual([2, 4, 2, 5]);
    expect(k.matmul(k.ones([2, 2, 3]), k.ones([3, 4])).shape).toEqual([2, 2, 4]);
    expect(k.matmul(k.ones([2, 2, 3]), k.ones([3])).shape).toEqual([2, 2]);
    expect(k.matmul(k.ones([3]), k.ones([2, 3, 4])).shape).toEqual([2, 4]);
    // batch 0 is a, batch 1 is 2a; times b
    const x = k.stack([a, a.mul(2)]);
    const r = k.matmul(x, b);
    expect(r.toArray()).toEqual([[[19, 22], [43, 50]], [[38, 44], [86, 100]]]);
    const r2 = k.matmul(x, k.stack([b, k.eye(2)]));
    expect(r2.toArray()).toEqual([[[19, 22], [43, 50]], [[2, 4], [6, 8]]]);
    expect(k.matmul(k.ones([1, 2, 3]), k.ones([4, 3, 2])).toArray()).toEqual(
      Array.from({ length: 4 }, () => [[3, 3], [3, 3]]),
    );
  });

  it('dtypes: promoted, i32 stays i32, bool multiplies as i32', () => {
    const i = k.matmul(k.array([[1, 2]], { dtype: 'i32' }), k.array([[3], [4]], { dtype: 'i32' }));
    expect(i.dtype).toBe('i32');
    expect(i.toArray()).toEqual([[11]]);
    expect(k.matmul(k.array([[1, 2]], { dtype: 'i32' }), k.array([[3], [4]])).dtype).toBe('f32');
    expect(k.matmul(k.array([[1]], { dtype: 'f64' }), k.array([[3]])).dtype).toBe('f64');
    expect(k.matmul(k.array([[true, true]]), k.array([[true], [true]])).toArray()).toEqual([[2]]);
  });

  it('shape errors: inner dims, batch dims, 0-d operands', () => {
    expect(() => k.matmul(k.ones([2, 3]), k.ones([2, 3]))).toThrow(/matmul.*\[2, 3\] @ \[2, 3\]/);
    expect(() => k.matmul(k.ones([2, 2, 3]), k.ones([3, 3, 4]))).toThrow(k.ShapeError);
    expect(() => k.matmul(k.array(2), a)).toThrow(k.ShapeError);
  });
});

describe('dot and outer', () => {
  it('dot: inner product, matrix-vector, matrix-matrix, scalars', () => {
    expect(k.dot(k.array([1, 2, 3]), k.array([4, 5, 6])).item()).toBe(32);
    expect(k.dot(a, k.array([1, 2])).toArray()).toEqual([5, 11]);
    expect(k.dot(k.array([1, 2]), a).toArray()).toEqual([7, 10]);
    expect(k.dot(a, b).toArray()).toEqual([[19, 22], [43, 50]]);
    expect(a.dot(b).toArray()).toEqual([[19, 22], [43, 50]]);
    expect(k.dot(2, a).toArray()).toEqual([[2, 4], [6, 8]]);
  });

  it('dot of N-D arrays contracts the last axis of a with the second-to-last of b', () => {
    expect(k.dot(k.ones([2, 3, 4]), k.ones([5, 4, 6])).shape).toEqual([2, 3, 5, 6]);
    expect((k.dot(k.ones([2, 3, 4]), k.ones([5, 4, 6])).max().item())).toBe(4);
  });

  it('dot shape mismatch', () => {
    expect(() => k.dot(k.ones([3]), k.ones([4]))).toThrow(/dot.*\[3\].*\[4\]/);
  });

  it('outer flattens and multiplies every pair', () => {
    expect(k.outer(k.array([1, 2]), k.array([3, 4, 5])).toArray()).toEqual([[3, 4, 5], [6, 8, 10]]);
    expect(k.outer(a, k.array([1, 10])).shape).toEqual([4, 2]);
    expect(k.outer(a, k.array([1, 10])).toArray()).toEqual([[1, 10], [2, 20], [3, 30], [4, 40]]);
  });
});

describe('norm', () => {
  const v = k.array([3, -4]);
  const m = k.array([[1, -2], [3, 4]]);

  it('vector norms: L2 by default, L1, inf, -inf, general p', () => {
    expect(k.norm(v).item()).toBe(5);
    expect(k.norm(v, { ord: 2 }).item()).toBe(5);
    expect(k.norm(v, { ord: 1 }).item()).toBe(7);
    expect(k.norm(v, { ord: Infinity }).item()).toBe(4);
    expect(k.norm(v, { ord: -Infinity }).item()).toBe(3);
    expect(k.norm(v, { ord: 3 })).toBeAllclose(Math.cbrt(27 + 64), { rtol: 1e-6 });
  });

  it('matrix norms: Frobenius (default), 1 (max column sum), inf (max row sum)', () => {
    expect(k.norm(m)).toBeAllclose(Math.sqrt(30), { rtol: 1e-6 });
    expect(k.norm(m, { ord: 'fro' })).toBeAllclose(Math.sqrt(30), { rtol: 1e-6 });
    // column sums of |m|: 4, 6; row sums: 3, 7
    expect(k.norm(m, { ord: 1 }).item()).toBe(6);
    expect(k.norm(m, { ord: Infinity }).item()).toBe(7);
    expect(k.norm(m, { ord: 1, axis: [1, 0] }).item()).toBe(7);
  });

  it('along axes, with keepdims', () => {
    const y = k.array([[3, 4], [6, 8]]);
    expect(k.norm(y, { axis: 1 }).toArray()).toEqual([5, 10]);
    expect(k.norm(y, { axis: -1, keepdims: true }).toArray()).toEqual([[5], [10]]);
    expect(k.norm(y, { axis: 0, ord: 1 }).toArray()).toEqual([9, 12]);
    expect(k.norm(m, { ord: 1, keepdims: true }).toArray()).toEqual([[6]]);
    expect(k.norm(k.stack([m, m.mul(2)]), { ord: Infinity, axis: [1, 2] }).toArray()).toEqual([7, 14]);
  });

  it('integers are normed in f32', () => {
    const r = k.norm(k.array([3, 4], { dtype: 'i32' }));
    expect(r.dtype).toBe('f32');
    expect(r.item()).toBe(5);
  });

  it('unsupported orders are ShapeErrors', () => {
    expect(() => k.norm(v, { ord: 'fro' })).toThrow(k.ShapeError);
    expect(() => k.norm(v, { ord: 0 })).toThrow(k.ShapeError);
    expect(() => k.norm(m, { ord: 3 })).toThrow(k.ShapeError);
    expect(() => k.norm(m, { ord: 2, axis: [0, 1] })).toThrow(k.ShapeError);
  });

  it('ord = 2 on a matrix is the spectral norm or a ShapeError, never the Frobenius norm', () => {
    let r: number;
    try {
      r = k.norm(m, { ord: 2 }).item();
    } catch (e) {
      expect(e).toBeInstanceOf(k.ShapeError);
      return;
    }
    expect(r).toBeCloseTo(5.116672736016927, 5);
  });
});

describe('oneHot', () => {
  it('adds a last axis of size n with 1 at each index', () => {
    const r = k.oneHot(k.array([0, 2, 1], { dtype: 'i32' }), 3);
    expect(r.dtype).toBe('f32');
    expect(r.toArray()).toEqual([[1, 0, 0], [0, 0, 1], [0, 1, 0]]);
    expect(k.oneHot([[1]], 2, { dtype: 'i32' }).toArray()).toEqual([[[0, 1]]]);
    expect(k.oneHot(k.array(1, { dtype: 'i32' }), 3).toArray()).toEqual([0, 1, 0]);
  });

  it('out-of-range indices give all zeros (as jax.nn.one_hot)', () => {
    expect(k.oneHot([3, -1], 3).toArray()).toEqual([[0, 0, 0], [0, 0, 0]]);
  });
});

describe('sort and argsort', () => {
  it('sort along the last axis by default', () => {
    expect(k.sort(k.array([[3, 1], [0, 2]])).toArray()).toEqual([[1, 3], [0, 2]]);
    expect(k.sort(k.array([[3, 1], [0, 2]]), 0).toArray()).toEqual([[0, 1], [3, 2]]);
    expect(k.sort(k.array([[3, 1], [0, 2]]), null).toArray()).toEqual([0, 1, 2, 3]);
    expect(k.sort(k.array([2, 3, 1], { dtype: 'i32' })).dtype).toBe('i32');
  });

  it('NaN sorts last; -inf and inf in order', () => {
    expect(k.sort(k.array([3, NaN, -Infinity, 1, Infinity, NaN]))).toBeAllclose([-Infinity, 1, 3, Infinity, NaN, NaN], {
      equalNan: true,
    });
  });

  it('argsort is stable: equal keys keep their order', () => {
    expect(k.argsort(k.array([1, 1, 1, 0, 0])).toArray()).toEqual([3, 4, 0, 1, 2]);
    expect(k.argsort(k.array([3, 1, 2, 1, NaN, 0])).toArray()).toEqual([5, 1, 3, 2, 0, 4]);
    expect(k.argsort(k.array([2, 1])).dtype).toBe('i32');
  });

  it('argsort along an axis and flattened', () => {
    expect(k.argsort(k.array([[3, 1], [0, 2]]), 0).toArray()).toEqual([[1, 0], [0, 1]]);
    expect(k.argsort(k.array([[3, 1], [0, 2]]), -1).toArray()).toEqual([[1, 0], [0, 1]]);
    expect(k.argsort(k.array([[3, 1], [0, 2]]), null).toArray()).toEqual([2, 1, 3, 0]);
  });

  it('sort matches taking argsort', () => {
    const y = k.array([5, -1, 3, 3, 0, 8]);
    expect(k.take(y, k.argsort(y)).toArray()).toEqual(k.sort(y).toArray());
  });

  it('rejects an out-of-range axis', () => {
    expect(() => k.sort(k.array([1, 2]), 1)).toThrow(k.ShapeError);
  });
});
