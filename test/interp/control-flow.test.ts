// cond, while_loop and scan in the interpreter: results against closed forms, purity (no result
// aliases a caller's buffer), and errors from inside regions.
import { describe, expect, it } from 'vitest';
import { FuncBuilder as B } from '../helpers/func-builder.ts';
import type { DType } from '../../compiler/ir/dtype.ts';
import { ShapeError } from '../../compiler/ir/errors.ts';
import { aval, makeEqn, Var, type Func } from '../../compiler/ir/ir.ts';
import { parseFunc } from '../../compiler/ir/parse.ts';
import { Primitive as P, type PrimitiveParams } from '../../compiler/ir/primitives.ts';
import { verifyFunc } from '../../compiler/ir/verify.ts';
import { evalFunc, evalPrimitive, hostTensor, type HostTensor } from '../../runtime/interp/index.ts';

type Ty = [number[], DType];


function fn(name: string, ins: Ty[], body: (b: B, ...args: Var[]) => Var[]): Func {
  const b = new B();
  const args = ins.map(([s, d]) => b.arg(s, d));
  const f: Func = { name, inputs: b.inputs, eqns: b.eqns, outputs: body(b, ...args) };
  verifyFunc(f);
  return f;
}

const f32 = (...shape: number[]): Ty => [shape, 'f32'];
const f64 = (...shape: number[]): Ty => [shape, 'f64'];
const i32 = (...shape: number[]): Ty => [shape, 'i32'];
const NONE = {};
const vals = (t: HostTensor) => Array.from(t.data);
const t64 = (shape: number[], v: number[]) => hostTensor(shape, 'f64', v);
const int = (x: number) => hostTensor([], 'i32', [x]);

describe('cond', () => {
  const branches = [
    fn('neg', [f64(3)], (b, x) => [b.op(P.Neg, NONE, [x!])]),
    fn('id', [f64(3)], (_, x) => [x!]),
    fn('square', [f64(3)], (b, x) => [b.op(P.Mul, NONE, [x!, x!])]),
  ];
  const x = t64([3], [1, -2, 3]);
  const run = (k: number) => evalPrimitive(P.Cond, { branches }, [int(k), x])[0]!;

  it('runs the branch the index picks', () => {
    expect(vals(run(0))).toEqual([-1, 2, -3]);
    expect(vals(run(1))).toEqual([1, -2, 3]);
    expect(vals(run(2))).toEqual([1, 4, 9]);
  });

  it('clamps the index into [0, n-1]', () => {
    expect(vals(run(-1))).toEqual([-1, 2, -3]);
    expect(vals(run(-(2 ** 31)))).toEqual([-1, 2, -3]);
    expect(vals(run(3))).toEqual([1, 4, 9]);
    expect(vals(run(2 ** 31 - 1))).toEqual([1, 4, 9]);
  });

  it('returns a fresh buffer when the branch passes its operand through', () => {
    const r = run(1);
    expect(r.data).not.toBe(x.data);
    expect(r.data.buffer).not.toBe(x.data.buffer);
    (r.data as Float64Array)[0] = 99;
    expect(vals(x)).toEqual([1, -2, 3]);
  });

  it('handles several results, one branch, and no operands', () => {
    const two = fn('two', [f64(3)], (b, v) => [v!, b.op(P.ReduceSum, { axes: [0] }, [v!]), v!]);
    const [a, s, c] = evalPrimitive(P.Cond, { branches: [two] }, [int(5), x]);
    expect(vals(a!)).toEqual([1, -2, 3]);
    expect(vals(s!)).toEqual([2]);
    expect(a!.data).not.toBe(c!.data); // two results never share a buffer either
    const konst = fn('k', [], (b) => [b.scalar(7, 'i32')]);
    expect(vals(evalPrimitive(P.Cond, { branches: [konst, konst] }, [int(1)])[0]!)).toEqual([7]);
  });
});

describe('while_loop', () => {
  /** The first power of 2 that is >= limit: v = 1; while (v < limit) v *= 2. */
  function pow2(): Func {
    return fn('pow2', [i32(), i32()], (b, limit, start) => {
      const cond = fn('below', [i32(), i32()], (r, l, v) => [r.op(P.Lt, NONE, [v!, l!])]);
      const body = fn('double', [i32(), i32()], (r, t, v) => [r.op(P.Mul, NONE, [v!, t!])]);
      const two = b.scalar(2, 'i32');
      return b.ops(P.WhileLoop, { cond, body, condConsts: 1, bodyConsts: 1 }, [limit!, two, start!]);
    });
  }

  it('computes the first power of 2 >= 1000', () => {
    const [r] = evalFunc(pow2(), [int(1000), int(1)]);
    expect(r!.aval).toEqual(aval([], 'i32'));
    expect(vals(r!)).toEqual([1024]);
  });

  it('agrees with the closed form 2^ceil(log2 n)', () => {
    for (const n of [1, 2, 3, 5, 64, 65, 1000, 1024, 1025, 123456]) {
      const [r] = evalFunc(pow2(), [int(n), int(1)]);
      expect(vals(r!), `n=${n}`).toEqual([2 ** Math.ceil(Math.log2(n))]);
    }
  });

  it('runs the body zero times when the cond is false at once, returning a fresh copy', () => {
    const start = int(4096);
    const [r] = evalFunc(pow2(), [int(1000), start]);
    expect(vals(r!)).toEqual([4096]);
    expect(r!.data).not.toBe(start.data); // evalFunc hands back the while_loop result, a fresh tensor
  });

  it('carries several values: Fibonacci pairs and a counter', () => {
    // (i, a, b) -> (i + 1, b, a + b) while i < n.
    const f = fn('fib', [i32()], (b, n) => {
      const cond = fn('c', [i32(), i32(), f64(), f64()], (r, nn, i) => [r.op(P.Lt, NONE, [i!, nn!])]);
      const body = fn('s', [i32(), f64(), f64()], (r, i, a, c) => [r.op(P.Add, NONE, [i!, r.scalar(1, 'i32')]), c!, r.op(P.Add, NONE, [a!, c!])]);
      return b.ops(P.WhileLoop, { cond, body, condConsts: 1, bodyConsts: 0 }, [n!, b.scalar(0, 'i32'), b.scalar(0, 'f64'), b.scalar(1, 'f64')]);
    });
    const [i, a] = evalFunc(f, [int(30)]);
    expect(vals(i!)).toEqual([30]);
    expect(vals(a!)).toEqual([832040]);
  });

  it('never hands back or mutates the caller\u2019s buffers when the body passes values through', () => {
    // body: (x, y) -> (y, x): swaps the carries each time; runs 3 times.
    const f: PrimitiveParams[P.WhileLoop] = {
      cond: fn('c', [i32(), f64(2), f64(2)], (r, i) => [r.op(P.Lt, NONE, [i!, r.scalar(3, 'i32')])]),
      body: fn('swap', [i32(), f64(2), f64(2)], (r, i, x, y) => [r.op(P.Add, NONE, [i!, r.scalar(1, 'i32')]), y!, x!]),
      condConsts: 0,
      bodyConsts: 0,
    };
    const x = t64([2], [1, 2]), y = t64([2], [3, 4]);
    const [, a, b] = evalPrimitive(P.WhileLoop, f, [int(0), x, y]);
    expect(vals(a!)).toEqual([3, 4]);
    expect(vals(b!)).toEqual([1, 2]);
    for (const r of [a!, b!]) for (const t of [x, y]) expect(r.data.buffer).not.toBe(t.data.buffer);
    (a!.data as Float64Array).fill(0);
    (b!.data as Float64Array).fill(0);
    expect(vals(x)).toEqual([1, 2]);
    expect(vals(y)).toEqual([3, 4]);
  });
});

describe('scan', () => {
  /** Cumulative sums of xs (f64[n]) from init: carry c, y = c + x. */
  const cumsum = (n: number, reverse: boolean): PrimitiveParams[P.Scan] => ({
    body: fn('acc', [f64(), f64()], (b, c, x) => {
      const s = b.op(P.Add, NONE, [c!, x!]);
      return [s, s];
    }),
    length: n,
    reverse,
    numConsts: 0,
    numCarry: 1,
  });

  it('computes cumulative sums', () => {
    const xs = [1, 2, 3, 4, 5];
    const [c, ys] = evalPrimitive(P.Scan, cumsum(5, false), [t64([], [0]), t64([5], xs)]);
    expect(c!.aval).toEqual(aval([], 'f64'));
    expect(vals(c!)).toEqual([15]);
    expect(ys!.aval).toEqual(aval([5], 'f64'));
    expect(vals(ys!)).toEqual(xs.map((_, i) => ((i + 1) * (i + 2)) / 2));
    // agrees with the cumsum primitive
    expect(vals(ys!)).toEqual(vals(evalPrimitive(P.Cumsum, { axis: 0, reverse: false }, [t64([5], xs)])[0]!));
  });

  it('computes suffix sums in reverse, y slice i at position i', () => {
    const xs = [1, 2, 3, 4, 5];
    const [c, ys] = evalPrimitive(P.Scan, cumsum(5, true), [t64([], [100]), t64([5], xs)]);
    expect(vals(c!)).toEqual([115]);
    expect(vals(ys!)).toEqual([115, 114, 112, 109, 105]);
    const suffix = vals(evalPrimitive(P.Cumsum, { axis: 0, reverse: true }, [t64([5], xs)])[0]!);
    expect(vals(ys!)).toEqual(suffix.map((s) => s + 100));
  });

  it('records the iteration order (reverse visits the last slice first)', () => {
    // carry = step counter; y = the counter at the time slice i is visited.
    const body = fn('order', [i32(), i32()], (b, k) => [b.op(P.Add, NONE, [k!, b.scalar(1, 'i32')]), k!]);
    const xs = hostTensor([4], 'i32', [0, 0, 0, 0]);
    const fwd = evalPrimitive(P.Scan, { body, length: 4, reverse: false, numConsts: 0, numCarry: 1 }, [int(0), xs]);
    const rev = evalPrimitive(P.Scan, { body, length: 4, reverse: true, numConsts: 0, numCarry: 1 }, [int(0), xs]);
    expect(vals(fwd[1]!)).toEqual([0, 1, 2, 3]);
    expect(vals(rev[1]!)).toEqual([3, 2, 1, 0]);
  });

  it('slices several xs of any rank along axis 0 and stacks several ys', () => {
    // consts: s (f64[]); carry: none; xs: a f64[3,2,2], m i32[3]; ys: a * s (f64[2,2]), m + 1.
    const body = fn('multi', [f64(), f64(2, 2), i32()], (b, s, a, m) => [
      b.op(P.Mul, NONE, [a!, b.op(P.BroadcastInDim, { shape: [2, 2], dims: [] }, [s!])]),
      b.op(P.Add, NONE, [m!, b.scalar(1, 'i32')]),
    ]);
    const a = t64([3, 2, 2], [...Array(12).keys()]);
    const m = hostTensor([3], 'i32', [10, 20, 30]);
    const [ya, ym] = evalPrimitive(P.Scan, { body, length: 3, reverse: false, numConsts: 1, numCarry: 0 }, [t64([], [2]), a, m]);
    expect(ya!.aval).toEqual(aval([3, 2, 2], 'f64'));
    expect(vals(ya!)).toEqual([...Array(12).keys()].map((v) => 2 * v));
    expect(ym!.aval).toEqual(aval([3], 'i32'));
    expect(vals(ym!)).toEqual([11, 21, 31]);
  });

  it('a vanilla RNN h = tanh(W h + x) matches a hand-unrolled loop exactly', () => {
    const T = 7, H = 4;
    const step = (b: B, w: Var, h: Var, x: Var): Var => {
      const wh = b.op(P.DotGeneral, { lhsContract: [1], rhsContract: [0], lhsBatch: [], rhsBatch: [] }, [w, h]);
      return b.op(P.Tanh, NONE, [b.op(P.Add, NONE, [wh, x])]);
    };
    const body = fn('cell', [f32(H, H), f32(H), f32(H)], (b, w, h, x) => {
      const h2 = step(b, w!, h!, x!);
      return [h2, h2];
    });
    const scanned = fn('rnn', [f32(H, H), f32(H), f32(T, H)], (b, w, h, xs) =>
      b.ops(P.Scan, { body, length: T, reverse: false, numConsts: 1, numCarry: 1 }, [w!, h!, xs!]),
    );
    const unrolled = fn('rnn_unrolled', [f32(H, H), f32(H), f32(T, H)], (b, w, h0, xs) => {
      let h = h0!;
      const hs: Var[] = [];
      for (let t = 0; t < T; t++) {
        const xt = b.op(P.Reshape, { shape: [H] }, [b.op(P.Slice, { start: [t, 0], limit: [t + 1, H], strides: [1, 1] }, [xs!])]);
        h = step(b, w!, h, xt);
        hs.push(b.op(P.Reshape, { shape: [1, H] }, [h]));
      }
      return [h, b.op(P.Concatenate, { axis: 0 }, hs)];
    });
    const rnd = (n: number, seed: number) => Array.from({ length: n }, (_, i) => Math.sin(seed * 1000 + i * 12.9898) * 0.8);
    const ins = [hostTensor([H, H], 'f32', rnd(H * H, 1)), hostTensor([H], 'f32', rnd(H, 2)), hostTensor([T, H], 'f32', rnd(T * H, 3))];
    const [h, ys] = evalFunc(scanned, ins);
    const [hu, ysu] = evalFunc(unrolled, ins);
    expect(ys!.aval).toEqual(aval([T, H], 'f32'));
    expect(vals(h!)).toEqual(vals(hu!));
    expect(vals(ys!)).toEqual(vals(ysu!));
    expect(vals(ys!).slice(-H)).toEqual(vals(h!));
    expect(vals(h!).every((v) => Math.abs(v) < 1)).toBe(true);
  });

  it('with length 0 returns the initial carry (a fresh copy) and empty ys', () => {
    const init = t64([], [42]);
    const xs = t64([0, 3], []);
    const body = fn('b', [f64(), f64(3)], (b, c, x) => [c!, x!]);
    const [c, ys] = evalPrimitive(P.Scan, { body, length: 0, reverse: false, numConsts: 0, numCarry: 1 }, [init, xs]);
    expect(vals(c!)).toEqual([42]);
    expect(c!.data.buffer).not.toBe(init.data.buffer);
    expect(ys!.aval).toEqual(aval([0, 3], 'f64'));
    expect(ys!.data.length).toBe(0);
    const rev = evalPrimitive(P.Scan, { body, length: 0, reverse: true, numConsts: 0, numCarry: 1 }, [init, xs]);
    expect(vals(rev[0]!)).toEqual([42]);
  });

  it('never returns a view of xs or the caller\u2019s carry', () => {
    // The carry becomes the current x slice; the const is passed through as a y.
    const body = fn('grab', [f64(2), f64(2), f64(2)], (_, k, c, x) => [x!, k!]);
    const k = t64([2], [7, 8]), c0 = t64([2], [0, 0]), xs = t64([3, 2], [1, 2, 3, 4, 5, 6]);
    const [c, ys] = evalPrimitive(P.Scan, { body, length: 3, reverse: true, numConsts: 1, numCarry: 1 }, [k, c0, xs]);
    expect(vals(c!)).toEqual([1, 2]);
    expect(vals(ys!)).toEqual([7, 8, 7, 8, 7, 8]);
    for (const t of [k, c0, xs]) expect(c!.data.buffer).not.toBe(t.data.buffer);
    (c!.data as Float64Array).fill(-1);
    expect(vals(xs)).toEqual([1, 2, 3, 4, 5, 6]);
  });
});

describe('regions in parsed programs', () => {
  it('evaluates a scan inside a cond branch inside a while body', () => {
    // while i < n: c = cond(i, c, xs) with branch 0 = c + sum over rows of xs (a scan),
    // branch 1 (any i >= 1, clamped) = c * 2.
    const f = parseFunc(`func @nested(%n: i32[], %xs: f64[3,2], %i: i32[], %c: f64[2]) -> (i32[], f64[2]) {
  %r, %out = while_loop %n, %xs, %i, %c {condConsts=1, bodyConsts=1,
    cond=func @cond(%n: i32[], %i: i32[], %c: f64[2]) -> (bool[]) {
      %p = lt %i, %n : bool[]
      return %p
    },
    body=func @body(%xs: f64[3,2], %i: i32[], %c: f64[2]) -> (i32[], f64[2]) {
      %one = constant {shape=[], dtype=i32, data=[1]} : i32[]
      %c2 = cond %i, %c, %xs {branches=[
        func @sum_rows(%c: f64[2], %xs: f64[3,2]) -> (f64[2]) {
          %last, %ys = scan %c, %xs {length=3, reverse=false, numConsts=0, numCarry=1,
            body=func @acc(%c: f64[2], %x: f64[2]) -> (f64[2], f64[2]) {
              %s = add %c, %x : f64[2]
              return %s, %s
            }} : f64[2], f64[3,2]
          return %last
        },
        func @double(%c: f64[2], %xs: f64[3,2]) -> (f64[2]) {
          %d = add %c, %c : f64[2]
          return %d
        }]} : f64[2]
      %i2 = add %i, %one : i32[]
      return %i2, %c2
    }} : i32[], f64[2]
  return %r, %out
}`);
    const [r, out] = evalFunc(f, [int(4), t64([3, 2], [1, 2, 3, 4, 5, 6]), int(0), t64([2], [0, 1])]);
    expect(vals(r!)).toEqual([4]);
    // i=0: c = [0,1] + [9,12] = [9,13]; i=1,2,3: doubled three times.
    expect(vals(out!)).toEqual([72, 104]);
  });

  it('reports a shape error inside a region with the region equation\u2019s location', () => {
    // The body is well-typed, but evalPrimitive is given operands that do not fit its signature.
    const body = fn('b', [f64(2)], (b, c) => [b.op(P.Neg, NONE, [c!], { file: 'inner.ts', line: 3, col: 4 })]);
    const cond = fn('c', [f64(3)], (b) => [b.scalar(0, 'bool')]);
    expect(() => evalPrimitive(P.WhileLoop, { cond, body, condConsts: 0, bodyConsts: 0 }, [t64([3], [1, 2, 3])])).toThrow(ShapeError);
    expect(() => evalPrimitive(P.WhileLoop, { cond, body, condConsts: 0, bodyConsts: 0 }, [t64([3], [1, 2, 3])])).toThrow(
      /body @b takes \(f64\[2\]\), but is given \(f64\[3\]\)/,
    );
    // A region whose inner equation fails at run time names the inner location.
    const x = new Var(aval([2], 'f64')), y = new Var(aval([3], 'f64')), z = new Var(aval([2], 'f64'));
    const broken: Func = { name: 'broken', inputs: [x, y], eqns: [makeEqn(P.Add, {}, [x, y], [z], { file: 'inner.ts', line: 8, col: 1 })], outputs: [z] };
    const run = () => evalPrimitive(P.Cond, { branches: [broken] }, [int(0), t64([2], [0, 0]), t64([3], [0, 0, 0])]);
    expect(run).toThrow(ShapeError);
    expect(run).toThrow(/inner\.ts:8:1/);
  });
});
