// The verifier on funcs built directly (the parser cannot even express most of these faults).
import { describe, expect, it } from 'vitest';
import { VerifyError } from '../../compiler/ir/errors.ts';
import { aval, makeEqn, Var, type AVal, type Eqn, type Func } from '../../compiler/ir/ir.ts';
import { Primitive, type PrimitiveParams } from '../../compiler/ir/primitives.ts';
import { EqnVerifyError, verifyFunc, verifyModule } from '../../compiler/ir/verify.ts';

const v = (shape: number[], dtype: AVal['dtype'] = 'f32') => new Var(aval(shape, dtype));
const fn = (inputs: Var[], eqns: Eqn[], outputs: Var[], name = 'f'): Func => ({ name, inputs, eqns, outputs });
const LOC = { file: 'model.ts', line: 7, col: 3 };

/** The VerifyError that verifying `f` throws. */
function verifyError(f: Func): VerifyError {
  try {
    verifyFunc(f);
  } catch (e) {
    expect(e).toBeInstanceOf(VerifyError);
    return e as VerifyError;
  }
  throw new Error('expected a VerifyError, but the func verified');
}

describe('verifyFunc accepts', () => {
  it('a valid func, including outputs that are inputs', () => {
    const x = v([2, 3]);
    const y = v([2, 3]);
    const z = v([2, 3]);
    verifyFunc(fn([x, y], [makeEqn(Primitive.Add, {}, [x, y], [z])], [z, x, x]));
  });

  it('a func with no equations', () => {
    verifyFunc(fn([], [], []));
  });
});

describe('SSA', () => {
  it('rejects a use before definition, naming the defining eqn', () => {
    const x = v([2]);
    const a = v([2]);
    const b = v([2]);
    const e = verifyError(fn([x], [makeEqn(Primitive.Neg, {}, [a], [b], LOC), makeEqn(Primitive.Neg, {}, [x], [a])], [b]));
    expect(e).toBeInstanceOf(EqnVerifyError);
    expect((e as EqnVerifyError).eqnIndex).toBe(0);
    expect(e.message).toBe('func @f: eqn 0 (neg at model.ts:7:3): operand 0 (f32[2]) is used before its definition by eqn 1');
  });

  it('rejects an equation using its own result', () => {
    const x = v([2]);
    const a = v([2]);
    const e = verifyError(fn([x], [makeEqn(Primitive.Add, {}, [x, a], [a])], [a]));
    expect(e.message).toBe('func @f: eqn 0 (add): operand 1 (f32[2]) is used before its definition by eqn 0');
  });

  it('rejects an operand defined nowhere', () => {
    const x = v([2]);
    const ghost = v([3], 'i32');
    const out = v([3], 'i32');
    const e = verifyError(fn([x], [makeEqn(Primitive.Neg, {}, [ghost], [out])], [out]));
    expect(e.message).toBe(`func @f: eqn 0 (neg): operand 0 (a value of type i32[3] (Var #${ghost.id})) is not defined`);
  });

  it('rejects an undefined func output', () => {
    const x = v([2]);
    const ghost = v([2]);
    expect(verifyError(fn([x], [], [x, ghost])).message).toBe(
      `func @f: output 1 (a value of type f32[2] (Var #${ghost.id})) is not defined`,
    );
  });

  it('rejects redefinition of an input', () => {
    const x = v([2]);
    const e = verifyError(fn([x], [makeEqn(Primitive.Neg, {}, [x], [x])], [x]));
    expect(e.message).toBe('func @f: eqn 0 (neg): result 0 redefines %0, already defined by input 0');
    expect((e as EqnVerifyError).outputIndex).toBe(0);
  });

  it('rejects a value defined by two equations', () => {
    const x = v([2]);
    const a = v([2]);
    const e = verifyError(fn([x], [makeEqn(Primitive.Neg, {}, [x], [a]), makeEqn(Primitive.Abs, {}, [x], [a], LOC)], [a]));
    expect(e.message).toBe('func @f: eqn 1 (abs at model.ts:7:3): result 0 redefines %1, already defined by eqn 0');
  });

  it('rejects duplicate inputs', () => {
    const x = v([2]);
    const y = v([2]);
    expect(verifyError(fn([x, y, x], [], [])).message).toBe('func @f: input 2 repeats input 0');
  });
});

describe('types', () => {
  it('rejects a wrong recorded shape', () => {
    const x = v([2, 3]);
    const s = v([3]);
    const e = verifyError(fn([x], [makeEqn(Primitive.ReduceSum, { axes: [1] }, [x], [s], LOC)], [s]));
    expect(e.message).toBe('func @f: eqn 0 (reduce_sum at model.ts:7:3): result 0 is recorded as f32[3] but reduce_sum gives f32[2]');
    expect((e as EqnVerifyError).outputIndex).toBe(0);
  });

  it('rejects a wrong recorded dtype', () => {
    const x = v([2]);
    const y = v([2]);
    const c = v([2], 'f32');
    expect(verifyError(fn([x, y], [makeEqn(Primitive.Lt, {}, [x, y], [c])], [c])).message).toBe(
      'func @f: eqn 0 (lt): result 0 is recorded as f32[2] but lt gives bool[2]',
    );
  });

  it('turns a shape-rule failure into a VerifyError naming eqn, primitive and loc', () => {
    const x = v([2, 3]);
    const w = v([4, 5]);
    const out = v([2, 5]);
    const params: PrimitiveParams[Primitive.DotGeneral] = { lhsContract: [1], rhsContract: [0], lhsBatch: [], rhsBatch: [] };
    const ok = v([2]);
    const e = verifyError(fn([x, w], [makeEqn(Primitive.ReduceMax, { axes: [1] }, [x], [ok]), makeEqn(Primitive.DotGeneral, params, [x, w], [out], LOC)], [out]));
    expect(e).toBeInstanceOf(EqnVerifyError);
    expect(e.message).toBe(
      'func @f: eqn 1 (dot_general at model.ts:7:3): contracting dimensions differ: lhs f32[2,3] axis 1 vs rhs f32[4,5] axis 0',
    );
  });

  it('rejects the wrong number of results', () => {
    const x = v([4]);
    const k = v([4], 'i32');
    const s = v([4]);
    expect(verifyError(fn([x, k], [makeEqn(Primitive.Sort, { axis: 0, numKeys: 1 }, [x, k], [s])], [s])).message).toBe(
      'func @f: eqn 0 (sort): has 1 result(s) but sort produces 2',
    );
  });

  it('rejects negative, fractional and non-finite dims', () => {
    expect(verifyError(fn([v([2, -1])], [], [])).message).toBe('func @f: input 0: invalid dimension -1 in f32[2,-1]');
    expect(verifyError(fn([v([1.5])], [], [])).message).toBe('func @f: input 0: invalid dimension 1.5 in f32[1.5]');
    const x = v([2]);
    const bad = v([NaN]);
    expect(verifyError(fn([x], [makeEqn(Primitive.Neg, {}, [x], [bad])], [bad])).message).toBe(
      'func @f: eqn 0 (neg): result 0: invalid dimension NaN in f32[NaN]',
    );
  });

  it('rejects an unknown dtype', () => {
    const x = new Var({ shape: [2], dtype: 'f8' as AVal['dtype'] });
    expect(verifyError(fn([x], [], [])).message).toBe("func @f: input 0: unknown dtype 'f8'");
  });
});

describe('params', () => {
  it('rejects missing, unknown and ill-typed params (by the param schema)', () => {
    const x = v([2, 3]);
    const out = v([2]);
    const bad = { axes: [1.5], keepdims: true } as unknown as PrimitiveParams[Primitive.ReduceSum];
    expect(verifyError(fn([x], [makeEqn(Primitive.ReduceSum, bad, [x], [out])], [out])).message).toBe(
      "func @f: eqn 0 (reduce_sum): param 'axes' expects a list of integers; unknown param 'keepdims'",
    );
    const missing = {} as PrimitiveParams[Primitive.Cumsum];
    expect(verifyError(fn([x], [makeEqn(Primitive.Cumsum, missing, [x], [out])], [out])).message).toBe(
      "func @f: eqn 0 (cumsum): missing param 'axis'; missing param 'reverse'",
    );
  });

  it('rejects an unknown primitive', () => {
    const x = v([2]);
    const e = makeEqn('frob' as Primitive, {} as never, [x], [x]);
    expect(verifyError(fn([x], [e], [])).message).toBe("func @f: eqn 0 (frob): unknown primitive 'frob'");
  });
});

describe('verifyModule', () => {
  it('rejects two funcs of one name', () => {
    expect(() => verifyModule([fn([], [], [], 'a'), fn([], [], [], 'b'), fn([], [], [], 'a')])).toThrow(
      new VerifyError('func @a is defined twice'),
    );
  });

  it('verifies each func', () => {
    expect(() => verifyModule([fn([], [], [v([2])], 'g')])).toThrow(VerifyError);
  });
});
