// Printing, and print → parse → print identity, over programs that use every primitive.
import { describe, expect, it } from 'vitest';
import { FuncBuilder as Builder } from '../helpers/func-builder.ts';
import type { DType } from '../../compiler/ir/dtype.ts';
import { aval, makeEqn, Var, type Func } from '../../compiler/ir/ir.ts';
import { parseFunc, parseModule } from '../../compiler/ir/parse.ts';
import { printFunc, printModule, printNumber } from '../../compiler/ir/print.ts';
import { Primitive, type PrimitiveParams } from '../../compiler/ir/primitives.ts';
import { verifyFunc } from '../../compiler/ir/verify.ts';


/** One func with at least one equation of every primitive, with realistic params. */
function everyPrimitive(): Func {
  const b = new Builder();
  const x = b.arg([2, 3], 'f32');
  const y = b.arg([2, 3], 'f32');
  const i = b.arg([2, 3], 'i32');
  const j = b.arg([2, 3], 'i32');
  const p = b.arg([2, 3], 'bool');
  const key = b.arg([2], 'i32');
  const idx = b.arg([4, 1], 'i32');
  const w = b.arg([3, 4], 'f32');
  const none = {};
  const P = Primitive;
  for (const u of [P.Exp, P.Log, P.Log1p, P.Expm1, P.Sqrt, P.Rsqrt, P.Sin, P.Cos, P.Tanh, P.Logistic, P.Floor, P.Ceil, P.Round, P.Neg, P.Abs, P.Sign]) {
    b.op(u, none, [x]);
  }
  b.op(P.Neg, none, [i]);
  b.op(P.Not, none, [p]);
  b.op(P.Not, none, [i]);
  for (const o of [P.Add, P.Sub, P.Mul, P.Div, P.Pow, P.Max, P.Min]) b.op(o, none, [x, y]);
  for (const o of [P.And, P.Or, P.Xor]) b.op(o, none, [p, p]);
  b.op(P.ShiftLeft, none, [i, j]);
  b.op(P.ShiftRightLogical, none, [i, j]);
  for (const o of [P.Eq, P.Ne, P.Lt, P.Le, P.Gt, P.Ge]) b.op(o, none, [x, y]);
  const sel = b.op(P.Select, none, [p, x, y]);
  b.op(P.Convert, { dtype: 'i32' }, [x]);
  b.op(P.Convert, { dtype: 'bf16' }, [x]);
  b.op(P.Constant, { shape: [2, 3], dtype: 'f32', data: [1, 2.5, -3, 0.1, 1e-7, 6] }, []);
  b.op(P.Constant, { shape: [], dtype: 'f64', data: [NaN] }, []);
  b.op(P.Constant, { shape: [2, 2], dtype: 'bool', data: [1] }, []);
  b.op(P.Iota, { shape: [2, 3], dtype: 'i32', dim: 1 }, []);
  b.op(P.RandomBits, { shape: [2, 3] }, [key]);
  const mx = b.op(P.ReduceMax, { axes: [1] }, [x]);
  b.op(P.BroadcastInDim, { shape: [2, 3], dims: [0] }, [mx]);
  b.op(P.Reshape, { shape: [3, 2] }, [x]);
  b.op(P.Transpose, { perm: [1, 0] }, [x]);
  b.op(P.Slice, { start: [0, 1], limit: [2, 3], strides: [1, 2] }, [x]);
  b.op(P.Pad, { lo: [1, -1], hi: [0, 2], interior: [1, 0], value: -Infinity }, [x]);
  b.op(P.Concatenate, { axis: 0 }, [x, y, sel]);
  b.op(P.Rev, { axes: [0, 1] }, [x]);
  const g = b.op(P.Gather, none, [x, idx]);
  b.op(P.Scatter, { mode: 'add' }, [x, idx, g]);
  b.op(P.Scatter, { mode: 'set' }, [x, idx, g]);
  b.op(P.ReduceSum, { axes: [0, 1] }, [x]);
  b.op(P.ReduceMin, { axes: [] }, [x]);
  b.op(P.ReduceProd, { axes: [0] }, [x]);
  b.op(P.Argmax, { axis: 1 }, [x]);
  b.op(P.Argmin, { axis: 0 }, [x]);
  b.op(P.Cumsum, { axis: 0, reverse: true }, [x]);
  const [sx, si] = b.ops(P.Sort, { axis: 1, numKeys: 1 }, [x, i]);
  const mm = b.op(P.DotGeneral, { lhsContract: [1], rhsContract: [0], lhsBatch: [], rhsBatch: [] }, [x, w]);
  b.op(P.DotGeneral, { lhsContract: [1], rhsContract: [1], lhsBatch: [0], rhsBatch: [0] }, [x, y]);
  b.op(P.StopGradient, none, [x]);
  // Control flow: regions are closed funcs built with their own Builder.
  const region = (name: string, ins: [number[], DType][], body: (r: Builder, ...args: Var[]) => Var[]): Func => {
    const r = new Builder();
    const args = ins.map(([s, d]) => r.arg(s, d));
    return r.func(name, body(r, ...args));
  };
  const one = b.op(P.Constant, { shape: [], dtype: 'i32', data: [1] }, []);
  const negBranch = region('neg', [[[2, 3], 'f32']], (r, a) => [r.op(P.Neg, none, [a!])]);
  const idBranch = region('id', [[[2, 3], 'f32']], (_, a) => [a!]);
  b.op(P.Cond, { branches: [negBranch, idBranch] }, [one, x]);
  const lessThan = region('less', [[[], 'i32'], [[], 'i32'], [[2, 3], 'f32']], (r, n, k) => [r.op(P.Lt, none, [k!, n!])]);
  const step = region('step', [[[], 'i32'], [[], 'i32'], [[2, 3], 'f32']], (r, c, k, v) => [r.op(P.Add, none, [k!, c!]), r.op(P.Exp, none, [v!])]);
  b.ops(P.WhileLoop, { cond: lessThan, body: step, condConsts: 1, bodyConsts: 1 }, [one, one, one, x]);
  const acc = region('acc', [[[3], 'f32'], [[3], 'f32']], (r, c, xi) => [r.op(P.Add, none, [c!, xi!]), r.op(P.Mul, none, [c!, xi!])]);
  const row = b.op(P.ReduceSum, { axes: [0] }, [x]);
  b.ops(P.Scan, { body: acc, length: 2, reverse: true, numConsts: 0, numCarry: 1 }, [row, y]);
  // User-defined derivatives: body, rule regions, and the linear map of a customVjp.
  const sq = region('sq', [[[2, 3], 'f32']], (r, a) => [r.op(P.Mul, none, [a!, a!])]);
  const sqJvp = region('sq_jvp', [[[2, 3], 'f32'], [[2, 3], 'f32']], (r, a, t) => [r.op(P.Mul, none, [a!, a!]), r.op(P.Mul, none, [a!, t!])]);
  b.op(P.CustomJvpCall, { body: sq, jvp: sqJvp, numConsts: 0 }, [x]);
  const sqFwd = region('sq_fwd', [[[2, 3], 'f32']], (r, a) => [r.op(P.Mul, none, [a!, a!]), a!]);
  const sqBwd = region('sq_bwd', [[[2, 3], 'f32'], [[2, 3], 'f32']], (r, a, g) => [r.op(P.Mul, none, [a!, g!])]);
  b.op(P.CustomVjpCall, { body: sq, fwd: sqFwd, bwd: sqBwd, numConsts: 0 }, [x]);
  b.op(P.CustomLin, { bwd: sqBwd, numRes: 1 }, [x, y]);
  return b.func('every_primitive', [mm, sx!, si!, x]);
}

function softmax(): Func {
  const b = new Builder();
  const x = b.arg([2, 3], 'f32');
  const m = b.op(Primitive.ReduceMax, { axes: [1] }, [x], { file: 'model.ts', line: 4, col: 11 });
  const mb = b.op(Primitive.BroadcastInDim, { shape: [2, 3], dims: [0] }, [m]);
  const d = b.op(Primitive.Sub, {}, [x, mb]);
  const e = b.op(Primitive.Exp, {}, [d], { file: 'model.ts', line: 5, col: 3 });
  const s = b.op(Primitive.ReduceSum, { axes: [1] }, [e]);
  const sb = b.op(Primitive.BroadcastInDim, { shape: [2, 3], dims: [0] }, [s]);
  return b.func('softmax', [b.op(Primitive.Div, {}, [e, sb])]);
}

/** print → parse → print must give the same text, and the parsed func must verify. */
function roundTrip(fn: Func): string {
  const text = printFunc(fn);
  const back = parseFunc(text, 'rt.kir');
  expect(printFunc(back)).toBe(text);
  verifyFunc(back);
  return text;
}

describe('printer', () => {
  it('prints softmax', () => {
    expect(printFunc(softmax())).toMatchInlineSnapshot(`
      "func @softmax(%0: f32[2,3]) -> (f32[2,3]) {
        %1 = reduce_max %0 {axes=[1]} : f32[2]  loc("model.ts":4:11)
        %2 = broadcast_in_dim %1 {shape=[2,3], dims=[0]} : f32[2,3]
        %3 = sub %0, %2 : f32[2,3]
        %4 = exp %3 : f32[2,3]  loc("model.ts":5:3)
        %5 = reduce_sum %4 {axes=[1]} : f32[2]
        %6 = broadcast_in_dim %5 {shape=[2,3], dims=[0]} : f32[2,3]
        %7 = div %4, %6 : f32[2,3]
        return %7
      }
      "
    `);
  });

  it('prints multi-result equations, scalars, enums, bools and non-finite numbers', () => {
    const b = new Builder();
    const x = b.arg([4], 'f32');
    const k = b.arg([4], 'i32');
    const [sx, sk] = b.ops(Primitive.Sort, { axis: 0, numKeys: 2 }, [x, k]);
    const c = b.op(Primitive.Constant, { shape: [], dtype: 'f32', data: [-0] }, []);
    const pad = b.op(Primitive.Pad, { lo: [0], hi: [1], interior: [0], value: NaN }, [sx!]);
    const cs = b.op(Primitive.Cumsum, { axis: 0, reverse: false }, [pad]);
    const idx = b.op(Primitive.Reshape, { shape: [4, 1] }, [sk!]);
    const upd = b.op(Primitive.Gather, {}, [cs, idx]);
    const sc = b.op(Primitive.Scatter, { mode: 'set' }, [cs, idx, upd]);
    expect(printFunc(b.func('sort_and_scatter', [sc, c, k]))).toMatchInlineSnapshot(`
      "func @sort_and_scatter(%0: f32[4], %1: i32[4]) -> (f32[5], f32[], i32[4]) {
        %2, %3 = sort %0, %1 {axis=0, numKeys=2} : f32[4], i32[4]
        %4 = constant {shape=[], dtype=f32, data=[-0]} : f32[]
        %5 = pad %2 {lo=[0], hi=[1], interior=[0], value=nan} : f32[5]
        %6 = cumsum %5 {axis=0, reverse=false} : f32[5]
        %7 = reshape %3 {shape=[4,1]} : i32[4,1]
        %8 = gather %6, %7 : f32[4]
        %9 = scatter %6, %7, %8 {mode=set} : f32[5]
        return %9, %4, %1
      }
      "
    `);
  });

  it('renumbers values in definition order whatever their Var ids', () => {
    // Make the Vars in reverse of their definition order, so ids and printed names disagree.
    const out = new Var(aval([2], 'f32'));
    const x = new Var(aval([2], 'f32'));
    const fn: Func = { name: 'f', inputs: [x], eqns: [makeEqn(Primitive.Neg, {}, [x], [out])], outputs: [out] };
    expect(out.id).toBeLessThan(x.id);
    expect(printFunc(fn)).toBe('func @f(%0: f32[2]) -> (f32[2]) {\n  %1 = neg %0 : f32[2]\n  return %1\n}\n');
  });

  it('prints a -0 dimension as 0 (it equals 0), keeping -0 in params', () => {
    const x = new Var(aval([-0, 2], 'f32'));
    const y = new Var(aval([0, 2], 'f32'));
    const fn: Func = { name: 'z', inputs: [x], eqns: [makeEqn(Primitive.Pad, { lo: [-0, 0], hi: [0, 0], interior: [0, 0], value: -0 }, [x], [y])], outputs: [y] };
    expect(printFunc(fn)).toContain('(%0: f32[0,2])');
    expect(printFunc(fn)).toContain('{lo=[-0,0], hi=[0,0], interior=[0,0], value=-0}');
    roundTrip(fn);
  });

  it('is deterministic', () => {
    const fn = everyPrimitive();
    expect(printFunc(fn)).toBe(printFunc(fn));
    expect(printFunc(everyPrimitive())).toBe(printFunc(fn));
  });

  it('prints funcs with no inputs or no outputs', () => {
    const fn: Func = { name: 'empty', inputs: [], eqns: [], outputs: [] };
    expect(printFunc(fn)).toBe('func @empty() -> () {\n  return\n}\n');
    roundTrip(fn);
  });

  it('prints an undefined value visibly, in a form the parser rejects', () => {
    const ghost = new Var(aval([], 'f32'));
    const fn: Func = { name: 'bad', inputs: [], eqns: [], outputs: [ghost] };
    expect(printFunc(fn)).toContain(`return %?${ghost.id}`);
    expect(() => parseFunc(printFunc(fn))).toThrow(/2:10: expected a value name like %0, found '%\?'/);
  });
});

describe('print → parse → print', () => {
  it('covers every primitive', () => {
    const fn = everyPrimitive();
    const used = new Set(fn.eqns.map((e) => e.primitive));
    const missing = Object.values(Primitive).filter((p) => !used.has(p));
    expect(missing, 'add an equation for each new primitive to everyPrimitive()').toEqual([]);
    verifyFunc(fn);
    roundTrip(fn);
  });

  it('is the identity on softmax', () => {
    roundTrip(softmax());
  });

  it('keeps params typed: numbers, lists, bools, dtypes, enums', () => {
    const back = parseFunc(printFunc(everyPrimitive()));
    const byPrim = (p: Primitive) => back.eqns.find((e) => e.primitive === p)!.params;
    expect(byPrim(Primitive.Pad)).toEqual({ lo: [1, -1], hi: [0, 2], interior: [1, 0], value: -Infinity });
    expect(byPrim(Primitive.Cumsum)).toEqual({ axis: 0, reverse: true });
    expect(byPrim(Primitive.Convert)).toEqual({ dtype: 'i32' });
    expect(byPrim(Primitive.Scatter)).toEqual({ mode: 'add' });
    expect(byPrim(Primitive.Neg)).toEqual({});
    // Params objects come out in schema (= interface) key order.
    expect(Object.keys(byPrim(Primitive.DotGeneral))).toEqual(['lhsContract', 'rhsContract', 'lhsBatch', 'rhsBatch']);
  });

  it('round-trips special floats bit-exactly', () => {
    const data = [
      NaN, Infinity, -Infinity, -0, 0, 1e-45, Math.fround(1e-45), 5e-324, -5e-324, Math.fround(0.1), 0.1,
      Number.MAX_VALUE, -Number.MAX_VALUE, Math.fround(3.4028234663852886e38), 1e21, 1.5e-7, 123456789.125,
      2 ** 53 + 2, Number.EPSILON, 1 / 3,
    ];
    const b = new Builder();
    const c = b.op(Primitive.Constant, { shape: [data.length], dtype: 'f64', data }, []);
    const text = roundTrip(b.func('floats', [c]));
    expect(text).toContain('data=[nan,inf,-inf,-0,0,1e-45,1.401298464324817e-45,5e-324,-5e-324,');
    const back = parseFunc(text).eqns[0]!.params as PrimitiveParams[Primitive.Constant];
    back.data.forEach((v, k) => expect(Object.is(v, data[k]), `data[${k}] = ${printNumber(data[k]!)}`).toBe(true));
  });

  it('round-trips source locations, escaping the file name', () => {
    const files = ['model.ts', 'dir with spaces/a.ts', 'quo"te.ts', 'back\\slash.ts', 'new\nline\ttab\r', '\u0001\u007f', 'ünïcødé 🔥.ts', ''];
    const b = new Builder();
    let v = b.arg([3], 'f32');
    files.forEach((file, k) => {
      v = b.op(Primitive.Neg, {}, [v], { file, line: k + 1, col: 100 * k });
    });
    const text = roundTrip(b.func('locs', [v]));
    expect(text).toContain(String.raw`loc("quo\"te.ts":3:200)`);
    expect(text).toContain(String.raw`loc("back\\slash.ts":4:300)`);
    expect(text).toContain(String.raw`loc("new\nline\ttab\r":5:400)`);
    expect(text).toContain(String.raw`loc("\u{1}\u{7f}":6:500)`);
    expect(parseFunc(text).eqns.map((e) => e.loc?.file)).toEqual(files);
  });

  it('quotes func names that are not identifiers', () => {
    for (const name of ['main', 'a.b$c', 'my func', 'quo"te', '123', '', 'ünï', 'inf']) {
      const fn: Func = { name, inputs: [], eqns: [], outputs: [] };
      const text = roundTrip(fn);
      expect(parseFunc(text).name).toBe(name);
    }
    expect(printFunc({ name: 'my func', inputs: [], eqns: [], outputs: [] })).toMatch(/^func @"my func"\(\)/);
  });

  it('round-trips modules of several funcs', () => {
    const fns = [softmax(), everyPrimitive(), { name: 'empty', inputs: [], eqns: [], outputs: [] }];
    const text = printModule(fns);
    const back = parseModule(text);
    expect(back.map((f) => f.name)).toEqual(['softmax', 'every_primitive', 'empty']);
    expect(printModule(back)).toBe(text);
    expect(printModule([])).toBe('');
    expect(parseModule('')).toEqual([]);
  });

  it('canonicalizes free-form input: names, order of params, whitespace, comments', () => {
    const text = `
      // a comment
      func @f(%x: f32[2, 3], %key: i32[2]) -> (f32[2, 3]) {   // trailing comment
        %y = pad %x {value=0.5, interior=[0,0], hi=[0, 0], lo=[0,0]}
             : f32[2,3]
        %z.1 = neg %y {} : f32[2,3]
        return %z.1
      }`;
    expect(printFunc(parseFunc(text))).toBe(
      'func @f(%0: f32[2,3], %1: i32[2]) -> (f32[2,3]) {\n' +
        '  %2 = pad %0 {lo=[0,0], hi=[0,0], interior=[0,0], value=0.5} : f32[2,3]\n' +
        '  %3 = neg %2 : f32[2,3]\n' +
        '  return %3\n' +
        '}\n',
    );
  });
});
