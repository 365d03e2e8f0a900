// Matmul kernels: dot_general as one MatmulStmt with strides (transposed, batched, broadcast
// operands), explicit copies where the strides do not collapse, and the epilogue (in place,
// in scratch, or falling back when it reads the product elsewhere).
import { describe, expect, it } from 'vitest';
import { Builder } from '../../compiler/ir/builder.ts';
import type { DType } from '../../compiler/ir/dtype.ts';
import { aval, Var, type Func } from '../../compiler/ir/ir.ts';
import { Primitive, type PrimitiveParams } from '../../compiler/ir/primitives.ts';
import type { LoopKernel, MatmulStmt } from '../../compiler/lower/loop-ir.ts';
import * as k from '../../index.ts';
import { allStmts, check, type CheckOpts } from './harness.ts';

const sd = k.shapeDtype;
const trace = (f: (...xs: k.Tensor[]) => k.Tensor | k.Tensor[], ...args: k.ShapeDtype[]) => k.makeIR(f)(...args).func;
const F32: CheckOpts = { kind: 'matmul', rtol: 1e-5, atol: 1e-5 };

function dot(ls: number[], rs: number[], p: PrimitiveParams[Primitive.DotGeneral], d: DType = 'f32'): Func {
  const b = new Builder();
  const l = new Var(aval(ls, d)), r = new Var(aval(rs, d));
  return b.func('dot', [l, r], [b.emit1(Primitive.DotGeneral, p, l, r)]);
}

const mm = (lk: LoopKernel) => allStmts(lk.body).filter((s): s is MatmulStmt => s.k === 'matmul');
const scratch = (lk: LoopKernel) => lk.params.filter((p) => p.role === 'scratch').length;
const plain = { lhsContract: [1], rhsContract: [0], lhsBatch: [], rhsBatch: [] };

describe('matmul', () => {
  it('a plain product writes the output directly', () => {
    const lk = check(dot([4, 3], [3, 5], plain), F32);
    expect(mm(lk)).toHaveLength(1);
    expect(mm(lk)[0]).toMatchObject({ a: 0, b: 1, c: 2, batch: 1, m: 4, n: 5, kdim: 3, aStrides: [0, 3, 1], bStrides: [0, 5, 1] });
    expect(lk.body).toHaveLength(1);
  });

  it('transposed operands are strides, not copies', () => {
    // lhs contracted on axis 0 (Aᵀ B), rhs contracted on axis 1 (A Bᵀ)
    const lk = check(dot([3, 4], [5, 3], { lhsContract: [0], rhsContract: [1], lhsBatch: [], rhsBatch: [] }), F32);
    expect(mm(lk)[0]).toMatchObject({ m: 4, n: 5, kdim: 3, aStrides: [0, 1, 4], bStrides: [0, 1, 3] });
    expect(scratch(lk)).toBe(0);
    // a transpose equation in the kernel is a view too
    const t = check(trace((x, w) => k.matmul(x, k.transpose(w)), sd([4, 3]), sd([5, 3])), F32);
    expect(scratch(t)).toBe(0);
    expect(mm(t)[0]!.bStrides).toEqual([0, 1, 3]);
  });

  it('batched products, batch axes anywhere, several contracting axes', () => {
    check(trace((x, y) => k.matmul(x, y), sd([2, 4, 3]), sd([2, 3, 5])), F32);
    check(trace((x, y) => k.matmul(x, y), sd([2, 2, 4, 3]), sd([2, 2, 3, 5])), F32);
    // batch axis last in the lhs, first in the rhs
    const lk = check(dot([4, 3, 2], [2, 3, 5], { lhsContract: [1], rhsContract: [1], lhsBatch: [2], rhsBatch: [0] }), F32);
    expect(mm(lk)[0]).toMatchObject({ batch: 2, aStrides: [1, 6, 2], bStrides: [15, 5, 1] });
    // two contracting axes that are adjacent collapse
    check(dot([4, 2, 3], [2, 3, 5], { lhsContract: [1, 2], rhsContract: [0, 1], lhsBatch: [], rhsBatch: [] }), F32);
    // a broadcast batch operand has batch stride 0
    const bc = check(trace((x, y) => k.matmul(x, y), sd([3, 4, 6]), sd([6, 2])), F32);
    expect(scratch(bc)).toBe(0);
    const bb = check(trace((x, y) => k.matmul(k.broadcastTo(x, [3, 4, 6]), y), sd([4, 6]), sd([3, 6, 2])), F32);
    expect(mm(bb)[0]!.aStrides[0]).toBe(0);
  });

  it('copies an operand when its axes do not collapse into uniform strides', () => {
    // lhs free axes 0 and 2 are not adjacent
    const a = check(dot([2, 3, 4], [3, 5], { lhsContract: [1], rhsContract: [0], lhsBatch: [], rhsBatch: [] }), F32);
    expect(scratch(a)).toBe(1);
    expect(mm(a)[0]!.aStrides).toEqual([24, 3, 1]);
    // contracting axes in the opposite order to memory
    const b = check(dot([4, 2, 3], [3, 2, 5], { lhsContract: [1, 2], rhsContract: [1, 0], lhsBatch: [], rhsBatch: [] }), F32);
    expect(scratch(b)).toBe(1);
    // batch axes out of memory order
    check(dot([2, 3, 4, 5], [3, 2, 5, 6], { lhsContract: [3], rhsContract: [2], lhsBatch: [1, 0], rhsBatch: [0, 1] }), F32);
    // an operand computed in the kernel
    const c = check(trace((x, y) => k.matmul(k.exp(x), y), sd([4, 3]), sd([3, 5])), F32);
    expect(scratch(c)).toBe(1);
    // a sliced operand
    check(trace((x, y) => k.matmul(k.slice(x, [null, [1, 4]] as never), y), sd([4, 5]), sd([3, 2])), F32);
  });

  it('epilogue: bias and activation in place over the output', () => {
    const lk = check(trace((x, w, b) => k.relu(k.add(k.matmul(x, k.transpose(w)), b)), sd([4, 3]), sd([5, 3]), sd([5])), F32);
    expect(scratch(lk)).toBe(0);
    expect(mm(lk)[0]!.c).toBe(3);
    // the product is an output too, plus an activation of it
    const two = check(trace((x, y) => {
      const p = k.matmul(x, y);
      return [p, k.tanh(p), k.reshape(k.sigmoid(p), [20])];
    }, sd([4, 3]), sd([3, 5])), F32);
    expect(scratch(two)).toBe(0);
  });

  it('epilogue in a scratch product when no output has its dtype', () => {
    const lk = check(trace((x, y) => k.astype(k.matmul(x, y), 'f16'), sd([4, 3]), sd([3, 5])), { kind: 'matmul', rtol: 1e-3, atol: 1e-3 });
    expect(scratch(lk)).toBe(1);
  });

  it('an epilogue reading the product elsewhere falls back to a buffer', () => {
    const lk = check(trace((x, y) => k.transpose(k.exp(k.matmul(x, y))), sd([4, 3]), sd([3, 5])), F32);
    expect(scratch(lk)).toBe(1);
    check(trace((x, y) => k.sum(k.matmul(x, y), { axis: 0 }), sd([4, 3]), sd([3, 5])), F32);
  });

  it('dtypes: f64, i32 (wrapping), f16, and empty contractions', () => {
    check(dot([4, 3], [3, 5], plain, 'f64'), { kind: 'matmul', rtol: 1e-12, atol: 1e-12 });
    check(dot([4, 7], [7, 5], plain, 'i32'), { kind: 'matmul', intRange: [-2147483648, 2147483647] });
    check(dot([4, 7], [7, 5], plain, 'f16'), { kind: 'matmul', rtol: 2e-3, atol: 2e-3 });
    check(dot([4, 0], [0, 5], plain), F32);
    check(dot([0, 3], [3, 5], plain), F32);
    check(trace((x, y) => k.add(k.matmul(x, y), 1), sd([2, 0]), sd([0, 3])), F32);
  });

  it('matrix-vector and vector-vector products', () => {
    check(trace((x, v) => k.matmul(x, v), sd([6, 4]), sd([4])), F32);
    check(trace((u, v) => k.dot(u, v), sd([9]), sd([9])), F32);
  });
});
