// Dive into Deep Learning, concise implementation of softmax regression (section 3.7; 4.5 in
// newer editions), with Kiln.
//
// The model of softmax-regression-scratch.ts from library parts: nn.Sequential(Flatten,
// Linear(784, 10)) produces the class scores (logits), losses.crossEntropy applies the softmax
// and the log together in the numerically stable form, optim.sgd is the optimiser and
// optim.trainStep compiles forward pass, gradient and update into one jitted step.
//
// Run: npx tsx examples/ch03/softmax-regression-concise.ts [--epochs 10] [--subset N] [--out DIR]
//   --subset N   train on the first N training images only (a quick run)
//   --out DIR    where the training curves (SVG) go; a fresh temporary folder by default
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as k from 'kiln';
import { losses, metrics, nn, optim } from 'kiln';

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
const [initKey, shuffleKey] = k.random.split(k.random.key(Number(args.seed)), 2) as [T, T];
const outDir = args.out ?? mkdtempSync(path.join(tmpdir(), 'kiln-ch03-'));
mkdirSync(outDir, { recursive: true });

console.log(`device: ${k.defaultDevice()}`);

// ---- The data, as before: Fashion-MNIST in shuffled minibatches of 256
const fashion = k.data.loadFashionMnist();
const n = Math.min(Number(args.subset ?? fashion.train.labels.length), fashion.train.labels.length);
const trainIter = new k.data.DataLoader(
  { x: fashion.train.images.rows(0, n), y: fashion.train.labels.rows(0, n) },
  { batchSize, shuffle: true, key: shuffleKey },
);
const testIter = fashion.testLoader(batchSize);
console.log(`training on ${n} images, testing on ${testIter.numExamples}`);

// ---- The model: Flatten turns each [1, 28, 28] image into 784 values, one Linear layer maps
// them to 10 scores. The weights start as N(0, 0.01²) noise, the bias at zero, as in the book.
const net = new nn.Sequential(
  new nn.Flatten(),
  new nn.Linear(784, 10, { key: initKey, weightInit: nn.init.normal(0.01), biasInit: nn.init.zeros }),
);
console.log(`model:\n${net}`);

// ---- The loss takes the unnormalised scores: crossEntropy computes log-softmax stably
// (subtracting the largest score first), so large scores cannot overflow. The optimiser is
// minibatch SGD with learning rate 0.1.
const opt = optim.sgd({ lr: Number(args.lr) });
const step = optim.trainStep(net, losses.crossEntropy, opt, { withOutput: true });

// ---- Training. The step consumes (donates) the parameters and the optimiser state and returns
// new ones; before the module itself is used again (to evaluate), it gets them with setParams.
const curves = path.join(outDir, 'softmax-regression-concise.svg');
const animator = new k.train.Animator({
  xlabel: 'epoch',
  xlim: [1, Math.max(numEpochs, 2)],
  ylim: [0.3, 0.9],
  legend: ['train loss', 'train acc', 'test acc'],
  file: curves,
});
const bar = new k.train.ProgressBar({ epochs: numEpochs });
const timer = new k.train.Timer();
let params = net.paramTree();
let state = opt.init(params);
let last = { loss: NaN, acc: NaN, testAcc: NaN };
for (let epoch = 0; epoch < numEpochs; epoch++) {
  bar.startEpoch(trainIter.length);
  let correct = 0;
  for (const [x, y] of trainIter) {
    const r = step(params, state, x, y);
    ({ params, state } = r);
    correct += metrics.accuracy(r.output!, y);
    bar.update(y.size, r.loss);
  }
  net.setParams(params);
  const testAcc = metrics.evaluateAccuracy(net, testIter);
  const summary = bar.endEpoch({ 'train acc': correct / n, 'test acc': testAcc });
  last = { loss: summary.loss, acc: correct / n, testAcc };
  animator.add(epoch + 1, [last.loss, last.acc, last.testAcc]);
}
const seconds = timer.stop();
console.log(`train loss ${last.loss.toFixed(3)}, train acc ${last.acc.toFixed(3)}, test acc ${last.testAcc.toFixed(3)}`);
console.log(`${((n * numEpochs) / seconds).toFixed(0)} examples/sec over ${seconds.toFixed(1)} s`);
console.log(`training curves: ${curves}`);
