// Data movement: broadcast_in_dim, reshape, transpose, slice, pad, concatenate, rev, gather,
// scatter. Expected arrays worked out by hand (row-major).
import { describe, expect, it } from 'vitest';
import type { DType } from '../../compiler/ir/dtype.ts';
import { ShapeError } from '../../compiler/ir/errors.ts';
import { Primitive, type PrimitiveParams } from '../../compiler/ir/primitives.ts';
import { evalPrimitive, hostTensor, type HostTensor } from '../../runtime/interp/index.ts';

const t = (shape: number[], values: number[], dtype: DType = 'f32') => hostTensor(shape, dtype, values);
const ev = <P extends Primitive>(p: P, params: PrimitiveParams[P], ...ins: HostTensor[]) => evalPrimitive(p, params, ins)[0]!;
const vals = (x: HostTensor) => Array.from(x.data);
const x23 = () => t([2, 3], [1, 2, 3, 4, 5, 6]); // [[1,2,3],[4,5,6]]

describe('broadcast_in_dim', () => {
  it('maps operand axes to result axes and repeats along the rest', () => {
    const r = ev(Primitive.BroadcastInDim, { shape: [2, 3], dims: [1] }, t([3], [1, 2, 3]));
    expect(vals(r)).toEqual([1, 2, 3, 1, 2, 3]);
    const c = ev(Primitive.BroadcastInDim, { shape: [2, 3], dims: [0] }, t([2], [1, 2]));
    expect(vals(c)).toEqual([1, 1, 1, 2, 2, 2]);
  });
  it('expands size-1 axes and scalars', () => {
    const r = ev(Primitive.BroadcastInDim, { shape: [3, 2], dims: [0, 1] }, t([3, 1], [1, 2, 3]));
    expect(vals(r)).toEqual([1, 1, 2, 2, 3, 3]);
    const s = ev(Primitive.BroadcastInDim, { shape: [2, 2], dims: [] }, t([], [9], 'i32'));
    expect(vals(s)).toEqual([9, 9, 9, 9]);
    expect(s.aval.dtype).toBe('i32');
  });
  it('rejects incompatible sizes', () => {
    expect(() => ev(Primitive.BroadcastInDim, { shape: [2, 4], dims: [1] }, t([3], [1, 2, 3]))).toThrow(ShapeError);
  });
});

describe('reshape and transpose', () => {
  it('reshape keeps row-major order', () => {
    const r = ev(Primitive.Reshape, { shape: [3, 2] }, x23());
    expect(r.aval.shape).toEqual([3, 2]);
    expect(vals(r)).toEqual([1, 2, 3, 4, 5, 6]);
  });
  it('transpose 2-D and 3-D', () => {
    expect(vals(ev(Primitive.Transpose, { perm: [1, 0] }, x23()))).toEqual([1, 4, 2, 5, 3, 6]);
    // x[i,j,k] = 100i + 10j + k, shape [2,2,3]; result[k,i,j] = x[i,j,k]
    const x = t([2, 2, 3], [0, 1, 2, 10, 11, 12, 100, 101, 102, 110, 111, 112]);
    const r = ev(Primitive.Transpose, { perm: [2, 0, 1] }, x);
    expect(r.aval.shape).toEqual([3, 2, 2]);
    expect(vals(r)).toEqual([0, 10, 100, 110, 1, 11, 101, 111, 2, 12, 102, 112]);
  });
});

describe('slice', () => {
  it('start/limit/strides', () => {
    const x = t([10], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 'i32');
    expect(vals(ev(Primitive.Slice, { start: [1], limit: [8], strides: [3] }, x))).toEqual([1, 4, 7]);
    expect(vals(ev(Primitive.Slice, { start: [1], limit: [9], strides: [3] }, x))).toEqual([1, 4, 7]);
    expect(vals(ev(Primitive.Slice, { start: [4], limit: [4], strides: [1] }, x))).toEqual([]);
  });
  it('2-D', () => {
    const r = ev(Primitive.Slice, { start: [0, 1], limit: [2, 3], strides: [1, 1] }, x23());
    expect(r.aval.shape).toEqual([2, 2]);
    expect(vals(r)).toEqual([2, 3, 5, 6]);
    expect(vals(ev(Primitive.Slice, { start: [1, 0], limit: [2, 3], strides: [1, 2] }, x23()))).toEqual([4, 6]);
  });
});

describe('pad', () => {
  const pad = (x: HostTensor, lo: number[], hi: number[], interior: number[], value = 0) =>
    ev(Primitive.Pad, { lo, hi, interior, value }, x);
  it('lo/hi/interior with a fill value', () => {
    expect(vals(pad(t([3], [1, 2, 3]), [1], [2], [1]))).toEqual([0, 1, 0, 2, 0, 3, 0, 0]);
    expect(vals(pad(t([2], [1, 2], 'i32'), [0], [1], [2], 7))).toEqual([1, 7, 7, 2, 7]);
    expect(vals(pad(t([1], [5]), [1], [0], [0], NaN))).toEqual([NaN, 5]);
  });
  it('negative lo/hi crop, also after interior padding', () => {
    expect(vals(pad(t([3], [1, 2, 3]), [-1], [-1], [0]))).toEqual([2]);
    // interior gives [1,0,2,0,3]; lo -2 drops [1,0], hi -1 drops [3]
    expect(vals(pad(t([3], [1, 2, 3]), [-2], [-1], [1]))).toEqual([2, 0]);
    expect(vals(pad(t([3], [1, 2, 3]), [-3], [0], [1]))).toEqual([0, 3]);
    expect(vals(pad(t([2], [1, 2]), [-2], [1], [0], 9))).toEqual([9]);
  });
  it('2-D, and empty operands', () => {
    const r = pad(t([2, 2], [1, 2, 3, 4]), [1, 0], [0, 1], [0, 1], -1);
    expect(r.aval.shape).toEqual([3, 4]);
    expect(vals(r)).toEqual([-1, -1, -1, -1, 1, -1, 2, -1, 3, -1, 4, -1]);
    expect(vals(pad(t([0], []), [2], [0], [3], 4))).toEqual([4, 4]);
  });
  it('rejects a negative result size', () => {
    expect(() => pad(t([2], [1, 2]), [-2], [-1], [0])).toThrow(ShapeError);
  });
});

describe('concatenate and rev', () => {
  it('concatenates along an axis', () => {
    const r = ev(Primitive.Concatenate, { axis: 1 }, t([2, 1], [1, 2]), t([2, 2], [3, 4, 5, 6]), t([2, 0], []));
    expect(r.aval.shape).toEqual([2, 3]);
    expect(vals(r)).toEqual([1, 3, 4, 2, 5, 6]);
    expect(vals(ev(Primitive.Concatenate, { axis: 0 }, t([1, 2], [1, 2]), t([2, 2], [3, 4, 5, 6])))).toEqual([1, 2, 3, 4, 5, 6]);
  });
  it('reverses the given axes', () => {
    expect(vals(ev(Primitive.Rev, { axes: [0] }, x23()))).toEqual([4, 5, 6, 1, 2, 3]);
    expect(vals(ev(Primitive.Rev, { axes: [1] }, x23()))).toEqual([3, 2, 1, 6, 5, 4]);
    expect(vals(ev(Primitive.Rev, { axes: [0, 1] }, x23()))).toEqual([6, 5, 4, 3, 2, 1]);
    expect(vals(ev(Primitive.Rev, { axes: [] }, x23()))).toEqual([1, 2, 3, 4, 5, 6]);
  });
});

describe('gather', () => {
  const x = () => t([4, 2], [0, 1, 2, 3, 4, 5, 6, 7]); // row r = [2r, 2r+1]
  it('selects slices of the first k axes, clamping indices', () => {
    const r = ev(Primitive.Gather, {}, x(), t([3, 1], [2, -5, 9], 'i32'));
    expect(r.aval.shape).toEqual([3, 2]);
    expect(vals(r)).toEqual([4, 5, 0, 1, 6, 7]);
  });
  it('k = rank picks elements; batch axes may be multi-dimensional', () => {
    const r = ev(Primitive.Gather, {}, x(), t([2, 1, 2], [3, 1, 0, 7], 'i32'));
    expect(r.aval.shape).toEqual([2, 1]);
    expect(vals(r)).toEqual([7, 1]); // x[3,1] = 7, x[0,min(7,1)] = 1
  });
  it('an empty indexed axis has nothing to clamp into: zeros', () => {
    const r = ev(Primitive.Gather, {}, t([0, 2], []), t([2, 1], [0, 3], 'i32'));
    expect(r.aval.shape).toEqual([2, 2]);
    expect(vals(r)).toEqual([0, 0, 0, 0]);
    const s = ev(Primitive.Scatter, { mode: 'add' }, t([0, 2], []), t([1, 1], [0], 'i32'), t([1, 2], [1, 2]));
    expect(vals(s)).toEqual([]);
  });
  it('k = 0 copies the whole operand per index row', () => {
    const r = ev(Primitive.Gather, {}, t([2], [8, 9]), t([2, 0], [], 'i32'));
    expect(r.aval.shape).toEqual([2, 2]);
    expect(vals(r)).toEqual([8, 9, 8, 9]);
  });
});

describe('scatter', () => {
  it('add: duplicates accumulate; indices clamp', () => {
    const r = ev(Primitive.Scatter, { mode: 'add' }, t([3], [0, 0, 10]), t([3, 1], [1, 1, 5], 'i32'), t([3], [1, 2, 3]));
    expect(vals(r)).toEqual([0, 3, 13]);
  });
  it('set: the later update in row-major order of the index batch wins', () => {
    const idx = t([2, 2, 1], [0, 2, 0, -1], 'i32'); // rows: 0, 2, 0, 0(clamped)
    const r = ev(Primitive.Scatter, { mode: 'set' }, t([3], [5, 5, 5], 'i32'), idx, t([2, 2], [1, 2, 3, 4], 'i32'));
    expect(vals(r)).toEqual([4, 5, 2]);
  });
  it('writes whole slices', () => {
    const r = ev(Primitive.Scatter, { mode: 'add' }, t([3, 2], [1, 1, 1, 1, 1, 1]), t([1, 1], [2], 'i32'), t([1, 2], [10, 20]));
    expect(vals(r)).toEqual([1, 1, 1, 1, 11, 21]);
  });
  it('add rounds each addition (f32) and wraps (i32); bool add is or', () => {
    const f = ev(Primitive.Scatter, { mode: 'add' }, t([1], [1]), t([2, 1], [0, 0], 'i32'), t([2], [2 ** -24, 2 ** -24]));
    expect(vals(f)).toEqual([1]); // 1 + 2^-24 ties to 1, twice
    const i = ev(Primitive.Scatter, { mode: 'add' }, t([1], [2 ** 31 - 1], 'i32'), t([1, 1], [0], 'i32'), t([1], [1], 'i32'));
    expect(vals(i)).toEqual([-(2 ** 31)]);
    const b = ev(Primitive.Scatter, { mode: 'add' }, t([2], [0, 1], 'bool'), t([2, 1], [0, 1], 'i32'), t([2], [1, 0], 'bool'));
    expect(vals(b)).toEqual([1, 1]);
  });
  it('does not mutate the operand', () => {
    const x = t([2], [1, 2]);
    ev(Primitive.Scatter, { mode: 'set' }, x, t([1, 1], [0], 'i32'), t([1], [9]));
    expect(vals(x)).toEqual([1, 2]);
  });
});
