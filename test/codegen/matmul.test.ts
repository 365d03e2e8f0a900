// The CPU matmul kernel (compiler/codegen/llvm/matmul.ts) on its own: each build puts only
// kiln_matmul_f32/f64 in a module, compiles it the way the CPU backend does (opt -O3, llc -O3
// -mcpu=native, gcc -shared with libgomp), loads it with koffi and compares with a
// double-precision reference on many shapes, layouts and batchings.
//
// Besides the default build (host ISA and blocking), builds with tiny blocks and no small-size
// or single-thread shortcuts push small shapes through every path of the blocked, threaded
// code (edge slivers, several k/m/n blocks, the split between threads), and builds for narrower ISAs (AVX2,
// SSE-width vectors) check the blocking used on hosts without AVX-512.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import koffi from 'koffi';
import llvm from 'llvm-bindings';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getMatmulFunction, hostVectorISA, matmulConfig, type MatmulDType, type MatmulOptions } from '../../compiler/codegen/llvm/matmul.ts';

function hasTool(cmd: string, args: string[]): boolean {
  try {
    execFileSync(cmd, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const toolsPresent = hasTool('opt-14', ['--version']) && hasTool('llc-14', ['--version']) && hasTool('gcc', ['--version']);
const hostFlags = ((): Set<string> => {
  try {
    const m = /^flags\s*:(.*)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    return new Set(m ? m[1]!.trim().split(/\s+/) : []);
  } catch {
    return new Set();
  }
})();
const x64 = process.arch === 'x64';

type MatmulFn = (...args: unknown[]) => void;
interface Lib {
  f32: MatmulFn;
  f64: MatmulFn;
}

let workDir = '';

/** Compiles a module holding both kernels built with `options` into a shared library. */
function buildLibrary(name: string, options: MatmulOptions, llcAttrs: string[] = []): Lib {
  const ctx = new llvm.LLVMContext();
  const mod = new llvm.Module(name, ctx);
  mod.setTargetTriple(llvm.config.LLVM_HOST_TRIPLE);
  const f32 = getMatmulFunction(mod, ctx, 'f32', options);
  getMatmulFunction(mod, ctx, 'f64', options);
  // A second request returns the kernel already in the module (not a second copy).
  const again = getMatmulFunction(mod, ctx, 'f32', options);
  expect(llvm.Type.isSameType(again.getType(), f32.getType())).toBe(true);
  expect(mod.getFunction('kiln_mm_f32_worker.1')).toBeNull();
  expect(mod.getFunction('kiln_matmul_f64')).not.toBeNull();
  expect(llvm.verifyModule(mod)).toBe(false);
  const base = path.join(workDir, name);
  fs.writeFileSync(`${base}.ll`, mod.print());
  const target = ['-mcpu=native', ...llcAttrs];
  execFileSync('opt-14', ['-O3', ...target, `${base}.ll`, '-o', `${base}.bc`]);
  execFileSync('llc-14', ['-O3', ...target, '-relocation-model=pic', '-filetype=obj', `${base}.bc`, '-o', `${base}.o`]);
  execFileSync('gcc', ['-shared', '-o', `${base}.so`, `${base}.o`, '-lgomp']);
  const lib = koffi.load(`${base}.so`);
  const sig = (t: string, d: MatmulDType): string =>
    `void kiln_matmul_${d}(${t} *A, ${t} *B, ${t} *C, int64_t batch, int64_t m, int64_t n, int64_t k, ` +
    'int64_t as0, int64_t as1, int64_t as2, int64_t bs0, int64_t bs1, int64_t bs2)';
  return { f32: lib.func(sig('float', 'f32')) as MatmulFn, f64: lib.func(sig('double', 'f64')) as MatmulFn };
}

/** Deterministic uniform numbers in [-1, 1). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 31 - 1;
  };
}

interface Layout {
  /** Stored transposed: the logical rows are adjacent in memory. */
  readonly trans?: boolean;
  /** Extra elements at the end of each stored row (a larger leading dimension). */
  readonly pad?: number;
  /** One matrix for the whole batch (batch stride 0). */
  readonly broadcast?: boolean;
}

interface Operand {
  data: Float32Array | Float64Array;
  s0: number;
  s1: number;
  s2: number;
}

/** Random storage for a batch of rows x cols matrices in `layout`; padding holds random values
 * too, so reading it would show. */
function operand(dtype: MatmulDType, batch: number, rows: number, cols: number, layout: Layout, rand: () => number): Operand {
  const pad = layout.pad ?? 0;
  const ld = (layout.trans ? rows : cols) + pad;
  const item = (layout.trans ? cols : rows) * ld;
  const count = (layout.broadcast ? 1 : batch) * item;
  const data = dtype === 'f32' ? new Float32Array(count) : new Float64Array(count);
  for (let i = 0; i < count; i++) data[i] = rand();
  return { data, s0: layout.broadcast ? 0 : item, s1: layout.trans ? 1 : ld, s2: layout.trans ? ld : 1 };
}

interface Case {
  batch?: number;
  m: number;
  n: number;
  k: number;
  a?: Layout;
  b?: Layout;
  /** Check only this many random entries of C (for large products). */
  sample?: number;
}

/**
 * Runs one product and returns '' or a description of the first wrong entry. An entry passes
 * when |c - ref| <= 2 k eps sum_p |a b| (the worst-case error bound of any summation order,
 * i.e. a relative tolerance that grows with k) plus a tiny absolute slack.
 */
function check(fn: MatmulFn, dtype: MatmulDType, c: Case, seed = 1): string {
  const batch = c.batch ?? 1;
  const { m, n, k } = c;
  const rand = rng(seed * 7919 + m * 131 + n * 17 + k);
  const A = operand(dtype, batch, m, k, c.a ?? {}, rand);
  const B = operand(dtype, batch, k, n, c.b ?? {}, rand);
  const C = dtype === 'f32' ? new Float32Array(batch * m * n) : new Float64Array(batch * m * n);
  C.fill(Number.NaN); // C must be written whole, also where k = 0
  fn(A.data, B.data, C, batch, m, n, k, A.s0, A.s1, A.s2, B.s0, B.s1, B.s2);
  const eps = dtype === 'f32' ? 2 ** -24 : 2 ** -53;
  const entry = (bi: number, i: number, j: number): string => {
    let sum = 0;
    let abs = 0;
    const ao = bi * A.s0 + i * A.s1;
    const bo = bi * B.s0 + j * B.s2;
    for (let p = 0; p < k; p++) {
      const prod = A.data[ao + p * A.s2]! * B.data[bo + p * B.s1]!;
      sum += prod;
      abs += Math.abs(prod);
    }
    const got = C[bi * m * n + i * n + j]!;
    const tol = 2 * Math.max(k, 1) * eps * abs + 1e-300;
    return Math.abs(got - sum) <= tol ? '' : `C[${bi}, ${i}, ${j}] = ${got}, expected ${sum} (tolerance ${tol.toExponential(2)})`;
  };
  if (c.sample !== undefined) {
    const pick = rng(seed + 99);
    const idx = (x: number): number => Math.min(x - 1, Math.floor(((pick() + 1) / 2) * x));
    for (let s = 0; s < c.sample; s++) {
      const e = entry(idx(batch), idx(m), idx(n));
      if (e !== '') return e;
    }
    // The corners, where edge tiles are.
    for (const bi of [0, batch - 1])
      for (const i of [0, m - 1])
        for (const j of [0, n - 1]) {
          const e = entry(bi, i, j);
          if (e !== '') return e;
        }
    return '';
  }
  for (let bi = 0; bi < batch; bi++)
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        const e = entry(bi, i, j);
        if (e !== '') return e;
      }
  return '';
}

const describeTools = describe.skipIf(!toolsPresent);
beforeAll(() => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-matmul-test-'));
});
afterAll(() => {
  if (workDir !== '') fs.rmSync(workDir, { recursive: true, force: true });
});
if (!toolsPresent) console.warn('matmul tests skipped: opt-14, llc-14 or gcc is missing');

function checkAll(lib: () => Lib, dtype: MatmulDType, cases: Case[]): void {
  const failures: string[] = [];
  for (const c of cases) {
    const e = check(lib()[dtype], dtype, c);
    if (e !== '') failures.push(`${JSON.stringify(c)}: ${e}`);
  }
  expect(failures.length === 0 ? [] : [`${failures.length} of ${cases.length} wrong`, ...failures.slice(0, 5)]).toEqual([]);
}

/** Layout combinations: plain, transposed A, transposed B, both, padded rows. */
const LAYOUTS: Array<Pick<Case, 'a' | 'b'>> = [
  {},
  { a: { trans: true } },
  { b: { trans: true } },
  { a: { trans: true, pad: 3 }, b: { trans: true, pad: 1 } },
  { a: { pad: 5 }, b: { pad: 2 } },
];

describeTools('kiln_matmul (LLVM CPU kernel)', () => {
  let host: Lib;
  let forced: Lib;

  beforeAll(() => {
    host = buildLibrary('host', {});
    // Tiny blocks: with kc = 7, mc = 2 mr and nc ~ 2 nr even small shapes span several blocks
    // in every dimension; smallWork and parallelWork 0 send everything through packing and
    // the parallel region (whose thread grid then cuts small shapes too).
    const { mr, nr } = matmulConfig('f32');
    forced = buildLibrary('forced', { smallWork: 0, parallelWork: 0, kc: 7, mc: 2 * mr, nc: 2 * nr - 1 });
  }, 60_000);

  for (const dtype of ['f32', 'f64'] as const) {
    it(`${dtype}: every m, n, k in 1..17 through the blocked, threaded path`, () => {
      const cases: Case[] = [];
      for (let m = 1; m <= 17; m++) for (let n = 1; n <= 17; n++) for (let k = 1; k <= 17; k++) cases.push({ m, n, k });
      checkAll(() => forced, dtype, cases);
    }, 60_000);

    it(`${dtype}: tiny and edge shapes with the default blocking`, () => {
      const cases: Case[] = [
        { m: 1, n: 1, k: 1 },
        { m: 1, n: 1, k: 1000 },
        { m: 1, n: 300, k: 7 },
        { m: 300, n: 1, k: 7 },
        { m: 61, n: 37, k: 53 },
        { m: 37, n: 61, k: 53 },
        { m: 97, n: 89, k: 101 },
        { m: 8, n: 32, k: 256 },
        { m: 33, n: 65, k: 257 },
        { m: 129, n: 31, k: 513 },
      ];
      for (let s = 1; s <= 17; s++) cases.push({ m: s, n: s, k: s }, { m: 16 + s, n: 32 + s, k: 64 });
      checkAll(() => host, dtype, cases);
    }, 30_000);

    it(`${dtype}: transposed and padded operands (strides)`, () => {
      const cases: Case[] = [];
      for (const l of LAYOUTS) {
        for (const [m, n, k] of [
          [1, 1, 1],
          [5, 3, 2],
          [17, 13, 11],
          [61, 37, 53],
          [100, 70, 300],
        ] as const)
          cases.push({ m, n, k, ...l });
      }
      checkAll(() => host, dtype, cases);
      checkAll(() => forced, dtype, cases.slice(0, 20));
    }, 30_000);

    it(`${dtype}: batched, with a broadcast operand (batch stride 0)`, () => {
      const cases: Case[] = [
        { batch: 2, m: 3, n: 4, k: 5 },
        { batch: 4, m: 33, n: 17, k: 40 },
        { batch: 4, m: 33, n: 17, k: 40, b: { broadcast: true } },
        { batch: 3, m: 20, n: 50, k: 30, a: { broadcast: true, trans: true } },
        { batch: 5, m: 64, n: 64, k: 64, b: { broadcast: true, trans: true } },
        // Few, large items: the threads share each item (cooperative path).
        { batch: 3, m: 130, n: 140, k: 150, a: { trans: true }, sample: 3000 },
        { batch: 1, m: 200, n: 190, k: 70, b: { broadcast: true } },
      ];
      checkAll(() => host, dtype, cases);
      checkAll(() => forced, dtype, cases.slice(0, 5));
    }, 30_000);

    it(`${dtype}: empty products and k = 0`, () => {
      const lib = (): Lib => host;
      // k = 0: C is zeros (the reference sum is 0; the NaN fill shows unwritten entries).
      checkAll(lib, dtype, [
        { m: 3, n: 4, k: 0 },
        { batch: 2, m: 100, n: 100, k: 0 },
      ]);
      checkAll(() => forced, dtype, [{ m: 5, n: 2, k: 0 }]);
      // Nothing to write: must not touch C (or crash).
      const C = dtype === 'f32' ? new Float32Array(4) : new Float64Array(4);
      C.fill(7);
      const A = dtype === 'f32' ? new Float32Array(4) : new Float64Array(4);
      for (const [batch, m, n] of [
        [0, 2, 2],
        [2, 0, 2],
        [2, 2, 0],
      ] as const)
        host[dtype](A, A, C, batch, m, n, 2, 4, 2, 1, 4, 2, 1);
      expect(Array.from(C)).toEqual([7, 7, 7, 7]);
    });
  }

  it('f32: the MLP layer shape 256 x 784 x 256, all layouts', () => {
    const cases: Case[] = LAYOUTS.map((l) => ({ m: 256, n: 256, k: 784, ...l, sample: 4000 }));
    cases.push({ m: 256, n: 256, k: 784 });
    checkAll(() => host, 'f32', cases);
  }, 30_000);

  it('f64: 256 x 784 x 256 and transposed', () => {
    checkAll(() => host, 'f64', [
      { m: 256, n: 256, k: 784, sample: 3000 },
      { m: 256, n: 256, k: 784, a: { trans: true }, b: { trans: true }, sample: 3000 },
    ]);
  }, 30_000);

  it('f32: 1024 x 1024 x 1024', () => {
    checkAll(() => host, 'f32', [{ m: 1024, n: 1024, k: 1024, sample: 3000 }]);
  }, 30_000);
});

describeTools.each([
  // Hosts without AVX-512: 16 vector registers, 6 x 2-vector tiles; compiled without AVX-512
  // so the code is what such a host runs.
  { name: 'avx2', isa: { bits: 256, regs: 16 } as const, attrs: ['-mattr=-avx512f'], ok: x64 && hostFlags.has('avx2') && hostFlags.has('fma') },
  { name: 'sse', isa: { bits: 128, regs: 16 } as const, attrs: ['-mattr=-avx512f,-avx2,-avx,-fma'], ok: x64 },
])('kiln_matmul for $name hosts', ({ name, isa, attrs, ok }) => {
  let lib: Lib;
  let forcedLib: Lib;
  beforeAll(() => {
    if (!ok) return;
    lib = buildLibrary(`${name}`, { isa, smallWork: 0 }, attrs);
    forcedLib = buildLibrary(`${name}-forced`, { isa, smallWork: 0, parallelWork: 0, kc: 5, mc: 7, nc: 9 }, attrs);
  }, 60_000);
  for (const dtype of ['f32', 'f64'] as const) {
    it.skipIf(!ok)(`${dtype}: edges, layouts, batches`, () => {
      const cases: Case[] = [];
      for (let m = 1; m <= 13; m += 2) for (let n = 1; n <= 19; n += 3) for (let k = 1; k <= 9; k += 4) cases.push({ m, n, k });
      for (const l of LAYOUTS) cases.push({ m: 61, n: 37, k: 53, ...l });
      cases.push({ batch: 3, m: 20, n: 30, k: 40, b: { broadcast: true } });
      checkAll(() => forcedLib, dtype, cases);
      checkAll(() => lib, dtype, [...cases, { m: 256, n: 256, k: 784, a: { trans: true }, sample: 2000 }]);
    }, 30_000);
  }
});

it('links into a module that already declares the kernel and calls it', () => {
  const ctx = new llvm.LLVMContext();
  const mod = new llvm.Module('caller', ctx);
  mod.setTargetTriple(llvm.config.LLVM_HOST_TRIPLE);
  const f32p = llvm.Type.getFloatPtrTy(ctx);
  const i64 = llvm.Type.getInt64Ty(ctx);
  const sig = llvm.FunctionType.get(llvm.Type.getVoidTy(ctx), [f32p, f32p, f32p, ...Array<llvm.Type>(10).fill(i64)], false);
  // The caller's own function, calling a declaration of the kernel made before it exists.
  const decl = mod.getOrInsertFunction('kiln_matmul_f32', sig);
  const caller = llvm.Function.Create(
    llvm.FunctionType.get(llvm.Type.getVoidTy(ctx), [f32p], false),
    llvm.Function.LinkageTypes.ExternalLinkage,
    'caller',
    mod,
  );
  const b = new llvm.IRBuilder(llvm.BasicBlock.Create(ctx, 'entry', caller));
  const one = llvm.ConstantInt.get(i64, 1);
  b.CreateCall(decl, [caller.getArg(0), caller.getArg(0), caller.getArg(0), one, one, one, one, one, one, one, one, one, one]);
  b.CreateRetVoid();
  getMatmulFunction(mod, ctx, 'f32');
  getMatmulFunction(mod, ctx, 'f64');
  expect(llvm.verifyModule(mod)).toBe(false);
  const ir = mod.print();
  expect(ir).toMatch(/define void @kiln_matmul_f32\(/);
  expect(ir).toMatch(/define void @kiln_matmul_f64\(/);
  expect(ir).not.toMatch(/kiln_matmul_f32\.1|kiln_mm_f32_worker\.1/);
});

it('hostVectorISA reports a supported width', () => {
  const isa = hostVectorISA();
  expect([128, 256, 512]).toContain(isa.bits);
  if (x64 && hostFlags.has('avx512f')) expect(isa).toEqual({ bits: 512, regs: 32 });
});
