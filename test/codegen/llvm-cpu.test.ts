// The LLVM CPU code generator end to end: hand-written loop-IR kernels are emitted, compiled
// (opt-14, llc-14, gcc) and run through runtime/cpu, and their results compared with the
// interpreter's semantics — a small reference evaluator of the loop IR below, built on the
// interpreter's own scalar rules (convertValue, roundHalfEven, powF/powI, threefry2x32, the
// f16/bf16 rounding). Exact operations must agree bit for bit (NaN with NaN, -0 with -0);
// transcendental functions within a few ulps (the interpreter computes them in double).
//
// Kernels are compiled a module at a time (a compile costs ~0.1-1 s), into a fresh cache folder.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CodegenError, compileModuleSync, emitModule, PARALLEL_MIN_WORK } from '../../compiler/codegen/llvm/index.ts';
import type { DType } from '../../compiler/ir/dtype.ts';
import { convertValue, roundBF16, roundF16, roundHalfEven } from '../../compiler/ir/numeric.ts';
import { Primitive as P, type BinaryOp, type CompareOp, type UnaryOp } from '../../compiler/ir/primitives.ts';
import type { BinaryFn, Expr, KernelParam, LoopKernel, ScalarType, SortStmt, Stmt } from '../../compiler/lower/loop-ir.ts';
import { powF, powI } from '../../runtime/interp/elementwise.ts';
import { evalRandomBits, threefry2x32 } from '../../runtime/interp/random.ts';
import { loadKernels, type HostArray, type KernelFn } from '../../runtime/cpu/index.ts';
import { mulberry32 as rng } from '../../bench/rng.ts';

function hasTool(cmd: string): boolean {
  try {
    execFileSync(cmd, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const toolsPresent = process.arch === 'x64' && hasTool('opt-14') && hasTool('llc-14') && hasTool('gcc');

// ---- loop-IR construction helpers ---------------------------------------------------------

const I = (v: number): Expr => ({ k: 'const', t: 'index', v });
const C = (t: ScalarType, v: number): Expr => ({ k: 'const', t, v });
const V = (name: string, t: ScalarType = 'index'): Expr => ({ k: 'var', t, name });
const ld = (buf: number, t: DType, idx: Expr = V('i')): Expr => ({ k: 'load', t, buf, idx });
const un = (op: UnaryOp, t: ScalarType, a: Expr): Expr => ({ k: 'unary', t, op, a });
const bin = (op: BinaryFn, t: ScalarType, a: Expr, b: Expr): Expr => ({ k: 'binary', t, op, a, b });
const cast = (t: ScalarType, a: Expr): Expr => ({ k: 'cast', t, a });
const sel = (t: ScalarType, c: Expr, a: Expr, b: Expr): Expr => ({ k: 'select', t, c, a, b });
const store = (buf: number, e: Expr, idx: Expr = V('i')): Stmt => ({ k: 'store', buf, idx, e });
const loop = (v: string, n: Expr | number, body: Stmt[], parallel = false): Stmt => ({
  k: 'for',
  v,
  n: typeof n === 'number' ? I(n) : n,
  body,
  ...(parallel ? { parallel: true } : {}),
});
const param = (name: string, dtype: DType, size: number, role: KernelParam['role'] = 'in'): KernelParam => ({ name, dtype, size, role });
const COMPARES: readonly CompareOp[] = [P.Eq, P.Ne, P.Lt, P.Le, P.Gt, P.Ge];
const isCompare = (op: BinaryFn): boolean => (COMPARES as readonly string[]).includes(op);

// ---- reference evaluator (the interpreter's semantics, scalar by scalar) ------------------

const isFloatT = (t: ScalarType) => t === 'f32' || t === 'f64' || t === 'f16' || t === 'bf16';

/** Rounds a double result to type t, as the interpreter's stores do. */
function rnd(t: ScalarType, x: number): number {
  switch (t) {
    case 'f32':
      return Math.fround(x);
    case 'f16':
      return roundF16(x);
    case 'bf16':
      return roundBF16(x);
    case 'i32':
      return x | 0;
    default:
      return x;
  }
}

function toIndex(x: number): number {
  if (x !== x) return 0;
  return Math.max(-9223372036854775808, Math.min(9223372036854775807, Math.trunc(x)));
}

function refCast(from: ScalarType, to: ScalarType, x: number): number {
  if (from === to) return x;
  if (to === 'index') return isFloatT(from) ? toIndex(x) : x;
  if (from === 'index' && to === 'i32') {
    // wraps; the i64 saturation of float → index at ±2^63 wraps to -1 and 0
    return x >= 9223372036854775807 ? -1 : x <= -9223372036854775808 ? 0 : Number(BigInt.asIntN(32, BigInt(x)));
  }
  return convertValue(x, to);
}

function logistic(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

function refUnary(op: UnaryOp, t: ScalarType, x: number): number {
  if (t === 'bool') return x ? 0 : 1; // not
  if (t === 'i32' || t === 'index') {
    const w = (v: number) => (t === 'i32' ? v | 0 : v);
    switch (op) {
      case P.Neg: return w(-x);
      case P.Abs: return w(Math.abs(x));
      case P.Sign: return Math.sign(x);
      case P.Not: return ~x;
      default: throw new Error(`ref: ${op} on ${t}`);
    }
  }
  const r = (v: number) => rnd(t, v);
  switch (op) {
    case P.Neg: return -x;
    case P.Abs: return Math.abs(x);
    case P.Sign: return x > 0 ? 1 : x < 0 ? -1 : x;
    case P.Exp: return r(Math.exp(x));
    case P.Log: return r(Math.log(x));
    case P.Log1p: return r(Math.log1p(x));
    case P.Expm1: return r(Math.expm1(x));
    case P.Sqrt: return r(Math.sqrt(x));
    case P.Rsqrt: return r(1 / Math.sqrt(x));
    case P.Sin: return r(Math.sin(x));
    case P.Cos: return r(Math.cos(x));
    case P.Tanh: return r(Math.tanh(x));
    case P.Logistic: return r(logistic(x));
    case P.Floor: return Math.floor(x);
    case P.Ceil: return Math.ceil(x);
    case P.Round: return roundHalfEven(x);
    default: throw new Error(`ref: ${op} on ${t}`);
  }
}

function floorDiv(a: number, b: number): number {
  return b === 0 ? 0 : Math.floor(a / b);
}
function floorMod(a: number, b: number): number {
  if (b === 0) return 0;
  const r = a % b;
  return r !== 0 && (r < 0) !== (b < 0) ? r + b : r;
}

function refBinary(op: BinaryFn, t: ScalarType, a: number, b: number): number {
  switch (op) {
    case P.Eq: return a === b ? 1 : 0;
    case P.Ne: return a !== b ? 1 : 0;
    case P.Lt: return a < b ? 1 : 0;
    case P.Le: return a <= b ? 1 : 0;
    case P.Gt: return a > b ? 1 : 0;
    case P.Ge: return a >= b ? 1 : 0;
    default:
  }
  if (isFloatT(t)) {
    switch (op) {
      case P.Add: return rnd(t, a + b);
      case P.Sub: return rnd(t, a - b);
      case P.Mul: return rnd(t, a * b);
      case P.Div: return rnd(t, a / b);
      case P.Pow: return rnd(t, powF(a, b));
      case P.Max: return Math.max(a, b);
      case P.Min: return Math.min(a, b);
      default: throw new Error(`ref: ${op} on ${t}`);
    }
  }
  if (t === 'bool') {
    switch (op) {
      case P.Max: case P.Or: return a | b;
      case P.Min: case P.And: return a & b;
      case P.Xor: return a ^ b;
      default: throw new Error(`ref: ${op} on bool`);
    }
  }
  if (t === 'index') {
    switch (op) {
      case P.Add: return a + b;
      case P.Sub: return a - b;
      case P.Mul: return a * b;
      case P.Div: return b === 0 ? 0 : Math.trunc(a / b);
      case P.Max: return Math.max(a, b);
      case P.Min: return Math.min(a, b);
      case 'idiv': return floorDiv(a, b);
      case 'imod': return floorMod(a, b);
      default: throw new Error(`ref: ${op} on index`);
    }
  }
  switch (op) {
    case P.Add: return (a + b) | 0;
    case P.Sub: return (a - b) | 0;
    case P.Mul: return Math.imul(a, b);
    case P.Div: return b === 0 ? 0 : (a / b) | 0;
    case P.Pow: return powI(a, b);
    case P.Max: return Math.max(a, b);
    case P.Min: return Math.min(a, b);
    case P.And: return a & b;
    case P.Or: return a | b;
    case P.Xor: return a ^ b;
    case P.ShiftLeft: return b >= 0 && b < 32 ? a << b : 0;
    case P.ShiftRightLogical: return b >= 0 && b < 32 ? (a >>> b) | 0 : 0;
    case 'idiv': return floorDiv(a, b) | 0;
    case 'imod': return floorMod(a, b) | 0;
    default: throw new Error(`ref: ${op} on i32`);
  }
}

function compareValues(a: number, b: number): number {
  if (a < b) return -1;
  if (a > b) return 1;
  const an = a !== a, bn = b !== b;
  return an === bn ? 0 : an ? 1 : -1;
}

/** Runs a kernel on host arrays with the interpreter's scalar semantics (parallel loops serially). */
function refRun(k: LoopKernel, bufs: HostArray[]): void {
  const scopes: Map<string, number>[] = [];
  const get = (name: string): number => {
    for (let i = scopes.length - 1; i >= 0; i--) if (scopes[i]!.has(name)) return scopes[i]!.get(name)!;
    throw new Error(`ref: unknown ${name}`);
  };
  const set = (name: string, v: number) => {
    for (let i = scopes.length - 1; i >= 0; i--) if (scopes[i]!.has(name)) return void scopes[i]!.set(name, v);
    throw new Error(`ref: unknown ${name}`);
  };
  const ev = (e: Expr): number => {
    switch (e.k) {
      case 'const': return e.t === 'index' ? e.v : convertValue(e.v, e.t);
      case 'var': return get(e.name);
      case 'load': return bufs[e.buf]![ev(e.idx)]!;
      case 'unary': return refUnary(e.op, e.t, ev(e.a));
      case 'binary': return refBinary(e.op, e.a.t, ev(e.a), ev(e.b));
      case 'select': {
        const c = ev(e.c), a = ev(e.a), b = ev(e.b);
        return c ? a : b;
      }
      case 'cast': return refCast(e.a.t, e.t, ev(e.a));
      case 'threefry': return threefry2x32(ev(e.k0), ev(e.k1), 0, ev(e.ctr))[0] | 0;
      default: return e satisfies never;
    }
  };
  const block = (body: readonly Stmt[]) => {
    scopes.push(new Map());
    for (const s of body) stmt(s);
    scopes.pop();
  };
  const stmt = (s: Stmt): void => {
    const top = scopes[scopes.length - 1]!;
    switch (s.k) {
      case 'for': {
        const n = ev(s.n);
        for (let i = 0; i < n; i++) {
          scopes.push(new Map([[s.v, i]]));
          block(s.body);
          scopes.pop();
        }
        return;
      }
      case 'let': top.set(s.name, ev(s.e)); return;
      case 'decl': top.set(s.name, ev(s.init)); return;
      case 'assign': set(s.name, ev(s.e)); return;
      case 'store': {
        const d = k.params[s.buf]!.dtype;
        bufs[s.buf]![ev(s.idx)] = d === 'f16' || d === 'bf16' ? rnd(d, ev(s.e)) : ev(s.e);
        return;
      }
      case 'if': block(ev(s.c) ? s.then : s.else); return;
      case 'matmul': {
        const A = bufs[s.a]!, B = bufs[s.b]!, Cb = bufs[s.c]!;
        for (let bi = 0; bi < s.batch; bi++)
          for (let i = 0; i < s.m; i++)
            for (let j = 0; j < s.n; j++) {
              let acc = 0;
              for (let p = 0; p < s.kdim; p++) {
                const x = A[bi * s.aStrides[0] + i * s.aStrides[1] + p * s.aStrides[2]]!;
                const y = B[bi * s.bStrides[0] + p * s.bStrides[1] + j * s.bStrides[2]]!;
                acc = s.dtype === 'i32' ? (acc + Math.imul(x, y)) | 0 : acc + x * y;
              }
              Cb[bi * s.m * s.n + i * s.n + j] = rnd(s.dtype, acc);
            }
        return;
      }
      case 'sort': return refSort(s, bufs);
      default: return s satisfies never;
    }
  };
  block(k.body);
}

function refSort(s: SortStmt, bufs: HostArray[]): void {
  const ins = s.inputs.map((p) => bufs[p]!.slice());
  const outer = s.outer, len = s.len, inner = s.inner;
  for (let o = 0; o < outer; o++)
    for (let ii = 0; ii < inner; ii++) {
      const base = o * len * inner + ii;
      const order = Array.from({ length: len }, (_, j) => j);
      order.sort((x, y) => {
        for (let t = 0; t < s.numKeys; t++) {
          const c = compareValues(ins[t]![base + x * inner]!, ins[t]![base + y * inner]!);
          if (c !== 0) return c;
        }
        return 0;
      });
      s.outputs.forEach((p, t) => {
        for (let j = 0; j < len; j++) bufs[p]![base + j * inner] = ins[t]![base + order[j]! * inner]!;
      });
    }
}

// ---- inputs and comparisons ---------------------------------------------------------------


const FLOAT_SPECIALS = [
  0, -0, 1, -1, 0.5, -0.5, 1.5, 2.5, -2.5, 3.5, NaN, Infinity, -Infinity, 3.4e38, -3.4e38, 1e-45, -1e-40, 2147483520,
  2147483648, -2147483904, 1e10, -1e10, 0.49999997, 100, -100, 88.5, -88.5, 10, 1e-3, -7.25, 65504, 65520, 1e-7, 3.1415927,
];
const I32_SPECIALS = [0, 1, -1, 2, -2, 3, 31, 32, 33, -32, 2147483647, -2147483648, 7, -7, 100, 65536, -65537, 30, 5];

function fill(d: DType, n: number, seed: number, specials = true): HostArray {
  const r = rng(seed);
  const out: HostArray =
    d === 'f64' ? new Float64Array(n) : d === 'i32' ? new Int32Array(n) : d === 'bool' ? new Uint8Array(n) : new Float32Array(n);
  const sp = d === 'i32' ? I32_SPECIALS : d === 'bool' ? [0, 1] : FLOAT_SPECIALS;
  for (let i = 0; i < n; i++) {
    let v: number;
    if (specials && i < sp.length * sp.length) v = sp[seed % 2 === 0 ? Math.floor(i / sp.length) % sp.length : i % sp.length]!;
    else if (d === 'bool') v = r() < 0.5 ? 0 : 1;
    else if (d === 'i32') v = r() < 0.5 ? Math.floor((r() - 0.5) * 200) : Math.floor((r() - 0.5) * 4294967296);
    else v = (r() - 0.5) * Math.pow(10, Math.floor(r() * 8) - 3);
    out[i] = d === 'f16' ? roundF16(v) : d === 'bf16' ? roundBF16(v) : v;
  }
  return out;
}

function hostArray(d: DType, n: number): HostArray {
  return d === 'f64' ? new Float64Array(n) : d === 'i32' ? new Int32Array(n) : d === 'bool' ? new Uint8Array(n) : new Float32Array(n);
}

/** Bitwise-exact equality of two arrays (NaN equals NaN, -0 differs from +0); first mismatch. */
function exactMismatch(got: HostArray, want: HostArray): string | null {
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!, w = want[i]!;
    if (Object.is(g, w)) continue;
    return `element ${i}: got ${Object.is(g, -0) ? '-0' : g}, expected ${Object.is(w, -0) ? '-0' : w}`;
  }
  return null;
}

function closeMismatch(got: HostArray, want: HostArray, rtol: number, atol: number, ctx: (i: number) => string = () => ''): string | null {
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!, w = want[i]!;
    if (Number.isNaN(w) ? Number.isNaN(g) : !Number.isFinite(w) ? g === w : Math.abs(g - w) <= atol + rtol * Math.abs(w)) continue;
    return `element ${i}${ctx(i)}: got ${g}, expected ${w}`;
  }
  return null;
}

// ---- compiling --------------------------------------------------------------------------

let cacheDir = '';
beforeAll(() => {
  cacheDir = mkdtempSync(join(tmpdir(), 'kiln-cg-test-'));
});
afterAll(() => {
  if (cacheDir) rmSync(cacheDir, { recursive: true, force: true });
});

function build(kernels: readonly LoopKernel[]): Map<string, KernelFn> {
  const r = compileModuleSync(kernels, { target: 'x86_64', cacheDir });
  return loadKernels(
    r.path,
    kernels.map((k) => k.name),
    Object.fromEntries(kernels.map((k) => [k.name, k.params])),
  );
}

/** Runs kernel `k` compiled and in the reference on the same inputs; returns both buffer sets. */
function runBoth(fns: Map<string, KernelFn>, k: LoopKernel, inputs: Record<number, HostArray>): { got: HostArray[]; want: HostArray[] } {
  const mk = () => k.params.map((p, i) => (inputs[i] ? inputs[i]!.slice() : hostArray(p.dtype, p.size)));
  const got = mk(), want = mk();
  fns.get(k.name)!(got);
  refRun(k, want);
  return { got, want };
}

// ---- expressions: every op on every dtype -------------------------------------------------

const N = 1600; // covers every pair of specials
const FLOATS: readonly DType[] = ['f32', 'f64', 'f16', 'bf16'];
const UNARY_FLOAT: readonly UnaryOp[] = [
  P.Neg, P.Abs, P.Sign, P.Exp, P.Log, P.Log1p, P.Expm1, P.Sqrt, P.Rsqrt, P.Sin, P.Cos, P.Tanh, P.Logistic, P.Floor, P.Ceil, P.Round,
];
const TRANSCENDENTAL = new Set<string>([P.Exp, P.Log, P.Log1p, P.Expm1, P.Rsqrt, P.Sin, P.Cos, P.Tanh, P.Logistic, P.Pow]);
const BINARY_FLOAT: readonly BinaryFn[] = [P.Add, P.Sub, P.Mul, P.Div, P.Pow, P.Max, P.Min, ...COMPARES];
const BINARY_I32: readonly BinaryFn[] = [
  P.Add, P.Sub, P.Mul, P.Div, P.Pow, P.Max, P.Min, P.And, P.Or, P.Xor, P.ShiftLeft, P.ShiftRightLogical, 'idiv', 'imod', ...COMPARES,
];
const BINARY_BOOL: readonly BinaryFn[] = [P.Max, P.Min, P.And, P.Or, P.Xor, ...COMPARES];
const BINARY_INDEX: readonly BinaryFn[] = [P.Add, P.Sub, P.Mul, P.Div, P.Max, P.Min, 'idiv', 'imod', ...COMPARES];
const CAST_TYPES: readonly DType[] = ['f32', 'f64', 'f16', 'bf16', 'i32', 'bool'];

interface Case {
  readonly kernel: LoopKernel;
  /** Output param index → label, and whether the check is exact. */
  readonly outs: { param: number; label: string; tol: 'exact' | DType }[];
}

function unaryCase(d: DType): Case {
  const ops: readonly UnaryOp[] = FLOATS.includes(d) ? UNARY_FLOAT : d === 'i32' ? [P.Neg, P.Abs, P.Sign, P.Not] : [P.Not];
  const params = [param('a', d, N), ...ops.map((op) => param(op, d, N, 'out'))];
  return {
    kernel: { name: `unary_${d}`, params, body: [loop('i', N, ops.map((op, j) => store(j + 1, un(op, d, ld(0, d)))))] },
    outs: ops.map((op, j) => ({ param: j + 1, label: op, tol: TRANSCENDENTAL.has(op) ? d : 'exact' })),
  };
}

function binaryCase(d: DType): Case {
  const ops = FLOATS.includes(d) ? BINARY_FLOAT : d === 'i32' ? BINARY_I32 : BINARY_BOOL;
  const params = [param('a', d, N), param('b', d, N), ...ops.map((op) => param(op, isCompare(op) ? 'bool' : d, N, 'out'))];
  const body = ops.map((op, j) => store(j + 2, bin(op, isCompare(op) ? 'bool' : d, ld(0, d), ld(1, d))));
  return {
    kernel: { name: `binary_${d}`, params, body: [loop('i', N, body)] },
    outs: ops.map((op, j) => ({ param: j + 2, label: op, tol: TRANSCENDENTAL.has(op) ? d : 'exact' })),
  };
}

/** index arithmetic: i32 inputs widened, the op in 64 bits, narrowed back (clamping) to i32. */
function indexCase(ops: readonly BinaryFn[] = BINARY_INDEX, name = 'index_ops'): Case {
  const params = [param('a', 'i32', N), param('b', 'i32', N), ...ops.map((op) => param(op, isCompare(op) ? 'bool' : 'i32', N, 'out'))];
  const body = ops.map((op, j) => {
    const e = bin(op, isCompare(op) ? 'bool' : 'index', cast('index', ld(0, 'i32')), cast('index', ld(1, 'i32')));
    return store(j + 2, isCompare(op) ? e : cast('i32', e));
  });
  const unary = [P.Neg, P.Abs, P.Sign] as const;
  unary.forEach((op, j) => params.push(param(`u_${op}`, 'i32', N, 'out')));
  unary.forEach((op, j) => body.push(store(ops.length + 2 + j, cast('i32', un(op, 'index', cast('index', ld(0, 'i32')))))));
  return {
    kernel: { name, params, body: [loop('i', N, body)] },
    outs: [...ops.map((op, j) => ({ param: j + 2, label: op, tol: 'exact' as const })), ...unary.map((op, j) => ({ param: ops.length + 2 + j, label: `index ${op}`, tol: 'exact' as const }))],
  };
}

/** Every conversion between the dtypes, and through index. */
function castCase(from: DType): Case {
  const targets: ScalarType[] = [...CAST_TYPES, 'index'];
  const params = [param('a', from, N), ...targets.map((to) => param(`to_${to}`, to === 'index' ? 'i32' : to, N, 'out'))];
  const body = targets.map((to, j) => store(j + 1, to === 'index' ? cast('i32', cast('index', ld(0, from))) : cast(to, ld(0, from))));
  body.push(...CAST_TYPES.map((to, j) => store(targets.length + 1 + j, cast(to, cast('index', cast('i32', ld(0, from)))))));
  params.push(...CAST_TYPES.map((to) => param(`via_index_${to}`, to, N, 'out')));
  return {
    kernel: { name: `cast_${from}`, params, body: [loop('i', N, body)] },
    outs: [
      ...targets.map((to, j) => ({ param: j + 1, label: `${from}→${to}`, tol: 'exact' as const })),
      ...CAST_TYPES.map((to, j) => ({ param: targets.length + 1 + j, label: `${from}→i32→index→${to}`, tol: 'exact' as const })),
    ],
  };
}

function selectCase(): Case {
  const ds: DType[] = ['f32', 'f64', 'f16', 'bf16', 'i32', 'bool'];
  const params = [param('c', 'bool', N), ...ds.flatMap((d) => [param(`a_${d}`, d, N), param(`b_${d}`, d, N)]), ...ds.map((d) => param(`o_${d}`, d, N, 'out'))];
  const body = ds.map((d, j) => store(1 + 2 * ds.length + j, sel(d, ld(0, 'bool'), ld(1 + 2 * j, d), ld(2 + 2 * j, d))));
  return {
    kernel: { name: 'select_all', params, body: [loop('i', N, body)] },
    outs: ds.map((d, j) => ({ param: 1 + 2 * ds.length + j, label: `select ${d}`, tol: 'exact' as const })),
  };
}

/** Constants of every type, including the ones that round or saturate. */
function constCase(): { kernel: LoopKernel; values: [ScalarType, number][] } {
  const values: [ScalarType, number][] = [
    ['f32', NaN], ['f32', -0], ['f32', Infinity], ['f32', 1e40], ['f32', 0.1], ['f32', -3.4028235e38],
    ['f64', 0.1], ['f64', -0], ['f64', 1e-310], ['f64', -Infinity],
    ['f16', 65520], ['f16', 0.1], ['f16', 1e-8], ['f16', -65504],
    ['bf16', 0.1], ['bf16', 3.4e38], ['bf16', 1e-40],
    ['i32', 2147483647], ['i32', -2147483648], ['i32', 3e9], ['i32', -7],
    ['bool', 0], ['bool', 1], ['bool', NaN],
    ['index', 2147483647], ['index', -5],
  ];
  const params = values.map(([t], j) => param(`c${j}`, t === 'index' ? 'i32' : t, 1, 'out'));
  const body = values.map(([t, v], j) => store(j, t === 'index' ? cast('i32', C(t, v)) : C(t, v), I(0)));
  return { kernel: { name: 'consts', params, body }, values };
}

function threefryKernel(): LoopKernel {
  return {
    name: 'threefry_bits',
    params: [param('key', 'i32', 2), param('bits', 'i32', N, 'out'), param('ctr', 'i32', N), param('bits2', 'i32', N, 'out')],
    body: [
      loop('i', N, [
        store(1, { k: 'threefry', t: 'i32', k0: ld(0, 'i32', I(0)), k1: ld(0, 'i32', I(1)), ctr: V('i') }),
        store(3, { k: 'threefry', t: 'i32', k0: ld(0, 'i32', I(0)), k1: ld(0, 'i32', I(1)), ctr: ld(2, 'i32') }),
      ]),
    ],
  };
}

const TOL: Record<DType, [number, number]> = {
  f32: [6e-7, 1e-37],
  f64: [1e-14, 1e-300],
  f16: [1e-3, 6e-8],
  bf16: [8e-3, 1e-38],
  i32: [0, 0],
  bool: [0, 0],
};

describe.runIf(toolsPresent)('LLVM CPU codegen: expressions', () => {
  const cases: Case[] = [
    ...[...FLOATS, 'i32', 'bool'].map((d) => unaryCase(d as DType)),
    ...[...FLOATS, 'i32', 'bool'].map((d) => binaryCase(d as DType)),
    indexCase(),
    ...CAST_TYPES.map(castCase),
    selectCase(),
  ];
  const consts = constCase();
  const tf = threefryKernel();
  let fns: Map<string, KernelFn>;
  beforeAll(() => {
    fns = build([...cases.map((c) => c.kernel), consts.kernel, tf]);
  });

  for (const c of cases) {
    it(`${c.kernel.name} matches the interpreter semantics`, () => {
      const inputs: Record<number, HostArray> = {};
      c.kernel.params.forEach((p, i) => {
        if (p.role === 'in') inputs[i] = fill(p.dtype, p.size, 17 + i);
        // index products stay below 2^53, where the JS reference is exact
        if (p.role === 'in' && c.kernel.name === 'index_ops') inputs[i] = inputs[i]!.map((v) => v % 67108864);
      });
      const { got, want } = runBoth(fns, c.kernel, inputs);
      const a = inputs[0]!, b = inputs[1];
      for (const o of c.outs) {
        const ctx = (i: number) => ` (${o.label}; inputs ${a[i]}${b && c.kernel.params[1]!.role === 'in' ? `, ${b[i]}` : ''})`;
        const msg =
          o.tol === 'exact'
            ? exactMismatch(got[o.param]!, want[o.param]!)
            : closeMismatch(got[o.param]!, want[o.param]!, TOL[o.tol][0], TOL[o.tol][1], ctx);
        expect(msg === null ? null : `${c.kernel.name} ${o.label}: ${msg}`).toBeNull();
      }
    });
  }

  it('constants round and saturate like convert', () => {
    const bufs = consts.kernel.params.map((p) => hostArray(p.dtype, 1));
    fns.get('consts')!(bufs);
    consts.values.forEach(([t, v], j) => {
      const want = t === 'index' ? v : convertValue(v, t);
      const stored = hostArray(t === 'index' ? 'i32' : t, 1);
      stored[0] = want;
      expect(Object.is(bufs[j]![0], stored[0]), `${t} ${v}: got ${bufs[j]![0]}, expected ${stored[0]}`).toBe(true);
    });
  });

  it('threefry word 0 equals the interpreter’s random_bits, bit for bit', () => {
    for (const key of [[0, 0], [42, 7], [-1, -2147483648], [123456789, -987654321]]) {
      const keyArr = new Int32Array(key);
      const ctr = Int32Array.from({ length: N }, (_, i) => (i * 2654435761) | 0);
      const bufs = [keyArr, new Int32Array(N), ctr, new Int32Array(N)];
      fns.get('threefry_bits')!(bufs);
      expect(exactMismatch(bufs[1]!, evalRandomBits(keyArr, N))).toBeNull();
      const want = Int32Array.from(ctr, (c) => threefry2x32(key[0]!, key[1]!, 0, c)[0] | 0);
      expect(exactMismatch(bufs[3]!, want)).toBeNull();
    }
  });

  it('convert: float → i32 saturates with NaN → 0; bool is x != 0; round is half to even', () => {
    const kernel = cases.find((c) => c.kernel.name === 'cast_f64')!.kernel;
    const xs = new Float64Array([NaN, Infinity, -Infinity, 2147483647.9, 2147483648, -2147483648.9, -2147483649, 1e300, -0.9, 0.9, -0]);
    const n = xs.length;
    const a = new Float64Array(N);
    a.set(xs);
    const bufs = kernel.params.map((p, i) => (i === 0 ? a : hostArray(p.dtype, p.size)));
    fns.get('cast_f64')!(bufs);
    const toI32 = bufs[kernel.params.findIndex((p) => p.name === 'to_i32')]!;
    expect(Array.from(toI32.subarray(0, n))).toEqual([0, 2147483647, -2147483648, 2147483647, 2147483647, -2147483648, -2147483648, 2147483647, 0, 0, 0]);
    const toBool = bufs[kernel.params.findIndex((p) => p.name === 'to_bool')]!;
    expect(Array.from(toBool.subarray(0, n))).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0]);
    const round = cases.find((c) => c.kernel.name === 'unary_f32')!;
    const r = new Float32Array(N);
    r.set([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.49999997, 8388609, -0.4]);
    const rb = round.kernel.params.map((p, i) => (i === 0 ? r : hostArray(p.dtype, p.size)));
    fns.get('unary_f32')!(rb);
    const rounded = rb[round.kernel.params.findIndex((p) => p.name === P.Round)]!;
    expect(Array.from(rounded.subarray(0, 9)).map((x) => (Object.is(x, -0) ? '-0' : x))).toEqual([0, 2, 2, '-0', -2, -2, 0, 8388609, '-0']);
  });

  it('max/min propagate NaN and order -0 < +0 (not llvm.maxnum)', () => {
    const k = cases.find((c) => c.kernel.name === 'binary_f32')!.kernel;
    const a = new Float32Array(N), b = new Float32Array(N);
    a.set([NaN, 1, -0, 0, -0, 0]);
    b.set([1, NaN, 0, -0, -0, 0]);
    const bufs = k.params.map((p, i) => (i === 0 ? a : i === 1 ? b : hostArray(p.dtype, p.size)));
    fns.get('binary_f32')!(bufs);
    const mx = bufs[k.params.findIndex((p) => p.name === P.Max)]!, mn = bufs[k.params.findIndex((p) => p.name === P.Min)]!;
    const show = (x: HostArray) => Array.from(x.subarray(0, 6)).map((v) => (Object.is(v, -0) ? '-0' : Number.isNaN(v) ? 'NaN' : v));
    expect(show(mx)).toEqual(['NaN', 'NaN', 0, 0, '-0', 0]);
    expect(show(mn)).toEqual(['NaN', 'NaN', '-0', '-0', '-0', 0]);
  });
});

// ---- statements ---------------------------------------------------------------------------

const ROWS = 300, COLS = 257;

/** Row sums, maxima and a polynomial per element: parallel or serial variant. */
function rowKernel(name: string, parallel: boolean): LoopKernel {
  return {
    name,
    params: [param('x', 'f32', ROWS * COLS), param('sum', 'f32', ROWS, 'out'), param('max', 'f32', ROWS, 'out'), param('y', 'f32', ROWS * COLS, 'out')],
    body: [
      loop('r', ROWS, [
        { k: 'decl', name: 'acc', t: 'f32', init: C('f32', 0) },
        { k: 'decl', name: 'mx', t: 'f32', init: C('f32', -Infinity) },
        loop('c', COLS, [
          { k: 'let', name: 'at', e: bin(P.Add, 'index', bin(P.Mul, 'index', V('r'), I(COLS)), V('c')) },
          { k: 'let', name: 'v', e: ld(0, 'f32', V('at')) },
          { k: 'assign', name: 'acc', e: bin(P.Add, 'f32', V('acc', 'f32'), V('v', 'f32')) },
          { k: 'assign', name: 'mx', e: bin(P.Max, 'f32', V('mx', 'f32'), V('v', 'f32')) },
          store(3, un(P.Tanh, 'f32', bin(P.Mul, 'f32', V('v', 'f32'), bin(P.Add, 'f32', V('v', 'f32'), C('f32', 0.5)))), V('at')),
        ]),
        store(1, V('acc', 'f32'), V('r')),
        store(2, V('mx', 'f32'), V('r')),
      ], parallel),
    ],
  };
}

/** out[i] = exp(a[i]) * 2 over a runtime trip count n = nbuf[0] (parallel, threshold checked at run time). */
function dynParallel(): LoopKernel {
  const M = 100000;
  return {
    name: 'dyn_parallel',
    params: [param('n', 'i32', 1), param('a', 'f64', M), param('o', 'f64', M, 'out')],
    body: [loop('i', cast('index', ld(0, 'i32', I(0))), [store(2, bin(P.Mul, 'f64', un(P.Exp, 'f64', ld(1, 'f64')), C('f64', 2)))], true)],
  };
}

function accumulators(): LoopKernel {
  const n = 1000;
  return {
    name: 'accumulators',
    params: [param('f', 'f64', n), param('i', 'i32', n), param('o64', 'f64', 2, 'out'), param('oi', 'i32', 2, 'out'), param('b', 'bool', n), param('ob', 'bool', 2, 'out')],
    body: [
      { k: 'decl', name: 's', t: 'f64', init: C('f64', 0) },
      { k: 'decl', name: 'p', t: 'f64', init: C('f64', 1) },
      { k: 'decl', name: 'si', t: 'i32', init: C('i32', 0) },
      { k: 'decl', name: 'pi', t: 'i32', init: C('i32', 1) },
      { k: 'decl', name: 'any', t: 'bool', init: C('bool', 0) },
      { k: 'decl', name: 'all', t: 'bool', init: C('bool', 1) },
      loop('i', n, [
        { k: 'assign', name: 's', e: bin(P.Add, 'f64', V('s', 'f64'), ld(0, 'f64')) },
        { k: 'assign', name: 'p', e: bin(P.Mul, 'f64', V('p', 'f64'), bin(P.Add, 'f64', C('f64', 1), bin(P.Mul, 'f64', ld(0, 'f64'), C('f64', 1e-3)))) },
        { k: 'assign', name: 'si', e: bin(P.Add, 'i32', V('si', 'i32'), ld(1, 'i32')) },
        { k: 'assign', name: 'pi', e: bin(P.Mul, 'i32', V('pi', 'i32'), bin(P.Or, 'i32', ld(1, 'i32'), C('i32', 1))) },
        { k: 'assign', name: 'any', e: bin(P.Max, 'bool', V('any', 'bool'), ld(4, 'bool')) },
        { k: 'assign', name: 'all', e: bin(P.Min, 'bool', V('all', 'bool'), ld(4, 'bool')) },
      ]),
      store(2, V('s', 'f64'), I(0)),
      store(2, V('p', 'f64'), I(1)),
      store(3, V('si', 'i32'), I(0)),
      store(3, V('pi', 'i32'), I(1)),
      store(5, V('any', 'bool'), I(0)),
      store(5, V('all', 'bool'), I(1)),
    ],
  };
}

/** if/else, nested ifs, a decl re-initialised per iteration, block-scoped lets, empty loops. */
function control(): LoopKernel {
  const n = 500;
  return {
    name: 'control',
    params: [param('x', 'i32', n), param('o', 'i32', n, 'out'), param('cnt', 'i32', 3, 'out'), param('m', 'i32', 1)],
    body: [
      { k: 'decl', name: 'neg', t: 'i32', init: C('i32', 0) },
      { k: 'decl', name: 'zero', t: 'i32', init: C('i32', 0) },
      loop('i', n, [
        { k: 'let', name: 'v', e: ld(0, 'i32') },
        { k: 'decl', name: 'steps', t: 'i32', init: C('i32', 0) },
        {
          k: 'if',
          c: bin(P.Lt, 'bool', V('v', 'i32'), C('i32', 0)),
          then: [
            { k: 'assign', name: 'neg', e: bin(P.Add, 'i32', V('neg', 'i32'), C('i32', 1)) },
            { k: 'let', name: 'w', e: un(P.Neg, 'i32', V('v', 'i32')) },
            store(1, V('w', 'i32')),
          ],
          else: [
            {
              k: 'if',
              c: bin(P.Eq, 'bool', V('v', 'i32'), C('i32', 0)),
              then: [{ k: 'assign', name: 'zero', e: bin(P.Add, 'i32', V('zero', 'i32'), C('i32', 1)) }, store(1, C('i32', -1))],
              else: [
                // count the steps of the Collatz-like halving: a loop with a data-dependent body
                loop('j', 31, [
                  {
                    k: 'if',
                    c: bin(P.Gt, 'bool', bin(P.ShiftRightLogical, 'i32', V('v', 'i32'), cast('i32', V('j'))), C('i32', 0)),
                    then: [{ k: 'assign', name: 'steps', e: bin(P.Add, 'i32', V('steps', 'i32'), C('i32', 1)) }],
                    else: [],
                  },
                ]),
                store(1, V('steps', 'i32')),
              ],
            },
          ],
        },
      ]),
      // loops that never run: zero and negative trip counts, and a runtime count of m[0]
      loop('e', 0, [store(2, C('i32', 99), I(2))]),
      loop('e', cast('index', C('i32', -3)), [store(2, C('i32', 98), I(2))]),
      loop('e', cast('index', ld(3, 'i32', I(0))), [store(2, C('i32', 97), I(2))]),
      store(2, V('neg', 'i32'), I(0)),
      store(2, V('zero', 'i32'), I(1)),
    ],
  };
}

/** Scatter-add with duplicate indices: a sequential read-modify-write loop (clamped indices). */
function scatter(): LoopKernel {
  const n = 2000, m = 37;
  return {
    name: 'scatter_add',
    params: [param('idx', 'i32', n), param('upd', 'f32', n), param('out', 'f32', m, 'inout')],
    body: [
      loop('i', n, [
        { k: 'let', name: 'j', e: cast('index', bin(P.Max, 'i32', C('i32', 0), bin(P.Min, 'i32', ld(0, 'i32'), C('i32', m - 1)))) },
        store(2, bin(P.Add, 'f32', ld(2, 'f32', V('j')), ld(1, 'f32')), V('j')),
      ]),
    ],
  };
}

function sortKernel(name: string, dtypes: DType[], numKeys: number, outer: number, len: number, inner: number, inPlace = false): LoopKernel {
  const size = outer * len * inner;
  const ins = dtypes.map((d, t) => param(`in${t}`, d, size, inPlace ? 'inout' : 'in'));
  const outs = inPlace ? [] : dtypes.map((d, t) => param(`out${t}`, d, size, 'out'));
  const s: SortStmt = {
    k: 'sort',
    inputs: dtypes.map((_, t) => t),
    outputs: dtypes.map((_, t) => (inPlace ? t : dtypes.length + t)),
    numKeys,
    outer,
    len,
    inner,
  };
  return { name, params: [...ins, ...outs], body: [s] };
}

/** Values with many ties, NaNs and signed zeros. */
function sortData(d: DType, n: number, seed: number): HostArray {
  const r = rng(seed);
  const a = hostArray(d, n);
  const pool = d === 'bool' ? [0, 1] : d === 'i32' ? [3, -1, 0, 7, -2147483648, 2147483647] : [NaN, -0, 0, 1.5, -2, Infinity, -Infinity, 3];
  for (let i = 0; i < n; i++) a[i] = r() < 0.6 ? pool[Math.floor(r() * pool.length)]! : d === 'bool' ? (r() < 0.5 ? 1 : 0) : Math.floor((r() - 0.5) * 20);
  return a;
}

function matmulKernel(name: string, d: DType, batch: number, m: number, n: number, kdim: number, transA: boolean, transB: boolean): LoopKernel {
  const aStrides: [number, number, number] = transA ? [m * kdim, 1, m] : [m * kdim, kdim, 1];
  const bStrides: [number, number, number] = transB ? [kdim * n, 1, kdim] : [kdim * n, n, 1];
  return {
    name,
    params: [param('a', d, batch * m * kdim), param('b', d, batch * kdim * n), param('c', d, batch * m * n, 'out')],
    body: [{ k: 'matmul', dtype: d, a: 0, b: 1, c: 2, batch, m, n, kdim, aStrides, bStrides }],
  };
}

describe.runIf(toolsPresent)('LLVM CPU codegen: statements', () => {
  const sorts = [
    sortKernel('sort_f32_small', ['f32'], 1, 3, 13, 1),
    sortKernel('sort_f32_long', ['f32', 'i32'], 1, 2, 1000, 1),
    sortKernel('sort_two_keys', ['i32', 'f64', 'f32'], 2, 2, 150, 3),
    sortKernel('sort_inner', ['f64', 'i32'], 1, 2, 70, 4),
    sortKernel('sort_bool_key', ['bool', 'i32'], 1, 1, 80, 1),
    sortKernel('sort_in_place', ['f32', 'i32'], 1, 3, 90, 2, true),
    sortKernel('sort_len1', ['f32'], 1, 4, 1, 2),
    sortKernel('sort_no_keys', ['i32'], 0, 1, 40, 1),
  ];
  const matmuls = [
    matmulKernel('mm_f32', 'f32', 1, 33, 47, 29, false, false),
    matmulKernel('mm_f32_t', 'f32', 3, 17, 9, 21, true, true),
    matmulKernel('mm_f64', 'f64', 2, 16, 24, 40, false, true),
    matmulKernel('mm_i32', 'i32', 2, 7, 5, 11, true, false),
    matmulKernel('mm_f16', 'f16', 1, 6, 10, 12, false, false),
  ];
  const kernels = [rowKernel('rows_par', true), rowKernel('rows_ser', false), dynParallel(), accumulators(), control(), scatter(), ...sorts, ...matmuls];
  let fns: Map<string, KernelFn>;
  let ir = '';
  beforeAll(() => {
    ir = emitModule(kernels, { target: 'x86_64' }).ir;
    fns = build(kernels);
  });

  it('parallel loops are outlined and run through GOMP_parallel', () => {
    expect(ROWS * COLS).toBeGreaterThan(PARALLEL_MIN_WORK / 10);
    expect(ir).toMatch(/define internal void @rows_par\.par\(i8\* %0\)/);
    expect(ir).toMatch(/call void @GOMP_parallel\(void \(i8\*\)\* @rows_par\.par, i8\* %\d+, i32 0, i32 0\)/);
    expect(ir).toMatch(/call i32 @omp_get_thread_num\(\)/);
    expect(ir).not.toMatch(/@rows_ser\.par/);
    // the f32 accumulator update carries reassoc; nothing else does
    expect(ir).toMatch(/= fadd reassoc float/);
    expect(ir).not.toMatch(/reassoc double/);
  });

  it('a parallel loop gives the serial loop’s results, and both the reference’s', () => {
    const x = fill('f32', ROWS * COLS, 5, false);
    x[7] = NaN; // row 0's max and sum are NaN
    const par = runBoth(fns, kernels[0]!, { 0: x });
    const ser = runBoth(fns, kernels[1]!, { 0: x });
    for (const o of [1, 2, 3]) expect(exactMismatch(par.got[o]!, ser.got[o]!)).toBeNull();
    expect(exactMismatch(par.got[2]!, par.want[2]!)).toBeNull(); // max: exact
    // sum: f32 partial sums (reassociated) against the reference's sequential f32 adds
    expect(closeMismatch(par.got[1]!, par.want[1]!, 1e-5, 1e-4)).toBeNull();
    expect(closeMismatch(par.got[3]!, par.want[3]!, 6e-7, 1e-37)).toBeNull();
  });

  it('a parallel loop with a runtime trip count runs serially or in parallel by size', () => {
    const k = kernels[2]!;
    for (const n of [0, 1, 10, 100000]) {
      const a = fill('f64', 100000, 9, false);
      const { got, want } = runBoth(fns, k, { 0: new Int32Array([n]), 1: a });
      expect(closeMismatch(got[2]!, want[2]!, 1e-14, 0)).toBeNull();
    }
  });

  it('accumulators: f64 sums and products in order, i32 wrapping, bool any/all', () => {
    const k = kernels[3]!;
    const inputs = { 0: fill('f64', 1000, 3, false), 1: fill('i32', 1000, 4, false), 4: Uint8Array.from({ length: 1000 }, (_, i) => (i % 7 === 0 ? 0 : 1)) };
    const { got, want } = runBoth(fns, k, inputs);
    for (const o of [2, 3, 5]) expect(exactMismatch(got[o]!, want[o]!)).toBeNull();
    expect(Array.from(got[5]!)).toEqual([1, 0]);
  });

  it('if/else, nested loops with data-dependent bodies, scoping and empty loops', () => {
    const k = kernels[4]!;
    const { got, want } = runBoth(fns, k, { 0: fill('i32', 500, 11), 3: new Int32Array([0]) });
    for (const o of [1, 2]) expect(exactMismatch(got[o]!, want[o]!)).toBeNull();
    expect(got[2]![2]).toBe(0);
  });

  it('scatter-add with duplicate indices accumulates sequentially', () => {
    const k = kernels[5]!;
    const r = rng(8);
    const idx = Int32Array.from({ length: 2000 }, () => Math.floor(r() * 45) - 4);
    const { got, want } = runBoth(fns, k, { 0: idx, 1: fill('f32', 2000, 2, false), 2: fill('f32', 37, 6, false) });
    expect(exactMismatch(got[2]!, want[2]!)).toBeNull();
  });

  for (const k of sorts) {
    it(`${k.name}: stable, lexicographic, NaN last, -0 ties +0`, () => {
      const inputs: Record<number, HostArray> = {};
      k.params.forEach((p, i) => {
        if (p.role !== 'out') inputs[i] = sortData(p.dtype, p.size, 31 + i);
      });
      const { got, want } = runBoth(fns, k, inputs);
      got.forEach((g, i) => expect(exactMismatch(g, want[i]!), `${k.name} param ${i}`).toBeNull());
    });
  }

  it('sort places NaN last and keeps ties in input order', () => {
    const k = sorts[0]!;
    const keys = new Float32Array(3 * 13);
    keys.set([2, NaN, -0, 1, 0, NaN, -Infinity, 1, 2, Infinity, -0, 0, 1]);
    const out = new Float32Array(keys.length);
    fns.get(k.name)!([keys, out]);
    const show = Array.from(out.subarray(0, 13)).map((v) => (Object.is(v, -0) ? '-0' : v));
    expect(show).toEqual([-Infinity, '-0', 0, '-0', 0, 1, 1, 1, 2, 2, Infinity, NaN, NaN]);
  });

  it('the naive matrix product (the fallback) is correct for every dtype', () => {
    const naive = [
      matmulKernel('nv_f32', 'f32', 2, 13, 19, 23, true, false),
      matmulKernel('nv_f64', 'f64', 1, 8, 5, 9, false, true),
      matmulKernel('nv_bf16', 'bf16', 2, 4, 6, 8, true, true),
    ];
    const r = compileModuleSync(naive, { target: 'x86_64', cacheDir, matmul: 'naive' });
    expect(r.ir).not.toMatch(/kiln_matmul_/);
    const nf = loadKernels(r.path, naive.map((k) => k.name));
    for (const k of naive) {
      const d = k.params[0]!.dtype;
      const inputs = { 0: fill(d, k.params[0]!.size, 51, false), 1: fill(d, k.params[1]!.size, 52, false) };
      const { got, want } = runBoth(nf, k, inputs);
      expect(closeMismatch(got[2]!, want[2]!, d === 'f64' ? 1e-12 : d === 'bf16' ? 2e-2 : 1e-4, d === 'f64' ? 1e-9 : 1e-2), k.name).toBeNull();
    }
  });

  for (const k of matmuls) {
    it(`${k.name}: matrix product against a double-accumulating reference`, () => {
      const d = k.params[0]!.dtype;
      const inputs = { 0: fill(d, k.params[0]!.size, 41, false), 1: fill(d, k.params[1]!.size, 42, false) };
      if (d === 'i32') for (const a of Object.values(inputs)) for (let i = 0; i < a.length; i++) a[i] = (a[i]! % 1000) | 0;
      const { got, want } = runBoth(fns, k, inputs);
      if (d === 'i32') expect(exactMismatch(got[2]!, want[2]!)).toBeNull();
      else expect(closeMismatch(got[2]!, want[2]!, d === 'f64' ? 1e-12 : d === 'f16' ? 2e-3 : 1e-4, d === 'f64' ? 1e-9 : 1e-2)).toBeNull();
    });
  }
});

// ---- errors -------------------------------------------------------------------------------

describe('LLVM CPU codegen: malformed kernels', () => {
  const ok = (body: Stmt[], params: KernelParam[] = [param('o', 'f32', 4, 'out')]): LoopKernel => ({ name: 'k', params, body });

  it('names unknown variables, type mismatches and bad params', () => {
    expect(() => emitModule([ok([store(0, V('nope', 'f32'), I(0))])], { target: 'x86_64' })).toThrow(/kernel k: unknown variable nope/);
    expect(() => emitModule([ok([store(0, C('f64', 1), I(0))])], { target: 'x86_64' })).toThrow(/store of a f64 value into param 0/);
    expect(() => emitModule([ok([store(3, C('f32', 1), I(0))])], { target: 'x86_64' })).toThrow(/param 3, but the kernel has 1/);
    expect(() => emitModule([ok([store(0, bin(P.Add, 'f32', C('f32', 1), C('f64', 1)), I(0))])], { target: 'x86_64' })).toThrow(CodegenError);
    expect(() => emitModule([ok([{ k: 'assign', name: 'x', e: C('f32', 1) }])], { target: 'x86_64' })).toThrow(/unknown variable x/);
  });

  it('rejects kernel names that are not C identifiers or clash', () => {
    expect(() => emitModule([{ name: 'a-b', params: [], body: [] }], { target: 'x86_64' })).toThrow(/not a C identifier/);
    expect(() => emitModule([{ name: 'free', params: [], body: [] }], { target: 'x86_64' })).toThrow(/clashes/);
    expect(() => emitModule([{ name: 'k', params: [], body: [] }, { name: 'k', params: [], body: [] }], { target: 'x86_64' })).toThrow(/two kernels/);
  });

  it('a parallel loop body may use lets computed before it (they are recomputed in the outlined body)', () => {
    const k = ok([{ k: 'let', name: 'n', e: I(4) }, loop('i', 4, [store(0, cast('f32', V('n')))], true)]);
    expect(() => emitModule([k], { target: 'x86_64' })).not.toThrow();
  });
});

// ---- differential test against the loop-IR interpreter, once it exists -------------------

const interpretPath = fileURLToPath(new URL('../../compiler/lower/interpret.ts', import.meta.url));

describe.runIf(toolsPresent && existsSync(interpretPath))('LLVM CPU codegen vs runLoopKernel (compiler/lower/interpret.ts)', () => {
  it('agrees on random inputs', async () => {
    const mod = (await import(/* @vite-ignore */ interpretPath)) as { runLoopKernel?: (k: LoopKernel, bufs: HostArray[]) => void };
    expect(typeof mod.runLoopKernel).toBe('function');
    const kernels = [
      binaryCase('f32').kernel, binaryCase('i32').kernel, binaryCase('f16').kernel, unaryCase('f64').kernel, unaryCase('bf16').kernel,
      castCase('f32').kernel, castCase('f64').kernel, indexCase(BINARY_INDEX.filter((op) => op !== P.Div), 'd_index').kernel, selectCase().kernel, scatter(), rowKernel('d_rows', true), accumulators(),
      control(), sortKernel('d_sort', ['f32', 'i32'], 1, 2, 300, 3), sortKernel('d_sort_in_place', ['f64', 'bool'], 2, 1, 50, 1, true),
      matmulKernel('d_mm', 'f32', 2, 20, 30, 40, true, false), matmulKernel('d_mm16', 'bf16', 1, 5, 6, 7, false, true),
    ];
    const fns = build(kernels);
    for (const k of kernels) {
      const inputs: Record<number, HostArray> = {};
      k.params.forEach((p, i) => {
        // matmul: finite data (with FMA an overflowing product need not round to inf first)
        if (p.role !== 'out') inputs[i] = fill(p.dtype, p.size, 101 + i, !k.name.startsWith('d_mm'));
      });
      if (k.name === 'scatter_add') inputs[0] = Int32Array.from(inputs[0]!, (v) => Math.abs(v) % 40);
      if (k.name === 'd_index') for (const i of [0, 1]) inputs[i] = inputs[i]!.map((v) => (v % 67108864) || 1); // no index idiv by 0
      if (k.name === 'control') inputs[3] = new Int32Array([2]);
      // float → index is meaningful within ±2^63 only (the codegen saturates there, JS does not)
      if (k.name.startsWith('cast_') && (inputs[0] instanceof Float32Array || inputs[0] instanceof Float64Array)) inputs[0] = inputs[0].map((v) => (Math.abs(v) < 2 ** 62 ? v : 0));
      const mk = () => k.params.map((p, i) => (inputs[i] ? inputs[i]!.slice() : hostArray(p.dtype, p.size)));
      const got = mk(), want = mk();
      fns.get(k.name)!(got);
      mod.runLoopKernel!(k, want);
      const tol = (d: DType) => (d === 'f64' ? 1e-14 : d === 'f16' ? 1e-3 : d === 'bf16' ? 8e-3 : k.name === 'd_mm' ? 1e-5 : 1e-6);
      // matmul: the summation order differs (blocked, FMA), so errors scale with the largest value
      const atol = (w: HostArray) => (k.name.startsWith('d_mm') ? 1e-5 * Array.from(w).reduce((m, x) => Math.max(m, Math.abs(x)), 0) : 1e-30);
      got.forEach((g, i) => expect(closeMismatch(g, want[i]!, tol(k.params[i]!.dtype), atol(want[i]!)), `${k.name} param ${i}`).toBeNull());
    }
  });
});
