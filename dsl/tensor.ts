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
import type {
  AxisArg, Broadcast, BroadcastTo, CheckAxis, CheckBroadcast, CheckBroadcastTo, CheckDot, CheckExpandDims, CheckMatmul,
  CheckReshape, CheckSlice, CheckSqueeze, CheckTranspose, DotShape, ExpandDims, MatmulShape, ReduceShape, ReshapeShape,
  Shape, Size, SliceShape, Squeeze, TransposeShape,
} from './shape-types.ts';
import type { FloatOf, Promote } from './dtype-types.ts';
import { knownValue, requireKnown, type Value } from './trace.ts';
import type { Device } from '../runtime/device.ts';
import { defaultDevice, toDevice } from './devices.ts';

export type { Shape };

/** The other operand of a binary method: a JS number, or a tensor whose shape broadcasts. */
export type Operand<S extends Shape, B extends Shape, D2 extends DType> = number | (Tensor<B, D2> & CheckBroadcast<S, B>);
/** Options of reductions, with the axes checked against the shape. */
export type ReduceOptions<S extends Shape, A extends AxisArg, K extends boolean> = { axis?: A & CheckAxis<S, A>; keepdims?: K };
type DivType<D extends DType> = D extends 'i32' | 'bool' ? 'f32' : D;
type SumType<D extends DType> = D extends 'bool' ? 'i32' : D;

/** Nested arrays as returned by toArray(). */
export type NestedNumbers = number | boolean | NestedNumbers[];

/**
 * An n-dimensional array. `Tensor<[2, 3], 'f32'>` carries its shape and dtype in the type;
 * operations are methods (`x.add(y)`) and functions (`k.add(x, y)`) alike.
 */
export class Tensor<S extends Shape = Shape, D extends DType = DType> {
  /** @internal The value behind this tensor. */
  readonly _value: Value;
  /** Type-only brands: they carry S and D so that tensors of different shapes differ. */
  declare readonly __shape?: Readonly<S>;
  declare readonly __dtype?: D;

  private constructor(value: Value) {
    this._value = value;
  }

  /** @internal */
  static _wrap<S extends Shape = Shape, D extends DType = DType>(value: Value): Tensor<S, D> {
    return new Tensor<S, D>(value);
  }

  /** The shape and dtype, as the IR records them. */
  get aval(): AVal {
    return this._value.kind === 'concrete' ? this._value.array.aval : this._value.v.aval;
  }
  /** The shape, e.g. [2, 3]. */
  get shape(): S {
    return this.aval.shape as unknown as S;
  }
  /** The element type, e.g. 'f32'. */
  get dtype(): D {
    return this.aval.dtype as D;
  }
  /** The number of axes. */
  get ndim(): number {
    return this.aval.shape.length;
  }
  /** The number of elements. */
  get size(): number {
    return sizeOf(this.aval.shape);
  }
  /** The device the data lives on (the default device for values being traced). */
  get device(): Device {
    return this._value.kind === 'concrete' ? this._value.array.device : defaultDevice();
  }
  /** A copy on another device (`x.to('cpu')`); the tensor itself when already there. */
  to(d: Device | string): Tensor<S, D> {
    return toDevice(this, d);
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

  /** The single element of a size-1 tensor as a JS number (bool gives 0 or 1). */
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

  // ---- elementwise (NumPy broadcasting; JS numbers take this tensor's dtype)
  /** Elementwise this + o with broadcasting. */
  add<B extends Shape = [], D2 extends DType = D>(o: Operand<S, B, D2>): Tensor<Broadcast<S, B>, Promote<D, D2>> { return ew.add(this, o as TensorLike) as never; }
  /** Elementwise this - o with broadcasting. */
  sub<B extends Shape = [], D2 extends DType = D>(o: Operand<S, B, D2>): Tensor<Broadcast<S, B>, Promote<D, D2>> { return ew.sub(this, o as TensorLike) as never; }
  /** Elementwise this * o with broadcasting. */
  mul<B extends Shape = [], D2 extends DType = D>(o: Operand<S, B, D2>): Tensor<Broadcast<S, B>, Promote<D, D2>> { return ew.mul(this, o as TensorLike) as never; }
  /** Elementwise true division this / o (integers give f32). */
  div<B extends Shape = [], D2 extends DType = D>(o: Operand<S, B, D2>): Tensor<Broadcast<S, B>, DivType<Promote<D, D2>>> { return ew.div(this, o as TensorLike) as never; }
  /** Elementwise this ** o with broadcasting. */
  pow<B extends Shape = [], D2 extends DType = D>(o: Operand<S, B, D2>): Tensor<Broadcast<S, B>, Promote<D, D2>> { return ew.pow(this, o as TensorLike) as never; }
  /** Elementwise maximum with broadcasting; NaN propagates. */
  maximum<B extends Shape = [], D2 extends DType = D>(o: Operand<S, B, D2>): Tensor<Broadcast<S, B>, Promote<D, D2>> { return ew.maximum(this, o as TensorLike) as never; }
  /** Elementwise minimum with broadcasting; NaN propagates. */
  minimum<B extends Shape = [], D2 extends DType = D>(o: Operand<S, B, D2>): Tensor<Broadcast<S, B>, Promote<D, D2>> { return ew.minimum(this, o as TensorLike) as never; }
  /** Elementwise -x. */
  neg(): Tensor<S, D> { return ew.neg(this) as never; }
  /** Elementwise |x|. */
  abs(): Tensor<S, D> { return ew.abs(this) as never; }
  /** Elementwise sign: -1, 0 or 1. */
  sign(): Tensor<S, D> { return ew.sign(this) as never; }
  /** Elementwise e^x. */
  exp(): Tensor<S, FloatOf<D>> { return ew.exp(this) as never; }
  /** Elementwise natural logarithm. */
  log(): Tensor<S, FloatOf<D>> { return ew.log(this) as never; }
  /** Elementwise log(1 + x). */
  log1p(): Tensor<S, FloatOf<D>> { return ew.log1p(this) as never; }
  /** Elementwise e^x - 1. */
  expm1(): Tensor<S, FloatOf<D>> { return ew.expm1(this) as never; }
  /** Elementwise square root. */
  sqrt(): Tensor<S, FloatOf<D>> { return ew.sqrt(this) as never; }
  /** Elementwise 1 / sqrt(x). */
  rsqrt(): Tensor<S, FloatOf<D>> { return ew.rsqrt(this) as never; }
  /** Elementwise sine. */
  sin(): Tensor<S, FloatOf<D>> { return ew.sin(this) as never; }
  /** Elementwise cosine. */
  cos(): Tensor<S, FloatOf<D>> { return ew.cos(this) as never; }
  /** Elementwise hyperbolic tangent. */
  tanh(): Tensor<S, FloatOf<D>> { return ew.tanh(this) as never; }
  /** Elementwise logistic sigmoid. */
  sigmoid(): Tensor<S, FloatOf<D>> { return ew.sigmoid(this) as never; }
  /** max(x, 0). */
  relu(): Tensor<S, D> { return ew.relu(this) as never; }
  /** Elementwise floor. */
  floor(): Tensor<S, D> { return ew.floor(this) as never; }
  /** Elementwise ceiling. */
  ceil(): Tensor<S, D> { return ew.ceil(this) as never; }
  /** Elementwise rounding half to even. */
  round(): Tensor<S, D> { return ew.round(this) as never; }
  /** Limits values to [lo, hi]; either bound may be omitted. */
  clip(lo?: number | Tensor, hi?: number | Tensor): Tensor<S, D> { return ew.clip(this, lo, hi) as never; }
  /** Elementwise ==. */
  equal<B extends Shape = [], D2 extends DType = D>(o: Operand<S, B, D2>): Tensor<Broadcast<S, B>, 'bool'> { return ew.equal(this, o as TensorLike) as never; }
  /** Elementwise !=. */
  notEqual<B extends Shape = [], D2 extends DType = D>(o: Operand<S, B, D2>): Tensor<Broadcast<S, B>, 'bool'> { return ew.notEqual(this, o as TensorLike) as never; }
  /** Elementwise <. */
  less<B extends Shape = [], D2 extends DType = D>(o: Operand<S, B, D2>): Tensor<Broadcast<S, B>, 'bool'> { return ew.less(this, o as TensorLike) as never; }
  /** Elementwise <=. */
  lessEqual<B extends Shape = [], D2 extends DType = D>(o: Operand<S, B, D2>): Tensor<Broadcast<S, B>, 'bool'> { return ew.lessEqual(this, o as TensorLike) as never; }
  /** Elementwise >. */
  greater<B extends Shape = [], D2 extends DType = D>(o: Operand<S, B, D2>): Tensor<Broadcast<S, B>, 'bool'> { return ew.greater(this, o as TensorLike) as never; }
  /** Elementwise >=. */
  greaterEqual<B extends Shape = [], D2 extends DType = D>(o: Operand<S, B, D2>): Tensor<Broadcast<S, B>, 'bool'> { return ew.greaterEqual(this, o as TensorLike) as never; }
  /** Elementwise logical and. */
  logicalAnd<B extends Shape = [], D2 extends DType = D>(o: Operand<S, B, D2>): Tensor<Broadcast<S, B>, 'bool'> { return ew.logicalAnd(this, o as TensorLike) as never; }
  /** Elementwise logical or. */
  logicalOr<B extends Shape = [], D2 extends DType = D>(o: Operand<S, B, D2>): Tensor<Broadcast<S, B>, 'bool'> { return ew.logicalOr(this, o as TensorLike) as never; }
  /** Elementwise logical not. */
  logicalNot(): Tensor<S, 'bool'> { return ew.logicalNot(this) as never; }
  /** Converts to another dtype. */
  astype<D2 extends DType>(dtype: D2): Tensor<S, D2> { return ew.astype(this, dtype) as never; }

  // ---- reductions: { axis, keepdims } as NumPy
  /** Sum over the given axes (all by default). */
  sum<const A extends AxisArg = undefined, K extends boolean = false>(opts?: ReduceOptions<S, A, K>): Tensor<ReduceShape<S, A, K>, SumType<D>> { return red.sum(this, opts as red.ReduceOpts) as never; }
  /** Mean over the given axes (all by default). */
  mean<const A extends AxisArg = undefined, K extends boolean = false>(opts?: ReduceOptions<S, A, K>): Tensor<ReduceShape<S, A, K>, FloatOf<D>> { return red.mean(this, opts as red.ReduceOpts) as never; }
  /** Maximum over the given axes (all by default). */
  max<const A extends AxisArg = undefined, K extends boolean = false>(opts?: ReduceOptions<S, A, K>): Tensor<ReduceShape<S, A, K>, D> { return red.max(this, opts as red.ReduceOpts) as never; }
  /** Minimum over the given axes (all by default). */
  min<const A extends AxisArg = undefined, K extends boolean = false>(opts?: ReduceOptions<S, A, K>): Tensor<ReduceShape<S, A, K>, D> { return red.min(this, opts as red.ReduceOpts) as never; }
  /** Product over the given axes (all by default). */
  prod<const A extends AxisArg = undefined, K extends boolean = false>(opts?: ReduceOptions<S, A, K>): Tensor<ReduceShape<S, A, K>, SumType<D>> { return red.prod(this, opts as red.ReduceOpts) as never; }
  /** Whether all elements (along the axes) are true. */
  all<const A extends AxisArg = undefined, K extends boolean = false>(opts?: ReduceOptions<S, A, K>): Tensor<ReduceShape<S, A, K>, 'bool'> { return red.all(this, opts as red.ReduceOpts) as never; }
  /** Whether any element (along the axes) is true. */
  any<const A extends AxisArg = undefined, K extends boolean = false>(opts?: ReduceOptions<S, A, K>): Tensor<ReduceShape<S, A, K>, 'bool'> { return red.any(this, opts as red.ReduceOpts) as never; }
  /** Variance over the given axes, with `ddof` delta degrees of freedom. */
  var<const A extends AxisArg = undefined, K extends boolean = false>(opts?: ReduceOptions<S, A, K> & { ddof?: number }): Tensor<ReduceShape<S, A, K>, FloatOf<D>> { return red.variance(this, opts as red.ReduceOpts) as never; }
  /** Standard deviation over the given axes, with `ddof` delta degrees of freedom. */
  std<const A extends AxisArg = undefined, K extends boolean = false>(opts?: ReduceOptions<S, A, K> & { ddof?: number }): Tensor<ReduceShape<S, A, K>, FloatOf<D>> { return red.std(this, opts as red.ReduceOpts) as never; }
  /** log(sum(exp(x))) over the given axes, computed stably. */
  logsumexp<const A extends AxisArg = undefined, K extends boolean = false>(opts?: ReduceOptions<S, A, K>): Tensor<ReduceShape<S, A, K>, FloatOf<D>> { return red.logsumexp(this, opts as red.ReduceOpts) as never; }
  /** Index of the first maximum along `axis` (of the flattened array when omitted). */
  argmax<const A extends number | undefined = undefined, K extends boolean = false>(opts?: { axis?: A & CheckAxis<S, A>; keepdims?: K }): Tensor<ReduceShape<S, A, K>, 'i32'> { return red.argmax(this, opts as { axis?: number }) as never; }
  /** Index of the first minimum along `axis` (of the flattened array when omitted). */
  argmin<const A extends number | undefined = undefined, K extends boolean = false>(opts?: { axis?: A & CheckAxis<S, A>; keepdims?: K }): Tensor<ReduceShape<S, A, K>, 'i32'> { return red.argmin(this, opts as { axis?: number }) as never; }
  /** Inclusive cumulative sum along `axis` (of the flattened array when omitted). */
  cumsum(axis?: number): Tensor<Shape, SumType<D>> { return red.cumsum(this, axis) as never; }

  // ---- shapes
  /** Reshape; one dimension may be -1 and is inferred. */
  reshape<const R extends Shape>(shape: R & CheckReshape<S, R>): Tensor<ReshapeShape<S, R>, D> { return so.reshape(this, shape) as never; }
  /** Permutes the axes (reverses them without `perm`). */
  transpose<const P extends readonly number[] | undefined = undefined>(perm?: P & CheckTranspose<S, P>): Tensor<TransposeShape<S, P>, D> { return so.transpose(this, perm) as never; }
  /** The transpose (axes reversed). */
  get T(): Tensor<TransposeShape<S, undefined>, D> { return so.transpose(this) as never; }
  /** The elements as a 1-D tensor. */
  flatten(): Tensor<[Size<S>], D> { return so.reshape(this, [-1]) as never; }
  /** Broadcasts to `shape` by NumPy's rules. */
  broadcastTo<const T extends Shape>(shape: T & CheckBroadcastTo<S, T>): Tensor<BroadcastTo<S, T>, D> { return so.broadcastTo(this, shape) as never; }
  /** Inserts size-1 axes at the given positions of the result. */
  expandDims<const A extends number | readonly number[]>(axis: A & CheckExpandDims<S, A>): Tensor<ExpandDims<S, A>, D> { return so.expandDims(this, axis) as never; }
  /** Removes size-1 axes (all, or the given ones). */
  squeeze<const A extends AxisArg = undefined>(axis?: A & CheckSqueeze<S, A>): Tensor<Squeeze<S, A>, D> { return so.squeeze(this, axis) as never; }
  /** Reverses the order of elements along the given axes (all when omitted). */
  flip(axis?: number | readonly number[]): Tensor<S, D> { return so.flip(this, axis) as never; }
  /** Repeats each element along `axis` (flattened when omitted). */
  repeat(repeats: number, axis?: number): Tensor<Shape, D> { return so.repeat(this, repeats, axis) as never; }
  /** Repeats the whole array along each axis. */
  tile(reps: number | readonly number[]): Tensor<Shape, D> { return so.tile(this, reps) as never; }

  // ---- indexing
  /** NumPy indexing: x.slice(0, [1, null, 2], '...', 'newaxis'). */
  slice<const P extends readonly IndexSpec[]>(...specs: P & CheckSlice<S, P>): Tensor<SliceShape<S, P>, D> { return getIndex(this, specs) as never; }
  /** Elements at `indices` along `axis` (of the flattened array when omitted). */
  take(indices: TensorLike, axis?: number): Tensor<Shape, D> { return take(this, indices, axis) as never; }
  /** Functional update of the indexed part: x.at(0, [1, 3]).set(5). */
  at(...specs: IndexSpec[]): IndexUpdate { return new IndexUpdate(this, specs); }

  // ---- linear algebra
  /** Matrix product with NumPy's matmul rules (batching, 1-D promotion). */
  matmul<B extends Shape, D2 extends DType = D>(o: Tensor<B, D2> & CheckMatmul<S, B>): Tensor<MatmulShape<S, B>, Promote<D, D2>> { return la.matmul(this, o) as never; }
  /** NumPy's dot product. */
  dot<B extends Shape, D2 extends DType = D>(o: Tensor<B, D2> & CheckDot<S, B>): Tensor<DotShape<S, B>, Promote<D, D2>> { return la.dot(this, o) as never; }
}
