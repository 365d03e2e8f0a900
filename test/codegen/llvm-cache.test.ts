// The CPU backend's build pipeline and loader: the persistent compilation cache (hits skip the
// LLVM tools, corrupt entries are rebuilt, builds leave no temporary files), the sync and async
// compile entry points, toolchain errors, and runtime/cpu's loading errors and argument checks.
// Also logs the time of a cold compile of a 5-kernel module.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileIRSync, compileModule, compileModuleSync, emitModule, ToolchainError } from '../../compiler/codegen/llvm/index.ts';
import { findTool } from '../../compiler/codegen/llvm/compile.ts';
import type { DType } from '../../compiler/ir/dtype.ts';
import { Primitive as P } from '../../compiler/ir/primitives.ts';
import type { Expr, LoopKernel } from '../../compiler/lower/loop-ir.ts';
import { KernelLoadError, loadKernels } from '../../runtime/cpu/index.ts';

function hasTool(cmd: string): boolean {
  try {
    execFileSync(cmd, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const toolsPresent = process.arch === 'x64' && hasTool('opt-14') && hasTool('llc-14') && hasTool('gcc');

const i = { k: 'var', t: 'index', name: 'i' } as const;
const ld = (buf: number, t: DType): Expr => ({ k: 'load', t, buf, idx: i });

/** out[i] = op(a[i], b[i]) * scale over n elements (f32). `tag` varies the module text. */
function elementwise(name: string, op: P.Add | P.Mul | P.Sub | P.Max | P.Min, n: number, scale = 1): LoopKernel {
  return {
    name,
    params: [
      { name: 'a', dtype: 'f32', size: n, role: 'in' },
      { name: 'b', dtype: 'f32', size: n, role: 'in' },
      { name: 'o', dtype: 'f32', size: n, role: 'out' },
    ],
    body: [
      {
        k: 'for',
        v: 'i',
        n: { k: 'const', t: 'index', v: n },
        parallel: true,
        body: [
          {
            k: 'store',
            buf: 2,
            idx: i,
            e: { k: 'binary', t: 'f32', op: P.Mul, a: { k: 'binary', t: 'f32', op, a: ld(0, 'f32'), b: ld(1, 'f32') }, b: { k: 'const', t: 'f32', v: scale } },
          },
        ],
      },
    ],
  };
}

const FIVE: LoopKernel[] = [
  elementwise('k_add', P.Add, 4096),
  elementwise('k_mul', P.Mul, 4096),
  elementwise('k_sub', P.Sub, 4096),
  elementwise('k_max', P.Max, 4096),
  elementwise('k_min', P.Min, 4096),
];

let root = '';
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'kiln-cache-test-'));
});
afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

/** Everything in a cache folder that is not a finished library. */
function strays(dir: string): string[] {
  return readdirSync(dir).filter((f) => !/^[0-9a-f]{64}\.so$/.test(f));
}

function check(path: string, kernels: readonly LoopKernel[]): void {
  const fns = loadKernels(path, kernels.map((k) => k.name), Object.fromEntries(kernels.map((k) => [k.name, k.params])));
  const n = 4096;
  const a = Float32Array.from({ length: n }, (_, j) => j - 7), b = Float32Array.from({ length: n }, (_, j) => 3 * j);
  for (const k of kernels) {
    const o = new Float32Array(n);
    fns.get(k.name)!([a, b, o]);
    const op = (k.body[0] as Extract<LoopKernel['body'][number], { k: 'for' }>).body[0] as { e: { a: { op: string }; b: { v: number } } };
    const f = ({ add: (x: number, y: number) => x + y, mul: (x: number, y: number) => x * y, sub: (x: number, y: number) => x - y, max: Math.max, min: Math.min } as Record<string, (x: number, y: number) => number>)[op.e.a.op]!;
    for (const j of [0, 1, 100, n - 1]) expect(o[j]).toBe(Math.fround(Math.fround(f(a[j]!, b[j]!)) * op.e.b.v));
  }
}

describe.runIf(toolsPresent)('CPU build pipeline and cache', () => {
  it('cold compile of a 5-kernel module, then a cache hit that skips LLVM', () => {
    const dir = join(root, 'five');
    const cold = compileModuleSync(FIVE, { target: 'x86_64', cacheDir: dir });
    console.log(`[kiln] cold compile of a 5-kernel module (emit + opt-14 -O3 + llc-14 -O3 + gcc): ${cold.compileMs.toFixed(0)} ms`);
    expect(cold.cached).toBe(false);
    expect(cold.path.startsWith(dir)).toBe(true);
    const mtime = statSync(cold.path).mtimeMs;
    check(cold.path, FIVE);

    const hit = compileModuleSync(FIVE, { target: 'x86_64', cacheDir: dir });
    console.log(`[kiln] cached compile of the same module: ${hit.compileMs.toFixed(0)} ms`);
    expect(hit.cached).toBe(true);
    expect(hit.path).toBe(cold.path);
    expect(statSync(hit.path).mtimeMs).toBe(mtime); // not rewritten
    expect(strays(dir)).toEqual([]);
  });

  it('the cache key follows the module text', () => {
    const dir = join(root, 'key');
    const a = compileModuleSync([elementwise('k_add', P.Add, 4096)], { target: 'x86_64', cacheDir: dir });
    const b = compileModuleSync([elementwise('k_add', P.Add, 4096, 2)], { target: 'x86_64', cacheDir: dir });
    expect(b.cached).toBe(false);
    expect(b.path).not.toBe(a.path);
    expect(readdirSync(dir).sort()).toEqual([a.path, b.path].map((p) => p.slice(dir.length + 1)).sort());
  });

  it('a corrupt cached library is deleted and rebuilt', () => {
    const dir = join(root, 'corrupt');
    const kernels = [elementwise('k_sub', P.Sub, 4096, 3)];
    const first = compileModuleSync(kernels, { target: 'x86_64', cacheDir: dir });
    const good = readFileSync(first.path);
    // garbage, then a truncated ELF file (what a crash mid-copy would leave)
    for (const bad of [Buffer.from('not a shared library at all'), good.subarray(0, 200)]) {
      writeFileSync(first.path, bad);
      const again = compileModuleSync(kernels, { target: 'x86_64', cacheDir: dir });
      expect(again.cached).toBe(false);
      expect(again.path).toBe(first.path);
      expect(readFileSync(again.path).equals(good)).toBe(true);
      expect(strays(dir)).toEqual([]);
    }
    check(first.path, kernels);
  });

  it('the async compileModule agrees with the sync one and leaves no temporary files', async () => {
    const dir = join(root, 'async');
    const kernels = [elementwise('k_min', P.Min, 4096, 5), elementwise('k_max', P.Max, 4096, 5)];
    const r = await compileModule(kernels, { target: 'x86_64', cacheDir: dir });
    expect(r.cached).toBe(false);
    expect(strays(dir)).toEqual([]);
    const s = compileModuleSync(kernels, { target: 'x86_64', cacheDir: dir });
    expect(s.cached).toBe(true);
    expect(s.path).toBe(r.path);
    check(r.path, kernels);
  });

  it('a failing tool is a clear error, and the failed build leaves nothing behind', async () => {
    const dir = join(root, 'fail');
    const bad = 'define void @broken(i8** %0) {\n  ret i32 0\n}\n';
    expect(() => compileIRSync(bad, { target: 'x86_64', cacheDir: dir })).toThrow(/opt-14 failed/);
    expect(readdirSync(dir)).toEqual([]);
    const { compileIR } = await import('../../compiler/codegen/llvm/compile.ts');
    await expect(compileIR(bad, { target: 'x86_64', cacheDir: dir })).rejects.toThrow(ToolchainError);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a build folder left by a killed process is cleaned up by a later build', () => {
    const dir = join(root, 'stale');
    mkdirSync(join(dir, '.build-killed'), { recursive: true });
    writeFileSync(join(dir, '.build-killed', 'k.o'), 'half an object file');
    const old = new Date(Date.now() - 2 * 3600_000);
    utimesSync(join(dir, '.build-killed'), old, old);
    mkdirSync(join(dir, '.build-running')); // recent: another process may be building in it
    compileModuleSync([elementwise('k_add', P.Add, 4096, 13)], { target: 'x86_64', cacheDir: dir });
    expect(strays(dir)).toEqual(['.build-running']);
  });

  it('KILN_CACHE_DIR chooses the default cache folder', () => {
    const dir = join(root, 'env');
    const saved = process.env.KILN_CACHE_DIR;
    process.env.KILN_CACHE_DIR = dir;
    try {
      const r = compileModuleSync([elementwise('k_mul', P.Mul, 4096, 7)], { target: 'x86_64' });
      expect(r.path.startsWith(dir)).toBe(true);
    } finally {
      if (saved === undefined) delete process.env.KILN_CACHE_DIR;
      else process.env.KILN_CACHE_DIR = saved;
    }
  });
});

describe('toolchain errors', () => {
  it('a missing tool names the tool and the Debian package', () => {
    expect(() => findTool('KILN_TEST_NO_SUCH_VAR', ['opt-14-does-not-exist', '/nonexistent/opt'], 'llvm-14', 'LLVM 14 opt (opt-14)')).toThrow(
      /needs LLVM 14 opt \(opt-14\).*Install the Debian package llvm-14/,
    );
    process.env.KILN_TEST_TOOL = '/nonexistent/gcc';
    try {
      expect(() => findTool('KILN_TEST_TOOL', ['gcc'], 'gcc', 'gcc')).toThrow(/KILN_TEST_TOOL=\/nonexistent\/gcc: not found/);
    } finally {
      delete process.env.KILN_TEST_TOOL;
    }
  });
});

describe.runIf(toolsPresent)('runtime/cpu loader', () => {
  let path = '';
  const kernels = [elementwise('k_add', P.Add, 4096, 11), elementwise('k_small', P.Add, 8, 1)];
  beforeAll(() => {
    path = compileModuleSync(kernels, { target: 'x86_64', cacheDir: join(root, 'loader') }).path;
  });

  it('a missing library or symbol is a clear error', () => {
    expect(() => loadKernels(join(root, 'nope.so'), ['k_add'])).toThrow(/cannot load the kernel library .*nope\.so/);
    const junk = join(root, 'junk.so');
    writeFileSync(junk, 'junk');
    expect(() => loadKernels(junk, ['k_add'])).toThrow(KernelLoadError);
    expect(() => loadKernels(path, ['k_nothere'])).toThrow(/has no kernel 'k_nothere'/);
  });

  it('checks buffer count, storage type and length against the signature', () => {
    const fn = loadKernels(path, ['k_add'], { k_add: kernels[0]!.params }).get('k_add')!;
    const f = (n: number) => new Float32Array(n);
    expect(() => fn([f(4096), f(4096)])).toThrow(/2 buffers for 3 params/);
    expect(() => fn([f(4096), new Float64Array(4096), f(4096)])).toThrow(/buffer 1 is a Float64Array, param 1 \(f32\) needs a Float32Array/);
    expect(() => fn([f(4096), f(4096), f(100)])).toThrow(/buffer 2 has 100 elements, param 2 needs 4096/);
  });

  it('passes views into a shared arena without copying (byte offsets honoured)', () => {
    const fn = loadKernels(path, ['k_add'], { k_add: kernels[0]!.params }).get('k_add')!;
    const n = 4096;
    const arena = new ArrayBuffer(4 * (3 * n + 8));
    const a = new Float32Array(arena, 16, n), b = new Float32Array(arena, 16 + 4 * n, n), o = new Float32Array(arena, 16 + 8 * n, n);
    a.fill(1.5);
    b.fill(2);
    fn([a, b, o]);
    expect(o[0]).toBe(38.5);
    expect(o[n - 1]).toBe(38.5);
    expect(new Float32Array(arena, 0, 4)).toEqual(new Float32Array(4)); // nothing written before the views
    // small typed arrays (V8 keeps up to 64 bytes on its moving heap until the buffer is asked
    // for) are moved off the heap by the call and then written in place
    const small = loadKernels(path, ['k_small'], { k_small: kernels[1]!.params }).get('k_small')!;
    const x = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]), y = new Float32Array(8).fill(10), z = new Float32Array(8);
    small([x, y, z]);
    expect(Array.from(z)).toEqual([11, 12, 13, 14, 15, 16, 17, 18]);
    small([z, y, x]);
    expect(Array.from(x)).toEqual([21, 22, 23, 24, 25, 26, 27, 28]);
  });
});

// The emitted text of the five kernels, to make sure a module's IR is deterministic (the key).
describe('module text', () => {
  it('is deterministic', () => {
    expect(emitModule(FIVE, { target: 'x86_64' }).ir).toBe(emitModule(FIVE, { target: 'x86_64' }).ir);
  });
});
