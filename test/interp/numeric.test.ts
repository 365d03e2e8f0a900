// Scalar numerics: f16/bf16 rounding, round-half-even, conversion, Threefry known answers.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { convertValue, roundBF16, roundF16, roundHalfEven, threefry2x32 } from '../../runtime/interp/index.ts';

describe('roundF16', () => {
  it('rounds to the nearest binary16 value, ties to even', () => {
    // f16 0x2E66 = 2^-4 * (1 + 614/1024)
    expect(roundF16(0.1)).toBe(0.0999755859375);
    expect(roundF16(1)).toBe(1);
    expect(roundF16(2049)).toBe(2048); // tie between 2048 (even) and 2050
    expect(roundF16(2051)).toBe(2052); // tie between 2050 (odd) and 2052
    expect(roundF16(2050.0001)).toBe(2050);
  });
  it('overflows to infinity past the midpoint above 65504', () => {
    expect(roundF16(65504)).toBe(65504);
    expect(roundF16(65519.99)).toBe(65504);
    expect(roundF16(65520)).toBe(Infinity);
    expect(roundF16(-1e6)).toBe(-Infinity);
  });
  it('underflows gradually to subnormals and keeps the sign of zero', () => {
    expect(roundF16(2 ** -24)).toBe(2 ** -24);
    expect(roundF16(2 ** -25)).toBe(0); // tie between 0 and 2^-24: even is 0
    expect(roundF16(1.5 * 2 ** -25)).toBe(2 ** -24);
    expect(roundF16(3 * 2 ** -24)).toBe(3 * 2 ** -24);
    expect(Object.is(roundF16(-(2 ** -26)), -0)).toBe(true);
  });
  it('rounds from double directly (no double rounding through f32)', () => {
    // 1 + 2^-11 + 2^-40 is just above the tie between 1 and 1 + 2^-10: it rounds up. Through
    // f32 it would first become exactly the tie 1 + 2^-11 and then round to even (1).
    expect(roundF16(1 + 2 ** -11 + 2 ** -40)).toBe(1 + 2 ** -10);
  });
  it('passes NaN and infinities through', () => {
    expect(roundF16(NaN)).toBeNaN();
    expect(roundF16(-Infinity)).toBe(-Infinity);
  });
});

describe('roundBF16', () => {
  it('keeps 8 significand bits, ties to even', () => {
    expect(roundBF16(1 + 2 ** -8)).toBe(1); // tie: 1 is even
    expect(roundBF16(1 + 3 * 2 ** -8)).toBe(1 + 2 ** -6); // tie: 1 + 2^-6 is even
    expect(roundBF16(0.1)).toBe(0.10009765625); // bf16 0x3DCD = 2^-4 * (1 + 77/128)
  });
  it('has the f32 exponent range', () => {
    expect(roundBF16(3.3895313892515355e38)).toBe(3.3895313892515355e38); // largest finite
    expect(roundBF16(3.4e38)).toBe(Infinity); // past the midpoint to 2^128
    expect(roundBF16(2 ** -133)).toBe(2 ** -133); // smallest subnormal
    expect(roundBF16(2 ** -134)).toBe(0);
  });
});

describe('roundHalfEven', () => {
  it('rounds ties to the even neighbour', () => {
    const xs = [0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, -2.6, 3.5, 1e300];
    expect(xs.map(roundHalfEven)).toEqual([0, 2, 2, -0, -2, -2, 2, -3, 4, 1e300]);
    expect(Object.is(roundHalfEven(-0.5), -0)).toBe(true);
    expect(roundHalfEven(0.49999999999999994)).toBe(0);
  });
});

describe('convertValue', () => {
  it('float to i32 truncates toward zero, NaN→0, clamps out of range', () => {
    const xs = [1.9, -1.9, NaN, 3e9, -3e9, Infinity, -Infinity, 2147483647.5, -0.5];
    expect(xs.map((x) => convertValue(x, 'i32'))).toEqual([1, -1, 0, 2147483647, -2147483648, 2147483647, -2147483648, 2147483647, 0]);
  });
  it('anything to bool is x != 0 (NaN is true)', () => {
    expect([0, -0, NaN, 0.5, -3].map((x) => convertValue(x, 'bool'))).toEqual([0, 0, 1, 1, 1]);
  });
  it('float targets round', () => {
    expect(convertValue(0.1, 'f32')).toBe(Math.fround(0.1));
    expect(convertValue(0.1, 'f64')).toBe(0.1);
    expect(convertValue(0.1, 'f16')).toBe(0.0999755859375);
    expect(convertValue(16777217, 'f32')).toBe(16777216);
  });
});

describe('threefry2x32 (Random123 known-answer vectors, Threefry-2x32-20)', () => {
  it('key (0,0) counter (0,0)', () => {
    expect(threefry2x32(0, 0, 0, 0)).toEqual([0x6b200159, 0x99ba4efe]);
  });
  it('all-ones key and counter', () => {
    expect(threefry2x32(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff)).toEqual([0x1cb996fc, 0xbb002be7]);
  });
  it('pi digits key and counter', () => {
    expect(threefry2x32(0x13198a2e, 0x03707344, 0x243f6a88, 0x85a308d3)).toEqual([0xc4923a9c, 0x483df7a0]);
  });
  it('accepts signed words as their u32 bit patterns', () => {
    expect(threefry2x32(-1, -1, -1, -1)).toEqual([0x1cb996fc, 0xbb002be7]);
  });
});

/**
 * Every non-negative finite value of a format, in increasing order, decoded from its bit
 * patterns 0 .. maxBits (independent of roundToFormat). `mantBits` excludes the implicit bit.
 */
function formatValues(expBits: number, mantBits: number, maxBits: number): number[] {
  const bias = 2 ** (expBits - 1) - 1, out: number[] = [];
  for (let b = 0; b <= maxBits; b++) {
    const e = b >> mantBits, m = b & (2 ** mantBits - 1);
    out.push(e === 0 ? m * 2 ** (1 - bias - mantBits) : (1 + m / 2 ** mantBits) * 2 ** (e - bias));
  }
  return out;
}

/** Nearest value by search over the table; ties go to the even bit pattern; past max + half ulp is inf. */
function nearest(table: number[], x: number): number {
  const a = Math.abs(x), top = table[table.length - 1]!, ulp = top - table[table.length - 2]!;
  let r: number;
  if (a >= top + ulp / 2) r = Infinity;
  else if (a >= top) r = top;
  else {
    let lo = 0, hi = table.length - 1; // table[lo] <= a < table[hi]
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (table[mid]! <= a) lo = mid;
      else hi = mid;
    }
    const dl = a - table[lo]!, dh = table[hi]! - a;
    r = dl < dh ? table[lo]! : dh < dl ? table[hi]! : lo % 2 === 0 ? table[lo]! : table[hi]!;
  }
  return x < 0 || Object.is(x, -0) ? -r : r;
}

describe('roundF16/roundBF16 against a table of every value', () => {
  const f16 = formatValues(5, 10, 0x7bff), bf16 = formatValues(8, 7, 0x7f7f);
  const near = (table: number[]) => fc.oneof(
    fc.double({ noNaN: true }),
    fc.double({ noNaN: true, min: -70000, max: 70000 }),
    // exact table values and midpoints, nudged by a few ulps of the double
    fc.tuple(fc.integer({ min: 0, max: table.length - 2 }), fc.constantFrom(0, 0.5), fc.integer({ min: -2, max: 2 }), fc.boolean())
      .map(([i, t, k, neg]) => {
        const v = table[i]! + t * (table[i + 1]! - table[i]!);
        const w = k === 0 ? v : v + k * Number.EPSILON * Math.max(v, 2 ** -1022);
        return neg ? -w : w;
      }),
  );
  it('f16', () => {
    fc.assert(fc.property(near(f16), (x) => {
      expect(roundF16(x)).toBe(nearest(f16, x));
    }), { numRuns: 3000 });
  });
  it('bf16', () => {
    fc.assert(fc.property(near(bf16), (x) => {
      expect(roundBF16(x)).toBe(nearest(bf16, x));
    }), { numRuns: 3000 });
  });
});
