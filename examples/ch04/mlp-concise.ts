// Dive into Deep Learning, section 4.3 (5.1.2 / 5.2.2 in the newer edition): the same
// multilayer perceptron with the library's parts. nn.Sequential of Flatten, Linear(784, 256),
// ReLU and Linear(256, 10); softmax cross-entropy; optim.sgd; and optim.trainStep, which
// compiles forward pass, gradient and update into one jitted step.
// Run: npx tsx examples/ch04/mlp-concise.ts [--epochs 10] [--subset N] [--lr 0.1] [--out DIR]
import * as k from 'kiln';
import { losses, nn, optim } from 'kiln';
import { fashionMnist, fitClassifier, options } from './common.ts';

const opts = options({ epochs: 10, lr: 0.1, batchSize: 256 });

// ---- The model. As in the book's concise version the weights start as N(0, 0.01²) noise
// (nn.Linear's default would be PyTorch's uniform initialisation; both train well here).
nn.manualSeed(opts.seed);
const init = { weightInit: nn.init.normal(0.01), biasInit: nn.init.zeros };
const net = new nn.Sequential(new nn.Flatten(), new nn.Linear(784, 256, init), new nn.ReLU(), new nn.Linear(256, 10, init));
console.log(`model:\n${net}`);
console.log(`parameters: ${net.paramCount()}, lr ${opts.lr}, batch ${opts.batchSize}, ${opts.epochs} epochs, device ${k.defaultDevice()}`);

// ---- Training. The step returns the logits of the batch too (withOutput), for the training
// accuracy. Parameters and optimiser state are donated to the step: keep the returned ones,
// and hand them back to the module (setParams) before evaluating it.
const opt = optim.sgd({ lr: opts.lr });
const step = optim.trainStep(net, losses.crossEntropy, opt, { withOutput: true });
let params = net.paramTree();
let state = opt.init(params);

const data = fashionMnist(opts.subset);
console.log(`training examples: ${data.train.labels.length}, test examples: ${data.test.labels.length}`);
fitClassifier({
  name: 'mlp-concise',
  data,
  opts,
  step: (x, y) => {
    const r = step(params, state, x, y);
    ({ params, state } = r);
    return { loss: r.loss, correct: k.metrics.numCorrect(r.output!, y) };
  },
  testAccuracy: (batches) => {
    net.setParams(params);
    return k.metrics.evaluateAccuracy(net, batches);
  },
});
net.setParams(params);
const stats = step.stats();
console.log(`step compilations: ${stats?.compiles}, kernels: ${stats?.kernels}, compile ${stats?.compileMs.toFixed(0)} ms`);
