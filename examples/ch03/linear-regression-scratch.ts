// Dive into Deep Learning, sections 3.2 and 3.4 (linear regression implemented from scratch),
// with Kiln.
//
// We make a data set from a known linear model, y = Xw + b + noise with w = [2, -3.4] and
// b = 4.2, and recover w and b with minibatch stochastic gradient descent written by hand: the
// model, the squared loss, the minibatch iterator and the update are all a few lines each, and
// `k.grad` supplies the gradient of the loss with respect to the parameters.
//
// Run: npx tsx examples/ch03/linear-regression-scratch.ts [--epochs 3] [--lr 0.03] [--batch-size 10]
import { parseArgs } from 'node:util';
import * as k from 'kiln';

type T = k.Tensor;

const { values: args } = parseArgs({
  options: {
    epochs: { type: 'string', default: '3' },
    lr: { type: 'string', default: '0.03' },
    'batch-size': { type: 'string', default: '10' },
    examples: { type: 'string', default: '1000' },
    seed: { type: 'string', default: '0' },
  },
});
const numEpochs = Number(args.epochs);
const lr = Number(args.lr);
const batchSize = Number(args['batch-size']);
const numExamples = Number(args.examples);
const [dataKey, initKey, shuffleKey] = k.random.split(k.random.key(Number(args.seed)), 3) as [T, T, T];

console.log(`device: ${k.defaultDevice()}`);

// ---- 3.4.1 The data set
// 1000 examples with two features drawn from a standard normal, labels from the true model
// plus Gaussian noise of standard deviation 0.01.
const trueW = k.array([2, -3.4]);
const trueB = 4.2;
const { x: features, y: labels } = k.data.syntheticData(trueW, trueB, numExamples, dataKey);
console.log(`features[0]: ${features.slice(0)}\nlabels[0]: ${labels.slice(0)}`);

// ---- 3.2.1 Reading the data in minibatches
// Each epoch visits the examples in a fresh random order and yields them `batchSize` at a
// time; the last batch may be smaller. The order is a permutation drawn from the epoch's key,
// read back as a plain Int32Array; each batch's indices become a small tensor, and k.take
// gathers those rows of the features and labels.
function* minibatches(epoch: number, x: T, y: T): Generator<[T, T]> {
  const n = x.shape[0]!;
  const order = k.random.permutation(k.random.foldIn(shuffleKey, epoch), n).data() as Int32Array;
  for (let i = 0; i < n; i += batchSize) {
    const idx = k.array(order.subarray(i, Math.min(i + batchSize, n)));
    yield [k.take(x, idx, 0), k.take(y, idx, 0)];
  }
}

// ---- 3.4.2 The model's parameters
// The weights start as small Gaussian noise and the bias at zero. The parameters are a plain
// object of tensors; k.grad differentiates with respect to all of its leaves at once.
interface Params {
  w: T;
  b: T;
}
let params: Params = { w: k.random.normal(initKey, [2, 1], { std: 0.01 }), b: k.zeros([1]) };

// ---- 3.4.3 The model: an affine map of the features
const linreg = (x: T, p: Params): T => x.matmul(p.w).add(p.b);

// ---- 3.4.4 The loss: half the squared error, averaged over the batch
const squaredLoss = (yHat: T, y: T): T => yHat.sub(y.reshape(yHat.shape)).pow(2).mul(0.5);
const batchLoss = (p: Params, x: T, y: T): T => squaredLoss(linreg(x, p), y).mean();

// ---- 3.4.5 Minibatch SGD: step each parameter against its gradient, scaled by the learning rate
// (the loss is already a mean over the batch, so the gradient needs no further division).
const sgd = (p: Params, g: Params, rate: number): Params => ({ w: p.w.sub(g.w.mul(rate)), b: p.b.sub(g.b.mul(rate)) });

// ---- 3.4.6 Training
// One step: the gradient of the batch loss with respect to the parameters (k.grad
// differentiates with respect to the first argument), then the update. The step runs as plain
// TypeScript on tensors; wrapping it in k.jit compiles it once into a single program for the
// device instead of running it op by op (the learning rate is a static argument, baked in).
const lossGrad = k.grad(batchLoss);
const trainStep = k.jit((p: Params, x: T, y: T, rate: number) => sgd(p, lossGrad(p, x, y) as Params, rate), { staticArgnums: [3] });
const fullLoss = k.jit(batchLoss);
for (let epoch = 0; epoch < numEpochs; epoch++) {
  for (const [x, y] of minibatches(epoch, features, labels)) params = trainStep(params, x, y, lr);
  const trainLoss = fullLoss(params, features, labels).item();
  console.log(`epoch ${epoch + 1}, loss ${trainLoss.toFixed(6)}`);
}

// The learned parameters should be close to those that made the data.
const wError = trueW.sub(params.w.reshape(trueW.shape));
const bError = trueB - params.b.item();
console.log(`learned w: ${params.w.reshape([-1])}, learned b: ${params.b.item().toFixed(4)}`);
console.log(`error in estimating w: ${wError}`);
console.log(`error in estimating b: ${bError.toFixed(6)}`);
