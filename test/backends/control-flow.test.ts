// Differential tests of structured control flow compiled for the CPU (host-run cond / while /
// scan steps around compiled regions) against the interpreter: cond and switchCase with
// captured values, whileLoop with tree carries, forLoop, scan forward and reverse with tree
// xs/ys and captured constants, nesting, and carries that alias (swapped, passed through).
import { describe, it } from 'vitest';
import * as k from '../../index.ts';
import { cpuPresent, diff, rand, rng, useColdCache } from './helpers.ts';

useColdCache();

type T = k.Tensor;

describe.runIf(cpuPresent)('control flow on the CPU equals the interpreter', () => {
  const r = rng(31);

  it('cond and switchCase: both branches, captured values, clamped indices, tree results', () => {
    const x = rand(r, [3, 4]), w = rand(r, [4]);
    const f = (x: T, w: T, p: T, i: T) => ({
      cond: k.cond(p, (a: T) => a.mul(w).sum({ axis: 1 }), (a: T) => a.max({ axis: 1 }).neg(), x),
      condTree: k.cond(p.logicalNot(), (a: T) => ({ s: a.sum(), t: a.T }), (a: T) => ({ s: a.min(), t: a.T.mul(2) }), x),
      sw: k.switchCase<T>(i, [(a: T) => a.add(1), (a: T) => a.mul(w), (a: T) => a.exp()], x),
      swScalar: k.switchCase<T>(i.add(1), [() => k.full([2], 1), () => k.full([2], 2), () => w.slice([0, 2])]),
    });
    for (const [p, i] of [[true, 0], [false, 1], [true, 2], [false, -5], [true, 9]] as const) {
      diff(f, [x, w, k.array(p), k.array(i, { dtype: 'i32' })]);
    }
  });

  it('whileLoop: tree carry, captured constants, a data-dependent trip count, zero trips', () => {
    const x = rand(r, [5], 'f32', 0.1, 1);
    const f = (x: T, limit: T) => {
      const out = k.whileLoop(
        (c: { i: T; v: T; acc: T }) => c.i.less(limit).logicalAnd(c.acc.sum().less(100)),
        (c: { i: T; v: T; acc: T }) => ({ i: c.i.add(1), v: c.v.mul(1.5).add(x), acc: c.acc.add(c.v) }),
        { i: k.array(0, { dtype: 'i32' }), v: x, acc: k.zerosLike(x) },
      );
      return { ...out, doubled: k.whileLoop((v: T) => v.sum().less(limit.astype('f32').mul(10)), (v: T) => v.mul(2), x) };
    };
    for (const limit of [0, 3, 50]) diff(f, [x, k.array(limit, { dtype: 'i32' })]);
  });

  it('whileLoop carries that swap or pass through unchanged keep their values', () => {
    const a = rand(r, [4]), b = rand(r, [4]);
    const f = (a: T, b: T) => {
      const swapped = k.whileLoop(
        (c: [T, T, T]) => c[2].less(5),
        (c: [T, T, T]) => [c[1], c[0].add(c[1]), c[2].add(1)] as [T, T, T],
        [a, b, k.array(0, { dtype: 'i32' })] as [T, T, T],
      );
      const passed = k.whileLoop(
        (c: [T, T, T]) => c[2].less(3),
        (c: [T, T, T]) => [c[0], c[1].add(c[0]), c[2].add(1)] as [T, T, T],
        [a, b, k.array(0, { dtype: 'i32' })] as [T, T, T],
      );
      return { swapped, passed, aAfter: a.add(0), bAfter: b.mul(1) };
    };
    diff(f, [a, b]);
  });

  it('forLoop and scan: forward, reverse, tree xs and ys, captured constants, no xs', () => {
    const xs = rand(r, [6, 3]), ys2 = rand(r, [6], 'i32', -3, 3), w = rand(r, [3, 3]), h0 = rand(r, [3]);
    const f = (xs: T, xi: T, w: T, h0: T) => {
      const fwd = k.scan((h: T, x: { a: T; b: T }) => {
        const h2 = h.matmul(w).add(x.a).tanh().add(x.b.astype('f32'));
        return [h2, { h: h2, s: h2.sum() }] as [T, { h: T; s: T }];
      }, h0, { a: xs, b: xi });
      const rev = k.scan((c: T, x: T) => [c.add(x), c.mul(x)] as [T, T], k.zeros([3]), xs, { reverse: true });
      const noXs = k.scan((c: [T, T], _x: null) => [[c[1], c[0].add(c[1])], c[0]] as [[T, T], T], [k.array(0), k.array(1)] as [T, T], null, { length: 10 });
      const loop = k.forLoop(2, 7, (i: T, c: T) => c.mul(w.slice(0)).add(i.astype('f32')), h0);
      const empty = k.forLoop(3, 3, (i: T, c: T) => c.add(i.astype('f32')), h0);
      return { fwd, rev, noXs, loop, empty };
    };
    diff(f, [xs, ys2, w, h0], { scale: 10 });
  });

  it('nested control flow: scan over a cond, a whileLoop inside a scan, a scan inside cond', () => {
    const xs = rand(r, [5, 4]);
    const f = (xs: T, p: T) => {
      const [c1, y1] = k.scan(
        (c: T, x: T) => {
          const y = k.cond(x.sum().greater(0), (v: T) => v.mul(2), (v: T) => v.neg(), x);
          return [c.add(y), y.max()] as [T, T];
        },
        k.zeros([4]),
        xs,
      );
      const [c2, y2] = k.scan(
        (c: T, x: T) => {
          const v = k.whileLoop((t: T) => t.abs().sum().less(10), (t: T) => t.mul(2).add(0.01), x);
          return [c.add(v.sum()), v] as [T, T];
        },
        k.array(0),
        xs,
      );
      const c3 = k.cond(p, (a: T) => k.scan((c: T, x: T) => [c.mul(x), c] as [T, T], k.ones([4]), a)[0], (a: T) => a.sum({ axis: 0 }), xs);
      return { c1, y1, c2, y2, c3 };
    };
    diff(f, [xs, k.array(true)], { scale: 10 });
    diff(f, [xs, k.array(false)], { scale: 10 });
  });
});
