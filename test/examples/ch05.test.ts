// Runs the chapter-5 examples as a user would (`npx tsx examples/ch05/<name>.ts`) and checks
// that they succeed and print the key values of their sections. The scripts inherit the
// suite's KILN_BACKEND (interp by default); devices.ts also uses the compiled CPU device when
// present, so compiled kernels go to a temporary cache folder.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { after as afterLabel, runExample as run } from './run.ts';

const TIMEOUT_MS = 60_000;
const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-ch05-cache-'));

afterAll(() => fs.rmSync(cacheDir, { recursive: true, force: true }));

const runExample = (name: string) => run(`ch05/${name}.ts`, { timeoutMs: TIMEOUT_MS, env: { KILN_CACHE_DIR: cacheDir } });

/** ch05 prints module structures too: a block also holds `)` and word lines, up to the next `label: value`. */
const after = (out: string, label: string) =>
  afterLabel(out, label, (l) => /^[[\s)A-Za-z]/.test(l) && !/^[A-Za-z|].*: /.test(l) && l !== '');

const numbers = (s: string) => (s.match(/-?\d+(\.\d*)?(e[-+]\d+)?/g) ?? []).map(Number);

// Each test spawns one script; allow it the full spawn timeout plus a margin.
describe('examples/ch05', { timeout: TIMEOUT_MS + 10_000 }, () => {
  it('layers-and-modules.ts (5.1)', () => {
    const out = runExample('layers-and-modules');
    expect(after(out, 'Sequential output shape')).toBe('[2,10]');
    expect(after(out, 'Sequential parameter paths')).toBe('["0.weight","0.bias","2.weight","2.bias"]');
    expect(after(out, 'MLP output shape')).toBe('[2,10]');
    expect(numbers(after(out, 'MLP output row 0 (first 4)'))).toHaveLength(4);
    expect(after(out, 'MLP parameter paths')).toBe('["hidden.weight","hidden.bias","out.weight","out.bias"]');
    expect(after(out, 'MLP parameter count')).toBe(String(20 * 256 + 256 + 256 * 10 + 10));
    expect(after(out, 'MySequential output shape')).toBe('[2,10]');
    expect(after(out, 'MySequential parameter paths')).toBe('["0.weight","0.bias","2.weight","2.bias"]');
    expect(after(out, 'MySequential == Sequential with the same parameters')).toBe('true');
    // The loop halves until the L1 norm is at most 1, and the result is summed: |output| <= 1.
    expect(Math.abs(Number(after(out, 'FixedHiddenMLP output')))).toBeLessThanOrEqual(1);
    expect(after(out, 'FixedHiddenMLP output shape')).toBe('[]');
    expect(after(out, 'FixedHiddenMLP parameter paths (the constant is not one)')).toBe('["linear.weight","linear.bias"]');
    expect(after(out, 'FixedHiddenMLP gradient tree keys')).toBe('["linear"]');
    expect(after(out, 'gradient of linear.weight has shape')).toBe('[20,20]');
    expect(Math.abs(Number(after(out, 'chimera output')))).toBeLessThanOrEqual(1);
    expect(after(out, 'chimera output shape')).toBe('[]');
    const structure = after(out, 'chimera structure');
    expect(structure).toContain('(0): NestMLP(');
    expect(structure).toContain('(net): Sequential(');
    expect(structure).toContain('(2): FixedHiddenMLP(');
    expect(after(out, 'chimera parameter paths')).toBe(
      '["0.net.0.weight","0.net.0.bias","0.net.2.weight","0.net.2.bias","0.linear.weight","0.linear.bias","1.weight","1.bias","2.linear.weight","2.linear.bias"]',
    );
    expect(after(out, 'chimera parameter count')).toBe(String(20 * 64 + 64 + 64 * 32 + 32 + 32 * 16 + 16 + 16 * 20 + 20 + 20 * 20 + 20));
  });

  it('parameters.ts (5.2)', () => {
    const out = runExample('parameters');
    expect(after(out, 'net(X) shape')).toBe('[2,1]');
    expect(after(out, 'params of layer 2')).toBe('["weight f32[1,8]","bias f32[1]"]');
    expect(numbers(after(out, '2.bias'))).toHaveLength(1);
    expect(after(out, '2.bias is a Tensor')).toBe('true');
    expect(after(out, '2.bias dtype, shape')).toBe('f32 [1]');
    expect(after(out, 'gradient tree keys')).toBe('["0","2"]');
    expect(after(out, 'gradient of 2.weight shape')).toBe('[1,8]');
    expect(after(out, 'gradient of 2.bias == 2 * sum(net(X))')).toBe('true');
    expect(after(out, 'param 0.weight')).toBe('f32[8,4]');
    expect(after(out, 'param 2.bias')).toBe('f32[1]');
    expect(after(out, 'parameter count')).toBe('49');
    expect(after(out, 'rgnet(X) shape')).toBe('[2,1]');
    expect(numbers(after(out, 'rgnet 0.1.0.bias (block 1, first layer)'))).toHaveLength(8);
    expect(after(out, 'rgnet parameter count')).toBe(String(4 * (4 * 8 + 8 + 8 * 4 + 4) + 4 + 1));
    // Initialisation.
    expect(after(out, 'normal(0.01): 0.bias')).toBe('[0. 0. 0. 0. 0. 0. 0. 0.]');
    expect(after(out, 'normal(0.01): every |w| < 0.05')).toBe('true');
    expect(after(out, 'constant(1): 0.weight row 0')).toBe('[1. 1. 1. 1.]');
    expect(after(out, 'xavier: every |w| <= sqrt(6 / (4 + 8)) = 0.7071')).toBe('true');
    expect(after(out, 'constant(42): 2.weight')).toBe('[[42. 42. 42. 42. 42. 42. 42. 42.]]');
    expect(after(out, 'init 0.weight')).toBe('[8,4]');
    expect(after(out, 'init 2.weight')).toBe('[1,8]');
    const custom = numbers(after(out, 'custom: 0.weight'));
    expect(custom).toHaveLength(32);
    for (const v of custom) expect(v === 0 || Math.abs(v) >= 5).toBe(true);
    expect(after(out, 'custom: every entry is 0 or has |w| >= 5')).toBe('true');
    expect(numbers(after(out, 'set: 0.weight row 0 after +1 and [0, 0] = 42'))[0]).toBe(42);
    // Tied parameters.
    expect(after(out, 'tied net(X) shape')).toBe('[2,1]');
    expect(after(out, 'tied parameter paths')).toBe('["0.weight","0.bias","2.weight","2.bias","6.weight","6.bias"]');
    expect(after(out, 'tied: 2.weight is 4.weight (the same tensor)')).toBe('true');
    expect(after(out, 'tied: 2.weight[0] == 4.weight[0]')).toBe('true');
    expect(after(out, 'same loss tied and untied')).toBe('true');
    expect(after(out, 'tied gradient keys')).toBe('["0","2","6"]');
    expect(after(out, 'tied grad of 2.weight == untied grad 2.weight + grad 4.weight')).toBe('true');
    expect(after(out, 'tied grad of 2.weight != untied grad of 2.weight alone')).toBe('true');
    expect(after(out, 'tied grad of 2.bias == untied grad 2.bias + grad 4.bias')).toBe('true');
    expect(after(out, 'after update: 2.weight changed')).toBe('true');
    expect(after(out, 'after update: 2.weight is 4.weight')).toBe('true');
    expect(after(out, 'after update: 2.weight == 4.weight')).toBe('true');
  });

  it('deferred-init.ts (5.3)', () => {
    const out = runExample('deferred-init');
    expect(after(out, 'initialized before the first call')).toBe('false');
    expect(after(out, 'structure before the first call')).toContain('(0): LazyLinear(in=?, out=256, bias=true)');
    expect(after(out, 'reading 0.weight before the first call')).toMatch(/^ModuleError: parameter '0\.weight' of LazyLinear is not initialised yet/);
    expect(after(out, 'output shape')).toBe('[2,10]');
    expect(after(out, 'initialized after the first call')).toBe('true');
    expect(after(out, 'param 0.weight')).toBe('[256,20]');
    expect(after(out, 'param 0.bias')).toBe('[256]');
    expect(after(out, 'param 2.weight')).toBe('[10,256]');
    expect(after(out, 'param 2.bias')).toBe('[10]');
    expect(after(out, 'structure after the first call')).toContain('(2): LazyLinear(in=256, out=10, bias=true)');
    expect(after(out, 'parameter count')).toBe(String(20 * 256 + 256 + 256 * 10 + 10));
    expect(after(out, 'output shape for a batch of 5')).toBe('[5,10]');
    expect(after(out, 'calling with 7 features')).toMatch(/^ShapeError: matmul: inner dimensions differ/);
    expect(after(out, 'initialize: param 0.weight')).toBe('[64,12]');
    expect(after(out, 'initialize: param 2.weight')).toBe('[3,64]');
    expect(after(out, 'custom init output')).toBe('[[1.5 1.5 1.5 1.5]]');
    expect(after(out, 'custom init weight shape')).toBe('[4,3]');
  });

  it('custom-layers.ts (5.4)', () => {
    const out = runExample('custom-layers');
    expect(after(out, 'CenteredLayer([1, 2, 3, 4, 5])')).toBe('[-2. -1.  0.  1.  2.]');
    expect(after(out, 'CenteredLayer parameter count')).toBe('0');
    expect(after(out, 'centred network output shape')).toBe('[4,128]');
    expect(after(out, '|mean of the centred output| < 1e-6')).toBe('true');
    expect(after(out, 'MyLinear parameter paths')).toBe('["weight","bias"]');
    expect(after(out, 'MyLinear weight shape')).toBe('[5,3]');
    expect(numbers(after(out, 'MyLinear weight'))).toHaveLength(15);
    expect(after(out, 'MyLinear parameter count')).toBe('18');
    const y = numbers(after(out, 'MyLinear(X)'));
    expect(y).toHaveLength(6);
    for (const v of y) expect(v).toBeGreaterThanOrEqual(0); // after the ReLU
    expect(after(out, 'MyLinear(X) == relu(X @ weight + bias)')).toBe('true');
    expect(after(out, 'Sequential of MyLinear output shape')).toBe('[2,1]');
    expect(after(out, 'Sequential of MyLinear parameter paths')).toBe('["0.weight","0.bias","1.weight","1.bias"]');
    expect(after(out, 'Sequential of MyLinear parameter count')).toBe(String(64 * 8 + 8 + 8 + 1));
    expect(after(out, 'gradient of 0.weight shape')).toBe('[64,8]');
    expect(after(out, 'gradient of 1.bias shape')).toBe('[1]');
    expect(after(out, 'mixed network structure')).toContain('(0): MyLinear(in=5, units=16)\n  (1): CenteredLayer()');
    expect(after(out, 'mixed network output shape')).toBe('[2,2]');
    expect(after(out, 'mixed network parameter paths')).toBe('["0.weight","0.bias","2.weight","2.bias"]');
  });

  it('file-io.ts (5.5)', () => {
    const out = runExample('file-io');
    expect(after(out, 'loaded x')).toBe('[0. 1. 2. 3.]');
    expect(after(out, 'loaded x equals x')).toBe('true');
    expect(after(out, 'loaded x dtype, shape')).toBe('f32 [4]');
    expect(after(out, 'loaded list')).toBe('[[0. 1. 2. 3.], [0. 0. 0. 0.]]');
    expect(after(out, 'loaded list equals [x, y]')).toBe('true');
    expect(after(out, 'loaded dict keys')).toBe('["x","y"]');
    expect(after(out, 'loaded dict equals {x, y}')).toBe('true');
    // 7946 f32 parameters, plus the 8-byte length and the JSON header.
    const size = Number(after(out, 'mlp.params file size (bytes)'));
    expect(size).toBeGreaterThan(7946 * 4);
    expect(size).toBeLessThan(7946 * 4 + 1024);
    expect(JSON.parse(after(out, 'stored tensors')).sort()).toEqual(
      ['hidden.bias f32[256]', 'hidden.weight f32[256,20]', 'output.bias f32[10]', 'output.weight f32[10,256]'],
    );
    expect(after(out, 'fresh clone matches the original before loading')).toBe('false');
    expect(after(out, 'every parameter equal after loading')).toBe('true');
    expect(after(out, 'clone(X) == net(X)')).toBe('true');
    expect(after(out, 'loading into a wider MLP')).toMatch(
      /^SafetensorsError: <tmp>\/mlp\.params\.safetensors: cannot load into the model: tensor 'hidden\.weight': the file has f32\[256, 20\], the model expects f32\[512, 20\]/,
    );
  });

  it('devices.ts (5.6)', () => {
    const out = runExample('devices');
    const devices = JSON.parse(after(out, 'devices')) as string[];
    expect(devices).toContain('interp:0');
    expect(devices[devices.length - 1]).toBe('interp:0'); // best first, the interpreter last
    const def = after(out, 'default device');
    expect(devices).toContain(def);
    expect(after(out, 'the interpreter')).toBe('interp:0');
    expect(after(out, 'number of GPUs')).toBe(String(devices.filter((d) => !/^(cpu|interp):/.test(d)).length));
    expect(after(out, "k.device('cuda:7')")).toMatch(/^KilnError: device 'cuda:7' is not present \(present: /);
    expect(after(out, 'x.device (default)')).toBe(def);
    expect(after(out, 'X.device')).toBe(devices[0]);
    expect(after(out, 'copies on')).toBe(JSON.stringify(devices));
    expect(after(out, 'X + X device')).toBe(devices[0]);
    expect(after(out, '(X + ones) device')).toBe(devices[0]);
    if (devices.length > 1) {
      const [d0, d1] = devices;
      expect(after(out, `mixing ${d0} and ${d1}`)).toBe(
        `DeviceMismatchError: add: operands live on different devices (f32[2,3] on ${d0}, f32[2,3] on ${d1}); move them with x.to(device) first`,
      );
      expect(after(out, 'is a DeviceMismatchError')).toBe('true');
      expect(after(out, `a + b.to(${d0})`)).toBe('[[2. 2. 2.]\n [2. 2. 2.]]');
    }
    for (const d of devices) {
      expect(numbers(after(out, `net(X) on ${d}`))).toHaveLength(5);
      expect(after(out, `net(X) on ${d}: output device, weight device`)).toBe(`${d}, ${d}`);
      expect(numbers(after(out, `row sums of X Xᵀ on ${d}`))).toHaveLength(5);
    }
    expect(after(out, `results agree on all ${devices.length} devices`)).toBe('true');
  });
});
