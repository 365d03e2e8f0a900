// The optimiser interface, as optax's gradient transformations: pure functions on parameter
// trees, so an update can run inside one jitted training step. The chapter-11 optimisers
// (momentum variants, Adagrad, RMSProp, Adam) and learning-rate schedules fit the same shape.
import type { TensorLike } from '../../dsl/lift.ts';
import type { Tensor } from '../../dsl/tensor.ts';

/**
 * A learning rate: a number, or a schedule giving the rate for the update count (an i32
 * scalar tensor, 0 for the first update; traced inside jit, so use tensor ops on it).
 */
export type LearningRate = number | ((count: Tensor) => TensorLike);

/** The result of one optimiser update: the new parameters and the new optimiser state. */
export interface OptimizerUpdate<P, S> {
  /** The updated parameters, structured like the parameters given. */
  params: P;
  /** The optimiser state for the next update. */
  state: S;
}

/**
 * An optimiser as a pure transformation of parameter trees: `init(params)` makes its state,
 * `update(grads, state, params)` returns new parameters and state. Neither mutates anything.
 */
export interface Optimizer<S = unknown> {
  /** The optimiser's name, e.g. 'sgd'. */
  readonly name: string;
  /** The initial state for parameters `params` (a tree of tensors). */
  init<P>(params: P): S;
  /** One step: `grads` and `params` have the same structure. */
  update<P>(grads: P, state: S, params: P): OptimizerUpdate<P, S>;
}
