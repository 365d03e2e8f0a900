// Finding the CUDA compilation tools at run time: libnvvm and libdevice (KILN_LIBNVVM, CUDA_HOME,
// CUDA_PATH, then the usual install folders), ptxas (KILN_PTXAS, PATH, the CUDA folders), and
// the LLVM 14 tools of the fallback (llc-14, opt-14, llvm-link-14 on PATH).
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { onPath } from '../llvm/cache.ts';

/** CUDA installation folders, most specific first: $CUDA_HOME, $CUDA_PATH, /usr/local/cuda*, /opt/cuda. */
export function cudaRoots(): string[] {
  const roots: string[] = [];
  for (const v of [process.env.CUDA_HOME, process.env.CUDA_PATH]) if (v) roots.push(v);
  const local = '/usr/local';
  try {
    const found = readdirSync(local).filter((d) => /^cuda(-[\d.]+)?$/.test(d));
    // `cuda` (the default link) first, then newest version first.
    found.sort((a, b) => (a === 'cuda' ? -1 : b === 'cuda' ? 1 : b.localeCompare(a, undefined, { numeric: true })));
    roots.push(...found.map((d) => join(local, d)));
  } catch {
    // no /usr/local
  }
  roots.push('/opt/cuda');
  return [...new Set(roots)].filter((r) => existsSync(r));
}

const LIB_DIRS = ['lib64', 'lib', join('nvvm', 'lib64'), join('nvvm', 'lib')];

/** Path of libnvvm.so, or null. */
export function findLibnvvm(): string | null {
  const env = process.env.KILN_LIBNVVM;
  if (env) return existsSync(env) ? env : null;
  for (const root of cudaRoots()) {
    for (const d of LIB_DIRS) {
      for (const name of ['libnvvm.so', 'libnvvm.so.4', 'libnvvm.so.3']) {
        const p = join(root, d, name);
        if (existsSync(p)) return p;
      }
    }
  }
  return null;
}

/** Path of libdevice.10.bc: next to libnvvm (its CUDA root's nvvm/libdevice), else in a CUDA root. */
export function findLibdevice(libnvvm: string | null = findLibnvvm()): string | null {
  const env = process.env.KILN_LIBDEVICE;
  if (env) return existsSync(env) ? env : null;
  const roots: string[] = [];
  if (libnvvm) {
    const dir = dirname(libnvvm);
    roots.push(dirname(dir), dirname(dirname(dir)));
  }
  roots.push(...cudaRoots());
  for (const root of roots) {
    for (const p of [join(root, 'nvvm', 'libdevice', 'libdevice.10.bc'), join(root, 'libdevice', 'libdevice.10.bc')]) {
      if (existsSync(p)) return p;
    }
  }
  return null;
}

/** Path of ptxas, or null. */
export function findPtxas(): string | null {
  const env = process.env.KILN_PTXAS;
  if (env) return existsSync(env) || onPath(env) ? env : null;
  const p = onPath('ptxas');
  if (p) return p;
  for (const root of cudaRoots()) {
    const q = join(root, 'bin', 'ptxas');
    if (existsSync(q)) return q;
  }
  return null;
}

/** The LLVM 14 tools of the llc fallback, or null when one is missing. */
export function findLlvmNvptxTools(): { llc: string; opt: string; link: string } | null {
  const llc = process.env.KILN_LLC ?? onPath('llc-14');
  const opt = process.env.KILN_OPT ?? onPath('opt-14');
  const link = onPath('llvm-link-14');
  return llc && opt && link ? { llc, opt, link } : null;
}
