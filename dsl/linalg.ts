// Linear algebra: matmul with batching, dot, outer, norms, one-hot encoding.
import { promoteTypes, type DType } from '../compiler/ir/dtype.ts';
import { Primitive } from '../compiler/ir/primitives.ts';
import { abs, astype, equal, mul, sqrt } from './elementwise.ts';
import { bind1, shapeError, toTensor, type TensorLike } from './lift.ts';
import { broadcastShapes } from './elementwise.ts';
import { max, min, sum } from './reduce.ts';
import { broadcastTo, expandDims, normAxes, reshape } from './shape-ops.ts';
import { iota } from './creation.ts';
import type { Tensor } from './tensor.ts';

function sameDType(a: Tensor, b: Tensor): [Tensor, Tensor] {
  let d: DType = promoteTypes(a.dtype, b.dtype);
  if (d === 'bool') d = 'i32';
  return [astype(a, d), astype(b, d)];
}

const fmt = (s: readonly number[]) => `[${s.join(', ')}]`;

/** Matrix product with NumPy's rules: 1-D operands are promoted, leading axes broadcast. */
export function matmul(a: TensorLike, b: TensorLike): Tensor {
  let [x, y] = sameDType(toTensor(a), toTensor(b));
  if (x.ndim === 0 || y.ndim === 0) throw shapeError('matmul', `operands must have at least one axis, got ${fmt(x.shape)} @ ${fmt(y.shape)}`);
  const xVec = x.ndim === 1, yVec = y.ndim === 1;
  if (xVec) x = reshape(x, [1, x.shape[0]!]);
  if (yVec) y = reshape(y, [y.shape[0]!, 1]);
  const k = x.shape[x.ndim - 1]!;
  if (k !== y.shape[y.ndim - 2]) {
    throw shapeError('matmul', `inner dimensions differ: ${fmt(toTensor(a).shape)} @ ${fmt(toTensor(b).shape)} (${k} vs ${y.shape[y.ndim - 2]})`);
  }
  let out: Tensor;
  if (y.ndim === 2) {
    // [..., m, k] @ [k, n]: one contraction, no batching needed.
    out = bind1(Primitive.DotGeneral, { lhsContract: [x.ndim - 1], rhsContract: [0], lhsBatch: [], rhsBatch: [] }, x, y);
  } else {
    let batch: number[];
    try {
      batch = broadcastShapes('matmul', x.shape.slice(0, -2), y.shape.slice(0, -2));
    } catch {
      throw shapeError('matmul', `batch dimensions of ${fmt(toTensor(a).shape)} @ ${fmt(toTensor(b).shape)} do not broadcast`);
    }
    x = broadcastTo(x, [...batch, ...x.shape.slice(-2)]);
    y = broadcastTo(y, [...batch, ...y.shape.slice(-2)]);
    const nb = batch.length;
    const bd = batch.map((_, i) => i);
    out = bind1(Primitive.DotGeneral, { lhsContract: [nb + 1], rhsContract: [nb], lhsBatch: bd, rhsBatch: bd }, x, y);
  }
  const s = [...out.shape];
  if (yVec) s.splice(s.length - 1, 1);
  if (xVec) s.splice(s.length - (yVec ? 1 : 2), 1);
  return reshape(out, s);
}

/** NumPy's dot: products of scalars, inner product of vectors, matrix products otherwise. */
export function dot(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = sameDType(toTensor(a), toTensor(b));
  if (x.ndim === 0 || y.ndim === 0) return mul(x, y);
  const ly = y.ndim === 1 ? 0 : y.ndim - 2;
  if (x.shape[x.ndim - 1] !== y.shape[ly]) {
    throw shapeError('dot', `shapes ${fmt(x.shape)} and ${fmt(y.shape)} not aligned (${x.shape[x.ndim - 1]} vs ${y.shape[ly]})`);
  }
  return bind1(Primitive.DotGeneral, { lhsContract: [x.ndim - 1], rhsContract: [ly], lhsBatch: [], rhsBatch: [] }, x, y);
}

/** Outer product of two arrays, flattened first. */
export function outer(a: TensorLike, b: TensorLike): Tensor {
  const x = reshape(toTensor(a), [-1]);
  const y = reshape(toTensor(b), [-1]);
  return mul(reshape(x, [-1, 1]), reshape(y, [1, -1]));
}

/** Options of norm: the order and the axes. */
export interface NormOpts {
  /** Vector norms: 1, 2, Infinity, -Infinity or any p > 0. Matrix norms: 'fro', 1, Infinity. */
  ord?: number | 'fro';
  axis?: number | readonly number[];
  keepdims?: boolean;
}

/** Vector or matrix norm, as NumPy's linalg.norm (Frobenius / L2 by default). */
export function norm(x: TensorLike, opts: NormOpts = {}): Tensor {
  let t = toTensor(x);
  if (t.dtype === 'bool' || t.dtype === 'i32') t = astype(t, 'f32');
  const axes = normAxes('norm', opts.axis, t.ndim);
  const { ord, keepdims } = opts;
  // A matrix norm over two axes: given explicitly, or a 2-D input with an order given.
  const isMatrix = axes.length === 2 && (opts.axis !== undefined || ord !== undefined);
  if (ord === undefined || ord === 'fro' || (ord === 2 && !isMatrix)) {
    if (ord === 'fro' && axes.length !== 2) throw shapeError('norm', `the Frobenius norm needs 2 axes, got ${axes.length}`);
    return sqrt(sum(mul(t, t), { axis: axes, keepdims }));
  }
  if (isMatrix) {
    const [r, c] = axes as [number, number];
    if (ord === 1) return reduceKeep(max(sum(abs(t), { axis: r, keepdims: true }), { axis: c, keepdims: true }), t, axes, keepdims);
    if (ord === Infinity) return reduceKeep(max(sum(abs(t), { axis: c, keepdims: true }), { axis: r, keepdims: true }), t, axes, keepdims);
    throw shapeError('norm', `matrix norm ord=${ord} is not supported (use 'fro', 1 or Infinity; the spectral norm needs an SVD)`);
  }
  if (ord === 1) return sum(abs(t), { axis: axes, keepdims });
  if (ord === Infinity) return max(abs(t), { axis: axes, keepdims });
  if (ord === -Infinity) return min(abs(t), { axis: axes, keepdims });
  if (ord > 0) return abs(t).pow(ord).sum({ axis: axes, keepdims }).pow(1 / ord);
  throw shapeError('norm', `vector norm ord=${ord} is not supported`);
}

function reduceKeep(r: Tensor, t: Tensor, axes: readonly number[], keepdims: boolean | undefined): Tensor {
  return keepdims ? r : reshape(r, t.shape.filter((_, i) => !axes.includes(i)));
}

/** One-hot encoding: a new last axis of size `n`, 1 at each index and 0 elsewhere. */
export function oneHot(indices: TensorLike, n: number, opts: { dtype?: DType } = {}): Tensor {
  const idx = astype(toTensor(indices), 'i32');
  const classes = iota([n], 'i32');
  return astype(equal(expandDims(idx, -1), classes), opts.dtype ?? 'f32');
}
