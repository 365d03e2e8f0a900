// Differential tests of view, shape and indexing ops compiled for the CPU against the
// interpreter: reshape, transpose, moveAxis, broadcastTo, expandDims, squeeze, concatenate,
// stack, split, flip, pad, tile, repeat; slices with steps and negative steps, newaxis and
// ellipsis; take, takeAlongAxis, integer-array indices; at().set/add with duplicate indices;
// gather/scatter through those.
import { describe, it } from 'vitest';
import * as k from '../../index.ts';
import { cpuPresent, diff, rand, rng, useColdCache } from './helpers.ts';

useColdCache();

type T = k.Tensor;

describe.runIf(cpuPresent)('view and shape ops on the CPU equal the interpreter', () => {
  const r = rng(11);

  it('reshape, transpose, moveAxis, broadcastTo, expandDims, squeeze, flip, tile, repeat (f32 and i32)', () => {
    const views = (x: T) => ({
      reshape: x.reshape([6, 4]), reshapeInfer: x.reshape([-1, 3]), flatten: x.flatten(), T: x.T, perm: x.transpose([1, 0, 2]),
      perm2: x.transpose([2, 0, 1]), moveAxis: k.moveAxis(x, 0, -1), bcast: x.slice(0).broadcastTo([5, 3, 4]),
      bcastMid: x.slice([], [0, 1]).broadcastTo([2, 3, 4]), expand: x.expandDims([0, 2]), squeeze: x.slice([], [1, 2]).squeeze(),
      squeezeAxis: x.slice([0, 1]).squeeze(0), flip: x.flip(), flip1: x.flip(1), flip02: x.flip([0, 2]), tile: x.tile([2, 1, 2]),
      tile1: x.slice(0, 0).tile(3), repeat: x.repeat(2, 1), repeatFlat: x.repeat(2),
      chain: x.transpose([2, 1, 0]).reshape([4, 6]).flip(0).T.add(1),
    });
    diff((a: T, b: T) => ({ f: views(a), i: views(b) }), [rand(r, [2, 3, 4]), rand(r, [2, 3, 4], 'i32', -9, 9)]);
  });

  it('concatenate, stack, split, pad (with values, per-axis widths)', () => {
    const a = rand(r, [2, 3]), b = rand(r, [2, 5]), c = rand(r, [4, 3]), i = rand(r, [2, 3], 'i32', 0, 9);
    diff(
      (a: T, b: T, c: T, i: T) => ({
        cat1: k.concatenate([a, b], 1), cat0: k.concatenate([a, c, a], 0), catMixed: k.concatenate([a, i], 0),
        stack0: k.stack([a, a.neg()]), stack2: k.stack([a, i.astype('f32'), a], 2), stackNeg: k.stack([a, a], -1),
        split: k.split(b, [1, 3], 1), splitEq: k.split(c, 2, 0), pad: k.pad(a, 1), padPairs: k.pad(a, [[0, 2], [3, 1]], { value: -7 }),
        padSame: k.pad(i, [1, 0]), catOfViews: k.concatenate([a.T, c.T.flip(1)], 1),
      }),
      [a, b, c, i],
    );
  });
});

describe.runIf(cpuPresent)('indexing on the CPU equals the interpreter', () => {
  const r = rng(12);

  it('basic slices: steps, negative steps, negative bounds, integers, newaxis, ellipsis, empty', () => {
    const x = rand(r, [5, 6, 4]);
    diff(
      (x: T) => ({
        int: x.slice(1), neg: x.slice(-1, -2), range: x.slice([1, 4]), step: x.slice([0, null, 2], [1, null, 3]),
        revAll: x.slice([null, null, -1]), revStep: x.slice([], [null, null, -2]), revBounds: x.slice([4, 0, -2], [5, 1, -3]),
        negStart: x.slice([-3], [-4, -1]), clamp: x.slice([-100, 100], [2, 100]), newaxis: x.slice('newaxis', 0, [], 'newaxis'),
        ellipsis: x.slice('...', 1), ellMid: x.slice(0, '...', [null, null, -1]), empty: x.slice([3, 1]), emptyRev: x.slice([1, 3, -1]),
        mixed: x.slice([1, null, 2], 2, [null, null, -1]), scalarOut: x.slice(1, 2, 3),
      }),
      [x],
    );
  });

  it('take, takeAlongAxis and integer-array indices (negative indices wrap, out-of-range ones clamp)', () => {
    const x = rand(r, [4, 5, 3]);
    const idx = k.array([3, -1, 0, 3, 1], { dtype: 'i32' });
    const idx2 = k.array([[0, 2], [-2, 1]], { dtype: 'i32' });
    const oor = k.array([0, 4, 5, 100, -1, -6, -100], { dtype: 'i32' });
    diff(
      (x: T, idx: T, idx2: T, oor: T) => ({
        take0: x.take(idx, 0), take1: x.take(idx2, 1), takeFlat: x.take(idx2), takeLast: k.take(x, idx.slice([0, 3]), -1),
        takeClamped: x.slice([], 0, 0).take(oor), arr: x.slice(idx), arrMid: x.slice([], idx2),
        arrSeparated: x.slice(1, [], idx.slice([0, 2])), arrNeg: x.slice([null, null, -1], idx2, 0),
        alongBcast: k.takeAlongAxis(x, x.argmax({ axis: 0, keepdims: true }), 0),
      }),
      [x, idx, idx2, oor],
    );
    // takeAlongAxis / argsort on larger shapes: see folded-constants.test.ts
    const y = rand(r, [2, 4, 2]), along = rand(r, [2, 3, 2], 'i32', -4, 4);
    diff((y: T, along: T) => ({ along1: k.takeAlongAxis(y, along, 1), alongArg: k.takeAlongAxis(y, k.argsort(y, 1), 1), along2: k.takeAlongAxis(y, along.slice([], [0, 1]).abs().clip(0, 1), 2) }), [y, along]);
  });

  it('at().set / at().add: integers, strided and reversed slices, newaxis, duplicates add up, set with duplicates', () => {
    // set with a basic index on more than 16 elements: see folded-constants.test.ts
    const x = rand(r, [4, 4]), big = rand(r, [5, 4]);
    const dup = k.array([1, 3, 1, 1, -1], { dtype: 'i32' });
    const v = rand(r, [5, 4]);
    diff(
      (x: T, big: T, dup: T, v: T) => ({
        setInt: x.at(2).set(9), setSlice: x.at([1, 3], [null, null, 2]).set(v.slice([0, 2], [0, 2])), setRev: x.at([null, null, -2]).set(0),
        setScalarCell: x.at(-1, -1).set(-5), newaxisSet: x.at('newaxis', 1).set(3), setBcast: x.at([], [1, 3]).set(v.slice([0, 4], 0).reshape([4, 1])),
        addRev: big.at([], [null, null, -1]).add(v.slice([], 0).reshape([5, 1])), addStrided: big.at([null, null, 2], [1, null, 2]).add(v.slice([0, 3], [0, 2])),
        addInt: big.at(3).add(v.slice(0)), addDup: big.at(dup).add(v), addDupCol: big.at([], dup.slice([0, 4])).add(1),
        setUniq: big.at(k.array([4, 0], { dtype: 'i32' })).set(v.slice([0, 2])), setDupSame: big.at(dup).set(7), i32Add: big.astype('i32').at(dup).add(2),
        boolSet: x.greater(0).at(dup.slice([0, 2])).set(true),
      }),
      [x, big, dup, v],
    );
  });
});
