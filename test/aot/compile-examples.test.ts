// Every entry of the book's example model files (chapters 3-5), compiled ahead of time with
// `kiln compile` and run from the artifact with `kiln run` (inputs and outputs as safetensors
// files written and read by k.io), equals k.jit of the same function on the same inputs; the
// chapter 4 MLP also compiled for vulkan and run on the Vulkan device, where one opens.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as k from '../../index.ts';
import { cpuPresent } from '../backends/helpers.ts';
import { vulkanPresent } from '../../dsl/vulkan-backend.ts';
import * as ch03 from '../../examples/ch03/models.ts';
import * as ch04 from '../../examples/ch04/mlp-model.ts';
import * as ch05 from '../../examples/ch05/models.ts';
import { byPath, kiln, REPO } from './compile-helpers.ts';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-aot-examples-'));
const cacheBefore = process.env.KILN_CACHE_DIR;
process.env.KILN_CACHE_DIR = path.join(work, 'kernels');
afterAll(() => {
  if (cacheBefore === undefined) delete process.env.KILN_CACHE_DIR;
  else process.env.KILN_CACHE_DIR = cacheBefore;
  fs.rmSync(work, { recursive: true, force: true });
});

const vulkan = vulkanPresent();
if (!vulkan) console.warn('skipping kiln compile --target vulkan: no Vulkan device opens here');
const model = (rel: string) => path.relative(process.cwd(), path.join(REPO, rel));
type T = k.Tensor;
type Fn = (...args: never[]) => unknown;

/** One entry: its function and its arguments by parameter name (statics take their defaults). */
interface EntryCase {
  readonly name: string;
  readonly fn: Fn;
  readonly args: Record<string, unknown>;
  /** Arguments bound to the artifact's weights (left out of the inputs file). */
  readonly bound?: readonly string[];
}

let seed = 0;
const normal = (shape: number[], std = 1): T => k.random.normal(k.random.key(++seed), shape).mul(std);
const labels = (n: number): T => k.random.randint(k.random.key(++seed), [n], 0, 10);
const images = (n: number): T => k.random.uniform(k.random.key(++seed), [n, 1, 28, 28]);

/** Compiles `entries` of `file`, runs each from the artifact and compares with k.jit. */
async function compileRunCompare(file: string, entries: readonly EntryCase[], args: string, weights?: Record<string, T>, target = 'cpu'): Promise<void> {
  const out = path.join(work, `${path.basename(file, '.ts')}${target === 'cpu' ? '' : `-${target}`}.kiln`);
  const flags = ['--args', args, '--target', target];
  if (weights) {
    const wfile = path.join(work, `${path.basename(file, '.ts')}.weights.safetensors`);
    k.io.save(wfile, weights);
    flags.push('--weights', wfile);
  }
  const c = await kiln(['compile', file, '--entry', entries.map((e) => e.name).join(','), ...flags, '-o', out]);
  expect(c.stderr).toBe('');
  expect(c.code).toBe(0);
  expect(c.stdout).toMatch(new RegExp(`^wrote ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(${target}; ${entries.length} entr`));
  for (const e of entries) {
    const given = Object.fromEntries(Object.entries(e.args).filter(([n]) => !e.bound?.includes(n)));
    const inputs = byPath(given);
    const argv = ['run', out, '--entry', e.name, '--outputs', path.join(work, `${e.name}.out.safetensors`)];
    if (Object.keys(inputs).length) {
      k.io.save(path.join(work, `${e.name}.in.safetensors`), inputs);
      argv.push('--inputs', path.join(work, `${e.name}.in.safetensors`));
    }
    const r = await kiln(argv);
    expect(r.stderr, e.name).toBe('');
    expect(r.code).toBe(0);
    const got = k.io.loadFlat(path.join(work, `${e.name}.out.safetensors`));
    const want = byPath(k.jit(e.fn as (...a: unknown[]) => unknown)(...Object.values(e.args)));
    expect(Object.keys(got).sort(), e.name).toEqual(Object.keys(want).sort());
    for (const [p, w] of Object.entries(want)) {
      expect(got[p]!.dtype, `${e.name} ${p}`).toBe(w.dtype);
      expect(got[p], `${e.name} ${p}`).toBeAllclose(w, { rtol: 1e-4, atol: 1e-5 });
    }
  }
}

describe.runIf(cpuPresent)('kiln compile + kiln run equal k.jit on the example models', { timeout: 300_000 }, () => {
  it('chapter 3: linear and softmax regression (parameters as arguments)', async () => {
    const lin = { w: normal([2, 1]), b: normal([1]) };
    const x = normal([8, 2]), y = normal([8, 1]);
    const soft = { W: normal([784, 10], 0.01), b: normal([10], 0.1) };
    const imgs = images(8), ys = labels(8);
    await compileRunCompare(
      model('examples/ch03/models.ts'),
      [
        { name: 'linreg', fn: ch03.linreg, args: { params: lin, x } },
        { name: 'linregLoss', fn: ch03.linregLoss, args: { params: lin, x, y } },
        { name: 'linregTrainStep', fn: ch03.linregTrainStep, args: { params: lin, x, y } },
        { name: 'softmaxPredict', fn: ch03.softmaxPredict, args: { params: soft, x: imgs } },
        { name: 'softmaxTrainStep', fn: ch03.softmaxTrainStep, args: { params: soft, x: imgs, y: ys } },
      ],
      'linreg.x=[8,2],linregLoss.x=[8,2],linregLoss.y=[8,1],linregTrainStep.x=[8,2],linregTrainStep.y=[8,1],' +
        'softmaxPredict.x=[8,1,28,28],softmaxTrainStep.x=[8,1,28,28],softmaxTrainStep.y=[8]',
    );
  });

  it('chapter 4: the MLP and the dropout MLP (init, predict, training steps; weights shared)', async () => {
    const mlp = ch04.init(k.random.key(3) as ch04.Key);
    const drop = { W1: normal([784, 256], 0.05), b1: normal([256], 0.1), W2: normal([256, 256], 0.05), b2: normal([256], 0.1), W3: normal([256, 10], 0.05), b3: normal([10], 0.1) };
    const x = images(8), y = labels(8), key = k.random.key(11) as ch04.Key;
    // The MLP's parameters come from the weights file (the parameter `params` as a whole); the
    // dropout MLP's are arguments (their names, W3 and b3, are not all in the file).
    await compileRunCompare(
      model('examples/ch04/mlp-model.ts'),
      [
        { name: 'init', fn: ch04.init, args: { key } },
        { name: 'predict', fn: ch04.predict, args: { params: mlp, x }, bound: ['params'] },
        { name: 'numCorrect', fn: ch04.numCorrect, args: { params: mlp, x, y }, bound: ['params'] },
        { name: 'trainStep', fn: ch04.trainStep, args: { params: mlp, x, y }, bound: ['params'] },
        { name: 'dropoutPredict', fn: ch04.dropoutPredict, args: { params: drop, x } },
        { name: 'dropoutTrainStep', fn: ch04.dropoutTrainStep, args: { params: drop, x, y, key } },
      ],
      'x=[8,1,28,28],y=[8]',
      mlp as unknown as Record<string, T>,
    );
  });

  it('chapter 5: an nn.Module applied to weights saved by k.io, and a custom layer', async () => {
    const params = {
      hidden: { weight: normal([256, 20], 0.2), bias: normal([256], 0.1) },
      output: { weight: normal([10, 256], 0.1), bias: normal([10], 0.1) },
    };
    await compileRunCompare(
      model('examples/ch05/models.ts'),
      [
        { name: 'mlp', fn: ch05.mlp, args: { params, x: normal([3, 20]) }, bound: ['params'] },
        { name: 'centered', fn: ch05.centered, args: { x: normal([4, 8]) } },
      ],
      'mlp.x=[3,20],centered.x=[4,8]',
      byPath(params),
    );
  });

  it.runIf(vulkan)('vulkan: the MLP of chapter 4 (predict, a training step; weights bound) on the Vulkan device', async () => {
    const mlp = ch04.init(k.random.key(5) as ch04.Key);
    const x = images(8), y = labels(8);
    await compileRunCompare(
      model('examples/ch04/mlp-model.ts'),
      [
        { name: 'predict', fn: ch04.predict, args: { params: mlp, x }, bound: ['params'] },
        { name: 'trainStep', fn: ch04.trainStep, args: { params: mlp, x, y }, bound: ['params'] },
      ],
      'x=[8,1,28,28],y=[8]',
      mlp as unknown as Record<string, T>,
      'vulkan',
    );
  });

  it('kiln ir reads the artifact: the stored IR is the trace of the model file, and runs through the stages', async () => {
    const art = path.join(work, 'mlp-model.kiln');
    expect(fs.existsSync(art)).toBe(true);
    const fromModel = await kiln(['ir', model('examples/ch04/mlp-model.ts'), '-e', 'dropoutPredict', '-a', 'x=[8,1,28,28]']);
    const fromArtifact = await kiln(['ir', art, '-e', 'dropoutPredict']);
    expect(fromArtifact.stderr).toBe('');
    expect(fromArtifact.stdout).toBe(fromModel.stdout);
    const opt = await kiln(['ir', art, '-e', 'predict', '--stage', 'fused']);
    expect(opt.code).toBe(0);
    expect(opt.stdout).toMatch(/matmul/);
    const missing = await kiln(['ir', art, '-e', 'predictt']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/has no entry 'predictt'; did you mean predict/);
    const inspect = await kiln(['inspect', art]);
    expect(inspect.stdout).toMatch(/params\.W1 +f32\[784,256\] +weight W1/);
  });
});
