// Dive into Deep Learning, softmax regression implemented from scratch (section 3.6; 4.4 in
// newer editions), with Kiln.
//
// Ten-way classification of the 28x28 Fashion-MNIST images by a single affine layer followed
// by the softmax. Everything the section builds by hand is built by hand here: the softmax,
// the model, the cross-entropy loss, the accuracy, the evaluation loop, the SGD update and the
// training loop with its curves. Kiln adds two things: k.grad for the gradient and k.jit, which
// compiles our training step (the very same TypeScript function) for the device.
//
// Run: npx tsx examples/ch03/softmax-regression-scratch.ts [--epochs 10] [--subset N] [--out DIR]
//   --subset N   train on the first N training images only (a quick run)
//   --out DIR    where the training curves (SVG) go; a fresh temporary folder by default
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as k from 'kiln';

type T = k.Tensor;

const { values: args } = parseArgs({
  options: {
    epochs: { type: 'string', default: '10' },
    'batch-size': { type: 'string', default: '256' },
    lr: { type: 'string', default: '0.1' },
    subset: { type: 'string' },
    out: { type: 'string' },
    seed: { type: 'string', default: '0' },
  },
});
const numEpochs = Number(args.epochs);
const batchSize = Number(args['batch-size']);
const lr = Number(args.lr);
const [initKey, shuffleKey] = k.random.split(k.random.key(Number(args.seed)), 2) as [T, T];
const outDir = args.out ?? mkdtempSync(path.join(tmpdir(), 'kiln-ch03-'));
mkdirSync(outDir, { recursive: true });

console.log(`device: ${k.defaultDevice()}`);

// ---- The data: Fashion-MNIST in minibatches of 256 (the training set reshuffled every epoch)
const fashion = k.data.loadFashionMnist();
const n = Math.min(Number(args.subset ?? fashion.train.labels.length), fashion.train.labels.length);
const trainIter = new k.data.DataLoader(
  { x: fashion.train.images.rows(0, n), y: fashion.train.labels.rows(0, n) },
  { batchSize, shuffle: true, key: shuffleKey },
);
const testIter = fashion.testLoader(batchSize);
console.log(`training on ${n} images, testing on ${testIter.numExamples}`);

// ---- Initialising the parameters. Each image is flattened into a vector of 784 pixels; with
// 10 classes the weights form a 784 x 10 matrix (small Gaussian noise) and the bias a vector
// of 10 (zeros).
const numInputs = 784;
const numOutputs = 10;
interface Params {
  W: T;
  b: T;
}
let params: Params = {
  W: k.random.normal(initKey, [numInputs, numOutputs], { std: 0.01 }),
  b: k.zeros([numOutputs]),
};

// ---- The softmax: exponentiate every score, then divide each row by its sum, so that every
// row is a probability distribution over the classes. (Written plainly, as the section does:
// huge scores would overflow exp. The concise version uses the stable form in the loss.)
function softmax(scores: T): T {
  const e = k.exp(scores);
  return e.div(e.sum({ axis: 1, keepdims: true }));
}

// ---- The model: flatten each image, apply the affine map, normalise with the softmax.
const net = (p: Params, x: T): T => softmax(x.reshape([-1, numInputs]).matmul(p.W).add(p.b));

// ---- The cross-entropy loss: minus the log of the probability given to the true class.
// takeAlongAxis picks, in row i, the entry of column y[i].
function crossEntropy(yHat: T, y: T): T {
  const picked = k.takeAlongAxis(yHat, y.reshape([-1, 1]), 1);
  return picked.log().neg().reshape([-1]);
}

// ---- Classification accuracy: the number of rows whose most probable class is the label.
function accuracy(yHat: T, y: T): T {
  const predicted = yHat.argmax({ axis: 1 });
  return predicted.astype(y.dtype).equal(y).astype('i32').sum();
}

// The accuracy of the model over a whole data set, batch by batch. The sums of correct
// predictions and of examples are kept in an Accumulator, as in the book.
const correctInBatch = k.jit((p: Params, x: T, y: T) => accuracy(net(p, x), y));
function evaluateAccuracy(p: Params, batches: Iterable<[T, T]>): number {
  const metric = new k.train.Accumulator(2); // correct predictions, predictions
  for (const [x, y] of batches) metric.add(correctInBatch(p, x, y), y.size);
  return metric.get(0) / metric.get(1);
}

// ---- The update: minibatch SGD. The loss we differentiate is the mean over the batch, so the
// step is simply the gradient times the learning rate.
function sgd(p: Params, g: Params, rate: number): Params {
  return { W: p.W.sub(g.W.mul(rate)), b: p.b.sub(g.b.mul(rate)) };
}

// One training step: the mean loss, its gradient (k.grad with hasAux also hands back the
// predictions, for the training accuracy), and the update. k.jit compiles the function the
// first time it sees a batch shape; the learning rate is a static argument.
const trainStep = k.jit(
  (p: Params, x: T, y: T, rate: number) => {
    const meanLoss = (q: Params) => {
      const yHat = net(q, x);
      return [crossEntropy(yHat, y).mean(), yHat] as [T, T];
    };
    const [[loss, yHat], g] = k.valueAndGrad(meanLoss, { hasAux: true })(p) as [[T, T], Params];
    return { params: sgd(p, g, rate), loss, correct: accuracy(yHat, y) };
  },
  { staticArgnums: [3] },
);

// ---- One epoch of training: returns the mean training loss and the training accuracy (both
// measured on each batch before its update, as the book's train_epoch_ch3).
function trainEpoch(batches: Iterable<[T, T]>): { loss: number; acc: number } {
  const metric = new k.train.Accumulator(3); // loss summed over examples, correct predictions, examples
  for (const [x, y] of batches) {
    const r = trainStep(params, x, y, lr);
    params = r.params;
    metric.add(r.loss.item() * y.size, r.correct, y.size);
  }
  return { loss: metric.get(0) / metric.get(2), acc: metric.get(1) / metric.get(2) };
}

// ---- Training: numEpochs passes, with the curves drawn into an SVG file after every epoch.
const curves = path.join(outDir, 'softmax-regression-scratch.svg');
const animator = new k.train.Animator({
  xlabel: 'epoch',
  xlim: [1, Math.max(numEpochs, 2)], // (the axis needs two distinct ends, even for one epoch)
  ylim: [0.3, 0.9],
  legend: ['train loss', 'train acc', 'test acc'],
  file: curves,
});
const before = evaluateAccuracy(params, testIter);
console.log(`test accuracy before training: ${before.toFixed(3)}`);
const timer = new k.train.Timer();
let last = { loss: NaN, acc: NaN, testAcc: NaN };
for (let epoch = 0; epoch < numEpochs; epoch++) {
  const { loss, acc } = trainEpoch(trainIter);
  const testAcc = evaluateAccuracy(params, testIter);
  animator.add(epoch + 1, [loss, acc, testAcc]);
  last = { loss, acc, testAcc };
  console.log(`epoch ${epoch + 1}: train loss ${loss.toFixed(4)}, train acc ${acc.toFixed(3)}, test acc ${testAcc.toFixed(3)}`);
}
const seconds = timer.stop();
console.log(`train loss ${last.loss.toFixed(3)}, train acc ${last.acc.toFixed(3)}, test acc ${last.testAcc.toFixed(3)}`);
console.log(`${((n * numEpochs) / seconds).toFixed(0)} examples/sec over ${seconds.toFixed(1)} s`);
console.log(`training curves: ${curves}`);

// ---- Prediction: the first test images, their true labels and the model's guesses.
const [xTest, yTest] = testIter.epoch(0).next().value as [T, T];
const shown = 8;
const trueLabels = k.data.textLabels(yTest.slice([0, shown]));
const guesses = k.data.textLabels(net(params, xTest.slice([0, shown])).argmax({ axis: 1 }));
console.log('true / predicted labels of the first test images:');
trueLabels.forEach((t, i) => console.log(`  ${t.padEnd(10)} ${guesses[i] === t ? '  ' : '! '}${guesses[i]}`));
