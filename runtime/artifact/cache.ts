// The kernel cache folder (KILN_CACHE_DIR, else ~/.cache/kiln/kernels; the compiler caches its
// builds there too) and the content-addressed copy of an artifact's shared object in it.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { writeAll, writeFileAtomic } from '../../stdlib/io/atomic.ts';
import { sha256Hex } from './container.ts';
import { ArtifactError } from './errors.ts';

/** $KILN_CACHE_DIR, else ~/.cache/kiln/kernels. */
export function kernelCacheDir(): string {
  return process.env.KILN_CACHE_DIR || join(homedir(), '.cache', 'kiln', 'kernels');
}

/**
 * The path of a file holding `bytes` (whose SHA-256 is `sha256`) in `dir`: named by its hash,
 * written atomically when absent, rewritten when a file of that name has other contents.
 */
export function materialize(bytes: Uint8Array, sha256: string, dir: string, ext: string): string {
  const path = join(dir, `artifact-${sha256}${ext}`);
  try {
    if (existsSync(path) && sha256Hex(readFileSync(path)) === sha256) return path;
    mkdirSync(dir, { recursive: true });
    writeFileAtomic(path, (fd) => writeAll(fd, bytes));
  } catch (e) {
    throw new ArtifactError('unavailable', `cannot write the artifact's kernels to the cache folder ${dir} (set KILN_CACHE_DIR): ${(e as Error).message}`);
  }
  return path;
}
