// Runs the chapter-4 examples as a user would (`npx tsx examples/ch04/<name>.ts`), in short
// versions where the full run takes a while, on the compiled CPU backend, and checks what each
// one is meant to show: the activations' derivatives, the loss falling and the accuracy above
// a floor, the polynomial weights near the truth, weight decay shrinking the weights and the
// test loss, vanishing and exploding products, the hand-written backward pass agreeing with
// k.grad, and a low cross-validated log RMSE for the house prices.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { cpuPresent } from '../backends/helpers.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const TIMEOUT_MS = 120_000;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-ch04-test-'));
const fashionDir = process.env.KILN_FASHION_MNIST_DIR || '/usr/share/datasets/fashion-mnist';
const haveFashion = fs.existsSync(path.join(fashionDir, 'train-images-idx3-ubyte.gz')) || fs.existsSync(path.join(fashionDir, 'train-images-idx3-ubyte'));
// The house-price CSVs come from the data cache: the checkout's sibling folder shared/data/d2l.
const dataDir = path.resolve(root, '../shared/data/d2l');
const haveHouse = fs.existsSync(path.join(dataDir, 'kaggle_house_pred_train.csv'));

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/**
 * Runs one example script with `args` on `backend` and returns its standard output; fails on a
 * non-zero exit. Scripts that train use the compiled CPU backend (the suite's default, the
 * interpreter, is far too slow to train); the small ones that only evaluate a few expressions
 * run faster on the interpreter than the CPU backend compiles their eager ops.
 */
function runExample(name: string, args: string[] = [], backend: 'cpu' | 'interp' = 'cpu'): string {
  const out = path.join(work, name);
  const r = spawnSync('npx', ['tsx', `examples/ch04/${name}.ts`, '--out', out, ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: TIMEOUT_MS,
    env: {
      ...process.env,
      KILN_BACKEND: backend,
      KILN_CACHE_DIR: path.join(work, 'kernels'),
      KILN_DATA_DIR: dataDir,
      KILN_OFFLINE: '1',
      // Let the kernels' OpenMP threads sleep instead of spinning while they wait: with other
      // test files running beside these on a 2-core machine, spinning makes steps 10-50x slower.
      OMP_WAIT_POLICY: 'passive',
    },
  });
  if (r.error) throw r.error;
  expect(r.status, `${name}.ts exited with ${r.status}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`).toBe(0);
  return r.stdout;
}

/** The numbers in `s`. */
const numbers = (s: string) => (s.match(/-?\d+(\.\d*)?(e[-+]?\d+)?|-?Infinity|NaN/g) ?? []).map(Number);

/** The numbers of the line starting with `label` (after the label). */
function lineNumbers(out: string, label: string): number[] {
  const line = out.split('\n').find((l) => l.trimStart().startsWith(label));
  expect(line, `no line starting with "${label}"`).toBeDefined();
  return numbers(line!.trimStart().slice(label.length));
}

interface Epoch {
  loss: number;
  trainAcc: number;
  testAcc: number;
}

/** The per-epoch lines `epoch N: train loss L, train acc A, test acc B (...)`, in order. */
function epochs(out: string): Epoch[] {
  return [...out.matchAll(/^epoch \d+: train loss ([\d.]+), train acc ([\d.]+), test acc ([\d.]+)/gm)].map((m) => ({
    loss: Number(m[1]),
    trainAcc: Number(m[2]),
    testAcc: Number(m[3]),
  }));
}

/** The loss falls by a good margin and the final accuracies beat `floor`. */
function expectLearned(h: Epoch[], n: number, floor: number): void {
  expect(h).toHaveLength(n);
  const first = h[0]!, last = h[h.length - 1]!;
  expect(last.loss).toBeLessThan(0.6 * first.loss);
  expect(last.trainAcc).toBeGreaterThan(floor);
  expect(last.testAcc).toBeGreaterThan(floor);
}

// Each test spawns one script; allow it the full spawn timeout plus a margin.
describe('examples/ch04', { timeout: TIMEOUT_MS + 10_000 }, () => {
  const short = ['--epochs', '4', '--subset', '10000'];

  it.skipIf(!cpuPresent || !haveFashion)('mlp-scratch.ts (4.2): the loss falls, accuracy above 0.6, curves written', () => {
    const out = runExample('mlp-scratch', short);
    expect(out).toContain('784 -> 256 (ReLU) -> 10');
    expectLearned(epochs(out), 4, 0.6);
    expect(fs.readFileSync(path.join(work, 'mlp-scratch', 'mlp-scratch.svg'), 'utf8')).toMatch(/<svg[\s\S]*test acc[\s\S]*<\/svg>\s*$/);
  });

  it.skipIf(!cpuPresent || !haveFashion)('mlp-concise.ts (4.3): the loss falls, accuracy above 0.6', () => {
    const out = runExample('mlp-concise', short);
    expect(out).toMatch(/\(1\): Linear\(in=784, out=256, bias=true\)/);
    expectLearned(epochs(out), 4, 0.6);
    expect(fs.existsSync(path.join(work, 'mlp-concise', 'mlp-concise.svg'))).toBe(true);
  });

  it.skipIf(!cpuPresent || !haveFashion)('dropout.ts (4.6): the hand-written layer; scratch and concise models learn', () => {
    const out = runExample('dropout', short);
    // p = 0 keeps the input, p = 1 zeroes it, p = 0.5 zeroes some and doubles the rest.
    const rows = (label: string) => numbers(out.split(`${label}:\n`)[1]!.split('\n').slice(0, 2).join(' '));
    const x = Array.from({ length: 16 }, (_, i) => i);
    expect(rows('dropout p = 0')).toEqual(x);
    expect(rows('dropout p = 1')).toEqual(new Array(16).fill(0));
    const half = rows('dropout p = 0.5');
    expect(half.every((v, i) => v === 0 || v === 2 * x[i]!)).toBe(true);
    expect(half.filter((v) => v === 0).length).toBeGreaterThan(1);
    const h = epochs(out);
    expectLearned(h.slice(0, 4), 4, 0.6);
    expectLearned(h.slice(4), 4, 0.6);
  });

  it('activation-functions.ts (4.1): ReLU, sigmoid, tanh and their derivatives', () => {
    const out = runExample('activation-functions', [], 'interp');
    // Values at x = -4, -1, 0, 1, 4 (ReLU's derivative at 0 is left unchecked: see the script).
    expect(lineNumbers(out, 'relu(x) at x = -4, -1, 0, 1, 4:')).toEqual([0, 0, 0, 1, 4]);
    const dRelu = lineNumbers(out, "relu'(x) at x = -4, -1, 0, 1, 4:");
    expect([dRelu[0], dRelu[1], dRelu[3], dRelu[4]]).toEqual([0, 0, 1, 1]);
    expect(lineNumbers(out, "sigmoid'(x) at x = -4, -1, 0, 1, 4:")).toEqual([0.0177, 0.1966, 0.25, 0.1966, 0.0177]);
    expect(lineNumbers(out, "tanh'(x) at x = -4, -1, 0, 1, 4:")).toEqual([0.0013, 0.42, 1, 0.42, 0.0013]);
    expect(out).toContain('two linear layers equal one linear layer: true');
    expect(out).toContain('with a ReLU between them they differ: true');
    for (const f of ['relu', 'sigmoid', 'tanh']) expect(fs.existsSync(path.join(work, 'activation-functions', `${f}.svg`))).toBe(true);
  });

  it.skipIf(!cpuPresent)('polynomial-regression.ts (4.4): normal fit near the cubic, underfitting and overfitting visible', () => {
    const out = runExample('polynomial-regression');
    const w = lineNumbers(out, 'normal weights:');
    expect(w).toHaveLength(4);
    [5, 1.2, -3.4, 5.6].forEach((t, i) => expect(Math.abs(w[i]! - t)).toBeLessThan(0.2));
    const [normalTrain, normalTest] = [lineNumbers(out, 'normal train loss:')[0]!, lineNumbers(out, 'normal test loss:')[0]!];
    const [underTrain, underTest] = [lineNumbers(out, 'underfitting train loss:')[0]!, lineNumbers(out, 'underfitting test loss:')[0]!];
    const overTest = lineNumbers(out, 'overfitting test loss:')[0]!;
    expect(normalTrain).toBeLessThan(0.05);
    expect(normalTest).toBeLessThan(0.1);
    expect(underTrain).toBeGreaterThan(1);
    expect(underTest).toBeGreaterThan(1);
    expect(overTest).toBeGreaterThan(normalTest);
    expect(lineNumbers(out, 'overfitting weights:')).toHaveLength(20);
  });

  it.skipIf(!cpuPresent)('weight-decay.ts (4.5): lambda 3 shrinks the norm of w and the test loss, scratch and concise', () => {
    const out = runExample('weight-decay');
    for (const variant of ['scratch', 'concise']) {
      const [, plainNorm, plainTrain, plainTest] = lineNumbers(out, `${variant} lambda 0:`);
      const [, decayNorm, , decayTest] = lineNumbers(out, `${variant} lambda 3:`);
      expect(plainNorm!).toBeGreaterThan(10);
      expect(decayNorm!).toBeLessThan(0.5);
      expect(plainTrain!).toBeLessThan(1e-3); // 20 examples, 200 weights: fitted exactly
      expect(decayTest!).toBeLessThan(0.01 * plainTest!);
    }
  });

  it('numerical-stability.ts (4.8): vanishing sigmoid gradients, exploding products, Xavier keeps the scale', () => {
    const out = runExample('numerical-stability', [], 'interp');
    expect(lineNumbers(out, '0.0 ')).toEqual([0.5, 0.25]);
    expect(lineNumbers(out, '8.0 ')[1]!).toBeLessThan(1e-3);
    expect(lineNumbers(out, 'largest gradient:')[0]).toBe(0.25);
    expect(lineNumbers(out, 'largest |entry| after 100 multiplications:')[0]!).toBeGreaterThan(1e15);
    const layer50 = (init: string) => numbers(out.split('\n').find((l) => l.trimStart().startsWith(init))!.split('layer 50:')[1]!)[0]!;
    expect(layer50('normal(0.01)')).toBeLessThan(1e-30);
    expect(Number.isFinite(layer50('normal(1)'))).toBe(false);
    for (const init of ['xavierNormal', 'xavierUniform']) {
      expect(layer50(init)).toBeGreaterThan(0.5);
      expect(layer50(init)).toBeLessThan(2);
    }
    const [sample, , , , want] = lineNumbers(out, 'xavierUniform on a 784 -> 256 layer:');
    expect(Math.abs(sample! - want!)).toBeLessThan(2e-4);
    expect(fs.existsSync(path.join(work, 'numerical-stability', 'sigmoid-gradient.svg'))).toBe(true);
  });

  it('forward-backward.ts (4.7): the gradients by hand equal those of k.grad', () => {
    const out = runExample('forward-backward', [], 'interp');
    expect(out).toMatch(/^W1: max \|by hand - k\.grad\| = .*allclose: true$/m);
    expect(out).toMatch(/^W2: max \|by hand - k\.grad\| = .*allclose: true$/m);
    expect(out.split('\n').filter((l) => l.includes('dot_general'))).toHaveLength(5);
  });

  it.skipIf(!cpuPresent || !haveHouse)('house-prices.ts (4.10): 5-fold log RMSE below 0.2 and a submission file', () => {
    const out = runExample('house-prices');
    expect(out).toContain('features after preprocessing: 330');
    const folds = [...out.matchAll(/^fold \d, train log rmse ([\d.]+), valid log rmse ([\d.]+)$/gm)];
    expect(folds).toHaveLength(5);
    const [avgTrain, avgValid] = lineNumbers(out, '5-fold validation: avg train log rmse:');
    expect(avgTrain!).toBeLessThan(0.2);
    expect(avgValid!).toBeLessThan(0.2);
    const csv = fs.readFileSync(path.join(work, 'house-prices', 'submission.csv'), 'utf8').trimEnd().split('\n');
    expect(csv[0]).toBe('Id,SalePrice');
    expect(csv).toHaveLength(1460);
    const [id, price] = csv[1]!.split(',').map(Number);
    expect(id).toBe(1461);
    expect(price!).toBeGreaterThan(30_000);
    expect(price!).toBeLessThan(1_000_000);
  });
});
