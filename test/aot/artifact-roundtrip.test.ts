// Artifacts built from real functions (an MLP with two entries sharing weights, scan with a
// cond inside, donated inputs, constants with NaN and ±Infinity), loaded and called: the
// results equal k.jit's on the interpreter (the oracle) on the same random inputs.
import { describe, expect, it } from 'vitest';
import * as k from '../../index.ts';
import { entryFromTrace, packageArtifact } from '../../compiler/aot/package.ts';
import { decodeArtifact } from '../../runtime/artifact/format.ts';
import { loadArtifact as loadRaw } from '../../runtime/artifact/load.ts';
import { parseModule } from '../../compiler/ir/parse.ts';
import { useColdCache } from '../backends/helpers.ts';
import { cpuPresent, loss, mlp, mlpArtifact, mlpParams, rand, rng, scanCond, sd, sgd } from './fixtures/artifacts.ts';

useColdCache();
type T = k.Tensor;

describe.runIf(cpuPresent)('artifacts round trip (cpu)', () => {
  const r = rng(7);

  it('an MLP: two entries share the weights (stored once); results equal jit', async () => {
    const params = mlpParams(r);
    const bytes = mlpArtifact(params);
    const dec = decodeArtifact(bytes);
    expect(dec.manifest.weights.map((w) => w.name)).toEqual(['params.W1', 'params.W2', 'params.b1', 'params.b2']);
    expect(dec.manifest.entries.map((e) => e.name)).toEqual(['predict', 'loss']);
    expect(dec.manifest.entries[0]!.inputs.map((i) => `${i.path}:${i.source}`)).toEqual([
      'params.W1:weight', 'params.W2:weight', 'params.b1:weight', 'params.b2:weight', 'x:arg',
    ]);
    // The stored IR parses back, one function per entry.
    expect(parseModule(dec.ir!, 'ir').map((f) => f.name)).toEqual(['predict', 'loss']);

    const m = await k.loadArtifact(bytes);
    for (let trial = 0; trial < 3; trial++) {
      const x = rand(r, [5, 4]), y = rand(r, [5, 3]);
      expect(m.call('predict', [undefined, x]) as T).toBeAllclose(k.jit(mlp)(params, x), { rtol: 1e-5, atol: 1e-5 });
      const got = m.call('loss', { x, y }) as { loss: T; logits: T };
      const want = k.jit(loss)(params, x, y);
      expect(got.loss).toBeAllclose(want.loss, { rtol: 1e-5, atol: 1e-5 });
      expect(got.logits).toBeAllclose(want.logits, { rtol: 1e-5, atol: 1e-5 });
    }
    // The raw loader: host arrays in, results by path.
    const raw = await loadRaw(bytes);
    const x = rand(r, [5, 4]);
    const out = raw.call('predict', { x: x.data() });
    expect(Object.keys(out)).toEqual(['output']);
    expect(k.array(out.output!.data, { shape: [5, 3] })).toBeAllclose(k.jit(mlp)(params, x), { rtol: 1e-5, atol: 1e-5 });
    // The argument tree, weights left out; { dtype, shape, data } with plain numbers.
    const tree = raw.callTree('predict', [null, { dtype: 'f32', shape: [5, 4], data: Array.from(x.data()) }]) as { data: Float32Array };
    expect(Array.from(tree.data)).toEqual(Array.from(out.output!.data));
    // Mistakes name the input's path.
    const bad: [Parameters<typeof raw.call>[1], RegExp][] = [
      [{ x: new Float64Array(20) }, /input 'x' is a Float64Array, expected a Float32Array for f32\[5,4\]/],
      [{ x: new Float32Array(21) }, /input 'x' has 21 elements, expected 20 for f32\[5,4\]/],
      [{ x: x.data(), 'params.W1': new Float32Array(32) }, /input 'params\.W1' is bound to the artifact's weight 'params\.W1'; leave it out/],
      [{}, /missing input 'x' \(f32\[5,4\]\)/],
      [[{ W3: 1 }, x.data()], /0: unexpected key W3 \(keys: W1, W2, b1, b2\)/],
      [[null, x.data(), x.data()], /expected at most 2 elements, got 3/],
    ];
    for (const [inputs, msg] of bad) {
      const err = (() => {
        try {
          raw.call('predict', inputs);
        } catch (e) {
          return e;
        }
      })();
      expect(err, String(msg)).toBeInstanceOf(k.ArtifactError);
      expect((err as k.ArtifactError).code).toBe('bad-input');
      expect((err as Error).message).toMatch(msg);
    }
    // After dispose, calls fail with a message instead of touching freed resources.
    m.dispose();
    expect(() => m.call('predict', [undefined, x])).toThrow(/cannot call 'predict': the artifact was disposed/);
    raw.dispose();
    raw.dispose();
    expect(() => raw.call('predict', { x: x.data() })).toThrow(k.ArtifactError);
  });

  it('scan with a cond in its body', async () => {
    const bytes = packageArtifact({ target: 'cpu', entries: [entryFromTrace('scanCond', k.makeIR(scanCond)(sd([3]), sd([6, 3])), { argNames: ['init', 'xs'] })] });
    const m = await k.loadArtifact(bytes);
    for (let trial = 0; trial < 3; trial++) {
      const init = rand(r, [3]), xs = rand(r, [6, 3]);
      const [c, ys] = m.fn('scanCond')(init, xs) as [T, T];
      const [wc, wys] = k.jit(scanCond)(init, xs);
      expect(c).toBeAllclose(wc, { rtol: 1e-5, atol: 1e-5 });
      expect(ys).toBeAllclose(wys, { rtol: 1e-5, atol: 1e-5 });
    }
  });

  it('donated inputs: the step may reuse the buffer; results are right and never alias inputs', async () => {
    const bytes = packageArtifact({ target: 'cpu', entries: [entryFromTrace('sgd', k.makeIR(sgd)(sd([64]), sd([64])), { argNames: ['w', 'g'], donateArgnums: [0] })] });
    expect(decodeArtifact(bytes).manifest.entries[0]!.inputs.map((i) => i.donated)).toEqual([true, false]);
    const raw = await loadRaw(bytes);
    const w = rand(r, [64]), g = rand(r, [64]);
    const want = k.jit(sgd)(w, g);
    const wd = w.data(), gd = g.data();
    const out = raw.call('sgd', { w: wd, g: gd }).output!;
    expect(k.array(out.data, { shape: [64] })).toBeAllclose(want, { rtol: 1e-6 });
    expect(out.data).not.toBe(wd);
    // The same array as both arguments: the donated one is copied before it is overwritten.
    const both = raw.call('sgd', { w: gd, g: gd }).output!;
    expect(k.array(both.data, { shape: [64] })).toBeAllclose(k.jit(sgd)(g, g), { rtol: 1e-6 });
    expect(Array.from(gd)).toEqual(Array.from(g.data()));
  });

  it('constants with NaN and ±Infinity survive the manifest', async () => {
    const c = k.array(Float32Array.from({ length: 40 }, (_, i) => (i % 5 === 0 ? NaN : i % 7 === 0 ? Infinity : i % 11 === 0 ? -Infinity : i * 0.5)));
    const f = (x: T) => k.where(k.isNaN(c), x, k.minimum(c, x.mul(100)));
    const bytes = packageArtifact({ target: 'cpu', entries: [entryFromTrace('f', k.makeIR(f)(sd([40])), { argNames: ['x'] })] });
    const m = await k.loadArtifact(bytes);
    const x = rand(r, [40]);
    expect(m.call('f', [x]) as T).toBeAllclose(k.jit(f)(x), { equalNan: true });
  });
});
