// The user-facing autodiff API: grad (argnums, hasAux, trees of parameters), valueAndGrad,
// vjp with explicit cotangents, jvp with trees, jacfwd / jacrev / hessian, composition
// (grad of grad, jacfwd of jacrev), stopGradient, and the errors users meet.
import { describe, expect, it } from 'vitest';
import * as k from 'kiln';
import { here } from '../helpers/ir.ts';

type T = k.Tensor;
const f64 = (x: Parameters<typeof k.array>[0]) => k.array(x, { dtype: 'f64' });
const flat = (t: T) => Array.from(t.data(), Number);

describe('grad', () => {
  const f = (x: T, y: T) => k.sum(k.mul(k.sin(x), y));
  const x = f64([0.1, 0.7, -1.3]), y = f64([2, -1, 0.5]);

  it('differentiates w.r.t. the first argument by default', () => {
    expect(k.grad(f)(x, y)).toBeAllclose(flat(x).map((v, i) => Math.cos(v) * flat(y)[i]!));
  });

  it('argnums as a number gives one gradient, as an array a list of them', () => {
    expect(k.grad(f, { argnums: 1 })(x, y)).toBeAllclose(flat(x).map(Math.sin));
    const gs = k.grad(f, { argnums: [1, 0] })(x, y) as T[];
    expect(Array.isArray(gs)).toBe(true);
    expect(gs).toHaveLength(2);
    expect(gs[0]!).toBeAllclose(flat(x).map(Math.sin));
    expect(gs[1]!).toBeAllclose(flat(x).map((v, i) => Math.cos(v) * flat(y)[i]!));
    const one = k.grad(f, { argnums: [1] })(x, y) as T[];
    expect(one).toHaveLength(1);
  });

  it('argnums out of range is an error', () => {
    expect(() => k.grad(f, { argnums: 2 })(x, y)).toThrow(/argnums 2 out of range/);
  });

  it('gradients keep the dtype of their argument (f32 and f64)', () => {
    const g32 = k.grad((a: T) => k.sum(k.mul(a, a)))(k.array([1, 2]));
    expect(g32.dtype).toBe('f32');
    expect(g32).toBeAllclose([2, 4]);
    expect(k.grad((a: T) => k.sum(k.mul(a, a)))(f64([1, 2])).dtype).toBe('f64');
  });

  it('integer and boolean arguments get zero gradients of their own dtype', () => {
    const g = (a: T, n: T, m: T) => k.sum(k.where(m, k.mul(a, n.astype('f64')), a));
    const [ga, gn, gm] = k.grad(g, { argnums: [0, 1, 2] })(f64([1, 2]), k.array([3, 4], { dtype: 'i32' }), k.array([true, false])) as T[];
    expect(ga!).toBeAllclose([3, 1]);
    expect(gn!.dtype).toBe('i32');
    expect(gn!.toArray()).toEqual([0, 0]);
    expect(gm!.dtype).toBe('bool');
    expect(gm!.toArray()).toEqual([false, false]);
  });

  it('hasAux: f returns [value, aux]; grad returns [grads, aux]', () => {
    const withAux = (a: T) => {
      const s = k.sum(k.mul(a, a));
      return [s, { norm: k.sqrt(s), doubled: k.mul(a, 2) }] as const;
    };
    const [g, aux] = k.grad(withAux, { hasAux: true })(f64([3, 4]));
    expect(g).toBeAllclose([6, 8]);
    expect(aux.norm).toBeAllclose(5);
    expect(aux.doubled).toBeAllclose([6, 8]);
    const [[value, aux2], g2] = k.valueAndGrad(withAux, { hasAux: true })(f64([3, 4])) as [[T, { norm: T }], T];
    expect(value).toBeAllclose(25);
    expect(aux2.norm).toBeAllclose(5);
    expect(g2).toBeAllclose([6, 8]);
  });

  it('hasAux with a function that does not return a pair is an error', () => {
    expect(() => k.grad((a: T) => k.sum(a), { hasAux: true })(f64([1, 2]))).toThrow(/hasAux/);
  });

  it('a tree of parameters in gives a tree of gradients of the same structure', () => {
    const xs = f64([[1, 2], [0, -1], [3, 1]]);
    const params = { W: f64([[0.5, -1, 2], [1, 0.25, -0.5]]), b: f64([0.1, 0.2, 0.3]), layers: [{ s: f64(2) }] };
    const loss = (p: typeof params) => {
      const z = k.add(k.matmul(xs, p.W), p.b);
      return k.mul(k.sum(k.mul(z, z)), p.layers[0]!.s);
    };
    const g = k.grad(loss)(params) as typeof params;
    expect(Object.keys(g).sort()).toEqual(['W', 'b', 'layers']);
    expect(g.layers).toHaveLength(1);
    expect(g.W.shape).toEqual([2, 3]);
    expect(g.b.shape).toEqual([3]);
    // dL/dz = 2 s z; dW = x^T dz, db = sum over rows of dz; ds = sum(z^2).
    const z = k.add(k.matmul(xs, params.W), params.b);
    const dz = k.mul(z, 4);
    expect(g.W).toBeAllclose(k.matmul(xs.T, dz));
    expect(g.b).toBeAllclose(k.sum(dz, { axis: 0 }));
    expect(g.layers[0]!.s).toBeAllclose(k.sum(k.mul(z, z)));
  });

  it('values the function closes over are constants (no gradient, no error)', () => {
    const w = f64([1, 2, 3]);
    expect(k.grad((a: T) => k.sum(k.mul(a, w)))(f64([0, 0, 0]))).toBeAllclose([1, 2, 3]);
  });

  it('grad of a non-scalar output is an error that says to use vjp', () => {
    expect(() => k.grad((a: T) => k.mul(a, 2))(f64([1, 2]))).toThrow(/vjp/);
    expect(() => k.grad((a: T) => k.mul(a, 2))(f64([1, 2]))).toThrow(/f64\[2\]/);
    expect(() => k.grad((a: T) => k.sum(a).astype('i32'))(f64([1, 2]))).toThrow(/float scalar/);
  });

  it('JS control flow on values works eagerly: the gradient follows the path taken', () => {
    const f = (a: T) => (k.sum(a).item() > 0 ? k.sum(k.mul(a, a)) : k.sum(k.mul(a, -3)));
    expect(k.grad(f)(f64([1, 2]))).toBeAllclose([2, 4]);
    expect(k.grad(f)(f64([-1, -2]))).toBeAllclose([-3, -3]);
  });
});

describe('valueAndGrad', () => {
  it('returns the value and the gradient together', () => {
    const f = (x: T) => k.sum(k.exp(x));
    const x = f64([0, 1, 2]);
    const [v, g] = k.valueAndGrad(f)(x) as [T, T];
    expect(v).toBeAllclose(1 + Math.E + Math.exp(2));
    expect(g).toBeAllclose([1, Math.E, Math.exp(2)]);
  });

  it('with several argnums, the gradients are a list', () => {
    const [v, [gx, gy]] = k.valueAndGrad((x: T, y: T) => k.sum(k.mul(x, y)), { argnums: [0, 1] })(f64([1, 2]), f64([3, 4])) as [T, T[]];
    expect(v).toBeAllclose(11);
    expect(gx!).toBeAllclose([3, 4]);
    expect(gy!).toBeAllclose([1, 2]);
  });
});

describe('vjp', () => {
  it('pulls back an explicit non-scalar cotangent', () => {
    const x = f64([[0.1, 0.2, 0.3], [1, -1, 2]]);
    const [y, pullback] = k.vjp((a: T) => k.sin(a), x);
    expect(y as T).toBeAllclose(k.sin(x));
    const ct = f64([[1, 2, 3], [-1, 0, 0.5]]);
    const [gx] = pullback(ct) as T[];
    expect(gx!).toBeAllclose(k.mul(k.cos(x), ct));
  });

  it('pulls back a tree of cotangents to one cotangent per argument', () => {
    const f = (a: T, b: T) => ({ prod: k.mul(a, b), total: k.sum(a) });
    const a = f64([1, 2]), b = f64([3, 4]);
    const [y, pullback] = k.vjp(f, a, b);
    expect((y as { prod: T }).prod).toBeAllclose([3, 8]);
    const [ga, gb] = pullback({ prod: f64([1, -1]), total: f64(10) }) as T[];
    expect(ga!).toBeAllclose([3 + 10, -4 + 10]);
    expect(gb!).toBeAllclose([1, -2]);
  });

  it('the pullback can be called several times', () => {
    const [, pullback] = k.vjp((a: T) => k.mul(a, a), f64([1, 2, 3]));
    expect((pullback(f64([1, 0, 0])) as T[])[0]!).toBeAllclose([2, 0, 0]);
    expect((pullback(f64([0, 0, 1])) as T[])[0]!).toBeAllclose([0, 0, 6]);
  });

  it('a cotangent of the wrong shape is an error naming both shapes', () => {
    const [, pullback] = k.vjp((a: T) => k.mul(a, a), f64([1, 2, 3]));
    expect(() => pullback(f64([1, 2]))).toThrow(/\[2\].*\[3\]/);
  });
});

describe('jvp', () => {
  it('pushes forward a tangent', () => {
    const [y, t] = k.jvp((a: T) => k.mul(a, a), [f64([1, 2])], [f64([1, 10])]) as [T, T];
    expect(y).toBeAllclose([1, 4]);
    expect(t).toBeAllclose([2, 40]);
  });

  it('takes trees of primals and tangents and returns trees', () => {
    const f = (p: { w: T; b: T }, x: T) => ({ out: k.add(k.mul(p.w, x), p.b), sq: k.sum(k.mul(x, x)) });
    const p = { w: f64([2, 3]), b: f64([1, 1]) }, x = f64([5, 7]);
    const tp = { w: f64([1, 0]), b: f64([0, 1]) }, tx = f64([1, 1]);
    const [y, t] = k.jvp(f, [p, x], [tp, tx]) as [{ out: T; sq: T }, { out: T; sq: T }];
    expect(y.out).toBeAllclose([11, 22]);
    expect(y.sq).toBeAllclose(74);
    // d(out) = dw x + w dx + db; d(sq) = 2 x . dx
    expect(t.out).toBeAllclose([5 + 2, 0 + 3 + 1]);
    expect(t.sq).toBeAllclose(24);
  });

  it('a tangent of the wrong shape is an error', () => {
    expect(() => k.jvp((a: T) => k.mul(a, a), [f64([1, 2])], [f64([1, 2, 3])])).toThrow(/tangent shape/);
  });
});

describe('Jacobians and Hessians', () => {
  // f: R^3 -> R^2
  const f = (x: T) => k.stack([k.mul(x.slice(0), k.sin(x.slice(1))), k.sum(k.mul(x, x))], 0);
  const x = f64([0.5, -1.2, 2.0]);
  const analytic = [
    [Math.sin(-1.2), 0.5 * Math.cos(-1.2), 0],
    [1, -2.4, 4],
  ];

  it('jacfwd and jacrev agree with each other and with the analytic Jacobian', () => {
    const jf = k.jacfwd(f)(x), jr = k.jacrev(f)(x);
    expect(jf.shape).toEqual([2, 3]);
    expect(jr.shape).toEqual([2, 3]);
    expect(jf).toBeAllclose(analytic);
    expect(jr).toBeAllclose(jf, { rtol: 1e-12 });
  });

  it('Jacobians of matrix functions have shape out.shape + in.shape', () => {
    const g = (m: T) => k.matmul(m, m);
    const m = f64([[1, 2], [3, 4]]);
    const jf = k.jacfwd(g)(m), jr = k.jacrev(g)(m);
    expect(jf.shape).toEqual([2, 2, 2, 2]);
    expect(jr).toBeAllclose(jf);
    // d(MM)_{ij}/dM_{kl} = delta_ik M_lj + M_ik delta_jl
    const mv = m.toArray() as number[][];
    const want = [0, 1].map((i) => [0, 1].map((j) => [0, 1].map((kk) => [0, 1].map((l) => (i === kk ? mv[l]![j]! : 0) + (j === l ? mv[i]![kk]! : 0)))));
    expect(jf).toBeAllclose(want);
  });

  it('argnums picks the argument of jacfwd / jacrev', () => {
    const g = (a: T, b: T) => k.mul(a, k.exp(b));
    const a = f64([1, 2]), b = f64([0.5, -0.5]);
    const want = [[Math.exp(0.5), 0], [0, 2 * Math.exp(-0.5)]];
    expect(k.jacfwd(g, { argnums: 1 })(a, b)).toBeAllclose(want);
    expect(k.jacrev(g, { argnums: 1 })(a, b)).toBeAllclose(want);
  });

  it('the Hessian of the quadratic form x^T A x is A + A^T', () => {
    const A = f64([[1, 2, 0], [-1, 3, 4], [0.5, 0, -2]]);
    const q = (v: T) => k.dot(v, k.matmul(A, v));
    const H = k.hessian(q)(f64([0.3, -0.7, 1.1]));
    expect(H).toBeAllclose(k.add(A, A.T));
  });

  it('the Hessian of a non-quadratic function matches the analytic one', () => {
    // h(x) = sum(x^3) + x0 x1: H = diag(6x) + [[0,1],[1,0]]
    const h = (v: T) => k.add(k.sum(k.pow(v, 3)), k.mul(v.slice(0), v.slice(1)));
    const H = k.hessian(h)(f64([0.5, -2]));
    expect(H).toBeAllclose([[3, 1], [1, -12]]);
  });

  it('jacfwd of jacrev and jacrev of jacfwd and jacrev of jacrev agree', () => {
    const h = (v: T) => k.sum(k.mul(k.sin(v), v));
    const v = f64([0.3, -0.4, 1.5]);
    const fr = k.jacfwd(k.jacrev(h))(v);
    const rf = k.jacrev(k.jacfwd(h))(v);
    const rr = k.jacrev(k.jacrev(h))(v);
    const want = flat(v).map((a, i) => flat(v).map((_, j) => (i === j ? 2 * Math.cos(a) - a * Math.sin(a) : 0)));
    expect(fr).toBeAllclose(want);
    expect(rf).toBeAllclose(want);
    expect(rr).toBeAllclose(want);
  });
});

describe('composition', () => {
  it('grad of grad: the second derivative of a scalar function', () => {
    // f(x) = x^3 sin(x): f'' = 6x sin x + 6x^2 cos x - x^3 sin x
    const f = (x: T) => k.mul(k.pow(x, 3), k.sin(x));
    const d2 = k.grad(k.grad(f));
    for (const v of [0.3, -1.1, 2.5]) {
      const want = 6 * v * Math.sin(v) + 6 * v * v * Math.cos(v) - v ** 3 * Math.sin(v);
      expect(d2(f64(v))).toBeAllclose(want);
    }
  });

  it('grad of grad of grad', () => {
    const f = (x: T) => k.exp(k.mul(x, 2));
    expect(k.grad(k.grad(k.grad(f)))(f64(0.5))).toBeAllclose(8 * Math.E);
  });

  it('grad of a function that calls grad (w.r.t. another argument)', () => {
    // g(y) = d/dx [x^2 y^3] at x = 2 = 4 y^3;  g'(y) = 12 y^2
    const inner = (x: T, y: T) => k.mul(k.mul(x, x), k.pow(y, 3));
    const g = (y: T) => k.grad(inner)(f64(2), y) as T;
    expect(k.grad(g)(f64(1.5))).toBeAllclose(12 * 2.25);
  });

  it('jvp of grad is a Hessian-vector product', () => {
    const f = (v: T) => k.sum(k.mul(k.mul(v, v), k.sin(v)));
    const v = f64([0.2, 1.3]);
    const [, hv] = k.jvp(k.grad(f), [v], [f64([1, 0])]) as [T, T];
    const H = k.hessian(f)(v);
    expect(hv).toBeAllclose(H.slice([], 0));
  });
});

describe('stopGradient', () => {
  it('blocks the gradient of its argument but keeps the value', () => {
    const x = f64([1, 2, 3]);
    expect(k.stopGradient(x)).toBeAllclose(x);
    // d/dx [x * sg(x)] = sg(x) = x, not 2x.
    expect(k.grad((a: T) => k.sum(k.mul(a, k.stopGradient(a))))(x)).toBeAllclose([1, 2, 3]);
    expect(k.grad((a: T) => k.sum(k.stopGradient(k.mul(a, a))))(x)).toBeAllclose([0, 0, 0]);
  });

  it('forward mode: a zero tangent', () => {
    const [, t] = k.jvp((a: T) => k.add(k.stopGradient(k.exp(a)), a), [f64([1])], [f64([1])]) as [T, T];
    expect(t).toBeAllclose([1]);
  });
});

describe('edge cases', () => {
  const x = f64([1, 2, 3]);

  it('an output used twice, and an input returned as an output, sum their cotangents', () => {
    const [, pb] = k.vjp((a: T) => {
      const s = k.sin(a);
      return [s, s, a];
    }, x);
    const [g] = pb([f64([1, 1, 1]), f64([1, 0, 0]), f64([0, 0, 5])]) as T[];
    expect(g!).toBeAllclose([2 * Math.cos(1), Math.cos(2), Math.cos(3) + 5]);
  });

  it('an unused argument gets zeros; a constant output has a zero tangent and gradient', () => {
    const [ga, gb] = k.grad((a: T, _b: T) => k.sum(a), { argnums: [0, 1] })(x, x) as T[];
    expect(ga!).toBeAllclose([1, 1, 1]);
    expect(gb!).toBeAllclose([0, 0, 0]);
    const [y, t] = k.jvp((_a: T) => f64([5, 6]), [x], [x]) as [T, T];
    expect(y).toBeAllclose([5, 6]);
    expect(t).toBeAllclose([0, 0]);
    expect(k.grad((_a: T) => f64(5))(x)).toBeAllclose([0, 0, 0]);
  });

  it('a size-1 output of any rank counts as a scalar', () => {
    expect(k.grad((a: T) => k.reshape(k.sum(a), [1, 1]))(x)).toBeAllclose([1, 1, 1]);
  });

  it('vjp of a function with an integer output takes (and ignores) its cotangent', () => {
    const [, pb] = k.vjp((a: T) => [k.sin(a), k.argmax(a)], x);
    const [g] = pb([f64([1, 1, 1]), k.array(0, { dtype: 'i32' })]) as T[];
    expect(g!).toBeAllclose(flat(x).map(Math.cos));
  });

  it('an f32 argument used in f64 inside gets an f32 gradient', () => {
    const g = k.grad((a: T) => k.sum(k.mul(a.astype('f64'), a.astype('f64'))))(k.array([1, 2])) as T;
    expect(g.dtype).toBe('f32');
    expect(g).toBeAllclose([2, 4]);
  });

  it('nested grads do not confuse their perturbations', () => {
    // d/dx [x * d/dy (x + y)] = d/dx [x] = 1 (perturbation confusion would give 2).
    expect(k.grad((a: T) => k.mul(a, k.grad((b: T) => k.add(a, b))(f64(1)) as T))(f64(1))).toBeAllclose(1);
    // d/da [d/db (a b) at b = a] = 1
    expect(k.grad((a: T) => k.grad((b: T) => k.mul(a, b))(a) as T)(f64(3))).toBeAllclose(1);
  });

  it('grad of a sum over an empty array is an empty gradient; so is jacrev', () => {
    expect(k.grad((a: T) => k.sum(a))(f64([])).shape).toEqual([0]);
    expect(k.jacrev((a: T) => k.mul(a, 2))(f64([])).shape).toEqual([0, 0]);
  });

  it('jacfwd of a function of an empty array is an empty Jacobian', () => {
    expect(k.jacfwd((a: T) => k.mul(a, 2))(f64([])).shape).toEqual([0, 0]);
  });
});

/** The error `f` throws (fails the test when it does not throw). */
function errorOf(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

describe('errors when tracing abstractly', () => {
  it('a JS branch on a traced value says to use k.cond and names this file and line', () => {
    const f = (x: T) => (Number(k.sum(x)) > 0 ? x : k.neg(x));
    const line = here() - 1;
    const err = errorOf(() => k.makeIR(f)(k.shapeDtype([3])));
    expect(err).toBeInstanceOf(k.TraceError);
    expect(err.message).toMatch(/k\.cond/);
    expect(err.message).toContain(`autodiff/api.test.ts:${line}:`);
  });

  it('the same under grad traced abstractly (makeIR of grad)', () => {
    const f = (x: T) => (k.sum(x).item() > 0 ? k.sum(x) : k.sum(k.neg(x)));
    const line = here() - 1;
    const err = errorOf(() => k.makeIR(k.grad(f))(k.shapeDtype([3])));
    expect(err).toBeInstanceOf(k.TraceError);
    expect(err.message).toMatch(/k\.cond/);
    expect(err.message).toContain(`autodiff/api.test.ts:${line}:`);
  });
});
