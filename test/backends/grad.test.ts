// Gradients compiled for the CPU (`jit(grad(f), { device: 'cpu' })`) against the same
// gradients on the interpreter: an MLP loss (784 -> 256 -> 10, ReLU, softmax cross-entropy via
// logsumexp), a vanilla RNN scanned over 35 steps, and small functions with control flow
// (cond, switchCase, forLoop, scan) and non-smooth ops (max, where, clip, abs, sort).
import { describe, expect, it } from 'vitest';
import * as k from '../../index.ts';
import { cpuPresent, diff, rand, rng, useColdCache } from './helpers.ts';

useColdCache();

type T = k.Tensor;
type Params = { w1: T; b1: T; w2: T; b2: T };

/** Mean softmax cross-entropy of an MLP; labels come one-hot. */
function mlpLoss(p: Params, x: T, y: T): T {
  const h = x.matmul(p.w1).add(p.b1).relu();
  const logits = h.matmul(p.w2).add(p.b2);
  const lse = logits.logsumexp({ axis: 1 });
  return lse.sub(logits.mul(y).sum({ axis: 1 })).mean();
}

describe.runIf(cpuPresent)('compiled gradients equal the interpreter', () => {
  const r = rng(51);

  it('MLP 784 -> 256 -> 10 (batch 4): value and gradient of every parameter', () => {
    const p: Params = {
      w1: rand(r, [784, 256], 'f32', -0.05, 0.05), b1: rand(r, [256], 'f32', -0.1, 0.1),
      w2: rand(r, [256, 10], 'f32', -0.1, 0.1), b2: rand(r, [10], 'f32', -0.1, 0.1),
    };
    const x = rand(r, [4, 784], 'f32', 0, 1);
    const labels = [3, 7, 0, 9];
    const y = k.array(labels.map((l) => Array.from({ length: 10 }, (_, j) => (j === l ? 1 : 0))));
    const { cpu } = diff(k.valueAndGrad(mlpLoss), [p, x, y], { scale: 100 });
    const [loss, g] = cpu as [T, Params];
    expect(loss.item()).toBeGreaterThan(0);
    expect(Object.keys(g).sort()).toEqual(['b1', 'b2', 'w1', 'w2']);
    expect(g.w1.shape).toEqual([784, 256]);
  });

  it('RNN scanned over 35 steps: gradients of all weights and the initial state', () => {
    const nIn = 8, nH = 16, batch = 2, steps = 35;
    const p = {
      wx: rand(r, [nIn, nH], 'f32', -0.3, 0.3), wh: rand(r, [nH, nH], 'f32', -0.3, 0.3), b: rand(r, [nH], 'f32', -0.1, 0.1),
      wo: rand(r, [nH, 3], 'f32', -0.3, 0.3),
    };
    const h0 = rand(r, [batch, nH], 'f32', -0.5, 0.5), xs = rand(r, [steps, batch, nIn]), target = rand(r, [steps, batch, 3]);
    const loss = (p: { wx: T; wh: T; b: T; wo: T }, h0: T, xs: T, target: T) => {
      const [hT, ys] = k.scan((h: T, x: T) => {
        const h2 = x.matmul(p.wx).add(h.matmul(p.wh)).add(p.b).tanh();
        return [h2, h2.matmul(p.wo)] as [T, T];
      }, h0, xs);
      return ys.sub(target).mul(ys.sub(target)).mean().add(hT.mul(hT).sum().mul(0.01));
    };
    diff(k.grad(loss, { argnums: [0, 1] }), [p, h0, xs, target], { scale: 100 });
  });

  it('control flow and non-smooth ops: cond, switchCase, forLoop, scan reverse, max/where/clip/abs/sort (f64)', () => {
    const x = rand(r, [6], 'f64'), w = rand(r, [6, 6], 'f64', -0.5, 0.5);
    const f = (x: T, w: T, sel: T) => {
      const a = k.cond(x.sum().greater(0), (u: T) => u.sin().mul(w.slice(0)).sum(), (u: T) => u.mul(u).sum().mul(3), x);
      const b = k.switchCase(sel, [(u: T) => u.exp().sum(), (u: T) => u.tanh().matmul(w).sum(), (u: T) => u.abs().max()], x);
      const c = k.forLoop(0, 4, (_i: T, h: T) => h.matmul(w).tanh().add(x), x).sum();
      const d = k.scan((h: T, xi: T) => [h.mul(xi).add(1), h.mul(xi)] as [T, T], k.array(1, { dtype: 'f64' }), x, { reverse: true })[1].sum();
      const e = x.maximum(x.flip()).add(k.where(x.greater(0), x.mul(2), x.neg())).add(x.clip(-0.5, 0.5)).mul(k.sort(x)).sum();
      return a.add(b).add(c).add(d).add(e);
    };
    for (const sel of [0, 1, 2]) diff(k.grad(f, { argnums: [0, 1] }), [x, w, k.array(sel, { dtype: 'i32' })], { scale: 10 });
  });

  it('forward mode and higher derivatives: jvp (through whileLoop too), jacfwd, jacrev, hessian (f64)', () => {
    const x = rand(r, [4], 'f64', 0.2, 1.5);
    const f = (x: T) => x.sin().mul(x).add(x.exp().cumsum());
    diff(
      (x: T) => ({
        jvp: k.jvp(f, [x], [k.onesLike(x)]), jvpWhile: k.jvp((u: T) => k.whileLoop((c: T) => c.sum().less(20), (c: T) => c.mul(2), u), [x], [x.neg()]),
        jacfwd: k.jacfwd(f)(x), jacrev: k.jacrev(f)(x), hessian: k.hessian((u: T) => f(u).sum())(x),
      }),
      [x],
      { scale: 10 },
    );
  });
});

