// evalFunc: walking a function's equations, error reporting, purity.
import { describe, expect, it } from 'vitest';
import { KilnError, ShapeError, VerifyError } from '../../compiler/ir/errors.ts';
import { aval, makeEqn, Var, type Func } from '../../compiler/ir/ir.ts';
import { Primitive } from '../../compiler/ir/primitives.ts';
import { evalFunc, hostTensor } from '../../runtime/interp/index.ts';

const loc = { file: 'model.ts', line: 3, col: 7 };

/** f(x: f32[2,3], y: f32[3]) = (reduce_sum(x * broadcast(y), axes [1]), x) */
function sampleFunc(): Func {
  const x = new Var(aval([2, 3], 'f32')), y = new Var(aval([3], 'f32'));
  const yb = new Var(aval([2, 3], 'f32')), p = new Var(aval([2, 3], 'f32')), s = new Var(aval([2], 'f32'));
  return {
    name: 'sample',
    inputs: [x, y],
    eqns: [
      makeEqn(Primitive.BroadcastInDim, { shape: [2, 3], dims: [1] }, [y], [yb]),
      makeEqn(Primitive.Mul, {}, [x, yb], [p]),
      makeEqn(Primitive.ReduceSum, { axes: [1] }, [p], [s], loc),
    ],
    outputs: [s, x],
  };
}

describe('evalFunc', () => {
  it('evaluates the equations in order', () => {
    const x = hostTensor([2, 3], 'f32', [1, 2, 3, 4, 5, 6]);
    const y = hostTensor([3], 'f32', [1, 10, 100]);
    const [s, xo] = evalFunc(sampleFunc(), [x, y]);
    expect(s!.aval).toEqual({ shape: [2], dtype: 'f32' });
    expect(Array.from(s!.data)).toEqual([321, 654]);
    expect(xo).toBe(x); // an output that is an input is the caller's tensor
    expect(Array.from(x.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(y.data)).toEqual([1, 10, 100]);
  });
  it('handles multi-result equations (sort)', () => {
    const k = new Var(aval([3], 'f32')), v = new Var(aval([3], 'i32'));
    const ks = new Var(aval([3], 'f32')), vs = new Var(aval([3], 'i32'));
    const f: Func = { name: 'argsort', inputs: [k, v], eqns: [makeEqn(Primitive.Sort, { axis: 0, numKeys: 1 }, [k, v], [ks, vs])], outputs: [vs] };
    const [r] = evalFunc(f, [hostTensor([3], 'f32', [3, 1, 2]), hostTensor([3], 'i32', [0, 1, 2])]);
    expect(Array.from(r!.data)).toEqual([1, 2, 0]);
  });
  it('checks the inputs against the signature', () => {
    const y = hostTensor([3], 'f32', [1, 2, 3]);
    expect(() => evalFunc(sampleFunc(), [y])).toThrow(KilnError);
    expect(() => evalFunc(sampleFunc(), [hostTensor([2, 3], 'f64', [1]), y])).toThrow(/input 0 should be f32\[2,3\]/);
  });
  it('reports a shape error with the equation location', () => {
    const x = new Var(aval([2], 'f32')), y = new Var(aval([3], 'f32')), z = new Var(aval([2], 'f32'));
    const f: Func = { name: 'bad', inputs: [x, y], eqns: [makeEqn(Primitive.Add, {}, [x, y], [z], loc)], outputs: [z] };
    const run = () => evalFunc(f, [hostTensor([2], 'f32', [0]), hostTensor([3], 'f32', [0])]);
    expect(run).toThrow(ShapeError);
    expect(run).toThrow(/model\.ts:3:7/);
  });
  it('rejects declared avals that disagree with the shape rule, and undefined variables', () => {
    const x = new Var(aval([2], 'f32')), z = new Var(aval([2], 'f64'));
    const f: Func = { name: 'mistyped', inputs: [x], eqns: [makeEqn(Primitive.Neg, {}, [x], [z])], outputs: [z] };
    expect(() => evalFunc(f, [hostTensor([2], 'f32', [0])])).toThrow(VerifyError);
    const ghost = new Var(aval([2], 'f32')), w = new Var(aval([2], 'f32'));
    const g: Func = { name: 'ghost', inputs: [x], eqns: [makeEqn(Primitive.Neg, {}, [ghost], [w])], outputs: [w] };
    expect(() => evalFunc(g, [hostTensor([2], 'f32', [0])])).toThrow(VerifyError);
  });
  it('keeps a value alive when it is used again after an intermediate last use', () => {
    const x = new Var(aval([2], 'i32')), a = new Var(aval([2], 'i32')), b = new Var(aval([2], 'i32'));
    const f: Func = {
      name: 'reuse',
      inputs: [x],
      eqns: [makeEqn(Primitive.Neg, {}, [x], [a]), makeEqn(Primitive.Add, {}, [a, a], [b])],
      outputs: [b, a],
    };
    const [rb, ra] = evalFunc(f, [hostTensor([2], 'i32', [1, 2])]);
    expect(Array.from(rb!.data)).toEqual([-2, -4]);
    expect(Array.from(ra!.data)).toEqual([-1, -2]);
  });
});
