// Elementwise kernels: every elementwise primitive and dtype path, every view, creation ops,
// random bits and gather, compared exactly with the graph interpreter; and the loop
// structures chosen (flat loops, kept loops for broadcasts, parallel outer loops).
import { describe, expect, it } from 'vitest';
import { Builder } from '../../compiler/ir/builder.ts';
import type { DType } from '../../compiler/ir/dtype.ts';
import { KilnError } from '../../compiler/ir/errors.ts';
import { aval, Var, type Func } from '../../compiler/ir/ir.ts';
import { BINARY_OPS, COMPARE_OPS, Primitive, UNARY_OPS, type PrimitiveParams } from '../../compiler/ir/primitives.ts';
import { countDivMod } from '../../compiler/lower/index-exprs.ts';
import { lowerKernel } from '../../compiler/lower/lower.ts';
import { printLoopKernel } from '../../compiler/lower/print.ts';
import * as k from '../../index.ts';
import { allStmts, check, kernelOf, loopDepth } from './harness.ts';

const sd = k.shapeDtype;
const I32_MIN = -2147483648, I32_MAX = 2147483647;
const trace = (f: (...xs: k.Tensor[]) => k.Tensor | k.Tensor[], ...args: k.ShapeDtype[]) => k.makeIR(f)(...args).func;

/** A function of one equation on fresh inputs of the given avals. */
function one<P extends Primitive>(p: P, params: PrimitiveParams[P], ...ins: [number[], DType][]): Func {
  const b = new Builder();
  const vars = ins.map(([s, d]) => new Var(aval(s, d)));
  const outs = b.emit(p, params, vars);
  return b.func(p, vars, outs);
}

const FLOATS: DType[] = ['f32', 'f64', 'f16', 'bf16'];
const FLOAT_ONLY = new Set<Primitive>([
  Primitive.Exp, Primitive.Log, Primitive.Log1p, Primitive.Expm1, Primitive.Sqrt, Primitive.Rsqrt, Primitive.Sin,
  Primitive.Cos, Primitive.Tanh, Primitive.Logistic, Primitive.Floor, Primitive.Ceil, Primitive.Round,
]);

describe('elementwise primitives', () => {
  it('every unary op on every dtype it accepts (exact, with NaN / inf / ±0 inputs)', () => {
    for (const op of UNARY_OPS) {
      const dtypes: DType[] = op === Primitive.Not ? ['bool', 'i32'] : FLOAT_ONLY.has(op) ? FLOATS : [...FLOATS, 'i32'];
      for (const d of dtypes) check(one(op, {}, [[3, 7], d]), { special: true, seed: 3 });
    }
  });

  it('every binary op on every dtype it accepts', () => {
    for (const op of BINARY_OPS) {
      const dtypes: DType[] =
        op === Primitive.ShiftLeft || op === Primitive.ShiftRightLogical ? ['i32']
        : op === Primitive.And || op === Primitive.Or || op === Primitive.Xor ? ['bool', 'i32']
        : op === Primitive.Max || op === Primitive.Min ? [...FLOATS, 'i32', 'bool']
        : [...FLOATS, 'i32'];
      for (const d of dtypes) {
        const shifts = op === Primitive.ShiftLeft || op === Primitive.ShiftRightLogical;
        check(one(op, {}, [[4, 9], d], [[4, 9], d]), {
          special: true,
          seed: 5,
          intRange: op === Primitive.Pow ? [-4, 12] : [I32_MIN, I32_MAX],
          inputOpts: shifts ? [undefined, { intRange: [-3, 35] }] : op === Primitive.Div ? [undefined, { intRange: [-3, 3] }] : undefined,
        });
      }
    }
  });

  it('comparisons, select, convert (all dtype pairs) and stop_gradient', () => {
    for (const op of COMPARE_OPS) for (const d of [...FLOATS, 'i32', 'bool'] as DType[]) check(one(op, {}, [[20], d], [[20], d]), { special: true, intRange: [-2, 2] });
    for (const d of [...FLOATS, 'i32', 'bool'] as DType[]) check(one(Primitive.Select, {}, [[2, 5], 'bool'], [[2, 5], d], [[2, 5], d]), { special: true });
    for (const from of [...FLOATS, 'i32', 'bool'] as DType[]) {
      for (const to of [...FLOATS, 'i32', 'bool'] as DType[]) {
        check(one(Primitive.Convert, { dtype: to }, [[30], from]), { special: true, floatRange: [-3e9, 3e9], intRange: [I32_MIN, I32_MAX] });
        check(one(Primitive.Convert, { dtype: to }, [[30], from]), { special: true });
      }
    }
    check(one(Primitive.StopGradient, {}, [[3], 'f32']));
  });

  it('f32 rounds after every op (a chain agrees bit for bit)', () => {
    const f = trace((x, y) => k.div(k.sub(k.mul(k.add(x, y), x), k.sqrt(k.abs(y))), k.add(k.tanh(x), 3)), sd([64]), sd([64]));
    check(f, { special: true });
    const h = trace((x, y) => k.mul(k.add(k.exp(x), y), y), sd([64], 'f16'), sd([64], 'f16'));
    check(h, { special: true });
  });
});

describe('views', () => {
  it('broadcast_in_dim, including size-1 operand axes', () => {
    check(one(Primitive.BroadcastInDim, { shape: [3, 4, 5], dims: [1] }, [[4], 'f32']));
    check(one(Primitive.BroadcastInDim, { shape: [3, 4, 5], dims: [0, 2] }, [[3, 1], 'i32']));
    check(one(Primitive.BroadcastInDim, { shape: [2, 3], dims: [] }, [[], 'bool']));
    check(trace((x, y) => k.mul(x, y), sd([4, 1, 3]), sd([5, 1])));
  });

  it('reshape: merges, splits and general regrouping', () => {
    const cases: [number[], number[]][] = [
      [[6, 4], [2, 3, 4]], [[2, 3, 4], [6, 4]], [[2, 3, 4], [4, 6]], [[24], [2, 1, 12]], [[4, 6], [3, 8]], [[1], []], [[], [1, 1]],
    ];
    for (const [from, to] of cases) {
      check(one(Primitive.Reshape, { shape: to }, [from, 'f32']));
      // between elementwise ops, so the reshape is inside the kernel
      check(trace((x) => k.neg(k.reshape(k.exp(x), to)), sd(from)));
    }
  });

  it('transpose', () => {
    check(one(Primitive.Transpose, { perm: [1, 0] }, [[3, 5], 'f32']));
    check(one(Primitive.Transpose, { perm: [2, 0, 1] }, [[2, 3, 4], 'i32']));
    check(one(Primitive.Transpose, { perm: [0, 2, 1, 3] }, [[2, 3, 4, 5], 'f64']));
    check(trace((x) => k.add(x, k.transpose(x)), sd([6, 6])));
  });

  it('slice with starts and strides', () => {
    check(one(Primitive.Slice, { start: [1, 0], limit: [5, 7], strides: [2, 3] }, [[6, 7], 'f32']));
    check(one(Primitive.Slice, { start: [0, 2, 1], limit: [2, 3, 4], strides: [1, 1, 1] }, [[2, 3, 4], 'i32']));
    check(one(Primitive.Slice, { start: [3], limit: [3], strides: [1] }, [[5], 'f32']));
  });

  it('rev', () => {
    check(one(Primitive.Rev, { axes: [0] }, [[4, 3], 'f32']));
    check(one(Primitive.Rev, { axes: [0, 2] }, [[2, 3, 4], 'f32']));
    check(one(Primitive.Rev, { axes: [] }, [[5], 'bool']));
  });

  it('pad: low / high / interior / negative (cropping) and empty operands', () => {
    const cases: [number[], PrimitiveParams[Primitive.Pad]][] = [
      [[3, 4], { lo: [1, 2], hi: [2, 0], interior: [0, 0], value: 7 }],
      [[3, 4], { lo: [0, 1], hi: [1, 1], interior: [1, 2], value: -1.5 }],
      [[5, 4], { lo: [-1, 2], hi: [-2, -1], interior: [0, 1], value: 0 }],
      [[4], { lo: [-3], hi: [2], interior: [2], value: 9 }],
      [[0, 3], { lo: [1, 1], hi: [1, 0], interior: [0, 0], value: 5 }],
      [[2], { lo: [0], hi: [0], interior: [0], value: 5 }],
    ];
    for (const [shape, p] of cases) {
      check(one(Primitive.Pad, p, [shape, 'f32']));
      check(one(Primitive.Pad, p, [shape, 'i32']));
    }
  });

  it('concatenate, with empty operands', () => {
    check(one(Primitive.Concatenate, { axis: 1 }, [[2, 3], 'f32'], [[2, 1], 'f32'], [[2, 4], 'f32']));
    check(one(Primitive.Concatenate, { axis: 0 }, [[2, 3], 'i32'], [[0, 3], 'i32'], [[1, 3], 'i32']));
    check(one(Primitive.Concatenate, { axis: 0 }, [[3], 'bool']));
    check(trace((x, y) => k.stack([x, y], 1), sd([3, 2]), sd([3, 2])));
  });

  it('chains of views and elementwise ops read each value where it is needed', () => {
    const f = trace(
      (x, y) => {
        const a = k.transpose(k.reshape(x, [2, 3, 4]), [2, 0, 1]); // [4, 2, 3]
        const b = k.pad(k.flip(a, 2), [[0, 0], [1, 0], [0, 1]], { value: 2 }); // [4, 3, 4]
        return k.mul(k.slice(b, [null, [1, 3], null] as never), k.broadcastTo(y, [4, 2, 4]));
      },
      sd([6, 4]),
      sd([4]),
    );
    check(f);
  });
});

describe('creation ops', () => {
  it('constants: scalars, small dense ones as select chains, large ones rejected', () => {
    check(one(Primitive.Constant, { shape: [2, 3], dtype: 'f32', data: [1.5] }));
    check(one(Primitive.Constant, { shape: [2, 3], dtype: 'f32', data: [1, 2, 2, 2, 5, 0.1] }));
    check(one(Primitive.Constant, { shape: [4], dtype: 'i32', data: [3, 3, 3, 3] }));
    check(trace((x) => k.add(x, k.array([[1, 2, 3], [4, 5, 6]])), sd([2, 3])));
    check(trace((x) => k.mul(x, k.transpose(k.array([[1, 2], [3, 4], [5, 6]]))), sd([2, 3])));
    const big = one(Primitive.Constant, { shape: [17], dtype: 'f32', data: Array.from({ length: 17 }, (_, i) => i) });
    expect(() => lowerKernel(kernelOf(big))).toThrow(KilnError);
    expect(() => lowerKernel(kernelOf(big))).toThrow(/dense constant f32\[17\].*cannot be inlined/);
  });

  it('iota in every dtype, as an index cast', () => {
    for (const dtype of ['f32', 'f64', 'f16', 'bf16', 'i32'] as DType[]) {
      check(one(Primitive.Iota, { shape: [3, 4], dtype, dim: 1 }));
      check(one(Primitive.Iota, { shape: [300, 10], dtype, dim: 0 }));
    }
  });

  it('random_bits: threefry with counter = flat index of the random_bits shape', () => {
    check(one(Primitive.RandomBits, { shape: [3, 5] }, [[2], 'i32']), { intRange: [I32_MIN, I32_MAX] });
    // the counter follows the random_bits shape, not the output's
    check(trace((key) => k.transpose(k.random.bits(key as never, [4, 6]), [1, 0]), sd([2], 'i32')), { intRange: [I32_MIN, I32_MAX] });
    check(trace((key) => k.random.uniform(key as never, [5, 7]), sd([2], 'i32')), { intRange: [I32_MIN, I32_MAX] });
  });
});

describe('gather', () => {
  it('clamps out-of-range indices (each coordinate)', () => {
    check(one(Primitive.Gather, {}, [[5, 3], 'f32'], [[7, 1], 'i32']), { inputOpts: [undefined, { intRange: [-4, 9] }] });
    check(one(Primitive.Gather, {}, [[4, 3, 2], 'f32'], [[2, 5, 2], 'i32']), { inputOpts: [undefined, { intRange: [-2, 6] }] });
    check(one(Primitive.Gather, {}, [[4, 3], 'i32'], [[6, 2], 'i32']), { inputOpts: [undefined, { intRange: [-100, 100] }] });
    check(one(Primitive.Gather, {}, [[4, 3], 'f32'], [[2, 0], 'i32']));
    check(one(Primitive.Gather, {}, [[0, 3], 'f32'], [[2, 1], 'i32']));
  });

  it('fused with index arithmetic (takeAlongAxis)', () => {
    check(trace((x, i) => k.takeAlongAxis(x, i, 1), sd([3, 5]), sd([3, 2], 'i32')), { inputOpts: [undefined, { intRange: [-1, 6] }] });
    check(trace((x, i) => k.exp(k.take(x, k.add(i, 1), 0)), sd([5, 4]), sd([3], 'i32')), { inputOpts: [undefined, { intRange: [-1, 6] }] });
  });
});

describe('loop structure', () => {
  it('a contiguous elementwise kernel is one flat loop', () => {
    const lk = check(trace((x, y) => k.add(k.reshape(k.exp(x), [6, 20]), k.reshape(y, [6, 20])), sd([2, 3, 4, 5]), sd([120])));
    expect(loopDepth(lk.body)).toBe(1);
    expect(countDivMod(lk.body)).toBe(0);
  });

  it('a broadcast keeps one loop per axis it needs, innermost over the last axis', () => {
    const lk = check(trace((x, b) => k.add(x, b), sd([4, 5, 6]), sd([6])));
    expect(countDivMod(lk.body)).toBe(0);
    // axes 0 and 1 merge (the bias ignores them), axis 2 stays innermost
    expect(loopDepth(lk.body)).toBe(2);
    const inner = allStmts(lk.body).filter((s) => s.k === 'for');
    expect(inner.map((s) => (s.k === 'for' && s.n.k === 'const' ? s.n.v : -1))).toEqual([20, 6]);
  });

  it('the outermost loop is parallel from 32768 elements', () => {
    const small = check(trace((x) => k.exp(x), sd([100, 100])));
    expect(small.body[0]!.k === 'for' && small.body[0]!.parallel).toBeFalsy();
    const large = check(trace((x, b) => k.exp(k.add(x, b)), sd([300, 200]), sd([200])));
    expect(large.body[0]!.k === 'for' && large.body[0]!.parallel).toBe(true);
    for (const s of allStmts(large.body).slice(1)) if (s.k === 'for') expect(s.parallel).toBeFalsy();
  });

  it('a value used twice at the same index is computed once', () => {
    const lk = check(trace((x) => {
      const e = k.exp(x);
      return k.mul(e, e);
    }, sd([8])));
    const text = printLoopKernel(lk);
    expect(text.match(/exp\(/g)).toHaveLength(1);
    expect(text).toContain('const f32 t0 = exp(');
  });

  it('multiple outputs share one nest; an input passed through is copied', () => {
    const f = trace((x, y) => [k.add(x, y), k.mul(x, y), x], sd([3, 4]), sd([3, 4]));
    const lk = check(f);
    expect(lk.params.map((p) => `${p.role} ${p.name}`)).toEqual(['in in0', 'in in1', 'out out0', 'out out1', 'out out2']);
    expect(loopDepth(lk.body)).toBe(1);
  });

  it('size-0 and rank-0 outputs', () => {
    check(trace((x) => k.exp(x), sd([0, 3])));
    const lk = check(trace((x, y) => k.add(x, y), sd([]), sd([])));
    expect(loopDepth(lk.body)).toBe(0);
  });

  it('rejects control flow inside a kernel', () => {
    const f = trace((x) => k.cond(k.greater(k.sum(x), 0), () => x, () => k.neg(x)), sd([3]));
    expect(() => lowerKernel(kernelOf(f))).toThrow(/cannot appear inside a kernel/);
  });

  it('prints deterministically', () => {
    const f = trace((x, b) => k.relu(k.add(x, b)), sd([4, 8]), sd([8]));
    const a = printLoopKernel(lowerKernel(kernelOf(f, 'elementwise', 'k1_fused')));
    expect(a).toBe(printLoopKernel(lowerKernel(kernelOf(f, 'elementwise', 'k1_fused'))));
    expect(a).toMatchInlineSnapshot(`
      "kernel k1_fused(in f32 in0[32], in f32 in1[8], out f32 out0[32]) {
        for (i0 = 0; i0 < 4; i0++) {
          for (i1 = 0; i1 < 8; i1++) {
            out0[i0 * 8 + i1] = max(in0[i0 * 8 + i1] + in1[i1], 0.0f);
          }
        }
      }"
    `);
  });
});

