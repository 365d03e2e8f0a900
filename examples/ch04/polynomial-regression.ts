// Dive into Deep Learning, section 4.4 (model selection, underfitting and overfitting):
// polynomial regression. The data come from a cubic,
//
//   y = 5 + 1.2 x - 3.4 x²/2! + 5.6 x³/3! + ε,   ε ~ N(0, 0.1²),
//
// written in a basis of 20 features x^i / i! (i = 0..19; dividing by i! keeps the large powers
// from blowing up the gradients). A linear model without bias is fitted on the first 4
// features (the right model), on the first 2 (a line: underfitting), and on all 20 (too
// flexible for 100 training examples: overfitting). Each fit prints its final training and
// test losses (mean squared error) and the learned weights.
// Run: npx tsx examples/ch04/polynomial-regression.ts [--epochs 400] [--overfit-epochs 1500] [--out DIR]
import path from 'node:path';
import * as k from 'kiln';
import { losses, nn, optim } from 'kiln';
import { options } from './common.ts';

type T = k.Tensor;

const opts = options({ epochs: 400, lr: 0.01, batchSize: 10 }, { 'overfit-epochs': 1500, 'n-train': 100, 'n-test': 100 });
const maxDegree = 20;
const nTrain = opts['n-train'], nTest = opts['n-test'];
const trueW = [5, 1.2, -3.4, 5.6, ...new Array<number>(maxDegree - 4).fill(0)];

// ---- The data. x ~ N(0, 1); features x^i / i!, a [n, 20] matrix; labels from the cubic plus noise.
const [xKey, noiseKey, initKey, shuffleKey] = k.random.split(k.random.key(opts.seed), 4) as [T, T, T, T];
const x = k.random.normal(xKey, [nTrain + nTest, 1]);
let factorial = 1;
const invFactorials = Array.from({ length: maxDegree }, (_, i) => 1 / (factorial *= i || 1));
const polyFeatures = k.pow(x, k.arange(maxDegree, { dtype: 'f32' })).mul(k.array(invFactorials));
const labels = polyFeatures.matmul(k.array(trueW).reshape([-1, 1])).add(k.random.normal(noiseKey, [nTrain + nTest, 1], { std: 0.1 }));
console.log(`first two examples: x = ${Array.from(x.data().slice(0, 2), (v) => Number(v).toFixed(4)).join(', ')}`);
console.log(`their features (first 5 of 20):\n${k.slice(polyFeatures, [[0, 2], [0, 5]])}`);
console.log(`their labels: ${Array.from(labels.data().slice(0, 2), (v) => Number(v).toFixed(4)).join(', ')}`);

/** The mean squared error of a model on a data set, compiled once per shape. */
const evalLoss = (net: nn.Linear) => k.jit((p: nn.ParamTree, xs: T, ys: T) => losses.mseLoss(net.apply(p, xs), ys));

/**
 * Fits a linear model without bias on the first `numFeatures` features by minibatch SGD
 * (MSE loss, lr 0.01, batches of 10) and returns the final losses and weights.
 */
function fit(name: string, numFeatures: number, epochs: number, trainRows = nTrain) {
  const cols = (rows: [number, number]) => k.slice(polyFeatures, [rows, [0, numFeatures]]);
  const xTrain = cols([0, trainRows]), yTrain = k.slice(labels, [[0, trainRows]]);
  const xTest = cols([nTrain, nTrain + nTest]), yTest = k.slice(labels, [[nTrain, nTrain + nTest]]);
  const net = new nn.Linear(numFeatures, 1, { bias: false, key: initKey });
  const opt = optim.sgd({ lr: opts.lr });
  const step = optim.trainStep(net, losses.mseLoss, opt);
  const lossOf = evalLoss(net);
  const loader = new k.data.DataLoader({ x: xTrain, y: yTrain }, { batchSize: Math.min(opts.batchSize, trainRows), shuffle: true, key: shuffleKey });
  const file = path.join(opts.out, `polynomial-${name}.svg`);
  const anim = new k.train.Animator({
    title: `${name}: ${numFeatures} features`, xlabel: 'epoch', ylabel: 'loss', yscale: 'log', xlim: [1, epochs],
    legend: ['train', 'test'],
  });
  let params = net.paramTree();
  let state = opt.init(params);
  let trainLoss = NaN, testLoss = NaN;
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (const [xb, yb] of loader) ({ params, state } = step(params, state, xb, yb));
    if (epoch === 0 || (epoch + 1) % 20 === 0 || epoch === epochs - 1) {
      trainLoss = lossOf(params, xTrain, yTrain).item();
      testLoss = lossOf(params, xTest, yTest).item();
      anim.add(epoch + 1, [trainLoss, testLoss]);
    }
  }
  anim.save(file);
  net.setParams(params);
  const w = Array.from(net.weight.data(), Number);
  console.log(`\n${name} (${numFeatures} features, ${trainRows} training examples, ${epochs} epochs):`);
  console.log(`  ${name} train loss: ${trainLoss.toFixed(5)}`);
  console.log(`  ${name} test loss: ${testLoss.toFixed(5)}`);
  console.log(`  ${name} weights: [${w.map((v) => v.toFixed(4)).join(', ')}]`);
  console.log(`  curves: ${file}`);
  return { trainLoss, testLoss, w };
}

const timer = new k.train.Timer();
// ---- Third-order polynomial: the model matches the data; the weights come out near
// [5, 1.2, -3.4, 5.6] and both losses near the noise level 0.01.
fit('normal', 4, opts.epochs);
// ---- Linear function: too simple for a cubic; both losses stay high.
fit('underfitting', 2, opts.epochs);
// ---- All 20 features: the extra weights should be 0, but the few training examples do
// not pin them down; the training loss ends about as low as that of the right model, but the
// test loss is several times higher.
fit('overfitting', maxDegree, opts['overfit-epochs']);
console.log(`\ntotal time: ${timer.stop().toFixed(1)} s`);
