// Finite-difference checks of every primitive's derivative rules, in f64, at seeded random
// points of random shapes. For each case f(x1, ..., xn) and each draw:
//   - grad:   k.grad of L = <u, f(x)> (u a random cotangent) against central differences
//             of L, element by element;
//   - jvp:    k.jvp's tangent against the central difference of f along a random v;
//   - vjp/jvp agreement: <vjp(u), v> = <u, jvp(v)> (k.vjp with an explicit cotangent);
//   - second order: with L2 = <u, sin(f(x))>, the Hessian-vector product H w by grad of grad
//             (reverse over reverse) and by jvp of grad (forward over reverse) against central
//             differences of the gradient along w.
// Points avoid the places where a function is not differentiable (0 for abs and sign, ties
// for max/min/sort/reduce_max, integers for floor, ...). Integer and boolean arguments get
// zero gradients. A last test asserts that these cases use every primitive, so that a new
// primitive without a derivative check fails here.
import { describe, expect, it } from 'vitest';
import * as k from 'kiln';
import { Primitive } from '../../compiler/ir/primitives.ts';
import type { Func } from '../../compiler/ir/ir.ts';

type T = k.Tensor;
type Fn = (...xs: T[]) => T;

// ---- seeded randomness

class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 1;
  }
  /** mulberry32: uniform in [0, 1). */
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }
  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  perm(n: number): number[] {
    const p = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(0, i);
      [p[i], p[j]] = [p[j]!, p[i]!];
    }
    return p;
  }
  /** A shape of rank minRank..maxRank with dims 1..maxDim. */
  shape(minRank: number, maxRank: number, maxDim = 3): number[] {
    return Array.from({ length: this.int(minRank, maxRank) }, () => this.int(1, maxDim));
  }
}

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const f64 = (vals: ArrayLike<number>, shape: readonly number[]) => k.array(Float64Array.from(vals), { dtype: 'f64', shape });
/** Uniform values in [lo, hi). */
const unif = (r: Rng, shape: readonly number[], lo = -2, hi = 2) => f64(Array.from({ length: size(shape) }, () => r.uniform(lo, hi)), shape);
/** Values with |x| in [lo, hi) and a random sign. */
const away = (r: Rng, shape: readonly number[], lo = 0.3, hi = 2) =>
  f64(Array.from({ length: size(shape) }, () => (r.next() < 0.5 ? -1 : 1) * r.uniform(lo, hi)), shape);
/** Pairwise distinct values (at least 0.3 apart) in random order. */
const distinct = (r: Rng, shape: readonly number[]) => {
  const n = size(shape);
  return f64(r.perm(n).map((i) => (i - n / 2) * 0.5 + r.uniform(-0.1, 0.1)), shape);
};
/** Values an integer plus 0.1..0.4: away from the jumps of floor, ceil and round. */
const offInteger = (r: Rng, shape: readonly number[]) => f64(Array.from({ length: size(shape) }, () => r.int(-3, 3) + r.uniform(0.1, 0.4)), shape);
const ints = (r: Rng, shape: readonly number[], lo: number, hi: number) =>
  k.array(Int32Array.from({ length: size(shape) }, () => r.int(lo, hi)), { dtype: 'i32', shape });
const bools = (r: Rng, shape: readonly number[]) => k.array(Uint8Array.from({ length: size(shape) }, () => (r.next() < 0.5 ? 1 : 0)), { dtype: 'bool', shape });
/** Two shapes that broadcast together, drawn from one result shape. */
function broadcastPair(r: Rng): [number[], number[]] {
  const out = r.shape(1, 3);
  const one = () => out.slice(r.int(0, out.length)).map((d) => (r.next() < 0.35 ? 1 : d));
  return [one(), one()];
}

const isFloat = (t: T) => t.dtype === 'f64' || t.dtype === 'f32' || t.dtype === 'f16' || t.dtype === 'bf16';
const flat = (t: T) => Array.from(t.data(), Number);
const withData = (t: T, vals: readonly number[]) => k.array(Float64Array.from(vals), { dtype: t.dtype, shape: t.shape });
/** A sum of elementwise products, as a tensor (usable inside traced functions). */
const vdotT = (a: T, b: T) => k.sum(k.mul(a, b));
/** The same, as a JS number of concrete tensors. */
const vdot = (a: T, b: T) => {
  const x = flat(a), y = flat(b);
  return x.reduce((s, v, i) => s + v * y[i]!, 0);
};

// ---- the cases

interface Draw {
  f: Fn;
  xs: T[];
  /**
   * A function whose ordinary derivatives are the ones f's AD should give, where they differ
   * from f's finite differences (stop_gradient). Defaults to f.
   */
  ref?: Fn;
}

interface Case {
  name: string;
  make: (r: Rng) => Draw;
  /** Finite-difference step (default 1e-6) and tolerances (default rtol 1e-5, atol 1e-6). */
  eps?: number;
  rtol?: number;
  atol?: number;
  /** false: only forward mode applies (while_loop); grad must fail with a pointer to forLoop/scan. */
  reverse?: boolean;
}

const unaryCases: [string, (x: T) => T, (r: Rng, s: number[]) => T][] = [
  ['neg', k.neg, (r, s) => unif(r, s)],
  ['abs (away from 0)', k.abs, (r, s) => away(r, s)],
  ['sign (times sin)', (x) => k.mul(k.sign(x), k.sin(x)), (r, s) => away(r, s)],
  ['exp', k.exp, (r, s) => unif(r, s)],
  ['log (positive)', k.log, (r, s) => unif(r, s, 0.3, 3)],
  ['log1p (> -1)', k.log1p, (r, s) => unif(r, s, -0.5, 2)],
  ['expm1', k.expm1, (r, s) => unif(r, s)],
  ['sqrt (positive)', k.sqrt, (r, s) => unif(r, s, 0.3, 3)],
  ['rsqrt (positive)', k.rsqrt, (r, s) => unif(r, s, 0.3, 3)],
  ['sin', k.sin, (r, s) => unif(r, s)],
  ['cos', k.cos, (r, s) => unif(r, s)],
  ['tanh', k.tanh, (r, s) => unif(r, s)],
  ['logistic (sigmoid)', k.sigmoid, (r, s) => unif(r, s)],
  ['floor (times x)', (x) => k.mul(k.floor(x), x), offInteger],
  ['ceil (times x)', (x) => k.mul(k.ceil(x), x), offInteger],
  ['round (times x)', (x) => k.mul(k.round(x), x), offInteger],
  ['relu (max with 0, away from 0)', k.relu, (r, s) => away(r, s)],
  ['pow with a constant integer exponent (negative base)', (x) => k.pow(x, 3), (r, s) => unif(r, s, -2, -0.3)],
  ['clip (away from the bounds)', (x) => k.clip(x, -1, 1), (r, s) => f64(flat(unif(r, s, -0.8, 0.8)).map((v, i) => v + (i % 3 === 0 ? 2 : i % 3 === 1 ? -2 : 0)), s)],
];

const binaryCases: [string, (a: T, b: T) => T, (r: Rng, s: number[]) => T, (r: Rng, s: number[]) => T][] = [
  ['add (broadcasting)', k.add, (r, s) => unif(r, s), (r, s) => unif(r, s)],
  ['sub (broadcasting)', k.sub, (r, s) => unif(r, s), (r, s) => unif(r, s)],
  ['mul (broadcasting)', k.mul, (r, s) => unif(r, s), (r, s) => unif(r, s)],
  ['div (broadcasting, denominator away from 0)', k.div, (r, s) => unif(r, s), (r, s) => away(r, s, 0.5, 2)],
  ['pow (broadcasting, positive base, both operands)', k.pow, (r, s) => unif(r, s, 0.5, 2), (r, s) => unif(r, s, -2, 2)],
];

/** An IR function from its text (for what the DSL cannot write), called with k.callIR. */
function irFn(text: string): Fn {
  const fn = k.parseIR(text);
  return (...xs) => k.callIR(fn, xs)[0]!;
}

const cases: Case[] = [
  ...unaryCases.map(([name, op, gen]): Case => ({
    name,
    make: (r) => ({ f: op, xs: [gen(r, r.shape(0, 3))] }),
  })),
  ...binaryCases.map(([name, op, ga, gb]): Case => ({
    name,
    make: (r) => {
      const [sa, sb] = broadcastPair(r);
      return { f: op, xs: [ga(r, sa), gb(r, sb)] };
    },
  })),
  {
    name: 'max/min of two arrays (distinct values)',
    make: (r) => {
      const s = r.shape(1, 3);
      const a = unif(r, s);
      const b = k.add(a, away(r, s, 0.2, 1));
      return { f: (x, y) => k.add(k.maximum(x, y), k.mul(k.minimum(x, y), 2)), xs: [a, b] };
    },
  },
  {
    name: 'logical and/or/not and comparisons gt/lt (zero gradient through the predicates)',
    make: (r) => {
      const s = r.shape(1, 2);
      return {
        f: (x, y) => {
          const both = k.logicalAnd(k.greater(x, 0), k.less(y, 0));
          const either = k.logicalOr(k.greater(x, 0), k.logicalNot(k.less(y, 0)));
          return k.add(k.where(both, k.mul(x, y), k.sub(x, y)), k.where(either, k.sin(x), k.mul(y, y)));
        },
        xs: [away(r, s), away(r, s)],
      };
    },
  },
  {
    name: 'comparisons eq/ne/le/ge on integer and float operands (integer input: zero gradient)',
    make: (r) => {
      const s = r.shape(1, 2);
      const x = unif(r, s);
      const y = k.add(x, away(r, s, 0.2, 1));
      return {
        f: (x, y, n) => {
          const a = k.where(k.equal(n, 1), k.mul(x, 3), k.sin(y));
          const b = k.where(k.notEqual(n, 2), k.mul(x, y), y);
          const c = k.where(k.lessEqual(x, y), k.exp(x), k.cos(y));
          const d = k.where(k.greaterEqual(x, y), k.mul(y, 2), k.mul(x, x));
          return k.add(k.add(a, b), k.add(c, d));
        },
        xs: [x, y, ints(r, s, 0, 3)],
      };
    },
  },
  {
    name: 'xor, shift_left, shift_right_logical (IR; integer input: zero gradient)',
    make: (r) => {
      const n = r.int(1, 5);
      const f = irFn(`func @bits(%0: f64[${n}], %1: i32[${n}]) -> (f64[${n}]) {
  %2 = constant {shape=[], dtype=f64, data=[0]} : f64[]
  %3 = broadcast_in_dim %2 {shape=[${n}], dims=[]} : f64[${n}]
  %4 = gt %0, %3 : bool[${n}]
  %5 = constant {shape=[], dtype=i32, data=[2]} : i32[]
  %6 = broadcast_in_dim %5 {shape=[${n}], dims=[]} : i32[${n}]
  %7 = lt %1, %6 : bool[${n}]
  %8 = xor %4, %7 : bool[${n}]
  %9 = mul %0, %0 : f64[${n}]
  %10 = select %8, %9, %0 : f64[${n}]
  %11 = constant {shape=[], dtype=i32, data=[1]} : i32[]
  %12 = broadcast_in_dim %11 {shape=[${n}], dims=[]} : i32[${n}]
  %13 = shift_left %1, %12 : i32[${n}]
  %14 = shift_right_logical %13, %12 : i32[${n}]
  %15 = add %13, %14 : i32[${n}]
  %16 = convert %15 {dtype=f64} : f64[${n}]
  %17 = mul %10, %16 : f64[${n}]
  return %17
}`);
      return { f, xs: [away(r, [n]), ints(r, [n], 0, 4)] };
    },
  },
  {
    name: 'select (where with broadcasting; boolean input: zero gradient)',
    make: (r) => {
      const [sa, sb] = broadcastPair(r);
      return { f: (c, a, b) => k.where(c, k.mul(a, a), b), xs: [bools(r, sa.length >= sb.length ? sa : sb), unif(r, sa), unif(r, sb)] };
    },
  },
  {
    name: 'convert f64 -> f32 -> f64 and f64 -> i32 (zero gradient)',
    make: (r) => ({
      f: (x) => k.add(k.mul(x.astype('f32').astype('f64'), x), k.mul(x.astype('i32').astype('f64'), k.sin(x))),
      xs: [offInteger(r, r.shape(0, 2))],
    }),
    // The f32 step loses precision: a larger step and looser tolerances.
    eps: 1e-3,
    rtol: 1e-3,
    atol: 1e-3,
  },
  {
    name: 'stop_gradient (derivatives as if the stopped value were a constant)',
    make: (r) => {
      const s = r.shape(0, 2);
      const x0 = unif(r, s), y0 = unif(r, s);
      const f: Fn = (x, y) => k.add(k.mul(x, k.stopGradient(x)), k.mul(k.sin(k.stopGradient(k.mul(x, y))), y));
      const ref: Fn = (x, y) => k.add(k.mul(x, x0), k.mul(k.sin(k.mul(x0, y0)), y));
      return { f, xs: [x0, y0], ref };
    },
  },
  {
    name: 'constant and iota (arange, full, eye)',
    make: (r) => {
      const n = r.int(1, 4);
      return {
        f: (x) => k.add(k.mul(x, k.arange(n, { dtype: 'f64' })), k.matmul(k.eye(n, n, { dtype: 'f64' }).mul(k.full([n, n], 2, 'f64')), k.mul(x, x))),
        xs: [unif(r, [n])],
      };
    },
  },
  {
    name: 'random_bits (random noise is a constant)',
    make: (r) => {
      const s = r.shape(1, 2);
      const key = k.random.key(r.int(0, 1000));
      return { f: (x) => k.mul(k.sin(x), k.random.uniform(key, s, { dtype: 'f64' })), xs: [unif(r, s)] };
    },
  },
  {
    name: 'broadcast_in_dim (new and stretched axes)',
    make: (r) => {
      const a = r.int(1, 3), b = r.int(2, 3), c = r.int(1, 3);
      return { f: (x, w) => k.mul(k.broadcastTo(x, [a, b, c]), w), xs: [unif(r, [b, 1]), unif(r, [a, b, c])] };
    },
  },
  {
    name: 'reshape',
    make: (r) => {
      const s = r.shape(1, 3, 4);
      const n = size(s);
      const divisors = Array.from({ length: n }, (_, i) => i + 1).filter((d) => n % d === 0);
      const d = divisors[r.int(0, divisors.length - 1)]!;
      return { f: (x, w) => k.mul(k.reshape(x, [d, n / d]), w), xs: [unif(r, s), unif(r, [d, n / d])] };
    },
  },
  {
    name: 'transpose (random permutation)',
    make: (r) => {
      const s = r.shape(2, 4);
      const p = r.perm(s.length);
      return { f: (x) => k.mul(k.transpose(x, p), k.transpose(x, p).slice('...', [0, 1])), xs: [unif(r, s)] };
    },
  },
  {
    name: 'slice with strides, negative steps (rev) and integer indices',
    make: (r) => {
      const s = [r.int(2, 5), r.int(2, 4), r.int(1, 3)];
      return { f: (x) => k.mul(x.slice([1, null, 2], [null, null, -1], 0), x.slice([null, -1, 2], [], -1)), xs: [unif(r, s)] };
    },
  },
  {
    name: 'rev (flip over several axes)',
    make: (r) => ({ f: (x) => k.mul(k.flip(x, [0, 2]), x), xs: [unif(r, [r.int(1, 3), r.int(1, 3), r.int(1, 3)])] }),
  },
  {
    name: 'pad (DSL, non-zero padding value)',
    make: (r) => ({ f: (x) => k.sin(k.pad(x, [[1, 2], [0, 1]], { value: 3 })), xs: [unif(r, [r.int(1, 3), r.int(1, 3)])] }),
  },
  {
    name: 'pad with interior and negative padding (IR)',
    make: (r) => {
      const variants = [
        { lo: [1, -1], hi: [-2, 2], interior: [1, 0], out: [4, 5] },
        { lo: [-2, 0], hi: [1, -3], interior: [2, 1], out: [6, 4] },
        { lo: [0, -1], hi: [-1, -1], interior: [1, 2], out: [4, 8] },
      ];
      const v = variants[r.int(0, variants.length - 1)]!;
      const f = irFn(`func @pads(%0: f64[3,4]) -> (f64[${v.out}]) {
  %1 = pad %0 {lo=[${v.lo}], hi=[${v.hi}], interior=[${v.interior}], value=0} : f64[${v.out}]
  %2 = sin %1 : f64[${v.out}]
  return %2
}`);
      return { f, xs: [unif(r, [3, 4])] };
    },
  },
  {
    name: 'concatenate and stack (several operands, different sizes)',
    make: (r) => {
      const b = r.int(1, 3);
      return {
        f: (x, y) => k.concatenate([x, k.mul(y, y), k.stack([k.sin(x.slice(0)), y.slice(1)], 0)], 0),
        xs: [unif(r, [r.int(1, 3), b]), unif(r, [r.int(2, 3), b])],
      };
    },
  },
  {
    name: 'gather: take with duplicate indices',
    make: (r) => {
      const s = [r.int(2, 4), r.int(1, 3)];
      const axis = r.int(0, 1);
      const idx = k.array([0, s[axis]! - 1, 0, 1 % s[axis]!, 0], { dtype: 'i32' });
      return { f: (x) => k.sin(k.take(x, idx, axis)), xs: [unif(r, s)] };
    },
  },
  {
    name: 'gather: takeAlongAxis and integer-array indexing',
    make: (r) => {
      const s = [r.int(2, 3), r.int(2, 4)];
      const idx = ints(r, [s[0]!, 3], 0, s[1]! - 1);
      const rows = k.array([1, 1, 0], { dtype: 'i32' });
      return { f: (x) => k.add(k.takeAlongAxis(x, idx, 1), k.mul(x.slice(rows).slice([], [0, 2]).sum(), 0.5)), xs: [unif(r, s)] };
    },
  },
  {
    name: 'scatter-add: at().add with duplicate indices',
    make: (r) => {
      const n = r.int(3, 5), m = r.int(1, 3);
      const idx = k.array([0, 2, 0, n - 1, 2], { dtype: 'i32' });
      return { f: (x, u) => k.sin(x.at(idx).add(k.mul(u, u))), xs: [unif(r, [n, m]), unif(r, [5, m])] };
    },
  },
  {
    name: 'scatter-set: at().set with distinct indices',
    make: (r) => {
      const n = r.int(4, 5), m = r.int(1, 3);
      const idx = k.array([3, 0, 1], { dtype: 'i32' });
      return { f: (x, u) => k.sin(k.mul(x.at(idx).set(k.mul(u, 2)), x)), xs: [unif(r, [n, m]), unif(r, [3, m])] };
    },
  },
  {
    name: 'scatter-set: at().set with duplicate indices',
    make: (r) => {
      const n = r.int(3, 5), m = r.int(1, 3);
      const idx = k.array([1, 0, 1], { dtype: 'i32' });
      return { f: (x, u) => k.sin(k.mul(x.at(idx).set(k.mul(u, 2)), x)), xs: [unif(r, [n, m]), unif(r, [3, m])] };
    },
  },
  {
    name: 'reduce_sum over several axes (sum, mean, var)',
    make: (r) => ({
      f: (x) => k.add(k.sin(x.sum({ axis: [0, 2] })), k.mul(x.mean({ axis: [1] , keepdims: true}).sum({ axis: [0, 2] }), k.var(x, { axis: [0, 2] }))),
      xs: [unif(r, [r.int(1, 3), r.int(1, 3), r.int(2, 3)])],
    }),
  },
  {
    name: 'reduce_max / reduce_min over several axes (distinct values), logsumexp',
    make: (r) => ({
      f: (x) => k.add(k.add(x.max({ axis: [0, 2] }), k.mul(x.min({ axis: [2, 0] }), 3)), k.logsumexp(x, { axis: [0, 2] })),
      xs: [distinct(r, [r.int(1, 3), r.int(1, 3), r.int(1, 3)])],
    }),
  },
  {
    name: 'reduce_prod over several axes (no zeros)',
    make: (r) => ({ f: (x) => x.prod({ axis: [0, 2] }), xs: [away(r, [r.int(1, 3), r.int(1, 3), r.int(1, 3)], 0.5, 1.5)] }),
  },
  {
    name: 'reduce_prod with one and with two exact zeros in a row',
    make: (r) => {
      const m = r.int(2, 4);
      const vals = flat(away(r, [3, m], 0.5, 1.5));
      vals[r.int(0, m - 1)] = 0; // row 0: one zero
      vals[m] = 0; // row 1: two zeros
      vals[m + 1] = 0;
      return { f: (x) => x.prod({ axis: 1 }), xs: [f64(vals, [3, m])] };
    },
  },
  {
    name: 'argmax / argmin (zero gradient) picking values with takeAlongAxis',
    make: (r) => {
      const s = [r.int(1, 3), r.int(2, 4)];
      return {
        f: (x) => k.add(k.takeAlongAxis(x, k.argmax(x, { axis: 1, keepdims: true }), 1), k.mul(k.takeAlongAxis(x, k.argmin(x, { axis: 1, keepdims: true }), 1), x)),
        xs: [distinct(r, s)],
      };
    },
  },
  {
    name: 'cumsum (forward and reverse, several axes)',
    make: (r) => ({
      f: (x) => k.mul(k.cumsum(x, 0), k.cumsum(x, -1, { reverse: true })),
      xs: [unif(r, [r.int(1, 4), r.int(1, 3)])],
    }),
  },
  {
    name: 'sort and argsort (distinct values)',
    make: (r) => {
      const s = [r.int(1, 3), r.int(2, 4)];
      return { f: (x, w) => k.add(k.mul(k.sort(x, 1), w), k.takeAlongAxis(w, k.argsort(x, 0), 0)), xs: [distinct(r, s), unif(r, s)] };
    },
  },
  {
    name: 'dot_general: matmul, matrix-vector, vector dot',
    make: (r) => {
      const m = r.int(1, 3), kk = r.int(1, 4), n = r.int(1, 3);
      return {
        f: (a, b, v) => k.add(k.matmul(a, b), k.mul(k.matmul(a, v).reshape([m, 1]), k.dot(v, v))),
        xs: [unif(r, [m, kk]), unif(r, [kk, n]), unif(r, [kk])],
      };
    },
  },
  {
    name: 'dot_general with batch dims: batched matmul with broadcast batch axes',
    make: (r) => {
      const b = r.int(1, 3), m = r.int(1, 3), kk = r.int(1, 3), n = r.int(1, 3);
      return { f: (a, c) => k.matmul(a, c), xs: [unif(r, [b, m, kk]), unif(r, [1, kk, n])] };
    },
  },
  {
    name: 'dot_general with non-leading batch dims and two contracting dims (IR)',
    make: (r) => {
      const [c1, bb, m, c2, n] = [r.int(1, 3), r.int(1, 3), r.int(1, 2), r.int(1, 3), r.int(1, 2)];
      const f = irFn(`func @dg(%0: f64[${c1},${bb},${m},${c2}], %1: f64[${bb},${c2},${n},${c1}]) -> (f64[${bb},${m},${n}]) {
  %2 = dot_general %0, %1 {lhsContract=[0,3], rhsContract=[3,1], lhsBatch=[1], rhsBatch=[0]} : f64[${bb},${m},${n}]
  return %2
}`);
      return { f, xs: [unif(r, [c1, bb, m, c2]), unif(r, [bb, c2, n, c1])] };
    },
  },
  {
    name: 'dot_general with two batch dims in different orders (IR)',
    make: (r) => {
      const [b1, b2, m, c, n] = [r.int(1, 3), r.int(1, 2), r.int(1, 2), r.int(1, 3), r.int(1, 2)];
      const f = irFn(`func @dg2(%0: f64[${b1},${m},${b2},${c}], %1: f64[${b2},${n},${b1},${c}]) -> (f64[${b1},${b2},${m},${n}]) {
  %2 = dot_general %0, %1 {lhsContract=[3], rhsContract=[3], lhsBatch=[0,2], rhsBatch=[2,0]} : f64[${b1},${b2},${m},${n}]
  return %2
}`);
      return { f, xs: [unif(r, [b1, m, b2, c]), unif(r, [b2, n, b1, c])] };
    },
  },
  {
    name: 'gather and scatter-add with out-of-range (clamped) indices (IR)',
    make: (r) => {
      const m = r.int(1, 3);
      const f = irFn(`func @clamped(%0: f64[3,${m}], %1: f64[5,${m}]) -> (f64[3,${m}]) {
  %2 = constant {shape=[5,1], dtype=i32, data=[0,7,-2,2,1]} : i32[5,1]
  %3 = gather %0, %2 : f64[5,${m}]
  %4 = mul %3, %1 : f64[5,${m}]
  %5 = scatter %0, %2, %4 {mode=add} : f64[3,${m}]
  %6 = sin %5 : f64[3,${m}]
  return %6
}`);
      return { f, xs: [unif(r, [3, m]), unif(r, [5, m])] };
    },
  },
  {
    name: 'cond (predicate from the arguments, either branch)',
    make: (r) => {
      const s = r.shape(1, 2);
      return {
        f: (x, y) => k.cond(k.greater(k.sum(x), 0), (a: T, b: T) => k.mul(k.sin(a), b), (a: T, b: T) => k.sub(k.mul(a, a), b), x, y),
        xs: [unif(r, s), unif(r, s)],
      };
    },
  },
  {
    name: 'scan (carry and stacked outputs)',
    make: (r) => {
      const n = r.int(1, 4), d = r.int(1, 3);
      return {
        f: (h0, xs, w) => {
          const [h, ys] = k.scan((h: T, x: T) => {
            const hn = k.tanh(k.add(k.mul(h, w), x));
            return [hn, k.mul(hn, x)] as [T, T];
          }, h0, xs);
          return k.concatenate([h.reshape([1, d]), ys], 0);
        },
        xs: [unif(r, [d]), unif(r, [n, d]), unif(r, [d])],
      };
    },
  },
  {
    name: 'while_loop (forward mode only)',
    make: (r) => {
      const s = r.shape(1, 2);
      return {
        f: (x, w) => k.whileLoop((c: [T, T]) => k.less(c[1], 4), ([c, i]: [T, T]) => [k.sin(k.mul(c, w)), k.add(i, 1)] as [T, T], [x, k.array(0, { dtype: 'i32' })] as [T, T])[0],
        xs: [unif(r, s), unif(r, s)],
      };
    },
    reverse: false,
  },
  {
    name: 'custom_jvp_call (softplus with its derivative given by hand)',
    make: (r) => {
      const softplus = k.customJvp((x: T) => k.log1p(k.exp(x)), ([x], [t]) => [k.log1p(k.exp(x!)), t!.mul(k.sigmoid(x!))]);
      return { f: (x) => softplus(k.mul(x, x)), xs: [unif(r, r.shape(1, 2))] };
    },
  },
];

// ---- known failures: (case name, check) -> what is wrong

type Check = 'grad' | 'jvp' | 'agreement' | 'grad of grad' | 'jvp of grad';
const KNOWN_BUGS: Record<string, Partial<Record<Check, true>>> = {};

// ---- numerical derivatives

const DRAWS = [11, 29];

function evalF(f: Fn, xs: T[]): number[] {
  return flat(f(...xs));
}

/** xs with the float arguments moved by t * dir (dir has one entry per argument; null = fixed). */
function moved(xs: T[], dir: (T | null)[], t: number): T[] {
  return xs.map((x, i) => {
    const d = dir[i];
    if (!d) return x;
    const dv = flat(d);
    return withData(x, flat(x).map((v, j) => v + t * dv[j]!));
  });
}

function centralDiff(g: (xs: T[]) => number[], xs: T[], dir: (T | null)[], eps: number): number[] {
  const p = g(moved(xs, dir, eps)), m = g(moved(xs, dir, -eps));
  return p.map((v, i) => (v - m[i]!) / (2 * eps));
}

/** The gradient of the scalar g at xs, element by element, for the float arguments. */
function numGrad(g: (xs: T[]) => number, xs: T[], eps: number): (number[] | null)[] {
  return xs.map((x, i) => {
    if (!isFloat(x)) return null;
    const base = flat(x);
    return base.map((_, j) => {
      const at = (t: number) => g(xs.map((y, l) => (l === i ? withData(y, base.map((v, q) => (q === j ? v + t : v))) : y)));
      return (at(eps) - at(-eps)) / (2 * eps);
    });
  });
}

function randomLike(r: Rng, t: T): T {
  return unif(r, t.shape, -1, 1);
}

// ---- the checks

describe('finite-difference checks of every primitive (f64)', () => {
  for (const c of cases) {
    const eps = c.eps ?? 1e-6;
    const tol = { rtol: c.rtol ?? 1e-5, atol: c.atol ?? 1e-6 };
    // AD against AD: exact up to rounding, unless the case computes in lower precision.
    const tight = { rtol: c.rtol ?? 1e-9, atol: c.atol ?? 1e-9 };
    const bugs = KNOWN_BUGS[c.name] ?? {};
    const test = (check: Check) => (bugs[check] ? it.fails : it);
    const draw = (seed: number) => {
      const r = new Rng(seed);
      const d = c.make(r);
      const y = d.f(...d.xs);
      const u = randomLike(r, y);
      const vs = d.xs.map((x) => (isFloat(x) ? randomLike(r, x) : null));
      const ws = d.xs.map((x) => (isFloat(x) ? randomLike(r, x) : null));
      const floatArgs = d.xs.flatMap((x, i) => (isFloat(x) ? [i] : []));
      const shapes = d.xs.map((x) => `${x.dtype}[${x.shape.join(',')}]`).join(', ');
      return { ...d, ref: d.ref ?? d.f, y, u, vs, ws, floatArgs, what: `${c.name} at (${shapes}), seed ${seed}` };
    };

    describe(c.name, () => {
      if (c.reverse === false) {
        it('grad fails with an error that points to forLoop/scan', () => {
          const d = draw(DRAWS[0]!);
          expect(() => k.grad((...xs: T[]) => vdotT(d.f(...xs), d.u), { argnums: d.floatArgs })(...d.xs)).toThrow(/forLoop|scan/);
        });
      } else {
        test('grad')('grad matches central differences; integer/bool arguments get zero gradients', () => {
          for (const seed of DRAWS) {
            const d = draw(seed);
            const L = (...xs: T[]) => vdotT(d.f(...xs), d.u);
            const all = d.xs.map((_, i) => i);
            const g = k.grad(L, { argnums: all })(...d.xs) as T[];
            const num = numGrad((xs) => vdot(d.ref(...xs), d.u), d.xs, eps);
            d.xs.forEach((x, i) => {
              expect(g[i]!.shape, d.what).toEqual(x.shape);
              expect(g[i]!.dtype, d.what).toBe(x.dtype);
              if (num[i]) expect(flat(g[i]!), `d/dx${i}: ${d.what}`).toBeAllclose(num[i]!, tol);
              else expect(flat(g[i]!).every((v) => v === 0), `integer argument ${i}: ${d.what}`).toBe(true);
            });
          }
        });

        test('agreement')('vjp and jvp agree: <vjp(u), v> = <u, jvp(v)>', () => {
          for (const seed of DRAWS) {
            const d = draw(seed);
            const [y, pullback] = k.vjp(d.f, ...d.xs);
            expect(y as T, d.what).toBeAllclose(d.y, { rtol: 1e-12, atol: 1e-12 });
            const cts = pullback(d.u) as T[];
            const tangents = d.xs.map((x, i) => d.vs[i] ?? k.zerosLike(x));
            const [, ty] = k.jvp(d.f, d.xs, tangents);
            const lhs = d.floatArgs.reduce((s, i) => s + vdot(cts[i]!, d.vs[i]!), 0);
            const rhs = vdot(d.u, ty as T);
            expect(lhs, d.what).toBeAllclose(rhs, tight);
          }
        });

        test('grad of grad')('grad of grad (reverse over reverse) matches central differences of the gradient', () => {
          for (const seed of DRAWS) {
            const d = draw(seed);
            const L2 = (...xs: T[]) => vdotT(k.sin(d.f(...xs)), d.u);
            const gL2 = (...xs: T[]) => k.grad(L2, { argnums: d.floatArgs })(...xs) as T[];
            const hvp = k.grad((...xs: T[]) => gL2(...xs).reduce((s: T, g, j) => k.add(s, vdotT(g, d.ws[d.floatArgs[j]!]!)), k.zeros([], 'f64')), {
              argnums: d.floatArgs,
            })(...d.xs) as T[];
            let expected: number[][];
            if (d.ref !== d.f) {
              // stop_gradient: the gradient of f is not a derivative of anything; compare with
              // the Hessian of the reference function instead.
              const R2 = (...xs: T[]) => vdotT(k.sin(d.ref(...xs)), d.u);
              const gR2 = (...xs: T[]) => k.grad(R2, { argnums: d.floatArgs })(...xs) as T[];
              expected = (
                k.grad((...xs: T[]) => gR2(...xs).reduce((s: T, g, j) => k.add(s, vdotT(g, d.ws[d.floatArgs[j]!]!)), k.zeros([], 'f64')), {
                  argnums: d.floatArgs,
                })(...d.xs) as T[]
              ).map(flat);
            } else {
              const num = centralDiff((xs) => gL2(...xs).flatMap(flat), d.xs, d.ws, eps);
              expected = [];
              let o = 0;
              for (const i of d.floatArgs) {
                const n = d.xs[i]!.size;
                expected.push(num.slice(o, o + n));
                o += n;
              }
            }
            hvp.forEach((h, j) => expect(flat(h), `H w, argument ${d.floatArgs[j]}: ${d.what}`).toBeAllclose(expected[j]!, tol));
          }
        });

        test('jvp of grad')('jvp of grad (forward over reverse) equals grad of grad', () => {
          for (const seed of DRAWS) {
            const d = draw(seed);
            const L2 = (...xs: T[]) => vdotT(k.sin(d.f(...xs)), d.u);
            const gL2 = (...xs: T[]) => k.grad(L2, { argnums: d.floatArgs })(...xs) as T[];
            const tangents = d.xs.map((x, i) => d.ws[i] ?? k.zerosLike(x));
            const [, fwd] = k.jvp(gL2, d.xs, tangents) as [T[], T[]];
            const rev = k.grad((...xs: T[]) => gL2(...xs).reduce((s: T, g, j) => k.add(s, vdotT(g, d.ws[d.floatArgs[j]!]!)), k.zeros([], 'f64')), {
              argnums: d.floatArgs,
            })(...d.xs) as T[];
            fwd.forEach((h, j) => expect(h, `argument ${d.floatArgs[j]}: ${d.what}`).toBeAllclose(rev[j]!, tight));
          }
        });
      }

      test('jvp')('jvp matches central differences', () => {
        for (const seed of DRAWS) {
          const d = draw(seed);
          const tangents = d.xs.map((x, i) => d.vs[i] ?? k.zerosLike(x));
          const [y, ty] = k.jvp(d.f, d.xs, tangents) as [T, T];
          expect(y, d.what).toBeAllclose(d.y, { rtol: 1e-12, atol: 1e-12 });
          expect(ty.shape, d.what).toEqual(d.y.shape);
          const num = centralDiff((xs) => evalF(d.ref, xs), d.xs, d.vs, eps);
          expect(flat(ty), d.what).toBeAllclose(num, tol);
        }
      });
    });
  }
});

// ---- coverage

/** Every primitive in fn, regions included. */
function primitivesOf(fn: Func, into = new Set<Primitive>()): Set<Primitive> {
  for (const e of fn.eqns) {
    into.add(e.primitive);
    for (const v of Object.values(e.params as Record<string, unknown>)) {
      const subs = Array.isArray(v) ? v : [v];
      for (const s of subs) if (s && typeof s === 'object' && 'eqns' in s) primitivesOf(s as Func, into);
    }
  }
  return into;
}

describe('coverage', () => {
  it('the cases above use every primitive of the IR', () => {
    const used = new Set<Primitive>();
    for (const c of cases) {
      const d = c.make(new Rng(DRAWS[0]!));
      const ir = k.makeIR(d.f)(...d.xs.map((x) => k.shapeDtype(x.shape, x.dtype)));
      primitivesOf(ir.func, used);
    }
    const missing = Object.values(Primitive).filter((p) => !used.has(p));
    // A new primitive needs a finite-difference case above (or, if it can never take part in
    // a float computation, an entry here with the reason).
    // customVjp has no forward mode (as in JAX), so these checks do not apply; its reverse
    // mode (custom_vjp_call, and custom_lin inside derivatives) is tested in custom.test.ts.
    const exempt: Primitive[] = [Primitive.CustomVjpCall, Primitive.CustomLin];
    expect(missing.filter((p) => !exempt.includes(p))).toEqual([]);
  });
});

// ---- specific values

describe('documented derivative conventions', () => {
  it('max/min ties share the gradient equally', () => {
    const x = k.array([1, 2, 3], { dtype: 'f64' });
    const [gx, gy] = k.grad((a: T, b: T) => k.sum(k.maximum(a, b)), { argnums: [0, 1] })(x, x) as T[];
    expect(gx!).toBeAllclose([0.5, 0.5, 0.5]);
    expect(gy!).toBeAllclose([0.5, 0.5, 0.5]);
  });

  it('reduce_max spreads the gradient over the positions of the maximum', () => {
    const x = k.array([1, 3, 3, 2], { dtype: 'f64' });
    expect(k.grad((a: T) => k.max(a))(x)).toBeAllclose([0, 0.5, 0.5, 0]);
  });

  it('pow: d/dx x^0 is 0 at x = 0 (no NaN), d/dp 0^p is 0', () => {
    const [gx, gp] = k.grad((x: T, p: T) => k.sum(k.pow(x, p)), { argnums: [0, 1] })(k.array([0, 0], { dtype: 'f64' }), k.array([0, 2], { dtype: 'f64' })) as T[];
    expect(gx!).toBeAllclose([0, 0]);
    expect(gp!).toBeAllclose([0, 0]);
  });
});
