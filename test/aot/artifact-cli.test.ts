// `kiln run` and `kiln inspect` through the CLI's main (in process, output captured): results
// equal k.jit's, errors are one line `kiln run: ...` with exit status 1 and no stack.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as k from '../../index.ts';
import { entryFromTrace, packageArtifact, writeArtifact } from '../../compiler/aot/package.ts';
import type { Io } from '../../cli/command.ts';
import { main } from '../../cli/main.ts';
import { useColdCache } from '../backends/helpers.ts';
import { cpuPresent, loss, mlp, mlpArtifact, mlpParams, rand, rng, sd, sgd } from './fixtures/artifacts.ts';

useColdCache();

async function kiln(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: Io = { out: (t) => (stdout += t), err: (t) => (stderr += t), readStdin: async () => '' };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

const STACK_LINE = /^\s+at .+:\d+:\d+\)?$/m;
const dir = mkdtempSync(path.join(tmpdir(), 'kiln-artifact-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string) => path.join(dir, name);

describe.runIf(cpuPresent)('kiln run and kiln inspect', () => {
  const r = rng(5);
  const params = mlpParams(r);
  const art = file('mlp.kiln');
  // In beforeAll, after useColdCache has pointed KILN_CACHE_DIR at a fresh folder.
  beforeAll(() => writeArtifact(art, mlpArtifact(params)));

  it('kiln run writes the results of an entry to safetensors; they equal jit', async () => {
    const x = rand(r, [5, 4]), y = rand(r, [5, 3]);
    k.io.save(file('in.safetensors'), { x, y });
    const res = await kiln(['run', art, '--entry', 'loss', '--inputs', file('in.safetensors'), '--outputs', file('out.safetensors')]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toBe(`wrote 2 outputs of loss to ${file('out.safetensors')}: logits f32[5,3], loss f32[]\n`);
    const out = k.io.loadFile(file('out.safetensors')).tensors;
    const want = k.jit(loss)(params, x, y);
    expect(out.logits!).toBeAllclose(want.logits, { rtol: 1e-5, atol: 1e-5 });
    expect(out.loss!).toBeAllclose(want.loss, { rtol: 1e-5, atol: 1e-5 });
    // Without --outputs the results are printed.
    k.io.save(file('x.safetensors'), { x });
    const printed = await kiln(['run', art, '-e', 'predict', '-i', file('x.safetensors')]);
    expect(printed.code).toBe(0);
    const first = k.jit(mlp)(params, x).data()[0]!;
    const head = `output: f32[5,3] = [${Number(first.toPrecision(7))}, `;
    expect(printed.stdout.startsWith(head), printed.stdout).toBe(true);
    expect(printed.stdout).toMatch(/, \.\.\. \(15 values\)\]\n$/);
  });

  it('kiln run reports every mistake in one line, exit status 1', async () => {
    k.io.save(file('x.safetensors'), { x: rand(r, [5, 4]) });
    k.io.save(file('x44.safetensors'), { x: rand(r, [4, 4]) });
    k.io.save(file('xi.safetensors'), { x: rand(r, [5, 4], 'i32') });
    k.io.save(file('xz.safetensors'), { x: rand(r, [5, 4]), z: rand(r, [2]) });
    const bytes = readFileSync(art);
    const corrupt = new Uint8Array(bytes);
    corrupt[Math.floor(bytes.length / 2)] ^= 0xff;
    writeFileSync(file('corrupt.kiln'), corrupt);
    writeFileSync(file('short.kiln'), bytes.subarray(0, 100));
    const cases: [string[], RegExp][] = [
      [['run', art, '-e', 'loss', '-i', file('x.safetensors')], /^kiln run: entry 'loss': missing input 'y' \(f32\[5,3\]\)\n$/],
      [['run', art, '-e', 'predict', '-i', file('x44.safetensors')], /^kiln run: entry 'predict': input 'x' has shape \[4, 4\], expected f32\[5,4\]\n$/],
      [['run', art, '-e', 'predict', '-i', file('xi.safetensors')], /^kiln run: entry 'predict': input 'x' has dtype i32, expected f32\[5,4\]\n$/],
      [['run', art, '-e', 'predict', '-i', file('xz.safetensors')], /^kiln run: entry 'predict': unknown input 'z'; did you mean x\? \(inputs: x\)\n$/],
      [['run', art, '-e', 'predct', '-i', file('x.safetensors')], /^kiln run: no entry 'predct' in the artifact; did you mean predict\? \(entries: predict, loss\)\n$/],
      [['run', art, '-i', file('x.safetensors')], /^kiln run: .*has 2 entries \(predict, loss\); choose one with --entry\n$/],
      [['run', art, '-e', 'predict'], /^kiln run: entry 'predict' takes inputs \(x\); give them with --inputs <file\.safetensors>\n$/],
      [['run', file('corrupt.kiln'), '-e', 'predict', '-i', file('x.safetensors')], /^kiln run: .*corrupt\.kiln: checksum mismatch: the file is corrupted/],
      [['run', file('short.kiln'), '-e', 'predict'], /^kiln run: .*short\.kiln: truncated: the header declares \d+ bytes, the file has 100\n$/],
      [['run', file('x.safetensors'), '-e', 'predict'], /^kiln run: .*x\.safetensors: not a Kiln artifact/],
      [['run', file('nope.kiln')], /^kiln run: cannot read .*nope\.kiln: no such file\n$/],
      [['run', art, '-e', 'predict', '-i', file('nope.safetensors')], /^kiln run: cannot read the inputs file .*nope\.safetensors: no such file\n$/],
    ];
    for (const [argv, msg] of cases) {
      const res = await kiln(argv);
      expect(res.code, argv.join(' ')).toBe(1);
      expect(res.stdout, argv.join(' ')).toBe('');
      expect(res.stderr, argv.join(' ')).toMatch(msg);
      expect(res.stderr.trimEnd().split('\n'), argv.join(' ')).toHaveLength(1);
      expect(res.stderr).not.toMatch(STACK_LINE);
    }
    for (const argv of [['run'], ['run', art, '--entyr', 'x'], ['inspect'], ['inspect', art, '--verbose']]) {
      expect((await kiln(argv)).code, argv.join(' ')).toBe(2);
    }
  });

  it('kiln inspect: header, signatures with weights and donation, plan, kernels, weights, IR', async () => {
    const res = await kiln(['inspect', art]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const out = res.stdout;
    expect(out).toMatch(/^ {2}format version 1, written by Kiln \d+\.\d+\.\d+$/m);
    expect(out).toMatch(new RegExp(`^  target cpu \\(${process.platform}-${process.arch}\\)$`, 'm'));
    expect(out).toMatch(/^entries \(2\):\n {2}predict\n {4}inputs:\n {6}params\.W1 +f32\[4,8\] +weight params\.W1$/m);
    expect(out).toMatch(/^ {6}x +f32\[5,4\]$/m);
    expect(out).toMatch(/^ {4}outputs:\n {6}logits +f32\[5,3\]\n {6}loss +f32\[\]$/m);
    expect(out).toMatch(/^ {4}plan: \d+ steps, \d+ kernel launches/m);
    expect(out).toMatch(/^ {6}launch f0_k\d+_\w+ \(\d+ buffers\)$/m);
    expect(out).toMatch(/^kernels \(\d+, shared-object of [\d.]+ KiB, sha256 [0-9a-f]{16}\.\.\.\):$/m);
    expect(out).toMatch(/^weights \(4, \d+ B in the file\):\n {2}params\.W1 +f32\[4,8\] +128 B$/m);
    expect(out).not.toMatch(/^ir:/m);
    const ir = await kiln(['inspect', art, '--ir']);
    expect(ir.stdout.startsWith(out)).toBe(true);
    expect(ir.stdout).toMatch(/^ir:\nfunc @predict\(/m);
    expect(ir.stdout).toMatch(/^func @loss\(/m);
    const json = JSON.parse((await kiln(['inspect', art, '--json'])).stdout) as { header: { target: string }; manifest: { entries: { name: string }[] } };
    expect(json.header.target).toBe('cpu');
    expect(json.manifest.entries.map((e) => e.name)).toEqual(['predict', 'loss']);

    // Donated inputs and scan plans are shown.
    const g = file('sgd.kiln');
    writeArtifact(g, packageArtifact({ target: 'cpu', entries: [entryFromTrace('sgd', k.makeIR(sgd)(sd([64]), sd([64])), { argNames: ['w', 'g'], donateArgnums: [0] })] }));
    expect((await kiln(['inspect', g])).stdout).toMatch(/^ {6}w +f32\[64\] +donated$/m);

    const bad = await kiln(['inspect', file('nope.kiln')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^kiln inspect: cannot read .*nope\.kiln: no such file\n$/);
  });

  it('the help lists run and inspect', async () => {
    const help = await kiln(['--help']);
    expect(help.stdout).toMatch(/^ {2}run +run an entry of a compiled artifact/m);
    expect(help.stdout).toMatch(/^ {2}inspect +show what a compiled artifact holds/m);
    expect((await kiln(['help', 'run'])).stdout).toMatch(/^Usage:\n {2}kiln run <artifact>/m);
  });
});
