// The loop-IR interpreter: the reference that every code generator is tested against.
//
// The kernel is first checked (verify.ts), then compiled to JS closures over a frame of
// variable slots, then run. Semantics, exactly per scalar type:
// - f32 / f16 / bf16 / f64: every operation is computed in double and rounded once to its
//   type (Math.fround, roundF16, roundBF16; none for f64) — the graph interpreter's rule per
//   primitive, so elementwise kernels agree with it bit for bit. Constants are rounded to
//   their type too.
// - i32: wraps (| 0, Math.imul); div truncates with x / 0 = 0; pow by repeated
//   multiplication; shifts outside [0, 31] give 0 — as the graph interpreter.
// - bool: 0 / 1; and / or / xor / max / min are logical.
// - index: exact JS integers; idiv / imod round toward minus infinity (a zero divisor is an
//   error).
// - comparisons: false with NaN except `ne`; cast: the convert primitive's rules (float → i32
//   truncates, NaN → 0, saturating; anything → bool is x != 0), index → i32 wraps, float →
//   index truncates (NaN → 0).
// - select evaluates both branches (so an out-of-bounds load on the unused side is caught,
//   as loop-ir.ts requires both sides to be safe).
// - threefry: word 0 of threefry2x32((k0, k1), (0, ctr)) as i32, the graph interpreter's
//   random_bits element ctr.
// - every load and store is bounds-checked (an error names the parameter and index).
// - `parallel` loops run their iterations in reverse order (by default), so a lowering that
//   marks a loop with dependent iterations parallel shows up as a wrong result.
// - MatmulStmt: for each output, the sum over p = 0..k-1 in ascending order of a·b,
//   accumulated in the dtype's precision with a rounding after every product and every
//   addition (f32: fround(acc + fround(a·b)); i32 wrapping; f64 plain), except f16 / bf16,
//   which accumulate in f32 and round once to the dtype at the end (as GPU tensor cores do;
//   a running f16 sum loses too much). The graph interpreter sums in double and rounds
//   once: results agree within a tolerance.
// - SortStmt: a stable sort of each sequence by the key parameters lexicographically,
//   ascending, NaN last, -0 equal to +0 (the graph interpreter's order); the inputs are read
//   in full before any output is written, so outputs may alias inputs.
import type { DType, HostArray } from '../ir/dtype.ts';
import { KilnError } from '../ir/errors.ts';
import { convertValue, roundBF16, roundF16, roundHalfEven } from '../ir/numeric.ts';
import { Primitive } from '../ir/primitives.ts';
import { powF, powI } from '../../runtime/interp/elementwise.ts';
import { threefry2x32 } from '../../runtime/interp/random.ts';
import { storageMatches } from '../../runtime/interp/tensor.ts';
import { allocHost } from '../ir/dtype.ts';
import type { Expr, LoopKernel, MatmulStmt, ScalarType, SortStmt, Stmt } from './loop-ir.ts';
import { verifyLoopKernel } from './verify.ts';

export interface RunOptions {
  /** Order of the iterations of parallel loops (default 'reverse'). */
  readonly parallelOrder?: 'forward' | 'reverse';
}

type Frame = Float64Array;
type F = (f: Frame) => number;
type S = (f: Frame) => void;

const id = (x: number) => x;

/** The rounding of a computed value to type t. */
export function roundTo(t: ScalarType): (x: number) => number {
  switch (t) {
    case 'f32': return Math.fround;
    case 'f16': return roundF16;
    case 'bf16': return roundBF16;
    case 'f64': case 'index': return id;
    case 'i32': return (x) => x | 0;
    case 'bool': return (x) => (x ? 1 : 0);
    default: return t satisfies never;
  }
}

const isFloatT = (t: ScalarType) => t === 'f32' || t === 'f64' || t === 'f16' || t === 'bf16';

function logistic(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

function unaryFn(op: Primitive, t: ScalarType): (x: number) => number {
  if (isFloatT(t)) {
    const r = roundTo(t);
    const g = ((): ((x: number) => number) => {
      switch (op) {
        case Primitive.Neg: return (x) => -x;
        case Primitive.Abs: return Math.abs;
        case Primitive.Sign: return (x) => (x > 0 ? 1 : x < 0 ? -1 : x);
        case Primitive.Exp: return Math.exp;
        case Primitive.Log: return Math.log;
        case Primitive.Log1p: return Math.log1p;
        case Primitive.Expm1: return Math.expm1;
        case Primitive.Sqrt: return Math.sqrt;
        case Primitive.Rsqrt: return (x) => 1 / Math.sqrt(x);
        case Primitive.Sin: return Math.sin;
        case Primitive.Cos: return Math.cos;
        case Primitive.Tanh: return Math.tanh;
        case Primitive.Logistic: return logistic;
        case Primitive.Floor: return Math.floor;
        case Primitive.Ceil: return Math.ceil;
        case Primitive.Round: return roundHalfEven;
        default: throw new KilnError(`loop interpreter: ${op} on ${t}`);
      }
    })();
    return r === id ? g : (x) => r(g(x));
  }
  switch (op) {
    case Primitive.Neg: return t === 'i32' ? (x) => -x | 0 : (x) => -x;
    case Primitive.Abs: return t === 'i32' ? (x) => Math.abs(x) | 0 : Math.abs;
    case Primitive.Sign: return Math.sign;
    case Primitive.Not: return t === 'bool' ? (x) => (x ? 0 : 1) : (x) => ~x;
    default: throw new KilnError(`loop interpreter: ${op} on ${t}`);
  }
}

function binaryFn(op: string, t: ScalarType): (a: number, b: number) => number {
  switch (op) {
    case Primitive.Eq: return (a, b) => (a === b ? 1 : 0);
    case Primitive.Ne: return (a, b) => (a !== b ? 1 : 0);
    case Primitive.Lt: return (a, b) => (a < b ? 1 : 0);
    case Primitive.Le: return (a, b) => (a <= b ? 1 : 0);
    case Primitive.Gt: return (a, b) => (a > b ? 1 : 0);
    case Primitive.Ge: return (a, b) => (a >= b ? 1 : 0);
  }
  if (isFloatT(t)) {
    const r = roundTo(t);
    switch (op) {
      case Primitive.Add: return (a, b) => r(a + b);
      case Primitive.Sub: return (a, b) => r(a - b);
      case Primitive.Mul: return (a, b) => r(a * b);
      case Primitive.Div: return (a, b) => r(a / b);
      case Primitive.Pow: return (a, b) => r(powF(a, b));
      case Primitive.Max: return (a, b) => r(Math.max(a, b));
      case Primitive.Min: return (a, b) => r(Math.min(a, b));
      default: throw new KilnError(`loop interpreter: ${op} on ${t}`);
    }
  }
  if (t === 'index') {
    switch (op) {
      case Primitive.Add: return (a, b) => a + b;
      case Primitive.Sub: return (a, b) => a - b;
      case Primitive.Mul: return (a, b) => a * b;
      case Primitive.Max: return Math.max;
      case Primitive.Min: return Math.min;
      case 'idiv':
      case 'imod':
        return (a, b) => {
          if (b === 0) throw new KilnError(`loop interpreter: index ${op} by zero`);
          const q = Math.floor(a / b);
          return op === 'idiv' ? q : a - q * b;
        };
      default: throw new KilnError(`loop interpreter: ${op} on index`);
    }
  }
  // i32 and bool (0/1, so & | ^ max min are the logical ops)
  switch (op) {
    case Primitive.Add: return (a, b) => (a + b) | 0;
    case Primitive.Sub: return (a, b) => (a - b) | 0;
    case Primitive.Mul: return Math.imul;
    case Primitive.Div: return (a, b) => (b === 0 ? 0 : (a / b) | 0);
    case Primitive.Pow: return powI;
    case Primitive.Max: return Math.max;
    case Primitive.Min: return Math.min;
    case Primitive.And: return (a, b) => a & b;
    case Primitive.Or: return (a, b) => a | b;
    case Primitive.Xor: return (a, b) => a ^ b;
    case Primitive.ShiftLeft: return (a, s) => (s >= 0 && s < 32 ? a << s : 0);
    case Primitive.ShiftRightLogical: return (a, s) => (s >= 0 && s < 32 ? (a >>> s) | 0 : 0);
    case 'idiv': return (a, b) => (b === 0 ? 0 : Math.floor(a / b) | 0);
    case 'imod': return (a, b) => (b === 0 ? 0 : (a - Math.floor(a / b) * b) | 0);
    default: throw new KilnError(`loop interpreter: ${op} on ${t}`);
  }
}

function castFn(from: ScalarType, to: ScalarType): (x: number) => number {
  if (from === to) return id;
  if (isFloatT(to)) return roundTo(to);
  if (to === 'bool') return (x) => (x !== 0 ? 1 : 0);
  if (to === 'i32') return isFloatT(from) ? (x) => convertValue(x, 'i32') : (x) => x | 0;
  // to index
  return isFloatT(from) ? (x) => (x !== x ? 0 : Math.trunc(x)) : id;
}

/** Ascending total order with NaN last (NaNs tie, -0 equals +0), as the graph interpreter. */
function compareValues(a: number, b: number): number {
  if (a < b) return -1;
  if (a > b) return 1;
  const an = a !== a, bn = b !== b;
  return an === bn ? 0 : an ? 1 : -1;
}

class Compiler {
  private readonly scopes: Map<string, number>[] = [];
  nslots = 0;

  constructor(
    private readonly k: LoopKernel,
    private readonly bufs: readonly HostArray[],
    private readonly reverse: boolean,
  ) {}

  private slot(name: string): number {
    for (let s = this.scopes.length - 1; s >= 0; s--) {
      const i = this.scopes[s]!.get(name);
      if (i !== undefined) return i;
    }
    throw new KilnError(`loop interpreter: unknown variable ${name}`);
  }

  private define(name: string): number {
    const i = this.nslots++;
    this.scopes[this.scopes.length - 1]!.set(name, i);
    return i;
  }

  private where(buf: number): string {
    return `${this.k.name}: ${this.k.params[buf]!.name}`;
  }

  expr(e: Expr): F {
    switch (e.k) {
      case 'const': {
        const v = roundTo(e.t)(e.v);
        return () => v;
      }
      case 'var': {
        const s = this.slot(e.name);
        return (f) => f[s]!;
      }
      case 'load': {
        const arr = this.bufs[e.buf]!, n = this.k.params[e.buf]!.size, idx = this.expr(e.idx), where = this.where(e.buf);
        return (f) => {
          const i = idx(f);
          if (!(i >= 0 && i < n && Math.floor(i) === i)) throw new KilnError(`loop interpreter ${where}: load at ${i} out of bounds [0, ${n})`);
          return arr[i]!;
        };
      }
      case 'unary': {
        const a = this.expr(e.a), g = unaryFn(e.op, e.t);
        return (f) => g(a(f));
      }
      case 'binary': {
        const a = this.expr(e.a), b = this.expr(e.b), g = binaryFn(e.op, e.a.t);
        return (f) => g(a(f), b(f));
      }
      case 'select': {
        const c = this.expr(e.c), a = this.expr(e.a), b = this.expr(e.b);
        return (f) => {
          const cv = c(f), av = a(f), bv = b(f);
          return cv ? av : bv;
        };
      }
      case 'cast': {
        const a = this.expr(e.a), g = castFn(e.a.t, e.t);
        return (f) => g(a(f));
      }
      case 'threefry': {
        const k0 = this.expr(e.k0), k1 = this.expr(e.k1), ctr = this.expr(e.ctr);
        return (f) => threefry2x32(k0(f) >>> 0, k1(f) >>> 0, 0, ctr(f) >>> 0)[0] | 0;
      }
      default:
        return e satisfies never;
    }
  }

  block(ss: readonly Stmt[], bindLoopVar?: string): { run: S; loopSlot: number } {
    this.scopes.push(new Map());
    const loopSlot = bindLoopVar === undefined ? -1 : this.define(bindLoopVar);
    const fns = ss.map((s) => this.stmt(s));
    this.scopes.pop();
    const n = fns.length;
    const run: S = n === 1 ? fns[0]! : (f) => {
      for (let i = 0; i < n; i++) fns[i]!(f);
    };
    return { run, loopSlot };
  }

  stmt(s: Stmt): S {
    switch (s.k) {
      case 'for': {
        const n = this.expr(s.n);
        const { run, loopSlot: v } = this.block(s.body, s.v);
        if (s.parallel && this.reverse) {
          return (f) => {
            for (let i = n(f) - 1; i >= 0; i--) {
              f[v] = i;
              run(f);
            }
          };
        }
        return (f) => {
          const m = n(f);
          for (let i = 0; i < m; i++) {
            f[v] = i;
            run(f);
          }
        };
      }
      case 'let':
      case 'decl': {
        const e = this.expr(s.k === 'let' ? s.e : s.init);
        const v = this.define(s.name);
        return (f) => {
          f[v] = e(f);
        };
      }
      case 'assign': {
        const e = this.expr(s.e), v = this.slot(s.name);
        return (f) => {
          f[v] = e(f);
        };
      }
      case 'store': {
        const arr = this.bufs[s.buf]!, n = this.k.params[s.buf]!.size, idx = this.expr(s.idx), e = this.expr(s.e), where = this.where(s.buf);
        return (f) => {
          const i = idx(f);
          if (!(i >= 0 && i < n && Math.floor(i) === i)) throw new KilnError(`loop interpreter ${where}: store at ${i} out of bounds [0, ${n})`);
          arr[i] = e(f);
        };
      }
      case 'if': {
        const c = this.expr(s.c), a = this.block(s.then).run, b = this.block(s.else).run;
        return (f) => (c(f) ? a(f) : b(f));
      }
      case 'matmul':
        return matmul(s, this.bufs);
      case 'sort':
        return sort(s, this.bufs);
      default:
        return s satisfies never;
    }
  }
}

function matmul(s: MatmulStmt, bufs: readonly HostArray[]): S {
  const A = bufs[s.a]!, B = bufs[s.b]!, C = bufs[s.c]!;
  const { batch, m, n, kdim, aStrides: [a0, a1, a2], bStrides: [b0, b1, b2] } = s;
  const d: DType = s.dtype;
  const int = d === 'i32';
  const step = d === 'f64' ? null : Math.fround; // f32, f16, bf16 accumulate in f32
  const fin = d === 'f16' ? roundF16 : d === 'bf16' ? roundBF16 : id;
  return () => {
    for (let bi = 0; bi < batch; bi++) {
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let acc = 0;
          const ao = bi * a0 + i * a1, bo = bi * b0 + j * b2;
          for (let p = 0; p < kdim; p++) {
            const x = A[ao + p * a2]!, y = B[bo + p * b1]!;
            if (int) acc = (acc + Math.imul(x, y)) | 0;
            else if (step) acc = step(acc + step(x * y));
            else acc += x * y;
          }
          C[(bi * m + i) * n + j] = fin(acc);
        }
      }
    }
  };
}

function sort(s: SortStmt, bufs: readonly HostArray[]): S {
  const { outer, len, inner, numKeys } = s;
  return () => {
    const ins = s.inputs.map((b) => bufs[b]!);
    const outs = s.outputs.map((b) => bufs[b]!);
    const order = new Array<number>(len);
    const seq = ins.map(() => new Float64Array(len));
    const cmp = (i: number, j: number) => {
      for (let t = 0; t < numKeys; t++) {
        const c = compareValues(seq[t]![i]!, seq[t]![j]!);
        if (c !== 0) return c;
      }
      return 0;
    };
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const base = o * len * inner + i;
        ins.forEach((a, t) => {
          for (let e = 0; e < len; e++) seq[t]![e] = a[base + e * inner]!;
        });
        for (let e = 0; e < len; e++) order[e] = e;
        order.sort(cmp);
        outs.forEach((a, t) => {
          for (let e = 0; e < len; e++) a[base + e * inner] = seq[t]![order[e]!]!;
        });
      }
    }
  };
}

/**
 * Runs kernel `k` on `buffers` (one per parameter, in order, each of its dtype's host storage
 * and exactly its size; outputs and scratch are written in place). Checks the kernel first.
 */
export function runLoopKernel(k: LoopKernel, buffers: readonly HostArray[], opts: RunOptions = {}): void {
  verifyLoopKernel(k);
  if (buffers.length !== k.params.length) {
    throw new KilnError(`runLoopKernel ${k.name}: ${k.params.length} parameter(s), ${buffers.length} buffer(s) given`);
  }
  k.params.forEach((p, i) => {
    const b = buffers[i]!;
    if (!storageMatches(p.dtype, b) || b.length !== p.size) {
      throw new KilnError(`runLoopKernel ${k.name}: buffer ${i} (${b.constructor.name} of ${b.length}) does not fit ${p.name}: ${p.dtype}[${p.size}]`);
    }
  });
  const c = new Compiler(k, buffers, (opts.parallelOrder ?? 'reverse') === 'reverse');
  const { run } = c.block(k.body);
  run(new Float64Array(Math.max(1, c.nslots)));
}

/**
 * Allocates the outputs and scratch of `k`, runs it on `inputs` (the 'in' and 'inout'
 * parameters, in order) and returns the 'out' and 'inout' buffers, in order. Scratch is
 * filled with NaN (0x7f... for i32) first, so a kernel reading scratch it did not write shows.
 */
export function runLoweredKernel(k: LoopKernel, inputs: readonly HostArray[], opts: RunOptions = {}): HostArray[] {
  let next = 0;
  const bufs = k.params.map((p) => {
    if (p.role === 'in' || p.role === 'inout') {
      const b = inputs[next++];
      if (!b) throw new KilnError(`runLoweredKernel ${k.name}: missing input for ${p.name}`);
      return p.role === 'inout' ? b.slice() : b;
    }
    const b = allocHost(p.dtype, p.size);
    if (p.role === 'scratch' || p.role === 'out') b.fill(p.dtype === 'i32' ? 0x7f7f7f7f : p.dtype === 'bool' ? 1 : NaN);
    return b;
  });
  if (next !== inputs.length) throw new KilnError(`runLoweredKernel ${k.name}: ${inputs.length} inputs given, ${next} expected`);
  runLoopKernel(k, bufs, opts);
  return bufs.filter((_, i) => k.params[i]!.role === 'out' || k.params[i]!.role === 'inout');
}
