// Scalar numerics: rounding to each dtype and value conversion, shared by the interpreter and
// the compiler. They define the oracle's bit-level behaviour; every backend must agree.
import type { DType } from './dtype.ts';

const I32_MIN = -2147483648;
const I32_MAX = 2147483647;
const F16_MAX = 65504;
const BF16_MAX = 3.3895313892515355e38; // (2 - 2^-7) * 2^127

// A double viewed as two u32 words, to read its exponent and build powers of two quickly.
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0; // high word index

/** 2^k for an integer k in the normal double range [-1022, 1023]. */
function pow2(k: number): number {
  u32[1 - HI] = 0;
  u32[HI] = (k + 1023) << 20;
  return f64[0]!;
}

/**
 * Rounds `x` (a double) to the nearest value of a binary format with `p` significand bits
 * (implicit bit included) and minimum normal exponent `emin`, ties to even, with gradual
 * underflow and overflow to infinity (values above `max` after rounding). Rounds from the
 * double directly (never via f32), so no double rounding happens here.
 */
function roundToFormat(x: number, p: number, emin: number, max: number): number {
  if (x === 0 || x !== x) return x;
  f64[0] = x;
  const bexp = (u32[HI]! >>> 20) & 0x7ff;
  if (bexp === 0x7ff) return x; // ±Infinity
  if (bexp === 0) return x < 0 ? -0 : 0; // double subnormals are far below half the least f16/bf16 subnormal
  const e = Math.max(bexp - 1023, emin); // exponent of x's binade, or emin for (format) subnormals
  const q = pow2(e - p + 1); // spacing of representable values there
  const a = Math.abs(x);
  const y = a / q; // exact: division by a power of two, result below 2^p
  let r = Math.floor(y);
  const frac = y - r;
  if (frac > 0.5 || (frac === 0.5 && r % 2 === 1)) r += 1;
  const res = r * q;
  const mag = res > max ? Infinity : res;
  return x < 0 ? -mag : mag;
}

/** Nearest IEEE binary16 value (ties to even; overflow gives ±Infinity). */
export function roundF16(x: number): number {
  return roundToFormat(x, 11, -14, F16_MAX);
}

/** Nearest bfloat16 value (ties to even; overflow gives ±Infinity). */
export function roundBF16(x: number): number {
  return roundToFormat(x, 8, -126, BF16_MAX);
}

/** Round half to even (NumPy/JAX `round`); keeps -0 for -0.5 < x <= -0. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  if (Math.abs(x - Math.trunc(x)) !== 0.5) return r;
  return 2 * Math.round(x / 2);
}

/**
 * `x` converted to dtype `to`, as the `convert` primitive (and constants, iota) do it:
 * floats round to nearest (f16/bf16 to their precision), float→i32 truncates toward zero
 * with NaN→0 and out-of-range values clamped to the i32 range, anything→bool is `x != 0`
 * (so NaN→true), bool→number is 0/1 (bools are stored as 0/1 already).
 */
export function convertValue(x: number, to: DType): number {
  switch (to) {
    case 'f64':
      return x;
    case 'f32':
      return Math.fround(x);
    case 'f16':
      return roundF16(x);
    case 'bf16':
      return roundBF16(x);
    case 'i32':
      if (x !== x) return 0;
      if (x >= I32_MAX) return I32_MAX;
      if (x <= I32_MIN) return I32_MIN;
      return x | 0;
    case 'bool':
      return x !== 0 ? 1 : 0;
    default:
      return to satisfies never;
  }
}

/**
 * The rounding a computed float result needs before it is stored in dtype `d`, or null if
 * the store itself is enough (f64: none; f32: a Float32Array store rounds correctly).
 */
export function narrowing(d: DType): ((x: number) => number) | null {
  return d === 'f16' ? roundF16 : d === 'bf16' ? roundBF16 : null;
}

export { I32_MIN, I32_MAX };
