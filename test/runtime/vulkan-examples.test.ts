// The short training runs of chapters 3 and 4 on the vulkan backend (KILN_BACKEND=vulkan;
// lavapipe in CI), as a user runs them: the regression recovers w and b, the classifiers'
// loss falls and their accuracy beats a floor. Skipped where no Vulkan device opens, or
// Fashion-MNIST is absent (the classifiers).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { vulkanPresent } from '../../dsl/vulkan-backend.ts';
import { REPO_ROOT } from '../examples/run.ts';

const TIMEOUT_MS = 120_000;
const present = vulkanPresent();
const fmnistDir = process.env.KILN_FASHION_MNIST_DIR || '/usr/share/datasets/fashion-mnist';
const haveFmnist = fs.existsSync(path.join(fmnistDir, 'train-images-idx3-ubyte.gz')) || fs.existsSync(path.join(fmnistDir, 'train-images-idx3-ubyte'));
if (!present) console.warn('skipping the examples on vulkan: no Vulkan device opens here');
else if (!haveFmnist) console.warn(`skipping the Fashion-MNIST examples on vulkan: ${fmnistDir} is absent`);

const out = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-vulkan-examples-'));
afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

function run(script: string, args: readonly string[] = []): string {
  const r = spawnSync('npx', ['tsx', `examples/${script}`, ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: TIMEOUT_MS,
    env: { ...process.env, KILN_BACKEND: 'vulkan' },
  });
  if (r.error) throw r.error;
  expect(r.status, `${script} exited with ${r.status}\nstderr:\n${r.stderr}`).toBe(0);
  return r.stdout;
}

const nums = (s: string) => (s.match(/-?\d+(\.\d*)?(e[-+]\d+)?/g) ?? []).map(Number);

describe.runIf(present)('examples on the vulkan backend', { timeout: TIMEOUT_MS + 10_000 }, () => {
  it('ch03 linear-regression-scratch.ts recovers w = [2, -3.4] and b = 4.2', () => {
    const o = run('ch03/linear-regression-scratch.ts');
    const losses = [...o.matchAll(/^epoch \d+, loss (\S+)$/gm)].map((m) => Number(m[1]));
    expect(losses).toHaveLength(3);
    expect(losses[2]!).toBeLessThan(1e-3);
    for (const e of nums(o.split('error in estimating w:')[1]!.split('\n')[0]!)) expect(Math.abs(e)).toBeLessThan(0.01);
  });

  it.runIf(haveFmnist)('ch03 softmax-regression-concise.ts and ch04 mlp-concise.ts learn (loss falls, accuracy above a floor)', () => {
    for (const [script, args, floor] of [
      ['ch03/softmax-regression-concise.ts', ['--epochs', '2', '--subset', '10000', '--out', out], 0.6],
      ['ch04/mlp-concise.ts', ['--epochs', '2', '--subset', '2000', '--out', out], 0.3],
    ] as const) {
      const o = run(script, args);
      expect(o).toMatch(/vulkan:0/);
      const losses = [...o.matchAll(/^epoch \d+(?:\/\d+)?: (?:train )?loss ([\d.]+)/gm)].map((m) => Number(m[1]));
      expect(losses, o).toHaveLength(2);
      expect(losses[1]!, `${script}: loss falls`).toBeLessThan(losses[0]!);
      const acc = [...o.matchAll(/test acc ([\d.]+)/g)].map((m) => Number(m[1]));
      expect(acc.at(-1)!, `${script}: test accuracy`).toBeGreaterThan(floor);
    }
  });
});
