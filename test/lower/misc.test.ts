// scatter, cumsum and sort kernels, and kernels with several heavy equations.
import { describe, expect, it } from 'vitest';
import { Builder } from '../../compiler/ir/builder.ts';
import type { DType } from '../../compiler/ir/dtype.ts';
import { aval, Var, type Func } from '../../compiler/ir/ir.ts';
import { Primitive } from '../../compiler/ir/primitives.ts';
import type { SortStmt, Stmt } from '../../compiler/lower/loop-ir.ts';
import * as k from '../../index.ts';
import { allStmts, check } from './harness.ts';

const sd = k.shapeDtype;
const trace = (f: (...xs: k.Tensor[]) => k.Tensor | k.Tensor[], ...args: k.ShapeDtype[]) => k.makeIR(f)(...args).func;
const loops = (ss: readonly Stmt[]) => allStmts(ss).filter((s): s is Extract<Stmt, { k: 'for' }> => s.k === 'for');

function scatter(xs: number[], is: number[], d: DType, mode: 'add' | 'set'): Func {
  const b = new Builder();
  const kk = is[is.length - 1]!;
  const x = new Var(aval(xs, d)), i = new Var(aval(is, 'i32')), u = new Var(aval([...is.slice(0, -1), ...xs.slice(kk)], d));
  return b.func('scatter', [x, i, u], [b.emit1(Primitive.Scatter, { mode }, x, i, u)]);
}

describe('scatter', () => {
  it('add and set with duplicate and out-of-range indices, in row order', () => {
    for (const mode of ['add', 'set'] as const) {
      for (const d of ['f32', 'f64', 'f16', 'i32', 'bool'] as DType[]) {
        // 12 rows into 5 positions: many duplicates; indices outside [0, 4] clamp
        check(scatter([5, 3], [12, 1], d, mode), { kind: 'scatter', inputOpts: [undefined, { intRange: [-3, 7] }, undefined] });
        check(scatter([4, 3, 2], [2, 3, 2], d, mode), { kind: 'scatter', inputOpts: [undefined, { intRange: [-1, 4] }, undefined] });
      }
    }
  });

  it('scalar slices, depth-0 indices and empty cases', () => {
    check(scatter([6], [10, 1], 'f32', 'add'), { kind: 'scatter', inputOpts: [undefined, { intRange: [0, 5] }, undefined] });
    check(scatter([3, 2], [4, 0], 'f32', 'add'), { kind: 'scatter' });
    check(scatter([0, 2], [3, 1], 'f32', 'set'), { kind: 'scatter' });
    check(scatter([3, 2], [0, 1], 'f32', 'set'), { kind: 'scatter' });
  });

  it('the update loop is sequential; the copy may be parallel', () => {
    const lk = check(scatter([300, 200], [50, 1], 'f32', 'add'), { kind: 'scatter', inputOpts: [undefined, { intRange: [0, 299] }, undefined] });
    const ls = loops(lk.body);
    expect(ls[0]!.parallel).toBe(true); // the copy of x
    expect(ls.slice(1).some((l) => l.parallel)).toBe(false);
  });

  it('operands computed in the kernel are materialised first', () => {
    const f = trace((x, i, u) => new k.IndexUpdate(k.exp(x), [i]).add(k.mul(u, 2)), sd([5, 3]), sd([4], 'i32'), sd([4, 3]));
    check(f, { kind: 'scatter', inputOpts: [undefined, { intRange: [0, 4] }, undefined] });
  });
});

describe('cumsum', () => {
  it('every axis, forward and reverse, rounding each step like the interpreter (exact)', () => {
    for (const d of ['f32', 'f64', 'f16', 'bf16', 'i32'] as DType[]) {
      for (const axis of [0, 1, 2]) {
        for (const reverse of [false, true]) {
          const b = new Builder();
          const x = new Var(aval([3, 4, 5], d));
          const f = b.func('cumsum', [x], [b.emit1(Primitive.Cumsum, { axis, reverse }, x)]);
          check(f, { kind: 'cumsum', special: d !== 'i32', intRange: [-2147483648, 2147483647] });
        }
      }
    }
  });

  it('large: parallel over rows, or over chunks of a single row block', () => {
    const a = check(trace((x) => k.cumsum(x, 1), sd([200, 300])), { kind: 'cumsum' });
    expect(loops(a.body)[0]!.parallel).toBe(true);
    const b = check(trace((x) => k.cumsum(x, 0, { reverse: true }), sd([30, 2000])), { kind: 'cumsum' });
    expect(loops(b.body)[0]!.parallel).toBe(true);
    expect(loops(b.body)[0]!.n).toEqual({ k: 'const', t: 'index', v: 8 });
    check(trace((x) => k.cumsum(x, 0), sd([0, 3])), { kind: 'cumsum' });
  });
});

describe('sort', () => {
  it('one SortStmt; NaN last, ties stable, several keys', () => {
    const f = trace((x) => k.sort(x, 1), sd([3, 9]));
    const lk = check(f, { kind: 'sort', special: true });
    const s = allStmts(lk.body).find((x): x is SortStmt => x.k === 'sort')!;
    expect(s).toMatchObject({ outer: 3, len: 9, inner: 1, numKeys: 1 });
    // along a middle axis, with an argsort (iota materialised as an operand)
    check(trace((x) => k.argsort(x, 1), sd([2, 6, 3])), { kind: 'sort', special: true });
    // two keys and a payload, with many ties
    const b = new Builder();
    const xs = (['i32', 'f32', 'f64'] as DType[]).map((d) => new Var(aval([4, 7], d)));
    const outs = b.emit(Primitive.Sort, { axis: 1, numKeys: 2 }, xs);
    check(b.func('sort2', xs, outs), { kind: 'sort', special: true, intRange: [0, 2] });
  });

  it('an unused result gets a scratch parameter', () => {
    const b = new Builder();
    const xs = (['f32', 'i32'] as DType[]).map((d) => new Var(aval([5], d)));
    const outs = b.emit(Primitive.Sort, { axis: 0, numKeys: 1 }, xs);
    const lk = check(b.func('sortv', xs, [outs[1]!]), { kind: 'sort', special: true });
    expect(lk.params.map((p) => p.role)).toEqual(['in', 'in', 'out', 'scratch']);
  });
});

describe('kernels with several heavy equations', () => {
  it('each heavy result feeds the next through a buffer', () => {
    check(trace((x) => k.sum(k.cumsum(k.exp(x), 1), { axis: 1 }), sd([4, 6])), { kind: 'reduce', rtol: 1e-5 });
    check(trace((x, w) => k.matmul(k.sort(x, 1), w), sd([4, 6]), sd([6, 3])), { kind: 'matmul', rtol: 1e-5, atol: 1e-5 });
    check(trace((x, w) => k.max(k.matmul(x, w), { axis: 1 }), sd([4, 6]), sd([6, 3])), { kind: 'reduce', rtol: 1e-5, atol: 1e-5 });
    check(trace((x) => [k.sum(x, { axis: 0 }), k.max(x, { axis: 1 }), k.argmin(x, { axis: 1 })], sd([5, 9])), { kind: 'reduce', rtol: 1e-5, atol: 1e-5 });
  });
});

describe('programs', () => {
  it('lowerProgram lowers every kernel, control-flow regions included', async () => {
    const { lowerProgram, printProgramLoops } = await import('../../compiler/lower/lower.ts');
    const f = trace((x) => k.exp(x), sd([3]));
    const g = trace((x) => k.sum(x, { axis: 0 }), sd([3]));
    const step = (func: Func, name: string) => ({ kind: 'kernel' as const, kernel: { name, kind: 'elementwise' as const, func }, inputs: func.inputs, outputs: func.outputs });
    const region = { name: 'r', inputs: [], outputs: [], steps: [step(g, 'k1_reduce')] };
    const prog = { name: 'main', inputs: [], outputs: [], steps: [step(f, 'k0_elementwise'), { kind: 'control' as const, eqn: undefined as never, regions: [region] }] };
    expect(lowerProgram(prog).map((lk) => lk.name)).toEqual(['k0_elementwise', 'k1_reduce']);
    expect(printProgramLoops(prog)).toContain('kernel k1_reduce(in f32 in0[3], out f32 out0[1])');
  });
});
