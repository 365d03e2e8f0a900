// Helpers of the differential tests of the compiled CPU backend against the interpreter (the
// oracle): a cold compilation cache per test file, seeded random inputs, and a comparison of
// result trees leaf by leaf with per-dtype tolerances.
//
//   useColdCache();                       // in the test file, at top level
//   const r = diff(f, [x, y]);            // jit(f) on cpu and on interp, results compared
//   expectClose(cpuResult, interpResult, { rtol: 1e-5 });
//
// Where the CUDA compiler can run (ptxas, and libnvvm or llc-14 with libdevice), `diff` also
// compiles every function for CUDA and assembles its PTX with ptxas; with KILN_GPU_CASES=<dir>
// it writes each call as a GPU case (bench/gpu/cases.ts) for replay on a GPU machine.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, expect, vi } from 'vitest';
import * as k from '../../index.ts';
import { encodeArray, stringifyCase, type GpuCase } from '../../bench/gpu/cases.ts';
import { assemblePtx, findPtxas, ptxAvailable } from '../../compiler/codegen/ptx/index.ts';
import type { HostArray } from '../../compiler/ir/dtype.ts';
import { compileForCuda } from '../../compiler/pipeline.ts';
import { traceToFunc } from '../../dsl/make-ir.ts';
import { evalFunc } from '../../runtime/interp/index.ts';
import { onVulkanCompile, vulkanPresent } from '../../dsl/vulkan-backend.ts';
import { VulkanLimitError } from '../../runtime/vulkan/index.ts';
import { expectValidSpirv, spirvValPresent } from '../codegen/spirv-helpers.ts';

/** Whether the CPU backend can compile here (LLVM 14 tools and a C compiler on x86-64). */
export const cpuPresent: boolean = (() => {
  if (process.arch !== 'x64') return false;
  try {
    for (const t of ['opt-14', 'llc-14', 'gcc']) execFileSync('sh', ['-c', `command -v ${t}`], { stdio: 'ignore' });
    return k.devices().some((d) => d.kind === 'cpu');
  } catch {
    return false;
  }
})();

/**
 * Points KILN_CACHE_DIR at a fresh temporary folder for the file's tests (so CI compiles cold
 * and nothing leaks between runs), restoring the previous value afterwards, and raises the
 * file's test timeout for cold compilations. Returns a getter of the folder.
 */
export function useColdCache(): () => string {
  // A cold LLVM compile of a larger program takes seconds on a small machine: allow for it.
  vi.setConfig({ testTimeout: 120_000, hookTimeout: 60_000 });
  let dir = '';
  let before: string | undefined;
  beforeAll(() => {
    before = process.env.KILN_CACHE_DIR;
    dir = mkdtempSync(join(tmpdir(), 'kiln-backends-'));
    process.env.KILN_CACHE_DIR = dir;
  });
  afterAll(() => {
    if (before === undefined) delete process.env.KILN_CACHE_DIR;
    else process.env.KILN_CACHE_DIR = before;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return () => dir;
}

// ---- seeded random inputs -------------------------------------------------------------

/** The seeded generator of random inputs (mulberry32): uniform floats in [0, 1). */
export { mulberry32 as rng } from '../../bench/rng.ts';

const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Uniform values in [lo, hi) of `shape` and `dtype` (i32: integers in [lo, hi); bool: coin flips). */
export function rand(r: () => number, shape: readonly number[], dtype: k.DType = 'f32', lo = -2, hi = 2): k.Tensor {
  const n = sizeOf(shape);
  switch (dtype) {
    case 'f64':
      return k.array(Float64Array.from({ length: n }, () => lo + (hi - lo) * r()), { shape });
    case 'i32':
      return k.array(Int32Array.from({ length: n }, () => Math.floor(lo + (hi - lo) * r())), { shape });
    case 'bool':
      return k.array(Uint8Array.from({ length: n }, () => (r() < 0.5 ? 1 : 0)), { shape, dtype: 'bool' });
    default:
      return k.array(Float32Array.from({ length: n }, () => lo + (hi - lo) * r()), { shape, dtype });
  }
}

/** Values in [lo, hi) with no two equal (ties would make argmax/sort orders ambiguous only in name). */
export function randDistinct(r: () => number, shape: readonly number[], dtype: 'f32' | 'f64' = 'f32'): k.Tensor {
  const n = sizeOf(shape);
  const vals = Array.from({ length: n }, (_, i) => i - n / 2 + 0.25);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [vals[i], vals[j]] = [vals[j]!, vals[i]!];
  }
  return k.array(dtype === 'f64' ? Float64Array.from(vals) : Float32Array.from(vals), { shape });
}

// ---- comparison ----------------------------------------------------------------------

/** Tolerances of one comparison. Integer and boolean leaves are always compared exactly. */
export interface Tol {
  /** Relative tolerance for float leaves (default by dtype: f64 1e-12, f32 1e-5). */
  rtol?: number;
  /** Absolute tolerance for float leaves (default rtol times the leaf's largest |value|, at least rtol). */
  atol?: number;
  /**
   * Multiplies the default per-dtype rtol (not an explicit one): the length of the longest
   * reduction or contraction, whose summation order may differ between backends.
   */
  scale?: number;
}

export const DEFAULT_RTOL: Record<string, number> = { f64: 1e-12, f32: 1e-5, f16: 1e-3, bf16: 1e-2 };

/** Leaves of a result tree, with their paths, as in k.treeFlatten. */
function leavesWithPaths(tree: unknown, path = ''): [string, unknown][] {
  if (tree instanceof k.Tensor) return [[path || '<root>', tree]];
  if (Array.isArray(tree)) return tree.flatMap((v, i) => leavesWithPaths(v, `${path}[${i}]`));
  if (tree !== null && typeof tree === 'object') return Object.entries(tree).flatMap(([key, v]) => leavesWithPaths(v, path ? `${path}.${key}` : key));
  return [[path || '<root>', tree]];
}

/** Describes the first mismatches of two float arrays, or '' when they agree. */
function floatMismatch(got: ArrayLike<number>, want: ArrayLike<number>, rtol: number, atol: number): string {
  const bad: string[] = [];
  let count = 0;
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!, w = want[i]!;
    let ok: boolean;
    if (Number.isNaN(w) || Number.isNaN(g)) ok = Number.isNaN(w) && Number.isNaN(g);
    else if (!Number.isFinite(w) || !Number.isFinite(g)) ok = g === w;
    else ok = Math.abs(g - w) <= atol + rtol * Math.abs(w);
    if (!ok) {
      count++;
      if (bad.length < 6) bad.push(`[${i}] cpu ${g} vs interp ${w}`);
    }
  }
  return count ? `${count} of ${want.length} elements differ (rtol ${rtol}, atol ${atol}): ${bad.join(', ')}` : '';
}

function exactMismatch(got: ArrayLike<number>, want: ArrayLike<number>): string {
  const bad: string[] = [];
  let count = 0;
  for (let i = 0; i < want.length; i++) {
    if (got[i] !== want[i]) {
      count++;
      if (bad.length < 6) bad.push(`[${i}] cpu ${got[i]} vs interp ${want[i]}`);
    }
  }
  return count ? `${count} of ${want.length} elements differ: ${bad.join(', ')}` : '';
}

/**
 * Mismatches between two result trees (cpu `got`, interpreter `want`): structure, shapes and
 * dtypes equal; i32/bool values exact; floats within the tolerance. `tol` may give one
 * tolerance per leaf path. Returns one line per mismatching leaf.
 */
export function mismatches(got: unknown, want: unknown, tol: Tol | ((path: string, dtype: string) => Tol) = {}): string[] {
  const g = leavesWithPaths(got), w = leavesWithPaths(want);
  if (g.length !== w.length) return [`result trees differ: ${g.length} leaves vs ${w.length}`];
  const out: string[] = [];
  w.forEach(([path, wv], i) => {
    const [gpath, gv] = g[i]!;
    if (gpath !== path) return void out.push(`leaf ${i}: path ${gpath} vs ${path}`);
    if (!(wv instanceof k.Tensor) || !(gv instanceof k.Tensor)) {
      if (gv !== wv) out.push(`${path}: ${String(gv)} vs ${String(wv)}`);
      return;
    }
    if (gv.dtype !== wv.dtype || gv.shape.join() !== wv.shape.join()) {
      return void out.push(`${path}: cpu ${gv.dtype}[${gv.shape.join(',')}] vs interp ${wv.dtype}[${wv.shape.join(',')}]`);
    }
    const gd = gv.data(), wd = wv.data();
    let msg: string;
    if (wv.dtype === 'i32' || wv.dtype === 'bool') msg = exactMismatch(gd, wd);
    else {
      const t = typeof tol === 'function' ? tol(path, wv.dtype) : tol;
      const rtol = t.rtol ?? (DEFAULT_RTOL[wv.dtype] ?? 1e-5) * (t.scale ?? 1);
      let scale = 0;
      for (const v of wd) if (Number.isFinite(v)) scale = Math.max(scale, Math.abs(v));
      const atol = t.atol ?? rtol * Math.max(scale, 1);
      msg = floatMismatch(gd, wd, rtol, atol);
    }
    if (msg) out.push(`${path} (${wv.dtype}[${wv.shape.join(',')}]): ${msg}`);
  });
  return out;
}

/** Asserts that two result trees agree (see mismatches). */
export function expectClose(got: unknown, want: unknown, tol: Tol | ((path: string, dtype: string) => Tol) = {}): void {
  expect(mismatches(got, want, tol)).toEqual([]);
}

/** Every tensor leaf of a result tree lives on `device`. */
export function expectOnDevice(tree: unknown, device: string): void {
  for (const [path, v] of leavesWithPaths(tree)) if (v instanceof k.Tensor) expect(`${path}: ${v.device}`).toBe(`${path}: ${device}`);
}

/**
 * Runs `f` compiled for the CPU and on the interpreter with the same arguments, checks that
 * the results agree and live on the CPU, and returns both (and the jitted CPU function).
 */
export function diff<A extends unknown[], R>(
  f: (...args: A) => R,
  args: A,
  tol: Tol | ((path: string, dtype: string) => Tol) = {},
  opts: Omit<k.JitOptions, 'device'> = {},
): { cpu: R; interp: R; jitted: k.Jitted<A, R> } {
  const jc = k.jit(f, { ...opts, device: 'cpu' });
  const before = leavesWithPaths(args).map(([path, v]) => [path, v instanceof k.Tensor ? Array.from(v.data()) : v] as const);
  const cpu = jc(...args);
  // Arguments that were not donated are left as they were (no kernel wrote into them).
  const donated = new Set(typeof opts.donateArgnums === 'number' ? [opts.donateArgnums] : (opts.donateArgnums ?? []));
  const after = leavesWithPaths(args).map(([path, v]) => [path, v instanceof k.Tensor && !donated.has(Number(/^\[(\d+)\]/.exec(path)?.[1])) ? Array.from(v.data()) : null] as const);
  after.forEach(([path, v], i) => v !== null && expect(v, `argument ${path} was modified by the CPU run`).toEqual(before[i]![1]));
  const interp = k.jit(f, { ...opts, device: 'interp' })(...args);
  expectClose(cpu, interp, tol);
  expectOnDevice(cpu, 'cpu:0');
  if (cudaPresent) checkCuda(f, args, tol, opts);
  if (vulkanTestPresent) checkVulkan(f, args, interp, tol, opts); // Vulkan: see the section at the end
  return { cpu, interp, jitted: jc };
}

// ---- CUDA: PTX assembled by ptxas, and recorded cases -----------------------------------

/** Whether functions can be compiled for CUDA here and their PTX checked (ptxas present). */
export const cudaPresent: boolean = process.env.KILN_TEST_CUDA !== '0' && findPtxas() !== null && ptxAvailable();

/** Where PTX and ptxas results of the tests are cached across runs (reruns are cheap). */
const cudaCacheDir = (): string => process.env.KILN_GPU_TEST_CACHE ?? join(homedir(), '.cache', 'kiln', 'gpu-tests');

/** Time spent in checkCuda by this test file (reported with KILN_GPU_TIMING=1). */
let cudaMs = 0;
const caseCounts = new Map<string, number>();

/**
 * Compiles `f` for CUDA on `args` as jit would (tensor leaves as inputs, then the concrete values
 * it captures), assembles the PTX with ptxas -arch=sm_90 (a failure names the kernel and the PTX
 * line), and, with KILN_GPU_CASES set, writes the case: module, program, inputs, the
 * interpreter's results and the tolerances.
 */
export function checkCuda<A extends unknown[], R>(
  f: (...args: A) => R,
  args: A,
  tol: Tol | ((path: string, dtype: string) => Tol) = {},
  opts: Omit<k.JitOptions, 'device'> = {},
): void {
  const t0 = performance.now();
  const statics = asList(opts.staticArgnums), donate = asList(opts.donateArgnums);
  const donated: boolean[] = [];
  const abstract = args.map((a, i) => {
    if (statics.includes(i)) return a;
    for (const l of k.treeFlatten(a).leaves) if (l instanceof k.Tensor) donated.push(donate.includes(i));
    return a;
  });
  const r = traceToFunc(f as (...a: never[]) => unknown, abstract, { name: f.name || 'jit' });
  const tensors = r.inputLeaves.map((i) => r.leaves[i] as k.Tensor);
  const consts = r.trace.captured.map((c) => {
    if (c.value.kind !== 'concrete') throw new Error('checkCuda: a traced value was captured');
    return c.value.array.toHost().data;
  });
  const cache = cudaCacheDir();
  const compiled = compileForCuda([r.func], { donated: [[...donated, ...consts.map(() => false)]], cacheDir: cache });
  assemblePtx(compiled.module.ptx, 'sm_90', cache, ['-O1']);
  const dir = process.env.KILN_GPU_CASES;
  if (dir) {
    const inputs: HostArray[] = [...tensors.map((t) => t.data()), ...consts];
    const expected = evalFunc(r.func, inputs.map((data, i) => ({ aval: r.func.inputs[i]!.aval, data })));
    const { rtol, atol } = caseTolerance(expected.map((t, i) => ({ path: `[${i}]`, dtype: t.aval.dtype, data: t.data })), tol);
    const st = expect.getState();
    const test = `${basename(st.testPath ?? 'test')} > ${st.currentTestName ?? ''}`;
    const n = (caseCounts.get(test) ?? 0) + 1;
    caseCounts.set(test, n);
    const c: GpuCase = {
      name: `${test} #${n}`,
      module: compiled.module,
      program: compiled.funcs[0]!.program,
      inputs: inputs.map((d, i) => encodeArray(r.func.inputs[i]!.aval.dtype, r.func.inputs[i]!.aval.shape, d)),
      expected: expected.map((t) => encodeArray(t.aval.dtype, t.aval.shape, t.data)),
      rtol,
      atol,
    };
    mkdirSync(dir, { recursive: true });
    const file = `${test.replace(/\.test\.ts/, '').replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 160)}_${n}.json`;
    writeFileSync(join(dir, file), stringifyCase(c));
  }
  cudaMs += performance.now() - t0;
}

afterAll(() => {
  if (process.env.KILN_GPU_TIMING && cudaMs > 0) process.stderr.write(`kiln tests: CUDA compile + ptxas ${cudaMs.toFixed(0)} ms in ${basename(expect.getState().testPath ?? '')}\n`);
});

const asList = (x: number | readonly number[] | undefined): number[] => (x === undefined ? [] : typeof x === 'number' ? [x] : [...x]);

/**
 * One rtol/atol for a whole case: the largest the comparison in `mismatches` would use on any
 * float output (integer and bool outputs are compared exactly by the replayer regardless).
 */
function caseTolerance(outs: readonly { path: string; dtype: string; data: ArrayLike<number> }[], tol: Tol | ((path: string, dtype: string) => Tol)): { rtol: number; atol: number } {
  let rtol = 0, atol = 0;
  for (const o of outs) {
    if (o.dtype === 'i32' || o.dtype === 'bool') continue;
    const t = typeof tol === 'function' ? tol(o.path, o.dtype) : tol;
    const r = t.rtol ?? (DEFAULT_RTOL[o.dtype] ?? 1e-5) * (t.scale ?? 1);
    let scale = 0;
    for (let i = 0; i < o.data.length; i++) if (Number.isFinite(o.data[i]!)) scale = Math.max(scale, Math.abs(o.data[i]!));
    rtol = Math.max(rtol, r);
    atol = Math.max(atol, t.atol ?? r * Math.max(scale, 1));
  }
  return { rtol, atol };
}

// ---- Vulkan: the same function on the vulkan backend (lavapipe in CI) --------------------
// Opt-out with KILN_TEST_VULKAN=0. Every SPIR-V module compiled on the way is validated with
// spirv-val (when installed); a failure names the kernel and shows the disassembly there.

/** Whether `diff` also runs functions on a Vulkan device. */
export const vulkanTestPresent: boolean = process.env.KILN_TEST_VULKAN !== '0' && vulkanPresent();

/** Runs `f` jitted on vulkan and compares with the interpreter's results `interp`. */
export function checkVulkan<A extends unknown[], R>(
  f: (...args: A) => R,
  args: A,
  interp: R,
  tol: Tol | ((path: string, dtype: string) => Tol) = {},
  opts: Omit<k.JitOptions, 'device'> = {},
): R {
  const stop = spirvValPresent ? onVulkanCompile(expectValidSpirv) : () => false;
  try {
    // Donation is left out: the arguments are still needed, and the vulkan run copies anyway.
    let vk: R;
    try {
      vk = k.jit(f, { ...opts, donateArgnums: undefined, device: 'vulkan' })(...args);
    } catch (e) {
      // lavapipe caps loop iterations per invocation; work that serial is reported, not wrong.
      if (!(e instanceof VulkanLimitError)) throw e;
      console.warn(`vulkan comparison skipped: ${e.message}`);
      return interp;
    }
    expect(mismatches(vk, interp, tol).map((m) => `vulkan: ${m}`)).toEqual([]);
    expectOnDevice(vk, 'vulkan:0');
    return vk;
  } finally {
    stop();
  }
}
