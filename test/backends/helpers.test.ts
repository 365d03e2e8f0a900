// The comparison helper of the differential tests must not be vacuous: it reports value,
// NaN, infinity, dtype, shape and structure differences, and exact mismatches of integers.
import { describe, expect, it } from 'vitest';
import * as k from '../../index.ts';
import { mismatches } from './helpers.ts';

describe('mismatches (the differential comparison)', () => {
  it('accepts equal trees and float differences within tolerance', () => {
    const a = { x: k.array([1, 2, NaN, Infinity]), y: [k.array([1, 2], { dtype: 'i32' })] };
    expect(mismatches(a, a)).toEqual([]);
    expect(mismatches(k.array([1, 2.00001]), k.array([1, 2]), { rtol: 1e-5 })).toEqual([]);
  });

  it('reports float, NaN, infinity and integer differences', () => {
    expect(mismatches(k.array([1, 2.1]), k.array([1, 2]))[0]).toMatch(/1 of 2 elements differ.*\[1\] cpu 2.09/);
    expect(mismatches(k.array([NaN]), k.array([0]))).toHaveLength(1);
    expect(mismatches(k.array([0]), k.array([NaN]))).toHaveLength(1);
    expect(mismatches(k.array([-Infinity]), k.array([Infinity]))).toHaveLength(1);
    expect(mismatches(k.array([1e30]), k.array([Infinity]))).toHaveLength(1);
    expect(mismatches(k.array([3], { dtype: 'i32' }), k.array([4], { dtype: 'i32' }))).toHaveLength(1);
    expect(mismatches(k.array([true]), k.array([false]))).toHaveLength(1);
  });

  it('reports dtype, shape and structure differences', () => {
    expect(mismatches(k.array([1]), k.array([1], { dtype: 'f64' }))[0]).toMatch(/f32\[1\] vs interp f64\[1\]/);
    expect(mismatches(k.array([[1]]), k.array([1]))).toHaveLength(1);
    expect(mismatches([k.array([1])], [k.array([1]), k.array([1])])).toHaveLength(1);
    expect(mismatches({ a: k.array([1]) }, { b: k.array([1]) })).toHaveLength(1);
  });
});
