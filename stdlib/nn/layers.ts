// The layers of the book's chapters 3–5: Linear (and its deferred form LazyLinear), Flatten,
// the activations ReLU, Sigmoid, Tanh and Softmax, Dropout, Identity, and the Sequential
// block. Linear weights have PyTorch's layout [out, in] (y = x Wᵀ + b) and PyTorch's default
// initialisation, U(-1/√in, 1/√in) for weight and bias.
import type { DType } from '../../compiler/ir/dtype.ts';
import { add, relu, sigmoid, tanh } from '../../dsl/elementwise.ts';
import { matmul } from '../../dsl/linalg.ts';
import { reshape, transpose } from '../../dsl/shape-ops.ts';
import type { Tensor } from '../../dsl/tensor.ts';
import type { Key } from '../../dsl/random.ts';
import { dropout, softmax } from './functional.ts';
import { linearBias, linearWeight } from './init.ts';
import { Module, ModuleError, type AnyModule, type Initializer, type ModuleOptions } from './module.ts';

/** Options of Linear and LazyLinear. */
export interface LinearOptions extends ModuleOptions {
  /** Whether to add a bias (default true). */
  bias?: boolean;
  /** The weight initialiser (default `init.linearWeight`, PyTorch's: U(-1/√in, 1/√in)). */
  weightInit?: Initializer;
  /** The bias initialiser (default U(-1/√in, 1/√in)). */
  biasInit?: Initializer;
  /** The parameters' dtype (default 'f32'). */
  dtype?: DType;
}

/**
 * A fully connected layer, y = x Wᵀ + b, with `weight` of shape [out, in] and `bias` of shape
 * [out]. `new Linear(null, out)` (or `new LazyLinear(out)`) infers `in` from the first input.
 */
export class Linear extends Module {
  /** The input size; null until a deferred layer has seen its first input. */
  inFeatures: number | null;
  /** The output size. */
  readonly outFeatures: number;
  /** Whether the layer adds a bias. */
  readonly hasBias: boolean;
  /** The weight, of shape [outFeatures, inFeatures]. */
  declare readonly weight: Tensor;
  /** The bias, of shape [outFeatures] (undefined without bias). */
  declare readonly bias: Tensor | undefined;
  /** @internal */
  private readonly _opts: LinearOptions;
  /** @internal Keys drawn at construction, so that deferred creation does not depend on when it happens. */
  private readonly _keys: [Key, Key] | undefined;

  constructor(inFeatures: number | null, outFeatures: number, opts: LinearOptions = {}) {
    super(opts);
    checkSize('Linear', 'outFeatures', outFeatures);
    if (inFeatures !== null) checkSize('Linear', 'inFeatures', inFeatures);
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.hasBias = opts.bias ?? true;
    this._opts = opts;
    if (inFeatures === null) {
      this._keys = [this.nextInitKey(), this.nextInitKey()];
      this.deferParam('weight');
      if (this.hasBias) this.deferParam('bias');
    } else {
      this._keys = undefined;
      this._create(inFeatures);
    }
  }

  /** @internal Creates the parameters for `inFeatures` inputs. */
  private _create(inFeatures: number, keys?: [Key, Key]): void {
    const dtype = this._opts.dtype ?? 'f32';
    this.inFeatures = inFeatures;
    this.param('weight', this._opts.weightInit ?? linearWeight, [this.outFeatures, inFeatures], { dtype, key: keys?.[0] });
    if (this.hasBias) this.param('bias', this._opts.biasInit ?? linearBias(inFeatures), [this.outFeatures], { dtype, key: keys?.[1] });
  }

  /** x Wᵀ + b for x of shape [..., in]. */
  override forward(x: Tensor): Tensor {
    if (!this.hasParam('weight')) {
      if (x.ndim === 0) throw new ModuleError('Linear: a deferred layer cannot infer its input size from a scalar');
      this._create(x.shape[x.ndim - 1]!, this._keys);
    }
    this.inFeatures ??= this.weight.shape[1]!;
    const y = matmul(x, transpose(this.weight));
    return this.hasBias ? add(y, this.bias!) : y;
  }

  protected override extraRepr(): string {
    return `in=${this.inFeatures ?? '?'}, out=${this.outFeatures}, bias=${this.hasBias}`;
  }
}

/**
 * A Linear layer whose input size is inferred on the first call (section 5.3's `nn.LazyLinear`):
 * its parameters exist only after that call (or `net.initialize(shape)`).
 */
export class LazyLinear extends Linear {
  constructor(outFeatures: number, opts: LinearOptions = {}) {
    super(null, outFeatures, opts);
  }
}

/** Flattens axes startDim..endDim into one (by default all but the first, the batch axis). */
export class Flatten extends Module {
  /** The first axis flattened. */
  readonly startDim: number;
  /** The last axis flattened (negative counts from the end). */
  readonly endDim: number;

  constructor(startDim = 1, endDim = -1) {
    super();
    this.startDim = startDim;
    this.endDim = endDim;
  }

  /** x with axes startDim..endDim merged. */
  override forward(x: Tensor): Tensor {
    const n = x.ndim;
    const s = this.startDim < 0 ? this.startDim + n : this.startDim;
    const e = this.endDim < 0 ? this.endDim + n : this.endDim;
    if (s < 0 || e >= n || s > e) {
      if (n === 0 || (s === n && e === n - 1)) return x; // nothing to flatten (e.g. a vector)
      throw new ModuleError(`Flatten: axes ${this.startDim}..${this.endDim} do not fit an input of shape [${x.shape.join(', ')}]`);
    }
    const merged = x.shape.slice(s, e + 1).reduce((a, b) => a * b, 1);
    return reshape(x, [...x.shape.slice(0, s), merged, ...x.shape.slice(e + 1)]);
  }

  protected override extraRepr(): string {
    return `startDim=${this.startDim}, endDim=${this.endDim}`;
  }
}

/** max(x, 0) elementwise. */
export class ReLU extends Module {
  /** ReLU of x. */
  override forward(x: Tensor): Tensor {
    return relu(x);
  }
}

/** The logistic sigmoid 1 / (1 + e^(−x)) elementwise. */
export class Sigmoid extends Module {
  /** Sigmoid of x. */
  override forward(x: Tensor): Tensor {
    return sigmoid(x);
  }
}

/** The hyperbolic tangent elementwise. */
export class Tanh extends Module {
  /** tanh of x. */
  override forward(x: Tensor): Tensor {
    return tanh(x);
  }
}

/** Softmax along an axis (the last by default), computed stably. */
export class Softmax extends Module {
  /** The axis normalised over. */
  readonly axis: number;

  constructor(axis = -1) {
    super();
    this.axis = axis;
  }

  /** softmax(x) along the axis. */
  override forward(x: Tensor): Tensor {
    return softmax(x, this.axis);
  }

  protected override extraRepr(): string {
    return `axis=${this.axis}`;
  }
}

/** The identity: returns its input (a placeholder layer). */
export class Identity extends Module {
  /** x itself. */
  override forward(x: Tensor): Tensor {
    return x;
  }
}

/**
 * Dropout (section 5.6): in training mode zeroes each element with probability `p` and scales
 * the rest by 1/(1−p); in evaluation mode the identity. The mask's key comes from the call's
 * `key` option (`net.apply(params, x, { key })`, required inside `k.jit`) or, eagerly, from the
 * layer's own key stream, advanced at every call.
 */
export class Dropout extends Module {
  /** The probability of zeroing an element. */
  readonly p: number;

  constructor(p = 0.5, opts: ModuleOptions = {}) {
    super(opts);
    if (!(p >= 0 && p <= 1)) throw new RangeError(`Dropout: p must be in [0, 1], got ${p}`);
    this.p = p;
  }

  /** x with dropout applied in training mode; x itself in evaluation mode. */
  override forward(x: Tensor): Tensor {
    if (!this.isTraining() || this.p === 0) return x;
    return dropout(x, this.p, this.nextRandomKey(x));
  }

  protected override extraRepr(): string {
    return `p=${this.p}`;
  }
}

/**
 * Layers applied in order (`nn.Sequential`): children are named '0', '1', ...; a module given
 * twice is one module (its parameters are shared, listed once under the first index).
 */
export class Sequential extends Module {
  /** @internal */
  private readonly _layers: AnyModule[] = [];

  constructor(...layers: AnyModule[]) {
    super();
    for (const l of layers) this.add(l);
  }

  /** Appends a layer (named by its index) and returns this block. */
  add(layer: AnyModule): this {
    this.child(String(this._layers.length), layer);
    this._layers.push(layer);
    return this;
  }

  /** The layer at index `i` (negative counts from the end), like `net[i]`. */
  at(i: number): AnyModule {
    const j = i < 0 ? i + this._layers.length : i;
    const l = this._layers[j];
    if (!l) throw new ModuleError(`Sequential.at(${i}): there are ${this._layers.length} layers`);
    return l;
  }

  /** The number of layers. */
  get length(): number {
    return this._layers.length;
  }

  /** The layers in order. */
  get layers(): readonly AnyModule[] {
    return this._layers;
  }

  /** Each layer applied to the previous one's output. */
  override forward(x: Tensor): Tensor {
    let y: unknown = x;
    for (const l of this._layers) y = l.call(y);
    return y as Tensor;
  }
}

function checkSize(layer: string, what: string, n: number): void {
  if (!Number.isInteger(n) || n < 0) throw new ModuleError(`${layer}: ${what} must be a non-negative integer, got ${n}`);
}
