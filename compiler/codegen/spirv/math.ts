// Transcendental functions for the SPIR-V generator.
//
// f32: exp, log, sin and cos are GLSL.std.450's; tanh, logistic, log1p, expm1 and pow are
// built on them with formulas that keep their accuracy where the naive ones lose it
// (logistic and tanh from exp(-|x|) / expm1(-2|x|), so they never overflow; log1p and expm1
// by Kahan's correction; pow with the special values of JS's `**`, as the interpreter).
// f64: GLSL.std.450 defines its transcendental instructions for 16- and 32-bit floats only,
// so exp, log, sin and cos are computed here from f64 arithmetic: argument reduction by a
// multiple of ln 2 or π/2 (split constants, as fdlibm), then polynomials accurate to about
// 1e-16 on the reduced range. sin / cos lose accuracy for |x| beyond about 1e6 (no
// Payne–Hanek reduction). Subnormal f64 results may be flushed to zero by the device.
import { Primitive, type UnaryOp } from '../../ir/primitives.ts';
import { SpirvError } from './builder.ts';
import type { Cg } from './cg.ts';
import { GLSL, Op } from './spec.ts';

const LN2_HI = 6.93147180369123816490e-1;
const LN2_LO = 1.90821492927058770002e-10;
const PIO2_1 = 1.57079632673412561417e0;
const PIO2_2 = 6.07710050630396597660e-11;
const PIO2_3 = 2.02226624871116645580e-21;

/** Horner evaluation of sum c[i] x^i. */
function poly(cg: Cg, ft: number, x: number, c: readonly number[]): number {
  let p = cg.fc(ft, c[c.length - 1]!);
  for (let i = c.length - 2; i >= 0; i--) p = cg.fadd(ft, cg.fmul(ft, p, x), cg.fc(ft, c[i]!));
  return p;
}

function factorials(n: number): number[] {
  const out = [1];
  for (let i = 1; i <= n; i++) out.push(out[i - 1]! * i);
  return out;
}
const FACT = factorials(20);
/** Taylor coefficients of exp: 1/i!. */
const EXP_C = Array.from({ length: 14 }, (_, i) => 1 / FACT[i]!);
/** sin r = r · S(r²), cos r = C(r²). */
const SIN_C = Array.from({ length: 9 }, (_, i) => (i % 2 ? -1 : 1) / FACT[2 * i + 1]!);
const COS_C = Array.from({ length: 10 }, (_, i) => (i % 2 ? -1 : 1) / FACT[2 * i]!);
/** log(1+f) = 2 s · L(s²) with s = f / (2 + f): L(z) = sum z^i / (2i + 1). */
const LOG_C = Array.from({ length: 12 }, (_, i) => 1 / (2 * i + 1));

/** 2^k for an i32 k in [-1022, 1023], as an f64 built from its bits. */
function pow2(cg: Cg, k: number): number {
  const I = cg.tI32;
  const hi = cg.op(Op.ShiftLeftLogical, I, cg.op(Op.IAdd, I, k, cg.i32(1023)), cg.i32(20));
  const v2 = cg.m.typeVector(I, 2);
  return cg.op(Op.Bitcast, cg.tF64, cg.op(Op.CompositeConstruct, v2, cg.i32(0), hi));
}

function exp64(cg: Cg, x: number): number {
  const F = cg.tF64, I = cg.tI32, B = cg.tBool;
  // Clamped so that k fits; exp overflows beyond 709.8 and underflows below -745.2 anyway.
  const lo = cg.op(Op.FOrdLessThan, B, x, cg.fc(F, -746)), hi = cg.op(Op.FOrdGreaterThan, B, x, cg.fc(F, 710));
  const xc = cg.sel(F, lo, cg.fc(F, -746), cg.sel(F, hi, cg.fc(F, 710), cg.sel(F, cg.isNan(x), cg.fc(F, 0), x)));
  const k = cg.ext(GLSL.RoundEven, F, cg.fmul(F, xc, cg.fc(F, 1 / Math.LN2)));
  const r = cg.fsub(F, cg.fsub(F, xc, cg.fmul(F, k, cg.fc(F, LN2_HI))), cg.fmul(F, k, cg.fc(F, LN2_LO)));
  const p = poly(cg, F, r, EXP_C);
  // 2^k as two factors, each a normal f64, so that results near the range's ends are right.
  const ki = cg.op(Op.ConvertFToS, I, k);
  const k1 = cg.op(Op.ShiftRightArithmetic, I, ki, cg.i32(1));
  const k2 = cg.op(Op.ISub, I, ki, k1);
  const v = cg.fmul(F, cg.fmul(F, p, pow2(cg, k1)), pow2(cg, k2));
  return cg.sel(F, cg.isNan(x), x, cg.sel(F, lo, cg.fc(F, 0), cg.sel(F, hi, cg.fc(F, Infinity), v)));
}

function log64(cg: Cg, x: number): number {
  const F = cg.tF64, I = cg.tI32, B = cg.tBool;
  const v2 = cg.m.typeVector(I, 2);
  // Subnormal inputs are scaled into the normal range first.
  const sub = cg.op(Op.FOrdLessThan, B, x, cg.fc(F, 2.2250738585072014e-308));
  const xs = cg.sel(F, sub, cg.fmul(F, x, cg.fc(F, 2 ** 54)), x);
  const words = cg.op(Op.Bitcast, v2, xs);
  const w0 = cg.op(Op.CompositeExtract, I, words, 0), w1 = cg.op(Op.CompositeExtract, I, words, 1);
  const e0 = cg.op(Op.ISub, I, cg.op(Op.BitwiseAnd, I, cg.op(Op.ShiftRightLogical, I, w1, cg.i32(20)), cg.i32(0x7ff)), cg.i32(1023));
  const e1 = cg.op(Op.ISub, I, e0, cg.sel(I, sub, cg.i32(54), cg.i32(0)));
  const mhi = cg.op(Op.BitwiseOr, I, cg.op(Op.BitwiseAnd, I, w1, cg.i32(0x000fffff)), cg.i32(0x3ff00000));
  const m0 = cg.op(Op.Bitcast, F, cg.op(Op.CompositeConstruct, v2, w0, mhi)); // in [1, 2)
  const big = cg.op(Op.FOrdGreaterThan, B, m0, cg.fc(F, Math.SQRT2));
  const m = cg.sel(F, big, cg.fmul(F, m0, cg.fc(F, 0.5)), m0);
  const e = cg.op(Op.ConvertSToF, F, cg.op(Op.IAdd, I, e1, cg.sel(I, big, cg.i32(1), cg.i32(0))));
  const f = cg.fsub(F, m, cg.fc(F, 1));
  const s = cg.fdiv(F, f, cg.fadd(F, cg.fc(F, 2), f));
  const series = cg.fmul(F, cg.fmul(F, cg.fc(F, 2), s), poly(cg, F, cg.fmul(F, s, s), LOG_C));
  const v = cg.fadd(F, cg.fmul(F, e, cg.fc(F, LN2_HI)), cg.fadd(F, cg.fmul(F, e, cg.fc(F, LN2_LO)), series));
  const special = cg.sel(F, cg.op(Op.FOrdEqual, B, x, cg.fc(F, 0)), cg.fc(F, -Infinity),
    cg.sel(F, cg.op(Op.FOrdLessThan, B, x, cg.fc(F, 0)), cg.fc(F, NaN), x)); // x ≤ 0, +inf or NaN
  const regular = cg.and(cg.op(Op.FOrdGreaterThan, B, x, cg.fc(F, 0)), cg.op(Op.FOrdLessThan, B, x, cg.fc(F, Infinity)));
  return cg.sel(F, regular, v, special);
}

function sinCos64(cg: Cg, x: number, wantCos: boolean): number {
  const F = cg.tF64, I = cg.tI32, B = cg.tBool;
  const finite = cg.op(Op.FOrdLessThan, B, cg.fabs(F, x), cg.fc(F, Infinity));
  const xf = cg.sel(F, finite, x, cg.fc(F, 0));
  const kf = cg.ext(GLSL.RoundEven, F, cg.fmul(F, xf, cg.fc(F, 2 / Math.PI)));
  const kc = cg.sel(F, cg.op(Op.FOrdGreaterThan, B, cg.fabs(F, kf), cg.fc(F, 2 ** 30)), cg.fc(F, 0), kf);
  let r = cg.fsub(F, xf, cg.fmul(F, kc, cg.fc(F, PIO2_1)));
  r = cg.fsub(F, r, cg.fmul(F, kc, cg.fc(F, PIO2_2)));
  r = cg.fsub(F, r, cg.fmul(F, kc, cg.fc(F, PIO2_3)));
  const z = cg.fmul(F, r, r);
  const s = cg.fmul(F, r, poly(cg, F, z, SIN_C));
  const c = poly(cg, F, z, COS_C);
  const q = cg.op(Op.BitwiseAnd, I, cg.op(Op.IAdd, I, cg.op(Op.ConvertFToS, I, kc), cg.i32(wantCos ? 1 : 0)), cg.i32(3));
  // sin(r + qπ/2) for q = 0..3: sin, cos, -sin, -cos (cos x = sin(x + π/2)).
  const is = (v: number) => cg.op(Op.IEqual, B, q, cg.i32(v));
  const v = cg.sel(F, is(0), s, cg.sel(F, is(1), c, cg.sel(F, is(2), cg.op(Op.FNegate, F, s), cg.op(Op.FNegate, F, c))));
  return cg.sel(F, finite, v, cg.fc(F, NaN));
}

function exp(cg: Cg, ft: number, x: number): number {
  return ft === cg.tF32 ? cg.ext(GLSL.Exp, ft, x) : exp64(cg, x);
}

/** log(1 + f) = 2s · L(s²), s = f / (2 + f), in f32 for |f| < 0.3 (|s| < 0.18, 6 terms). */
function log1pSeries(cg: Cg, ft: number, f: number): number {
  const s = cg.fdiv(ft, f, cg.fadd(ft, cg.fc(ft, 2), f));
  return cg.fmul(ft, cg.fmul(ft, cg.fc(ft, 2), s), poly(cg, ft, cg.fmul(ft, s, s), LOG_C.slice(0, 6)));
}

/** f32: GLSL's log, except near 1 where its absolute error (allowed up to 2^-21) is large
 * relative to the result: there the series of log1p on x - 1 (exact there). */
function log(cg: Cg, ft: number, x: number): number {
  if (ft !== cg.tF32) return log64(cg, x);
  const f = cg.fsub(ft, x, cg.fc(ft, 1));
  const near1 = cg.op(Op.FOrdLessThan, cg.tBool, cg.fabs(ft, f), cg.fc(ft, 0.3));
  return cg.sel(ft, near1, log1pSeries(cg, ft, f), cg.ext(GLSL.Log, ft, x));
}

/** expm1 on |x| < 0.35 (Taylor to x^9, in f32 within about 1 ulp): x + x²(1/2 + x(1/6 + ...)). */
const EXPM1_C = Array.from({ length: 8 }, (_, i) => 1 / FACT[i + 2]!);

/** e^x - 1: by Kahan's correction (u - 1) · x / log u (exact near 0 with an accurate exp and
 * log, as f64's here); f32 takes a polynomial near 0, where the driver's exp and log are not
 * accurate enough for the correction. */
function expm1(cg: Cg, ft: number, x: number): number {
  const B = cg.tBool;
  const u = exp(cg, ft, x);
  const um1 = cg.fsub(ft, u, cg.fc(ft, 1));
  const r = cg.fdiv(ft, cg.fmul(ft, um1, x), log(cg, ft, u));
  const one = cg.op(Op.FOrdEqual, B, u, cg.fc(ft, 1));
  const minus1 = cg.op(Op.FOrdEqual, B, um1, cg.fc(ft, -1));
  const inf = cg.op(Op.FOrdEqual, B, u, cg.fc(ft, Infinity));
  const kahan = cg.sel(ft, one, x, cg.sel(ft, minus1, cg.fc(ft, -1), cg.sel(ft, inf, u, r)));
  if (ft !== cg.tF32) return kahan;
  const small = cg.fadd(ft, x, cg.fmul(ft, cg.fmul(ft, x, x), poly(cg, ft, x, EXPM1_C)));
  const near0 = cg.op(Op.FOrdLessThan, B, cg.fabs(ft, x), cg.fc(ft, 0.35));
  return cg.sel(ft, near0, small, cg.sel(ft, cg.op(Op.FOrdGreaterThan, B, cg.fabs(ft, x), cg.fc(ft, 0.35)), um1, kahan));
}

/** log(1 + x) by Kahan's correction log(u) · x / (u - 1), exact near 0 (f32: the series there). */
function log1p(cg: Cg, ft: number, x: number): number {
  const B = cg.tBool;
  if (ft === cg.tF32) {
    const near0 = cg.op(Op.FOrdLessThan, B, cg.fabs(ft, x), cg.fc(ft, 0.3));
    return cg.sel(ft, near0, log1pSeries(cg, ft, x), log1pKahan(cg, ft, x));
  }
  return log1pKahan(cg, ft, x);
}

function log1pKahan(cg: Cg, ft: number, x: number): number {
  const B = cg.tBool;
  const u = cg.fadd(ft, cg.fc(ft, 1), x);
  const lu = log(cg, ft, u);
  const r = cg.fdiv(ft, cg.fmul(ft, lu, x), cg.fsub(ft, u, cg.fc(ft, 1)));
  const one = cg.op(Op.FOrdEqual, B, u, cg.fc(ft, 1));
  const inf = cg.op(Op.FOrdEqual, B, u, cg.fc(ft, Infinity));
  const zero = cg.op(Op.FOrdEqual, B, u, cg.fc(ft, 0));
  return cg.sel(ft, one, x, cg.sel(ft, cg.or(inf, zero), lu, r));
}

export function mathUnary(cg: Cg, op: UnaryOp, ft: number, x: number): number {
  const B = cg.tBool;
  switch (op) {
    case Primitive.Exp:
      return exp(cg, ft, x);
    case Primitive.Log:
      return log(cg, ft, x);
    case Primitive.Log1p:
      return log1p(cg, ft, x);
    case Primitive.Expm1:
      return expm1(cg, ft, x);
    case Primitive.Sin:
      return ft === cg.tF32 ? cg.ext(GLSL.Sin, ft, x) : sinCos64(cg, x, false);
    case Primitive.Cos:
      return ft === cg.tF32 ? cg.ext(GLSL.Cos, ft, x) : sinCos64(cg, x, true);
    case Primitive.Tanh: {
      // tanh |x| = -t / (2 + t) with t = expm1(-2|x|); the sign of x (±0 too) is put back.
      const t = expm1(cg, ft, cg.fmul(ft, cg.fc(ft, -2), cg.fabs(ft, x)));
      const r = cg.fdiv(ft, cg.op(Op.FNegate, ft, t), cg.fadd(ft, cg.fc(ft, 2), t));
      return cg.sel(ft, cg.signBit(ft, x), cg.op(Op.FNegate, ft, r), r);
    }
    case Primitive.Logistic: {
      // The interpreter's formula: 1 / (1 + e) for x ≥ 0, e / (1 + e) below, e = exp(-|x|).
      const e = exp(cg, ft, cg.op(Op.FNegate, ft, cg.fabs(ft, x)));
      const d = cg.fadd(ft, cg.fc(ft, 1), e);
      return cg.sel(ft, cg.op(Op.FOrdGreaterThanEqual, B, x, cg.fc(ft, 0)), cg.fdiv(ft, cg.fc(ft, 1), d), cg.fdiv(ft, e, d));
    }
    default:
      throw new SpirvError(`no SPIR-V lowering of ${op} as a transcendental function`);
  }
}

/** a ** b with JS's special values, and 1 when a = 1 or b = 0 (the interpreter's powF). */
function pow(cg: Cg, ft: number, a: number, b: number): number {
  const B = cg.tBool;
  const k = (v: number) => cg.fc(ft, v);
  const cmp = (op: number, x: number, y: number) => cg.op(op, B, x, y);
  const aa = cg.fabs(ft, a);
  const core = ft === cg.tF32 ? cg.ext(GLSL.Pow, ft, aa, b) : exp64(cg, cg.fmul(ft, b, log64(cg, aa)));
  const ab = cg.fabs(ft, b);
  const bInf = cmp(Op.FOrdEqual, ab, k(Infinity));
  const fb = cg.ext(GLSL.Floor, ft, b);
  const bInt = cg.and(cmp(Op.FOrdEqual, b, fb), cg.not(bInf));
  const half = cg.ext(GLSL.Floor, ft, cg.fmul(ft, b, k(0.5)));
  const bOdd = cg.and(bInt, cmp(Op.FOrdEqual, cg.fsub(ft, b, cg.fmul(ft, half, k(2))), k(1)));
  const bPos = cmp(Op.FOrdGreaterThan, b, k(0)), bNeg = cmp(Op.FOrdLessThan, b, k(0));
  const aZero = cmp(Op.FOrdEqual, aa, k(0)), aInf = cmp(Op.FOrdEqual, aa, k(Infinity));
  let mag = cg.sel(ft, aZero, cg.sel(ft, bPos, k(0), cg.sel(ft, bNeg, k(Infinity), k(1))), core);
  mag = cg.sel(ft, aInf, cg.sel(ft, bPos, k(Infinity), cg.sel(ft, bNeg, k(0), k(1))), mag);
  const grows = cg.op(Op.LogicalEqual, B, cmp(Op.FOrdGreaterThan, aa, k(1)), bPos);
  mag = cg.sel(ft, bInf, cg.sel(ft, cmp(Op.FOrdEqual, aa, k(1)), k(1), cg.sel(ft, grows, k(Infinity), k(0))), mag);
  let r = cg.sel(ft, cg.and(cg.signBit(ft, a), bOdd), cg.op(Op.FNegate, ft, mag), mag);
  const negBase = cg.and(cmp(Op.FOrdLessThan, a, k(0)), cg.not(aInf));
  r = cg.sel(ft, cg.and(negBase, cg.not(cg.or(bInt, bInf))), k(NaN), r);
  r = cg.sel(ft, cg.or(cg.isNan(a), cg.isNan(b)), k(NaN), r);
  return cg.sel(ft, cg.or(cmp(Op.FOrdEqual, a, k(1)), cmp(Op.FOrdEqual, b, k(0))), k(1), r);
}

export function mathBinary(cg: Cg, op: typeof Primitive.Pow, ft: number, a: number, b: number): number {
  if (op !== Primitive.Pow) throw new SpirvError(`no SPIR-V lowering of ${String(op)}`);
  return pow(cg, ft, a, b);
}
