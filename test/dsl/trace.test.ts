// Tracing: makeIR gives the expected IR text (inline snapshots, filled by `vitest -u` and
// checked by eye), callIR of the traced function agrees with eager evaluation, abstract
// values cannot be read, captured tensors become constants, and the IR text round-trips
// through parseIR / printIR / verifyIR.
import { describe, expect, it } from 'vitest';
import * as k from 'kiln';
import { here, irText } from '../helpers/ir.ts';

describe('makeIR', () => {
  it('a scalar-weighted sum with broadcasting', () => {
    const f = (x: k.Tensor, y: k.Tensor) => x.mul(2).add(y).sum();
    const ir = k.makeIR(f)(k.shapeDtype([2, 3]), k.shapeDtype([3]));
    expect(irText(ir)).toMatchInlineSnapshot(`
      "func @f(%0: f32[2,3], %1: f32[3]) -> (f32[]) {
        %2 = constant {shape=[], dtype=f32, data=[2]} : f32[]  loc("test/dsl/trace.test.ts":L:C)
        %3 = broadcast_in_dim %2 {shape=[2,3], dims=[]} : f32[2,3]  loc("test/dsl/trace.test.ts":L:C)
        %4 = mul %0, %3 : f32[2,3]  loc("test/dsl/trace.test.ts":L:C)
        %5 = broadcast_in_dim %1 {shape=[2,3], dims=[1]} : f32[2,3]  loc("test/dsl/trace.test.ts":L:C)
        %6 = add %4, %5 : f32[2,3]  loc("test/dsl/trace.test.ts":L:C)
        %7 = reduce_sum %6 {axes=[0,1]} : f32[]  loc("test/dsl/trace.test.ts":L:C)
        return %7
      }
      "
    `);
  });

  it('dtype promotion shows as convert; integer inputs', () => {
    const ir = k.makeIR((x: k.Tensor) => x.add(1.5).exp())(k.shapeDtype([2], 'i32'));
    expect(irText(ir)).toMatchInlineSnapshot(`
      "func @main(%0: i32[2]) -> (f32[2]) {
        %1 = convert %0 {dtype=f32} : f32[2]  loc("test/dsl/trace.test.ts":L:C)
        %2 = constant {shape=[], dtype=f32, data=[1.5]} : f32[]  loc("test/dsl/trace.test.ts":L:C)
        %3 = broadcast_in_dim %2 {shape=[2], dims=[]} : f32[2]  loc("test/dsl/trace.test.ts":L:C)
        %4 = add %1, %3 : f32[2]  loc("test/dsl/trace.test.ts":L:C)
        %5 = exp %4 : f32[2]  loc("test/dsl/trace.test.ts":L:C)
        return %5
      }
      "
    `);
  });

  it('a name option and a weak integer on i32', () => {
    const ir = k.makeIR((x: k.Tensor) => x.add(2), { name: 'plus2' })(k.shapeDtype([2], 'i32'));
    expect(irText(ir)).toMatchInlineSnapshot(`
      "func @plus2(%0: i32[2]) -> (i32[2]) {
        %1 = constant {shape=[], dtype=i32, data=[2]} : i32[]  loc("test/dsl/trace.test.ts":L:C)
        %2 = broadcast_in_dim %1 {shape=[2], dims=[]} : i32[2]  loc("test/dsl/trace.test.ts":L:C)
        %3 = add %0, %2 : i32[2]  loc("test/dsl/trace.test.ts":L:C)
        return %3
      }
      "
    `);
  });

  it('a softmax over the last axis', () => {
    const softmax = (x: k.Tensor) => {
      const e = x.sub(x.max({ axis: -1, keepdims: true })).exp();
      return e.div(e.sum({ axis: -1, keepdims: true }));
    };
    const ir = k.makeIR(softmax)(k.shapeDtype([2, 3]));
    expect(irText(ir)).toMatchInlineSnapshot(`
      "func @softmax(%0: f32[2,3]) -> (f32[2,3]) {
        %1 = reduce_max %0 {axes=[1]} : f32[2]  loc("test/dsl/trace.test.ts":L:C)
        %2 = reshape %1 {shape=[2,1]} : f32[2,1]  loc("test/dsl/trace.test.ts":L:C)
        %3 = broadcast_in_dim %2 {shape=[2,3], dims=[0,1]} : f32[2,3]  loc("test/dsl/trace.test.ts":L:C)
        %4 = sub %0, %3 : f32[2,3]  loc("test/dsl/trace.test.ts":L:C)
        %5 = exp %4 : f32[2,3]  loc("test/dsl/trace.test.ts":L:C)
        %6 = reduce_sum %5 {axes=[1]} : f32[2]  loc("test/dsl/trace.test.ts":L:C)
        %7 = reshape %6 {shape=[2,1]} : f32[2,1]  loc("test/dsl/trace.test.ts":L:C)
        %8 = broadcast_in_dim %7 {shape=[2,3], dims=[0,1]} : f32[2,3]  loc("test/dsl/trace.test.ts":L:C)
        %9 = div %5, %8 : f32[2,3]  loc("test/dsl/trace.test.ts":L:C)
        return %9
      }
      "
    `);
  });

  it('tree arguments and results: inputs in sorted-key order', () => {
    const layer = (p: { w: k.Tensor; b: k.Tensor }, x: k.Tensor) => ({ out: x.matmul(p.w).add(p.b) });
    // (the argument types only map top-level Tensor parameters to ShapeDtype, hence the cast)
    const params = { w: k.shapeDtype([3, 2]), b: k.shapeDtype([2]) } as unknown as { w: k.Tensor; b: k.Tensor };
    const ir = k.makeIR(layer)(params, k.shapeDtype([4, 3]));
    expect(irText(ir)).toMatchInlineSnapshot(`
      "func @layer(%0: f32[2], %1: f32[3,2], %2: f32[4,3]) -> (f32[4,2]) {
        %3 = dot_general %2, %1 {lhsContract=[1], rhsContract=[0], lhsBatch=[], rhsBatch=[]} : f32[4,2]  loc("test/dsl/trace.test.ts":L:C)
        %4 = broadcast_in_dim %0 {shape=[4,2], dims=[1]} : f32[4,2]  loc("test/dsl/trace.test.ts":L:C)
        %5 = add %3, %4 : f32[4,2]  loc("test/dsl/trace.test.ts":L:C)
        return %5
      }
      "
    `);
    expect(ir.outTree).toEqual({ kind: 'object', keys: ['out'], children: [{ kind: 'leaf' }] });
    expect(ir.func.inputs.map((v) => v.aval.shape)).toEqual([[2], [3, 2], [4, 3]]);
  });

  it('concrete tensor arguments become abstract inputs of their shape and dtype', () => {
    const ir = k.makeIR((x: k.Tensor) => x.neg())(k.array([1, 2, 3], { dtype: 'i32' }));
    expect(irText(ir)).toMatchInlineSnapshot(`
      "func @main(%0: i32[3]) -> (i32[3]) {
        %1 = neg %0 : i32[3]  loc("test/dsl/trace.test.ts":L:C)
        return %1
      }
      "
    `);
  });

  it('non-tensor arguments are static', () => {
    const ir = k.makeIR((x: k.Tensor, n: number) => x.mul(n))(k.shapeDtype([2]), 3);
    expect(irText(ir)).toMatchInlineSnapshot(`
      "func @main(%0: f32[2]) -> (f32[2]) {
        %1 = constant {shape=[], dtype=f32, data=[3]} : f32[]  loc("test/dsl/trace.test.ts":L:C)
        %2 = broadcast_in_dim %1 {shape=[2], dims=[]} : f32[2]  loc("test/dsl/trace.test.ts":L:C)
        %3 = mul %0, %2 : f32[2]  loc("test/dsl/trace.test.ts":L:C)
        return %3
      }
      "
    `);
    expect(ir.func.inputs).toHaveLength(1);
  });

  it('a function returning its input has no equations', () => {
    const ir = k.makeIR(function identity(x: k.Tensor) {
      return x;
    })(k.shapeDtype([2]));
    expect(String(ir)).toBe('func @identity(%0: f32[2]) -> (f32[2]) {\n  return %0\n}\n');
  });

  it('a tensor captured from outside becomes a constant, not an input', () => {
    const c = k.array([1, 2, 3]);
    const ir = k.makeIR((x: k.Tensor) => x.add(c))(k.shapeDtype([3]));
    expect(irText(ir)).toMatchInlineSnapshot(`
      "func @main(%0: f32[3]) -> (f32[3]) {
        %1 = constant {shape=[3], dtype=f32, data=[1,2,3]} : f32[3]
        %2 = add %0, %1 : f32[3]  loc("test/dsl/trace.test.ts":L:C)
        return %2
      }
      "
    `);
    expect(ir.func.inputs).toHaveLength(1);
    expect(ir.func.eqns[0]!.primitive).toBe('constant');
    expect(ir.func.eqns[0]!.params).toEqual({ shape: [3], dtype: 'f32', data: [1, 2, 3] });
  });

  it('a captured tensor returned as is becomes a constant output', () => {
    const c = k.array([1, 2]);
    const ir = k.makeIR((x: k.Tensor) => [x, c])(k.shapeDtype([2]));
    expect(irText(ir)).toMatchInlineSnapshot(`
      "func @main(%0: f32[2]) -> (f32[2], f32[2]) {
        %1 = constant {shape=[2], dtype=f32, data=[1,2]} : f32[2]
        return %0, %1
      }
      "
    `);
    expect(k.callIR(ir.func, [k.array([5, 6])]).map((t) => t.toArray())).toEqual([[5, 6], [1, 2]]);
  });

  it('creation ops inside the function are equations', () => {
    const ir = k.makeIR((x: k.Tensor) => k.zeros([2]).add(x).add(k.arange(2)))(k.shapeDtype([2]));
    expect(irText(ir)).toMatchInlineSnapshot(`
      "func @main(%0: f32[2]) -> (f32[2]) {
        %1 = constant {shape=[2], dtype=f32, data=[0]} : f32[2]  loc("test/dsl/trace.test.ts":L:C)
        %2 = add %1, %0 : f32[2]  loc("test/dsl/trace.test.ts":L:C)
        %3 = iota {shape=[2], dtype=i32, dim=0} : i32[2]  loc("test/dsl/trace.test.ts":L:C)
        %4 = constant {shape=[], dtype=i32, data=[1]} : i32[]  loc("test/dsl/trace.test.ts":L:C)
        %5 = broadcast_in_dim %4 {shape=[2], dims=[]} : i32[2]  loc("test/dsl/trace.test.ts":L:C)
        %6 = mul %3, %5 : i32[2]  loc("test/dsl/trace.test.ts":L:C)
        %7 = constant {shape=[], dtype=i32, data=[0]} : i32[]  loc("test/dsl/trace.test.ts":L:C)
        %8 = broadcast_in_dim %7 {shape=[2], dims=[]} : i32[2]  loc("test/dsl/trace.test.ts":L:C)
        %9 = add %6, %8 : i32[2]  loc("test/dsl/trace.test.ts":L:C)
        %10 = convert %9 {dtype=f32} : f32[2]  loc("test/dsl/trace.test.ts":L:C)
        %11 = add %2, %10 : f32[2]  loc("test/dsl/trace.test.ts":L:C)
        return %11
      }
      "
    `);
  });

  it('every equation carries the line of its op in this file', () => {
    let lines: number[] = [];
    const f = (x: k.Tensor) => {
      lines = [here() + 1, here() + 2];
      const y = x.neg();
      return y.exp();
    };
    const ir = k.makeIR(f)(k.shapeDtype([2]));
    expect(ir.func.eqns.map((e) => e.loc?.line)).toEqual(lines);
    for (const e of ir.func.eqns) expect(e.loc?.file).toMatch(/dsl\/trace\.test\.ts$/);
  });

  it('shapeDtype / ShapeDtype describe abstract arguments (f32 by default)', () => {
    const s = k.shapeDtype([2, 3]);
    expect(s).toBeInstanceOf(k.ShapeDtype);
    expect([s.shape, s.dtype]).toEqual([[2, 3], 'f32']);
    expect(String(new k.ShapeDtype([4], 'i32'))).toBe('i32[4]');
    expect(String(k.shapeDtype([]))).toBe('f32[]');
  });

  it('a non-tensor output is a TraceError', () => {
    expect(() => k.makeIR((_x: k.Tensor) => 3 as unknown as k.Tensor)(k.shapeDtype([2]))).toThrow(k.TraceError);
  });
});

describe('callIR agrees with eager evaluation', () => {
  const cases: [string, (...xs: k.Tensor[]) => k.Tensor, k.Tensor[]][] = [
    ['mul-add-sum', (x, y) => x.mul(2).add(y).sum(), [k.array([[1, 2, 3], [4, 5, 6]]), k.array([1, -1, 0.5])]],
    ['softmax', (x) => x.sub(x.max({ axis: -1, keepdims: true })).exp().div(x.sub(x.max({ axis: -1, keepdims: true })).exp().sum({ axis: -1, keepdims: true })), [k.array([[1, 2, 3], [0, 0, 0]])]],
    ['matmul-relu', (x, w) => k.relu(k.matmul(x, w)), [k.array([[1, -2], [3, 4]]), k.array([[0.5, -1], [1, 2]])]],
    ['slice-concat', (x) => k.concatenate([x.slice([null, null, -1]), x.slice([1, null]).mul(3)]), [k.arange(5).astype('f32')]],
    ['int-ops', (x) => k.where(x.greater(2), x.mul(x), x.neg()).cumsum(), [k.array([1, 2, 3, 4], { dtype: 'i32' })]],
    ['at-set', (x) => x.at([null, null, 2]).set(0).at(k.array([1, 1], { dtype: 'i32' })).add(5), [k.arange(6).astype('f32')]],
    ['sort-argmax', (x) => k.sort(x).add(k.argmax(x, { axis: -1, keepdims: true }).astype('f32')), [k.array([[3, 1, 2], [0, 5, 4]])]],
    ['logsumexp-var', (x) => k.logsumexp(x, { axis: 0 }).add(k.var(x, { axis: 0, ddof: 1 })), [k.array([[1, 2], [3, 5], [0, -1]])]],
  ];

  for (const [name, f, inputs] of cases) {
    it(name, () => {
      const ir = k.makeIR(f)(...inputs);
      const [traced] = k.callIR(ir.func, inputs);
      const eager = f(...inputs);
      expect(traced!.dtype).toBe(eager.dtype);
      expect(traced).toBeAllclose(eager, { rtol: 1e-6 });
      k.verifyIR(ir.func);
    });
  }

  it('callIR checks the number and types of its inputs', () => {
    const ir = k.makeIR((x: k.Tensor) => x.neg())(k.shapeDtype([2]));
    expect(() => k.callIR(ir.func, [])).toThrow(k.TraceError);
    expect(() => k.callIR(ir.func, [k.zeros([3])])).toThrow(/expects f32\[2\], got f32\[3\]/);
    expect(() => k.callIR(ir.func, [k.zeros([2], 'i32')])).toThrow(k.TraceError);
  });

  it('callIR inside a trace inlines the function', () => {
    const inner = k.makeIR((x: k.Tensor) => x.mul(3))(k.shapeDtype([2]));
    const outer = k.makeIR((x: k.Tensor) => k.callIR(inner.func, [x.add(1)])[0]!)(k.shapeDtype([2]));
    expect(outer.func.eqns.map((e) => e.primitive)).toEqual(['constant', 'broadcast_in_dim', 'add', 'constant', 'broadcast_in_dim', 'mul']);
    expect(k.callIR(outer.func, [k.array([1, 2])])[0]!.toArray()).toEqual([6, 9]);
  });
});

describe('abstract values cannot be read', () => {
  it('item() on a traced value is a TraceError pointing at k.cond', () => {
    let line = 0;
    const f = (x: k.Tensor) => {
      line = here() + 1;
      x.sum().item();
      return x;
    };
    const e = (() => {
      try {
        k.makeIR(f)(k.shapeDtype([3]));
      } catch (err) {
        return err as Error;
      }
      throw new Error('no error');
    })();
    expect(e).toBeInstanceOf(k.TraceError);
    expect(e.message).toContain('k.cond');
    expect(e.message).toContain(`trace.test.ts:${line}:`);
    expect(e.message).toMatch(/f32\[\]/);
  });

  it('JS comparisons, toArray and data() throw too', () => {
    const g = (f: (x: k.Tensor) => unknown) => () => k.makeIR((x: k.Tensor) => (f(x), x))(k.shapeDtype([3]));
    expect(g((x) => (x.sum() as unknown as number) > 0)).toThrow(k.TraceError);
    expect(g((x) => x.toArray())).toThrow(/k\.cond/);
    expect(g((x) => x.data())).toThrow(k.TraceError);
  });

  it('traced values know their shape and dtype and print their type', () => {
    let seen = '';
    k.makeIR((x: k.Tensor) => {
      expect(x.isTraced).toBe(true);
      expect(x.shape).toEqual([2, 3]);
      expect(x.dtype).toBe('i32');
      seen = String(x);
      return x;
    })(k.shapeDtype([2, 3], 'i32'));
    expect(seen).toBe('Tensor(traced i32[2,3])');
  });

  it('a traced value used after its trace ended is a TraceError', () => {
    let leaked: k.Tensor | undefined;
    k.makeIR((x: k.Tensor) => {
      leaked = x.add(1);
      return x;
    })(k.shapeDtype([3]));
    expect(() => leaked!.add(1)).toThrow(/escaped the function being traced/);
  });
});

describe('IR text round trip', () => {
  it('printIR prints what String(ir) shows; parseIR reads it back; verifyIR accepts it', () => {
    const ir = k.makeIR((x: k.Tensor, y: k.Tensor) => k.matmul(x, y).relu().sum({ axis: 0 }))(k.shapeDtype([2, 3]), k.shapeDtype([3, 4]));
    const text = String(ir);
    expect(k.printIR(ir.func)).toBe(text);
    const parsed = k.parseIR(text);
    k.verifyIR(parsed);
    expect(k.printIR(parsed)).toBe(text);
    const x = k.array([[1, 2, 3], [4, 5, 6]]), y = k.ones([3, 4]).mul(-0.5).add(k.eye(3, 4));
    expect(k.callIR(parsed, [x, y])[0]).toBeAllclose(k.callIR(ir.func, [x, y])[0]!);
  });

  it('parseModule reads several functions', () => {
    const a = String(k.makeIR((x: k.Tensor) => x.neg(), { name: 'a' })(k.shapeDtype([2])));
    const b = String(k.makeIR((x: k.Tensor) => x.exp(), { name: 'b' })(k.shapeDtype([2])));
    const fns = k.parseModule(`${a}\n${b}`);
    expect(fns.map((f) => f.name)).toEqual(['a', 'b']);
  });

  it('malformed text is a ParseError; an ill-typed function a VerifyError', () => {
    expect(() => k.parseIR('func @f(')).toThrow(k.ParseError);
    const ir = k.makeIR((x: k.Tensor) => x.neg())(k.shapeDtype([2]));
    const bad = { ...ir.func, outputs: [] as never[], eqns: [{ ...ir.func.eqns[0]!, inputs: [] }] };
    expect(() => k.verifyIR(bad as k.Func)).toThrow(k.VerifyError);
  });
});

describe('the control-flow APIs named in the TraceError message exist', () => {
  it('k.cond, k.whileLoop, k.forLoop and k.scan are functions', () => {
    for (const f of [k.cond, k.whileLoop, k.forLoop, k.scan]) expect(typeof f).toBe('function');
  });
});
