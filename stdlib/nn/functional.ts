// Functional forms of the layers' computations: softmax and log-softmax computed stably
// (the max is subtracted first, and no gradient flows through it), and dropout with an
// explicit key. The layers and losses build on these.
import { stopGradient } from '../../dsl/autodiff.ts';
import { zerosLike } from '../../dsl/creation.ts';
import { div, exp, isFinite, log, sub, where } from '../../dsl/elementwise.ts';
import { toTensor, type TensorLike } from '../../dsl/lift.ts';
import { bernoulli, type Key } from '../../dsl/random.ts';
import { max, sum } from '../../dsl/reduce.ts';
import type { Tensor } from '../../dsl/tensor.ts';

/** x minus its maximum along `axis` (kept), the maximum treated as a constant; 0 where the maximum is not finite. */
function shifted(x: Tensor, axis: number): Tensor {
  const m = stopGradient(max(x, { axis, keepdims: true }));
  return sub(x, where(isFinite(m), m, 0));
}

/** softmax(x) = exp(x) / Σ exp(x) along `axis` (the last by default), computed stably (section 4.1). */
export function softmax(x: TensorLike, axis = -1): Tensor {
  const e = exp(shifted(toTensor(x, 'f32'), axis));
  return div(e, sum(e, { axis, keepdims: true }));
}

/** log(softmax(x)) along `axis`, computed stably as (x − m) − log Σ exp(x − m). */
export function logSoftmax(x: TensorLike, axis = -1): Tensor {
  const s = shifted(toTensor(x, 'f32'), axis);
  return sub(s, log(sum(exp(s), { axis, keepdims: true })));
}

/**
 * Dropout (section 5.6): zeroes each element with probability `p` and scales the others by
 * 1/(1−p), so the expectation is unchanged. The mask is drawn from `key`.
 */
export function dropout(x: TensorLike, p: number, key: Key): Tensor {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`dropout: p must be in [0, 1], got ${p}`);
  const t = toTensor(x, 'f32');
  if (p === 0) return t;
  if (p === 1) return zerosLike(t);
  const keep = bernoulli(key, 1 - p, t.shape);
  return where(keep, div(t, 1 - p), 0);
}
