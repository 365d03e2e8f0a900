// jit on the CPU device: retracing only on new signatures (stats().compiles), static
// arguments, donated arguments (an SGD step updating its weights in place), the persistent
// compilation cache (a second compilation, in this process or another one, is a cache hit),
// and jitted functions traced through inside other transformations.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as k from '../../index.ts';
import { compileForCpu } from '../../compiler/pipeline.ts';
import { cachedProgram } from './fixtures/cache-program.ts';
import { cpuPresent, diff, expectClose, rand, rng, useColdCache } from './helpers.ts';

const cacheDir = useColdCache();

type T = k.Tensor;

describe.runIf(cpuPresent)('jit on the CPU', () => {
  const r = rng(61);

  it('retraces only for new signatures: shapes, dtypes, tree structure, non-tensor leaves', () => {
    let traces = 0;
    const f = k.jit(
      (x: T, o: { s: T; n: number }) => {
        traces++;
        return x.mul(o.s).add(o.n);
      },
      { device: 'cpu' },
    );
    const x3 = rand(r, [3]), s = k.array(2);
    const first = f(x3, { s, n: 1 });
    expect(f.stats().compiles).toBe(1);
    expect(f.stats().kernels).toBeGreaterThan(0);
    f(rand(r, [3]), { s: k.array(-1), n: 1 }); // new values, same signature
    expect(f.stats().compiles).toBe(1);
    f(rand(r, [4]), { s, n: 1 }); // new shape
    expect(f.stats().compiles).toBe(2);
    f(rand(r, [3], 'f64'), { s, n: 1 }); // new dtype
    expect(f.stats().compiles).toBe(3);
    expectClose(f(x3, { s, n: 5 }), x3.mul(2).add(5)); // a new non-tensor leaf is a new signature
    expect(f.stats().compiles).toBe(4);
    expectClose(f(x3, { s, n: 1 }), first); // an old signature: no retrace
    expect(f.stats().compiles).toBe(4);
    expect(traces).toBe(4);
    f.lower(rand(r, [7]), { s, n: 1 }); // lowering traces but compiles nothing
    expect(f.stats().compiles).toBe(4);
  });

  it('staticArgnums: static values drive JS control flow and are part of the cache key', () => {
    const f = (x: T, n: number, shape: number[]) => {
      let y = x;
      for (let i = 0; i < n; i++) y = y.mul(y).sub(0.5);
      return y.reshape(shape);
    };
    const x = rand(r, [2, 3], 'f32', -1, 1);
    const jf = k.jit(f, { device: 'cpu', staticArgnums: [1, 2] });
    for (const [n, shape] of [[1, [6]], [3, [3, 2]], [1, [6]], [3, [3, 2]]] as [number, number[]][]) {
      expectClose(jf(x, n, shape), k.jit(f, { device: 'interp', staticArgnums: [1, 2] })(x, n, shape));
    }
    expect(jf.stats().compiles).toBe(2);
  });

  it('donateArgnums: an SGD step w - lr*g with w donated is right, and reading w afterwards is a clear error', () => {
    const sgd = (w: T, g: T) => w.sub(g.mul(0.1));
    const w0 = rand(r, [64, 32]), g = rand(r, [64, 32]);
    const want = sgd(w0, g);
    const w = k.array(w0.data(), { shape: [64, 32] });
    const step = k.jit(sgd, { device: 'cpu', donateArgnums: 0 });
    const w1 = step(w, g);
    expectClose(w1, want);
    expect(w1.device.toString()).toBe('cpu:0');
    expect(() => w.data()).toThrow(/donated/);
    expect(() => w.toArray()).toThrow(/can no longer be used/);
    expect(() => w.add(1)).toThrow(/donated/);
    expect(() => step(w, g)).toThrow(/donated/);
    expectClose(g.mul(1), g); // the gradient was not donated: still readable
    // A training loop: each result is donated to the next step; one compilation.
    let cur = w1;
    for (let i = 0; i < 3; i++) cur = step(cur, g);
    expectClose(cur, sgd(sgd(sgd(want, g), g), g));
    expect(step.stats().compiles).toBe(1);
    // The donated buffer hosts the result: nothing but the output is allocated.
    expect(step.stats().peakBytes).toBeLessThanOrEqual(3 * 64 * 32 * 4);
  });

  it('donated buffers reused in place by non-elementwise results (transpose, flip, cumsum, matmul, sort, scatter, pytrees)', () => {
    const fs = [
      (w: T) => w.add(w.T), (w: T) => w.sub(w.flip(0)), (w: T) => w.cumsum(0), (w: T) => w.matmul(w), (w: T) => k.sort(w.neg(), 0),
      (w: T) => w.sub(w.sum({ axis: 0, keepdims: true })), (w: T) => w.at(k.array([2, 0, 1], { dtype: 'i32' })).add(w), (w: T) => w.mul(2).T.add(w.sum()),
    ];
    const all = (ws: T[]) => fs.map((f, i) => f(ws[i]!));
    const inputs = () => fs.map(() => rand(rng(5), [3, 3]));
    const want = k.jit((...ws: T[]) => all(ws), { device: 'interp' })(...inputs());
    const ws = inputs();
    const got = k.jit((...ws: T[]) => all(ws), { device: 'cpu', donateArgnums: fs.map((_, i) => i) })(...ws);
    expectClose(got, want);
    for (const w of ws) expect(() => w.data()).toThrow(/donated/);
    // a pytree argument donates all its leaves
    const p = { a: k.array([1, 2]), b: k.array([[1, 1], [2, 2]]) };
    const step = k.jit((p: { a: T; b: T }, g: T) => ({ a: p.a.sub(g), b: p.b.sub(g.mul(2)) }), { device: 'cpu', donateArgnums: 0 });
    const r2 = step(p, k.array([1, 0]));
    expect([r2.a.toArray(), r2.b.toArray()]).toEqual([[0, 2], [[-1, 1], [0, 2]]]);
    expect(() => p.a.data()).toThrow(/donated/);
    expect(() => p.b.data()).toThrow(/donated/);
  });

  it('donating a result never changes another live tensor (outputs do not alias inputs or each other)', () => {
    const x = k.array([1, 2, 3]);
      const res = k.jit((a: T) => ({ same: a, d1: a.mul(2), d2: a.mul(2) }), { device: 'cpu' })(x);
      const step = k.jit((w: T, g: T) => w.sub(g.mul(0.1)), { device: 'cpu', donateArgnums: 0 });
      step(res.same, k.array([10, 10, 10]));
      step(res.d1, k.array([10, 10, 10]));
      expect(x.toArray()).toEqual([1, 2, 3]);
      expect(res.d2.toArray()).toEqual([2, 4, 6]);
  });

  it('a donated tensor also passed as another argument gives the right result (or a clear error)', () => {
    const f = (w: T, g: T) => w.add(g.T);
      const mk = () => k.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]]);
      const want = f(mk(), mk()).toArray();
      const a = mk();
      let got: unknown;
      try {
        got = k.jit(f, { device: 'cpu', donateArgnums: 0 })(a, a).toArray();
      } catch (e) {
        expect((e as Error).message).toMatch(/donat/); // a clear error is acceptable too
        return;
      }
      expect(got).toEqual(want);
  });

  it('a second compilation of the same program is a cache hit: in this process (jit and the pipeline) and in another process', () => {
    const x = k.array([[1, 2, 3], [4, 5, 6]]), v = k.array([0.5, -1, 2]);
    const j1 = k.jit(cachedProgram, { device: 'cpu' });
    const r1 = j1(x, v);
    expect(j1.stats().cached).toBe(false); // the cache folder started empty
    const j2 = k.jit(cachedProgram, { device: 'cpu' });
    expectClose(j2(x, v), r1, { rtol: 0, atol: 0 });
    expect(j2.stats().cached).toBe(true);

    // The pipeline itself, twice with one cache folder: one library, found the second time.
    const func = j1.lower(x, v);
    const a = compileForCpu([func], { cacheDir: cacheDir() });
    const b = compileForCpu([func], { cacheDir: cacheDir() });
    expect(b.library.cached).toBe(true);
    expect(b.library.path).toBe(a.library.path);

    // Another process with the same KILN_CACHE_DIR finds the library too.
    const child = fileURLToPath(new URL('./fixtures/cache-child.ts', import.meta.url));
    const out = execFileSync(process.execPath, ['--import', 'tsx', child], {
      env: { ...process.env, KILN_CACHE_DIR: cacheDir(), KILN_BACKEND: 'interp' },
      encoding: 'utf8',
    });
    const res = JSON.parse(out.trim().split('\n').pop()!) as { stats: k.JitStats; value: number[]; device: string };
    expect(res.stats.cached).toBe(true);
    expect(res.device).toBe('cpu:0');
    expect(res.value).toEqual(r1.toArray());
  });

  it('without a device option, jit runs where committed arguments live (the CPU for x.to("cpu"))', () => {
    const f = k.jit((a: T, b: T) => a.mul(b).sum({ axis: 0 }));
    const a = rand(r, [3, 4]), b = rand(r, [4]);
    const onCpu = f(a.to('cpu'), b);
    expect(onCpu.device.toString()).toBe('cpu:0');
    expect(f.stats().kernels).toBeGreaterThan(0); // compiled, not interpreted
    expectClose(onCpu, k.jit((a: T, b: T) => a.mul(b).sum({ axis: 0 }), { device: 'interp' })(a, b), { scale: 3 });
  });

  it('without a device option, each call runs on its committed arguments’ device (interp first, then cpu)', () => {
    const f = k.jit((a: T) => a.mul(2));
      const a = k.array([1, 2, 3]);
      expect(f(a.to('interp')).device.toString()).toBe('interp:0');
      const c = f(a.to('cpu'));
      expect(c.device.toString()).toBe('cpu:0');
      expect(c.toArray()).toEqual([2, 4, 6]);
  });

  it('a jitted function inside grad and inside another jit is traced through', () => {
    const inner = k.jit((x: T) => x.sin().mul(x), { device: 'cpu' });
    const outer = (x: T) => inner(x).sum();
    const x = rand(r, [5], 'f64');
    diff(k.grad(outer), [x]);
    diff((x: T) => inner(inner(x)), [x]);
    expect(inner.stats().compiles).toBe(0);
  });
});
