// Error messages: a shape mismatch throws k.ShapeError naming the op, both operand shapes and
// the user's call site (this file and line), eagerly and under tracing.
import { describe, expect, it } from 'vitest';
import * as k from 'kiln';
import { here } from '../helpers/ir.ts';

/** The error `f` throws (fails the test when it throws nothing). */
function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected the call to throw');
}

/** Matches a shape written as [2, 3] or [2,3] (optionally after a dtype, f32[2,3]). */
const shape = (s: readonly number[]) => new RegExp(`\\[${s.join(',\\s?')}\\]`);

/** Checks op, shapes and location (this file, the given line) of a ShapeError. */
function expectShapeError(e: Error, op: string, shapes: number[][], line: number): void {
  expect(e).toBeInstanceOf(k.ShapeError);
  expect(e).toBeInstanceOf(k.KilnError);
  expect(e.name).toBe('ShapeError');
  const se = e as k.ShapeError;
  expect(se.op).toBe(op);
  expect(e.message.startsWith(`${op}: `)).toBe(true);
  for (const s of shapes) expect(e.message).toMatch(shape(s));
  expect(e.message).toMatch(/dsl\/errors\.test\.ts:\d+/);
  expect(se.loc?.file).toMatch(/dsl\/errors\.test\.ts$/);
  expect(se.loc?.line).toBe(line);
  expect(e.message).toContain(`errors.test.ts:${line}:`);
}

describe('ShapeError messages name the op, both shapes and the call site', () => {
  it('add', () => {
    const a = k.zeros([2, 3]), b = k.zeros([3, 2]);
    const [line, e] = [here(), thrown(() => k.add(a, b))];
    expectShapeError(e, 'add', [[2, 3], [3, 2]], line);
  });

  it('add as a method', () => {
    const a = k.zeros([4]);
    // The static types reject this call too; the runtime check covers dynamic shapes.
    // @ts-expect-error shapes [4] and [5] do not broadcast
    const [line, e] = [here(), thrown(() => a.add(k.zeros([5])))];
    expectShapeError(e, 'add', [[4], [5]], line);
  });

  it('matmul: inner dimensions', () => {
    const a = k.zeros([2, 3]), b = k.zeros([4, 5]);
    const [line, e] = [here(), thrown(() => k.matmul(a, b))];
    expectShapeError(e, 'matmul', [[2, 3], [4, 5]], line);
  });

  it('matmul: batch dimensions', () => {
    const a = k.zeros([2, 2, 3]), b = k.zeros([3, 3, 4]);
    const [line, e] = [here(), thrown(() => k.matmul(a, b))];
    expectShapeError(e, 'matmul', [[2, 2, 3], [3, 3, 4]], line);
  });

  it('concatenate', () => {
    const a = k.zeros([2, 3]), b = k.zeros([2, 2]);
    const [line, e] = [here(), thrown(() => k.concatenate([a, b], 0))];
    expectShapeError(e, 'concatenate', [[2, 3], [2, 2]], line);
  });

  it('reshape', () => {
    const a = k.zeros([2, 3]);
    const [line, e] = [here(), thrown(() => k.reshape(a, [4, 2]))];
    expectShapeError(e, 'reshape', [[2, 3], [4, 2]], line);
    // @ts-expect-error cannot reshape [2,3] to [4,-1]
    const [line2, e2] = [here(), thrown(() => a.reshape([4, -1]))];
    expectShapeError(e2, 'reshape', [[2, 3], [4, -1]], line2);
  });

  it('the location is the line of the op, also inside a traced function', () => {
    let line = 0;
    const f = (x: k.Tensor) => {
      line = here() + 1;
      return x.add(k.zeros([5]));
    };
    const e = thrown(() => k.makeIR(f)(k.shapeDtype([4])));
    expectShapeError(e, 'add', [[4], [5]], line);
  });

  it('other ops report the call site too', () => {
    // @ts-expect-error index 5 is out of bounds for [2]
    const [line, e] = [here(), thrown(() => k.zeros([2]).slice(5))];
    expect(e).toBeInstanceOf(k.ShapeError);
    expect(e.message).toContain(`errors.test.ts:${line}:`);
    const [line2, e2] = [here(), thrown(() => k.sum(k.zeros([2]), { axis: 3 }))];
    expect(e2.message).toMatch(/^sum: axis 3 out of range for rank 1/);
    expect(e2.message).toContain(`errors.test.ts:${line2}:`);
  });
});

describe('error classes', () => {
  it('ShapeError, TraceError, ParseError and VerifyError are KilnErrors', () => {
    expect(new k.ShapeError('op', 'detail')).toBeInstanceOf(k.KilnError);
    expect(new k.ShapeError('op', 'detail').message).toBe('op: detail');
    expect(new k.ShapeError('op', 'detail', { file: 'a.ts', line: 3, col: 4 }).message).toBe('op: detail (at a.ts:3:4)');
    expect(new k.TraceError('x')).toBeInstanceOf(k.KilnError);
    expect(new k.VerifyError('x')).toBeInstanceOf(k.KilnError);
    expect(new k.ParseError(1, 2, 'bad')).toBeInstanceOf(k.KilnError);
    expect(new k.ParseError(1, 2, 'bad').message).toBe('<ir>:1:2: bad');
    expect(new k.KilnError('x')).toBeInstanceOf(Error);
  });
});
