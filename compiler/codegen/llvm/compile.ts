// From LLVM IR text to a shared library on disk, through a persistent compilation cache.
//
// Pipeline (the LLVM 14 tools of Debian's llvm-14 package and the system C compiler):
//   opt-14 -O3 -mcpu=<cpu> k.ll -o k.bc
//   llc-14 -O3 -mcpu=<cpu> -relocation-model=pic -filetype=obj k.bc -o k.o
//   gcc -shared -o lib.so k.o -lm <libgomp.so.1>
// <cpu> is `native`: the host's features (llc autodetects them even when LLVM 14 does not know
// the CPU's name, as for recent EPYCs); the compiled code runs on the machine kind it was built
// on, and the cache key includes the host CPU's model and feature flags.
//
// Cache: <dir>/<sha256>.so with dir = options.cacheDir, $KILN_CACHE_DIR or ~/.cache/kiln/kernels,
// and the key = SHA-256 of (module text, tool versions, flags, host CPU). A build happens in a
// private temporary folder inside the cache folder; the library is then renamed into place
// (atomic on one file system), so a crash mid-build never leaves a partial <sha256>.so, and the
// temporary folder is always removed (and one left by a killed process is removed by a later
// build after an hour). A cached library that fails to load (or lacks a kernel symbol) is
// deleted and rebuilt. Libraries are linked with -z nodelete: once loaded they stay mapped, so
// libgomp (a dependency) is never unloaded under its own worker threads (koffi unloads
// libraries at process exit, which crashed while OpenMP threads were spinning).
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import koffi from 'koffi';
import type { LoopKernel } from '../../lower/loop-ir.ts';
import { buildDir, defaultCacheDir, onPath } from './cache.ts';
import { emitModule } from './emit.ts';

export { defaultCacheDir, onPath, buildDir } from './cache.ts';

const execFileAsync = promisify(execFile);

export interface CompileOptions {
  readonly target: 'x86_64';
  /** Cache folder (default: $KILN_CACHE_DIR or ~/.cache/kiln/kernels). */
  readonly cacheDir?: string;
  /** Matrix-product emitter (see EmitOptions). */
  readonly matmul?: 'auto' | 'naive';
}

export interface CompileResult {
  /** Path of the shared library (in the cache folder). */
  readonly path: string;
  /** Whether it came from the cache (no LLVM tool ran). */
  readonly cached: boolean;
  /** Milliseconds spent: code generation plus the build, or the cache lookup. */
  readonly compileMs: number;
  /** The module text that was compiled. */
  readonly ir: string;
}

export class ToolchainError extends Error {
  override name = 'ToolchainError';
}

interface Toolchain {
  readonly opt: string;
  readonly llc: string;
  readonly cc: string;
  readonly libgomp: string;
  /** Tool versions and host CPU, for the cache key. */
  readonly fingerprint: string;
}

const OPT_FLAGS = ['-O3', '-mcpu=native'];
const LLC_FLAGS = ['-O3', '-mcpu=native', '-relocation-model=pic', '-filetype=obj'];
const CC_FLAGS = ['-shared', '-Wl,-z,nodelete'];
/** Bumped when the pipeline changes in a way the other key parts do not show. */
const PIPELINE_VERSION = 1;


export function findTool(envVar: string, candidates: readonly string[], pkg: string, what: string): string {
  const fromEnv = process.env[envVar];
  if (fromEnv) {
    if (fromEnv.includes('/') ? existsSync(fromEnv) : onPath(fromEnv)) return fromEnv;
    throw new ToolchainError(`${envVar}=${fromEnv}: not found (${what})`);
  }
  for (const c of candidates) {
    const p = c.includes('/') ? (existsSync(c) ? c : null) : onPath(c);
    if (p) return p;
  }
  throw new ToolchainError(
    `the CPU backend needs ${what}: none of ${candidates.join(', ')} was found. ` +
      `Install the Debian package ${pkg} (apt-get install ${pkg}), or set ${envVar}.`,
  );
}

/** libgomp's path: a known location, else the dynamic linker's cache (ldconfig -p). */
function findLibgomp(): string {
  const fromEnv = process.env.KILN_LIBGOMP;
  if (fromEnv) {
    if (existsSync(fromEnv)) return fromEnv;
    throw new ToolchainError(`KILN_LIBGOMP=${fromEnv}: not found`);
  }
  const known = [
    '/usr/lib/x86_64-linux-gnu/libgomp.so.1',
    '/lib/x86_64-linux-gnu/libgomp.so.1',
    '/usr/lib64/libgomp.so.1',
    '/usr/lib/libgomp.so.1',
  ];
  for (const p of known) if (existsSync(p)) return p;
  for (const ldconfig of ['ldconfig', '/sbin/ldconfig', '/usr/sbin/ldconfig']) {
    try {
      const out = execFileSync(ldconfig, ['-p'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      const m = /libgomp\.so\.1 \([^)]*x86-64[^)]*\) => (\S+)/.exec(out) ?? /libgomp\.so\.1 [^\n]*=> (\S+)/.exec(out);
      if (m && existsSync(m[1]!)) return m[1]!;
    } catch {
      // try the next one
    }
  }
  throw new ToolchainError(
    'the CPU backend needs libgomp.so.1 (GNU OpenMP runtime) and found it neither in the usual ' +
      'folders nor in `ldconfig -p`. Install the Debian package libgomp1 (apt-get install libgomp1), or set KILN_LIBGOMP.',
  );
}

function hostCpu(): string {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const model = /^model name\s*:(.*)$/m.exec(info)?.[1]?.trim() ?? '';
    const flags = /^flags\s*:(.*)$/m.exec(info)?.[1]?.trim() ?? '';
    return `${model}|${flags}`;
  } catch {
    return `${process.arch}|unknown`;
  }
}

let toolchain: Toolchain | undefined;

/** The tools (found once per process); throws a ToolchainError naming what is missing. */
export function getToolchain(): Toolchain {
  if (toolchain) return toolchain;
  const opt = findTool('KILN_OPT', ['opt-14', '/usr/lib/llvm-14/bin/opt'], 'llvm-14', 'LLVM 14 opt (opt-14)');
  const llc = findTool('KILN_LLC', ['llc-14', '/usr/lib/llvm-14/bin/llc'], 'llvm-14', 'LLVM 14 llc (llc-14)');
  const cc = findTool('KILN_CC', ['gcc', 'cc'], 'gcc', 'a C compiler driver to link shared libraries (gcc)');
  const libgomp = findLibgomp();
  const version = (tool: string) => execFileSync(tool, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const fingerprint = JSON.stringify({
    opt: version(opt),
    llc: version(llc),
    cc: version(cc).split('\n')[0],
    libgomp,
    cpu: hostCpu(),
  });
  toolchain = { opt, llc, cc, libgomp, fingerprint };
  return toolchain;
}


/** The cache key of a module text under the current toolchain. */
export function cacheKey(ir: string): string {
  const tc = getToolchain();
  const h = createHash('sha256');
  h.update(JSON.stringify({ v: PIPELINE_VERSION, opt: OPT_FLAGS, llc: LLC_FLAGS, cc: CC_FLAGS, tools: tc.fingerprint }));
  h.update('\0');
  h.update(ir);
  return h.digest('hex');
}

/** Exported kernel symbols of a module text (`define void @name(i8** ...)`, not internal). */
function kernelSymbols(ir: string): string[] {
  return [...ir.matchAll(/^define void @([A-Za-z_][A-Za-z0-9_]*)\(i8\*\*/gm)].map((m) => m[1]!);
}

/** Whether `path` is a loadable shared library exporting every symbol. */
function libraryIsSound(path: string, symbols: readonly string[]): boolean {
  try {
    const fd = openSync(path, 'r');
    const head = Buffer.alloc(4);
    try {
      if (readSync(fd, head, 0, 4, 0) !== 4 || head.toString('latin1') !== '\x7fELF') return false;
    } finally {
      closeSync(fd);
    }
    const lib = koffi.load(path);
    try {
      for (const s of symbols) lib.func(s, 'void', ['void *']);
    } finally {
      lib.unload();
    }
    return true;
  } catch {
    return false;
  }
}

interface Step {
  readonly cmd: string;
  readonly args: readonly string[];
  readonly tool: string;
}

function plan(tc: Toolchain, dir: string): { steps: Step[]; ll: string; so: string } {
  const ll = join(dir, 'k.ll'), bc = join(dir, 'k.bc'), obj = join(dir, 'k.o'), so = join(dir, 'lib.so');
  return {
    ll,
    so,
    steps: [
      { tool: 'opt-14', cmd: tc.opt, args: [...OPT_FLAGS, ll, '-o', bc] },
      { tool: 'llc-14', cmd: tc.llc, args: [...LLC_FLAGS, bc, '-o', obj] },
      { tool: 'gcc', cmd: tc.cc, args: [...CC_FLAGS, '-o', so, obj, '-lm', tc.libgomp] },
    ],
  };
}

function stepError(step: Step, err: unknown): ToolchainError {
  const e = err as { stderr?: string | Buffer; status?: number; code?: number | string; message?: string };
  const stderr = e.stderr ? e.stderr.toString().trim() : '';
  const status = e.status ?? e.code;
  return new ToolchainError(
    `${step.tool} failed (${status ?? 'error'}): ${step.cmd} ${step.args.join(' ')}\n${stderr || e.message || ''}`.trim(),
  );
}

interface Lookup {
  readonly dir: string;
  readonly path: string;
  readonly symbols: readonly string[];
}

function lookup(ir: string, opts: CompileOptions): Lookup & { hit: boolean } {
  if (opts.target !== 'x86_64') throw new ToolchainError(`unsupported target ${String(opts.target)}`);
  const dir = opts.cacheDir ?? defaultCacheDir();
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${cacheKey(ir)}.so`);
  const symbols = kernelSymbols(ir);
  if (existsSync(path)) {
    if (libraryIsSound(path, symbols)) return { dir, path, symbols, hit: true };
    rmSync(path, { force: true }); // corrupt: rebuild
  }
  return { dir, path, symbols, hit: false };
}

function publish(tmpSo: string, l: Lookup): void {
  renameSync(tmpSo, l.path);
}


/** Compiles module text to a shared library (synchronously), through the cache. */
export function compileIRSync(ir: string, opts: CompileOptions): CompileResult {
  const t0 = performance.now();
  const l = lookup(ir, opts);
  if (l.hit) return { path: l.path, cached: true, compileMs: performance.now() - t0, ir };
  const tc = getToolchain();
  const tmp = buildDir(l.dir);
  try {
    const p = plan(tc, tmp);
    writeFileSync(p.ll, ir);
    for (const step of p.steps) {
      try {
        execFileSync(step.cmd, step.args, { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
      } catch (err) {
        throw stepError(step, err);
      }
    }
    publish(p.so, l);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return { path: l.path, cached: false, compileMs: performance.now() - t0, ir };
}

/** Compiles module text to a shared library (tools run asynchronously), through the cache. */
export async function compileIR(ir: string, opts: CompileOptions): Promise<CompileResult> {
  const t0 = performance.now();
  const l = lookup(ir, opts);
  if (l.hit) return { path: l.path, cached: true, compileMs: performance.now() - t0, ir };
  const tc = getToolchain();
  const tmp = buildDir(l.dir);
  try {
    const p = plan(tc, tmp);
    writeFileSync(p.ll, ir);
    for (const step of p.steps) {
      try {
        await execFileAsync(step.cmd, [...step.args], { maxBuffer: 64 << 20 });
      } catch (err) {
        throw stepError(step, err);
      }
    }
    publish(p.so, l);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return { path: l.path, cached: false, compileMs: performance.now() - t0, ir };
}

/** Emits the kernels as one module and compiles it (synchronously; for jit). */
export function compileModuleSync(kernels: readonly LoopKernel[], opts: CompileOptions): CompileResult {
  const t0 = performance.now();
  const { ir } = emitModule(kernels, { target: opts.target, matmul: opts.matmul ?? 'auto' });
  const emitMs = performance.now() - t0;
  const r = compileIRSync(ir, opts);
  return { ...r, compileMs: r.compileMs + emitMs };
}

/** Emits the kernels as one module and compiles it. */
export async function compileModule(kernels: readonly LoopKernel[], opts: CompileOptions): Promise<CompileResult> {
  const t0 = performance.now();
  const { ir } = emitModule(kernels, { target: opts.target, matmul: opts.matmul ?? 'auto' });
  const emitMs = performance.now() - t0;
  const r = await compileIR(ir, opts);
  return { ...r, compileMs: r.compileMs + emitMs };
}
