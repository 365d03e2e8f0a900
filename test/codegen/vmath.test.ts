// The inline f32 transcendental functions of compiler/codegen/llvm/vmath.ts, end to end:
// hand-written loop-IR kernels apply each function to large arrays of test points (dense
// sampling of the typical ranges, the boundaries of each reduction, random bit patterns over
// the whole f32 range, special values); they are compiled (opt-14, llc-14, gcc) and run through
// runtime/cpu, and compared with the reference of the interpreter: the double-precision JS
// Math result (powF for pow, the interpreter's logistic formula) rounded with Math.fround.
// Errors are counted in ulps of f32 (adjacent floats, subnormals included, are 1 ulp apart);
// the max per function is printed. Special values must match exactly (NaN with NaN, -0 with
// -0). Finally the optimised IR of such loops must be vectorised, with no libm call left.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileModuleSync, emitModule } from '../../compiler/codegen/llvm/index.ts';
import { INV_PIO4 } from '../../compiler/codegen/llvm/vmath.ts';
import { Primitive as P, type UnaryOp } from '../../compiler/ir/primitives.ts';
import type { BinaryFn, Expr, LoopKernel } from '../../compiler/lower/loop-ir.ts';
import { powF } from '../../runtime/interp/elementwise.ts';
import { loadKernels, type KernelFn } from '../../runtime/cpu/index.ts';

function hasTool(cmd: string): boolean {
  try {
    execFileSync(cmd, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const toolsPresent = process.arch === 'x64' && hasTool('opt-14') && hasTool('llc-14') && hasTool('gcc');

// ---- kernels --------------------------------------------------------------------------------

const N = 1 << 20;
const V = (name: string): Expr => ({ k: 'var', t: 'index', name });
const ld = (buf: number): Expr => ({ k: 'load', t: 'f32', buf, idx: V('i') });
const C = (v: number): Expr => ({ k: 'const', t: 'f32', v });
const un = (op: UnaryOp, a: Expr): Expr => ({ k: 'unary', t: 'f32', op, a });
const bin = (op: BinaryFn, a: Expr, b: Expr): Expr => ({ k: 'binary', t: 'f32', op, a, b });

function loopKernel(name: string, inputs: number, e: Expr, parallel = true): LoopKernel {
  const params = [
    ...Array.from({ length: inputs }, (_, i) => ({ name: `x${i}`, dtype: 'f32' as const, size: N, role: 'in' as const })),
    { name: 'out', dtype: 'f32' as const, size: N, role: 'out' as const },
  ];
  const body = [{ k: 'store' as const, buf: inputs, idx: V('i'), e }];
  return { name, params, body: [{ k: 'for', v: 'i', n: { k: 'const', t: 'index', v: N }, body, ...(parallel ? { parallel: true } : {}) }] };
}

const UNARY = [P.Exp, P.Log, P.Log1p, P.Expm1, P.Tanh, P.Logistic, P.Sin, P.Cos] as const;
type Fn = (typeof UNARY)[number] | 'pow';

const unaryKernels = UNARY.map((op) => loopKernel(`vm_${op}`, 1, un(op, ld(0))));
const powKernel = loopKernel('vm_pow', 2, bin(P.Pow, ld(0), ld(1)));
/** The benchmark's chain: relu(2x + 1) · sigmoid(x) - tanh(x). */
const chainExpr = bin(P.Sub, bin(P.Mul, bin(P.Max, bin(P.Add, bin(P.Mul, ld(0), C(2)), C(1)), C(0)), un(P.Logistic, ld(0))), un(P.Tanh, ld(0)));

// ---- reference and ulps ----------------------------------------------------------------------

function logistic(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}
const REF: Record<(typeof UNARY)[number], (x: number) => number> = {
  [P.Exp]: Math.exp,
  [P.Log]: Math.log,
  [P.Log1p]: Math.log1p,
  [P.Expm1]: Math.expm1,
  [P.Tanh]: Math.tanh,
  [P.Logistic]: logistic,
  [P.Sin]: Math.sin,
  [P.Cos]: Math.cos,
};

/** Max ulp error allowed (measured: 1 for all but logistic, 2; see the printed table). */
const BOUND: Record<Fn, number> = {
  [P.Exp]: 2, [P.Log]: 2, [P.Log1p]: 2, [P.Expm1]: 2, [P.Tanh]: 2, [P.Logistic]: 3, [P.Sin]: 2, [P.Cos]: 2, pow: 2,
};

const f32 = new Float32Array(1);
const i32 = new Int32Array(f32.buffer);
const u32 = new Uint32Array(f32.buffer);
/** The f32's position on the number line of floats (±0 both 0). */
function ordinal(x: number): number {
  f32[0] = x;
  const b = i32[0]!;
  return b < 0 ? -(b & 0x7fffffff) : b;
}
/** Distance in f32 ulps; NaN against NaN is 0, NaN against a number is infinite. */
function ulps(got: number, want: number): number {
  if (got !== got || want !== want) return got !== got && want !== want ? 0 : Infinity;
  return Math.abs(ordinal(got) - ordinal(want));
}
/** Same f32 value: NaN matches NaN, -0 only -0. */
const same = (got: number, want: number): boolean => (got !== got && want !== want) || Object.is(got, want);

// ---- test points ------------------------------------------------------------------------------

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const FLT_MAX = 3.4028234663852886e38;
const SUB_MIN = 2 ** -149;

/** Inputs whose results must match the reference exactly (saturations, ±0, NaN, ±inf). */
const SPECIAL: Record<(typeof UNARY)[number], number[]> = {
  [P.Exp]: [-Infinity, Infinity, NaN, 0, -0, 88.8, 89, 1000, FLT_MAX, -104, -110, -1000, -FLT_MAX, SUB_MIN, -SUB_MIN],
  [P.Log]: [0, -0, -SUB_MIN, -1, -FLT_MAX, -Infinity, Infinity, NaN, 1],
  [P.Log1p]: [0, -0, -1, -1.5, -FLT_MAX, -Infinity, Infinity, NaN, 1e-30, -1e-30, SUB_MIN, -SUB_MIN],
  [P.Expm1]: [0, -0, Infinity, -Infinity, NaN, 1e-30, -1e-30, SUB_MIN, -SUB_MIN, 89, 100, FLT_MAX, -18, -20, -1000, -FLT_MAX],
  [P.Tanh]: [0, -0, Infinity, -Infinity, NaN, 1e-30, -1e-30, SUB_MIN, -SUB_MIN, 10, -10, 20, -20, FLT_MAX, -FLT_MAX],
  [P.Logistic]: [-Infinity, Infinity, NaN, 0, -0, 200, -200, FLT_MAX, -FLT_MAX, SUB_MIN, -SUB_MIN],
  [P.Sin]: [0, -0, Infinity, -Infinity, NaN, 1e-30, -1e-30, SUB_MIN, -SUB_MIN],
  [P.Cos]: [0, -0, Infinity, -Infinity, NaN, 1e-30, SUB_MIN],
};

/** Dense ranges per function: the typical arguments and the edges of each approximation. */
const RANGES: Record<(typeof UNARY)[number], [number, number][]> = {
  [P.Exp]: [[-104, 89], [-2, 2], [-1e-3, 1e-3], [85, 88.8], [-104, -85]],
  [P.Log]: [[0, 2], [0.5, 1.5], [0.99, 1.01], [0, 2e-38], [1, 1e6]],
  [P.Log1p]: [[-1, 1], [-1e-3, 1e-3], [-1e-6, 1e-6], [1, 1e6], [-1, -0.9], [-0.35, -0.25]],
  [P.Expm1]: [[-20, 89], [-1, 1], [-1e-3, 1e-3], [-1e-6, 1e-6], [-0.5, 0.5], [85, 88.8]],
  [P.Tanh]: [[-10, 10], [-1, 1], [-1e-3, 1e-3], [0.5, 0.75], [-0.7, -0.55], [8, 10]],
  [P.Logistic]: [[-110, 90], [-20, 20], [-1, 1], [-1e-3, 1e-3]],
  [P.Sin]: [[-10, 10], [-1e3, 1e3], [-1e5, 1e5], [-1e-3, 1e-3], [6e4, 7e4], [-1e7, 1e7]],
  [P.Cos]: [[-10, 10], [-1e3, 1e3], [-1e5, 1e5], [-1e-3, 1e-3], [6e4, 7e4], [-1e7, 1e7]],
};

/** Specials first, then an eighth of the points per dense range, the rest random bits. */
function unaryPoints(op: (typeof UNARY)[number], seed: number): Float32Array {
  const r = rng(seed);
  const xs = new Float32Array(N);
  let n = 0;
  for (const v of SPECIAL[op]) xs[n++] = v;
  for (const [lo, hi] of RANGES[op]) {
    const m = N >> 3;
    for (let i = 0; i < m; i++) xs[n++] = lo + ((hi - lo) * (i + r())) / m;
  }
  const bits = new Uint32Array(xs.buffer);
  while (n < N) bits[n++] = (r() * 2 ** 32) >>> 0;
  return xs;
}

const POW_VALUES = [0, -0, 1, -1, 2, -2, 0.5, -0.5, 3, -3, 2.5, -2.5, Infinity, -Infinity, NaN, SUB_MIN, -SUB_MIN, FLT_MAX, -FLT_MAX, 1e30, 1e-30, 1 + 2 ** -23, 1 - 2 ** -24];

/** All pairs of POW_VALUES, then typical (x in [0, 4] and near 1, y in ±30 and ±800), integer
 * exponents of negative bases, and random bit patterns. */
function powPoints(seed: number): [Float32Array, Float32Array, number] {
  const r = rng(seed);
  const xs = new Float32Array(N), ys = new Float32Array(N);
  let n = 0;
  for (const a of POW_VALUES) for (const b of POW_VALUES) { xs[n] = a; ys[n++] = b; }
  const specials = n;
  const block = (m: number, fx: () => number, fy: () => number) => {
    for (let i = 0; i < m; i++) { xs[n] = fx(); ys[n++] = fy(); }
  };
  block(N >> 3, () => 4 * r(), () => 60 * r() - 30);
  block(N >> 3, () => 0.9 + 0.2 * r(), () => 1600 * r() - 800);
  block(N >> 3, () => -8 * r(), () => Math.round(40 * r() - 20));
  block(N >> 3, () => 1e-30 + 1e30 * r() ** 8, () => 8 * r() - 4);
  const bx = new Uint32Array(xs.buffer), by = new Uint32Array(ys.buffer);
  while (n < N) { bx[n] = (r() * 2 ** 32) >>> 0; by[n++] = (r() * 2 ** 32) >>> 0; }
  return [xs, ys, specials];
}

// ---- the tests ----------------------------------------------------------------------------------

describe.runIf(toolsPresent)('vmath: inline f32 transcendentals (compiled)', () => {
  let cacheDir = '';
  let fns: Map<string, KernelFn>;
  const report: string[] = [];

  beforeAll(() => {
    cacheDir = mkdtempSync(join(tmpdir(), 'kiln-vmath-test-'));
    const kernels = [...unaryKernels, powKernel];
    const r = compileModuleSync(kernels, { target: 'x86_64', cacheDir });
    fns = loadKernels(r.path, kernels.map((k) => k.name), Object.fromEntries(kernels.map((k) => [k.name, k.params])));
  });
  afterAll(() => {
    if (cacheDir) rmSync(cacheDir, { recursive: true, force: true });
    if (report.length) console.log(`max ulp error vs Math.fround(double reference), ${N} points each:\n${report.join('\n')}`);
  });

  UNARY.forEach((op, k) => {
    it(`${op}: within ${BOUND[op]} ulp, special values exact`, () => {
      const x = unaryPoints(op, 1000 + k);
      const y = new Float32Array(N);
      fns.get(`vm_${op}`)!([x, y]);
      const ref = REF[op];
      let worst = 0, at = 0;
      for (let i = 0; i < N; i++) {
        const e = ulps(y[i]!, Math.fround(ref(x[i]!)));
        if (e > worst) { worst = e; at = i; }
      }
      report.push(`  ${op.padEnd(9)} ${worst} ulp (worst at x = ${x[at]}: got ${y[at]}, want ${Math.fround(ref(x[at]!))})`);
      const wrongSpecial = SPECIAL[op]
        .map((v, i) => ({ x: v, got: y[i]!, want: Math.fround(ref(v)) }))
        .filter((c) => !same(c.got, c.want));
      expect(wrongSpecial).toEqual([]);
      expect(worst, `${op} at x = ${x[at]}`).toBeLessThanOrEqual(BOUND[op]);
    });
  });

  it(`pow: within ${BOUND.pow} ulp, the special-value rules of powF exact`, () => {
    const [x, y, specials] = powPoints(77);
    const z = new Float32Array(N);
    fns.get('vm_pow')!([x, y, z]);
    let worst = 0, at = 0;
    const wrong: { x: number; y: number; got: number; want: number }[] = [];
    for (let i = 0; i < N; i++) {
      const want = Math.fround(powF(x[i]!, y[i]!));
      const e = ulps(z[i]!, want);
      if (e > worst) { worst = e; at = i; }
      // Exact where the answer is a special value (NaN, ±0, ±inf, ±1) and in the table of pairs
      // (where every other result is a correctly rounded power).
      const special = want !== want || want === 0 || !Number.isFinite(want) || Math.abs(want) === 1;
      if ((special || i < specials) && !same(z[i]!, want)) wrong.push({ x: x[i]!, y: y[i]!, got: z[i]!, want });
    }
    report.push(`  pow       ${worst} ulp (worst at x = ${x[at]}, y = ${y[at]}: got ${z[at]}, want ${Math.fround(powF(x[at]!, y[at]!))})`);
    expect(wrong.slice(0, 10)).toEqual([]);
    expect(worst).toBeLessThanOrEqual(BOUND.pow);
  });

  it('exp gives subnormal results by gradual underflow (not flushed)', () => {
    const x = new Float32Array(N).fill(-100);
    const y = new Float32Array(N);
    fns.get('vm_exp')!([x, y]);
    expect(y[0]).toBeGreaterThan(0);
    expect(y[0]).toBeLessThan(2 ** -126);
    expect(ulps(y[0]!, Math.fround(Math.exp(-100)))).toBeLessThanOrEqual(1);
  });

  it("sin/cos's Payne–Hanek table holds the bits of 2/π", () => {
    // 2/π to 600 bits from Machin's formula, π = 16·atan(1/5) - 4·atan(1/239).
    const P = 600n, ONE = 1n << P;
    const atanInv = (k: bigint) => {
      let sum = 0n, term = ONE / k, n = 1n, sign = 1n;
      while (term !== 0n) { sum += (sign * term) / n; term /= k * k; n += 2n; sign = -sign; }
      return sum;
    };
    const pi = 16n * atanInv(5n) - 4n * atanInv(239n);
    const twoOverPi = (2n * ONE * ONE) / pi;
    const want = INV_PIO4.map((_, i) => Number((twoOverPi >> (P - BigInt(8 * i + 8))) & 0xffffffffn));
    expect([...INV_PIO4]).toEqual(want);
  });
});

// ---- vectorisation ------------------------------------------------------------------------------

/** The body of `define ... @name(...)` in LLVM assembly. */
function fnText(ir: string, name: string): string {
  const m = new RegExp(`^define [^\\n]*@${name}\\([\\s\\S]*?^}`, 'm').exec(ir);
  if (!m) throw new Error(`no function ${name} in the optimised module`);
  return m[0];
}
const LIBM = /call [^\n]*@(?:expf|logf|log1pf|expm1f|tanhf|sinf|cosf|powf|exp|log|log1p|expm1|tanh|sin|cos|pow)\(/;
const SCALAR_INTRINSIC = /@llvm\.(?:exp|exp2|log|sin|cos|pow)\.(?:f32|f64|v\d+f32|v\d+f64)\b/;

describe.runIf(toolsPresent)('vmath: loops using the functions vectorise', () => {
  let dir = '';
  let input = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kiln-vmath-ir-'));
    // Plain (not outlined) loops, as the pipeline's opt sees them.
    const kernels = [
      ...UNARY.map((op) => loopKernel(`vm_${op}`, 1, un(op, ld(0)), false)),
      loopKernel('vm_pow', 2, bin(P.Pow, ld(0), ld(1)), false),
      loopKernel('vm_chain', 1, chainExpr, false),
    ];
    input = join(dir, 'k.ll');
    writeFileSync(input, emitModule(kernels, { target: 'x86_64' }).ir);
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const opt = (flags: string[]): string => {
    const out = join(dir, `o${flags.join('').replace(/\W/g, '')}.ll`);
    execFileSync('opt-14', [...flags, '-S', input, '-o', out], { stdio: ['ignore', 'pipe', 'pipe'] });
    return readFileSync(out, 'utf8');
  };
  const names = [...UNARY.map((op) => `vm_${op}`), 'vm_pow', 'vm_chain'];

  it('AVX-512 (x86-64-v4, 512-bit vectors): 16-lane float vectors, no libm calls', () => {
    const ir = opt(['-O3', '-mcpu=x86-64-v4', '-mattr=-prefer-256-bit']);
    for (const name of names) {
      const f = fnText(ir, name);
      // pow works in double (8 lanes of double per register): it vectorises 8 wide.
      expect(f, name).toMatch(name === 'vm_pow' ? /<(?:8|16) x float>/ : /<16 x float>/);
      expect(f, name).not.toMatch(LIBM);
      expect(f, name).not.toMatch(SCALAR_INTRINSIC);
    }
  });

  it("the pipeline's own flags (opt -O3 -mcpu=native): vectorised, no libm calls", () => {
    const ir = opt(['-O3', '-mcpu=native']);
    const avx2 = /\bavx2\b/.test(readFileSync('/proc/cpuinfo', 'utf8'));
    for (const name of names) {
      const f = fnText(ir, name);
      expect(f, name).toMatch(avx2 ? /<(?:8|16) x float>/ : /<(?:4|8|16) x float>/);
      expect(f, name).not.toMatch(LIBM);
      expect(f, name).not.toMatch(SCALAR_INTRINSIC);
    }
  });
});
