// Random graphs compiled for the CPU against the interpreter (fast-check). A graph is a list
// of steps over a growing pool of tensors: elementwise unary/binary ops with broadcasting,
// views and data movement (reshape, transpose, slice with steps, pad, rev, concatenate,
// broadcast), and reductions with random axes and keepdims, on random shapes, in f32 or f64.
// Only the last values are returned, so the compiler fuses whatever it can in between.
// The run count bounds the compile count (one program per run, plus any shrinking on failure);
// KILN_FUZZ_SEED and KILN_FUZZ_RUNS override the fixed seed and the count.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as k from '../../index.ts';
import { cpuPresent, mismatches, rand, rng, useColdCache } from './helpers.ts';

useColdCache();

type T = k.Tensor;

interface Step {
  op: number;
  a: number;
  b: number;
  p: number[];
}
interface Graph {
  dtype: 'f32' | 'f64';
  shapes: number[][];
  steps: Step[];
  seed: number;
}

const UNARY = ['neg', 'abs', 'exp', 'tanh', 'sin', 'sigmoid', 'relu', 'sqrt', 'square', 'floor'] as const;
const BINARY = ['add', 'sub', 'mul', 'max', 'min', 'where', 'div'] as const;
const OPS = ['unary', 'binary', 'reduce', 'reshape', 'transpose', 'slice', 'pad', 'rev', 'concat', 'broadcast', 'binary', 'unary'] as const;

const pick = <X>(xs: readonly X[], i: number): X => xs[((i % xs.length) + xs.length) % xs.length]!;

function unary(x: T, which: number): T {
  switch (pick(UNARY, which)) {
    case 'neg': return x.neg();
    case 'abs': return x.abs();
    case 'exp': return x.clip(-4, 4).exp();
    case 'tanh': return x.tanh();
    case 'sin': return x.sin();
    case 'sigmoid': return x.sigmoid();
    case 'relu': return x.relu();
    case 'sqrt': return x.abs().add(0.1).sqrt();
    case 'square': return x.mul(x).tanh();
    default: return x.mul(2).floor();
  }
}

/** `b` made broadcastable against `a`: as it is, reduced to a's last axis, or to a scalar. */
function adapt(a: T, b: T): T {
  try {
    k.broadcastShapes('fuzz', a.shape, b.shape);
    return b;
  } catch {
    const last = a.shape[a.ndim - 1];
    if (a.ndim > 0 && b.ndim > 0 && b.shape[b.ndim - 1] === last) return b.ndim === 1 ? b : b.mean({ axis: b.shape.slice(0, -1).map((_, i) => i) });
    return b.mean();
  }
}

function binary(a: T, b0: T, which: number): T {
  const b = adapt(a, b0);
  switch (pick(BINARY, which)) {
    case 'add': return a.add(b);
    case 'sub': return a.sub(b);
    case 'mul': return a.mul(b).tanh();
    case 'max': return a.maximum(b);
    case 'min': return k.minimum(b, a);
    case 'where': return k.where(a.greater(b), a, b.neg());
    default: return a.div(b.abs().add(1));
  }
}

/** Factorisations of a shape for reshape: flatten, merge two axes, split one, add a unit axis. */
function reshapeTarget(s: readonly number[], p: number): number[] {
  const n = s.reduce((x, y) => x * y, 1);
  const choice = p % 4;
  if (choice === 0 || s.length === 0) return [n];
  if (choice === 1 && s.length >= 2) {
    const i = p % (s.length - 1);
    return [...s.slice(0, i), s[i]! * s[i + 1]!, ...s.slice(i + 2)];
  }
  if (choice === 2) {
    const i = p % s.length;
    const d = s[i]!;
    const f = [2, 3, 5].find((q) => d % q === 0 && d > q);
    if (f) return [...s.slice(0, i), f, d / f, ...s.slice(i + 1)];
  }
  const i = p % (s.length + 1);
  return s.length < 4 ? [...s.slice(0, i), 1, ...s.slice(i)] : [n];
}

/** Applies one step to the pool; returns the new value. */
function apply(pool: T[], st: Step): T {
  const a = pick(pool, st.a), b = pick(pool, st.b);
  const p = (i: number) => st.p[i] ?? 0;
  switch (pick(OPS, st.op)) {
    case 'unary':
      return unary(a, p(0));
    case 'binary':
      return binary(a, b, p(0));
    case 'reduce': {
      if (a.ndim === 0) return a.add(1);
      const axes = a.shape.map((_, i) => i).filter((i) => (p(1) >> i) & 1);
      const axis = axes.length ? axes : [p(2) % a.ndim];
      const keepdims = (p(3) & 1) === 1;
      const kind = p(0) % 4;
      return kind === 0 ? a.sum({ axis, keepdims }) : kind === 1 ? a.max({ axis, keepdims }) : kind === 2 ? a.min({ axis, keepdims }) : a.mean({ axis, keepdims });
    }
    case 'reshape':
      return a.reshape(reshapeTarget(a.shape, p(0)));
    case 'transpose': {
      if (a.ndim < 2) return a.neg();
      const perm = a.shape.map((_, i) => i);
      for (let i = perm.length - 1; i > 0; i--) {
        const j = p(i) % (i + 1);
        [perm[i], perm[j]] = [perm[j]!, perm[i]!];
      }
      return a.transpose(perm);
    }
    case 'slice': {
      if (a.ndim === 0) return a;
      const specs = a.shape.map((d, i) => {
        const step = [1, 1, 2, -1, -2, 3][p(i) % 6]!;
        const lo = p(i + 3) % d, hi = lo + 1 + (p(i + 6) % (d - lo));
        return step > 0 ? ([lo, hi, step] as const) : ([hi - 1, lo - 1 < 0 ? null : lo - 1, step] as const);
      });
      return a.slice(...(specs as never));
    }
    case 'pad': {
      if (a.ndim === 0) return a;
      return k.pad(a, a.shape.map((_, i) => [p(i) % 3, p(i + 3) % 3] as [number, number]), { value: (p(6) % 5) - 2 });
    }
    case 'rev':
      return a.ndim === 0 ? a : a.flip(a.shape.map((_, i) => i).filter((i) => (p(0) >> i) & 1));
    case 'concat': {
      if (a.ndim === 0) return k.stack([a, b.sum()]);
      const axis = p(0) % a.ndim;
      const other = b.ndim === a.ndim && b.shape.every((d, i) => i === axis || d === a.shape[i]) ? b : a.flip(axis).mul(0.5);
      return k.concatenate([a, other], axis);
    }
    default: {
      // broadcast to a new leading axis (or stretch a unit axis)
      if (a.size > 64) return a.tanh();
      return a.broadcastTo([1 + (p(0) % 3), ...a.shape]);
    }
  }
}

const stepArb = fc.record({ op: fc.nat(1000), a: fc.nat(1000), b: fc.nat(1000), p: fc.array(fc.nat(1000), { minLength: 10, maxLength: 10 }) });
const graphArb: fc.Arbitrary<Graph> = fc.record({
  dtype: fc.constantFrom('f32' as const, 'f64' as const),
  shapes: fc.array(fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 0, maxLength: 3 }), { minLength: 1, maxLength: 3 }),
  steps: fc.array(stepArb, { minLength: 2, maxLength: 10 }),
  seed: fc.nat(1 << 30),
});

/** The graph as a function of its inputs: the last value, and the last reduction (if any). */
function build(g: Graph) {
  return (...xs: T[]) => {
    const pool = [...xs];
    for (const st of g.steps) {
      const v = apply(pool, st);
      if (v.size > 4096) continue; // keep the graphs small
      pool.push(v);
    }
    return { last: pool[pool.length - 1]!, prev: pool[pool.length - 2] ?? pool[0]!.sum() };
  };
}

const RUNS = Number(process.env.KILN_FUZZ_RUNS ?? 25);
const SEED = Number(process.env.KILN_FUZZ_SEED ?? 20240611);

describe.runIf(cpuPresent)('random graphs on the CPU equal the interpreter', () => {
  it(`${RUNS} random graphs of elementwise, broadcast, view and reduction ops`, () => {
    let programs = 0;
    fc.assert(
      fc.property(graphArb, (g) => {
        const r = rng(g.seed);
        const inputs = g.shapes.map((s) => rand(r, s, g.dtype));
        const f = build(g);
        programs++;
        const cpu = k.jit(f, { device: 'cpu' })(...inputs);
        const interp = k.jit(f, { device: 'interp' })(...inputs);
        const bad = mismatches(cpu, interp, g.dtype === 'f64' ? { rtol: 1e-10 } : { rtol: 1e-4 });
        if (bad.length) throw new Error(`${bad.join('\n')}\ngraph: ${JSON.stringify(g)}`);
      }),
      { numRuns: RUNS, seed: SEED, interruptAfterTimeLimit: 60_000, markInterruptAsFailure: true },
    );
    expect(programs).toBeGreaterThanOrEqual(RUNS);
  });
});
