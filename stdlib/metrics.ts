// Metrics of the book's chapters 3–4: the number of correct predictions (`accuracy`, as the
// book's `accuracy`, and its traceable form `numCorrect`) and `evaluateAccuracy`, the
// fraction correct of a model over an iterable of batches, in evaluation mode.
import { KilnError } from '../compiler/ir/errors.ts';
import { astype, equal } from '../dsl/elementwise.ts';
import { jit } from '../dsl/jit.ts';
import { toTensor, type TensorLike } from '../dsl/lift.ts';
import { argmax, sum } from '../dsl/reduce.ts';
import { reshape } from '../dsl/shape-ops.ts';
import type { Tensor } from '../dsl/tensor.ts';
import type { Device } from '../runtime/device.ts';
import type { Module, ParamTree } from './nn/module.ts';

/**
 * The number of correct predictions as an i32 scalar tensor (traceable, for use inside jit).
 * Predictions of shape [n, classes] (logits or probabilities) are reduced by argmax over the
 * class axis; predictions of shape [n] are compared as they are.
 */
export function numCorrect(yHat: TensorLike, y: TensorLike): Tensor {
  let p = toTensor(yHat, 'f32');
  const t = toTensor(y, 'i32');
  if (p.ndim > 1 && p.shape[1]! > 1) p = argmax(p, { axis: 1 });
  if (p.size !== t.size) throw new KilnError(`accuracy: ${p.size} predictions for ${t.size} labels`);
  const pred = astype(p.ndim === t.ndim ? p : reshape(p, t.shape), t.dtype);
  return sum(astype(equal(pred, t), 'i32'));
}

/** The number of correct predictions, as the book's `accuracy(y_hat, y)` (divide by the batch size for a fraction). */
export function accuracy(yHat: TensorLike, y: TensorLike): number {
  return numCorrect(yHat, y).item();
}

/** Options of evaluateAccuracy. */
export interface EvaluateOptions {
  /**
   * Compile the forward pass and the count with `k.jit` (default true; the compiled function is
   * kept per network and device, so evaluating every epoch compiles once). `false` runs eagerly.
   */
  jit?: boolean;
  /** With `jit`, the device to compile for (by default that of the data, else the default device). */
  device?: Device | string;
}

type Counter = (p: ParamTree, x: Tensor, y: Tensor) => Tensor;
const counters = new WeakMap<object, Map<string, Counter>>();

function counterFor(net: Module<[Tensor], Tensor>, device: Device | string | undefined): Counter {
  let byDevice = counters.get(net);
  if (!byDevice) counters.set(net, (byDevice = new Map()));
  const key = device === undefined ? '' : String(device);
  let c = byDevice.get(key);
  if (!c) {
    c = jit((p: ParamTree, xb: Tensor, yb: Tensor) => numCorrect(net.apply(p, xb, { training: false }), yb), { device });
    byDevice.set(key, c);
  }
  return c;
}

/**
 * The fraction of correct predictions of `net` over `batches` (an iterable of `[x, y]`), as the
 * book's `evaluate_accuracy`: the network runs in evaluation mode (Dropout off), and its
 * modes are restored afterwards.
 */
export function evaluateAccuracy(net: Module<[Tensor], Tensor>, batches: Iterable<readonly [Tensor, Tensor]>, opts: EvaluateOptions = {}): number {
  const modes = net.namedModules().map(([, m]) => [m, m.training] as const);
  net.eval();
  try {
    let correct = 0, total = 0;
    let params: ParamTree | undefined;
    for (const [x, y] of batches) {
      let c: Tensor;
      if (opts.jit ?? true) {
        // Deferred layers are created eagerly on the first batch.
        if (!net.initialized) net.call(x);
        params ??= net.paramTree();
        c = counterFor(net, opts.device)(params, x, y);
      } else {
        c = numCorrect(net.call(x), y);
      }
      correct += c.item();
      total += y.size;
    }
    return total === 0 ? 0 : correct / total;
  } finally {
    for (const [m, t] of modes) m.training = t;
  }
}
