// Losses against hand-computed values and gradients (finite differences), the reductions,
// cross-entropy's stability for huge logits (finite loss, gradient softmax − onehot), soft
// labels, and the L2 penalty.
import { describe, expect, it } from 'vitest';
import * as k from '../../index.ts';
import { losses } from '../../stdlib/index.ts';

type T = k.Tensor;
const f64 = (x: Parameters<typeof k.array>[0]) => k.array(x, { dtype: 'f64' });
const vals = (t: T) => Array.from(t.data(), Number);

function numericGrad(f: (w: T) => number, w: T, eps = 1e-6): T {
  const base = vals(w);
  const g = base.map((_, i) => {
    const plus = base.slice(), minus = base.slice();
    plus[i]! += eps;
    minus[i]! -= eps;
    const at = (v: number[]) => f(k.array(v, { dtype: 'f64', shape: w.shape }));
    return (at(plus) - at(minus)) / (2 * eps);
  });
  return k.array(g, { dtype: 'f64', shape: w.shape });
}

const lse = (row: number[]) => Math.log(row.reduce((a, v) => a + Math.exp(v), 0));
const softmax = (row: number[]) => row.map((v) => Math.exp(v - lse(row)));

describe('squared losses', () => {
  const yHat = f64([[1], [2], [4]]);
  const y = f64([0, 2, 1]); // [n] against [n, 1]: reshaped, as the book does

  it('squaredLoss is ½(ŷ − y)², mseLoss (ŷ − y)²; mean, sum and none', () => {
    expect(losses.squaredLoss(yHat, y)).toBeAllclose((0.5 * (1 + 0 + 9)) / 3);
    expect(losses.squaredLoss(yHat, y, { reduction: 'sum' })).toBeAllclose(5);
    expect(losses.squaredLoss(yHat, y, { reduction: 'none' })).toBeAllclose([[0.5], [0], [4.5]]);
    expect(losses.mseLoss(yHat, y)).toBeAllclose(10 / 3);
    expect(losses.mseLoss(yHat, y, { reduction: 'sum' })).toBeAllclose(10);
    expect(losses.mseLoss([1, 2], [1, 2]).dtype).toBe('f32');
    expect(() => losses.mseLoss(yHat, f64([1, 2]))).toThrow(/differ in size/);
  });

  it('gradients: (ŷ − y)/n and 2(ŷ − y)/n, matching finite differences', () => {
    const g = k.grad((p: T) => losses.squaredLoss(p, y))(yHat) as T;
    expect(g).toBeAllclose([[1 / 3], [0], [3 / 3]], { rtol: 1e-12 });
    const gm = k.grad((p: T) => losses.mseLoss(p, y))(yHat) as T;
    expect(gm).toBeAllclose(numericGrad((p) => losses.mseLoss(p, y).item(), yHat), { rtol: 1e-6 });
  });
});

describe('crossEntropy', () => {
  const z = [[1, 2, 3], [1, 1, 1], [-2, 0.5, 4]];
  const labels = [2, 0, 1];
  const logits = f64(z);
  const y = k.array(labels, { dtype: 'i32' });
  const perExample = z.map((row, i) => lse(row) - row[labels[i]!]!);

  it('equals logsumexp(z) − z[label] per example; mean, sum and none', () => {
    expect(perExample[0]).toBeCloseTo(0.40760596, 7);
    expect(perExample[1]).toBeCloseTo(Math.log(3), 12);
    expect(losses.crossEntropy(logits, y, { reduction: 'none' })).toBeAllclose(perExample, { rtol: 1e-12 });
    expect(losses.crossEntropy(logits, y)).toBeAllclose(perExample.reduce((a, b) => a + b) / 3, { rtol: 1e-12 });
    expect(losses.crossEntropy(logits, y, { reduction: 'sum' })).toBeAllclose(perExample.reduce((a, b) => a + b), { rtol: 1e-12 });
    // Labels given as [n, 1], or as f32 numbers of an integer label array, are accepted.
    expect(losses.crossEntropy(logits, k.array([[2], [0], [1]], { dtype: 'i32' }), { reduction: 'none' })).toBeAllclose(perExample, { rtol: 1e-12 });
    expect(losses.crossEntropy(logits, [2, 0, 1], { reduction: 'none' })).toBeAllclose(perExample, { rtol: 1e-12 });
  });

  it('its gradient is (softmax − onehot)/n and matches finite differences', () => {
    const g = k.grad((p: T) => losses.crossEntropy(p, y))(logits) as T;
    const want = z.map((row, i) => softmax(row).map((s, j) => (s - (j === labels[i] ? 1 : 0)) / 3));
    expect(g).toBeAllclose(want, { rtol: 1e-10, atol: 1e-14 });
    expect(g).toBeAllclose(numericGrad((p) => losses.crossEntropy(p, y).item(), logits), { rtol: 1e-6, atol: 1e-9 });
  });

  it('is stable for huge logits: finite loss and gradient (f32)', () => {
    const big = k.array([[1e30, 0, -1e30], [3e38, 3e38, -3e38], [-1e4, 1e4, 0]]);
    const lab = k.array([1, 0, 1], { dtype: 'i32' });
    const l = losses.crossEntropy(big, lab, { reduction: 'none' });
    expect(vals(l).every(Number.isFinite)).toBe(true);
    expect(l).toBeAllclose([1e30, Math.LN2, 0], { rtol: 1e-6 });
    const g = k.grad((p: T) => losses.crossEntropy(p, lab, { reduction: 'sum' }))(big) as T;
    expect(vals(g).every(Number.isFinite)).toBe(true);
    expect(g).toBeAllclose([[1, -1, 0], [-0.5, 0.5, 0], [0, 0, 0]], { atol: 1e-6 });
  });

  it('soft labels: −Σ p log softmax(z), and the class axis can be chosen', () => {
    const p = f64([[0.2, 0.3, 0.5], [1, 0, 0], [0, 1, 0]]);
    const want = z.map((row, i) => -row.reduce((a, v, j) => a + vals(p)[3 * i + j]! * (v - lse(row)), 0));
    expect(losses.crossEntropy(logits, p, { reduction: 'none' })).toBeAllclose(want, { rtol: 1e-12 });
    // Hard labels as one-hot soft labels agree.
    expect(losses.crossEntropy(logits, k.oneHot(y, 3, { dtype: 'f64' }))).toBeAllclose(losses.crossEntropy(logits, y), { rtol: 1e-12 });
    // Classes on axis 0.
    expect(losses.crossEntropy(k.transpose(logits), y, { axis: 0, reduction: 'none' })).toBeAllclose(perExample, { rtol: 1e-12 });
  });

  it('says what is wrong with mismatched labels', () => {
    expect(() => losses.crossEntropy(logits, k.array([0, 1], { dtype: 'i32' }))).toThrow(/labels of shape \[2\] do not match logits of shape \[3, 3\]/);
    expect(() => losses.crossEntropy(logits, f64([[1, 0]]))).toThrow(/class probabilities/);
    expect(() => losses.crossEntropy(k.array(1), y)).toThrow(/class axis/);
  });
});

describe('l2Penalty', () => {
  it('is ½‖w‖² of a tensor and the sum over a tree; its gradient is w', () => {
    const w = f64([[1, 2], [3, -4]]);
    expect(losses.l2Penalty(w)).toBeAllclose(15);
    const tree = { a: { weight: w, bias: f64([2]) }, b: [f64([1, 1])] };
    expect(losses.l2Penalty(tree)).toBeAllclose(15 + 2 + 1);
    expect(losses.l2Penalty({})).toBeAllclose(0);
    expect(k.grad((t: typeof tree) => losses.l2Penalty(t))(tree).a.weight).toBeAllclose(w);
  });
});
