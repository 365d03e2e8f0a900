// NVVM IR text to PTX, through the persistent compilation cache (<dir>/<sha256>.ptx, the CPU
// path's cache folder and helpers). Producers, in order:
//   - libnvvm in process (nvvm.ts), `-arch=compute_NN`, libdevice linked lazily;
//   - else llc-14: llvm-link-14 --only-needed with libdevice, opt-14 -O3 (which runs
//     NVVMReflect), llc-14 -mcpu=sm_86 -mattr=+ptx75 (PTX ISA 7.5, the newest LLVM 14 writes;
//     the driver JIT-compiles it for newer GPUs). Said once on stderr.
// The architecture: the option, else $KILN_CUDA_ARCH, else sm_90. KILN_PTX_PRODUCER=llc-14 forces
// the fallback.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KilnError } from '../../ir/errors.ts';
import type { GpuKernel } from '../../gpu/kernel.ts';
import { cachedFile, defaultCacheDir } from '../llvm/cache.ts';
import { emitNvvmModule } from './emit.ts';
import { loadNvvm, PtxCompileError } from './nvvm.ts';
import { findLibdevice, findLibnvvm, findLlvmNvptxTools } from './tools.ts';

export type PtxProducer = 'libnvvm' | 'llc-14';

export const DEFAULT_CUDA_ARCH = 'sm_90';
/** The newest architecture and PTX ISA that llc-14 targets. */
const LLC_MAX_SM = 86;
const LLC_PTX = 'ptx75';
/** Bumped when the pipeline changes in a way the other key parts do not show. */
const PIPELINE_VERSION = 2;

export interface PtxOptions {
  /** Target architecture, `sm_NN` (default: $KILN_CUDA_ARCH, else sm_90). */
  readonly arch?: string;
  /** Cache folder (default: $KILN_CACHE_DIR or ~/.cache/kiln/kernels). */
  readonly cacheDir?: string;
  /** Force a producer (default: libnvvm when found, else llc-14). */
  readonly producer?: PtxProducer;
}

export interface PtxResult {
  readonly ptx: string;
  readonly producer: PtxProducer;
  /** The architecture the PTX targets (`.target`). */
  readonly arch: string;
  readonly cached: boolean;
  readonly compileMs: number;
  /** The NVVM IR that was compiled. */
  readonly ir: string;
}

/** The target architecture from an option, $KILN_CUDA_ARCH or the default; checked. */
export function cudaArch(arch?: string): string {
  const a = arch ?? process.env.KILN_CUDA_ARCH ?? DEFAULT_CUDA_ARCH;
  if (!/^sm_\d{2,3}[a-z]?$/.test(a)) throw new KilnError(`CUDA architecture '${a}' is not of the form sm_NN (e.g. sm_90)`);
  return a;
}

interface Backend {
  readonly producer: PtxProducer;
  readonly fingerprint: string;
  /** The architecture the PTX will target for a requested one. */
  target(arch: string): string;
  /** PTX of `ir`; `dir` is a private folder for temporary files. */
  compile(ir: string, arch: string, dir: string): string;
}

let backend: Backend | null | undefined;
let warned = false;

function nvvmBackend(): Backend | null {
  const lib = findLibnvvm();
  const device = findLibdevice(lib);
  if (!lib || !device) return null;
  const api = loadNvvm(lib, device);
  return {
    producer: 'libnvvm',
    fingerprint: `${api.version}|${device}`,
    target: (arch) => arch,
    compile: (ir, arch) => api.compile(ir, 'kiln', [`-arch=compute_${arch.slice(3)}`, '-fma=0']),
  };
}

function llcBackend(): Backend | null {
  const tools = findLlvmNvptxTools();
  const device = findLibdevice();
  if (!tools || !device) return null;
  const version = execFileSync(tools.llc, ['--version'], { encoding: 'utf8' });
  const target = (arch: string) => `sm_${Math.min(LLC_MAX_SM, Number(/\d+/.exec(arch)![0]))}`;
  return {
    producer: 'llc-14',
    fingerprint: `${version}|${device}`,
    target,
    compile(ir, arch, dir) {
      const ll = join(dir, 'k.ll'), linked = join(dir, 'k.linked.bc'), opt = join(dir, 'k.opt.bc'), out = join(dir, 'k.llc.ptx');
      writeFileSync(ll, ir);
      const run = (cmd: string, args: string[], what: string) => {
        try {
          execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
        } catch (err) {
          const e = err as { stderr?: Buffer | string; message?: string };
          throw new PtxCompileError(`${what} failed: ${cmd} ${args.join(' ')}\n${e.stderr?.toString().trim() || e.message || ''}`);
        }
      };
      run(tools.link, ['--only-needed', ll, device, '-o', linked], 'llvm-link-14');
      run(tools.opt, ['-O3', linked, '-o', opt], 'opt-14');
      run(tools.llc, ['-O3', '-nvptx-fma-level=0', '-march=nvptx64', `-mcpu=${target(arch)}`, `-mattr=+${LLC_PTX}`, opt, '-o', out], 'llc-14');
      return readFileSync(out, 'utf8');
    },
  };
}

/** The PTX producer of this process (found once), or a KilnError naming what is missing. */
export function ptxBackend(): Backend {
  if (backend === undefined) {
    const forced = process.env.KILN_PTX_PRODUCER;
    backend = forced === 'llc-14' ? llcBackend() : (nvvmBackend() ?? llcBackend());
    if (backend?.producer === 'llc-14' && !warned) {
      warned = true;
      process.stderr.write(
        `kiln: ${forced === 'llc-14' ? 'KILN_PTX_PRODUCER=llc-14' : 'libnvvm not found (set CUDA_HOME or KILN_LIBNVVM)'}; ` +
          `compiling PTX with llc-14 for ${`sm_${LLC_MAX_SM}`} (PTX ISA 7.5; the driver JIT-compiles it for newer GPUs)\n`,
      );
    }
  }
  if (!backend) {
    throw new KilnError(
      'compiling for CUDA needs libnvvm and libdevice (a CUDA toolkit: set CUDA_HOME, KILN_LIBNVVM or KILN_LIBDEVICE), ' +
        'or llc-14, opt-14 and llvm-link-14 (Debian package llvm-14) with libdevice',
    );
  }
  return backend;
}

const forced = new Map<PtxProducer, Backend | null>();

/** The backend of a given producer, or a KilnError when it cannot run here. */
function forcedBackend(p: PtxProducer): Backend {
  if (!forced.has(p)) forced.set(p, p === 'libnvvm' ? nvvmBackend() : llcBackend());
  const b = forced.get(p);
  if (!b) throw new KilnError(`the PTX producer ${p} is not available here (${p === 'libnvvm' ? 'libnvvm and libdevice' : 'llc-14, opt-14, llvm-link-14 and libdevice'} needed)`);
  return b;
}

/** Whether a given producer can run here. */
export function producerAvailable(p: PtxProducer): boolean {
  try {
    forcedBackend(p);
    return true;
  } catch {
    return false;
  }
}

/** Whether PTX can be produced here (libnvvm, or the llc-14 fallback, with libdevice). */
export function ptxAvailable(): boolean {
  try {
    ptxBackend();
    return true;
  } catch {
    return false;
  }
}

/** Compiles NVVM IR text to PTX through the cache. */
export function compilePtx(ir: string, opts: PtxOptions = {}): PtxResult {
  const t0 = performance.now();
  const b = opts.producer === undefined ? ptxBackend() : forcedBackend(opts.producer);
  const arch = b.target(cudaArch(opts.arch));
  const key = createHash('sha256')
    .update(JSON.stringify({ v: PIPELINE_VERSION, producer: b.producer, tools: b.fingerprint, arch }))
    .update('\0')
    .update(ir)
    .digest('hex');
  const { path, hit } = cachedFile(opts.cacheDir ?? defaultCacheDir(), key, '.ptx', (tmp) => {
    const ptx = b.compile(ir, arch, tmp);
    const out = join(tmp, 'k.ptx');
    writeFileSync(out, ptx);
    return out;
  }, (p) => readFileSync(p, 'utf8').includes('.target'));
  return { ptx: readFileSync(path, 'utf8'), producer: b.producer, arch, cached: hit, compileMs: performance.now() - t0, ir };
}

/** Emits the GPU kernels as one NVVM module and compiles it to PTX. */
export function compileGpuKernels(kernels: readonly GpuKernel[], opts: PtxOptions = {}): PtxResult {
  return compilePtx(emitNvvmModule(kernels), opts);
}
