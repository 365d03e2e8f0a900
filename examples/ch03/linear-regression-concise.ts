// Dive into Deep Learning, section 3.5 (concise implementation of linear regression), with Kiln.
//
// The same problem as linear-regression-scratch.ts, now with the library's parts: a DataLoader
// for the minibatches, an nn.Linear layer for the model, the mean squared error loss, the sgd
// optimiser, and optim.trainStep, which compiles the whole step (forward pass, gradient and
// update) into one jitted function.
//
// Run: npx tsx examples/ch03/linear-regression-concise.ts [--epochs 3] [--lr 0.03] [--batch-size 10]
import { parseArgs } from 'node:util';
import * as k from 'kiln';
import { losses, nn, optim } from 'kiln';

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
const [dataKey, initKey, shuffleKey] = k.random.split(k.random.key(Number(args.seed)), 3) as [T, T, T];

console.log(`device: ${k.defaultDevice()}`);

// ---- 3.5.1 The data: the same synthetic set, served by a shuffling DataLoader
const trueW = k.array([2, -3.4]);
const trueB = 4.2;
const { x: features, y: labels } = k.data.syntheticData(trueW, trueB, Number(args.examples), dataKey);
const loader = new k.data.DataLoader({ x: features, y: labels }, { batchSize, shuffle: true, key: shuffleKey });

// ---- 3.5.2 The model: one fully connected layer with two inputs and one output. As in the
// book, the weight starts as N(0, 0.01²) noise and the bias at zero (instead of nn.Linear's
// default uniform initialisation).
const net = new nn.Linear(2, 1, { key: initKey, weightInit: nn.init.normal(0.01), biasInit: nn.init.zeros });
console.log(`model: ${net}`);

// ---- 3.5.3 The loss (mean squared error) and 3.5.4 the optimiser (minibatch SGD)
const opt = optim.sgd({ lr });

// ---- 3.5.5 Training. The step is compiled once (for batches of batchSize rows; a smaller last
// batch would compile once more) and takes the parameters and the optimiser state as values:
// they are donated to the step, so we always keep the ones it returns.
const step = optim.trainStep(net, losses.mseLoss, opt);
const evalLoss = k.jit((p: nn.ParamTree, x: T, y: T) => losses.mseLoss(net.apply(p, x), y));
let params = net.paramTree();
let state = opt.init(params);
for (let epoch = 0; epoch < numEpochs; epoch++) {
  for (const [x, y] of loader) ({ params, state } = step(params, state, x, y));
  console.log(`epoch ${epoch + 1}, loss ${evalLoss(params, features, labels).item().toFixed(6)}`);
}
net.setParams(params);
console.log(`train step: ${step.stats()?.compiles ?? 0} compilation(s), ${step.stats()?.kernels ?? 0} kernels`);

// The learned parameters, read from the layer, against those that made the data.
const w = net.weight.reshape([-1]);
const b = net.bias!.item();
console.log(`learned w: ${w}, learned b: ${b.toFixed(4)}`);
console.log(`error in estimating w: ${trueW.sub(w)}`);
console.log(`error in estimating b: ${(trueB - b).toFixed(6)}`);
