// The compilation cache's file helpers, shared by the CPU (compile.ts) and GPU (../ptx)
// code generators: the cache folder, private build folders, and publishing a built file under
// its content key by an atomic rename. Nothing here loads LLVM.
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** The executable `name` on PATH, or null. */
export function onPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // keep looking
    }
  }
  return null;
}

// The folder rule lives in the runtime, which reads the cache too (artifacts' kernels).
export { kernelCacheDir as defaultCacheDir } from '../../../runtime/artifact/cache.ts';

/** A fresh build folder; build folders a killed process left behind (over an hour old) go. */
export function buildDir(dir: string): string {
  try {
    const now = Date.now();
    for (const f of readdirSync(dir)) {
      if (!f.startsWith('.build-')) continue;
      const p = join(dir, f);
      if (now - statSync(p).mtimeMs > 3600_000) rmSync(p, { recursive: true, force: true });
    }
  } catch {
    // best effort: another process may be cleaning up too
  }
  return mkdtempSync(join(dir, '.build-'));
}

/**
 * The cached file `<dir>/<key><ext>`: when absent, `build(tmp)` makes it in a private build
 * folder and returns its path there, and it is renamed into place (a crash never leaves a
 * partial file under the key). `valid` may reject a cached file, which is then rebuilt.
 */
export function cachedFile(
  dir: string,
  key: string,
  ext: string,
  build: (tmp: string) => string,
  valid: (path: string) => boolean = () => true,
): { path: string; hit: boolean } {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${key}${ext}`);
  if (existsSync(path)) {
    if (valid(path)) return { path, hit: true };
    rmSync(path, { force: true });
  }
  const tmp = buildDir(dir);
  try {
    renameSync(build(tmp), path);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return { path, hit: false };
}
