// Differential tests of contractions, sorting, random numbers and creation ops compiled for the
// CPU against the interpreter: matmul (1-D, 2-D, batched, broadcast batches, transposed
// operands), dot, outer, norm, oneHot; sort/argsort (stable, NaN last); random
// bits/uniform/normal/permutation bit for bit; iota/arange/linspace/eye/full.
import { describe, expect, it } from 'vitest';
import * as k from '../../index.ts';
import { cpuPresent, diff, expectClose, rand, rng, useColdCache } from './helpers.ts';

useColdCache();

type T = k.Tensor;

describe.runIf(cpuPresent)('contractions on the CPU equal the interpreter', () => {
  const r = rng(21);

  it('matmul 1-D/2-D/batched/broadcast/transposed, dot, outer (f32, tolerance scaled by K)', () => {
    const a = rand(r, [5, 7]), b = rand(r, [7, 6]), v = rand(r, [7]), w = rand(r, [6]);
    const ba = rand(r, [3, 5, 7]), bb = rand(r, [3, 7, 6]), b1 = rand(r, [1, 7, 6]);
    diff(
      (a: T, b: T, v: T, w: T, ba: T, bb: T, b1: T) => ({
        mm: a.matmul(b), mv: a.matmul(v), vm: v.matmul(b), vv: v.matmul(v), bmm: ba.matmul(bb), bcast: ba.matmul(b1),
        bmm2d: ba.matmul(b), aT: b.T.matmul(a.T), bT: a.matmul(a.T), both: b.T.matmul(ba.transpose([0, 2, 1])),
        dot: k.dot(a, b), dotVV: k.dot(v, v), dotMV: k.dot(a, v), dot3: k.dot(ba, b), outer: k.outer(v, w), outer2: k.outer(a, w),
        fused: a.matmul(b).add(w).relu().sum({ axis: 1 }),
      }),
      [a, b, v, w, ba, bb, b1],
      { scale: 7 },
    );
  });

  it('matmul on f64 and i32 (exact), mixed i32 @ f32 promotes', () => {
    const a = rand(r, [4, 9], 'f64'), b = rand(r, [9, 3], 'f64'), ia = rand(r, [4, 9], 'i32', -9, 9), ib = rand(r, [2, 9, 3], 'i32', -9, 9);
    const fb = rand(r, [9, 3]);
    diff((a: T, b: T, ia: T, ib: T, fb: T) => ({ f64: a.matmul(b), i32: ia.matmul(ib), mixed: ia.matmul(fb), bool: ia.greater(0).matmul(ib.greater(0)) }), [a, b, ia, ib, fb], {
      scale: 9,
    });
  });

  it('a larger matmul (64x300 @ 300x48) within a K-scaled tolerance', () => {
    const a = rand(r, [64, 300]), b = rand(r, [300, 48]);
    diff((a: T, b: T) => ({ mm: a.matmul(b), t: a.T.T.matmul(b).T }), [a, b], { scale: 30 });
  });

  it('norm (all orders), oneHot', () => {
    const x = rand(r, [4, 5]), v = rand(r, [6]), lab = rand(r, [3], 'i32', -1, 6); // oneHot of more labels: folded-constants.test.ts
    diff(
      (x: T, v: T, lab: T) => ({
        fro: k.norm(x), l2: k.norm(v), l1: k.norm(v, { ord: 1 }), linf: k.norm(v, { ord: Infinity }), lninf: k.norm(v, { ord: -Infinity }),
        l3: k.norm(v, { ord: 3 }), rows: k.norm(x, { axis: 1, keepdims: true }), m1: k.norm(x, { ord: 1 }), mInf: k.norm(x, { ord: Infinity, axis: [0, 1] }),
        mFro: k.norm(x, { ord: 'fro', axis: [1, 0] }), oneHot: k.oneHot(lab, 5), oneHotI: k.oneHot(lab.slice([0, 2]), 3, { dtype: 'i32' }), oneHotF64: k.oneHot(lab, 4, { dtype: 'f64' }),
      }),
      [x, v, lab],
      { scale: 20 },
    );
  });
});

describe.runIf(cpuPresent)('sorting on the CPU equals the interpreter', () => {
  const r = rng(22);

  it('sort/argsort along each axis, flattened, with ties (stable), NaN, ±inf, and on i32/f64', () => {
    // argsort of larger matrices: see folded-constants.test.ts
    const x = rand(r, [4, 6]).round(); // many ties
    const sv = k.array([3, NaN, -Infinity, 1, Infinity, -0, 0, NaN, 1, -2]);
    const i = rand(r, [3, 5], 'i32', -4, 4), d = rand(r, [5, 3], 'f64');
    diff(
      (x: T, sv: T, i: T, d: T) => ({
        sortLast: k.sort(x), sort0: k.sort(x, 0), sortFlat: k.sort(x, null), argLast: k.argsort(x.slice([0, 2])), arg0: k.argsort(x.slice([], [0, 4]), 0),
        argFlat: k.argsort(x, null), special: k.sort(sv), specialArg: k.argsort(sv), int: k.sort(i), intArg: k.argsort(i, 0), f64: k.sort(d, 0),
        f64Arg: k.argsort(d.neg(), 1), long: k.argsort(x.reshape([1, 24]).neg(), 1),
      }),
      [x, sv, i, d],
    );
  });
});

describe.runIf(cpuPresent)('random numbers on the CPU equal the interpreter bit for bit', () => {
  it('bits, uniform (f32/f64, ranges), split/foldIn, randint, bernoulli, categorical, permutation: bit for bit', () => {
    const key = k.random.key(42);
    const x = rand(rng(23), [6, 2]);
    const { cpu, interp } = diff(
      (key: T, x: T) => {
        const [k1, k2, k3] = k.random.split(key, 3) as [T, T, T];
        return {
          bits: k.random.bits(key, [3, 5]), bigBits: k.random.bits(k3, [40000]), uniform: k.random.uniform(k1, [4, 3]),
          uniform64: k.random.uniform(k2, [7], { dtype: 'f64', minval: -3, maxval: 5 }), bigUniform: k.random.uniform(k1, [10000], { dtype: 'f64' }),
          fold: k.random.foldIn(key, 7), randint: k.random.randint(k2, [9], -5, 5), bern: k.random.bernoulli(k3, 0.3, [8]), cat: k.random.categorical(k1, x),
          perm: k.random.permutation(key, 10), permRows: k.random.permutation(k2, x),
        };
      },
      [key, x],
      { rtol: 0, atol: 0 },
    );
    for (const name of Object.keys(interp) as (keyof typeof interp)[]) {
      expect(Buffer.from(cpu[name].data().buffer).equals(Buffer.from(interp[name].data().buffer)), name).toBe(true);
    }
  });

  // One normal draw per test file: its kernel takes llc-14 about 2 s to compile.
  let normals: { cpu: T; interp: T } | undefined;
  const drawNormals = () => {
    if (!normals) {
      const f = (key: T) => k.random.normal(key, [100, 100]);
      normals = { cpu: k.jit(f, { device: 'cpu' })(k.random.key(7)), interp: k.jit(f, { device: 'interp' })(k.random.key(7)) };
    }
    return normals;
  };

  it('normal: within 2 ulps of the interpreter (log1p and cos are not correctly rounded in compiled code)', () => {
    const { cpu, interp } = drawNormals();
    expectClose(cpu, interp, { rtol: 2.5e-7, atol: 1e-7 });
  });
});

describe.runIf(cpuPresent)('creation ops on the CPU equal the interpreter', () => {
  it('iota, arange, linspace, eye, full/zeros/ones(-like), combined with an input', () => {
    const x = rand(rng(24), [3, 4]);
    const { cpu } = diff(
      (x: T) => ({
        iota: k.iota([3, 4], 'i32', 1), iotaF: k.iota([2, 3, 2], 'f64', 2), arange: k.arange(10), arangeF: k.arange(0, 1, 0.125),
        arangeNeg: k.arange(5, -7, -3), arangeD: k.arange(2, 9, 2, { dtype: 'f64' }), lin: k.linspace(-1, 1, 7), linNoEnd: k.linspace(0, 1, 5, { endpoint: false }),
        linF64: k.linspace(0, 3, 13, { dtype: 'f64' }), lin1: k.linspace(2, 5, 1), eye: k.eye(3), eyeRect: k.eye(3, 5, { k: 1 }), eyeNeg: k.eye(4, 2, { k: -1, dtype: 'i32' }),
        full: k.full([2, 2], 3.5), fullB: k.full([3], true), zl: k.zerosLike(x), ol: k.onesLike(x), fl: k.fullLike(x, -2),
        use: x.add(k.eye(3, 4)).mul(k.arange(4)).sub(k.linspace(0, 1, 3).reshape([3, 1])),
      }),
      [x],
    );
    expect(cpu.lin.toArray()).toEqual(k.linspace(-1, 1, 7).toArray());
  });
});
