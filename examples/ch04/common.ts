// Shared by the chapter-4 examples (not a script itself): command-line options, the output
// folder for charts, and the book's classifier training loop (its train_ch3 / Trainer.fit)
// over Fashion-MNIST, printing loss, training accuracy and test accuracy per epoch.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as k from 'kiln';

type T = k.Tensor;

/** The options every chapter-4 script understands, with the script's own defaults. */
export interface Options {
  /** Training epochs (`--epochs N`). */
  epochs: number;
  /** Use only the first N training and N test examples (`--subset N`); 0 means all. */
  subset: number;
  /** Learning rate (`--lr X`). */
  lr: number;
  /** Minibatch size (`--batch-size N`). */
  batchSize: number;
  /** Where charts and other files go (`--out DIR`; default a fresh temporary folder). */
  out: string;
  /** Random seed (`--seed N`). */
  seed: number;
}

/**
 * Parses `process.argv` against the script's defaults; `extra` adds numeric flags of the
 * script's own (`{ 'overfit-epochs': 1500 }`), returned under the same names. Unknown flags
 * are an error.
 */
export function options<E extends Record<string, number> = Record<never, number>>(
  defaults: Partial<Omit<Options, 'out'>> = {},
  extra?: E,
): Options & E {
  const flags: Record<string, { type: 'string' }> = {};
  for (const name of ['epochs', 'subset', 'lr', 'batch-size', 'out', 'seed', ...Object.keys(extra ?? {})]) flags[name] = { type: 'string' };
  const { values } = parseArgs({ options: flags }) as { values: Record<string, string | undefined> };
  const num = (name: string, dflt: number): number => {
    const v = values[name];
    if (v === undefined) return dflt;
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n)) throw new Error(`--${name} must be a number, got '${v}'`);
    return n;
  };
  const out = values.out ?? fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-ch04-'));
  fs.mkdirSync(out, { recursive: true });
  const own = Object.fromEntries(Object.entries(extra ?? {}).map(([name, d]) => [name, num(name, d)])) as E;
  return {
    ...own,
    epochs: num('epochs', defaults.epochs ?? 0),
    subset: num('subset', defaults.subset ?? 0),
    lr: num('lr', defaults.lr ?? 0),
    batchSize: num('batch-size', defaults.batchSize ?? 0),
    out,
    seed: num('seed', defaults.seed ?? 0),
  };
}

/** Fashion-MNIST, cut to the first `subset` examples of each split when subset > 0. */
export function fashionMnist(subset: number): k.data.FashionMnist {
  const data = k.data.loadFashionMnist();
  if (subset <= 0) return data;
  const cut = (s: k.data.ImageSplit): k.data.ImageSplit => ({
    images: s.images.rows(0, Math.min(subset, s.images.length)),
    labels: s.labels.rows(0, Math.min(subset, s.labels.length)),
  });
  return new k.data.FashionMnist(cut(data.train), cut(data.test));
}

/** One training step on a batch: it updates the model's state and returns the batch loss and the number correct. */
export type BatchStep = (x: T, y: T, key: k.random.Key) => { loss: T; correct: T };

/** What a classifier training run needs: the data, the options, the training step and the test accuracy. */
export interface FitSpec {
  /** A label for the chart title. */
  name: string;
  data: k.data.FashionMnist;
  opts: Options;
  step: BatchStep;
  /** The accuracy on the test batches, in evaluation mode (no dropout). */
  testAccuracy: (batches: Iterable<[T, T]>) => number;
}

/** The fraction correct over `batches`, counting each batch with `countCorrect`. */
export function accuracyOver(batches: Iterable<[T, T]>, countCorrect: (x: T, y: T) => T): number {
  let correct = 0, n = 0;
  for (const [x, y] of batches) {
    correct += countCorrect(x, y).item();
    n += y.shape[0]!;
  }
  return n === 0 ? 0 : correct / n;
}

/** One epoch's numbers. */
export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  trainAcc: number;
  testAcc: number;
  seconds: number;
}

/**
 * The book's training loop for a classifier: per epoch one shuffled pass over the training
 * data (each step gets its own key, for dropout), then the test accuracy. Prints one line per
 * epoch, draws the curves into `<out>/<name>.svg` and returns the history.
 */
export function fitClassifier(spec: FitSpec): EpochRecord[] {
  const { data, opts } = spec;
  const root = k.random.key(opts.seed);
  const [shuffleKey, dropKey] = k.random.split(root, 2) as [T, T];
  const trainIter = data.trainLoader(opts.batchSize, { key: shuffleKey });
  const testIter = data.testLoader(opts.batchSize);
  const file = path.join(opts.out, `${spec.name}.svg`);
  const anim = new k.train.Animator({
    title: spec.name, xlabel: 'epoch', xlim: [1, Math.max(opts.epochs, 2)], ylim: [0, 1],
    legend: ['train loss', 'train acc', 'test acc'], file,
  });
  const history: EpochRecord[] = [];
  const timer = new k.train.Timer();
  for (let epoch = 0; epoch < opts.epochs; epoch++) {
    timer.start();
    let lossSum = 0, correct = 0, n = 0, b = 0;
    for (const [x, y] of trainIter.epoch(epoch)) {
      const r = spec.step(x, y, k.random.foldIn(dropKey, epoch * 100_000 + b++));
      const m = y.shape[0]!;
      lossSum += r.loss.item() * m;
      correct += r.correct.item();
      n += m;
    }
    const testAcc = spec.testAccuracy(testIter.epoch(0));
    const rec = { epoch: epoch + 1, trainLoss: lossSum / n, trainAcc: correct / n, testAcc, seconds: timer.stop() };
    history.push(rec);
    anim.add(rec.epoch, [rec.trainLoss, rec.trainAcc, rec.testAcc]);
    console.log(`epoch ${rec.epoch}: train loss ${rec.trainLoss.toFixed(4)}, train acc ${rec.trainAcc.toFixed(4)}, test acc ${rec.testAcc.toFixed(4)} (${rec.seconds.toFixed(1)} s)`);
  }
  const last = history[history.length - 1];
  if (last) console.log(`final: train loss ${last.trainLoss.toFixed(4)}, train acc ${last.trainAcc.toFixed(4)}, test acc ${last.testAcc.toFixed(4)}`);
  console.log(`total training time: ${timer.sum().toFixed(1)} s`);
  console.log(`curves: ${file}`);
  return history;
}
