// Differential tests of reductions compiled for the CPU against the interpreter: sum, mean,
// max, min, prod, all, any, argmax, argmin, logsumexp, var, std and cumsum over every axis
// combination of a rank-3 input, with and without keepdims, on f32, f64 and i32.
// Float tolerances are scaled by the reduction length (summation order may differ).
import { describe, expect, it } from 'vitest';
import * as k from '../../index.ts';
import { cpuPresent, diff, rand, randDistinct, rng, useColdCache } from './helpers.ts';

useColdCache();

type T = k.Tensor;
const AXES: (number | number[] | undefined)[] = [undefined, 0, 1, 2, -1, [0, 2], [1, 2], [0, 1, 2]];

/** Every reduction over every axis set of x, keyed by op and axes. */
function allReductions(x: T, ints: boolean) {
  const out: Record<string, T> = {};
  for (const axis of AXES) {
    for (const keepdims of [false, true]) {
      const tag = `${JSON.stringify(axis) ?? 'all'}${keepdims ? 'k' : ''}`;
      const o = { axis, keepdims };
      out[`sum${tag}`] = x.sum(o);
      out[`max${tag}`] = x.max(o);
      out[`min${tag}`] = x.min(o);
      out[`prod${tag}`] = x.prod(o);
      out[`mean${tag}`] = x.mean(o);
      out[`all${tag}`] = k.all(x.greater(-1.5), o);
      out[`any${tag}`] = k.any(x.greater(1.5), o);
      if (!ints) {
        out[`lse${tag}`] = x.logsumexp(o);
        out[`var${tag}`] = x.var(o);
        out[`std${tag}`] = x.std({ ...o, ddof: 1 });
      }
    }
  }
  for (const axis of [undefined, 0, 1, 2, -1]) {
    out[`argmax${axis}`] = x.argmax({ axis });
    out[`argmin${axis}`] = x.argmin({ axis });
    out[`argmaxk${axis}`] = x.argmax({ axis, keepdims: true });
    out[`cumsum${axis}`] = x.cumsum(axis);
  }
  out['cumsumRev'] = k.cumsum(x, 1, { reverse: true });
  return out;
}

describe.runIf(cpuPresent)('reductions on the CPU equal the interpreter', () => {
  const r = rng(7);

  it('f32: every reduction over every axis set, keepdims or not', () => {
    const x = randDistinct(r, [3, 4, 5]).mul(0.1);
    diff((x: T) => allReductions(x, false), [x], { scale: 60 });
  });

  it('f64: every reduction over every axis set', () => {
    const x = randDistinct(r, [3, 4, 5], 'f64').mul(0.1);
    diff((x: T) => allReductions(x, false), [x], { scale: 60 });
  });

  it('i32: reductions are exact (sum, prod wrap), mean gives f32', () => {
    const x = rand(r, [3, 4, 5], 'i32', -3, 4);
    const { cpu } = diff((x: T) => allReductions(x, true), [x], { scale: 60 });
    expect(cpu['sumall'].dtype).toBe('i32');
    expect(cpu['meanall'].dtype).toBe('f32');
  });

  it('ties: argmax/argmin pick the first extreme; NaN propagates through max/min/sum', () => {
    const x = k.array([[1, 3, 3, 0], [2, 2, -1, -1], [NaN, 1, 5, NaN]]);
    const y = k.array([[-Infinity, -Infinity], [Infinity, 1], [-Infinity, 0]]);
    diff(
      (x: T, y: T) => ({
        argmax: x.argmax({ axis: 1 }), argmin: x.argmin({ axis: 1 }), argmax0: x.argmax({ axis: 0 }), argminAll: x.argmin(),
        max: x.max({ axis: 1 }), min: x.min({ axis: 0 }), sum: x.sum({ axis: 1 }), lse: y.logsumexp({ axis: 1 }),
        lseInf: y.logsumexp({ axis: 0 }), maxInf: y.max({ axis: 1 }), cum: x.cumsum(1),
      }),
      [x, y],
    );
  });

  it('long reductions: sum and logsumexp of 10^4 f32 values within a length-scaled tolerance', () => {
    const x = rand(r, [4, 2500], 'f32', 0, 1);
    diff((x: T) => ({ sum: x.sum(), rows: x.sum({ axis: 1 }), lse: x.logsumexp({ axis: 1 }), mean: x.mean({ axis: 0 }), cum: x.cumsum(1) }), [x], {
      scale: 50,
    });
  });

  it('large shapes take the parallel and chunked paths (>= 32768 elements, lengths not multiples of the chunk)', () => {
    const x = rand(r, [3, 20001], 'f64'), y = rand(r, [300, 257], 'f64'), z = rand(r, [70001], 'f64');
    const idx = k.array(Int32Array.from({ length: 50000 }, (_, j) => (j * 7919) % 40000));
    const { cpu, jitted } = diff(
      (x: T, y: T, z: T, idx: T) => ({
        cumRows: x.cumsum(1), cumCols: k.cumsum(x, 0, { reverse: true }), cumFlat: z.cumsum(), cumT: x.T.cumsum(1),
        sum0: x.sum({ axis: 0 }), sum1: x.sum({ axis: 1 }), ysum0: y.sum({ axis: 0 }), ymax1: y.max({ axis: 1 }), argmax0: y.argmax({ axis: 0 }),
        argmin1: y.argmin({ axis: 1 }), all: z.sum(), prod: z.mul(1e-3).add(1).prod(), zmin: z.min(), zarg: z.argmax(),
        ew: y.mul(y.slice(0)).add(y.exp()).sub(y.T.T.sin()), ewT: y.T.add(y.flip(0).T.mul(2)), sort: k.sort(x, 1), sortFlat: k.sort(z),
        scatter: k.zeros([40000], 'f64').at(idx).add(z.slice([0, 50000])), gather: z.take(idx),
      }),
      [x, y, z, idx],
      { scale: 1e3 },
    );
    // multi-threaded kernels give the same bits on every run
    const again = jitted(x, y, z, idx);
    for (const key of Object.keys(cpu) as (keyof typeof cpu)[]) expect(Array.from(again[key].data()), key).toEqual(Array.from(cpu[key].data()));
  });
});

