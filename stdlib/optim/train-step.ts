// One training step built from a module, a loss and an optimiser: the forward pass with the
// parameters substituted (`net.apply`), the gradient (`k.valueAndGrad`), the optimiser update,
// all in ONE jitted function with the parameters and the optimiser state donated, so the
// compiled program may update them in place. This is the form the examples train with.
import { valueAndGrad } from '../../dsl/autodiff.ts';
import { add } from '../../dsl/elementwise.ts';
import { jit, type JitStats } from '../../dsl/jit.ts';
import type { Key } from '../../dsl/random.ts';
import type { Tensor } from '../../dsl/tensor.ts';
import type { Device } from '../../runtime/device.ts';
import type { CallOptions, Module, ParamTree } from '../nn/module.ts';
import type { Optimizer } from './types.ts';

/** A loss of the predictions and the targets, a float scalar (e.g. `losses.crossEntropy`). */
export type LossFn = (yHat: Tensor, y: Tensor) => Tensor;

/** Options of trainStep. */
export interface TrainStepOptions {
  /** Compile the step with `k.jit` (default true). */
  jit?: boolean;
  /**
   * Donate the parameters and the optimiser state to the step (default true, with jit): the
   * tensors passed in must not be used afterwards; use the returned ones (and, before using the
   * module itself, `net.setParams(params)`).
   */
  donate?: boolean;
  /** The device to compile for (by default that of the arguments, else the default device). */
  device?: Device | string;
  /**
   * A penalty of the parameters added to the loss, e.g. section 3.7's
   * `(p) => k.mul(losses.l2Penalty(p), lambda)` (or use the optimiser's weightDecay).
   */
  penalty?: (params: ParamTree) => Tensor;
  /** Also return the predictions ŷ of the batch as `output` (for training accuracy). */
  withOutput?: boolean;
}

/** What one training step returns. */
export interface StepResult<S> {
  /** The updated parameters (a tree like `net.paramTree()`). */
  params: ParamTree;
  /** The updated optimiser state. */
  state: S;
  /** The loss of the batch before the update (a scalar; with the penalty, if any). */
  loss: Tensor;
  /** The predictions on the batch, with `withOutput`. */
  output?: Tensor;
}

/**
 * A training step `(params, state, x, y[, key]) => { params, state, loss }`, jitted or not.
 * `key` is the random key of the step (for Dropout); inside jit it must be given when the
 * network has random layers.
 */
export type TrainStep<S> = ((params: ParamTree, state: S, x: Tensor, y: Tensor, key?: Key) => StepResult<S>) & {
  /** Whether the step is compiled with k.jit. */
  readonly jitted: boolean;
  /** The jit statistics (compilations, kernels, compile time); null when not jitted. */
  stats(): JitStats | null;
};

/**
 * Builds one training step of `net` with loss `loss` (e.g. `losses.crossEntropy`) and
 * optimiser `opt`, in training mode:
 *
 *   const step = optim.trainStep(net, losses.crossEntropy, optim.sgd({ lr: 0.1 }));
 *   let params = net.paramTree(), state = opt.init(params);
 *   for (const [x, y] of batches) ({ params, state } = step(params, state, x, y));
 *   net.setParams(params);
 */
export function trainStep<S>(net: Module<[Tensor], Tensor>, loss: LossFn, opt: Optimizer<S>, opts: TrainStepOptions = {}): TrainStep<S> {
  const withOutput = opts.withOutput ?? false;
  const penalty = opts.penalty;
  const step = (params: ParamTree, state: S, x: Tensor, y: Tensor, key?: Key): StepResult<S> => {
    const callOpts: CallOptions = key === undefined ? { training: true } : { key, training: true };
    const objective = (p: ParamTree) => {
      const yHat = net.apply(p, x, callOpts);
      const base = loss(yHat, y);
      const l = penalty ? add(base, penalty(p)) : base;
      return withOutput ? [l, yHat] : l;
    };
    const [value, grads] = valueAndGrad(objective, { hasAux: withOutput })(params);
    const [l, output] = withOutput ? (value as [Tensor, Tensor]) : [value as Tensor, undefined];
    const next = opt.update(grads as ParamTree, state, params);
    return withOutput ? { params: next.params, state: next.state, loss: l, output } : { params: next.params, state: next.state, loss: l };
  };
  if (opts.jit === false) return Object.assign(step, { jitted: false, stats: () => null });
  const donate = opts.donate ?? true;
  const compiled = jit(step, { donateArgnums: donate ? [0, 1] : [], device: opts.device });
  const run = (params: ParamTree, state: S, x: Tensor, y: Tensor, key?: Key) =>
    key === undefined ? compiled(params, state, x, y) : compiled(params, state, x, y, key);
  return Object.assign(run, { jitted: true, stats: (): JitStats | null => compiled.stats() });
}
