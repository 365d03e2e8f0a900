// Random numbers from explicit keys: determinism, key splitting, and distribution checks with
// tolerances of several standard errors (n = 10^5 samples).
import { describe, expect, it } from 'vitest';
import * as k from 'kiln';

const N = 100_000;
const key = k.random.key(0);

const mean = (t: k.Tensor) => k.mean(t.astype('f64')).item();
const same = (a: k.Tensor, b: k.Tensor) => expect(a.toArray()).toEqual(b.toArray());
const differ = (a: k.Tensor, b: k.Tensor) => expect(a.toArray()).not.toEqual(b.toArray());

describe('keys', () => {
  it('a key is i32[2] from a seed; 64-bit seeds use both words', () => {
    expect(key.dtype).toBe('i32');
    expect(key.shape).toEqual([2]);
    expect(k.random.key(0).toArray()).toEqual([0, 0]);
    expect(k.random.key(2 ** 33 + 5).toArray()).toEqual([2, 5]);
    differ(k.random.key(1), k.random.key(2));
    expect(() => k.random.key(1.5)).toThrow(k.ShapeError);
  });

  it('the same key gives the same values; different keys give different values', () => {
    same(k.random.uniform(key, [10]), k.random.uniform(k.random.key(0), [10]));
    same(k.random.normal(key, [10]), k.random.normal(key, [10]));
    differ(k.random.uniform(key, [10]), k.random.uniform(k.random.key(1), [10]));
  });

  it('split gives distinct keys, distinct from the parent', () => {
    const ks = k.random.split(key, 3);
    expect(ks).toHaveLength(3);
    for (const s of ks) {
      expect(s.shape).toEqual([2]);
      expect(s.dtype).toBe('i32');
      differ(s, key);
    }
    differ(ks[0]!, ks[1]!);
    differ(ks[1]!, ks[2]!);
    expect(k.random.split(key)).toHaveLength(2);
    same(k.random.split(key)[1]!, k.random.split(key)[1]!);
    differ(k.random.uniform(ks[0]!, [8]), k.random.uniform(ks[1]!, [8]));
  });

  it('foldIn is deterministic and depends on the data', () => {
    same(k.random.foldIn(key, 7), k.random.foldIn(key, 7));
    differ(k.random.foldIn(key, 1), k.random.foldIn(key, 2));
    differ(k.random.foldIn(key, 1), key);
    expect(k.random.foldIn(key, 3).shape).toEqual([2]);
  });

  it('foldIn does not reproduce keys of other seeds or of split', () => {
    differ(k.random.foldIn(k.random.key(0), 5), k.random.split(k.random.key(5))[0]!);
    differ(k.random.foldIn(key, 0), k.random.split(key)[0]!);
  });

  it('a malformed key is a ShapeError', () => {
    expect(() => k.random.uniform(k.array([1, 2]), [2])).toThrow(/expects a key/);
    expect(() => k.random.bits(k.array([1, 2, 3], { dtype: 'i32' }), [2])).toThrow(k.ShapeError);
  });

  it('bits are i32 words of the requested shape', () => {
    const b = k.random.bits(key, [3, 4]);
    expect(b.dtype).toBe('i32');
    expect(b.shape).toEqual([3, 4]);
    // counter = flat index: the first words do not depend on the shape
    expect((k.random.bits(key, [12]).toArray() as number[]).slice(0, 4)).toEqual((b.toArray() as number[][])[0]);
  });
});

describe('distributions', () => {
  it('uniform: in [0, 1), mean 1/2 and variance 1/12', () => {
    const u = k.random.uniform(key, [N]);
    expect(u.dtype).toBe('f32');
    expect(k.min(u).item()).toBeGreaterThanOrEqual(0);
    expect(k.max(u).item()).toBeLessThan(1);
    // standard error of the mean: sqrt(1/12 / 1e5) = 0.0009
    expect(Math.abs(mean(u) - 0.5)).toBeLessThan(0.01);
    expect(Math.abs(k.var(u).item() - 1 / 12)).toBeLessThan(0.005);
  });

  it('uniform with minval/maxval stays in [minval, maxval)', () => {
    const u = k.random.uniform(k.random.key(3), [N], { minval: -2, maxval: 3 });
    expect(k.min(u).item()).toBeGreaterThanOrEqual(-2);
    expect(k.max(u).item()).toBeLessThan(3);
    expect(Math.abs(mean(u) - 0.5)).toBeLessThan(0.05);
    const d = k.random.uniform(key, [4], { dtype: 'f64' });
    expect(d.dtype).toBe('f64');
    expect(k.random.uniform(key).shape).toEqual([]);
  });

  it('normal: mean 0, std 1; mean and std options shift and scale', () => {
    const z = k.random.normal(k.random.key(1), [N]);
    expect(z.dtype).toBe('f32');
    expect(Math.abs(mean(z))).toBeLessThan(0.02);
    expect(Math.abs(k.std(z).item() - 1)).toBeLessThan(0.02);
    expect(k.isFinite(z).astype('i32').sum().item()).toBe(N);
    // about 68.3% within one standard deviation
    expect(Math.abs(mean(k.less(k.abs(z), 1)) - 0.6827)).toBeLessThan(0.01);
    const y = k.random.normal(k.random.key(1), [N], { mean: 3, std: 2 });
    expect(Math.abs(mean(y) - 3)).toBeLessThan(0.04);
    expect(Math.abs(k.std(y).item() - 2)).toBeLessThan(0.04);
  });

  it('bernoulli: true with probability p', () => {
    const b = k.random.bernoulli(key, 0.3, [N]);
    expect(b.dtype).toBe('bool');
    // standard error sqrt(0.21 / 1e5) = 0.0014
    expect(Math.abs(mean(b) - 0.3)).toBeLessThan(0.01);
    expect(k.random.bernoulli(key, k.array([0, 1, 0, 1])).toArray()).toEqual([false, true, false, true]);
    expect(Math.abs(mean(k.random.bernoulli(k.random.key(9), undefined, [N])) - 0.5)).toBeLessThan(0.01);
  });

  it('categorical: frequencies match softmax(logits)', () => {
    const logits = [0, 1, 2];
    const z = logits.map(Math.exp).reduce((a, b) => a + b);
    const p = logits.map((l) => Math.exp(l) / z); // 0.090, 0.245, 0.665
    const c = k.random.categorical(key, k.broadcastTo(k.array(logits), [N, 3]));
    expect(c.dtype).toBe('i32');
    expect(c.shape).toEqual([N]);
    for (let i = 0; i < 3; i++) expect(Math.abs(mean(k.equal(c, i)) - p[i]!)).toBeLessThan(0.01);
  });

  it('categorical along another axis', () => {
    // column 0 can only pick row 0, column 1 only row 1
    const c = k.random.categorical(key, k.array([[0, -Infinity], [-Infinity, 0], [-Infinity, -Infinity]]), { axis: 0 });
    expect(c.toArray()).toEqual([0, 1]);
    expect(c.shape).toEqual([2]);
  });

  it('randint: integers in [minval, maxval), each value about equally often', () => {
    const r = k.random.randint(key, [N], 3, 7);
    expect(r.dtype).toBe('i32');
    expect(k.min(r).item()).toBe(3);
    expect(k.max(r).item()).toBe(6);
    for (let v = 3; v < 7; v++) expect(Math.abs(mean(k.equal(r, v)) - 0.25)).toBeLessThan(0.01);
  });
});

describe('permutation', () => {
  it('is a permutation of 0..n-1 for several keys, and depends on the key', () => {
    const perms = [0, 1, 2, 3].map((s) => k.random.permutation(k.random.key(s), 20).toArray() as number[]);
    for (const p of perms) expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(new Set(perms.map((p) => p.join(','))).size).toBe(4);
    expect(k.random.permutation(key, 20).dtype).toBe('i32');
  });

  it('is roughly uniform: each value lands first about 1/n of the time', () => {
    const counts = [0, 0, 0, 0];
    for (let s = 0; s < 400; s++) counts[(k.random.permutation(k.random.key(s), 4).toArray() as number[])[0]!]!++;
    // expected 100 each; standard deviation about 8.7
    for (const c of counts) expect(Math.abs(c - 100)).toBeLessThan(40);
  });

  it('of a tensor permutes its first axis', () => {
    const x = k.arange(5).reshape([5, 1]).mul(10);
    const p = k.random.permutation(key, x);
    expect(p.shape).toEqual([5, 1]);
    const flat = (p.toArray() as number[][]).map((r) => r[0]!);
    expect([...flat].sort((a, b) => a - b)).toEqual([0, 10, 20, 30, 40]);
    expect(flat).toEqual((k.random.permutation(key, 5).toArray() as number[]).map((i) => i * 10));
  });
});
