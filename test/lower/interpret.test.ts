// The loop-IR interpreter on hand-written kernels: scalar semantics, bounds checks, the
// checker's errors, parallel iteration order, MatmulStmt and SortStmt, and the printer.
import { describe, expect, it } from 'vitest';
import { KilnError, VerifyError } from '../../compiler/ir/errors.ts';
import { Primitive } from '../../compiler/ir/primitives.ts';
import { runLoopKernel, runLoweredKernel } from '../../compiler/lower/interpret.ts';
import type { Expr, KernelParam, LoopKernel, ScalarType, Stmt } from '../../compiler/lower/loop-ir.ts';
import { printLoopKernel } from '../../compiler/lower/print.ts';
import { verifyLoopKernel } from '../../compiler/lower/verify.ts';
import { threefry2x32 } from '../../runtime/interp/index.ts';

const c = (t: ScalarType, v: number): Expr => ({ k: 'const', t, v });
const v = (name: string, t: ScalarType = 'index'): Expr => ({ k: 'var', t, name });
const ld = (t: Extract<Expr, { k: 'load' }>['t'], buf: number, idx: Expr): Expr => ({ k: 'load', t, buf, idx });
const bin = (op: Extract<Expr, { k: 'binary' }>['op'], t: ScalarType, a: Expr, b: Expr): Expr => ({ k: 'binary', t, op, a, b });
const loop = (name: string, n: number, body: Stmt[], parallel = false): Stmt => ({ k: 'for', v: name, n: c('index', n), body, ...(parallel ? { parallel } : {}) });
const param = (name: string, dtype: KernelParam['dtype'], size: number, role: KernelParam['role']): KernelParam => ({ name, dtype, size, role });
const kernel = (params: KernelParam[], body: Stmt[]): LoopKernel => ({ name: 'hand', params, body });

/** Evaluates one scalar expression (no loads) by storing it into a 1-element output. */
function scalar(e: Expr, t: KernelParam['dtype']): number {
  const out = runLoweredKernel(kernel([param('o', t, 1, 'out')], [{ k: 'store', buf: 0, idx: c('index', 0), e }]), []);
  return out[0]![0]!;
}

describe('scalar semantics', () => {
  it('f32 rounds every op; f64 does not; f16 / bf16 round to their formats', () => {
    const add = (t: 'f32' | 'f64' | 'f16' | 'bf16') => scalar(bin(Primitive.Add, t, c(t, 0.1), c(t, 0.2)), t);
    expect(add('f32')).toBe(Math.fround(Math.fround(0.1) + Math.fround(0.2)));
    expect(add('f64')).toBe(0.1 + 0.2);
    expect(add('f16')).toBe(1228 * 2 ** -12);
    expect(scalar(bin(Primitive.Mul, 'f16', c('f16', 300), c('f16', 300)), 'f16')).toBe(Infinity);
  });

  it('i32 wraps, divides toward zero with x/0 = 0, idiv / imod floor', () => {
    expect(scalar(bin(Primitive.Add, 'i32', c('i32', 2147483647), c('i32', 1)), 'i32')).toBe(-2147483648);
    expect(scalar(bin(Primitive.Mul, 'i32', c('i32', 65536), c('i32', 65537)), 'i32')).toBe(65536);
    expect(scalar(bin(Primitive.Div, 'i32', c('i32', -7), c('i32', 2)), 'i32')).toBe(-3);
    expect(scalar(bin(Primitive.Div, 'i32', c('i32', 5), c('i32', 0)), 'i32')).toBe(0);
    expect(scalar(bin('idiv', 'i32', c('i32', -7), c('i32', 2)), 'i32')).toBe(-4);
    expect(scalar(bin('imod', 'i32', c('i32', -7), c('i32', 2)), 'i32')).toBe(1);
    expect(scalar({ k: 'cast', t: 'i32', a: bin('idiv', 'index', c('index', -7), c('index', 2)) }, 'i32')).toBe(-4);
    expect(scalar({ k: 'cast', t: 'i32', a: bin('imod', 'index', c('index', -7), c('index', 3)) }, 'i32')).toBe(2);
  });

  it('casts follow convert: saturating float → i32, NaN → 0, x != 0 → bool; index → i32 wraps', () => {
    const cast = (t: 'i32' | 'bool', from: ScalarType, x: number) => scalar({ k: 'cast', t, a: c(from, x) }, t);
    expect(cast('i32', 'f32', 3e9)).toBe(2147483647);
    expect(cast('i32', 'f32', -2.7)).toBe(-2);
    expect(cast('i32', 'f64', NaN)).toBe(0);
    expect(cast('bool', 'f32', NaN)).toBe(1);
    expect(cast('bool', 'i32', 0)).toBe(0);
    expect(cast('i32', 'index', 2 ** 32 + 5)).toBe(5);
    expect(scalar({ k: 'cast', t: 'f32', a: { k: 'cast', t: 'index', a: c('f32', -2.5) } }, 'f32')).toBe(-2);
  });

  it('comparisons with NaN, select, max / min NaN propagation', () => {
    expect(scalar(bin(Primitive.Lt, 'bool', c('f32', NaN), c('f32', 1)), 'bool')).toBe(0);
    expect(scalar(bin(Primitive.Ne, 'bool', c('f32', NaN), c('f32', NaN)), 'bool')).toBe(1);
    expect(scalar(bin(Primitive.Max, 'f32', c('f32', NaN), c('f32', 1)), 'f32')).toBeNaN();
    expect(scalar({ k: 'select', t: 'i32', c: c('bool', 0), a: c('i32', 1), b: c('i32', 2) }, 'i32')).toBe(2);
  });

  it('threefry is the graph interpreter random_bits element', () => {
    const e: Expr = { k: 'threefry', t: 'i32', k0: c('i32', 42), k1: c('i32', -7), ctr: c('index', 12345) };
    expect(scalar(e, 'i32')).toBe(threefry2x32(42, -7, 0, 12345)[0] | 0);
  });
});

describe('checks', () => {
  const out = [param('o', 'f32', 4, 'out')];
  it('bounds-checks loads and stores, and both sides of a select', () => {
    const store = (idx: Expr, e: Expr = c('f32', 1)) => kernel([param('x', 'f32', 4, 'in'), ...out], [loop('i', 4, [{ k: 'store', buf: 1, idx, e }])]);
    expect(() => runLoweredKernel(store(bin(Primitive.Add, 'index', v('i'), c('index', 1))), [new Float32Array(4)])).toThrow(/store at 4 out of bounds/);
    expect(() => runLoweredKernel(store(v('i'), ld('f32', 0, bin(Primitive.Sub, 'index', v('i'), c('index', 1)))), [new Float32Array(4)])).toThrow(/load at -1 out of bounds/);
    const sel: Expr = { k: 'select', t: 'f32', c: c('bool', 1), a: c('f32', 0), b: ld('f32', 0, c('index', 9)) };
    expect(() => runLoweredKernel(store(v('i'), sel), [new Float32Array(4)])).toThrow(KilnError);
  });

  it('rejects ill-formed kernels', () => {
    const bad = (body: Stmt[], params = out) => () => verifyLoopKernel(kernel(params, body));
    expect(bad([{ k: 'store', buf: 0, idx: v('j'), e: c('f32', 0) }])).toThrow(/'j' used outside its scope/);
    expect(bad([{ k: 'store', buf: 0, idx: c('index', 0), e: c('f64', 0) }])).toThrow(/store of f64 into o \(f32\)/);
    expect(bad([{ k: 'store', buf: 0, idx: c('index', 0), e: bin(Primitive.Add, 'f32', c('f32', 1), c('f64', 1)) }])).toThrow(VerifyError);
    expect(bad([{ k: 'store', buf: 0, idx: c('index', 0), e: c('f32', 0) }], [param('x', 'f32', 1, 'in')])).toThrow(/store into input/);
    expect(bad([loop('i', 2, [loop('j', 2, [], true)])])).toThrow(/parallel loop j is nested/);
    expect(bad([loop('i', 2, [loop('i', 2, [])])])).toThrow(/defined again/);
    expect(bad([{ k: 'let', name: 't', e: c('f32', 0) }, { k: 'assign', name: 't', e: c('f32', 1) }])).toThrow(/immutable/);
    expect(bad([{ k: 'store', buf: 0, idx: c('index', 0), e: { k: 'unary', t: 'i32', op: Primitive.Exp, a: c('i32', 1) } }])).toThrow(/exp on i32/);
    expect(() => runLoopKernel(kernel(out, []), [new Float64Array(4)])).toThrow(/does not fit o: f32\[4\]/);
  });
});

describe('statements', () => {
  it('parallel loops run in reverse by default, exposing dependent iterations', () => {
    // o[i] = o[i-1] + 1 is not parallel: forward and reverse orders disagree
    const k = kernel([param('o', 'f32', 4, 'out')], [
      { k: 'store', buf: 0, idx: c('index', 0), e: c('f32', 0) },
      loop('i', 3, [{
        k: 'store', buf: 0, idx: bin(Primitive.Add, 'index', v('i'), c('index', 1)),
        e: bin(Primitive.Add, 'f32', ld('f32', 0, v('i')), c('f32', 1)),
      }], true),
    ]);
    expect(Array.from(runLoweredKernel(k, [], { parallelOrder: 'forward' })[0]!)).toEqual([0, 1, 2, 3]);
    expect(Array.from(runLoweredKernel(k, [], {})[0]!)).not.toEqual([0, 1, 2, 3]);
  });

  it('decl / assign / if', () => {
    const k = kernel([param('o', 'i32', 1, 'out')], [
      { k: 'decl', name: 'acc', t: 'i32', init: c('i32', 0) },
      loop('i', 10, [{
        k: 'if', c: bin(Primitive.Eq, 'bool', bin('imod', 'index', v('i'), c('index', 2)), c('index', 0)),
        then: [{ k: 'assign', name: 'acc', e: bin(Primitive.Add, 'i32', v('acc', 'i32'), { k: 'cast', t: 'i32', a: v('i') }) }],
        else: [],
      }]),
      { k: 'store', buf: 0, idx: c('index', 0), e: v('acc', 'i32') },
    ]);
    expect(runLoweredKernel(k, [])[0]![0]).toBe(0 + 2 + 4 + 6 + 8);
  });

  it('matmul accumulates in the dtype, rounding every step (f32)', () => {
    const big = 2 ** 24;
    // 2^24 + 1 + 1 in f32 stays 2^24 step by step (in double it would be 2^24 + 2)
    const k = kernel([param('a', 'f32', 3, 'in'), param('b', 'f32', 3, 'in'), param('c', 'f32', 1, 'out')], [
      { k: 'matmul', dtype: 'f32', a: 0, b: 1, c: 2, batch: 1, m: 1, n: 1, kdim: 3, aStrides: [0, 0, 1], bStrides: [0, 1, 0] },
    ]);
    expect(runLoweredKernel(k, [new Float32Array([big, 1, 1]), new Float32Array([1, 1, 1])])[0]![0]).toBe(big);
    // strides: C = Aᵀ B with A stored [k, m]
    const t = kernel([param('a', 'f64', 6, 'in'), param('b', 'f64', 6, 'in'), param('c', 'f64', 4, 'out')], [
      { k: 'matmul', dtype: 'f64', a: 0, b: 1, c: 2, batch: 1, m: 2, n: 2, kdim: 3, aStrides: [0, 1, 2], bStrides: [0, 2, 1] },
    ]);
    const A = [1, 2, 3, 4, 5, 6]; // [3, 2]: column i is (A[i], A[2+i], A[4+i])
    const B = [1, 0, 0, 1, 1, 1]; // [3, 2]
    expect(Array.from(runLoweredKernel(t, [new Float64Array(A), new Float64Array(B)])[0]!)).toEqual([1 + 5, 3 + 5, 2 + 6, 4 + 6]);
  });

  it('sort: stable, NaN last, -0 equal to +0, several keys, in place', () => {
    const k = kernel([param('k0', 'f32', 6, 'in'), param('p', 'i32', 6, 'in'), param('o0', 'f32', 6, 'out'), param('o1', 'i32', 6, 'out')], [
      { k: 'sort', inputs: [0, 1], outputs: [2, 3], numKeys: 1, outer: 1, len: 6, inner: 1 },
    ]);
    const [a, b] = runLoweredKernel(k, [new Float32Array([NaN, 0, -0, 1, NaN, -1]), new Int32Array([0, 1, 2, 3, 4, 5])]);
    expect(Array.from(b!)).toEqual([5, 1, 2, 3, 0, 4]);
    expect(Object.is(a![1], 0) && Object.is(a![2], -0)).toBe(true);
    const inPlace = kernel([param('x', 'f32', 6, 'inout')], [{ k: 'sort', inputs: [0], outputs: [0], numKeys: 1, outer: 2, len: 3, inner: 1 }]);
    verifyLoopKernel(inPlace);
    expect(Array.from(runLoweredKernel(inPlace, [new Float32Array([3, 1, 2, 0, -1, 5])])[0]!)).toEqual([1, 2, 3, -1, 0, 5]);
  });
});

describe('printer', () => {
  it('prints every statement kind, C-like, with minimal parentheses', () => {
    const k = kernel([param('x', 'f32', 8, 'in'), param('y', 'f32', 8, 'out'), param('t', 'f32', 4, 'scratch')], [
      loop('i', 2, [
        { k: 'decl', name: 'acc', t: 'f32', init: c('f32', -Infinity) },
        loop('j', 4, [
          { k: 'let', name: 'u', e: ld('f32', 0, bin(Primitive.Add, 'index', bin(Primitive.Mul, 'index', v('i'), c('index', 4)), v('j'))) },
          { k: 'assign', name: 'acc', e: bin(Primitive.Max, 'f32', v('acc', 'f32'), { k: 'unary', t: 'f32', op: Primitive.Neg, a: v('u', 'f32') }) },
        ]),
        { k: 'if', c: bin(Primitive.And, 'bool', bin(Primitive.Gt, 'bool', v('acc', 'f32'), c('f32', 0)), c('bool', 1)), then: [{ k: 'store', buf: 2, idx: v('i'), e: v('acc', 'f32') }], else: [] },
      ], true),
      { k: 'matmul', dtype: 'f32', a: 0, b: 0, c: 1, batch: 1, m: 2, n: 2, kdim: 2, aStrides: [0, 2, 1], bStrides: [0, 2, 1] },
      { k: 'sort', inputs: [1], outputs: [1], numKeys: 1, outer: 1, len: 8, inner: 1 },
      { k: 'store', buf: 1, idx: bin('imod', 'index', bin('idiv', 'index', bin(Primitive.Add, 'index', c('index', 3), c('index', 4)), c('index', 2)), c('index', 3)), e: { k: 'cast', t: 'f32', a: { k: 'select', t: 'i32', c: c('bool', 0), a: c('i32', 1), b: c('i32', -2) } } },
    ]);
    expect(printLoopKernel(k)).toMatchInlineSnapshot(`
      "kernel hand(in f32 x[8], out f32 y[8], scratch f32 t[4]) {
        parallel for (i = 0; i < 2; i++) {
          f32 acc = -inf;
          for (j = 0; j < 4; j++) {
            const f32 u = x[i * 4 + j];
            acc = max(acc, -u);
          }
          if (acc > 0.0f && true) {
            t[i] = acc;
          }
        }
        y = matmul<f32>(x, x, batch=1, m=2, n=2, k=2, a_strides=[0, 2, 1], b_strides=[0, 2, 1]);
        (y) = sort(y, keys=1, outer=1, len=8, inner=1);
        y[(3 + 4) / 2 % 3] = (f32)(false ? 1 : -2);
      }"
    `);
  });
});
