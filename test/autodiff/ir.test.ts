// The differentiated IR itself: what reverse mode emits for small programs (inline snapshots,
// checked by eye), that it verifies, that its size is linear in the program's (a chain of n
// matmuls), and that the gradient of a matmul never materialises an M x K x N intermediate.
import { describe, expect, it } from 'vitest';
import * as k from 'kiln';
import type { Func } from '../../compiler/ir/ir.ts';
import { gradFunc, vjpFunc } from '../../compiler/autodiff/vjp.ts';
import { jvpFunc } from '../../compiler/autodiff/jvp.ts';
import { irText } from '../helpers/ir.ts';

type T = k.Tensor;

/** Every equation of fn, regions included. */
function allEqns(fn: Func): Func['eqns'][number][] {
  return fn.eqns.flatMap((e) => {
    const subs = Object.values(e.params as Record<string, unknown>)
      .flatMap((v) => (Array.isArray(v) ? v : [v]))
      .filter((s): s is Func => !!s && typeof s === 'object' && 'eqns' in s);
    return [e, ...subs.flatMap(allEqns)];
  });
}
const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

describe('snapshots of differentiated IR', () => {
  it('grad of sum(sin(x) * x), traced by makeIR', () => {
    const f = (x: T) => k.sum(k.mul(k.sin(x), x));
    const ir = k.makeIR(k.grad(f))(k.shapeDtype([3]));
    k.verifyIR(ir.func);
    expect(irText(ir)).toMatchInlineSnapshot(`
      "func @main(%0: f32[3]) -> (f32[3]) {
        %1 = sin %0 : f32[3]  loc("test/autodiff/ir.test.ts":L:C)
        %2 = cos %0 : f32[3]  loc("test/autodiff/ir.test.ts":L:C)
        %3 = mul %1, %0 : f32[3]  loc("test/autodiff/ir.test.ts":L:C)
        %4 = reduce_sum %3 {axes=[0]} : f32[]  loc("test/autodiff/ir.test.ts":L:C)
        %5 = constant {shape=[], dtype=f32, data=[1]} : f32[]  loc("test/autodiff/ir.test.ts":L:C)
        %6 = broadcast_in_dim %5 {shape=[3], dims=[]} : f32[3]  loc("test/autodiff/ir.test.ts":L:C)
        %7 = mul %6, %1 : f32[3]  loc("test/autodiff/ir.test.ts":L:C)
        %8 = mul %6, %0 : f32[3]  loc("test/autodiff/ir.test.ts":L:C)
        %9 = mul %8, %2 : f32[3]  loc("test/autodiff/ir.test.ts":L:C)
        %10 = add %7, %9 : f32[3]  loc("test/autodiff/ir.test.ts":L:C)
        return %10
      }
      "
    `);
  });

  it('grad of sum(relu(x @ w + b)) w.r.t. w and b, by gradFunc on the traced function', () => {
    const f = (w: T, b: T, x: T) => k.sum(k.relu(k.add(k.matmul(x, w), b)));
    const fn = k.makeIR(f)(k.shapeDtype([3, 2]), k.shapeDtype([2]), k.shapeDtype([4, 3])).func;
    const g = gradFunc(fn, [true, true, false]);
    k.verifyIR(g);
    expect(irText(k.printIR(g))).toMatchInlineSnapshot(`
      "func @grad_f(%0: f32[3,2], %1: f32[2], %2: f32[4,3]) -> (f32[], f32[3,2], f32[2]) {
        %3 = dot_general %2, %0 {lhsContract=[1], rhsContract=[0], lhsBatch=[], rhsBatch=[]} : f32[4,2]  loc("test/autodiff/ir.test.ts":L:C)
        %4 = broadcast_in_dim %1 {shape=[4,2], dims=[1]} : f32[4,2]  loc("test/autodiff/ir.test.ts":L:C)
        %5 = add %3, %4 : f32[4,2]  loc("test/autodiff/ir.test.ts":L:C)
        %6 = constant {shape=[], dtype=f32, data=[0]} : f32[]  loc("test/autodiff/ir.test.ts":L:C)
        %7 = broadcast_in_dim %6 {shape=[4,2], dims=[]} : f32[4,2]  loc("test/autodiff/ir.test.ts":L:C)
        %8 = max %5, %7 : f32[4,2]  loc("test/autodiff/ir.test.ts":L:C)
        %9 = constant {shape=[], dtype=f32, data=[0]} : f32[]  loc("test/autodiff/ir.test.ts":L:C)
        %10 = broadcast_in_dim %9 {shape=[4,2], dims=[]} : f32[4,2]  loc("test/autodiff/ir.test.ts":L:C)
        %11 = gt %5, %10 : bool[4,2]  loc("test/autodiff/ir.test.ts":L:C)
        %12 = reduce_sum %8 {axes=[0,1]} : f32[]  loc("test/autodiff/ir.test.ts":L:C)
        %13 = constant {shape=[], dtype=f32, data=[1]} : f32[]
        %14 = broadcast_in_dim %13 {shape=[4,2], dims=[]} : f32[4,2]  loc("test/autodiff/ir.test.ts":L:C)
        %15 = constant {shape=[], dtype=f32, data=[0]} : f32[]  loc("test/autodiff/ir.test.ts":L:C)
        %16 = broadcast_in_dim %15 {shape=[4,2], dims=[]} : f32[4,2]  loc("test/autodiff/ir.test.ts":L:C)
        %17 = select %11, %14, %16 : f32[4,2]  loc("test/autodiff/ir.test.ts":L:C)
        %18 = reduce_sum %17 {axes=[0]} : f32[2]  loc("test/autodiff/ir.test.ts":L:C)
        %19 = dot_general %17, %2 {lhsContract=[0], rhsContract=[0], lhsBatch=[], rhsBatch=[]} : f32[2,3]  loc("test/autodiff/ir.test.ts":L:C)
        %20 = transpose %19 {perm=[1,0]} : f32[3,2]  loc("test/autodiff/ir.test.ts":L:C)
        return %12, %20, %18
      }
      "
    `);
  });

  it('the jvp of tanh, as jvpFunc emits it', () => {
    const fn = k.makeIR((x: T) => k.tanh(x))(k.shapeDtype([2], 'f64')).func;
    const j = jvpFunc(fn);
    k.verifyIR(j);
    expect(irText(k.printIR(j))).toMatchInlineSnapshot(`
      "func @jvp_main(%0: f64[2], %1: f64[2]) -> (f64[2], f64[2]) {
        %2 = tanh %0 : f64[2]  loc("test/autodiff/ir.test.ts":L:C)
        %3 = constant {shape=[], dtype=f64, data=[1]} : f64[]  loc("test/autodiff/ir.test.ts":L:C)
        %4 = broadcast_in_dim %3 {shape=[2], dims=[]} : f64[2]  loc("test/autodiff/ir.test.ts":L:C)
        %5 = mul %2, %2 : f64[2]  loc("test/autodiff/ir.test.ts":L:C)
        %6 = sub %4, %5 : f64[2]  loc("test/autodiff/ir.test.ts":L:C)
        %7 = mul %1, %6 : f64[2]  loc("test/autodiff/ir.test.ts":L:C)
        return %2, %7
      }
      "
    `);
  });
});

describe('the differentiated IR verifies', () => {
  const programs: [string, (...xs: T[]) => T, k.ShapeDtype[]][] = [
    ['softmax cross-entropy', (z: T, y: T) => k.sum(k.mul(y, k.sub(k.logsumexp(z, { axis: 1, keepdims: true }), z))), [k.shapeDtype([4, 5]), k.shapeDtype([4, 5])]],
    ['gather and scatter', (x: T) => k.sum(k.mul(x.at(k.array([0, 2, 0], { dtype: 'i32' })).add(k.take(x, k.array([1, 1, 0], { dtype: 'i32' }), 0)), x)), [k.shapeDtype([3, 2])]],
    ['sort, cumsum, pad', (x: T) => k.sum(k.mul(k.cumsum(k.sort(x)), k.pad(x, [[1, 2]]).slice([1, null]).sum())), [k.shapeDtype([5])]],
    ['scan', (x: T) => k.sum(k.scan((c: T, xi: T) => [k.sin(k.mul(c, xi)), k.mul(c, xi)] as [T, T], x.slice(0), x)[1]), [k.shapeDtype([4])]],
    ['cond', (x: T) => k.cond(k.greater(k.sum(x), 0), (a: T) => k.sum(k.exp(a)), (a: T) => k.sum(k.mul(a, a)), x), [k.shapeDtype([3])]],
  ];
  for (const [name, f, avals] of programs) {
    it(name, () => {
      const fn = k.makeIR(f)(...avals).func;
      const v = vjpFunc(fn);
      k.verifyIR(v.primal);
      k.verifyIR(v.pullback);
      k.verifyIR(gradFunc(fn));
      k.verifyIR(k.makeIR(k.grad(f))(...avals).func);
    });
  }
});

describe('size of reverse-mode IR', () => {
  /** Equation count of the gradient (w.r.t. every matrix) of sum(x @ W1 @ ... @ Wn). */
  const chainGradSize = (n: number) => {
    const f = (x: T, ...ws: T[]) => k.sum(ws.reduce((h, w) => k.matmul(h, w), x));
    const argnums = Array.from({ length: n }, (_, i) => i + 1);
    const avals: [k.ShapeDtype, ...k.ShapeDtype[]] = [k.shapeDtype([2, 3]), ...Array.from({ length: n }, () => k.shapeDtype([3, 3]))];
    return k.makeIR(k.grad(f, { argnums }))(...avals).func.eqns.length;
  };

  it('a chain of n matmuls gives O(n) equations (exactly linear growth)', () => {
    const [c4, c8, c16] = [chainGradSize(4), chainGradSize(8), chainGradSize(16)];
    const perMatmul = (c8 - c4) / 4;
    expect(perMatmul).toBeGreaterThan(0);
    expect(c16 - c8).toBe(8 * perMatmul);
    // A handful of equations per matmul: forward, two transposed products, a transpose or two.
    expect(perMatmul).toBeLessThanOrEqual(8);
    expect(c16).toBeLessThanOrEqual(16 * perMatmul + 20);
  });

  it('the gradient of a matmul never builds an M x K x N value', () => {
    const [M, K, N] = [5, 6, 7];
    const f = (a: T, b: T) => k.sum(k.tanh(k.matmul(a, b)));
    for (const fn of [
      k.makeIR(k.grad(f, { argnums: [0, 1] }))(k.shapeDtype([M, K]), k.shapeDtype([K, N])).func,
      gradFunc(k.makeIR(f)(k.shapeDtype([M, K]), k.shapeDtype([K, N])).func),
    ]) {
      const biggest = Math.max(...allEqns(fn).flatMap((e) => e.outputs.map((o) => size(o.aval.shape))));
      expect(biggest).toBe(Math.max(M * K, K * N, M * N));
    }
  });

  it('nor does the gradient of a batched matmul build a B x M x K x N value', () => {
    const [B, M, K, N] = [2, 3, 4, 5];
    const f = (a: T, b: T) => k.sum(k.matmul(a, b));
    const fn = k.makeIR(k.grad(f, { argnums: [0, 1] }))(k.shapeDtype([B, M, K]), k.shapeDtype([B, K, N])).func;
    for (const e of allEqns(fn)) {
      for (const o of e.outputs) expect(size(o.aval.shape), `${e.primitive} -> [${o.aval.shape}]`).toBeLessThanOrEqual(B * Math.max(M * K, K * N, M * N));
    }
  });
});
