// The layers (Linear, Flatten, activations, Softmax, Dropout, Sequential) and the initialisers
// of nn.init: shapes, values against hand computations, the statistics of random
// initialisers (mean and std within tolerance, Xavier bounds), and Dropout's masks and keys.
import { describe, expect, it } from 'vitest';
import * as k from '../../index.ts';
import { nn } from '../../stdlib/index.ts';

type T = k.Tensor;
const vals = (t: T) => Array.from(t.data(), Number);
const meanOf = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const stdOf = (v: number[]) => {
  const m = meanOf(v);
  return Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length);
};
const draw = (init: nn.Initializer, shape: number[], seed = 0) => vals(init(k.random.key(seed), shape, 'f32'));

describe('Linear and the activations', () => {
  it('Linear computes x Wᵀ + b with weight [out, in], with and without bias', () => {
    const l = new nn.Linear(3, 2);
    l.setParams({ weight: k.array([[1, 2, 3], [0, -1, 1]]), bias: k.array([0.5, -0.5]) });
    expect(l.call(k.array([[1, 1, 1], [2, 0, -1]]))).toBeAllclose([[6.5, -0.5], [-0.5, -1.5]]);
    expect(l.call(k.array([1, 1, 1]))).toBeAllclose([6.5, -0.5]);
    const nb = new nn.Linear(3, 2, { bias: false });
    expect(Object.keys(nb.params())).toEqual(['weight']);
    expect(String(nb)).toBe('Linear(in=3, out=2, bias=false)');
    expect(() => new nn.Linear(3, 2.5)).toThrow(/outFeatures must be a non-negative integer/);
  });

  it('PyTorch default init: weight and bias within ±1/√in, roughly uniform', () => {
    nn.manualSeed(0);
    const l = new nn.Linear(64, 128);
    const bound = 1 / 8;
    const w = vals(l.weight);
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(stdOf(w)).toBeCloseTo(bound / Math.sqrt(3), 2);
    expect(Math.max(...vals(l.bias!).map(Math.abs))).toBeLessThanOrEqual(bound);
  });

  it('custom initialisers and dtypes', () => {
    const l = new nn.Linear(2, 3, { weightInit: (_key, shape, dtype) => k.full(shape, 0.25, dtype), biasInit: nn.init.ones, dtype: 'f64' });
    expect(l.weight.dtype).toBe('f64');
    expect(l.call(k.array([[4, 4]], { dtype: 'f64' }))).toBeAllclose([[3, 3, 3]]);
    expect(() => new nn.Linear(2, 3, { weightInit: (_key, _shape, dtype) => k.zeros([2, 3], dtype) })).toThrow(/initialiser returned shape \[2, 3\], expected \[3, 2\]/);
  });

  it('ReLU, Sigmoid, Tanh, Identity and Softmax', () => {
    const x = k.array([[-1, 0, 2]]);
    expect(new nn.ReLU().call(x)).toBeAllclose([[0, 0, 2]]);
    expect(new nn.Sigmoid().call(x)).toBeAllclose([[1 / (1 + Math.E), 0.5, 1 / (1 + Math.exp(-2))]]);
    expect(new nn.Tanh().call(x)).toBeAllclose([[Math.tanh(-1), 0, Math.tanh(2)]]);
    expect(new nn.Identity().call(x)).toBe(x);
    const e = [Math.exp(-1), 1, Math.exp(2)];
    const s = e.reduce((a, b) => a + b);
    expect(new nn.Softmax().call(x)).toBeAllclose([e.map((v) => v / s)], { rtol: 1e-6 });
    expect(new nn.Softmax(0).call(x)).toBeAllclose([[1, 1, 1]]);
    // Stable for huge values; logSoftmax agrees with log(softmax).
    expect(nn.softmax(k.array([1e4, 0, -1e4]))).toBeAllclose([1, 0, 0]);
    expect(nn.logSoftmax(k.array([1e4, 1e4]))).toBeAllclose([-Math.LN2, -Math.LN2]);
    expect(nn.logSoftmax(x)).toBeAllclose(k.log(nn.softmax(x)), { rtol: 1e-6 });
  });

  it('Flatten keeps the batch axis by default', () => {
    const x = k.zeros([2, 3, 4, 5]);
    expect(new nn.Flatten().call(x).shape).toEqual([2, 60]);
    expect(new nn.Flatten(0).call(x).shape).toEqual([120]);
    expect(new nn.Flatten(1, 2).call(x).shape).toEqual([2, 12, 5]);
    expect(new nn.Flatten().call(k.zeros([7])).shape).toEqual([7]);
    const net = new nn.Sequential(new nn.Flatten(), new nn.Linear(12, 2));
    expect(net.call(k.ones([5, 3, 4])).shape).toEqual([5, 2]);
  });

  it('Sequential: add, at, length, layers', () => {
    const net = new nn.Sequential();
    expect(net.call(k.array([1]))).toBeAllclose([1]);
    net.add(new nn.Linear(1, 1)).add(new nn.ReLU());
    expect(net.length).toBe(2);
    expect(net.layers.map((l) => l.constructor.name)).toEqual(['Linear', 'ReLU']);
    expect(() => net.at(2)).toThrow(/there are 2 layers/);
  });
});

describe('initialisers (nn.init)', () => {
  const shape = [200, 300];

  it('normal(std, mean): mean and std within tolerance', () => {
    const v = draw(nn.init.normal(0.01), shape);
    expect(Math.abs(meanOf(v))).toBeLessThan(2e-4);
    expect(stdOf(v)).toBeCloseTo(0.01, 3);
    const w = draw(nn.init.normal(2, 5), shape);
    expect(meanOf(w)).toBeCloseTo(5, 1);
    expect(stdOf(w) / 2).toBeCloseTo(1, 1);
  });

  it('uniform(a, b): bounds, mean and std', () => {
    const v = draw(nn.init.uniform(-2, 4), shape);
    expect(Math.min(...v)).toBeGreaterThanOrEqual(-2);
    expect(Math.max(...v)).toBeLessThan(4);
    expect(meanOf(v)).toBeCloseTo(1, 1);
    expect(stdOf(v)).toBeCloseTo(6 / Math.sqrt(12), 1);
  });

  it('zeros, ones, constant', () => {
    expect(nn.init.zeros(k.random.key(0), [2, 2], 'f32').toArray()).toEqual([[0, 0], [0, 0]]);
    expect(nn.init.ones(k.random.key(0), [2], 'f64').dtype).toBe('f64');
    expect(nn.init.constant(42)(k.random.key(0), [3], 'f32').toArray()).toEqual([42, 42, 42]);
  });

  it('xavierUniform: within ±√(6/(fanIn+fanOut)), reaching near the bound, std bound/√3', () => {
    const bound = Math.sqrt(6 / (300 + 200));
    const v = draw(nn.init.xavierUniform(), shape);
    expect(Math.max(...v.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...v.map(Math.abs))).toBeGreaterThan(0.99 * bound);
    expect(stdOf(v)).toBeCloseTo(bound / Math.sqrt(3), 3);
    expect(Math.max(...draw(nn.init.xavierUniform(2), shape).map(Math.abs))).toBeGreaterThan(1.98 * bound);
  });

  it('xavierNormal: std √(2/(fanIn+fanOut))', () => {
    expect(stdOf(draw(nn.init.xavierNormal(), shape))).toBeCloseTo(Math.sqrt(2 / 500), 3);
  });

  it('kaimingUniform / kaimingNormal: gain/√fanIn (fans as PyTorch: [out, in, ...kernel])', () => {
    expect(nn.init.fans([8, 4])).toEqual({ fanIn: 4, fanOut: 8 });
    expect(nn.init.fans([16, 3, 5, 5])).toEqual({ fanIn: 75, fanOut: 400 });
    const relu = draw(nn.init.kaimingUniform({ nonlinearity: 'relu' }), shape);
    const bound = Math.sqrt(2) * Math.sqrt(3 / 300);
    expect(Math.max(...relu.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...relu.map(Math.abs))).toBeGreaterThan(0.99 * bound);
    expect(stdOf(draw(nn.init.kaimingNormal({ nonlinearity: 'relu' }), shape))).toBeCloseTo(Math.sqrt(2 / 300), 3);
    expect(stdOf(draw(nn.init.kaimingNormal({ nonlinearity: 'relu', mode: 'fanOut' }), shape))).toBeCloseTo(Math.sqrt(2 / 200), 3);
    const torchDefault = draw(nn.init.linearWeight, shape);
    expect(Math.max(...torchDefault.map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(300));
    expect(nn.init.gain('tanh')).toBeCloseTo(5 / 3);
  });

  it('the same key gives the same values; different keys different ones', () => {
    const a = draw(nn.init.normal(1), [100], 1), b = draw(nn.init.normal(1), [100], 1), c = draw(nn.init.normal(1), [100], 2);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });
});

describe('Dropout', () => {
  const n = 20_000;
  const x = k.random.normal(k.random.key(0), [n]).add(3);

  it('is the identity in evaluation mode and with p = 0; zero with p = 1', () => {
    expect(new nn.Dropout(0.5).eval().call(x)).toBe(x);
    expect(new nn.Dropout(0).call(x)).toBe(x);
    expect(vals(new nn.Dropout(1).call(k.ones([5])))).toEqual([0, 0, 0, 0, 0]);
    expect(() => new nn.Dropout(1.5)).toThrow(/p must be in \[0, 1\]/);
  });

  it('in training mode zeroes a fraction ≈ p and scales the rest by 1/(1 − p)', () => {
    for (const p of [0.2, 0.5, 0.9]) {
      const y = vals(new nn.Dropout(p).call(x, { key: k.random.key(1) }));
      const xv = vals(x);
      const zeros = y.filter((v) => v === 0).length / n;
      expect(Math.abs(zeros - p)).toBeLessThan(0.015);
      const kept = y.map((v, i) => [v, xv[i]!] as const).filter(([v]) => v !== 0);
      for (const [v, orig] of kept.slice(0, 200)) expect(v).toBeCloseTo(orig / (1 - p), 4);
      // The expectation is unchanged.
      expect(meanOf(y)).toBeCloseTo(3, 0);
    }
  });

  it('the mask follows the key: same key same mask, different keys different masks; the eager stream advances', () => {
    const d = new nn.Dropout(0.5);
    const mask = (y: T) => vals(y).map((v) => v === 0);
    const a = mask(d.call(x, { key: k.random.key(3) }));
    expect(mask(d.call(x, { key: k.random.key(3) }))).toEqual(a);
    expect(mask(d.call(x, { key: k.random.key(4) }))).not.toEqual(a);
    const s1 = mask(d.call(x)), s2 = mask(d.call(x));
    expect(s1).not.toEqual(s2);
    // Seeded: the same seed and construction order repeat the stream.
    nn.manualSeed(5);
    const e1 = mask(new nn.Dropout(0.5).call(x));
    nn.manualSeed(5);
    expect(mask(new nn.Dropout(0.5).call(x))).toEqual(e1);
    expect(mask(new nn.Dropout(0.5, { key: k.random.key(9) }).call(x))).toEqual(mask(new nn.Dropout(0.5, { key: k.random.key(9) }).call(x)));
  });

  it('two Dropout layers under one call key get different masks', () => {
    const net = new nn.Sequential(new nn.Dropout(0.5), new nn.Identity());
    const two = new nn.Sequential(new nn.Dropout(0.5), new nn.Dropout(0.5));
    const ones = k.ones([1000]);
    const y1 = vals(net.call(ones, { key: k.random.key(0) }));
    const y2 = vals(two.call(ones, { key: k.random.key(0) }));
    // The second layer drops more: about 3/4 of the elements are zero.
    expect(y2.filter((v) => v === 0).length).toBeGreaterThan(y1.filter((v) => v === 0).length + 150);
  });

  it('inside k.jit the key is an argument; without one it is a clear error', () => {
    const net = new nn.Sequential(new nn.Linear(4, 64), new nn.Dropout(0.5));
    const p = net.paramTree();
    const xb = k.ones([2, 4]);
    const f = k.jit((q: nn.ParamTree, xx: T, key: T) => net.apply(q, xx, { key }), { device: 'interp' });
    const a = f(p, xb, k.random.key(1)), b = f(p, xb, k.random.key(1)), c = f(p, xb, k.random.key(2));
    expect(vals(a)).toEqual(vals(b));
    expect(vals(a)).not.toEqual(vals(c));
    expect(f.stats().compiles).toBe(1);
    // The jitted result equals the eager one with the same key.
    expect(a).toBeAllclose(net.apply(p, xb, { key: k.random.key(1) }));
    const noKey = k.jit((q: nn.ParamTree, xx: T) => net.apply(q, xx), { device: 'interp' });
    expect(() => noKey(p, xb)).toThrow(/Dropout in training mode inside a jitted function needs a random key/);
    // In evaluation mode no key is needed.
    const evalF = k.jit((q: nn.ParamTree, xx: T) => net.apply(q, xx, { training: false }), { device: 'interp' });
    expect(evalF(p, xb)).toBeAllclose(net.eval().call(xb));
    net.train();
  });

  it('gradients flow through the kept elements only, scaled by 1/(1 − p)', () => {
    const d = new nn.Dropout(0.25);
    const xs = k.ones([400]);
    const key = k.random.key(11);
    const g = vals(k.grad((v: T) => d.call(v, { key }).sum())(xs) as T);
    const y = vals(d.call(xs, { key }));
    g.forEach((gi, i) => expect(gi).toBeCloseTo(y[i] === 0 ? 0 : 1 / 0.75, 5));
  });
});
