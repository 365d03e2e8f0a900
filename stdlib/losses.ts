// Loss functions of the book's chapters 3–4: squared error (the book's ½(ŷ − y)² and
// PyTorch's MSELoss), softmax cross-entropy from logits with integer labels (or soft labels),
// computed stably with log-sum-exp so that its gradient is softmax − onehot and stays finite
// for huge logits, and the L2 penalty ½‖w‖² of weight decay (section 3.7).
import { isFloat } from '../compiler/ir/dtype.ts';
import { KilnError } from '../compiler/ir/errors.ts';
import { full } from '../dsl/creation.ts';
import { add, mul, sub } from '../dsl/elementwise.ts';
import { toTensor, type TensorLike } from '../dsl/lift.ts';
import { mean, sum } from '../dsl/reduce.ts';
import { expandDims, reshape, squeeze } from '../dsl/shape-ops.ts';
import { takeAlongAxis } from '../dsl/indexing.ts';
import { Tensor } from '../dsl/tensor.ts';
import { treeFlatten } from '../dsl/tree.ts';
import { logSoftmax } from './nn/functional.ts';

/** How per-example losses are combined: their mean (default), their sum, or none (per example). */
export type Reduction = 'mean' | 'sum' | 'none';

/** Options of the losses. */
export interface LossOptions {
  /** 'mean' (default), 'sum' or 'none'. */
  reduction?: Reduction;
}

function reduce(l: Tensor, reduction: Reduction = 'mean'): Tensor {
  switch (reduction) {
    case 'mean':
      return mean(l);
    case 'sum':
      return sum(l);
    case 'none':
      return l;
    default:
      throw new KilnError(`unknown reduction '${String(reduction satisfies never)}' (expected 'mean', 'sum' or 'none')`);
  }
}

/** y in ŷ's shape when they have the same number of elements (y of [n] against ŷ of [n, 1], as the book reshapes). */
function likePrediction(yHat: Tensor, y: Tensor, op: string): Tensor {
  if (y.ndim === yHat.ndim && y.shape.every((d, i) => d === yHat.shape[i])) return y;
  if (y.size === yHat.size) return reshape(y, yHat.shape);
  throw new KilnError(`${op}: predictions of shape [${yHat.shape.join(', ')}] and targets of shape [${y.shape.join(', ')}] differ in size`);
}

function prediction(x: TensorLike): Tensor {
  const t = toTensor(x, 'f32');
  return isFloat(t.dtype) ? t : t.astype('f32');
}

/**
 * The book's squared loss ½(ŷ − y)² (section 3.1), averaged over the elements by default.
 * y is reshaped to ŷ's shape when their sizes agree.
 */
export function squaredLoss(yHat: TensorLike, y: TensorLike, opts: LossOptions = {}): Tensor {
  const p = prediction(yHat);
  const d = sub(p, likePrediction(p, toTensor(y, p.dtype), 'squaredLoss'));
  return reduce(mul(mul(d, d), 0.5), opts.reduction);
}

/** Mean squared error (ŷ − y)², PyTorch's MSELoss (no ½), averaged by default. */
export function mseLoss(yHat: TensorLike, y: TensorLike, opts: LossOptions = {}): Tensor {
  const p = prediction(yHat);
  const d = sub(p, likePrediction(p, toTensor(y, p.dtype), 'mseLoss'));
  return reduce(mul(d, d), opts.reduction);
}

/** Options of crossEntropy. */
export interface CrossEntropyOptions extends LossOptions {
  /** The class axis of the logits (default -1, the last). */
  axis?: number;
}

/**
 * Softmax cross-entropy from unnormalised logits (section 4.1): −log softmax(logits)[label],
 * computed as logsumexp(logits) − logits[label] with the maximum subtracted first, so huge
 * logits neither overflow nor give NaN gradients (the gradient is softmax − onehot).
 * `labels` are integer class indices with the logits' shape less the class axis, or, as floats
 * of the logits' shape, class probabilities (soft labels).
 */
export function crossEntropy(logits: TensorLike, labels: TensorLike, opts: CrossEntropyOptions = {}): Tensor {
  const z = prediction(logits);
  if (z.ndim === 0) throw new KilnError('crossEntropy: the logits need a class axis');
  const axis = (opts.axis ?? -1) < 0 ? (opts.axis ?? -1) + z.ndim : (opts.axis ?? -1);
  if (axis < 0 || axis >= z.ndim) throw new KilnError(`crossEntropy: axis ${opts.axis} out of range for logits of shape [${z.shape.join(', ')}]`);
  const logp = logSoftmax(z, axis);
  const y = labels instanceof Tensor ? labels : toTensor(labels, 'i32');
  if (isFloat(y.dtype)) {
    // Soft labels: −Σ p log q along the class axis.
    if (y.ndim !== z.ndim || y.shape.some((d, i) => d !== z.shape[i])) {
      throw new KilnError(`crossEntropy: float labels are class probabilities and need the logits' shape [${z.shape.join(', ')}], got [${y.shape.join(', ')}]`);
    }
    return reduce(sum(mul(y.astype(z.dtype), logp), { axis }).neg(), opts.reduction);
  }
  const want = z.shape.filter((_, i) => i !== axis);
  let idx = y.dtype === 'i32' ? y : y.astype('i32');
  if (idx.ndim !== want.length || idx.shape.some((d, i) => d !== want[i])) {
    if (idx.size !== want.reduce((a, b) => a * b, 1)) {
      throw new KilnError(`crossEntropy: labels of shape [${idx.shape.join(', ')}] do not match logits of shape [${z.shape.join(', ')}] (expected [${want.join(', ')}])`);
    }
    idx = reshape(idx, want);
  }
  const picked = squeeze(takeAlongAxis(logp, expandDims(idx, axis), axis), axis);
  return reduce(picked.neg(), opts.reduction);
}

/**
 * The L2 penalty ½‖w‖² (section 3.7's `l2_penalty`): of one tensor, or summed over all float
 * leaves of a parameter tree. Add λ times it to the loss for weight decay.
 */
export function l2Penalty(params: unknown): Tensor {
  const leaves = treeFlatten(params).leaves.filter((l): l is Tensor => l instanceof Tensor && isFloat(l.dtype));
  if (leaves.length === 0) return full([], 0, 'f32');
  return leaves.map((w) => mul(sum(mul(w, w)), 0.5)).reduce((a, b) => add(a, b));
}
