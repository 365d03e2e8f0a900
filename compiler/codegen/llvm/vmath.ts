// Inline, branch-free f32 transcendental functions for the CPU code generator.
//
// LLVM 14 has no vector math library here, so `llvm.exp.f32` & co. and calls to tanhf / log1pf /
// expm1f stay scalar libm calls and stop the loop vectoriser. The emitters below build each
// function from instructions the vectoriser handles (fadd/fmul/fdiv, llvm.fmuladd, fcmp +
// select, bitcasts, integer ops, llvm.fabs/copysign/floor, fpext/fptrunc, and for huge sin/cos
// arguments one table load that becomes a gather), in the style of Cephes / SLEEF / glibc:
//
//   exp     x = n·ln2 + r (Cody–Waite, magic-number rounding), |r| ≤ ln2/2, exp(r) = 1 + r +
//           r²·P5(r); the result is scaled by 2^n as 2^(n>>1) · 2^(n-(n>>1)), so that results in
//           the subnormal range are rounded once (gradual underflow, no flush) and overflow
//           gives inf. x is clamped to [-104, 88.8] first (NaN passes through the clamps).
//   expm1   same reduction, expm1(r) = r + r²·P5(r), result 2^n·expm1(r) + (2^n - 1), exact
//           for n = 0 (so accurate near 0); clamped to [-18, 88.8] (below -18 the result is -1).
//   log     frexp by integer exponent bits with the mantissa m in [√½, √2) (musl's trick),
//           f = m - 1, log(1+f) = f - f²/2 + f³·P8(f), + e·ln2 in two parts; subnormal inputs
//           are scaled by 2^23 first.
//   log1p   u = 1 + x rounded, log1p(x) = log(u) + c/u with c = (1 + x) - u computed exactly
//           (x - (u-1), or 1 - (u-x) for x ≥ 1) — accurate near 0 and everywhere else.
//   tanh    |x| < 0.625: x + x³·P4(x²); else 1 - 2/(exp(2|x|) + 1) with |x| clamped to 10;
//           sign by copysign (so tanh(±0) = ±0, tanh(±inf) = ±1).
//   logistic  e = exp(-|x|), (x ≥ 0 ? 1 : e) / (1 + e): the interpreter's formula.
//   sin/cos computed in double and rounded once to f32: |x| < 2^16 reduces by Cody–Waite with
//           π/2 in three 33-bit parts (exact products, error far below f32 needs); larger
//           finite |x| by Payne–Hanek as glibc's sinf (the f32 mantissa times a 96-bit window of
//           2/π picked by the exponent from a 24-word table, 64-bit integer arithmetic), so
//           accuracy holds over the whole f32 range; polynomials of degree 9 (sin) and 10 (cos)
//           on [-π/4, π/4]. sin/cos(±inf) = NaN.
//   pow     the reference powF rules by selects (1 for x = 1 or y = 0, 1 for (-1)^±inf, NaN
//           for finite x < 0 and non-integer y, the sign for negative/-0 x and odd integer y),
//           magnitude exp(y·log|x|) computed in double (log by the atanh series, exp with a
//           degree-8 polynomial; relative error ~2^-37) and rounded once to f32.
//
// Accuracy, against Math.fround of the double-precision Math.* result (the interpreter's): max
// 1 ulp for exp, log, log1p, expm1, tanh, sin, cos and pow, 2 ulp for logistic, measured over
// every third f32 bit pattern (1.4e9 inputs per function; pow on 4M random and typical pairs)
// and checked by test/codegen/vmath.test.ts (dense ranges, random bit patterns, bounds of 2 ulp,
// 3 for logistic). Subnormal results are rounded, not flushed. sin/cos keep that accuracy up to
// FLT_MAX (no degradation for large arguments). Special values follow the interpreter
// (runtime/interp/elementwise.ts) exactly. f64 (and f16/bf16, computed in double) keep
// llvm.exp/log/sin/cos/pow and libm: these emitters are f32 only (a 1-ulp f64 version needs
// double-double steps that are not worth it here).
//
// Every polynomial is evaluated by Horner's rule with llvm.fmuladd, which llc fuses into FMA
// where the target has it (it does, with -mcpu=native on the machines we build for); the error
// analysis does not depend on the fusion (the Cody–Waite products are exact either way).
import llvm from 'llvm-bindings';
import type { ModuleCg } from './cg.ts';

// ---- coefficients (minimax fits, rounded to the evaluation format) ---------------------------

/** exp(r) = 1 + r + r²·P(r) on [-ln2/2, ln2/2], P in f32 (Cephes expf). */
const EXP_P = [5.0000001201e-1, 1.6666665459e-1, 4.1665795894e-2, 8.3334519073e-3, 1.3981999507e-3, 1.98756915e-4];
/** expm1(r) = r + r²·P(r) on [-ln2/2, ln2/2], relative error 2^-32 before rounding. */
const EXPM1_P = [0.5, 0.1666666567325592, 0.041666362434625626, 0.008333389647305012, 0.0013940617209300399, 0.00019845877250190824];
/** log(1+f) = f - f²/2 + f³·P(f) on [√½-1, √2-1], relative error 2^-30 (Cephes logf form). */
const LOG_P = [
  0.3333331346511841, -0.25000008940696716, 0.2000211924314499, -0.1666799634695053, 0.14219552278518677,
  -0.1240558922290802, 0.11888162046670914, -0.11675652116537094, 0.06746640056371689,
];
/** tanh(x) = x + x³·P(x²) on [0, 0.625] (Cephes tanhf). */
const TANH_P = [-3.33332819422e-1, 1.33314422036e-1, -5.37397155531e-2, 2.06390887954e-2, -5.70498872745e-3];
/** sin(r) = r + r³·S(r²) on [0, π/4] in double, relative error 2^-37.5. */
const SIN_S = [-0.16666666640797054, 0.008333329304844653, -0.0001983931226999555, 2.718121632077318e-6];
/** cos(r) = 1 - r²/2 + r⁴·C(r²) on [0, π/4] in double, relative error 2^-42.9. */
const COS_C = [0.04166666661949214, -0.0013888883500140733, 2.4799460170990334e-5, -2.7205755519048563e-7];
/** log((1+s)/(1-s)) = 2s + s³·Q(s²) for |s| ≤ (√2-1)/(√2+1), double, relative error 2^-44.9. */
const LOG_Q = [0.6666666667576874, 0.3999999563281967, 0.28572107998187524, 0.2217623689456062, 0.19583462323798068];
/** exp(r) = 1 + r + r²·P(r) on [-ln2/2, ln2/2] in double, relative error 2^-39.7. */
const DEXP_P = [
  0.5000000000426811, 0.1666666678444209, 0.04166666440506267, 0.008333281808025884, 0.0013889197133073652,
  0.00019908938974753172, 2.4708287312222863e-5,
];

const LOG2E = 1.4426950408889634;
/** ln2 = LN2_HI + LN2_LO with LN2_HI = 355/512 (n·LN2_HI exact in f32 for |n| < 2^14). */
const LN2_HI_F = 0.693359375;
const LN2_LO_F = -2.12194440e-4;
/** ln2 split for double: LN2_HI_D has 32 significant bits (fdlibm). */
const LN2_HI_D = 0.6931471803691238;
const LN2_LO_D = 1.9082149292705877e-10;
/** π/2 = PIO2_1 + PIO2_2 + PIO2_3, the first two with 33 significant bits (fdlibm). */
const PIO2_1 = 1.5707963267341256;
const PIO2_2 = 6.077100506303966e-11;
const PIO2_3 = 2.0222662487959506e-21;
/** Below this |x| sin/cos use the Cody–Waite reduction (quotient < 2^16, products exact). */
const SINCOS_CW_MAX = 65536;
/** 2^-62 · π/2: the scale of the Payne–Hanek fixed-point remainder. */
const PI63 = (Math.PI / 2) * 2 ** -62;
/** Windows of the binary expansion of 2/π: entry i = floor(2/π · 2^(8i+8)) mod 2^32 (glibc's
 * __inv_pio4; test/codegen/vmath.test.ts recomputes it from π). */
export const INV_PIO4 = [
  0xa2, 0xa2f9, 0xa2f983, 0xa2f9836e, 0xf9836e4e, 0x836e4e44, 0x6e4e4415, 0x4e441529, 0x441529fc, 0x1529fc27,
  0x29fc2757, 0xfc2757d1, 0x2757d1f5, 0x57d1f534, 0xd1f534dd, 0xf534ddc0, 0x34ddc0db, 0xddc0db62, 0xc0db6295,
  0xdb629599, 0x6295993c, 0x95993c43, 0x993c4390, 0x3c439041,
] as const;
const F32_MAGIC = 12582912; // 1.5·2^23: x + MAGIC rounds x to an integer in the low mantissa bits
const F64_MAGIC = 6755399441055744; // 1.5·2^52
const SQRT_HALF_F32_BITS = 0x3f3504f3; // 0.70710677f

type FT = 'f32' | 'f64';

/** Instruction helpers over one builder; `t` picks float or double. */
class VB {
  constructor(
    readonly b: llvm.IRBuilder,
    readonly m: ModuleCg,
  ) {}

  ty(t: FT): llvm.Type {
    return t === 'f32' ? this.m.f32 : this.m.f64;
  }
  c(t: FT, v: number): llvm.Value {
    return this.m.constFP(this.ty(t), v);
  }
  i32(v: number): llvm.Value {
    return this.m.constI32(v);
  }
  i64(v: number): llvm.Value {
    return this.m.constI64(v);
  }
  /** The bits of a double constant as an i64 constant (values beyond 2^53 included). */
  bits64(v: number): llvm.Value {
    return this.b.CreateBitCast(this.c('f64', v), this.m.i64);
  }
  add(a: llvm.Value, c: llvm.Value): llvm.Value {
    return this.b.CreateFAdd(a, c);
  }
  sub(a: llvm.Value, c: llvm.Value): llvm.Value {
    return this.b.CreateFSub(a, c);
  }
  mul(a: llvm.Value, c: llvm.Value): llvm.Value {
    return this.b.CreateFMul(a, c);
  }
  div(a: llvm.Value, c: llvm.Value): llvm.Value {
    return this.b.CreateFDiv(a, c);
  }
  sel(c: llvm.Value, a: llvm.Value, x: llvm.Value): llvm.Value {
    return this.b.CreateSelect(c, a, x);
  }
  private intr(id: number, name: string, t: FT): llvm.Function {
    return this.m.intrinsic(id, [this.ty(t)], `${name}.${t}`);
  }
  /** a·c + d, fused where the target has FMA. */
  fma(t: FT, a: llvm.Value, c: llvm.Value, d: llvm.Value): llvm.Value {
    return this.b.CreateCall(this.intr(llvm.Intrinsic.fmuladd, 'fmuladd', t), [a, c, d]);
  }
  abs(t: FT, x: llvm.Value): llvm.Value {
    return this.b.CreateCall(this.intr(llvm.Intrinsic.fabs, 'fabs', t), [x]);
  }
  copysign(t: FT, mag: llvm.Value, sgn: llvm.Value): llvm.Value {
    return this.b.CreateCall(this.intr(llvm.Intrinsic.copysign, 'copysign', t), [mag, sgn]);
  }
  floor(t: FT, x: llvm.Value): llvm.Value {
    return this.b.CreateCall(this.intr(llvm.Intrinsic.floor, 'floor', t), [x]);
  }
  /** Horner: cs[0] + x·(cs[1] + x·(...)). */
  poly(t: FT, x: llvm.Value, cs: readonly number[]): llvm.Value {
    let acc = this.c(t, cs[cs.length - 1]!);
    for (let i = cs.length - 2; i >= 0; i--) acc = this.fma(t, acc, x, this.c(t, cs[i]!));
    return acc;
  }
  /** min(x, hi) and max(x, lo) that keep NaN (fcmp + select). */
  clampHi(t: FT, x: llvm.Value, hi: number): llvm.Value {
    return this.sel(this.b.CreateFCmpOGT(x, this.c(t, hi)), this.c(t, hi), x);
  }
  clampLo(t: FT, x: llvm.Value, lo: number): llvm.Value {
    return this.sel(this.b.CreateFCmpOLT(x, this.c(t, lo)), this.c(t, lo), x);
  }
  /** 2^k as a float for an i32 k in [-126, 127]. */
  pow2f(k: llvm.Value): llvm.Value {
    const b = this.b;
    return b.CreateBitCast(b.CreateShl(b.CreateAdd(k, this.i32(127)), this.i32(23)), this.m.f32);
  }
  /** 2^k as a double for an i64 k in [-1022, 1023]. */
  pow2d(k: llvm.Value): llvm.Value {
    const b = this.b;
    return b.CreateBitCast(b.CreateShl(b.CreateAdd(k, this.i64(1023)), this.i64(52)), this.m.f64);
  }

  /**
   * f32 exp reduction: x = n·ln2 + r with n = round(x·log2e) (an i32, from the bits of
   * x·log2e + 1.5·2^23, never an fptosi that NaN would make poison) and |r| ≤ ~ln2/2.
   */
  reduceExpF(x: llvm.Value): { n: llvm.Value; r: llvm.Value } {
    const b = this.b;
    const kf = this.fma('f32', x, this.c('f32', LOG2E), this.c('f32', F32_MAGIC));
    const n = b.CreateSub(b.CreateBitCast(kf, this.m.i32), this.i32(0x4b400000));
    const nf = this.sub(kf, this.c('f32', F32_MAGIC));
    let r = this.fma('f32', nf, this.c('f32', -LN2_HI_F), x);
    r = this.fma('f32', nf, this.c('f32', -LN2_LO_F), r);
    return { n, r };
  }

  /** exp(x) for x in [-104, 88.8] or NaN; `wide`: n may leave [-126, 127] (two-step scale). */
  expF(x: llvm.Value, wide: boolean): llvm.Value {
    const b = this.b;
    const { n, r } = this.reduceExpF(x);
    const r2 = this.mul(r, r);
    const y = this.add(this.c('f32', 1), this.fma('f32', this.poly('f32', r, EXP_P), r2, r));
    if (!wide) return this.mul(y, this.pow2f(n));
    const n1 = b.CreateAShr(n, this.i32(1));
    const n2 = b.CreateSub(n, n1);
    return this.mul(this.mul(y, this.pow2f(n1)), this.pow2f(n2));
  }

  /**
   * The parts of log(x) for a positive normal float x: log(x) = e·ln2 + f + tail where
   * m = x / 2^e in [√½, √2) and f = m - 1 (exact). `eAdj` is added to e (subnormal scaling).
   */
  logPartsF(x: llvm.Value, eAdj: llvm.Value | null): { e: llvm.Value; f: llvm.Value; z: llvm.Value; y: llvm.Value } {
    const b = this.b, m = this.m;
    const i = b.CreateSub(b.CreateBitCast(x, m.i32), this.i32(SQRT_HALF_F32_BITS));
    let ei = b.CreateAShr(i, this.i32(23));
    if (eAdj) ei = b.CreateAdd(ei, eAdj);
    const mant = b.CreateBitCast(b.CreateAdd(b.CreateAnd(i, this.i32(0x7fffff)), this.i32(SQRT_HALF_F32_BITS)), m.f32);
    const f = this.sub(mant, this.c('f32', 1));
    const z = this.mul(f, f);
    const y = this.mul(this.mul(f, z), this.poly('f32', f, LOG_P)); // f³·P(f)
    return { e: b.CreateSIToFP(ei, m.f32), f, z, y };
  }

  /** Cephes' final sum: e·ln2_hi + (f + (-f²/2 + (y + e·ln2_lo))). */
  logSumF(p: { e: llvm.Value; f: llvm.Value; z: llvm.Value; y: llvm.Value }, extra: llvm.Value | null): llvm.Value {
    let y = extra ? this.add(p.y, extra) : p.y;
    y = this.fma('f32', p.e, this.c('f32', LN2_LO_F), y);
    y = this.fma('f32', p.z, this.c('f32', -0.5), y);
    return this.fma('f32', p.e, this.c('f32', LN2_HI_F), this.add(p.f, y));
  }

  /** log of a positive finite double (normal), relative error ~2^-45. */
  logD(x: llvm.Value): llvm.Value {
    const b = this.b, m = this.m;
    const sqrtHalf = this.bits64(Math.SQRT1_2);
    const i = b.CreateSub(b.CreateBitCast(x, m.i64), sqrtHalf);
    const e = b.CreateSIToFP(b.CreateAShr(i, this.i64(52)), m.f64);
    const mant = b.CreateBitCast(b.CreateAdd(b.CreateAnd(i, this.i64(2 ** 52 - 1)), sqrtHalf), m.f64);
    const f = this.sub(mant, this.c('f64', 1));
    const s = this.div(f, this.add(this.c('f64', 2), f));
    const z = this.mul(s, s);
    const tail = this.mul(this.mul(s, z), this.poly('f64', z, LOG_Q));
    return this.fma('f64', e, this.c('f64', Math.LN2), this.fma('f64', s, this.c('f64', 2), tail));
  }

  /** exp of a double, clamped to [-200, 200] (enough for any f32 result), relative error ~2^-39. */
  expD(x: llvm.Value): llvm.Value {
    const b = this.b, m = this.m;
    const xc = this.clampHi('f64', this.clampLo('f64', x, -200), 200);
    const kd = this.fma('f64', xc, this.c('f64', LOG2E), this.c('f64', F64_MAGIC));
    const n = b.CreateSub(b.CreateBitCast(kd, m.i64), this.bits64(F64_MAGIC));
    const nd = this.sub(kd, this.c('f64', F64_MAGIC));
    let r = this.fma('f64', nd, this.c('f64', -LN2_HI_D), xc);
    r = this.fma('f64', nd, this.c('f64', -LN2_LO_D), r);
    const p = this.fma('f64', this.poly('f64', r, DEXP_P), this.mul(r, r), r);
    return this.mul(this.add(this.c('f64', 1), p), this.pow2d(n));
  }

  /** The [24 x i32] table of 2/π windows, one per module. */
  invPio4(): llvm.Value {
    const m = this.m;
    const name = 'kiln.vmath.inv_pio4';
    const found = m.module.getGlobalVariable(name, true);
    const arrTy = llvm.ArrayType.get(m.i32, INV_PIO4.length);
    const gv =
      found ??
      new llvm.GlobalVariable(
        m.module,
        arrTy,
        true,
        llvm.GlobalValue.LinkageTypes.PrivateLinkage,
        llvm.ConstantArray.get(arrTy, INV_PIO4.map((v) => llvm.ConstantInt.get(m.i32, v | 0, true))),
        name,
      );
    return this.b.CreateBitCast(gv, llvm.PointerType.getUnqual(m.i32));
  }

  /**
   * sin (cos: `cos` true) of an f32, computed in double, rounded to f32. Reduction of a = |x|:
   * a = j·π/2 + r, |r| ≤ π/4 (about), by Cody–Waite below SINCOS_CW_MAX, else Payne–Hanek.
   */
  sinCosF(x: llvm.Value, cos: boolean): llvm.Value {
    const b = this.b, m = this.m;
    const a = this.abs('f32', x);
    const ad = b.CreateFPExt(a, m.f64);
    // Cody–Waite: j = round(a·2/π), r = a - j·π/2 with π/2 in three parts.
    const kd = this.fma('f64', ad, this.c('f64', 2 / Math.PI), this.c('f64', F64_MAGIC));
    const jSmall = b.CreateTrunc(b.CreateBitCast(kd, m.i64), m.i32);
    const jd = this.sub(kd, this.c('f64', F64_MAGIC));
    let rSmall = this.fma('f64', jd, this.c('f64', -PIO2_1), ad);
    rSmall = this.fma('f64', jd, this.c('f64', -PIO2_2), rSmall);
    rSmall = this.fma('f64', jd, this.c('f64', -PIO2_3), rSmall);
    // Payne–Hanek (glibc's reduce_large, valid for |x| ≥ 2): the 24-bit mantissa, shifted by
    // the exponent's low 3 bits, times three 32-bit windows of 2/π chosen by the exponent's
    // high bits gives a·2/π mod 4 as a 2.62 fixed-point number.
    const xi = b.CreateBitCast(a, m.i32);
    const idx = b.CreateAnd(b.CreateLShr(xi, this.i32(26)), this.i32(15));
    const shift = b.CreateAnd(b.CreateLShr(xi, this.i32(23)), this.i32(7));
    const mant = b.CreateShl(b.CreateOr(b.CreateAnd(xi, this.i32(0xffffff)), this.i32(0x800000)), shift);
    const tab = this.invPio4();
    const word = (k: number) => b.CreateLoad(m.i32, b.CreateInBoundsGEP(m.i32, tab, b.CreateZExt(b.CreateAdd(idx, this.i32(k)), m.i64)));
    const w0 = word(0), w1 = word(4), w2 = word(8);
    const mant64 = b.CreateZExt(mant, m.i64);
    const r0 = b.CreateZExt(b.CreateMul(mant, w0), m.i64); // low 32 bits only
    const r1 = b.CreateMul(mant64, b.CreateZExt(w1, m.i64));
    const r2 = b.CreateMul(mant64, b.CreateZExt(w2, m.i64));
    let res = b.CreateAdd(b.CreateOr(b.CreateLShr(r2, this.i64(32)), b.CreateShl(r0, this.i64(32))), r1);
    const nBig = b.CreateLShr(b.CreateAdd(res, this.i64(2 ** 61)), this.i64(62));
    res = b.CreateSub(res, b.CreateShl(nBig, this.i64(62)));
    const rBig = this.mul(b.CreateSIToFP(res, m.f64), this.c('f64', PI63));
    // Choose (inf and NaN take the Cody–Waite path, which gives NaN for them).
    const big = b.CreateAnd(b.CreateFCmpOGE(a, this.c('f32', SINCOS_CW_MAX)), b.CreateFCmpOLT(a, this.c('f32', Infinity)));
    const r = this.sel(big, rBig, rSmall);
    let q = this.sel(big, b.CreateTrunc(nBig, m.i32), jSmall);
    if (cos) q = b.CreateAdd(q, this.i32(1));
    const z = this.mul(r, r);
    const s = this.fma('f64', this.mul(r, z), this.poly('f64', z, SIN_S), r);
    const c = this.fma('f64', this.mul(z, z), this.poly('f64', z, COS_C), this.fma('f64', z, this.c('f64', -0.5), this.c('f64', 1)));
    const odd = b.CreateICmpNE(b.CreateAnd(q, this.i32(1)), this.i32(0));
    let neg = b.CreateICmpNE(b.CreateAnd(q, this.i32(2)), this.i32(0));
    if (!cos) neg = b.CreateXor(neg, b.CreateICmpSLT(b.CreateBitCast(x, m.i32), this.i32(0)));
    const v = b.CreateFPTrunc(this.sel(odd, c, s), m.f32);
    return this.sel(neg, b.CreateFNeg(v), v);
  }
}

// ---- public emitters (f32 in, f32 out) -----------------------------------------------------

/** e^x. exp(-inf) = 0, exp(inf) = inf, overflow to inf, gradual underflow, NaN → NaN. */
export function emitExpF32(b: llvm.IRBuilder, m: ModuleCg, x: llvm.Value): llvm.Value {
  const v = new VB(b, m);
  return v.expF(v.clampHi('f32', v.clampLo('f32', x, -104), 88.8), true);
}

/** e^x - 1, accurate near 0; expm1(±0) = ±0, expm1(-inf) = -1, expm1(inf) = inf. */
export function emitExpm1F32(b: llvm.IRBuilder, m: ModuleCg, x: llvm.Value): llvm.Value {
  const v = new VB(b, m);
  const xc = v.clampHi('f32', v.clampLo('f32', x, -18), 88.8);
  const { n, r } = v.reduceExpF(xc);
  const p = v.fma('f32', v.poly('f32', r, EXPM1_P), v.mul(r, r), r); // expm1(r)
  // 2^n·p + (2^n - 1) with n ≤ 127 in the scale; n = 128 doubles the result afterwards.
  const is128 = b.CreateICmpSGT(n, m.constI32(127));
  const nc = v.sel(is128, m.constI32(127), n);
  const s = v.pow2f(nc);
  const res = v.fma('f32', p, s, v.sub(s, v.c('f32', 1)));
  const out = v.sel(is128, v.mul(res, v.c('f32', 2)), res);
  return v.sel(b.CreateFCmpOEQ(x, v.c('f32', 0)), x, out);
}

/** Natural log. log(±0) = -inf, log(x < 0) = NaN, log(inf) = inf, NaN → NaN; subnormals exact. */
export function emitLogF32(b: llvm.IRBuilder, m: ModuleCg, x: llvm.Value): llvm.Value {
  const v = new VB(b, m);
  const subn = b.CreateFCmpOLT(x, v.c('f32', 2 ** -126));
  const xs = v.sel(subn, v.mul(x, v.c('f32', 2 ** 23)), x);
  const core = v.logSumF(v.logPartsF(xs, v.sel(subn, m.constI32(-23), m.constI32(0))), null);
  return special(v, x, core);
}

/** log of x for finite positive x (`core`), else -inf (±0), NaN (x < 0), x (inf, NaN). */
function special(v: VB, x: llvm.Value, core: llvm.Value): llvm.Value {
  const b = v.b;
  const ok = b.CreateAnd(b.CreateFCmpOGT(x, v.c('f32', 0)), b.CreateFCmpOLT(x, v.c('f32', Infinity)));
  const other = v.sel(b.CreateFCmpOEQ(x, v.c('f32', 0)), v.c('f32', -Infinity), v.sel(b.CreateFCmpOLT(x, v.c('f32', 0)), v.c('f32', NaN), x));
  return v.sel(ok, core, other);
}

/** log(1 + x), accurate near 0; log1p(±0) = ±0, log1p(-1) = -inf, x < -1 → NaN, inf → inf. */
export function emitLog1pF32(b: llvm.IRBuilder, m: ModuleCg, x: llvm.Value): llvm.Value {
  const v = new VB(b, m);
  const one = v.c('f32', 1);
  const u = v.add(one, x);
  // c = (1 + x) - u exactly: u - 1 is exact for u < 2, u - x for x ≥ 1 (both Sterbenz).
  const c = v.sel(b.CreateFCmpOGE(x, one), v.sub(one, v.sub(u, x)), v.sub(x, v.sub(u, one)));
  // u ≥ 2^-24 whenever it is positive (1 + x is exact near x = -1): never subnormal.
  const core = v.logSumF(v.logPartsF(u, null), v.div(c, u));
  const res = special(v, u, core);
  return v.sel(b.CreateFCmpOEQ(x, v.c('f32', 0)), x, res);
}

/** tanh; tanh(±0) = ±0, tanh(±inf) = ±1, NaN → NaN. */
export function emitTanhF32(b: llvm.IRBuilder, m: ModuleCg, x: llvm.Value): llvm.Value {
  const v = new VB(b, m);
  const a = v.abs('f32', x);
  const z = v.mul(a, a);
  const small = v.fma('f32', v.mul(a, z), v.poly('f32', z, TANH_P), a);
  const a2 = v.mul(v.clampHi('f32', a, 10), v.c('f32', 2)); // [1.25, 20]: no over/underflow
  const e = v.expF(a2, false);
  const large = v.sub(v.c('f32', 1), v.div(v.c('f32', 2), v.add(e, v.c('f32', 1))));
  const res = v.sel(b.CreateFCmpOLT(a, v.c('f32', 0.625)), small, large);
  return v.copysign('f32', res, x);
}

/** 1/(1+e^-x) as the interpreter computes it: e = exp(-|x|), (x ≥ 0 ? 1 : e) / (1 + e). */
export function emitLogisticF32(b: llvm.IRBuilder, m: ModuleCg, x: llvm.Value): llvm.Value {
  const v = new VB(b, m);
  const na = b.CreateFNeg(v.abs('f32', x));
  const e = v.expF(v.clampLo('f32', na, -104), true); // na ≤ 0: no overflow clamp needed
  const num = v.sel(b.CreateFCmpOGE(x, v.c('f32', 0)), v.c('f32', 1), e);
  return v.div(num, v.add(v.c('f32', 1), e));
}

/** sin, accurate over the whole f32 range; sin(±0) = ±0, sin(±inf) = NaN. */
export function emitSinF32(b: llvm.IRBuilder, m: ModuleCg, x: llvm.Value): llvm.Value {
  return new VB(b, m).sinCosF(x, false);
}

/** cos, accurate over the whole f32 range; cos(±inf) = NaN. */
export function emitCosF32(b: llvm.IRBuilder, m: ModuleCg, x: llvm.Value): llvm.Value {
  return new VB(b, m).sinCosF(x, true);
}

/** x^y with the rules of the interpreter's powF (runtime/interp/elementwise.ts). */
export function emitPowF32(b: llvm.IRBuilder, m: ModuleCg, x: llvm.Value, y: llvm.Value): llvm.Value {
  const v = new VB(b, m);
  const f = (n: number) => v.c('f32', n);
  const ax = v.abs('f32', x);
  // log|x| in double: finite positive via logD, else -inf (0), inf (inf), NaN (NaN).
  const axd = b.CreateFPExt(ax, m.f64);
  const finite = b.CreateAnd(b.CreateFCmpOGT(ax, f(0)), b.CreateFCmpOLT(ax, f(Infinity)));
  const other = b.CreateFPExt(v.sel(b.CreateFCmpOEQ(ax, f(0)), f(-Infinity), ax), m.f64);
  const lg = v.sel(finite, v.logD(axd), other);
  const mag = b.CreateFPTrunc(v.expD(v.mul(b.CreateFPExt(y, m.f64), lg)), m.f32);
  // y integer (±inf counts as even integers), y odd (|y| ≥ 2^24 is even).
  const ay = v.abs('f32', y);
  const yInt = b.CreateFCmpOEQ(v.floor('f32', y), y);
  const yc = v.sel(b.CreateFCmpOLT(ay, f(2 ** 24)), y, f(0));
  const yOdd = b.CreateAnd(yInt, b.CreateICmpNE(b.CreateAnd(b.CreateFPToSI(yc, m.i32), m.constI32(1)), m.constI32(0)));
  const xSign = b.CreateICmpSLT(b.CreateBitCast(x, m.i32), m.constI32(0));
  let r = v.sel(b.CreateAnd(xSign, yOdd), b.CreateFNeg(mag), mag);
  const negFinite = b.CreateAnd(b.CreateFCmpOLT(x, f(0)), b.CreateFCmpOGT(x, f(-Infinity)));
  r = v.sel(b.CreateAnd(negFinite, b.CreateNot(yInt)), f(NaN), r);
  r = v.sel(b.CreateOr(b.CreateFCmpOEQ(x, f(1)), b.CreateFCmpOEQ(y, f(0))), f(1), r);
  return v.sel(b.CreateAnd(b.CreateFCmpOEQ(x, f(-1)), b.CreateFCmpOEQ(ay, f(Infinity))), f(1), r);
}
