// Checking PTX with ptxas (the assembler of the CUDA toolkit) where no GPU is present: the
// module must assemble for the target. A failure names the kernel and quotes the offending PTX
// lines (ptxas reports line numbers). Successes are remembered in the cache folder by PTX hash.
// compileCubin keeps what ptxas made (SASS for one architecture, shipped beside the PTX so that
// a matching GPU loads it without the driver's JIT), cached by the same kind of hash.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KilnError } from '../../ir/errors.ts';
import { isCubin } from '../../../runtime/cuda/cubin.ts';
import { buildDir, cachedFile, defaultCacheDir } from '../llvm/cache.ts';
import { findPtxas } from './tools.ts';

export class PtxasError extends KilnError {
  override name = 'PtxasError';
}

/** The kernel (`.entry`) or function around line `line` (1-based) of a PTX text. */
export function kernelAtLine(ptx: string, line: number): string {
  const lines = ptx.split('\n');
  for (let i = Math.min(line, lines.length) - 1; i >= 0; i--) {
    const m = /\.(entry|func)\s+(?:\([^)]*\)\s*)?([A-Za-z_$][\w$]*)/.exec(lines[i]!);
    if (m) return `${m[1] === 'entry' ? 'kernel' : 'function'} ${m[2]}`;
  }
  return 'module scope';
}

/** Explains ptxas's messages: each error line with its kernel and the PTX line quoted. */
export function explainPtxas(ptx: string, log: string): string {
  const lines = ptx.split('\n');
  const out: string[] = [];
  for (const l of log.split('\n')) {
    const m = /line (\d+); (error|warning)\s*:\s*(.*)$/.exec(l);
    if (!m) continue;
    const n = Number(m[1]);
    if (m[2] !== 'error') continue;
    out.push(`${kernelAtLine(ptx, n)}, PTX line ${n}: ${m[3]}\n    ${(lines[n - 1] ?? '').trim()}`);
  }
  return out.length ? out.join('\n') : log.trim();
}

/**
 * Assembles `ptx` for `arch` with ptxas (throws a PtxasError explaining the failure); a PTX text
 * that assembled before (same hash, ptxas and arch) is not assembled again. Returns whether it
 * was cached.
 */
export function assemblePtx(ptx: string, arch = 'sm_90', cacheDir = defaultCacheDir(), flags: readonly string[] = []): { cached: boolean; ms: number } {
  const t0 = performance.now();
  const ptxas = findPtxas();
  if (!ptxas) throw new PtxasError('ptxas was not found (PATH, KILN_PTXAS, CUDA_HOME)');
  const key = createHash('sha256').update(`${ptxas}\0${arch}\0${flags.join(' ')}\0`).update(ptx).digest('hex');
  mkdirSync(cacheDir, { recursive: true });
  const marker = join(cacheDir, `${key}.ptxas-ok`);
  if (existsSync(marker)) return { cached: true, ms: performance.now() - t0 };
  const dir = buildDir(cacheDir);
  try {
    const file = join(dir, 'k.ptx');
    writeFileSync(file, ptx);
    try {
      execFileSync(ptxas, [...flags, `-arch=${arch}`, file, '-o', join(dir, 'k.cubin')], { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
    } catch (err) {
      const e = err as { stderr?: Buffer | string; stdout?: Buffer | string; message?: string };
      const log = `${e.stderr?.toString() ?? ''}${e.stdout?.toString() ?? ''}` || e.message || '';
      throw new PtxasError(`ptxas -arch=${arch}${flags.length ? ` ${flags.join(' ')}` : ''} rejected the PTX:\n${explainPtxas(ptx, log)}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  writeFileSync(marker, '');
  return { cached: false, ms: performance.now() - t0 };
}

/** `ptxas --version` per ptxas path: a newer ptxas may write other SASS for the same PTX. */
const versions = new Map<string, string>();
function ptxasVersion(ptxas: string): string {
  let v = versions.get(ptxas);
  if (v === undefined) {
    try {
      v = execFileSync(ptxas, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    } catch {
      v = '';
    }
    versions.set(ptxas, v);
  }
  return v;
}

/**
 * The cubin (SASS for exactly `arch`, ptxas's default optimisation level) of `ptx`, through the
 * cache folder (`<sha256>.cubin`); null when ptxas is not found. A PTX text ptxas rejects throws
 * a PtxasError as assemblePtx does.
 */
export function compileCubin(ptx: string, arch: string, cacheDir = defaultCacheDir()): { cubin: Uint8Array; cached: boolean } | null {
  const ptxas = findPtxas();
  if (!ptxas) return null;
  const key = createHash('sha256').update(`cubin\0${ptxas}\0${ptxasVersion(ptxas)}\0${arch}\0`).update(ptx).digest('hex');
  const { path, hit } = cachedFile(cacheDir, key, '.cubin', (tmp) => {
    const file = join(tmp, 'k.ptx'), out = join(tmp, 'k.cubin');
    writeFileSync(file, ptx);
    try {
      execFileSync(ptxas, [`-arch=${arch}`, '-o', out, file], { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
    } catch (err) {
      const e = err as { stderr?: Buffer | string; stdout?: Buffer | string; message?: string };
      const log = `${e.stderr?.toString() ?? ''}${e.stdout?.toString() ?? ''}` || e.message || '';
      throw new PtxasError(`ptxas -arch=${arch} rejected the PTX:\n${explainPtxas(ptx, log)}`);
    }
    return out;
  }, (p) => isCubin(readFileSync(p)));
  return { cubin: new Uint8Array(readFileSync(path)), cached: hit };
}

let cubinWarned = false;

/**
 * The cubin to ship beside a module's PTX, or undefined: when ptxas is absent (silently), or
 * when it fails (said once on stderr; the PTX still loads through the driver's JIT, which
 * reports a real fault in it with the kernel's name).
 */
export function moduleCubin(ptx: string, arch: string, cacheDir?: string): Uint8Array | undefined {
  try {
    return compileCubin(ptx, arch, cacheDir)?.cubin;
  } catch (e) {
    if (!(e instanceof KilnError)) throw e;
    if (!cubinWarned) {
      cubinWarned = true;
      process.stderr.write(`kiln: no cubin for ${arch} (the driver will JIT-compile the PTX): ${e.message.split('\n')[0]}\n`);
    }
    return undefined;
  }
}
