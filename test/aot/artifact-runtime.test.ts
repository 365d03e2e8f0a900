// The runtime is independent of the compiler: a child process in which llvm-bindings, ts-morph
// and chevrotain cannot be resolved loads a CPU artifact (and a vulkan one, where a Vulkan
// device opens) with runtime/artifact/load.ts, calls an entry and prints the right numbers; nothing of the DSL or the compiler (beyond the IR's
// plain type modules) is even resolved.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import * as k from '../../index.ts';
import { entryFromTrace, packageArtifact, writeArtifact } from '../../compiler/aot/package.ts';
import { vulkanPresent } from '../../dsl/vulkan-backend.ts';
import { useColdCache } from '../backends/helpers.ts';
import { cpuPresent, loss, mlpArtifact, mlpParams, rand, rng, sd, sgd } from './fixtures/artifacts.ts';

const cacheDir = useColdCache();
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const FIXTURES = path.join(REPO, 'test/aot/fixtures');
const dir = mkdtempSync(path.join(tmpdir(), 'kiln-artifact-runtime-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function node(args: readonly string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: REPO, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Modules the runtime may resolve: its own, stdlib/io's pure codecs, the IR's type modules, the CLI's word matcher. */
const ALLOWED = [
  /^runtime\//,
  /^stdlib\/io\/(safetensors|atomic)\.ts$/,
  /^compiler\/ir\/(dtype|errors|ir|numeric)\.ts$/,
  /^cli\/command\.ts$/,
  /^test\/aot\/fixtures\/run-artifact\.ts$/,
];

/** The project's own modules that a child resolved (logged to `log`). */
function resolvedModules(log: string): string[] {
  const resolved = readFileSync(log, 'utf8').trim().split('\n').filter((u) => u.startsWith('file:'));
  return resolved.map((u) => fileURLToPath(u)).filter((p) => !p.includes(`${path.sep}node_modules${path.sep}`)).map((p) => path.relative(REPO, p).split(path.sep).join('/'));
}

const vulkan = vulkanPresent();
if (!vulkan) console.warn('skipping the vulkan artifact in a process without the compiler: no Vulkan device opens here');

describe.runIf(cpuPresent)('the artifact runtime without the compiler', () => {
  it('loads a CPU artifact and calls an entry with llvm-bindings, ts-morph and chevrotain unresolvable', async () => {
    const r = rng(3);
    const params = mlpParams(r);
    const art = path.join(dir, 'mlp.kiln');
    writeArtifact(art, mlpArtifact(params));
    const x = rand(r, [5, 4]), y = rand(r, [5, 3]);
    const log = path.join(dir, 'resolved.txt');
    const hook = pathToFileURL(path.join(FIXTURES, 'no-compiler.mjs')).href;
    const inputs = JSON.stringify({ x: Array.from(x.data()), y: Array.from(y.data()) });
    // A fresh cache folder: the child writes the shared object itself.
    const childCache = path.join(cacheDir(), 'child');
    const res = await node(['--import', hook, path.join(FIXTURES, 'run-artifact.ts'), art, 'loss', inputs], { KILN_RESOLVE_LOG: log, KILN_CACHE_DIR: childCache });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const out = JSON.parse(res.stdout) as Record<string, { shape: number[]; data: number[] }>;
    const want = k.jit(loss)(params, x, y);
    expect(k.array(out.logits!.data, { shape: out.logits!.shape })).toBeAllclose(want.logits, { rtol: 1e-5, atol: 1e-5 });
    expect(k.array(out.loss!.data, { shape: out.loss!.shape })).toBeAllclose(want.loss, { rtol: 1e-5, atol: 1e-5 });

    const ours = resolvedModules(log);
    expect(ours).toContain('runtime/artifact/load.ts');
    expect(ours.filter((p) => !ALLOWED.some((a) => a.test(p)))).toEqual([]);
    // And the blocking works: the compiler itself cannot load there.
    const blocked = await node(['--import', hook, '-e', "await import('./compiler/pipeline.ts')", '--input-type=module'], {});
    expect(blocked.code).not.toBe(0);
    expect(blocked.stderr).toMatch(/blocked: the runtime must not need it/);
  }, 60_000);

  const hook = pathToFileURL(path.join(FIXTURES, 'no-compiler.mjs')).href;
  const sgdArtifact = (): { file: string; w: k.Tensor; g: k.Tensor } => {
    const file = path.join(dir, 'sgd-vulkan.kiln');
    writeArtifact(file, packageArtifact({ target: 'vulkan', entries: [entryFromTrace('sgd', k.makeIR(sgd)(sd([64]), sd([64])), { argNames: ['w', 'g'], donateArgnums: [0] })] }));
    const r = rng(5);
    return { file, w: rand(r, [64]), g: rand(r, [64]) };
  };

  it.runIf(vulkan)('loads and runs a vulkan artifact there too', async () => {
    const { file, w, g } = sgdArtifact();
    const log = path.join(dir, 'resolved-vulkan.txt');
    const inputs = JSON.stringify({ w: Array.from(w.data()), g: Array.from(g.data()) });
    const res = await node(['--import', hook, path.join(FIXTURES, 'run-artifact.ts'), file, 'sgd', inputs], { KILN_RESOLVE_LOG: log });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const out = JSON.parse(res.stdout) as Record<string, { shape: number[]; data: number[] }>;
    expect(k.array(out.output!.data, { shape: out.output!.shape })).toBeAllclose(k.jit(sgd)(w, g), { rtol: 1e-6 });
    const ours = resolvedModules(log);
    expect(ours).toContain('runtime/vulkan/index.ts');
    expect(ours.filter((p) => !ALLOWED.some((a) => a.test(p)))).toEqual([]);
  }, 60_000);

  it('without a usable Vulkan device, loading a vulkan artifact is one clear ArtifactError', async () => {
    const { file, w, g } = sgdArtifact();
    const inputs = JSON.stringify({ w: Array.from(w.data()), g: Array.from(g.data()) });
    // A device name that matches nothing: what a machine without Vulkan gets, whatever is installed here.
    const res = await node(['--import', hook, path.join(FIXTURES, 'run-artifact.ts'), file, 'sgd', inputs], { KILN_VULKAN_DEVICE: 'no-such-device' });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^ArtifactError\((target|unavailable)\): cannot run a vulkan artifact(: | here: ).*(no-such-device|Vulkan)[^\n]*\n$/);
  }, 60_000);
});
