// The user-facing array type. Shape and dtype live in the type parameters; the value is a
// concrete array or a variable of a function being traced.
import type { DType } from '../compiler/ir/dtype.ts';
import { avalToString, sizeOf, type AVal } from '../compiler/ir/ir.ts';
import * as ew from './elementwise.ts';
import { formatArray } from './format.ts';
import { getIndex, IndexUpdate, take, type IndexSpec } from './indexing.ts';
import type { TensorLike } from './lift.ts';
import * as la from './linalg.ts';
import * as red from './reduce.ts';
import * as so from './shape-ops.ts';
import { knownValue, requireKnown, type Value } from './trace.ts';

export type Shape = readonly number[];

/** Nested arrays as returned by toArray(). */
export type NestedNumbers = number | boolean | NestedNumbers[];

export class Tensor<S extends Shape = Shape, D extends DType = DType> {
  /** @internal The value behind this tensor. */
  readonly _value: Value;
  /** Type-only brands: they carry S and D so that tensors of different shapes differ. */
  declare readonly __shape?: S;
  declare readonly __dtype?: D;

  private constructor(value: Value) {
    this._value = value;
  }

  /** @internal */
  static _wrap<S extends Shape = Shape, D extends DType = DType>(value: Value): Tensor<S, D> {
    return new Tensor<S, D>(value);
  }

  get aval(): AVal {
    return this._value.kind === 'concrete' ? this._value.host.aval : this._value.v.aval;
  }
  /** The shape, e.g. [2, 3]. */
  get shape(): S {
    return this.aval.shape as unknown as S;
  }
  get dtype(): D {
    return this.aval.dtype as D;
  }
  get ndim(): number {
    return this.aval.shape.length;
  }
  get size(): number {
    return sizeOf(this.aval.shape);
  }
  /** True while this tensor stands for a value of a function being traced. */
  get isTraced(): boolean {
    return this._value.kind === 'traced';
  }

  /** A copy of the elements as a typed array (row-major). */
  data(): Float32Array | Float64Array | Int32Array | Uint8Array {
    return requireKnown(this._value, 'read the data').data.slice();
  }

  /** The elements as nested JS arrays (booleans for bool tensors). */
  toArray(): NestedNumbers {
    const h = requireKnown(this._value, 'read the value');
    const isBool = h.aval.dtype === 'bool';
    const shape = h.aval.shape;
    let k = 0;
    const build = (axis: number): NestedNumbers => {
      if (axis === shape.length) {
        const v = h.data[k++]!;
        return isBool ? v !== 0 : v;
      }
      return Array.from({ length: shape[axis]! }, () => build(axis + 1));
    };
    return build(0);
  }

  /** The single element of a size-1 tensor as a JS number (or boolean). */
  item(): number {
    const h = requireKnown(this._value, 'read the value');
    if (h.data.length !== 1) throw new TypeError(`item() needs a tensor of one element, got ${avalToString(h.aval)}`);
    return h.data[0]!;
  }

  /** Lets JS comparisons (`x.sum() > 0`) read scalar values; fails on abstract traced values. */
  valueOf(): number {
    return this.item();
  }

  /** NumPy-like printing; traced values without a known value print their type. */
  toString(): string {
    const h = knownValue(this._value);
    if (!h) return `Tensor(traced ${avalToString(this.aval)})`;
    return formatArray(h.data, h.aval.shape, h.aval.dtype);
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `Tensor(${this.toString()}, ${avalToString(this.aval)})`;
  }

  // ---- elementwise
  add(o: TensorLike): Tensor { return ew.add(this, o); }
  sub(o: TensorLike): Tensor { return ew.sub(this, o); }
  mul(o: TensorLike): Tensor { return ew.mul(this, o); }
  div(o: TensorLike): Tensor { return ew.div(this, o); }
  pow(o: TensorLike): Tensor { return ew.pow(this, o); }
  maximum(o: TensorLike): Tensor { return ew.maximum(this, o); }
  minimum(o: TensorLike): Tensor { return ew.minimum(this, o); }
  neg(): Tensor<S, D> { return ew.neg(this) as Tensor<S, D>; }
  abs(): Tensor<S, D> { return ew.abs(this) as Tensor<S, D>; }
  sign(): Tensor<S, D> { return ew.sign(this) as Tensor<S, D>; }
  exp(): Tensor<S> { return ew.exp(this) as Tensor<S>; }
  log(): Tensor<S> { return ew.log(this) as Tensor<S>; }
  log1p(): Tensor<S> { return ew.log1p(this) as Tensor<S>; }
  expm1(): Tensor<S> { return ew.expm1(this) as Tensor<S>; }
  sqrt(): Tensor<S> { return ew.sqrt(this) as Tensor<S>; }
  rsqrt(): Tensor<S> { return ew.rsqrt(this) as Tensor<S>; }
  sin(): Tensor<S> { return ew.sin(this) as Tensor<S>; }
  cos(): Tensor<S> { return ew.cos(this) as Tensor<S>; }
  tanh(): Tensor<S> { return ew.tanh(this) as Tensor<S>; }
  sigmoid(): Tensor<S> { return ew.sigmoid(this) as Tensor<S>; }
  relu(): Tensor<S, D> { return ew.relu(this) as Tensor<S, D>; }
  floor(): Tensor<S, D> { return ew.floor(this) as Tensor<S, D>; }
  ceil(): Tensor<S, D> { return ew.ceil(this) as Tensor<S, D>; }
  round(): Tensor<S, D> { return ew.round(this) as Tensor<S, D>; }
  clip(lo?: TensorLike, hi?: TensorLike): Tensor { return ew.clip(this, lo, hi); }
  equal(o: TensorLike): Tensor { return ew.equal(this, o); }
  notEqual(o: TensorLike): Tensor { return ew.notEqual(this, o); }
  less(o: TensorLike): Tensor { return ew.less(this, o); }
  lessEqual(o: TensorLike): Tensor { return ew.lessEqual(this, o); }
  greater(o: TensorLike): Tensor { return ew.greater(this, o); }
  greaterEqual(o: TensorLike): Tensor { return ew.greaterEqual(this, o); }
  logicalAnd(o: TensorLike): Tensor { return ew.logicalAnd(this, o); }
  logicalOr(o: TensorLike): Tensor { return ew.logicalOr(this, o); }
  logicalNot(): Tensor<S, 'bool'> { return ew.logicalNot(this) as Tensor<S, 'bool'>; }
  astype<D2 extends DType>(dtype: D2): Tensor<S, D2> { return ew.astype(this, dtype) as Tensor<S, D2>; }

  // ---- reductions
  sum(opts?: red.ReduceOpts): Tensor { return red.sum(this, opts); }
  mean(opts?: red.ReduceOpts): Tensor { return red.mean(this, opts); }
  max(opts?: red.ReduceOpts): Tensor { return red.max(this, opts); }
  min(opts?: red.ReduceOpts): Tensor { return red.min(this, opts); }
  prod(opts?: red.ReduceOpts): Tensor { return red.prod(this, opts); }
  var(opts?: red.ReduceOpts & { ddof?: number }): Tensor { return red.variance(this, opts); }
  std(opts?: red.ReduceOpts & { ddof?: number }): Tensor { return red.std(this, opts); }
  logsumexp(opts?: red.ReduceOpts): Tensor { return red.logsumexp(this, opts); }
  argmax(opts?: { axis?: number; keepdims?: boolean }): Tensor { return red.argmax(this, opts); }
  argmin(opts?: { axis?: number; keepdims?: boolean }): Tensor { return red.argmin(this, opts); }
  cumsum(axis?: number): Tensor { return red.cumsum(this, axis); }

  // ---- shapes
  reshape(shape: readonly number[]): Tensor { return so.reshape(this, shape); }
  /** Permutes the axes (reverses them without `perm`). */
  transpose(perm?: readonly number[]): Tensor { return so.transpose(this, perm); }
  /** The transpose (axes reversed). */
  get T(): Tensor { return so.transpose(this); }
  flatten(): Tensor { return so.reshape(this, [-1]); }
  broadcastTo(shape: readonly number[]): Tensor { return so.broadcastTo(this, shape); }
  expandDims(axis: number | readonly number[]): Tensor { return so.expandDims(this, axis); }
  squeeze(axis?: number | readonly number[]): Tensor { return so.squeeze(this, axis); }
  flip(axis?: number | readonly number[]): Tensor<S, D> { return so.flip(this, axis) as Tensor<S, D>; }
  repeat(repeats: number, axis?: number): Tensor { return so.repeat(this, repeats, axis); }
  tile(reps: number | readonly number[]): Tensor { return so.tile(this, reps); }

  // ---- indexing
  /** NumPy indexing: x.slice(0, [1, null, 2], '...', 'newaxis'). */
  slice(...specs: IndexSpec[]): Tensor { return getIndex(this, specs); }
  take(indices: TensorLike, axis?: number): Tensor { return take(this, indices, axis); }
  /** Functional update of the indexed part: x.at(0, [1, 3]).set(5). */
  at(...specs: IndexSpec[]): IndexUpdate { return new IndexUpdate(this, specs); }

  // ---- linear algebra
  matmul(o: TensorLike): Tensor { return la.matmul(this, o); }
  dot(o: TensorLike): Tensor { return la.dot(this, o); }
}
