// Dive into Deep Learning, section 4.2 (5.2 in the newer edition): a multilayer perceptron
// written from scratch. One hidden layer of 256 ReLU units between the 784 pixels of a
// Fashion-MNIST image and the 10 class scores; the parameters are a plain object of tensors,
// the update is minibatch SGD written out by hand, and the whole step (forward pass, loss,
// gradient, update) is compiled once with k.jit.
// Run: npx tsx examples/ch04/mlp-scratch.ts [--epochs 10] [--subset N] [--lr 0.1] [--out DIR]
import * as k from 'kiln';
import { accuracyOver, fashionMnist, fitClassifier, options } from './common.ts';

type T = k.Tensor;
interface Params {
  W1: T;
  b1: T;
  W2: T;
  b2: T;
}

const opts = options({ epochs: 10, lr: 0.1, batchSize: 256 });
const numInputs = 784, numHiddens = 256, numOutputs = 10;

// ---- Parameters: small Gaussian weights (std 0.01), zero biases. Note the layout: an input
// row vector times W, so W1 is [inputs, hidden] (the transpose of nn.Linear's [out, in]).
const [k1, k2] = k.random.split(k.random.key(opts.seed), 2) as [T, T];
let params: Params = {
  W1: k.random.normal(k1, [numInputs, numHiddens], { std: 0.01 }),
  b1: k.zeros([numHiddens]),
  W2: k.random.normal(k2, [numHiddens, numOutputs], { std: 0.01 }),
  b2: k.zeros([numOutputs]),
};

// ---- The activation: ReLU(x) = max(x, 0), by hand rather than k.relu.
const relu = (x: T): T => k.maximum(x, 0);

// ---- The model: flatten each 28x28 image to 784 values, hidden layer, output layer (logits).
function net(p: Params, x: T): T {
  const h = relu(x.reshape([-1, numInputs]).matmul(p.W1).add(p.b1));
  return h.matmul(p.W2).add(p.b2);
}

// ---- The loss: softmax cross-entropy of the logits (computed stably, from section 4.1).
const loss = (p: Params, x: T, y: T): [T, T] => {
  const logits = net(p, x);
  return [k.losses.crossEntropy(logits, y), logits];
};

// ---- One training step: loss and gradient, then w <- w - lr * grad for every parameter.
// The old parameters are donated: the compiled step may overwrite them in place.
const lr = opts.lr;
const step = k.jit(
  (p: Params, x: T, y: T) => {
    const [[l, logits], g] = k.valueAndGrad(loss, { hasAux: true })(p, x, y) as [[T, T], Params];
    const next: Params = {
      W1: p.W1.sub(g.W1.mul(lr)),
      b1: p.b1.sub(g.b1.mul(lr)),
      W2: p.W2.sub(g.W2.mul(lr)),
      b2: p.b2.sub(g.b2.mul(lr)),
    };
    return { params: next, loss: l, correct: k.metrics.numCorrect(logits, y) };
  },
  { donateArgnums: [0] },
);
const countCorrect = k.jit((p: Params, x: T, y: T) => k.metrics.numCorrect(net(p, x), y));

console.log(`MLP from scratch: ${numInputs} -> ${numHiddens} (ReLU) -> ${numOutputs}, lr ${lr}, batch ${opts.batchSize}, ${opts.epochs} epochs, device ${k.defaultDevice()}`);
const data = fashionMnist(opts.subset);
console.log(`training examples: ${data.train.labels.length}, test examples: ${data.test.labels.length}`);
fitClassifier({
  name: 'mlp-scratch',
  data,
  opts,
  step: (x, y) => {
    const r = step(params, x, y);
    params = r.params;
    return r;
  },
  testAccuracy: (batches) => accuracyOver(batches, (x, y) => countCorrect(params, x, y)),
});
console.log(`step compilations: ${step.stats().compiles}, kernels: ${step.stats().kernels}, compile ${step.stats().compileMs.toFixed(0)} ms`);
