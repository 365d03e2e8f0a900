// Kiln's quick start: train a classifier on Fashion-MNIST, end to end.
//
// The model is the book's multilayer perceptron (784 -> 256 -> ReLU -> 10, section 5.1/5.2), or
// softmax regression with `--model softmax` (section 4.5). It trains with minibatch SGD
// (learning rate 0.1, batches of 256) for 10 epochs on the best device present (the compiled
// CPU backend when LLVM is installed, else the interpreter), prints a progress bar and the
// metrics of every epoch, and writes the training curves to an SVG file.
//
// Run: npx tsx examples/quickstart.ts [--model mlp|softmax] [--epochs 10] [--subset N] [--out DIR]
//   --model    mlp (default) or softmax
//   --epochs   passes over the training set (default 10)
//   --subset N train on the first N training images only (a quick run)
//   --out DIR  where the curves go (default: a fresh temporary folder)
//   --device   a device name such as cpu:0 or interp (default: the best present, or $KILN_BACKEND)
// Fashion-MNIST is read from /usr/share/datasets/fashion-mnist (Debian's dataset-fashion-mnist
// package) or the folder named by $KILN_FASHION_MNIST_DIR.
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as k from 'kiln';
import { losses, metrics, nn, optim } from 'kiln';

type T = k.Tensor;

const { values: args } = parseArgs({
  options: {
    model: { type: 'string', default: 'mlp' },
    epochs: { type: 'string', default: '10' },
    'batch-size': { type: 'string', default: '256' },
    lr: { type: 'string', default: '0.1' },
    subset: { type: 'string' },
    out: { type: 'string' },
    device: { type: 'string' },
    seed: { type: 'string', default: '0' },
  },
});
if (args.model !== 'mlp' && args.model !== 'softmax') throw new Error(`--model must be mlp or softmax, got '${args.model}'`);
const numEpochs = Number(args.epochs);
const batchSize = Number(args['batch-size']);
const lr = Number(args.lr);

// The device: new tensors and compiled steps go to the default one.
if (args.device) k.setDefaultDevice(args.device);
console.log(`device: ${k.defaultDevice()} (present: ${k.devices().join(', ')})`);

// The data: 60,000 training and 10,000 test images of 28x28 pixels in [0, 1], ten classes.
const fashion = k.data.loadFashionMnist();
const n = Math.min(Number(args.subset ?? fashion.train.labels.length), fashion.train.labels.length);
const shuffleKey = k.random.key(Number(args.seed));
const trainIter = new k.data.DataLoader(
  { x: fashion.train.images.rows(0, n), y: fashion.train.labels.rows(0, n) },
  { batchSize, shuffle: true, key: shuffleKey },
);
const testIter = fashion.testLoader(batchSize);
console.log(`data: ${n} training images, ${testIter.numExamples} test images, classes ${k.data.FASHION_MNIST_LABELS.join(', ')}`);

// The model. Its layers draw their initial parameters from the global key source, seeded here
// (the MLP uses nn.Linear's default initialisation, the softmax model the book's N(0, 0.01²)).
nn.manualSeed(Number(args.seed));
const net =
  args.model === 'mlp'
    ? new nn.Sequential(new nn.Flatten(), new nn.Linear(784, 256), new nn.ReLU(), new nn.Linear(256, 10))
    : new nn.Sequential(new nn.Flatten(), new nn.Linear(784, 10, { weightInit: nn.init.normal(0.01), biasInit: nn.init.zeros }));
console.log(`model (${net.paramCount().toLocaleString('en-US')} parameters):\n${net}`);

// The training step: forward pass, cross-entropy loss, gradient and SGD update, compiled into
// one function by k.jit (inside optim.trainStep). The step takes ownership of (donates) the
// parameters and optimiser state passed in; keep the returned ones.
const opt = optim.sgd({ lr });
const step = optim.trainStep(net, losses.crossEntropy, opt, { withOutput: true });
let params = net.paramTree();
let state = opt.init(params);

const outDir = args.out ?? mkdtempSync(path.join(tmpdir(), 'kiln-quickstart-'));
mkdirSync(outDir, { recursive: true });
const curves = path.join(outDir, `quickstart-${args.model}.svg`);
const animator = new k.train.Animator({
  xlabel: 'epoch',
  xlim: [1, Math.max(numEpochs, 2)],
  ylim: [0, 1],
  legend: ['train loss', 'train acc', 'test acc'],
  file: curves,
});
const bar = new k.train.ProgressBar({ epochs: numEpochs });
const timer = new k.train.Timer();
let final = { loss: NaN, trainAcc: NaN, testAcc: NaN };
for (let epoch = 0; epoch < numEpochs; epoch++) {
  bar.startEpoch(trainIter.length);
  let correct = 0;
  for (const [x, y] of trainIter) {
    const r = step(params, state, x, y);
    ({ params, state } = r);
    correct += metrics.accuracy(r.output!, y);
    bar.update(y.size, r.loss);
  }
  net.setParams(params); // the module gets the trained parameters before it is evaluated
  const testAcc = metrics.evaluateAccuracy(net, testIter);
  const summary = bar.endEpoch({ 'train acc': correct / n, 'test acc': testAcc });
  final = { loss: summary.loss, trainAcc: correct / n, testAcc };
  animator.add(epoch + 1, [final.loss, final.trainAcc, final.testAcc]);
}
const seconds = timer.stop();
const stats = step.stats();

console.log(`train loss ${final.loss.toFixed(3)}, train acc ${final.trainAcc.toFixed(3)}, test acc ${final.testAcc.toFixed(3)}`);
console.log(
  `${numEpochs} epochs in ${seconds.toFixed(1)} s (${((n * numEpochs) / seconds).toFixed(0)} examples/s)` +
    (stats ? `; the training step compiled ${stats.compiles}x into ${stats.kernels} kernels` : ''),
);
console.log(`training curves: ${curves}`);

// A few predictions on test images.
const [xTest, yTest] = testIter.epoch(0).next().value as [T, T];
const guesses = k.data.textLabels(net.call(xTest.slice([0, 6])).argmax({ axis: 1 }));
const truth = k.data.textLabels(yTest.slice([0, 6]));
console.log(`predictions: ${guesses.map((g, i) => (g === truth[i] ? g : `${g} (is ${truth[i]})`)).join(', ')}`);
