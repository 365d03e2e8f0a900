// The toBeAllclose matcher itself (test/setup.ts, test/helpers/allclose.ts).
import { describe, expect, it } from 'vitest';
import * as k from 'kiln';
import { allclose } from '../helpers/allclose.ts';

/** The failure message of an expectation that must fail. */
function failure(f: () => void): string {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected the assertion to fail');
}

describe('toBeAllclose', () => {
  it('accepts tensors or nested arrays on either side', () => {
    expect(k.array([[1, 2], [3, 4]])).toBeAllclose([[1, 2], [3, 4]]);
    expect([[1, 2], [3, 4]]).toBeAllclose(k.array([[1, 2], [3, 4]]));
    expect(k.array([1, 2])).toBeAllclose(k.array([1, 2], { dtype: 'f64' }));
    expect(3).toBeAllclose(k.array(3));
    expect(k.array([true, false])).toBeAllclose([1, 0]);
    expect(k.array([true, false])).toBeAllclose([true, false]);
  });

  it("uses NumPy's rule |a - b| <= atol + rtol * |b| with defaults rtol 1e-5, atol 1e-8", () => {
    expect([1 + 0.9e-5]).toBeAllclose([1]);
    expect([1 + 1.1e-5]).not.toBeAllclose([1]);
    expect([1e-9]).toBeAllclose([0]);
    expect([1e-7]).not.toBeAllclose([0]);
    expect([1.05]).toBeAllclose([1], { rtol: 0.1 });
    expect([0.5]).toBeAllclose([0], { atol: 0.5 });
    expect([0.5]).not.toBeAllclose([0], { atol: 0.4 });
    // asymmetric like NumPy: the tolerance scales with the expected value
    expect(allclose([110], [100], { rtol: 0.1, atol: 0 }).pass).toBe(true);
    expect(allclose([100], [110], { rtol: 0.09, atol: 0 }).pass).toBe(false);
  });

  it('NaN equals NaN only with equalNan; infinities must match in sign', () => {
    expect([NaN]).not.toBeAllclose([NaN]);
    expect([NaN]).toBeAllclose([NaN], { equalNan: true });
    expect([NaN]).not.toBeAllclose([1], { equalNan: true });
    expect([Infinity, -Infinity]).toBeAllclose([Infinity, -Infinity]);
    expect([Infinity]).not.toBeAllclose([-Infinity]);
    expect([Infinity]).not.toBeAllclose([1e308], { rtol: 1 });
  });

  it('compares shapes exactly (no broadcasting)', () => {
    expect([1, 1]).not.toBeAllclose([[1, 1]]);
    expect(k.zeros([2, 3])).not.toBeAllclose(k.zeros([3, 2]));
    expect(k.zeros([1])).not.toBeAllclose(0);
    expect([]).toBeAllclose(k.zeros([0]));
    expect(failure(() => expect(k.zeros([2, 3])).toBeAllclose(k.zeros([3, 2])))).toBe(
      'shapes differ: received [2, 3], expected [3, 2]',
    );
  });

  it('reports the first mismatching index, the values and the largest errors', () => {
    const msg = failure(() => expect(k.array([[1, 2], [3, 4]])).toBeAllclose([[1, 2], [3.5, 5]]));
    expect(msg).toContain('2 of 4 elements differ');
    expect(msg).toContain('first mismatch at index [1, 0]: received 3, expected 3.5');
    expect(msg).toContain('max abs error 1');
    expect(msg).toContain('max rel error 0.2');
    expect(msg).toContain('rtol=0.00001, atol=1e-8');
    const nanMsg = failure(() => expect([NaN, 1]).toBeAllclose([0, 2]));
    expect(nanMsg).toContain('first mismatch at index [0]: received NaN, expected 0');
    expect(nanMsg).toContain('1 mismatch involves NaN');
  });

  it('.not explains what was close', () => {
    expect(failure(() => expect([1]).not.toBeAllclose([1]))).toMatch(/not to be close/);
  });

  it('rejects ragged or non-numeric input', () => {
    expect(() => allclose([[1], [1, 2]], [[1], [1, 2]])).toThrow(/ragged/);
    expect(() => allclose(['a'], [1])).toThrow(/non-numeric/);
  });
});
