// The individual fusion rules on small hand-built graphs: recomputation versus
// materialisation, epilogues, multi-output kernels and the cycle check, buffers for heavy
// ops, and the rewrites around dot_general. Each program is verified and executed against
// the source function.
import { describe, expect, it } from 'vitest';
import * as k from '../../index.ts';
import { Builder } from '../../compiler/ir/builder.ts';
import type { DType } from '../../compiler/ir/dtype.ts';
import { aval, Var, type Func } from '../../compiler/ir/ir.ts';
import { Primitive } from '../../compiler/ir/primitives.ts';
import { evalFunc, hostTensor } from '../../runtime/interp/index.ts';
import { executeFused, fuse, MAX_RECOMPUTE_COST, type FusedProgram, type FuseOptions } from '../../compiler/fuse/index.ts';
import { verifyFused } from '../../compiler/fuse/verify.ts';

/** A function of inputs with the given shapes (f32 unless a dtype is given). */
function build(ins: readonly (readonly number[] | [readonly number[], DType])[], body: (b: Builder, ...xs: Var[]) => Var[]): Func {
  const b = new Builder();
  const vars = ins.map((s) => (typeof s[1] === 'string' ? new Var(aval(s[0] as number[], s[1])) : new Var(aval(s as number[], 'f32'))));
  return b.func('f', vars, body(b, ...vars));
}

function fuseChecked(fn: Func, opts?: FuseOptions): FusedProgram {
  const p = fuse(fn, opts);
  verifyFused(p);
  const ins = fn.inputs.map((v, j) => {
    const n = v.aval.shape.reduce((a, c) => a * c, 1);
    return hostTensor(v.aval.shape, v.aval.dtype, Array.from({ length: n }, (_, i) => (v.aval.dtype === 'i32' ? (i * 7 + j) % 3 : Math.sin(i * 1.3 + j))));
  });
  expect(executeFused(p, ins).map((t) => Array.from(t.data))).toEqual(evalFunc(fn, ins).map((t) => Array.from(t.data)));
  return p;
}

const kinds = (p: FusedProgram) => p.steps.map((s) => (s.kind === 'kernel' ? s.kernel.kind : 'control'));
const kernels = (p: FusedProgram) => p.steps.flatMap((s) => (s.kind === 'kernel' ? [s] : []));

/** n unary ops after x. */
function chain(b: Builder, x: Var, n: number): Var {
  for (let i = 0; i < n; i++) x = b.unary(i % 2 ? Primitive.Sin : Primitive.Tanh, x);
  return x;
}

describe('recompute or materialise', () => {
  const twoReductions = (n: number) =>
    build([[4, 8]], (b, x) => {
      const y = chain(b, x!, n);
      return [b.reduceSum(y, [0]), b.emit1(Primitive.ReduceMax, { axes: [1] }, y)];
    });

  it('a cheap value read by two reductions is recomputed in both', () => {
    const p = fuseChecked(twoReductions(MAX_RECOMPUTE_COST));
    expect(kinds(p)).toEqual(['reduce', 'reduce']);
  });

  it('an expensive one is materialised once', () => {
    const p = fuseChecked(twoReductions(MAX_RECOMPUTE_COST + 1));
    expect(kinds(p)).toEqual(['elementwise', 'reduce', 'reduce']);
    expect(kernels(p)[1]!.kernel.func.eqns).toHaveLength(1);
  });

  it('a large random_bits tensor read by two kernels is generated once, a small one twice', () => {
    const f = (n: number) =>
      build([[[2], 'i32']], (b, key) => {
        const bits = b.emit1(Primitive.RandomBits, { shape: [n] }, key!);
        const u = b.convert(bits, 'f32');
        return [b.reduceSum(u, [0]), b.emit1(Primitive.ReduceMax, { axes: [0] }, u)];
      });
    expect(kinds(fuseChecked(f(16)))).toEqual(['reduce', 'reduce']);
    expect(kinds(fuseChecked(f(8192)))).toEqual(['elementwise', 'reduce', 'reduce']);
  });
});

describe('epilogues', () => {
  it('a reduction read by two consumers has no epilogue', () => {
    const fn = build([[4, 8]], (b, x) => {
      const s = b.reduceSum(x!, [1]);
      return [b.unary(Primitive.Exp, s), b.unary(Primitive.Sin, s)];
    });
    const p = fuseChecked(fn);
    expect(kinds(p)).toEqual(['reduce', 'elementwise']);
    expect(kernels(p)[0]!.kernel.func.eqns.map((e) => e.primitive)).toEqual([Primitive.ReduceSum]);
  });

  it('a pointwise chain with a side operand at the output shape is the epilogue', () => {
    const fn = build([[4, 8], [4]], (b, x, y) => {
      const s = b.reduceSum(x!, [1]);
      return [b.unary(Primitive.Sqrt, b.add(b.unary(Primitive.Abs, s), b.unary(Primitive.Exp, y!)))];
    });
    expect(kinds(fuseChecked(fn))).toEqual(['reduce']);
  });

  it('argmax is a reduce kernel', () => {
    const fn = build([[4, 8]], (b, x) => [b.emit1(Primitive.Argmax, { axis: 1 }, b.unary(Primitive.Exp, x!))]);
    expect(kinds(fuseChecked(fn))).toEqual(['reduce']);
  });
});

describe('multi-output elementwise kernels', () => {
  it('two outputs of one shape sharing a cone are one kernel', () => {
    const fn = build([[3, 5]], (b, x) => {
      const t = b.unary(Primitive.Exp, x!);
      return [b.unary(Primitive.Sin, t), b.unary(Primitive.Cos, t)];
    });
    const p = fuseChecked(fn);
    expect(kinds(p)).toEqual(['elementwise']);
    expect(kernels(p)[0]!.outputs).toEqual(fn.outputs);
    expect(kinds(fuseChecked(fn, { multiOutput: false }))).toEqual(['elementwise', 'elementwise']);
  });

  it('an Adam-like update of m, v and w is one kernel reading m and v it computed', () => {
    const fn = build([[10], [10], [10], [10]], (b, w, g, m, v) => {
      const m2 = b.add(b.scale(m!, 0.9), b.scale(g!, 0.1));
      const v2 = b.add(b.scale(v!, 0.999), b.scale(b.mul(g!, g!), 0.001));
      const w2 = b.sub(w!, b.div(b.scale(m2, 0.01), b.add(b.unary(Primitive.Sqrt, v2), b.fullLike(v2, 1e-8))));
      return [w2, m2, v2];
    });
    const p = fuseChecked(fn);
    expect(kinds(p)).toEqual(['elementwise']);
    const [k0] = kernels(p);
    expect(new Set(k0!.inputs)).toEqual(new Set(fn.inputs));
    expect(new Set(k0!.outputs)).toEqual(new Set(fn.outputs));
  });

  it('outputs of different shapes are separate kernels', () => {
    const fn = build([[3, 5]], (b, x) => {
      const t = b.unary(Primitive.Exp, x!);
      return [t, b.transpose(t, [1, 0])];
    });
    // The transposed output reads t at another index: not merged, t is read back.
    expect(kinds(fuseChecked(fn))).toEqual(['elementwise', 'elementwise']);
  });

  it('never merges two kernels when a third lies between them', () => {
    const fn = build([[3, 5]], (b, x) => {
      const a = b.unary(Primitive.Exp, x!);
      const s = b.reduceSum(a, [1]);
      const out = b.mul(a, b.broadcast(s, [3, 5], [0]));
      return [a, out];
    });
    expect(kinds(fuseChecked(fn))).toEqual(['elementwise', 'reduce', 'elementwise']);
  });
});

describe('heavy operations read buffers', () => {
  it('cumsum, sort and scatter are one kernel each, their elementwise operands materialised', () => {
    const fn = build([[6], [[2, 1], 'i32']], (b, x, idx) => {
      const c = b.emit1(Primitive.Cumsum, { axis: 0, reverse: false }, b.unary(Primitive.Exp, x!));
      const [s] = b.emit(Primitive.Sort, { axis: 0, numKeys: 1 }, [b.unary(Primitive.Neg, c)]);
      const upd = b.emit1(Primitive.Slice, { start: [0], limit: [2], strides: [1] }, s!);
      return [b.emit1(Primitive.Scatter, { mode: 'add' }, s!, idx!, upd)];
    });
    expect(kinds(fuseChecked(fn))).toEqual(['elementwise', 'cumsum', 'elementwise', 'sort', 'elementwise', 'scatter']);
  });

  it('a transposed matmul operand is read through strides; a transposed matmul result is a swapped matmul', () => {
    const fn = build([[4, 3], [4, 5]], (b, x, y) => {
      const xt = b.transpose(x!, [1, 0]);
      const d = b.emit1(Primitive.DotGeneral, { lhsContract: [1], rhsContract: [0], lhsBatch: [], rhsBatch: [] }, xt, y!);
      return [b.transpose(d, [1, 0])];
    });
    const p = fuseChecked(fn);
    expect(kinds(p)).toEqual(['matmul']);
    expect(new Set(kernels(p)[0]!.inputs)).toEqual(new Set(fn.inputs));
  });

  it('a vector operand reshaped to a matrix is read as the vector', () => {
    const fn = build([[3], [3, 4]], (b, v, w) => {
      const d = b.emit1(Primitive.DotGeneral, { lhsContract: [1], rhsContract: [0], lhsBatch: [], rhsBatch: [] }, b.reshape(v!, [1, 3]), w!);
      return [b.unary(Primitive.Tanh, b.reshape(d, [4]))];
    });
    const p = fuseChecked(fn);
    expect(kinds(p)).toEqual(['matmul']);
    expect(kernels(p)[0]!.inputs).toEqual(fn.inputs);
  });
});

describe('unoptimised input', () => {
  it('inlines calls with custom derivatives (normally the optimiser does)', () => {
    const softplus = k.customJvp(
      (v: k.Tensor) => k.log1p(k.exp(v)),
      ([v], [t]) => [k.log1p(k.exp(v!)), k.mul(t!, k.sigmoid(v!))],
    );
    const fn = k.makeIR((x: k.Tensor) => k.sum(softplus(k.sin(x))))(k.shapeDtype([5])).func;
    expect(fn.eqns.some((e) => e.primitive === Primitive.CustomJvpCall)).toBe(true);
    expect(kinds(fuseChecked(fn))).toEqual(['reduce']);
  });
});
