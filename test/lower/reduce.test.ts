// Reduce kernels: every reduction kind, axis placement and dtype; argmax / argmin ties and
// NaN; prologue / epilogue fusion and its fallback; the loop orders (inner reduction, row
// accumulation, chunked rows) and parallel marking.
import { describe, expect, it } from 'vitest';
import { Builder } from '../../compiler/ir/builder.ts';
import type { DType } from '../../compiler/ir/dtype.ts';
import { aval, Var, type Func } from '../../compiler/ir/ir.ts';
import { Primitive } from '../../compiler/ir/primitives.ts';
import type { Stmt } from '../../compiler/lower/loop-ir.ts';
import { printLoopKernel } from '../../compiler/lower/print.ts';
import * as k from '../../index.ts';
import { allStmts, check, loopDepth, type CheckOpts } from './harness.ts';

const sd = k.shapeDtype;
const trace = (f: (...xs: k.Tensor[]) => k.Tensor | k.Tensor[], ...args: k.ShapeDtype[]) => k.makeIR(f)(...args).func;

type RedOp = Primitive.ReduceSum | Primitive.ReduceMax | Primitive.ReduceMin | Primitive.ReduceProd;

function reduceFunc(op: RedOp | Primitive.Argmax | Primitive.Argmin, shape: number[], dtype: DType, axes: number[], pro?: Primitive.Exp | Primitive.Neg): Func {
  const b = new Builder();
  const x = new Var(aval(shape, dtype));
  const y = pro ? b.unary(pro, x) : x;
  const r = op === Primitive.Argmax || op === Primitive.Argmin ? b.emit1(op, { axis: axes[0]! }, y) : b.emit1(op, { axes }, y);
  return b.func(op, [x], [r]);
}

const tol = (d: DType): CheckOpts => (d === 'f32' ? { rtol: 1e-5, atol: 1e-5 } : d === 'f64' ? { rtol: 1e-12, atol: 1e-12 } : d === 'f16' || d === 'bf16' ? { rtol: 1e-2, atol: 1e-2 } : {});
const AXES = [[2], [1], [0], [0, 2], [1, 2], [0, 1], [0, 1, 2], []];

describe('reductions', () => {
  it('sum / prod over every axis placement and dtype', () => {
    for (const op of [Primitive.ReduceSum, Primitive.ReduceProd] as const) {
      for (const d of ['f32', 'f64', 'f16', 'bf16', 'i32'] as DType[]) {
        for (const axes of AXES) {
          for (const shape of [[3, 4, 5], [2, 3, 12], [1, 9, 1]]) {
            check(reduceFunc(op, shape, d, axes), { kind: 'reduce', ...tol(d), floatRange: op === Primitive.ReduceProd ? [0.5, 1.5] : [-3, 3], intRange: [-9, 9] });
          }
        }
      }
    }
  });

  it('max / min exactly, NaN propagating, bool any / all', () => {
    for (const op of [Primitive.ReduceMax, Primitive.ReduceMin] as const) {
      for (const d of ['f32', 'f64', 'f16', 'i32', 'bool'] as DType[]) {
        for (const axes of AXES) {
          check(reduceFunc(op, [3, 4, 10], d, axes), { kind: 'reduce', special: true, seed: 7 });
          check(reduceFunc(op, [3, 4, 10], d, axes), { kind: 'reduce', intRange: [-2147483648, 2147483647] });
        }
      }
    }
  });

  it('empty reductions give the identity', () => {
    for (const op of [Primitive.ReduceSum, Primitive.ReduceProd, Primitive.ReduceMax, Primitive.ReduceMin] as const) {
      for (const d of ['f32', 'i32'] as DType[]) {
        check(reduceFunc(op, [2, 0, 3], d, [1]), { kind: 'reduce' });
        check(reduceFunc(op, [2, 0, 9], d, [1]), { kind: 'reduce' });
        check(reduceFunc(op, [0, 10], d, [0]), { kind: 'reduce' });
      }
      check(reduceFunc(op, [2, 0], 'f32', [0]), { kind: 'reduce' });
    }
    check(reduceFunc(Primitive.ReduceMax, [4, 0], 'bool', [1]), { kind: 'reduce' });
    check(reduceFunc(Primitive.ReduceMin, [4, 0], 'bool', [1]), { kind: 'reduce' });
  });

  it('sum of a single -0 is +0 (the accumulator starts at +0, as the interpreter)', () => {
    check(reduceFunc(Primitive.ReduceSum, [3, 1], 'f32', [1]), { kind: 'reduce', inputs: [new Float32Array([-0, 0, -0])] });
  });

  it('argmax / argmin: first extreme wins, first NaN wins, on every axis and dtype', () => {
    for (const op of [Primitive.Argmax, Primitive.Argmin] as const) {
      for (const d of ['f32', 'f64', 'f16', 'i32', 'bool'] as DType[]) {
        for (const axis of [0, 1, 2]) {
          check(reduceFunc(op, [3, 4, 10], d, [axis]), { kind: 'reduce', special: true, seed: axis + 1, intRange: [-2, 2] });
          check(reduceFunc(op, [3, 4, 10], d, [axis]), { kind: 'reduce', intRange: [-2147483648, 2147483647] });
        }
      }
    }
    // all -inf, all NaN, NaN first, ties at the extreme, i32 extremes
    const inputs = [new Float32Array([-Infinity, -Infinity, -Infinity, NaN, NaN, NaN, NaN, 5, 7, 2, 7, 7, 1, 1, 0.5, 1])];
    for (const op of [Primitive.Argmax, Primitive.Argmin] as const) check(reduceFunc(op, [4, 4], 'f32', [1]), { kind: 'reduce', inputs });
    const ints = [new Int32Array([-2147483648, -2147483648, 2147483647, 2147483647])];
    for (const op of [Primitive.Argmax, Primitive.Argmin] as const) check(reduceFunc(op, [2, 2], 'i32', [1]), { kind: 'reduce', inputs: ints });
  });

  it('prologue inside the reduction loop, epilogue after it (one pass)', () => {
    const lk = check(trace((x) => k.sqrt(k.mean(k.mul(x, x), { axis: 1 })), sd([6, 50])), { kind: 'reduce', rtol: 1e-5 });
    expect(lk.params.filter((p) => p.role === 'scratch')).toHaveLength(0);
    expect(loopDepth(lk.body)).toBe(2);
    const text = printLoopKernel(lk);
    expect(text).toContain('sqrt(');
  });

  it('keepdims and several outputs in the fused epilogue', () => {
    const f = trace((x, y) => {
      const s = k.sum(k.exp(x), { axis: 1, keepdims: true });
      return [s, k.log(s), k.add(k.reshape(s, [4]), y)];
    }, sd([4, 30]), sd([4]));
    const lk = check(f, { kind: 'reduce', rtol: 1e-5 });
    expect(lk.params.filter((p) => p.role === 'scratch')).toHaveLength(0);
  });

  it('an epilogue reading the result elsewhere falls back to a buffer', () => {
    // outputs as many elements as the result, but transposed
    const f = trace((x) => k.transpose(k.sum(x, { axis: 2 }), [1, 0]), sd([3, 4, 5]));
    const lk = check(f, { kind: 'reduce', rtol: 1e-5 });
    expect(lk.params.filter((p) => p.role === 'scratch')).toHaveLength(1);
    // softmax-like: the epilogue is over the input shape
    const g = trace((x) => k.sub(x, k.max(x, { axis: 1, keepdims: true })), sd([5, 7]));
    check(g, { kind: 'reduce', special: true });
  });

  it('several reductions in one kernel (variance, logsumexp)', () => {
    check(trace((x) => k.var(x, { axis: 1 }), sd([4, 33])), { kind: 'reduce', rtol: 1e-4, atol: 1e-5 });
    check(trace((x) => k.logsumexp(x, { axis: 0 }), sd([40, 12])), { kind: 'reduce', rtol: 1e-5, atol: 1e-6 });
  });
});

describe('loop orders', () => {
  const loops = (ss: readonly Stmt[]) => allStmts(ss).filter((s): s is Extract<Stmt, { k: 'for' }> => s.k === 'for');

  it('inner reduction when the reduced axis is innermost: scalar accumulator', () => {
    const lk = check(reduceFunc(Primitive.ReduceSum, [8, 64], 'f32', [1], Primitive.Exp), { kind: 'reduce', rtol: 1e-5 });
    expect(allStmts(lk.body).some((s) => s.k === 'decl')).toBe(true);
    expect(loopDepth(lk.body)).toBe(2);
  });

  it('row accumulation when the reduced axes are not innermost: output axis innermost', () => {
    const lk = check(reduceFunc(Primitive.ReduceSum, [64, 40], 'f32', [0], Primitive.Exp), { kind: 'reduce', rtol: 1e-5 });
    expect(allStmts(lk.body).some((s) => s.k === 'decl')).toBe(false);
    expect(lk.params.filter((p) => p.role === 'scratch')).toHaveLength(0); // accumulates in the output
    expect(printLoopKernel(lk)).toContain('out0[i2] = out0[i2] + exp(in0[i1 * 40 + i2]);');
    // [A, B, C] over B: parallel-free small case, rows of C per A
    check(reduceFunc(Primitive.ReduceMax, [5, 6, 16], 'f32', [1]), { kind: 'reduce', special: true });
    check(reduceFunc(Primitive.ReduceProd, [3, 4, 5, 16], 'f64', [0, 2]), { kind: 'reduce', rtol: 1e-12 });
    // f16 accumulates in an f32 scratch row
    const h = check(reduceFunc(Primitive.ReduceSum, [20, 16], 'f16', [0]), { kind: 'reduce', rtol: 1e-3, atol: 1e-3 });
    expect(h.params.filter((p) => p.role === 'scratch').map((p) => p.dtype)).toEqual(['f32']);
  });

  it('large kernels: parallel outer loops; a leading-axis sum is chunked', () => {
    const a = check(reduceFunc(Primitive.ReduceSum, [256, 200], 'f32', [1]), { kind: 'reduce', rtol: 1e-5, atol: 1e-5 });
    expect(loops(a.body)[0]!.parallel).toBe(true);
    const b = check(reduceFunc(Primitive.ReduceSum, [60, 1000], 'f32', [0]), { kind: 'reduce', rtol: 1e-5, atol: 1e-5 });
    const outer = loops(b.body)[0]!;
    expect(outer.parallel).toBe(true);
    expect(outer.n).toEqual({ k: 'const', t: 'index', v: 4 }); // ceil(1000 / 256) chunks
    const c = check(reduceFunc(Primitive.ReduceSum, [4, 60, 200], 'f32', [1]), { kind: 'reduce', rtol: 1e-5, atol: 1e-5 });
    expect(loops(c.body)[0]!.parallel).toBe(true);
    expect(loops(c.body)[0]!.n).toEqual({ k: 'const', t: 'index', v: 4 });
    // a full reduction to a scalar is sequential
    const d = check(reduceFunc(Primitive.ReduceMax, [300, 200], 'f32', [0, 1]), { kind: 'reduce' });
    expect(loops(d.body).some((l) => l.parallel)).toBe(false);
  });
});
