// Optimisers: SGD (weight decay, momentum, masks, schedules) against hand-computed updates,
// and trainStep: one jitted function (params, state, x, y[, key]) -> { params, state, loss }
// that reduces the loss of a small synthetic classification problem over 50 steps on the
// compiled CPU backend, giving the same parameters as the same step on the interpreter.
import { describe, expect, it } from 'vitest';
import * as k from '../../index.ts';
import { losses, nn, optim } from '../../stdlib/index.ts';
import { cpuPresent } from '../backends/helpers.ts';

type T = k.Tensor;
const f64 = (x: Parameters<typeof k.array>[0]) => k.array(x, { dtype: 'f64' });

describe('optim.sgd', () => {
  const params = { w: f64([1, 2]), b: { bias: f64([0.5]) } };
  const grads = { w: f64([0.5, -1]), b: { bias: f64([2]) } };

  it('plain SGD: w − η g; the state counts updates', () => {
    const opt = optim.sgd({ lr: 0.1 });
    const state = opt.init(params);
    expect(state.count.item()).toBe(0);
    expect(state.momentum).toBeNull();
    const r = opt.update(grads, state, params);
    expect(r.params.w).toBeAllclose([0.95, 2.1], { rtol: 1e-12 });
    expect(r.params.b.bias).toBeAllclose([0.3], { rtol: 1e-12 });
    expect(r.state.count.item()).toBe(1);
    expect(r.params.w.dtype).toBe('f64');
  });

  it('weight decay: w − η (g + λ w), optionally for some parameters only', () => {
    const r = optim.sgd({ lr: 0.1, weightDecay: 0.01 }).update(grads, optim.sgd({ lr: 0.1 }).init(params), params);
    expect(r.params.w).toBeAllclose([1 - 0.1 * (0.5 + 0.01 * 1), 2 - 0.1 * (-1 + 0.01 * 2)], { rtol: 1e-12 });
    expect(r.params.b.bias).toBeAllclose([0.5 - 0.1 * (2 + 0.01 * 0.5)], { rtol: 1e-12 });
    const masked = optim.sgd({ lr: 0.1, weightDecay: 0.01, weightDecayMask: (path) => path !== 'b.bias' });
    const m = masked.update(grads, masked.init(params), params);
    expect(m.params.w).toBeAllclose(r.params.w, { rtol: 1e-12 });
    expect(m.params.b.bias).toBeAllclose([0.3], { rtol: 1e-12 });
  });

  it('weight decay equals adding λ·l2Penalty to the loss', () => {
    const x = f64([[1, 2], [3, 4]]), y = f64([1, 0]);
    const loss = (p: { w: T }) => losses.mseLoss(x.matmul(p.w), y);
    const p = { w: f64([0.3, -0.2]) };
    const opt = optim.sgd({ lr: 0.05, weightDecay: 0.1 });
    const a = opt.update(k.grad(loss)(p), opt.init(p), p);
    const plain = optim.sgd({ lr: 0.05 });
    const g = k.grad((q: { w: T }) => loss(q).add(losses.l2Penalty(q).mul(0.1)))(p);
    expect(a.params.w).toBeAllclose(plain.update(g, plain.init(p), p).params.w, { rtol: 1e-12 });
  });

  it('momentum: v ← μ v + g, w ← w − η v (two steps by hand), and Nesterov', () => {
    const opt = optim.sgd({ lr: 0.1, momentum: 0.9 });
    const p0 = { w: f64([1]) };
    let s = opt.init(p0);
    expect((s.momentum as { w: T }).w).toBeAllclose([0]);
    const r1 = opt.update({ w: f64([1]) }, s, p0); // v = 1, w = 0.9
    expect(r1.params.w).toBeAllclose([0.9], { rtol: 1e-12 });
    s = r1.state;
    const r2 = opt.update({ w: f64([2]) }, s, r1.params); // v = 0.9 + 2 = 2.9, w = 0.9 − 0.29
    expect((r2.state.momentum as { w: T }).w).toBeAllclose([2.9], { rtol: 1e-12 });
    expect(r2.params.w).toBeAllclose([0.61], { rtol: 1e-12 });
    const nest = optim.sgd({ lr: 0.1, momentum: 0.9, nesterov: true });
    const n1 = nest.update({ w: f64([1]) }, nest.init(p0), p0); // v = 1, step g + μ v = 1.9
    expect(n1.params.w).toBeAllclose([1 - 0.19], { rtol: 1e-12 });
  });

  it('a learning-rate schedule of the update count', () => {
    const opt = optim.sgd({ lr: (count) => k.pow(0.5, count.astype('f32')) });
    const p = { w: f64([0]) }, g = { w: f64([1]) };
    let r = opt.update(g, opt.init(p), p);
    expect(r.params.w).toBeAllclose([-1]);
    r = opt.update(g, r.state, r.params);
    expect(r.params.w).toBeAllclose([-1.5]);
  });

  it('rejects bad settings and mismatched trees', () => {
    expect(() => optim.sgd({ lr: -1 })).toThrow(/lr must be/);
    expect(() => optim.sgd({ lr: 0.1, nesterov: true })).toThrow(/Nesterov/);
    const opt = optim.sgd({ lr: 0.1 });
    expect(() => opt.update({ w: f64([1]) }, opt.init(params), params as never)).toThrow(/1 gradients for 2 parameters/);
  });
});

// ---- trainStep ----------------------------------------------------------------------------

/** Three Gaussian blobs in 2-D: a small synthetic classification problem. */
function blobs(n: number): { x: T; y: T } {
  const [k1, k2] = k.random.split(k.random.key(123), 2) as [T, T];
  const y = k.random.randint(k1, [n], 0, 3);
  const centres = k.array([[2, 0], [-1, 1.7], [-1, -1.7]]);
  const x = k.take(centres, y, 0).add(k.random.normal(k2, [n, 2], { std: 0.6 }));
  return { x, y };
}

function mlp(): nn.Sequential {
  nn.manualSeed(0);
  return new nn.Sequential(new nn.Linear(2, 16), new nn.ReLU(), new nn.Linear(16, 3));
}

interface Run {
  params: nn.ParamTree;
  losses: number[];
  compiles: number | undefined;
}

function train(device: string | null, opts: optim.TrainStepOptions = {}, steps = 50): Run {
  const { x, y } = blobs(96);
  const net = mlp();
  const opt = optim.sgd({ lr: 0.3, momentum: 0.5, weightDecay: 1e-3 });
  const step = optim.trainStep(net, losses.crossEntropy, opt, device === null ? { ...opts, jit: false } : { ...opts, device });
  let params = net.paramTree();
  let state = opt.init(params);
  const ls: number[] = [];
  for (let i = 0; i < steps; i++) {
    const r = step(params, state, x, y);
    params = r.params;
    state = r.state;
    ls.push(r.loss.item());
  }
  return { params, losses: ls, compiles: step.stats()?.compiles };
}

function expectSameParams(a: nn.ParamTree, b: nn.ParamTree, tol: { rtol: number; atol: number }): void {
  const la = k.treeFlatten(a).leaves as T[], lb = k.treeFlatten(b).leaves as T[];
  expect(la.length).toBe(lb.length);
  la.forEach((t, i) => expect(t).toBeAllclose(lb[i]!, tol));
}

describe('optim.trainStep', () => {
  const interp = train('interp', { donate: false });

  it('on the interpreter: one compilation, the loss falls, the same as the eager step', () => {
    expect(interp.compiles).toBe(1);
    expect(interp.losses[49]!).toBeLessThan(0.5 * interp.losses[0]!);
    const eager = train(null, {}, 5);
    interp.losses.slice(0, 5).forEach((l, i) => expect(eager.losses[i]!).toBeCloseTo(l, 5));
  });

  it('the donated step: the inputs are consumed, the results usable', () => {
    const net = mlp();
    const { x, y } = blobs(8);
    const opt = optim.sgd({ lr: 0.1 });
    const step = optim.trainStep(net, losses.crossEntropy, opt, { device: 'interp' });
    const p0 = net.paramTree();
    const r = step(p0, opt.init(p0), x, y);
    expect(() => net.call(x)).toThrow(/donated/);
    net.setParams(r.params);
    expect(net.call(x).shape).toEqual([8, 3]);
    expect(r.state.count.item()).toBe(1);
  });

  it('with a key (Dropout), a penalty and the predictions returned', () => {
    nn.manualSeed(1);
    const net = new nn.Sequential(new nn.Linear(2, 32), new nn.ReLU(), new nn.Dropout(0.3), new nn.Linear(32, 3));
    const { x, y } = blobs(32);
    const opt = optim.sgd({ lr: 0.2 });
    const penalty = (p: nn.ParamTree) => losses.l2Penalty(p).mul(1e-3);
    const step = optim.trainStep(net, losses.crossEntropy, opt, { device: 'interp', donate: false, penalty, withOutput: true });
    const p = net.paramTree(), s = opt.init(p);
    const a = step(p, s, x, y, k.random.key(1));
    const b = step(p, s, x, y, k.random.key(1));
    const c = step(p, s, x, y, k.random.key(2));
    expect(a.output!.shape).toEqual([32, 3]);
    expect(a.loss.item()).toBe(b.loss.item());
    expect(a.loss.item()).not.toBe(c.loss.item());
    const want = losses.crossEntropy(net.apply(p, x, { key: k.random.key(1) }), y).add(penalty(p));
    expect(a.loss).toBeAllclose(want, { rtol: 1e-5 });
    expect(() => step(p, s, x, y)).toThrow(/needs a random key/);
  });

  describe.runIf(cpuPresent)('compiled for the CPU', () => {
    // Without donation, so that the comparison with the interpreter tests the step itself.
    it('reduces the loss over 50 steps and gives the interpreter\'s parameters (f32 tolerance)', () => {
      const cpu = train('cpu', { donate: false });
      expect(cpu.compiles).toBe(1);
      expect(cpu.losses[49]!).toBeLessThan(0.5 * cpu.losses[0]!);
      expect(cpu.losses[0]).toBeCloseTo(interp.losses[0]!, 5);
      expectSameParams(cpu.params, interp.params, { rtol: 1e-4, atol: 1e-5 });
    }, 60_000);

    // A donated weight whose update is fused into a matmul epilogue is updated in place: the
    // product must not be stored into the output buffer the weight shares.
    it('with the parameters donated (the default) it also gives the interpreter\'s parameters', () => {
      const cpu = train('cpu');
      expect(cpu.losses[49]!).toBeLessThan(0.5 * cpu.losses[0]!);
      expectSameParams(cpu.params, interp.params, { rtol: 1e-4, atol: 1e-5 });
    }, 60_000);
  });
});
