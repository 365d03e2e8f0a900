// Dive into Deep Learning, section 4.8 (5.4 in the newer edition): numerical stability and
// initialisation. Three experiments, printed as numbers (and the sigmoid curves as an SVG):
//
//   1. vanishing gradients: the sigmoid's derivative is at most 1/4 and almost 0 once |x| is
//      a few units, so a product of many such factors vanishes;
//   2. exploding gradients: a product of 100 random 4x4 Gaussian matrices grows without bound;
//   3. initialisation: signals pushed through a deep stack of linear layers fade out, blow up,
//      or keep their scale, depending on the weights' variance; Xavier's choice
//      Var[w] = 2 / (n_in + n_out) keeps it (and nn.init.xavierUniform draws it).
// Run: npx tsx examples/ch04/numerical-stability.ts [--out DIR]
import path from 'node:path';
import * as k from 'kiln';
import { nn } from 'kiln';
import { options } from './common.ts';

type T = k.Tensor;

const opts = options();
const fmt = (v: number) => (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(3) : v.toFixed(4));

// ---- 1. Vanishing gradients. The gradient of sum(sigmoid(x)) is sigmoid'(x) elementwise.
const x = k.arange(-8, 8.05, 0.1, { dtype: 'f32' });
const y = k.sigmoid(x);
const dy = k.grad((v: T) => k.sigmoid(v).sum())(x) as T;
console.log('sigmoid and its gradient:');
console.log('      x   sigmoid(x)   gradient');
const xs = Array.from(x.data(), Number), ys = Array.from(y.data(), Number), ds = Array.from(dy.data(), Number);
for (const at of [-8, -6, -4, -2, 0, 2, 4, 6, 8]) {
  const i = xs.findIndex((v) => Math.abs(v - at) < 1e-4);
  console.log(`${at.toFixed(1).padStart(7)}   ${ys[i]!.toFixed(6)}   ${ds[i]!.toExponential(3)}`);
}
console.log(`largest gradient: ${fmt(Math.max(...ds))} (at x = ${fmt(xs[ds.indexOf(Math.max(...ds))]!)})`);
// A chain of 10 sigmoid layers whose inputs sit at x = 4: the product of their derivatives.
const chain = ds[xs.findIndex((v) => Math.abs(v - 4) < 1e-4)]! ** 10;
console.log(`product of 10 sigmoid gradients at x = 4: ${fmt(chain)}`);
const chart = path.join(opts.out, 'sigmoid-gradient.svg');
const anim = new k.train.Animator({ title: 'sigmoid and its gradient', xlabel: 'x', legend: ['sigmoid', 'gradient'] });
xs.forEach((v, i) => anim.add(v, [ys[i]!, ds[i]!]));
anim.save(chart);
console.log(`chart: ${chart}`);

// ---- 2. Exploding gradients: M <- M · N(0, 1) matrix, 100 times.
let m = k.random.normal(k.random.key(opts.seed), [4, 4]);
console.log(`\na single matrix:\n${m}`);
const stepKeys = k.random.split(k.random.key(opts.seed + 1), 100);
for (let i = 0; i < 100; i++) {
  m = m.matmul(k.random.normal(stepKeys[i]!, [4, 4]));
  // The largest entry (the norm itself, a sum of squares, would overflow f32 before the entries do).
  if ((i + 1) % 25 === 0) console.log(`largest |entry| after ${i + 1} multiplications: ${fmt(k.max(k.abs(m)).item())}`);
}
console.log(`after multiplying 100 matrices:\n${m}`);

// ---- 3. Initialisation. 50 linear layers of width 256 (no nonlinearity, as in the
// derivation of 4.8.2): with weights of standard deviation σ each layer scales the variance
// of the signal by n_in·σ², so σ = 0.01 makes it vanish, σ = 1 explode, and Xavier's
// σ² = 2 / (n_in + n_out) = 1/256 keeps it at 1.
const width = 256, depth = 50;
const input = k.random.normal(k.random.key(opts.seed + 2), [64, width]);
const inits: [string, nn.Initializer][] = [
  ['normal(0.01)', nn.init.normal(0.01)],
  ['normal(1)', nn.init.normal(1)],
  ['xavierNormal', nn.init.xavierNormal()],
  ['xavierUniform', nn.init.xavierUniform()],
];
console.log(`\nvariance of the activations through ${depth} linear layers of width ${width} (input variance ${fmt(k.var(input).item())}):`);
for (const [name, init] of inits) {
  nn.manualSeed(opts.seed);
  const layers = Array.from({ length: depth }, () => new nn.Linear(width, width, { weightInit: init, biasInit: nn.init.zeros }));
  const variances: string[] = [];
  let h = input;
  layers.forEach((l, i) => {
    h = l.call(h);
    if ((i + 1) % 10 === 0) variances.push(`layer ${i + 1}: ${fmt(k.var(h).item())}`);
  });
  const w = k.var(layers[0]!.weight).item();
  console.log(`  ${name.padEnd(13)} Var[w] ${fmt(w)} -> ${variances.join(', ')}`);
}
// Xavier's variance for one layer of a different shape: 784 inputs, 256 outputs.
const xavier = new nn.Linear(784, 256, { weightInit: nn.init.xavierUniform(), key: k.random.key(3) });
console.log(`\nxavierUniform on a 784 -> 256 layer: sample Var[w] ${fmt(k.var(xavier.weight).item())}, 2 / (784 + 256) = ${fmt(2 / (784 + 256))}`);
console.log(`bound of the uniform: ${fmt(k.max(k.abs(xavier.weight)).item())} <= sqrt(6 / (784 + 256)) = ${fmt(Math.sqrt(6 / 1040))}`);
