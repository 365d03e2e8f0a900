// A trained model compiled ahead of time: the chapter-4 MLP trained briefly on Fashion-MNIST in
// this process (k.jit on the CPU), its weights saved with k.io, `predict` compiled with them
// bound, then run from the artifact by `kiln run` in a fresh node process (the runtime loader,
// no compiler) on the test set: the same test accuracy as in-process jit, the same logits.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as k from '../../index.ts';
import { cpuPresent } from '../backends/helpers.ts';
import * as mlp from '../../examples/ch04/mlp-model.ts';
import { kiln, REPO } from './compile-helpers.ts';

/** Fashion-MNIST where the loader finds it (never downloaded here), else undefined. */
const fashion = (() => {
  const offline = process.env.KILN_OFFLINE;
  process.env.KILN_OFFLINE = '1';
  try {
    return k.data.loadFashionMnist();
  } catch {
    return undefined;
  } finally {
    if (offline === undefined) delete process.env.KILN_OFFLINE;
    else process.env.KILN_OFFLINE = offline;
  }
})();

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-aot-trained-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** Runs the CLI in a fresh node process, as a user would. */
function spawnKiln(args: readonly string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(REPO, 'bin/kiln.js'), ...args], { cwd: REPO, env: { ...process.env, ...env } });
    let stdout = '', stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const accuracy = (logits: k.Tensor, y: k.Tensor) => k.metrics.numCorrect(logits, y).item() / y.shape[0]!;

describe.runIf(cpuPresent && fashion !== undefined)('a trained MLP, compiled with its weights, run from the artifact', { timeout: 180_000 }, () => {
  it('reproduces the in-process test accuracy in a fresh process', async () => {
    const cache = path.join(work, 'kernels');
    const before = process.env.KILN_CACHE_DIR;
    process.env.KILN_CACHE_DIR = cache;
    try {
      const data = fashion!;
      const cpu = k.device('cpu');
      // Train: 2 epochs over the training set, batches of 256, lr 0.1 (about 0.79 test accuracy).
      const step = k.jit(mlp.trainStep, { staticArgnums: [3], donateArgnums: [0], device: cpu });
      let params = mlp.init(k.random.key(0).to(cpu) as mlp.Key);
      const loader = data.trainLoader(256, { key: k.random.key(1) });
      for (let epoch = 0; epoch < 2; epoch++) {
        for (const [x, y] of loader.epoch(epoch)) params = step(params, x.to(cpu) as mlp.Images, y.to(cpu) as mlp.Labels, 0.1).params;
      }
      // In process: the test accuracy of jit(predict).
      const testX = k.array(data.test.images.data, { shape: data.test.images.shape, dtype: 'f32' });
      const testY = k.array(data.test.labels.data, { shape: data.test.labels.shape, dtype: 'i32' });
      const m = testY.shape[0]!;
      const logits = k.jit(mlp.predict, { device: cpu })(params, testX.to(cpu) as mlp.Images);
      const acc = accuracy(logits, testY.to(cpu));
      expect(acc, `test accuracy ${acc}`).toBeGreaterThan(0.75);

      // Ahead of time: weights saved with k.io, predict compiled with them bound.
      const weights = path.join(work, 'mlp.safetensors');
      k.io.save(weights, params as unknown as Record<string, k.Tensor>);
      const art = path.join(work, 'mlp.kiln');
      const c = await kiln(['compile', path.relative(process.cwd(), path.join(REPO, 'examples/ch04/mlp-model.ts')), '-e', 'predict', '-w', weights, '-a', `x=[${m},1,28,28]`, '-o', art]);
      expect(c.stderr).toBe('');
      expect(c.stdout).toContain('weights: params.W1 = W1, params.W2 = W2, params.b1 = b1, params.b2 = b2');

      // A fresh node process runs it: only the test images go in.
      k.io.save(path.join(work, 'x.safetensors'), { x: testX });
      const r = await spawnKiln(['run', art, '-e', 'predict', '-i', path.join(work, 'x.safetensors'), '-o', path.join(work, 'logits.safetensors')], { KILN_CACHE_DIR: cache });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const fromArtifact = k.io.loadFlat(path.join(work, 'logits.safetensors')).output!;
      expect(fromArtifact.shape).toEqual([m, 10]);
      expect(accuracy(fromArtifact, testY)).toBe(acc);
      expect(fromArtifact).toBeAllclose(logits.to(k.defaultDevice()), { rtol: 1e-5, atol: 1e-5 });
    } finally {
      if (before === undefined) delete process.env.KILN_CACHE_DIR;
      else process.env.KILN_CACHE_DIR = before;
    }
  });
});
