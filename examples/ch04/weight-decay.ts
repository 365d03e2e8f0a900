// Dive into Deep Learning, section 4.5 (3.7 in the newer edition): weight decay. A linear
// model with d = 200 inputs and only 20 training examples overfits badly: it can fit the
// training set almost exactly and generalise poorly. Adding the penalty λ‖w‖²/2 to the loss
// (equivalently, shrinking w by lr·λ·w at every step) pulls the weights towards zero and
// brings the test loss down. Each variant is trained with λ = 0 and λ = 3, as in the book:
//
//   scratch: parameters as a plain object, loss + λ·losses.l2Penalty(w), SGD by hand;
//   concise: nn.Linear and optim.sgd({ weightDecay: λ }) on the weight only (not the bias).
//
// Run: npx tsx examples/ch04/weight-decay.ts [--epochs 100] [--lr 0.003] [--out DIR]
import path from 'node:path';
import * as k from 'kiln';
import { losses, nn, optim } from 'kiln';
import { options } from './common.ts';

type T = k.Tensor;

const opts = options({ epochs: 100, lr: 0.003, batchSize: 5 }, { lambda: 3, 'n-train': 20 });
const nTrain = opts['n-train'], nTest = 100, numInputs = 200;
const lambdas = [0, opts.lambda];

// ---- The data: y = 0.05 + Σ 0.01·x_i + ε with x ~ N(0, I), ε ~ N(0, 0.01²).
const [trainKey, testKey, initKey, shuffleKey] = k.random.split(k.random.key(opts.seed), 4) as [T, T, T, T];
const trueW = k.full([numInputs], 0.01), trueB = 0.05;
const train = k.data.syntheticData(trueW, trueB, nTrain, trainKey);
const test = k.data.syntheticData(trueW, trueB, nTest, testKey);
console.log(`training examples: ${nTrain}, test examples: ${nTest}, inputs: ${numInputs}, lr ${opts.lr}, batch ${opts.batchSize}, ${opts.epochs} epochs`);
const loader = () => new k.data.DataLoader(train, { batchSize: opts.batchSize, shuffle: true, key: shuffleKey });

interface Result {
  norm: number;
  trainLoss: number;
  testLoss: number;
}

/** Saves the chart of one run and prints its final numbers. */
function report(variant: string, lambda: number, norm: number, anim: k.train.Animator, final: { trainLoss: number; testLoss: number }): Result {
  const file = path.join(opts.out, `weight-decay-${variant}-lambda${lambda}.svg`);
  anim.save(file);
  console.log(`${variant} lambda ${lambda}: L2 norm of w ${norm.toFixed(4)}, train loss ${final.trainLoss.toExponential(3)}, test loss ${final.testLoss.toExponential(3)}`);
  return { norm, ...final };
}

const chart = (variant: string, lambda: number) =>
  new k.train.Animator({ title: `${variant}, lambda = ${lambda}`, xlabel: 'epoch', ylabel: 'loss', yscale: 'log', xlim: [5, opts.epochs], legend: ['train', 'test'] });

// ---- From scratch. The model is x·w + b with w ~ N(0, 1) and b = 0; the objective is the
// squared loss plus λ times the L2 penalty ½‖w‖² (the bias is not penalised).
interface Params {
  w: T;
  b: T;
}
const linreg = (p: Params, x: T) => x.matmul(p.w).add(p.b);

function trainScratch(lambda: number): Result {
  let params: Params = { w: k.random.normal(initKey, [numInputs, 1]), b: k.zeros([1]) };
  const objective = (p: Params, x: T, y: T) => losses.squaredLoss(linreg(p, x), y).add(losses.l2Penalty(p.w).mul(lambda));
  const lr = opts.lr;
  const step = k.jit(
    (p: Params, x: T, y: T): Params => {
      const g = k.grad(objective)(p, x, y) as Params;
      return { w: p.w.sub(g.w.mul(lr)), b: p.b.sub(g.b.mul(lr)) };
    },
    { donateArgnums: [0] },
  );
  const lossOf = k.jit((p: Params, x: T, y: T) => losses.squaredLoss(linreg(p, x), y));
  const anim = chart('scratch', lambda);
  const data = loader();
  let final = { trainLoss: NaN, testLoss: NaN };
  for (let epoch = 0; epoch < opts.epochs; epoch++) {
    for (const [x, y] of data) params = step(params, x, y);
    if ((epoch + 1) % 5 === 0 || epoch === opts.epochs - 1) {
      final = { trainLoss: lossOf(params, train.x, train.y).item(), testLoss: lossOf(params, test.x, test.y).item() };
      anim.add(epoch + 1, [final.trainLoss, final.testLoss]);
    }
  }
  return report('scratch', lambda, k.norm(params.w).item(), anim, final);
}

// ---- Concise. nn.Linear with N(0, 1) weights, PyTorch's MSELoss as the book's concise version
// uses, and the decay inside the optimiser: w <- w - lr·(grad + λ·w), for the weight only.
function trainConcise(lambda: number): Result {
  const net = new nn.Linear(numInputs, 1, { key: initKey, weightInit: nn.init.normal(1), biasInit: nn.init.zeros });
  const opt = optim.sgd({ lr: opts.lr, weightDecay: lambda, weightDecayMask: (p) => p.endsWith('weight') });
  const step = optim.trainStep(net, losses.mseLoss, opt);
  const lossOf = k.jit((p: nn.ParamTree, x: T, y: T) => losses.mseLoss(net.apply(p, x), y));
  const anim = chart('concise', lambda);
  const data = loader();
  let params = net.paramTree();
  let state = opt.init(params);
  let final = { trainLoss: NaN, testLoss: NaN };
  for (let epoch = 0; epoch < opts.epochs; epoch++) {
    for (const [x, y] of data) ({ params, state } = step(params, state, x, y));
    if ((epoch + 1) % 5 === 0 || epoch === opts.epochs - 1) {
      final = { trainLoss: lossOf(params, train.x, train.y).item(), testLoss: lossOf(params, test.x, test.y).item() };
      anim.add(epoch + 1, [final.trainLoss, final.testLoss]);
    }
  }
  net.setParams(params);
  return report('concise', lambda, k.norm(net.weight).item(), anim, final);
}

for (const [variant, run] of [['scratch', trainScratch], ['concise', trainConcise]] as const) {
  const [plain, decayed] = lambdas.map((l) => run(l)) as [Result, Result];
  console.log(
    `${variant}: weight decay ${lambdas[1]} shrinks the norm of w from ${plain.norm.toFixed(3)} to ${decayed.norm.toFixed(3)} ` +
      `and the test loss from ${plain.testLoss.toExponential(2)} to ${decayed.testLoss.toExponential(2)}`,
  );
}
console.log(`charts: ${opts.out}`);
