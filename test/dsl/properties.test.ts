// Property tests (fast-check) of the user-facing ops against the naive references in
// test/helpers/naive.ts: broadcasting binary ops, reductions, reshape/transpose round trips and
// Python slicing. Values are small integers, so f32 results are exact.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as k from 'kiln';
import * as naive from '../helpers/naive.ts';

const RUNS = { numRuns: 80 };
const tensor = (a: naive.Arr) => k.array(new Float32Array(a.values), { shape: a.shape });
/** Shape and flat values of a tensor, for exact comparison with a naive result. */
const flat = (t: k.Tensor): naive.Arr => ({ shape: [...t.shape], values: Array.from(t.data()) });

describe('broadcasting binary ops match nested loops', () => {
  const ops: [string, (a: k.Tensor, b: k.Tensor) => k.Tensor, (x: number, y: number) => number][] = [
    ['add', k.add, (x, y) => x + y],
    ['mul', k.mul, (x, y) => x * y],
    ['maximum', k.maximum, (x, y) => Math.max(x, y)],
    ['sub', k.sub, (x, y) => x - y],
  ];
  for (const [name, op, ref] of ops) {
    it(name, () => {
      fc.assert(
        fc.property(
          naive.broadcastPairArb.chain(([sa, sb]) => fc.tuple(naive.arrOf(sa), naive.arrOf(sb))),
          ([a, b]) => {
            expect(flat(op(tensor(a), tensor(b)))).toEqual(naive.binary(a, b, ref));
          },
        ),
        RUNS,
      );
    });
  }

  it('shapes that do not broadcast are rejected exactly when the naive rule says so', () => {
    fc.assert(
      fc.property(naive.shapeArb(3, 3), naive.shapeArb(3, 3), (sa, sb) => {
        const want = naive.broadcastShape(sa, sb);
        if (want) expect(k.add(k.zeros(sa), k.zeros(sb)).shape).toEqual(want);
        else expect(() => k.add(k.zeros(sa), k.zeros(sb))).toThrow(k.ShapeError);
      }),
      RUNS,
    );
  });
});

describe('reductions match nested loops', () => {
  /** An array with an optional list of distinct axes (possibly negative) and keepdims. */
  const reduceCase = naive.arrArb(4, 4).chain((a) => {
    const r = a.shape.length;
    const axes =
      r === 0
        ? fc.constant(undefined)
        : fc.option(
            fc.uniqueArray(fc.integer({ min: 0, max: r - 1 }), { minLength: 1, maxLength: r }).chain((ax) =>
              fc.tuple(...ax.map((x) => fc.constantFrom(x, x - r))),
            ),
            { nil: undefined },
          );
    return fc.tuple(fc.constant(a), axes, fc.boolean());
  });

  const cases: [string, (t: k.Tensor, o: k.ReduceOpts) => k.Tensor, number, (acc: number, x: number) => number][] = [
    ['sum', k.sum, 0, (acc, x) => acc + x],
    ['max', k.max, -Infinity, (acc, x) => Math.max(acc, x)],
    ['min', k.min, Infinity, (acc, x) => Math.min(acc, x)],
  ];
  for (const [name, op, init, step] of cases) {
    it(name, () => {
      fc.assert(
        fc.property(reduceCase, ([a, axes, keepdims]) => {
          const got = op(tensor(a), { axis: axes, keepdims });
          expect(flat(got)).toEqual(naive.reduce(a, axes, keepdims, init, step));
        }),
        RUNS,
      );
    });
  }

  it('mean', () => {
    fc.assert(
      fc.property(reduceCase, ([a, axes, keepdims]) => {
        const s = naive.reduce(a, axes, keepdims, 0, (acc, x) => acc + x);
        const count = a.values.length / Math.max(1, s.values.length);
        const got = k.mean(tensor(a), { axis: axes, keepdims });
        expect(got.shape).toEqual(s.shape);
        expect(got).toBeAllclose(naive.nest(s.values.map((v) => v / count), s.shape), { rtol: 1e-6, atol: 1e-6 });
      }),
      RUNS,
    );
  });
});

describe('reshape and transpose', () => {
  it('reshape to any factorisation and back is the identity; row-major order is kept', () => {
    const arb = naive.arrArb(4, 4).chain((a) => {
      const n = a.values.length;
      const divisors = Array.from({ length: n }, (_, i) => i + 1).filter((d) => n % d === 0);
      return fc.tuple(fc.constant(a), fc.constantFrom(...divisors), fc.boolean());
    });
    fc.assert(
      fc.property(arb, ([a, d, useInfer]) => {
        const n = a.values.length;
        const t = tensor(a);
        const r = t.reshape(useInfer ? [d, -1] : [d, n / d]);
        expect(r.shape).toEqual([d, n / d]);
        expect(Array.from(r.data())).toEqual(a.values);
        expect(flat(r.reshape(a.shape))).toEqual(a);
      }),
      RUNS,
    );
  });

  it('transpose by a random permutation matches the naive transpose; the inverse undoes it', () => {
    const arb = naive.arrArb(4, 4).chain((a) =>
      fc.tuple(fc.constant(a), fc.shuffledSubarray(naive.range(a.shape.length), { minLength: a.shape.length })),
    );
    fc.assert(
      fc.property(arb, ([a, perm]) => {
        const t = k.transpose(tensor(a), perm);
        expect(flat(t)).toEqual(naive.transpose(a, perm));
        const inv = new Array<number>(perm.length);
        perm.forEach((p, i) => (inv[p] = i));
        expect(flat(k.transpose(t, inv))).toEqual(a);
      }),
      RUNS,
    );
  });

  it('the default transpose reverses the axes and is its own inverse', () => {
    fc.assert(
      fc.property(naive.arrArb(4, 3), (a) => {
        const rev = naive.range(a.shape.length).reverse();
        expect(flat(tensor(a).T)).toEqual(naive.transpose(a, rev));
        expect(flat(tensor(a).T.T)).toEqual(a);
      }),
      RUNS,
    );
  });
});

describe('slicing matches Python slices', () => {
  const bound = fc.option(fc.integer({ min: -9, max: 9 }), { nil: null });
  const step = fc.option(fc.integer({ min: -4, max: 4 }).filter((s) => s !== 0), { nil: null });
  const spec = fc.tuple(bound, bound, step);

  it('one axis: [start, stop, step]', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 7 }), spec, (n, [a, b, s]) => {
        const got = k.arange(n).slice([a, b, s]).toArray();
        expect(got).toEqual(naive.pySliceIndices(n, a, b, s));
      }),
      { numRuns: 200 },
    );
  });

  it('every axis of a random array', () => {
    const arb = naive.arrArb(3, 5).chain((a) => fc.tuple(fc.constant(a), fc.tuple(...a.shape.map(() => spec))));
    fc.assert(
      fc.property(arb, ([a, specs]) => {
        const got = tensor(a).slice(...specs);
        const sels = specs.map(([x, y, s], i) => naive.pySliceIndices(a.shape[i]!, x, y, s));
        expect(flat(got)).toEqual(naive.select(a, sels));
      }),
      RUNS,
    );
  });

  it('at().set with positive-step slices writes exactly the selected elements', () => {
    const pos = fc.tuple(bound, bound, fc.option(fc.integer({ min: 1, max: 3 }), { nil: null }));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 8 }), pos, (n, [a, b, s]) => {
        const sel = naive.pySliceIndices(n, a, b, s);
        const want = naive.range(n).map((i) => (sel.includes(i) ? 100 + sel.indexOf(i) : i));
        const vals = k.array(sel.map((_, j) => 100 + j), { dtype: 'i32' });
        expect(k.arange(n).at([a, b, s]).set(vals).toArray()).toEqual(want);
      }),
      RUNS,
    );
  });

  it('at().set with any slice writes exactly the selected elements', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 8 }), spec, (n, [a, b, s]) => {
        const sel = naive.pySliceIndices(n, a, b, s);
        const want = naive.range(n).map((i) => (sel.includes(i) ? 100 + sel.indexOf(i) : i));
        const vals = k.array(sel.map((_, j) => 100 + j), { dtype: 'i32' });
        expect(k.arange(n).at([a, b, s]).set(vals).toArray()).toEqual(want);
      }),
      RUNS,
    );
  });
});
