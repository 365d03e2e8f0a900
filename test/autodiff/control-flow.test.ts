// Differentiation through structured control flow: cond and switchCase (the gradient flows
// through the branch taken), whileLoop (forward mode only), forLoop and scan (reverse mode,
// the reverse of a scan being a scan of a size independent of the trip count), including a
// vanilla RNN over 35 steps checked against the same network unrolled in a JS loop.
import { describe, expect, it } from 'vitest';
import * as k from 'kiln';
import type { Func } from '../../compiler/ir/ir.ts';
import { here } from '../helpers/ir.ts';

type T = k.Tensor;
const f64 = (x: Parameters<typeof k.array>[0]) => k.array(x, { dtype: 'f64' });
const flat = (t: T) => Array.from(t.data(), Number);

/** Central differences of a scalar function of one f64 tensor, element by element. */
function numGrad(f: (x: T) => T, x: T, eps = 1e-6): number[] {
  const base = flat(x);
  return base.map((_, j) => {
    const at = (d: number) => f(k.array(Float64Array.from(base.map((v, i) => (i === j ? v + d : v))), { dtype: 'f64', shape: x.shape })).item();
    return (at(eps) - at(-eps)) / (2 * eps);
  });
}

/** Number of equations, counting those of regions (branches, loop bodies) too. */
function countEqns(fn: Func): number {
  let n = 0;
  for (const e of fn.eqns) {
    n++;
    for (const v of Object.values(e.params as Record<string, unknown>)) {
      for (const s of Array.isArray(v) ? v : [v]) if (s && typeof s === 'object' && 'eqns' in s) n += countEqns(s as Func);
    }
  }
  return n;
}

describe('cond', () => {
  const f = (x: T, y: T) =>
    k.cond(
      k.greater(k.sum(x), 0),
      (a: T, b: T) => k.sum(k.mul(k.sin(a), b)),
      (a: T, b: T) => k.sum(k.mul(k.mul(a, a), 3)),
      x,
      y,
    );

  it('takes the true branch, and the gradient is that branch’s', () => {
    const x = f64([0.5, 1.0]), y = f64([2.0, -1.0]);
    expect(f(x, y)).toBeAllclose(Math.sin(0.5) * 2 - Math.sin(1));
    const [gx, gy] = k.grad(f, { argnums: [0, 1] })(x, y) as T[];
    expect(gx!).toBeAllclose([Math.cos(0.5) * 2, -Math.cos(1)]);
    expect(gy!).toBeAllclose([Math.sin(0.5), Math.sin(1)]);
  });

  it('takes the false branch, and y (unused there) gets a zero gradient', () => {
    const x = f64([-0.5, -1.0]), y = f64([2.0, -1.0]);
    expect(f(x, y)).toBeAllclose(3 * (0.25 + 1));
    const [gx, gy] = k.grad(f, { argnums: [0, 1] })(x, y) as T[];
    expect(gx!).toBeAllclose([-3, -6]);
    expect(gy!).toBeAllclose([0, 0]);
  });

  it('differentiates values the branches capture from outside', () => {
    const g = (x: T, w: T) => k.cond(k.greater(k.sum(x), 0), () => k.sum(k.mul(w, x)), () => k.sum(k.mul(w, w)));
    const x = f64([1, 2]), w = f64([3, -4]);
    const [gx, gw] = k.grad(g, { argnums: [0, 1] })(x, w) as T[];
    expect(gx!).toBeAllclose([3, -4]);
    expect(gw!).toBeAllclose([1, 2]);
    const [gx2, gw2] = k.grad(g, { argnums: [0, 1] })(k.neg(x), w) as T[];
    expect(gx2!).toBeAllclose([0, 0]);
    expect(gw2!).toBeAllclose([6, -8]);
  });

  it('works in forward mode and agrees with central differences', () => {
    const x = f64([0.3, 0.9]), y = f64([1.5, 0.5]);
    const [out, t] = k.jvp((a: T) => f(a, y), [x], [f64([1, 0])]) as [T, T];
    expect(out).toBeAllclose(f(x, y));
    expect(t).toBeAllclose(numGrad((a) => f(a, y), x)[0]!);
  });

  it('the differentiated IR keeps a cond (the decision is not baked in)', () => {
    const ir = String(k.makeIR(k.grad(f))(k.shapeDtype([2], 'f64'), k.shapeDtype([2], 'f64')));
    expect(ir.match(/= cond /g)?.length).toBeGreaterThanOrEqual(2);
  });
});

describe('switchCase', () => {
  const branches = [
    (x: T) => k.sum(k.mul(x, x)),
    (x: T) => k.sum(k.sin(x)),
    (x: T) => k.sum(k.exp(x)),
  ];
  const f = (i: T, x: T) => k.switchCase(i, branches, x);
  const x = f64([0.2, -0.7, 1.1]);
  const expected: ((v: number) => number)[] = [(v) => 2 * v, Math.cos, Math.exp];

  for (const [index, branch] of [[0, 0], [1, 1], [2, 2], [7, 2], [-3, 0]] as const) {
    it(`index ${index} runs branch ${branch} (clamped) and differentiates it`, () => {
      const i = k.array(index, { dtype: 'i32' });
      expect(f(i, x)).toBeAllclose(branches[branch]!(x));
      const [gi, gx] = k.grad(f, { argnums: [0, 1] })(i, x) as T[];
      expect(gx!).toBeAllclose(flat(x).map(expected[branch]!));
      // The integer index gets a zero gradient of its own dtype.
      expect(gi!.dtype).toBe('i32');
      expect(gi!.item()).toBe(0);
    });
  }
});

describe('whileLoop', () => {
  const doubleUntil = (x: T) => k.whileLoop((c: T) => k.less(k.sum(c), 100), (c: T) => k.mul(c, 2), x);

  it('forward mode works: the tangent follows the same trip count', () => {
    const x = f64([1, 2]);
    const [y, t] = k.jvp(doubleUntil, [x], [f64([1, -0.5])]) as [T, T];
    expect(y).toBeAllclose([64, 128]);
    expect(t).toBeAllclose([64, -32]);
    expect(k.jacfwd(doubleUntil)(x)).toBeAllclose([[64, 0], [0, 64]]);
  });

  it('forward mode through a loop whose body uses a captured value', () => {
    const f = (x: T, w: T) => k.whileLoop((c: [T, T]) => k.less(c[1], 3), ([c, i]: [T, T]) => [k.sin(k.mul(c, w)), k.add(i, 1)] as [T, T], [x, k.array(0, { dtype: 'i32' })] as [T, T])[0];
    const x = f64([0.4, -0.3]), w = f64([1.3, 0.7]);
    const [, t] = k.jvp(f, [x, w], [f64([0, 0]), f64([1, 0])]) as [T, T];
    const fw = (wv: T) => k.sum(f(x, wv).slice([0, 1]));
    expect(t.slice([0, 1])).toBeAllclose(numGrad(fw, w).slice(0, 1), { rtol: 1e-6 });
  });

  it('reverse mode throws an error that points to forLoop / scan and to the loop', () => {
    const loopLine = here() + 1;
    const f = (x: T) => k.sum(k.whileLoop((c: T) => k.less(k.sum(c), 100), (c: T) => k.mul(c, 2), x));
    let err: unknown;
    try {
      k.grad(f)(f64([1, 2]));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(k.TraceError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/whileLoop/);
    expect(msg).toMatch(/k\.forLoop/);
    expect(msg).toMatch(/k\.scan/);
    // It names the whileLoop call: this file and line.
    expect(msg).toContain(`control-flow.test.ts:${loopLine}:`);
  });

  it('valueAndGrad and vjp fail the same way', () => {
    expect(() => k.valueAndGrad((x: T) => k.sum(doubleUntil(x)))(f64([1, 2]))).toThrow(/k\.forLoop/);
    expect(() => k.vjp(doubleUntil, f64([1, 2]))).toThrow(/k\.forLoop/);
  });
});

describe('forLoop', () => {
  it('grad of repeated squaring: x^(2^3)', () => {
    const f = (x: T) => k.sum(k.forLoop(0, 3, (_i, c: T) => k.mul(c, c), x));
    const x = f64([1.1, -0.9, 0.5]);
    expect(f(x)).toBeAllclose(flat(x).reduce((s, v) => s + v ** 8, 0));
    expect(k.grad(f)(x)).toBeAllclose(flat(x).map((v) => 8 * v ** 7));
  });

  it('grad through a loop that uses the index and a captured weight', () => {
    const f = (x: T, w: T) => k.sum(k.forLoop(1, 5, (i: T, c: T) => k.add(k.mul(k.sin(c), w), k.mul(i.astype('f64'), 0.1)), x));
    const x = f64([0.3, -0.2]), w = f64([0.9, 1.2]);
    const [gx, gw] = k.grad(f, { argnums: [0, 1] })(x, w) as T[];
    expect(gx!).toBeAllclose(numGrad((a) => f(a, w), x), { rtol: 1e-6 });
    expect(gw!).toBeAllclose(numGrad((a) => f(x, a), w), { rtol: 1e-6 });
  });

  it('a zero-trip loop is the identity, with the identity gradient', () => {
    const f = (x: T) => k.sum(k.forLoop(3, 3, (_i, c: T) => k.mul(c, c), x));
    expect(k.grad(f)(f64([2, 3]))).toBeAllclose([1, 1]);
  });
});

describe('scan', () => {
  // carry' = carry * x + w, y = carry' * sin(x), over the rows of xs.
  const step = (w: T) => (c: T, x: T): [T, T] => {
    const cn = k.add(k.mul(c, x), w);
    return [cn, k.mul(cn, k.sin(x))];
  };
  const unrolled = (c0: T, xs: T, w: T, reverse = false) => {
    let c = c0;
    const ys: T[] = new Array(xs.shape[0]);
    const n = xs.shape[0]!;
    for (let s = 0; s < n; s++) {
      const t = reverse ? n - 1 - s : s;
      const [cn, y] = step(w)(c, xs.slice(t));
      c = cn;
      ys[t] = y;
    }
    return [c, k.stack(ys, 0)] as [T, T];
  };
  const loss = ([c, ys]: [T, T]) => k.add(k.sum(k.mul(c, c)), k.sum(k.mul(ys, ys)));
  const c0 = f64([0.5, -0.4]);
  const xs = f64([[0.3, 0.8], [-0.5, 0.2], [0.9, -0.7], [0.1, 0.4]]);
  const w = f64([0.2, -0.3]);

  for (const reverse of [false, true]) {
    it(`carry and stacked outputs${reverse ? ', reverse' : ''}: values and gradients match the JS loop`, () => {
      const viaScan = (c0: T, xs: T, w: T) => k.scan(step(w), c0, xs, { reverse });
      const [c, ys] = viaScan(c0, xs, w);
      const [cu, ysu] = unrolled(c0, xs, w, reverse);
      expect(c).toBeAllclose(cu, { rtol: 1e-12 });
      expect(ys).toBeAllclose(ysu, { rtol: 1e-12 });
      const g = k.grad((a: T, b: T, d: T) => loss(viaScan(a, b, d)), { argnums: [0, 1, 2] })(c0, xs, w) as T[];
      const gu = k.grad((a: T, b: T, d: T) => loss(unrolled(a, b, d, reverse)), { argnums: [0, 1, 2] })(c0, xs, w) as T[];
      g.forEach((gi, i) => expect(gi, `argument ${i}`).toBeAllclose(gu[i]!, { rtol: 1e-10, atol: 1e-12 }));
    });
  }

  for (const reverse of [false, true]) {
    it(`jvp matches the JS loop${reverse ? ', reverse' : ''}`, () => {
      const viaScan = (c0: T, xs: T, w: T) => k.scan(step(w), c0, xs, { reverse });
      const tangents: [T, T, T] = [f64([1, 0.5]), k.mul(xs, 0.3), f64([-1, 2])];
      const [, t] = k.jvp((a: T, b: T, d: T) => loss(viaScan(a, b, d)), [c0, xs, w], tangents);
      const [, tu] = k.jvp((a: T, b: T, d: T) => loss(unrolled(a, b, d, reverse)), [c0, xs, w], tangents);
      expect(t as T).toBeAllclose(tu as T, { rtol: 1e-10 });
    });
  }

  it('jacfwd and jacrev of a scan agree', () => {
    const f = (a: T) => k.scan((h: T, xi: T) => [k.sin(k.mul(h, xi)), h] as [T, T], a.slice(0), a)[1];
    const a = f64([0.5, 0.7, -0.3]);
    expect(k.jacrev(f)(a)).toBeAllclose(k.jacfwd(f)(a), { rtol: 1e-12 });
  });

  it('scan with length and no xs (null): values, and forward mode w.r.t. a captured value', () => {
    const f = (a: T) => k.scan((c: T) => [k.mul(c, a), c] as [T, T], f64(1), null, { length: 4 });
    const a = f64(1.5);
    const [c, ys] = f(a);
    expect(c).toBeAllclose(1.5 ** 4);
    expect(ys).toBeAllclose([1, 1.5, 1.5 ** 2, 1.5 ** 3]);
    const [, t] = k.jvp((v: T) => f(v)[0], [a], [f64(1)]);
    expect(t as T).toBeAllclose(4 * 1.5 ** 3);
  });

  it('grad through a scan whose initial carry is a constant', () => {
    const f = (x: T) => k.scan((c: T, xi: T) => [k.mul(c, xi), null] as [T, null], f64(1), x)[0];
    expect(k.grad(f)(f64([2, 3]))).toBeAllclose([3, 2]);
  });

  it('grad w.r.t. a value captured by the body, with a constant initial carry', () => {
    const f = (a: T) => k.scan((c: T) => [k.mul(c, a), c] as [T, T], f64(1), null, { length: 4 })[0];
    expect(k.grad(f)(f64(1.5))).toBeAllclose(4 * 1.5 ** 3);
  });
});

describe('nested control flow', () => {
  const x = f64([1.5, 2]);
  const condInScan = (a: T) =>
    k.scan((h: T, xi: T) => [k.cond(k.greater(xi, 1.7), (u: T, v: T) => k.mul(u, v), (u: T, v: T) => k.add(u, k.sin(v)), h, xi), null] as [T, null], a.slice(0), a)[0];
  const scanInCond = (a: T) =>
    k.cond(k.greater(k.sum(a), 0), (b: T) => k.scan((h: T, xi: T) => [k.mul(h, xi), null] as [T, null], b.slice(0), b)[0], (b: T) => k.sum(b), a);
  const scanInScan = (a: T) =>
    k.scan((h: T, xi: T) => [k.scan((g: T, z: T) => [k.sin(k.mul(g, z)), null] as [T, null], h, k.stack([xi, xi]))[0], null] as [T, null], a.slice(0), a)[0];
  const nested: [string, (a: T) => T][] = [['cond inside scan', condInScan], ['scan inside cond', scanInCond], ['scan inside scan', scanInScan]];

  for (const [name, f] of nested) {
    it(`${name}: forward mode matches central differences`, () => {
      const [, t] = k.jvp(f, [x], [f64([1, 0])]) as [T, T];
      expect(t).toBeAllclose(numGrad(f, x)[0]!, { rtol: 1e-6 });
    });
  }

  for (const [name, f] of nested) {
    it(`${name}: grad matches central differences`, () => {
      expect(k.grad(f)(x)).toBeAllclose(numGrad(f, x), { rtol: 1e-6 });
    });
  }
});

describe('reverse mode around a whileLoop that no gradient flows through', () => {
  const x = f64([1.5, 2]);
  it('a loop on a constant is fine', () => {
    const f = (a: T) => k.sum(k.mul(a, k.whileLoop((c: T) => k.less(k.sum(c), 100), (c: T) => k.mul(c, 2), f64([1, 1]))));
    expect(k.grad(f)(x)).toBeAllclose([64, 64]);
  });

  it('a loop whose result is only used through stopGradient', () => {
    const f = (a: T) => k.sum(k.mul(a, k.stopGradient(k.whileLoop((c: T) => k.less(k.sum(c), 100), (c: T) => k.mul(c, 2), a))));
    expect(k.grad(f)(x)).toBeAllclose([48, 64]);
  });

  it('a loop whose integer trip count is all that is used', () => {
    const f = (a: T) => {
      const [, n] = k.whileLoop((c: [T, T]) => k.less(k.sum(c[0]), 100), ([c, n]: [T, T]) => [k.mul(c, 2), k.add(n, 1)] as [T, T], [a, k.array(0, { dtype: 'i32' })] as [T, T]);
      return k.sum(k.mul(a, n.astype('f64')));
    };
    expect(k.grad(f)(x)).toBeAllclose([5, 5]);
  });
});

describe('a vanilla RNN over 35 steps: scan against the unrolled JS loop', () => {
  const H = 4, D = 3, STEPS = 35;
  const key = k.random.key(7);
  const [k1, k2, k3, k4] = k.random.split(key, 4);
  interface Params {
    Wxh: T;
    Whh: T;
    b: T;
    h0: T;
  }
  const params: Params = {
    Wxh: k.mul(k.random.normal(k1!, [H, D], { dtype: 'f64' }), 0.5),
    Whh: k.mul(k.random.normal(k2!, [H, H], { dtype: 'f64' }), 0.5),
    b: k.mul(k.random.normal(k3!, [H], { dtype: 'f64' }), 0.1),
    h0: k.zeros([H], 'f64'),
  };
  const inputs = (steps: number) => k.random.normal(k4!, [steps, D], { dtype: 'f64' });
  /** h_t = tanh(W_xh x_t + W_hh h_{t-1} + b) */
  const cell = (p: Params, h: T, x: T) => k.tanh(k.add(k.add(k.matmul(p.Wxh, x), k.matmul(p.Whh, h)), p.b));
  // The loss reads every hidden state (the stacked outputs) and the final one (the carry).
  const lossOf = (hs: T, h: T) => k.add(k.sum(k.mul(hs, f64(Array.from({ length: H }, (_, i) => (i + 1) / H)))), k.sum(k.mul(h, h)));
  const rnnScan = (p: Params, xs: T) => {
    const [h, hs] = k.scan((h: T, x: T) => {
      const hn = cell(p, h, x);
      return [hn, hn] as [T, T];
    }, p.h0, xs);
    return lossOf(hs, h);
  };
  const rnnUnrolled = (p: Params, xs: T) => {
    let h = p.h0;
    const hs: T[] = [];
    for (let t = 0; t < xs.shape[0]!; t++) {
      h = cell(p, h, xs.slice(t));
      hs.push(h);
    }
    return lossOf(k.stack(hs, 0), h);
  };
  const xs = inputs(STEPS);

  it('the loss is the same', () => {
    expect(rnnScan(params, xs)).toBeAllclose(rnnUnrolled(params, xs), { rtol: 1e-12 });
  });

  it('the gradient w.r.t. all weights (a dict in, a dict out) matches the unrolled loop', () => {
    const g = k.grad(rnnScan)(params, xs) as Params;
    const gu = k.grad(rnnUnrolled)(params, xs) as Params;
    expect(Object.keys(g).sort()).toEqual(['Whh', 'Wxh', 'b', 'h0']);
    for (const name of ['Wxh', 'Whh', 'b', 'h0'] as const) {
      expect(g[name].shape, name).toEqual(params[name].shape);
      expect(g[name], name).toBeAllclose(gu[name], { rtol: 1e-10, atol: 1e-12 });
    }
    // And the gradient w.r.t. the inputs, stacked over time.
    const [, gx] = k.grad(rnnScan, { argnums: [0, 1] })(params, xs) as [Params, T];
    const [, gxu] = k.grad(rnnUnrolled, { argnums: [0, 1] })(params, xs) as [Params, T];
    expect(gx.shape).toEqual([STEPS, D]);
    expect(gx).toBeAllclose(gxu, { rtol: 1e-10, atol: 1e-12 });
  });

  it('the gradient w.r.t. the weights with a constant zero initial state', () => {
    const { h0, ...weights } = params;
    const f = (w: Omit<Params, 'h0'>, xs: T) => rnnScan({ ...w, h0 }, xs);
    const fu = (w: Omit<Params, 'h0'>, xs: T) => rnnUnrolled({ ...w, h0 }, xs);
    const g = k.grad(f)(weights, xs) as Omit<Params, 'h0'>;
    const gu = k.grad(fu)(weights, xs) as Omit<Params, 'h0'>;
    for (const name of ['Wxh', 'Whh', 'b'] as const) expect(g[name], name).toBeAllclose(gu[name], { rtol: 1e-10 });
  });

  const gradIR = (steps: number) => {
    const avals = { Wxh: k.shapeDtype([H, D], 'f64'), Whh: k.shapeDtype([H, H], 'f64'), b: k.shapeDtype([H], 'f64'), h0: k.shapeDtype([H], 'f64') };
    return k.makeIR(k.grad(rnnScan))(avals as unknown as Params, k.shapeDtype([steps, D], 'f64'));
  };

  it('the differentiated IR does not grow with the number of steps', () => {
    const ir5 = gradIR(5), ir35 = gradIR(STEPS);
    expect(countEqns(ir35.func)).toBe(countEqns(ir5.func));
    expect(ir35.func.eqns.length).toBe(ir5.func.eqns.length);
    // ... while the unrolled loop's grows linearly.
    const unrolledIR = (steps: number) =>
      k.makeIR(k.grad(rnnUnrolled))(
        { Wxh: k.shapeDtype([H, D], 'f64'), Whh: k.shapeDtype([H, H], 'f64'), b: k.shapeDtype([H], 'f64'), h0: k.shapeDtype([H], 'f64') } as unknown as Params,
        k.shapeDtype([steps, D], 'f64'),
      ).func.eqns.length;
    expect(unrolledIR(10)).toBeGreaterThan(unrolledIR(5) + 5 * 10);
  });

  it('the reverse of the scan is a scan (running backwards)', () => {
    const text = String(gradIR(STEPS));
    const scans = text.match(/= scan .*\{length=35, reverse=(true|false)/g) ?? [];
    expect(scans.length).toBe(2);
    expect(scans.some((s) => s.endsWith('reverse=false'))).toBe(true);
    expect(scans.some((s) => s.endsWith('reverse=true'))).toBe(true);
  });
});
