// Dive into Deep Learning, section 4.6 (5.6 in the newer edition): dropout. During training
// each hidden unit is zeroed with probability p and the survivors are scaled by 1/(1 - p), so
// every unit's expected value is unchanged; at test time the layer does nothing. The network
// is 784 -> 256 -> 256 -> 10 with ReLU, dropout 0.2 after the first hidden layer and 0.5 after
// the second, trained on Fashion-MNIST with lr 0.5 for 10 epochs:
//
//   scratch: the dropout layer by hand, parameters as a plain object, a jitted step written
//            out (forward, loss, gradient, SGD update);
//   concise: nn.Dropout in an nn.Sequential, optim.sgd and optim.trainStep.
//
// Random masks inside a compiled step: k.jit traces the step once, so the randomness cannot
// come from a counter kept in JavaScript; the step takes a random key as an argument and every
// call passes a new one (here folded from the epoch and batch numbers).
// Run: npx tsx examples/ch04/dropout.ts [--epochs 10] [--subset N] [--lr 0.5] [--out DIR]
import * as k from 'kiln';
import { losses, nn, optim } from 'kiln';
import { accuracyOver, fashionMnist, fitClassifier, options, type EpochRecord } from './common.ts';

type T = k.Tensor;

const opts = options({ epochs: 10, lr: 0.5, batchSize: 256 }, { dropout1: 0.2, dropout2: 0.5 });
const numInputs = 784, numOutputs = 10, numHiddens1 = 256, numHiddens2 = 256;
const dropout1 = opts.dropout1, dropout2 = opts.dropout2;

// ---- The dropout layer from scratch: keep each element with probability 1 - p (a uniform
// draw above p), scale the kept ones by 1/(1 - p). p = 0 keeps everything, p = 1 drops all.
function dropoutLayer(x: T, p: number, key: k.random.Key): T {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`dropout probability must be in [0, 1], got ${p}`);
  if (p === 0) return x;
  if (p === 1) return k.zerosLike(x);
  const keep = k.random.uniform(key, x.shape).greater(p);
  return k.where(keep, x.div(1 - p), 0);
}

const demo = k.arange(16, { dtype: 'f32' }).reshape([2, 8]);
const demoKey = k.random.key(42);
console.log(`X:\n${demo}`);
console.log(`dropout p = 0:\n${dropoutLayer(demo, 0, demoKey)}`);
console.log(`dropout p = 0.5:\n${dropoutLayer(demo, 0.5, demoKey)}`);
console.log(`dropout p = 1:\n${dropoutLayer(demo, 1, demoKey)}`);

const data = fashionMnist(opts.subset);
console.log(`\n${numInputs} -> ${numHiddens1} -> ${numHiddens2} -> ${numOutputs}, dropout ${dropout1} and ${dropout2}, lr ${opts.lr}, batch ${opts.batchSize}, ${opts.epochs} epochs, device ${k.defaultDevice()}`);
console.log(`training examples: ${data.train.labels.length}, test examples: ${data.test.labels.length}`);

// ---- From scratch. Weights and biases start as PyTorch's nn.Linear would (uniform in
// ±1/√fan_in), as the book's scratch model uses nn.Linear layers.
interface Params {
  W1: T;
  b1: T;
  W2: T;
  b2: T;
  W3: T;
  b3: T;
}
const keys = k.random.split(k.random.key(opts.seed + 1), 6) as T[];
const uniformInit = (key: T, shape: number[], fanIn: number) => k.random.uniform(key, shape, { minval: -1 / Math.sqrt(fanIn), maxval: 1 / Math.sqrt(fanIn) });
let params: Params = {
  W1: uniformInit(keys[0]!, [numInputs, numHiddens1], numInputs),
  b1: uniformInit(keys[1]!, [numHiddens1], numInputs),
  W2: uniformInit(keys[2]!, [numHiddens1, numHiddens2], numHiddens1),
  b2: uniformInit(keys[3]!, [numHiddens2], numHiddens1),
  W3: uniformInit(keys[4]!, [numHiddens2, numOutputs], numHiddens2),
  b3: uniformInit(keys[5]!, [numOutputs], numHiddens2),
};

/** The network; with a key it is in training mode (dropout on), without one in evaluation mode. */
function net(p: Params, x: T, key?: k.random.Key): T {
  const [key1, key2] = key ? (k.random.split(key, 2) as [T, T]) : [undefined, undefined];
  let h = k.relu(x.reshape([-1, numInputs]).matmul(p.W1).add(p.b1));
  if (key1) h = dropoutLayer(h, dropout1, key1);
  h = k.relu(h.matmul(p.W2).add(p.b2));
  if (key2) h = dropoutLayer(h, dropout2, key2);
  return h.matmul(p.W3).add(p.b3);
}

const lr = opts.lr;
const scratchStep = k.jit(
  (p: Params, x: T, y: T, key: k.random.Key) => {
    const objective = (q: Params): [T, T] => {
      const logits = net(q, x, key);
      return [losses.crossEntropy(logits, y), logits];
    };
    const [[l, logits], g] = k.valueAndGrad(objective, { hasAux: true })(p) as [[T, T], Params];
    const next = Object.fromEntries(Object.entries(p).map(([name, w]) => [name, (w as T).sub(g[name as keyof Params].mul(lr))])) as unknown as Params;
    return { params: next, loss: l, correct: k.metrics.numCorrect(logits, y) };
  },
  { donateArgnums: [0] },
);
const scratchCorrect = k.jit((p: Params, x: T, y: T) => k.metrics.numCorrect(net(p, x), y));

console.log('\n== dropout from scratch');
const scratch = fitClassifier({
  name: 'dropout-scratch',
  data,
  opts,
  step: (x, y, key) => {
    const r = scratchStep(params, x, y, key);
    params = r.params;
    return r;
  },
  testAccuracy: (batches) => accuracyOver(batches, (x, y) => scratchCorrect(params, x, y)),
});

// ---- Concise: nn.Dropout layers. In training mode they draw their masks from the step's key
// (trainStep passes it to net.apply); evaluateAccuracy switches the network to eval(), where
// dropout is the identity.
nn.manualSeed(opts.seed);
const model = new nn.Sequential(
  new nn.Flatten(),
  new nn.Linear(numInputs, numHiddens1),
  new nn.ReLU(),
  new nn.Dropout(dropout1),
  new nn.Linear(numHiddens1, numHiddens2),
  new nn.ReLU(),
  new nn.Dropout(dropout2),
  new nn.Linear(numHiddens2, numOutputs),
);
console.log(`\n== concise dropout\n${model}`);
const opt = optim.sgd({ lr: opts.lr });
const step = optim.trainStep(model, losses.crossEntropy, opt, { withOutput: true });
let modelParams = model.paramTree();
let state = opt.init(modelParams);
const concise = fitClassifier({
  name: 'dropout-concise',
  data,
  opts,
  step: (x, y, key) => {
    const r = step(modelParams, state, x, y, key);
    ({ params: modelParams, state } = r);
    return { loss: r.loss, correct: k.metrics.numCorrect(r.output!, y) };
  },
  testAccuracy: (batches) => {
    model.setParams(modelParams);
    return k.metrics.evaluateAccuracy(model, batches);
  },
});
model.setParams(modelParams);

const last = (h: EpochRecord[]) => h[h.length - 1]!;
console.log(`\nscratch: final test acc ${last(scratch).testAcc.toFixed(4)}; concise: final test acc ${last(concise).testAcc.toFixed(4)}`);
