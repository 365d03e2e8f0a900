// Minibatches over arrays held on the host, as the book's data loaders give them: one pass
// per epoch, optionally shuffled by a permutation drawn from an explicit key folded with the
// epoch number (so epoch e of a loader is the same on every run and every backend).
import { foldIn, permutation, type Key } from '../../dsl/random.ts';
import type { Tensor } from '../../dsl/tensor.ts';
import { DataError, HostArray, toHostArray, type ArrayInput } from './host.ts';

/** How a DataLoader batches and orders examples. */
export interface DataLoaderOptions {
  /** Examples per batch. */
  batchSize: number;
  /** Reshuffle every epoch (needs `key`). Default false. */
  shuffle?: boolean;
  /** The random key of the shuffles; epoch e uses random.foldIn(key, e). */
  key?: Key;
  /** Drop the last batch when it is smaller than batchSize. Default false. */
  dropLast?: boolean;
  /** Applied to each feature batch on the host before it becomes a Tensor (e.g. a resize). */
  transform?: (x: HostArray) => HostArray;
  /** Applied to each label batch on the host before it becomes a Tensor. */
  targetTransform?: (y: HostArray) => HostArray;
}

/** Features and labels with the same first-axis length. */
export interface Dataset {
  x: ArrayInput;
  y: ArrayInput;
}

/**
 * Iterates `[xBatch, yBatch]` Tensors over a data set held on the host.
 *
 * ```ts
 * const loader = new DataLoader({ x, y }, { batchSize: 256, shuffle: true, key: k.random.key(0) });
 * for (let epoch = 0; epoch < 10; epoch++) for (const [xb, yb] of loader) step(xb, yb);
 * ```
 * Each `for ... of` is one epoch; `loader.epoch(e)` iterates epoch e explicitly.
 */
export class DataLoader implements Iterable<[Tensor, Tensor]> {
  /** The features, on the host. */
  readonly x: HostArray;
  /** The labels, on the host. */
  readonly y: HostArray;
  /** Examples per batch. */
  readonly batchSize: number;
  /** Whether each epoch has its own random order. */
  readonly shuffle: boolean;
  /** Whether a last, smaller batch is dropped. */
  readonly dropLast: boolean;
  private readonly key?: Key;
  private readonly transform?: (x: HostArray) => HostArray;
  private readonly targetTransform?: (y: HostArray) => HostArray;
  private nextEpoch = 0;

  constructor(data: Dataset, opts: DataLoaderOptions) {
    this.x = toHostArray(data.x, 'DataLoader x');
    this.y = toHostArray(data.y, 'DataLoader y');
    if (this.x.shape.length === 0 || this.y.shape.length === 0) throw new DataError('DataLoader: x and y need a first (example) axis');
    if (this.x.length !== this.y.length) {
      throw new DataError(`DataLoader: x has ${this.x.length} examples (shape [${this.x.shape.join(', ')}]) but y has ${this.y.length} (shape [${this.y.shape.join(', ')}])`);
    }
    if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1) throw new DataError(`DataLoader: batchSize must be a positive integer, got ${opts.batchSize}`);
    this.batchSize = opts.batchSize;
    this.shuffle = opts.shuffle ?? false;
    this.dropLast = opts.dropLast ?? false;
    if (this.shuffle && !opts.key) throw new DataError('DataLoader: shuffle needs an explicit random key (key: k.random.key(seed))');
    this.key = opts.key;
    this.transform = opts.transform;
    this.targetTransform = opts.targetTransform;
  }

  /** The number of examples. */
  get numExamples(): number {
    return this.x.length;
  }

  /** The number of batches per epoch. */
  get length(): number {
    const n = this.x.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** The example order of epoch e (0..n-1 unless shuffling). */
  order(epoch: number): Int32Array {
    const n = this.x.length;
    if (!this.shuffle) return Int32Array.from({ length: n }, (_, i) => i);
    return permutation(foldIn(this.key!, epoch), n).data() as Int32Array;
  }

  /** The host batches of epoch e, before they become Tensors. */
  *hostBatches(epoch: number): Generator<[HostArray, HostArray]> {
    const n = this.x.length, b = this.batchSize;
    const order = this.shuffle ? this.order(epoch) : null;
    const nb = this.length;
    for (let i = 0; i < nb; i++) {
      const lo = i * b, hi = Math.min(n, lo + b);
      let xb: HostArray, yb: HostArray;
      if (order) {
        const idx = order.subarray(lo, hi);
        xb = this.x.gather(idx);
        yb = this.y.gather(idx);
      } else {
        xb = this.x.rows(lo, hi);
        yb = this.y.rows(lo, hi);
      }
      if (this.transform) xb = this.transform(xb);
      if (this.targetTransform) yb = this.targetTransform(yb);
      yield [xb, yb];
    }
  }

  /** The batches of epoch e as Tensors. */
  *epoch(epoch: number): Generator<[Tensor, Tensor]> {
    for (const [xb, yb] of this.hostBatches(epoch)) yield [xb.toTensor(), yb.toTensor()];
  }

  /** One epoch; every new iteration is the next epoch (0, 1, 2, ...). */
  [Symbol.iterator](): Iterator<[Tensor, Tensor]> {
    return this.epoch(this.nextEpoch++);
  }
}
