// Dive into Deep Learning, section 4.1 (5.1 in the newer edition): activation functions.
// ReLU, sigmoid and tanh and their derivatives (by k.grad), printed at a few points and drawn
// as SVG charts. Without a nonlinearity between them, stacked linear layers collapse into one
// linear map; the last part checks that.
// Run: npx tsx examples/ch04/activation-functions.ts [--out DIR]
import path from 'node:path';
import * as k from 'kiln';
import { options } from './common.ts';

type T = k.Tensor;

const opts = options();
const x = k.arange(-8, 8.05, 0.1, { dtype: 'f32' });
const xs = Array.from(x.data(), Number);
const points = [-4, -1, 0, 1, 4];
const at = (values: number[], p: number) => values[xs.findIndex((v) => Math.abs(v - p) < 1e-4)]!;

const activations: [string, (v: T) => T][] = [
  ['relu', k.relu],
  ['sigmoid', k.sigmoid],
  ['tanh', k.tanh],
];
for (const [name, f] of activations) {
  // The elementwise derivative: the gradient of sum(f(x)).
  const ys = Array.from(f(x).data(), Number);
  const ds = Array.from((k.grad((v: T) => f(v).sum())(x) as T).data(), Number);
  console.log(`${name}(x) at x = ${points.join(', ')}: ${points.map((p) => at(ys, p).toFixed(4)).join(', ')}`);
  console.log(`${name}'(x) at x = ${points.join(', ')}: ${points.map((p) => at(ds, p).toFixed(4)).join(', ')}`);
  const file = path.join(opts.out, `${name}.svg`);
  const anim = new k.train.Animator({ title: name, xlabel: 'x', legend: [`${name}(x)`, `grad of ${name}`] });
  xs.forEach((v, i) => anim.add(v, [ys[i]!, ds[i]!]));
  anim.save(file);
  console.log(`chart: ${file}`);
}
// ReLU has no derivative at 0; the book (like PyTorch and JAX) takes the left-hand one, 0.
// Kiln's relu is max(x, 0), whose gradient splits a tie evenly, so k.grad gives 0.5 there.

// Two linear layers without an activation are one linear layer: (X W1 + b1) W2 + b2 = X (W1 W2) + (b1 W2 + b2).
const [k1, k2, k3, k4, k5] = k.random.split(k.random.key(opts.seed), 5) as [T, T, T, T, T];
const X = k.random.normal(k1, [4, 6]);
const W1 = k.random.normal(k2, [6, 5]), b1 = k.random.normal(k3, [5]);
const W2 = k.random.normal(k4, [5, 3]), b2 = k.random.normal(k5, [3]);
const twoLayers = X.matmul(W1).add(b1).matmul(W2).add(b2);
const oneLayer = X.matmul(W1.matmul(W2)).add(b1.matmul(W2).add(b2));
console.log(`two linear layers equal one linear layer: ${k.allclose(twoLayers, oneLayer, { rtol: 1e-4, atol: 1e-4 })}`);
const withRelu = k.relu(X.matmul(W1).add(b1)).matmul(W2).add(b2);
console.log(`with a ReLU between them they differ: ${!k.allclose(withRelu, oneLayer, { rtol: 1e-4, atol: 1e-4 })}`);
