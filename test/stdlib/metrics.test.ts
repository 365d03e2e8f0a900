// Metrics: accuracy counts correct predictions (as the book's), from logits, probabilities
// or class predictions; evaluateAccuracy iterates batches in evaluation mode and restores
// the modes; its jitted form agrees.
import { describe, expect, it } from 'vitest';
import * as k from '../../index.ts';
import { metrics, nn } from '../../stdlib/index.ts';

describe('accuracy', () => {
  it('counts argmax(ŷ) == y for logits or probabilities [n, classes]', () => {
    const yHat = k.array([[0.1, 0.3, 0.6], [0.5, 0.2, 0.3], [2, 9, -1], [0, 0, 1]]);
    const y = k.array([2, 1, 1, 2], { dtype: 'i32' });
    expect(metrics.accuracy(yHat, y)).toBe(3);
    expect(metrics.numCorrect(yHat, y).dtype).toBe('i32');
    expect(metrics.numCorrect(yHat, y).item()).toBe(3);
  });

  it('compares class predictions [n] directly, whatever the label dtype', () => {
    expect(metrics.accuracy(k.array([0, 1, 2], { dtype: 'i32' }), k.array([0, 1, 1], { dtype: 'i32' }))).toBe(2);
    expect(metrics.accuracy(k.array([0, 1, 1]), k.array([0, 1, 1]))).toBe(3);
    expect(() => metrics.accuracy(k.zeros([2, 3]), k.array([1, 2, 0], { dtype: 'i32' }))).toThrow(/2 predictions for 3 labels/);
  });

  it('is traceable as numCorrect under k.jit', () => {
    const f = k.jit((a: k.Tensor, b: k.Tensor) => metrics.numCorrect(a, b), { device: 'interp' });
    expect(f(k.array([[1, 0], [0, 1]]), k.array([1, 1], { dtype: 'i32' })).item()).toBe(1);
  });
});

describe('evaluateAccuracy', () => {
  // A fixed 2-class "network": class 1 when x0 > x1.
  const net = new nn.Sequential(new nn.Linear(2, 2, { bias: false }), new nn.Dropout(0.9));
  net.setParams({ '0.weight': k.array([[0, 1], [1, 0]]) });
  const batches: [k.Tensor, k.Tensor][] = [
    [k.array([[1, 0], [0, 1], [2, 3]]), k.array([1, 0, 0], { dtype: 'i32' })], // 3 correct
    [k.array([[5, 1], [1, 5]]), k.array([0, 0], { dtype: 'i32' })], // 1 correct
  ];

  it('is the fraction correct over all batches, in evaluation mode (Dropout off), modes restored', () => {
    expect(net.training).toBe(true);
    expect(metrics.evaluateAccuracy(net, batches, { jit: false })).toBeCloseTo(4 / 5, 12);
    expect(metrics.evaluateAccuracy(net, batches, { device: 'interp' })).toBeCloseTo(4 / 5, 12);
    expect(net.training).toBe(true);
    expect(net.at(1).training).toBe(true);
    net.at(1).eval();
    metrics.evaluateAccuracy(net, batches);
    expect(net.at(1).training).toBe(false);
    net.train();
  });

  it('takes any iterable (a generator) and, jitted, agrees; the jitted count compiles once per network', () => {
    function* gen() {
      yield* batches;
    }
    expect(metrics.evaluateAccuracy(net, gen(), { jit: false })).toBeCloseTo(0.8, 12);
    expect(metrics.evaluateAccuracy(net, batches, { jit: true, device: 'interp' })).toBeCloseTo(0.8, 12);
    expect(metrics.evaluateAccuracy(net, [])).toBe(0);
    // After new parameters (an epoch of training), the same compiled function evaluates them.
    const before = net.getParam('0.weight');
    net.setParams({ '0.weight': k.array([[1, 0], [0, 1]]) });
    expect(metrics.evaluateAccuracy(net, batches, { device: 'interp' })).toBeCloseTo(1 / 5, 12);
    net.setParams({ '0.weight': before });
  });

  it('creates deferred parameters on the first batch when jitted', () => {
    nn.manualSeed(2);
    const lazy = new nn.Sequential(new nn.LazyLinear(2));
    const acc = metrics.evaluateAccuracy(lazy, batches, { jit: true, device: 'interp' });
    expect(lazy.initialized).toBe(true);
    expect(acc).toBeCloseTo(metrics.evaluateAccuracy(lazy, batches, { jit: false }), 12);
  });
});
