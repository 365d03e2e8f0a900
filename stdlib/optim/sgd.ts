// Minibatch stochastic gradient descent (section 3.4), with optional weight decay (section
// 3.7, added to the gradient as PyTorch's `weight_decay`) and momentum (PyTorch's form:
// v ← μv + g, w ← w − ηv; Nesterov: w ← w − η(g + μv)).
import { isFloat } from '../../compiler/ir/dtype.ts';
import { KilnError } from '../../compiler/ir/errors.ts';
import { full, zerosLike } from '../../dsl/creation.ts';
import { add, astype, mul, sub } from '../../dsl/elementwise.ts';
import { toTensor } from '../../dsl/lift.ts';
import { Tensor } from '../../dsl/tensor.ts';
import { treeFlatten, treeUnflatten } from '../../dsl/tree.ts';
import { leafPaths } from './tree-paths.ts';
import type { LearningRate, Optimizer, OptimizerUpdate } from './types.ts';

/** Options of sgd. */
export interface SgdOptions {
  /** The learning rate η: a number, or a schedule of the update count. */
  lr: LearningRate;
  /** The momentum μ (default 0: plain SGD). */
  momentum?: number;
  /** Nesterov momentum (default false). */
  nesterov?: boolean;
  /** The weight decay λ: λw is added to each gradient (default 0). */
  weightDecay?: number;
  /**
   * Which parameters decay, by path and tensor (default all); e.g. the book's section 3.7
   * decays weights only: `(path) => path.endsWith('weight')`.
   */
  weightDecayMask?: (path: string, param: Tensor) => boolean;
}

/** The state of sgd: the update count and, with momentum, one velocity per parameter. */
export interface SgdState {
  /** Updates done so far (an i32 scalar). */
  count: Tensor;
  /** The velocities, structured like the parameters; null without momentum. */
  momentum: unknown;
}

/** The learning rate for update `count`, as a number or a scalar tensor. */
export function learningRateAt(lr: LearningRate, count: Tensor): number | Tensor {
  if (typeof lr === 'number') return lr;
  const r = lr(count);
  return typeof r === 'number' ? r : toTensor(r, 'f32');
}

/**
 * Stochastic gradient descent as a pure transformation: `w ← w − η(g + λw)` (with momentum,
 * through the velocity). `sgd({ lr: 0.1, weightDecay: 1e-4, momentum: 0.9 })`.
 */
export function sgd(opts: SgdOptions): Optimizer<SgdState> {
  const mu = opts.momentum ?? 0;
  const wd = opts.weightDecay ?? 0;
  if (typeof opts.lr === 'number' && !(opts.lr >= 0)) throw new KilnError(`sgd: lr must be a non-negative number, got ${opts.lr}`);
  if (!(mu >= 0)) throw new KilnError(`sgd: momentum must be non-negative, got ${mu}`);
  if (!(wd >= 0)) throw new KilnError(`sgd: weightDecay must be non-negative, got ${wd}`);
  if (opts.nesterov && mu === 0) throw new KilnError('sgd: Nesterov momentum needs a momentum > 0');
  return {
    name: 'sgd',
    init<P>(params: P): SgdState {
      const momentum = mu > 0 ? treeUnflatten(treeFlatten(params).def, treeFlatten(params).leaves.map((l) => (l instanceof Tensor ? zerosLike(l) : l))) : null;
      return { count: full([], 0, 'i32'), momentum };
    },
    update<P>(grads: P, state: SgdState, params: P): OptimizerUpdate<P, SgdState> {
      const { leaves: ps, def } = treeFlatten(params);
      const gs = treeFlatten(grads).leaves;
      if (gs.length !== ps.length) throw new KilnError(`sgd.update: ${gs.length} gradients for ${ps.length} parameters (the trees must have the same structure)`);
      const paths = wd > 0 && opts.weightDecayMask ? leafPaths(params) : [];
      const vs = mu > 0 ? treeFlatten(state.momentum).leaves : [];
      if (mu > 0 && vs.length !== ps.length) throw new KilnError('sgd.update: the state does not match the parameters (was it made by init on these parameters?)');
      const lr = learningRateAt(opts.lr, state.count);
      const newP: unknown[] = [];
      const newV: unknown[] = [];
      ps.forEach((p, i) => {
        const g = gs[i];
        if (!(p instanceof Tensor) || !isFloat(p.dtype) || !(g instanceof Tensor)) {
          newP.push(p);
          newV.push(vs[i]);
          return;
        }
        let d = g.dtype === p.dtype ? g : astype(g, p.dtype);
        if (wd > 0 && (!opts.weightDecayMask || opts.weightDecayMask(paths[i]!, p))) d = add(d, mul(p, wd));
        if (mu > 0) {
          const v = add(mul(vs[i] as Tensor, mu), d);
          newV.push(v);
          d = opts.nesterov ? add(d, mul(v, mu)) : v;
        }
        const rate = typeof lr === 'number' ? lr : lr.dtype === p.dtype ? lr : astype(lr, p.dtype);
        newP.push(sub(p, mul(d, rate)));
      });
      return {
        params: treeUnflatten<P>(def, newP),
        state: { count: add(state.count, 1), momentum: mu > 0 ? treeUnflatten(def, newV) : null },
      };
    },
  };
}
