// Scalar semantics of the loop IR in SPIR-V instructions, matching the interpreter
// (compiler/lower/interpret.ts): exact where it is exact (integer arithmetic, comparisons,
// casts, rounding, threefry), within the op tests' tolerances for transcendentals.
//   - f32 arithmetic in 32-bit floats with NoContraction (no fused multiply-add); f16 and bf16
//     are computed in f32 and rounded to their format after every operation (`narrow`, by
//     integer operations on the bits: exact, as f32 holds every f16 / bf16 value and the
//     double rounding of one +, -, ×, / through f32 is innocuous); f64 in 64-bit floats;
//   - i32 wraps; div truncates with x/0 = 0 and MIN/-1 = MIN; idiv/imod round toward minus
//     infinity (by 0: 0); pow by squaring; shifts outside [0, 31] give 0;
//   - max/min propagate NaN and order -0 < +0; comparisons are false with NaN except `ne`;
//   - convert: float → int truncates with NaN → 0, saturating; → bool is x != 0 (NaN → true);
//     round is half to even;
//   - transcendentals: see math.ts.
import { roundBF16, roundF16 } from '../../ir/numeric.ts';
import { Primitive, type UnaryOp } from '../../ir/primitives.ts';
import type { BinaryFn, ScalarType } from '../../lower/loop-ir.ts';
import { SpirvError } from './builder.ts';
import type { Cg } from './cg.ts';
import { mathBinary, mathUnary } from './math.ts';
import { GLSL, Op } from './spec.ts';

const I32_MIN = -2147483648;
const I32_MAX = 2147483647;
/** Threefry-2x32 rotation amounts and key-schedule parity (runtime/interp/random.ts). */
const ROT = [13, 15, 26, 6, 17, 29, 16, 24] as const;
const PARITY = 0x1bd11bda;

export type FloatT = 'f32' | 'f64' | 'f16' | 'bf16';
export const isFloatT = (t: ScalarType): t is FloatT => t === 'f32' || t === 'f64' || t === 'f16' || t === 'bf16';
const isNarrow = (t: ScalarType): t is 'f16' | 'bf16' => t === 'f16' || t === 'bf16';

export function constant(cg: Cg, t: ScalarType, v: number): number {
  switch (t) {
    case 'f32':
      return cg.m.constF32(v);
    case 'f16':
      return cg.m.constF32(roundF16(v));
    case 'bf16':
      return cg.m.constF32(roundBF16(v));
    case 'f64':
      return cg.m.constF64(v);
    case 'i32':
      return cg.i32(v !== v ? 0 : v >= I32_MAX ? I32_MAX : v <= I32_MIN ? I32_MIN : v | 0);
    case 'index':
      if (!Number.isInteger(v) || v > I32_MAX || v < I32_MIN) throw new SpirvError(`index constant ${v} does not fit 32 bits`);
      return cg.i32(v);
    case 'bool':
      return cg.bool(v !== 0);
    default:
      return t satisfies never;
  }
}

/**
 * Rounds an f32 to f16 or bf16 (nearest, ties to even, overflow to ±inf, NaN kept), exactly
 * as numeric.ts's roundF16 / roundBF16 round that f32 value.
 */
export function narrow(cg: Cg, x: number, d: 'f16' | 'bf16'): number {
  const I = cg.tI32, F = cg.tF32;
  const bits = cg.op(Op.Bitcast, I, x);
  const nan = cg.isNan(x);
  if (d === 'bf16') {
    // Add half an ulp of bf16 (minus one when the kept lsb is even) and truncate the low 16 bits.
    const lsb = cg.op(Op.BitwiseAnd, I, cg.op(Op.ShiftRightLogical, I, bits, cg.i32(16)), cg.i32(1));
    const r = cg.op(Op.BitwiseAnd, I, cg.op(Op.IAdd, I, cg.op(Op.IAdd, I, bits, cg.i32(0x7fff)), lsb), cg.i32(0xffff0000 | 0));
    return cg.sel(F, nan, x, cg.op(Op.Bitcast, F, r));
  }
  // f16: normal results keep 10 of the 23 mantissa bits (the same bias trick on |x|);
  // subnormal ones (|x| < 2^-14) are multiples of 2^-24: roundeven(|x| · 2^24) · 2^-24.
  const abits = cg.op(Op.BitwiseAnd, I, bits, cg.i32(0x7fffffff));
  const a = cg.op(Op.Bitcast, F, abits);
  const lsb = cg.op(Op.BitwiseAnd, I, cg.op(Op.ShiftRightLogical, I, abits, cg.i32(13)), cg.i32(1));
  const nrm = cg.op(Op.Bitcast, F, cg.op(Op.BitwiseAnd, I, cg.op(Op.IAdd, I, cg.op(Op.IAdd, I, abits, cg.i32(0xfff)), lsb), cg.i32(~0x1fff)));
  const sub = cg.fmul(F, cg.ext(GLSL.RoundEven, F, cg.fmul(F, a, cg.m.constF32(2 ** 24))), cg.m.constF32(2 ** -24));
  let mag = cg.sel(F, cg.op(Op.FOrdLessThan, cg.tBool, a, cg.m.constF32(2 ** -14)), sub, nrm);
  mag = cg.sel(F, cg.op(Op.FOrdGreaterThan, cg.tBool, mag, cg.m.constF32(65504)), cg.m.constF32(Infinity), mag);
  const sign = cg.op(Op.BitwiseAnd, I, bits, cg.i32(I32_MIN));
  const r = cg.op(Op.Bitcast, F, cg.op(Op.BitwiseOr, I, cg.op(Op.Bitcast, I, mag), sign));
  return cg.sel(F, nan, x, r);
}

/** Rounds a computed float result to its dtype (no-op for f32 / f64). */
export function round(cg: Cg, t: ScalarType, x: number): number {
  return isNarrow(t) ? narrow(cg, x, t) : x;
}

/** NaN-propagating max / min with -0 < +0 (Math.max / Math.min). */
function fminmax(cg: Cg, ft: number, a: number, b: number, isMax: boolean): number {
  const B = cg.tBool;
  const pick = cg.op(isMax ? Op.FOrdGreaterThan : Op.FOrdLessThan, B, a, b);
  const other = cg.op(isMax ? Op.FOrdLessThan : Op.FOrdGreaterThan, B, a, b);
  // Equal operands differ only as ±0: max prefers the one without the sign bit, min the other.
  const aNeg = cg.signBit(ft, a);
  const tie = isMax ? cg.sel(ft, aNeg, b, a) : cg.sel(ft, aNeg, a, b);
  const r = cg.sel(ft, pick, a, cg.sel(ft, other, b, tie));
  return cg.sel(ft, cg.or(cg.isNan(a), cg.isNan(b)), cg.fadd(ft, a, b), r);
}

export function unary(cg: Cg, op: UnaryOp, t: ScalarType, x: number): number {
  const B = cg.tBool;
  if (isFloatT(t)) {
    const ft = cg.reg(t);
    const zero = cg.fc(ft, 0);
    switch (op) {
      case Primitive.Neg:
        return cg.op(Op.FNegate, ft, x);
      case Primitive.Abs:
        return cg.fabs(ft, x);
      case Primitive.Sign:
        return cg.sel(ft, cg.op(Op.FOrdGreaterThan, B, x, zero), cg.fc(ft, 1), cg.sel(ft, cg.op(Op.FOrdLessThan, B, x, zero), cg.fc(ft, -1), x));
      case Primitive.Floor:
        return cg.ext(GLSL.Floor, ft, x);
      case Primitive.Ceil:
        return cg.ext(GLSL.Ceil, ft, x);
      case Primitive.Round:
        return cg.ext(GLSL.RoundEven, ft, x);
      case Primitive.Sqrt:
        return round(cg, t, cg.ext(GLSL.Sqrt, ft, x));
      case Primitive.Rsqrt:
        return round(cg, t, cg.fdiv(ft, cg.fc(ft, 1), cg.ext(GLSL.Sqrt, ft, x)));
      case Primitive.Exp:
      case Primitive.Log:
      case Primitive.Log1p:
      case Primitive.Expm1:
      case Primitive.Sin:
      case Primitive.Cos:
      case Primitive.Tanh:
      case Primitive.Logistic:
        return round(cg, t, mathUnary(cg, op, ft, x));
      case Primitive.Not:
        throw new SpirvError(`not on ${t}`);
      default:
        return op satisfies never;
    }
  }
  if (t === 'bool') {
    if (op === Primitive.Not) return cg.not(x);
    throw new SpirvError(`${op} on bool`);
  }
  const I = cg.tI32;
  switch (op) {
    case Primitive.Neg:
      return cg.op(Op.SNegate, I, x);
    case Primitive.Abs:
      return cg.sel(I, cg.op(Op.SLessThan, B, x, cg.i32(0)), cg.op(Op.SNegate, I, x), x);
    case Primitive.Sign:
      return cg.sel(I, cg.op(Op.SGreaterThan, B, x, cg.i32(0)), cg.i32(1), cg.sel(I, cg.op(Op.SLessThan, B, x, cg.i32(0)), cg.i32(-1), cg.i32(0)));
    case Primitive.Not:
      return cg.op(Op.Not, I, x);
    default:
      throw new SpirvError(`${op} on ${t}`);
  }
}

const FLOAT_CMP: Partial<Record<string, number>> = {
  [Primitive.Eq]: Op.FOrdEqual, [Primitive.Ne]: Op.FUnordNotEqual, [Primitive.Lt]: Op.FOrdLessThan,
  [Primitive.Le]: Op.FOrdLessThanEqual, [Primitive.Gt]: Op.FOrdGreaterThan, [Primitive.Ge]: Op.FOrdGreaterThanEqual,
};
const INT_CMP: Partial<Record<string, number>> = {
  [Primitive.Eq]: Op.IEqual, [Primitive.Ne]: Op.INotEqual, [Primitive.Lt]: Op.SLessThan,
  [Primitive.Le]: Op.SLessThanEqual, [Primitive.Gt]: Op.SGreaterThan, [Primitive.Ge]: Op.SGreaterThanEqual,
};

/** A constant that drivers fold without IEEE care (lavapipe turns x·0 into 0 even for NaN and
 * x/0 into garbage, whatever the float controls say): ±0, ±inf, NaN. */
const special = (v: number | undefined): v is number => v !== undefined && (v === 0 || !Number.isFinite(v));
const negative = (v: number) => v < 0 || Object.is(v, -0);

/**
 * a op b for f32/f64 register values where one operand is one of the special constants `ka`
 * or `kb`: the IEEE result spelled out with selects, so that nothing is left to fold.
 */
function floatWithSpecial(cg: Cg, op: typeof Primitive.Add | typeof Primitive.Sub | typeof Primitive.Mul | typeof Primitive.Div, ft: number, a: number, b: number, ka: number | undefined, kb: number | undefined): number | null {
  const B = cg.tBool;
  const k = (v: number) => cg.fc(ft, v);
  const nan = k(NaN);
  const isInf = (x: number) => cg.op(Op.IsInf, B, x);
  const isZero = (x: number) => cg.op(Op.FOrdEqual, B, x, k(0));
  /** ±m with the sign negative when `neg`. */
  const signed = (m: number, neg: number) => cg.sel(ft, neg, k(-m), k(m));
  /** The sign of a product or quotient of x and a constant c. */
  const signWith = (x: number, c: number) => (negative(c) ? cg.not(cg.signBit(ft, x)) : cg.signBit(ft, x));
  if (op === Primitive.Mul) {
    const [x, c] = special(kb) ? [a, kb] : special(ka) ? [b, ka] : [0, undefined];
    if (c === undefined) return null;
    if (Number.isNaN(c)) return nan;
    const bad = c === 0 ? cg.or(cg.isNan(x), isInf(x)) : cg.or(cg.isNan(x), isZero(x));
    return cg.sel(ft, bad, nan, signed(c === 0 ? 0 : Infinity, signWith(x, c)));
  }
  if (op === Primitive.Div) {
    if (special(kb)) {
      if (Number.isNaN(kb)) return nan;
      const bad = kb === 0 ? cg.or(cg.isNan(a), isZero(a)) : cg.or(cg.isNan(a), isInf(a));
      return cg.sel(ft, bad, nan, signed(kb === 0 ? Infinity : 0, signWith(a, kb)));
    }
    if (special(ka)) {
      if (Number.isNaN(ka)) return nan;
      const bad = ka === 0 ? cg.or(cg.isNan(b), isZero(b)) : cg.or(cg.isNan(b), isInf(b));
      return cg.sel(ft, bad, nan, signed(ka === 0 ? 0 : Infinity, signWith(b, ka)));
    }
    return null;
  }
  // x + c and x - c (as x + (-c)), c - x (as -x + c)
  let x: number, c: number;
  if (special(kb)) [x, c] = [a, op === Primitive.Sub ? -kb : kb];
  else if (special(ka)) [x, c] = [op === Primitive.Sub ? cg.op(Op.FNegate, ft, b) : b, ka];
  else return null;
  if (Number.isNaN(c)) return nan;
  if (c === 0) return negative(c) ? x : cg.sel(ft, isZero(x), k(0), x); // -0 + +0 = +0
  return cg.sel(ft, cg.or(cg.isNan(x), cg.op(Op.FOrdEqual, B, x, k(-c))), nan, k(c));
}

/**
 * `a op b` with operands of type t (comparisons give bool). `ka` / `kb`: the operands' values
 * when they are constants (special float constants get exact IEEE handling).
 */
export function binary(cg: Cg, op: BinaryFn, t: ScalarType, a: number, b: number, ka?: number, kb?: number): number {
  const B = cg.tBool;
  if (isFloatT(t)) {
    const ft = cg.reg(t);
    const cmp = FLOAT_CMP[op];
    if (cmp !== undefined) return cg.op(cmp, B, a, b);
    if ((op === Primitive.Add || op === Primitive.Sub || op === Primitive.Mul || op === Primitive.Div) && (special(ka) || special(kb))) {
      const r = floatWithSpecial(cg, op, ft, a, b, ka, kb);
      if (r !== null) return round(cg, t, r);
    }
    switch (op) {
      case Primitive.Add:
        return round(cg, t, cg.fadd(ft, a, b));
      case Primitive.Sub:
        return round(cg, t, cg.fsub(ft, a, b));
      case Primitive.Mul:
        return round(cg, t, cg.fmul(ft, a, b));
      case Primitive.Div:
        return round(cg, t, cg.fdiv(ft, a, b));
      case Primitive.Pow:
        return round(cg, t, mathBinary(cg, op, ft, a, b));
      case Primitive.Max:
        return fminmax(cg, ft, a, b, true);
      case Primitive.Min:
        return fminmax(cg, ft, a, b, false);
      default:
        throw new SpirvError(`${op} on ${t}`);
    }
  }
  if (t === 'bool') {
    switch (op) {
      case Primitive.Max:
      case Primitive.Or:
        return cg.or(a, b);
      case Primitive.Min:
      case Primitive.And:
        return cg.and(a, b);
      case Primitive.Xor:
      case Primitive.Ne:
        return cg.op(Op.LogicalNotEqual, B, a, b);
      case Primitive.Eq:
        return cg.op(Op.LogicalEqual, B, a, b);
      // false < true, as 0 < 1
      case Primitive.Lt:
        return cg.and(cg.not(a), b);
      case Primitive.Le:
        return cg.or(cg.not(a), b);
      case Primitive.Gt:
        return cg.and(a, cg.not(b));
      case Primitive.Ge:
        return cg.or(a, cg.not(b));
      default:
        throw new SpirvError(`${op} on bool`);
    }
  }
  return intBinary(cg, op, t, a, b);
}

function intBinary(cg: Cg, op: BinaryFn, t: 'i32' | 'index', a: number, b: number): number {
  const I = cg.tI32, B = cg.tBool;
  const cmp = INT_CMP[op];
  if (cmp !== undefined) return cg.op(cmp, B, a, b);
  const k = (v: number) => cg.i32(v);
  switch (op) {
    case Primitive.Add:
      return cg.op(Op.IAdd, I, a, b);
    case Primitive.Sub:
      return cg.op(Op.ISub, I, a, b);
    case Primitive.Mul:
      return cg.op(Op.IMul, I, a, b);
    case Primitive.Div:
    case 'idiv':
    case 'imod': {
      // A zero divisor, and MIN / -1 (undefined in SPIR-V), divide by 1 instead.
      const zero = cg.op(Op.IEqual, B, b, k(0));
      const ovf = cg.and(cg.op(Op.IEqual, B, a, k(I32_MIN)), cg.op(Op.IEqual, B, b, k(-1)));
      const safe = cg.sel(I, cg.or(zero, ovf), k(1), b);
      const q = cg.op(Op.SDiv, I, a, safe);
      if (op === Primitive.Div) return cg.sel(I, zero, k(0), q);
      const r = cg.sel(I, ovf, k(0), cg.op(Op.SRem, I, a, safe));
      // r != 0 with the sign of r unlike the divisor's: floor steps q down and r up by b.
      const adjust = cg.and(cg.op(Op.INotEqual, B, r, k(0)), cg.op(Op.SLessThan, B, cg.op(Op.BitwiseXor, I, r, b), k(0)));
      if (op === 'idiv') return cg.sel(I, zero, k(0), cg.sel(I, adjust, cg.op(Op.ISub, I, q, k(1)), q));
      return cg.sel(I, zero, k(0), cg.sel(I, adjust, cg.op(Op.IAdd, I, r, b), r));
    }
    case Primitive.Pow:
      return powI32(cg, a, b);
    case Primitive.Max:
      return cg.sel(I, cg.op(Op.SGreaterThan, B, a, b), a, b);
    case Primitive.Min:
      return cg.sel(I, cg.op(Op.SLessThan, B, a, b), a, b);
    case Primitive.And:
      return cg.op(Op.BitwiseAnd, I, a, b);
    case Primitive.Or:
      return cg.op(Op.BitwiseOr, I, a, b);
    case Primitive.Xor:
      return cg.op(Op.BitwiseXor, I, a, b);
    case Primitive.ShiftLeft:
    case Primitive.ShiftRightLogical: {
      // Amounts outside [0, 32) give 0 (an unsigned compare catches negative ones too).
      const inRange = cg.op(Op.ULessThan, B, b, k(32));
      const s = cg.sel(I, inRange, b, k(0));
      const r = cg.op(op === Primitive.ShiftLeft ? Op.ShiftLeftLogical : Op.ShiftRightLogical, I, a, s);
      return cg.sel(I, inRange, r, k(0));
    }
    default:
      throw new SpirvError(`${op} on ${t}`);
  }
}

/** i32 pow as the interpreter's powI: square and multiply (wrapping); a negative exponent
 * gives 1 for a = 1, ±1 for a = -1 (by parity), else 0. */
function powI32(cg: Cg, a: number, e: number): number {
  const I = cg.tI32, B = cg.tBool;
  const r = cg.local(I, cg.i32(1)), base = cg.local(I, a), ex = cg.local(I, e);
  cg.loop(
    () => cg.op(Op.SGreaterThan, B, cg.load(I, ex), cg.i32(0)),
    () => {
      const x = cg.load(I, ex), bs = cg.load(I, base), rv = cg.load(I, r);
      const bit = cg.op(Op.INotEqual, B, cg.op(Op.BitwiseAnd, I, x, cg.i32(1)), cg.i32(0));
      cg.store(r, cg.sel(I, bit, cg.op(Op.IMul, I, rv, bs), rv));
      cg.store(base, cg.op(Op.IMul, I, bs, bs));
      cg.store(ex, cg.op(Op.ShiftRightLogical, I, x, cg.i32(1)));
    },
  );
  const pos = cg.load(I, r);
  const odd = cg.op(Op.INotEqual, B, cg.op(Op.BitwiseAnd, I, e, cg.i32(1)), cg.i32(0));
  const neg = cg.sel(I, cg.op(Op.IEqual, B, a, cg.i32(1)), cg.i32(1),
    cg.sel(I, cg.op(Op.IEqual, B, a, cg.i32(-1)), cg.sel(I, odd, cg.i32(-1), cg.i32(1)), cg.i32(0)));
  return cg.sel(I, cg.op(Op.SLessThan, B, e, cg.i32(0)), neg, pos);
}

/** `convert` from `from` to `to` (compiler/lower/interpret.ts's castFn). */
export function cast(cg: Cg, from: ScalarType, to: ScalarType, x: number): number {
  const B = cg.tBool, I = cg.tI32;
  if (from === to) return x;
  if (to === 'bool') {
    if (isFloatT(from)) return cg.op(Op.FUnordNotEqual, B, x, cg.fc(cg.reg(from), 0)); // NaN → true
    return cg.op(Op.INotEqual, B, x, cg.i32(0));
  }
  if (isFloatT(to)) {
    const ft = cg.reg(to);
    let v: number;
    if (isFloatT(from)) v = cg.reg(from) === ft ? x : cg.op(Op.FConvert, ft, x);
    else if (from === 'bool') v = cg.sel(ft, x, cg.fc(ft, 1), cg.fc(ft, 0));
    else v = cg.op(Op.ConvertSToF, ft, x);
    return round(cg, to, v);
  }
  // to i32 / index (both 32-bit here: index ↔ i32 is the identity)
  if (isFloatT(from)) {
    const ft = cg.reg(from);
    const big = cg.op(Op.FOrdGreaterThanEqual, B, x, cg.fc(ft, 2 ** 31));
    const small = cg.op(Op.FOrdLessThanEqual, B, x, cg.fc(ft, -(2 ** 31)));
    const safe = cg.sel(ft, cg.or(cg.or(big, small), cg.isNan(x)), cg.fc(ft, 0), x);
    const v = cg.op(Op.ConvertFToS, I, safe);
    return cg.sel(I, big, cg.i32(I32_MAX), cg.sel(I, small, cg.i32(I32_MIN), v));
  }
  if (from === 'bool') return cg.sel(I, x, cg.i32(1), cg.i32(0));
  return x;
}

/** Any integer-like value (i32, index, bool) as an i32 word. */
export function asWord(cg: Cg, t: ScalarType, x: number): number {
  if (t === 'i32' || t === 'index') return x;
  if (t === 'bool') return cg.sel(cg.tI32, x, cg.i32(1), cg.i32(0));
  throw new SpirvError(`threefry operand of type ${t} (expected i32 or index)`);
}

/** Word 0 of Threefry-2x32-20 with key (k0, k1) and counter (0, ctr), in wrapping i32. */
export function threefry(cg: Cg, k0: number, k1: number, ctr: number): number {
  const I = cg.tI32;
  const k = (v: number) => cg.i32(v);
  const add = (a: number, b: number) => cg.op(Op.IAdd, I, a, b);
  const ks = [k0, k1, cg.op(Op.BitwiseXor, I, cg.op(Op.BitwiseXor, I, k0, k1), k(PARITY))];
  let x0 = k0;
  let x1 = add(ctr, k1);
  for (let r = 0; r < 20; r++) {
    const rot = ROT[r & 7]!;
    x0 = add(x0, x1);
    const rl = cg.op(Op.BitwiseOr, I, cg.op(Op.ShiftLeftLogical, I, x1, k(rot)), cg.op(Op.ShiftRightLogical, I, x1, k(32 - rot)));
    x1 = cg.op(Op.BitwiseXor, I, rl, x0);
    if ((r & 3) === 3) {
      const s = (r + 1) >> 2;
      x0 = add(x0, ks[s % 3]!);
      x1 = add(add(x1, ks[(s + 1) % 3]!), k(s));
    }
  }
  return x0;
}
