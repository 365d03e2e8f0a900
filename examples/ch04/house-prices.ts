// Dive into Deep Learning, section 4.10 (5.7 in the newer edition): predicting house prices
// on Kaggle. The book's preprocessing (k.data.preprocessHouse: numeric columns standardised,
// missing values 0, categories one-hot with a missing-value column), a linear model, the
// relative error measured as the RMSE of log prices, 5-fold cross-validation to choose the
// hyperparameters, and finally a model trained on all the training data whose predictions for
// the test set are written to submission.csv in Kaggle's format.
//
// Optimiser: the book trains this model with Adam (lr 5, weight decay 0, batch 64, 100 epochs)
// on the squared error of raw prices. Kiln has only SGD so far, and SGD on raw prices (around
// 1e5) diverges at any useful rate, so this script does what the newer edition does: it fits
// log prices with the squared loss and minibatch SGD. The learning rate was tuned by 5-fold
// cross-validation with the book's other settings (100 epochs, batch 64, weight decay 0):
// lr 0.003 gives an average validation log RMSE of 0.30, 0.01 gives 0.21, 0.02 gives 0.18,
// 0.03 gives 0.17, about the book's Adam result (other seeds: 0.177, 0.183), and 0.04
// diverges (a few standardised features reach 20 or more). 200 epochs at lr 0.03 reach 0.155.
// Run: npx tsx examples/ch04/house-prices.ts [--epochs 100] [--lr 0.03] [--batch-size 64] [--folds 5] [--weight-decay 0] [--out DIR]
import fs from 'node:fs';
import path from 'node:path';
import * as k from 'kiln';
import { losses, nn, optim } from 'kiln';
import { options } from './common.ts';

type T = k.Tensor;

const opts = options({ epochs: 100, lr: 0.03, batchSize: 64 }, { folds: 5, 'weight-decay': 0 });
const timer = new k.train.Timer();

// ---- The data, from the data hub's cache ($KILN_DATA_DIR, else ~/.cache/kiln/data).
const { train: trainTable, test: testTable } = await k.data.loadHousePrices();
console.log(`raw tables: train ${trainTable.rows.length} x ${trainTable.columns.length}, test ${testTable.rows.length} x ${testTable.columns.length}`);
console.log(`first columns: ${trainTable.columns.slice(0, 4).join(', ')}, ... ${trainTable.columns.slice(-3).join(', ')}`);
const house = k.data.preprocessHouse(trainTable, testTable);
const numFeatures = house.trainFeatures.shape[1]!;
console.log(`features after preprocessing: ${numFeatures} (${house.numericColumns.length} numeric, ${numFeatures - house.numericColumns.length} one-hot)`);

// ---- The error measure: RMSE between log(prediction) and log(price), predictions below 1
// clipped to 1 as in the book. The model predicts log prices directly, so log(max(exp(o), 1))
// is max(o, 0).
const logRmse = (logPred: T, price: T): T => k.sqrt(losses.mseLoss(k.maximum(logPred, 0), k.log(price)));

interface Trained {
  net: nn.Linear;
  trainLs: number[];
  validLs: number[];
}

/** Trains a fresh linear model on (x, y) for the configured epochs; records the log RMSE per epoch. */
function trainModel(xTrain: T, yTrain: T, xValid: T | null, yValid: T | null, seed: number): Trained {
  const net = new nn.Linear(numFeatures, 1, { key: k.random.key(seed) });
  const opt = optim.sgd({ lr: opts.lr, weightDecay: opts['weight-decay'] });
  // The training loss: squared error of log prices (PyTorch's MSELoss, as the book).
  const step = optim.trainStep(net, losses.mseLoss, opt);
  const measure = k.jit((p: nn.ParamTree, x: T, y: T) => logRmse(net.apply(p, x), y));
  const loader = new k.data.DataLoader({ x: xTrain, y: k.log(yTrain) }, { batchSize: opts.batchSize, shuffle: true, key: k.random.key(seed + 1000) });
  let params = net.paramTree();
  let state = opt.init(params);
  const trainLs: number[] = [], validLs: number[] = [];
  for (let epoch = 0; epoch < opts.epochs; epoch++) {
    for (const [x, y] of loader) ({ params, state } = step(params, state, x, y));
    trainLs.push(measure(params, xTrain, yTrain).item());
    if (xValid && yValid) validLs.push(measure(params, xValid, yValid).item());
  }
  net.setParams(params);
  return { net, trainLs, validLs };
}

// ---- K-fold cross-validation: each fold in turn validates a model trained on the others.
const folds = k.data.kFoldSplits(opts.folds, house.trainFeatures, house.trainLabels);
let trainSum = 0, validSum = 0;
console.log(`\n${opts.folds}-fold cross-validation: SGD lr ${opts.lr}, ${opts.epochs} epochs, batch ${opts.batchSize}, weight decay ${opts['weight-decay']}`);
folds.forEach((f, i) => {
  const { trainLs, validLs } = trainModel(f.xTrain, f.yTrain, f.xValid, f.yValid, opts.seed + i);
  const tr = trainLs[trainLs.length - 1]!, va = validLs[validLs.length - 1]!;
  trainSum += tr;
  validSum += va;
  if (i === 0) {
    const file = path.join(opts.out, 'house-prices-fold1.svg');
    const anim = new k.train.Animator({ title: 'fold 1', xlabel: 'epoch', ylabel: 'log rmse', yscale: 'log', xlim: [1, opts.epochs], legend: ['train', 'valid'] });
    trainLs.forEach((t, e) => anim.add(e + 1, [t, validLs[e]!]));
    anim.save(file);
    console.log(`curves of fold 1: ${file}`);
  }
  console.log(`fold ${i + 1}, train log rmse ${tr.toFixed(6)}, valid log rmse ${va.toFixed(6)}`);
});
console.log(`${opts.folds}-fold validation: avg train log rmse: ${(trainSum / opts.folds).toFixed(6)}, avg valid log rmse: ${(validSum / opts.folds).toFixed(6)}`);

// ---- Train on all the training data and predict the test set.
const final = trainModel(house.trainFeatures, house.trainLabels, null, null, opts.seed + 100);
console.log(`\nall training data: train log rmse ${final.trainLs[final.trainLs.length - 1]!.toFixed(6)}`);
final.net.eval();
const predictions = Array.from(k.exp(final.net.call(house.testFeatures)).data(), Number);
const csv = ['Id,SalePrice', ...predictions.map((p, i) => `${house.testIds[i]},${p.toFixed(2)}`)].join('\n') + '\n';
const submission = path.join(opts.out, 'submission.csv');
fs.writeFileSync(submission, csv);
console.log(`predictions for ${predictions.length} test houses: ${submission}`);
console.log(`first predictions: ${predictions.slice(0, 3).map((p, i) => `Id ${house.testIds[i]} -> ${p.toFixed(0)}`).join(', ')}`);
console.log(`total time: ${timer.stop().toFixed(1)} s`);
