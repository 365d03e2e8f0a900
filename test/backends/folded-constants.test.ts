import { afterEach, describe, expect, it } from 'vitest';
import * as k from '../../index.ts';
import { cpuPresent, diff, rand, rng, useColdCache } from './helpers.ts';

useColdCache();

type T = k.Tensor;

describe.runIf(cpuPresent)('known bug: folded iota / broadcast constants over more than 16 elements', () => {
  const r = rng(81);

  it('control: the same ops compile when the constant has at most 16 elements or more than 16 distinct values', () => {
    diff(
      (x: T, y: T) => ({
        iotaSmall: x.add(k.iota([2, 8], 'i32', 1)), iotaDistinct: y.add(k.iota([20, 2], 'i32', 0)), arange: x.astype('f32').mul(k.arange(8)),
        oneHot: k.oneHot(x.slice(0, [0, 3]), 5), argsort: k.argsort(y.slice([0, 2])), eye: k.eye(4).mul(2),
      }),
      [rand(r, [2, 8], 'i32', 0, 4), rand(r, [20, 2], 'i32', 0, 9)],
    );
  });

  it('iota over a [4, 6] shape', () => {
    diff((x: T) => x.add(k.iota([4, 6], 'i32', 1)), [rand(r, [4, 6], 'i32', 0, 9)]);
  });

  it('a tensor times arange broadcast along its last axis', () => {
    diff((x: T) => x.mul(k.arange(4)), [rand(r, [2, 3, 4])]);
  });

  it('oneHot of 7 labels into 5 classes', () => {
    diff((l: T) => k.oneHot(l, 5), [k.array([0, 4, 2, 2, 1, 3, 0], { dtype: 'i32' })]);
  });

  it('argsort of a [4, 6] matrix', () => {
    diff((x: T) => k.argsort(x), [rand(r, [4, 6])]);
  });

  it('takeAlongAxis on a [4, 5, 3] tensor', () => {
    diff((x: T, i: T) => k.takeAlongAxis(x, i, 1), [rand(r, [4, 5, 3]), rand(r, [4, 2, 3], 'i32', 0, 5)]);
  });

  it('x.at(2).set(9) on a [5, 4] matrix (and slices, x.at(-1, -1), newaxis)', () => {
    diff((x: T) => ({ a: x.at(2).set(9), b: x.at([1, 3], [null, null, 2]).set(0), c: x.at(-1, -1).set(-5) }), [rand(r, [5, 4])]);
  });

  it('eye(5) inside a jitted function', () => {
    diff((x: T) => x.add(k.eye(5)), [rand(r, [5, 5])]);
  });

  it('the gradient of prod over an axis', () => {
    diff(k.grad((x: T) => x.prod({ axis: 1 }).sum()), [rand(r, [3, 5], 'f64', 0.5, 1.5)]);
  });

  describe('with the CPU as the default device (eager creation ops are single-op CPU programs)', () => {
    const original = k.defaultDevice();
    afterEach(() => k.setDefaultDevice(original));

    it('arange, full and 1-D iota work', () => {
      k.setDefaultDevice('cpu');
      const a = k.arange(30), f = k.full([5, 5], 2), i = k.iota([20], 'f32');
      expect(a.device.toString()).toBe('cpu:0');
      expect(a.toArray()).toEqual(Array.from({ length: 30 }, (_, j) => j));
      expect(f.sum().item()).toBe(50);
      expect(i.toArray()).toEqual(Array.from({ length: 20 }, (_, j) => j));
    });

    it('eye(5) and iota([4, 6]) eagerly', () => {
      const want = k.eye(5).toArray();
        k.setDefaultDevice('cpu');
        expect(k.eye(5).toArray()).toEqual(want);
        expect(k.iota([4, 6], 'i32', 1).sum().item()).toBe(60);
    });
  });
});
