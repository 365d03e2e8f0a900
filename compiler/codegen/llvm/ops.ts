// Scalar semantics of the loop IR in LLVM instructions, matching the interpreter (runtime/interp)
// bit for bit where the interpreter is exact, and within f32 rounding where it computes in
// double (transcendentals):
//   - f32 arithmetic in float, f64 in double; f16/bf16 are computed in double and rounded to
//     their format after every operation (as the interpreter rounds each result from double);
//   - i32 arithmetic wraps; i32 div truncates with x/0 = 0 and INT_MIN/-1 = INT_MIN (never a
//     trapping sdiv); idiv/imod round toward minus infinity (x idiv 0 = x imod 0 = 0);
//   - max/min propagate NaN and order -0 < +0 (Math.max/Math.min), via fcmp + select (llvm.maxnum
//     does not propagate NaN);
//   - convert: float→int truncates with NaN→0 and saturation (llvm.fptosi.sat), →bool is x != 0
//     (NaN→true), index→i32 wraps; round is half to even (llvm.roundeven);
//   - f32 exp, log, log1p, expm1, sin, cos, tanh, logistic and pow are inline, branch-free
//     polynomial approximations (./vmath.ts, within ~2 ulp, special values as the interpreter),
//     so loops using them vectorise; f64, f16 and bf16 (computed in double) use the llvm.exp /
//     llvm.log / llvm.sin / llvm.cos / llvm.pow intrinsics and libm (tanh, log1p, expm1);
//     logistic is 1/(1+e) or e/(1+e) with e = exp(-|x|), the interpreter's formula.
// No fast-math flags are set here (see emit.ts for the one place that uses `reassoc`).
import llvm from 'llvm-bindings';
import type { DType } from '../../ir/dtype.ts';
import { roundBF16, roundF16 } from '../../ir/numeric.ts';
import type { BinaryFn, ScalarType } from '../../lower/loop-ir.ts';
import { Primitive, type UnaryOp } from '../../ir/primitives.ts';
import { smax, smin, type ModuleCg } from './cg.ts';
import { CodegenError } from './errors.ts';
import { emitCosF32, emitExpF32, emitExpm1F32, emitLog1pF32, emitLogF32, emitLogisticF32, emitPowF32, emitSinF32, emitTanhF32 } from './vmath.ts';

const I32_MIN = -2147483648;
const I32_MAX = 2147483647;
/** Threefry-2x32 rotation amounts and key-schedule parity (runtime/interp/random.ts). */
const ROT = [13, 15, 26, 6, 17, 29, 16, 24] as const;
const PARITY = 0x1bd11bda;

export { CodegenError };

type FloatKind = 'f32' | 'f64' | 'f16' | 'bf16';
const isFloatT = (t: ScalarType): t is FloatKind => t === 'f32' || t === 'f64' || t === 'f16' || t === 'bf16';
const isNarrow = (t: ScalarType): t is 'f16' | 'bf16' => t === 'f16' || t === 'bf16';

/** Scalar operations emitted with one function's builder. */
export class Ops {
  constructor(
    readonly m: ModuleCg,
    readonly b: llvm.IRBuilder,
  ) {}

  // ---- constants -------------------------------------------------------------------------

  constant(t: ScalarType, v: number): llvm.Value {
    const m = this.m;
    switch (t) {
      case 'f32':
        return m.constFP(m.f32, v);
      case 'f64':
        return m.constFP(m.f64, v);
      case 'f16':
        return m.constFP(m.f64, roundF16(v));
      case 'bf16':
        return m.constFP(m.f64, roundBF16(v));
      case 'i32':
        return m.constI32(v !== v ? 0 : v >= I32_MAX ? I32_MAX : v <= I32_MIN ? I32_MIN : v | 0);
      case 'bool':
        return m.constBool(v !== 0);
      case 'index':
        if (!Number.isSafeInteger(v)) throw new CodegenError(`index constant ${v} is not a safe integer`);
        return m.constI64(v);
      default:
        return t satisfies never;
    }
  }

  // ---- memory <-> registers --------------------------------------------------------------

  /** A value loaded from a buffer of dtype d, as a register value of type d. */
  fromMem(d: DType, v: llvm.Value): llvm.Value {
    if (d === 'bool') return this.b.CreateICmpNE(v, llvm.ConstantInt.get(this.m.i8, 0));
    if (isNarrow(d)) return this.b.CreateFPExt(v, this.m.f64);
    return v;
  }

  /** A register value of type d as stored in a buffer of dtype d. */
  toMem(d: DType, v: llvm.Value): llvm.Value {
    if (d === 'bool') return this.b.CreateZExt(v, this.m.i8);
    if (isNarrow(d)) return this.b.CreateFPTrunc(v, this.m.f32); // exact: v is an f16/bf16 value
    return v;
  }

  // ---- helpers ---------------------------------------------------------------------------

  private call1(id: number, name: string, x: llvm.Value, t: FloatKind): llvm.Value {
    const ty = this.m.regType(t);
    const fn = this.m.intrinsic(id, [ty], `${name}.${t === 'f32' ? 'f32' : 'f64'}`);
    return this.b.CreateCall(fn, [x]);
  }

  private libm(name: string, x: llvm.Value, t: FloatKind): llvm.Value {
    const ty = this.m.regType(t);
    const fname = t === 'f32' ? `${name}f` : name;
    return this.b.CreateCall(this.m.extern(fname, ty, [ty]), [x]);
  }

  private fconst(t: FloatKind, v: number): llvm.Value {
    return this.m.constFP(this.m.regType(t), v);
  }

  /**
   * Rounds a double to f16 or bf16 (nearest, ties to even, gradual underflow, overflow to
   * ±inf), without branches: the port of numeric.ts's roundToFormat. With e the binade
   * exponent of x clamped below at emin and q = 2^(e-p+1) the spacing there,
   * result = copysign(roundeven(|x| / q) * q, x), then ±inf above the format's max. ±0, ±inf
   * and NaN pass through by the same arithmetic.
   */
  narrow(x: llvm.Value, d: 'f16' | 'bf16'): llvm.Value {
    const m = this.m, b = this.b;
    const p = d === 'f16' ? 11 : 8;
    const emin = d === 'f16' ? -14 : -126;
    const max = d === 'f16' ? 65504 : 3.3895313892515355e38;
    const bits = b.CreateBitCast(x, m.i64);
    const bexp = b.CreateAnd(b.CreateLShr(bits, m.constI64(52)), m.constI64(0x7ff));
    const e = smax(b, b.CreateSub(bexp, m.constI64(1023)), m.constI64(emin));
    const q = b.CreateBitCast(b.CreateShl(b.CreateAdd(e, m.constI64(1023 - p + 1)), m.constI64(52)), m.f64);
    const a = this.call1(llvm.Intrinsic.fabs, 'fabs', x, 'f64');
    const r = b.CreateFMul(this.call1(llvm.Intrinsic.roundeven, 'roundeven', b.CreateFDiv(a, q), 'f64'), q);
    const mag = b.CreateSelect(b.CreateFCmpOGT(r, m.constFP(m.f64, max)), m.constFP(m.f64, Infinity), r);
    const cs = m.intrinsic(llvm.Intrinsic.copysign, [m.f64], 'copysign.f64');
    return b.CreateCall(cs, [mag, x]);
  }

  /** Rounds a computed float result to its dtype (no-op for f32/f64). */
  private round(t: ScalarType, v: llvm.Value): llvm.Value {
    return isNarrow(t) ? this.narrow(v, t) : v;
  }

  /** NaN-propagating max/min with -0 < +0, like Math.max/Math.min. */
  private fminmax(a: llvm.Value, c: llvm.Value, isMax: boolean, t: FloatKind): llvm.Value {
    const b = this.b, m = this.m;
    const ity = t === 'f32' ? m.i32 : m.i64;
    const fty = m.regType(t);
    const pick = isMax ? b.CreateFCmpOGT(a, c) : b.CreateFCmpOLT(a, c);
    const other = isMax ? b.CreateFCmpOLT(a, c) : b.CreateFCmpOGT(a, c);
    // Equal operands: only ±0 differ in bits; max takes the sign bits' AND (+0 wins), min the OR.
    const ab = b.CreateBitCast(a, ity), cb = b.CreateBitCast(c, ity);
    const tie = b.CreateBitCast(isMax ? b.CreateAnd(ab, cb) : b.CreateOr(ab, cb), fty);
    const r = b.CreateSelect(pick, a, b.CreateSelect(other, c, tie));
    const unordered = b.CreateOr(b.CreateFCmpUNE(a, a), b.CreateFCmpUNE(c, c));
    return b.CreateSelect(unordered, b.CreateFAdd(a, c), r);
  }

  // ---- unary -----------------------------------------------------------------------------

  unary(op: UnaryOp, t: ScalarType, x: llvm.Value): llvm.Value {
    const b = this.b, m = this.m;
    if (t === 'f32') {
      switch (op) {
        case Primitive.Exp:
          return emitExpF32(b, m, x);
        case Primitive.Log:
          return emitLogF32(b, m, x);
        case Primitive.Log1p:
          return emitLog1pF32(b, m, x);
        case Primitive.Expm1:
          return emitExpm1F32(b, m, x);
        case Primitive.Sin:
          return emitSinF32(b, m, x);
        case Primitive.Cos:
          return emitCosF32(b, m, x);
        case Primitive.Tanh:
          return emitTanhF32(b, m, x);
        case Primitive.Logistic:
          return emitLogisticF32(b, m, x);
        default:
          break;
      }
    }
    if (isFloatT(t)) {
      const I = llvm.Intrinsic;
      switch (op) {
        case Primitive.Neg:
          return b.CreateFNeg(x);
        case Primitive.Abs:
          return this.call1(I.fabs, 'fabs', x, t);
        case Primitive.Sign: {
          const pos = b.CreateFCmpOGT(x, this.fconst(t, 0));
          const neg = b.CreateFCmpOLT(x, this.fconst(t, 0));
          return b.CreateSelect(pos, this.fconst(t, 1), b.CreateSelect(neg, this.fconst(t, -1), x));
        }
        case Primitive.Exp:
          return this.round(t, this.call1(I.exp, 'exp', x, t));
        case Primitive.Log:
          return this.round(t, this.call1(I.log, 'log', x, t));
        case Primitive.Log1p:
          return this.round(t, this.libm('log1p', x, t));
        case Primitive.Expm1:
          return this.round(t, this.libm('expm1', x, t));
        case Primitive.Sqrt:
          return this.round(t, this.call1(I.sqrt, 'sqrt', x, t));
        case Primitive.Rsqrt:
          return this.round(t, b.CreateFDiv(this.fconst(t, 1), this.call1(I.sqrt, 'sqrt', x, t)));
        case Primitive.Sin:
          return this.round(t, this.call1(I.sin, 'sin', x, t));
        case Primitive.Cos:
          return this.round(t, this.call1(I.cos, 'cos', x, t));
        case Primitive.Tanh:
          return this.round(t, this.libm('tanh', x, t));
        case Primitive.Logistic: {
          const e = this.call1(I.exp, 'exp', b.CreateFNeg(this.call1(I.fabs, 'fabs', x, t)), t);
          const den = b.CreateFAdd(this.fconst(t, 1), e);
          const pos = b.CreateFDiv(this.fconst(t, 1), den);
          const neg = b.CreateFDiv(e, den);
          return this.round(t, b.CreateSelect(b.CreateFCmpOGE(x, this.fconst(t, 0)), pos, neg));
        }
        case Primitive.Floor:
          return this.call1(I.floor, 'floor', x, t);
        case Primitive.Ceil:
          return this.call1(I.ceil, 'ceil', x, t);
        case Primitive.Round:
          return this.call1(I.roundeven, 'roundeven', x, t);
        case Primitive.Not:
          throw new CodegenError(`not on ${t}`);
        default:
          return op satisfies never;
      }
    }
    if (t === 'bool') {
      if (op === 'not') return b.CreateXor(x, m.constBool(true));
      throw new CodegenError(`${op} on bool`);
    }
    // i32 / index
    const ty = m.regType(t);
    const zero = llvm.ConstantInt.get(ty, 0, true);
    const one = llvm.ConstantInt.get(ty, 1, true);
    switch (op) {
      case Primitive.Neg:
        return b.CreateSub(zero, x);
      case Primitive.Abs:
        return b.CreateSelect(b.CreateICmpSLT(x, zero), b.CreateSub(zero, x), x);
      case Primitive.Sign:
        return smax(b, smin(b, x, one), llvm.ConstantInt.get(ty, -1, true));
      case Primitive.Not:
        return b.CreateXor(x, llvm.ConstantInt.get(ty, -1, true));
      default:
        throw new CodegenError(`${op} on ${t}`);
    }
  }

  // ---- binary ----------------------------------------------------------------------------

  /** `a op c` with operands of type t (comparisons give bool). `name` names the instruction. */
  binary(op: BinaryFn, t: ScalarType, a: llvm.Value, c: llvm.Value, name = ''): llvm.Value {
    const b = this.b;
    if (isFloatT(t)) {
      switch (op) {
        case Primitive.Add:
          return this.round(t, b.CreateFAdd(a, c, name));
        case Primitive.Sub:
          return this.round(t, b.CreateFSub(a, c, name));
        case Primitive.Mul:
          return this.round(t, b.CreateFMul(a, c, name));
        case Primitive.Div:
          return this.round(t, b.CreateFDiv(a, c, name));
        case Primitive.Pow: {
          if (t === 'f32') return emitPowF32(b, this.m, a, c);
          const fn = this.m.intrinsic(llvm.Intrinsic.pow, [this.m.f64], 'pow.f64'); // f64, f16, bf16
          return this.round(t, b.CreateCall(fn, [a, c]));
        }
        case Primitive.Max:
          return this.fminmax(a, c, true, t);
        case Primitive.Min:
          return this.fminmax(a, c, false, t);
        case Primitive.Eq:
          return b.CreateFCmpOEQ(a, c);
        case Primitive.Ne:
          return b.CreateFCmpUNE(a, c);
        case Primitive.Lt:
          return b.CreateFCmpOLT(a, c);
        case Primitive.Le:
          return b.CreateFCmpOLE(a, c);
        case Primitive.Gt:
          return b.CreateFCmpOGT(a, c);
        case Primitive.Ge:
          return b.CreateFCmpOGE(a, c);
        default:
          throw new CodegenError(`${op} on ${t}`);
      }
    }
    if (t === 'bool') {
      switch (op) {
        case Primitive.Max:
        case Primitive.Or:
          return b.CreateOr(a, c);
        case Primitive.Min:
        case Primitive.And:
          return b.CreateAnd(a, c);
        case Primitive.Xor:
          return b.CreateXor(a, c);
        case Primitive.Eq:
          return b.CreateICmpEQ(a, c);
        case Primitive.Ne:
          return b.CreateICmpNE(a, c);
        case Primitive.Lt:
          return b.CreateICmpULT(a, c);
        case Primitive.Le:
          return b.CreateICmpULE(a, c);
        case Primitive.Gt:
          return b.CreateICmpUGT(a, c);
        case Primitive.Ge:
          return b.CreateICmpUGE(a, c);
        default:
          throw new CodegenError(`${op} on bool`);
      }
    }
    return this.intBinary(op, t, a, c);
  }

  private intBinary(op: BinaryFn, t: 'i32' | 'index', a: llvm.Value, c: llvm.Value): llvm.Value {
    const b = this.b, m = this.m;
    const ty = m.regType(t);
    const bits = t === 'i32' ? 32 : 64;
    const k = (v: number) => llvm.ConstantInt.get(ty, v, true);
    switch (op) {
      case Primitive.Add:
        return b.CreateAdd(a, c);
      case Primitive.Sub:
        return b.CreateSub(a, c);
      case Primitive.Mul:
        return b.CreateMul(a, c);
      case Primitive.Div: {
        // Truncating; x/0 = 0; MIN/-1 divides by 1 instead (= MIN, the wrapped result).
        const zero = b.CreateICmpEQ(c, k(0));
        const ovf = b.CreateAnd(b.CreateICmpEQ(a, this.intMin(t)), b.CreateICmpEQ(c, k(-1)));
        const safe = b.CreateSelect(b.CreateOr(zero, ovf), k(1), c);
        return b.CreateSelect(zero, k(0), b.CreateSDiv(a, safe));
      }
      case 'idiv':
      case 'imod': {
        // Floor division / modulo (result of imod has the divisor's sign); by 0 gives 0.
        const zero = b.CreateICmpEQ(c, k(0));
        const ovf = b.CreateAnd(b.CreateICmpEQ(a, this.intMin(t)), b.CreateICmpEQ(c, k(-1)));
        const safe = b.CreateSelect(b.CreateOr(zero, ovf), k(1), c);
        const q = b.CreateSDiv(a, safe);
        const r = b.CreateSelect(ovf, k(0), b.CreateSRem(a, safe));
        // r != 0 and sign(r) != sign(c): step q down, r up by c.
        const adjust = b.CreateAnd(b.CreateICmpNE(r, k(0)), b.CreateICmpSLT(b.CreateXor(r, c), k(0)));
        if (op === 'idiv') return b.CreateSelect(zero, k(0), b.CreateSelect(adjust, b.CreateSub(q, k(1)), q));
        return b.CreateSelect(zero, k(0), b.CreateSelect(adjust, b.CreateAdd(r, c), r));
      }
      case Primitive.Pow:
        if (t !== 'i32') throw new CodegenError(`pow on ${t}`);
        return b.CreateCall(this.powI32(), [a, c]);
      case Primitive.Max:
        return smax(b, a, c);
      case Primitive.Min:
        return smin(b, a, c);
      case Primitive.And:
        return b.CreateAnd(a, c);
      case Primitive.Or:
        return b.CreateOr(a, c);
      case Primitive.Xor:
        return b.CreateXor(a, c);
      case Primitive.ShiftLeft:
      case Primitive.ShiftRightLogical: {
        // Shift amounts outside [0, bits) give 0 (an unsigned compare catches negatives too).
        const inRange = b.CreateICmpULT(c, k(bits));
        const s = b.CreateSelect(inRange, c, k(0));
        const r = op === Primitive.ShiftLeft ? b.CreateShl(a, s) : b.CreateLShr(a, s);
        return b.CreateSelect(inRange, r, k(0));
      }
      case Primitive.Eq:
        return b.CreateICmpEQ(a, c);
      case Primitive.Ne:
        return b.CreateICmpNE(a, c);
      case Primitive.Lt:
        return b.CreateICmpSLT(a, c);
      case Primitive.Le:
        return b.CreateICmpSLE(a, c);
      case Primitive.Gt:
        return b.CreateICmpSGT(a, c);
      case Primitive.Ge:
        return b.CreateICmpSGE(a, c);
      default:
        return op satisfies never;
    }
  }

  private intMin(t: 'i32' | 'index'): llvm.Value {
    // -2^63 is not a safe JS integer: build it as 1 << 63.
    if (t === 'i32') return this.m.constI32(I32_MIN);
    return this.b.CreateShl(this.m.constI64(1), this.m.constI64(63));
  }

  /** `i32 kiln.powi32(i32 a, i32 b)`: powI of the interpreter (square and multiply, wrapping;
   * negative exponents give 0 unless |a| = 1). Emitted once per module, internal. */
  private powI32(): llvm.Function {
    const m = this.m;
    const existing = m.module.getFunction('kiln.powi32');
    if (existing) return existing;
    const fn = llvm.Function.Create(
      llvm.FunctionType.get(m.i32, [m.i32, m.i32], false),
      llvm.Function.LinkageTypes.InternalLinkage,
      'kiln.powi32',
      m.module,
    );
    const a = fn.getArg(0), e = fn.getArg(1);
    const c = m.context;
    const entry = llvm.BasicBlock.Create(c, 'entry', fn);
    const loop = llvm.BasicBlock.Create(c, 'loop', fn);
    const done = llvm.BasicBlock.Create(c, 'done', fn);
    const neg = llvm.BasicBlock.Create(c, 'neg', fn);
    const b = new llvm.IRBuilder(entry);
    const k = (v: number) => m.constI32(v);
    b.CreateCondBr(b.CreateICmpSLT(e, k(0)), neg, loop);
    // negative exponent: 1 if a = 1; ±1 if a = -1 (by parity); else 0
    b.SetInsertPoint(neg);
    const odd = b.CreateICmpNE(b.CreateAnd(e, k(1)), k(0));
    const minus1 = b.CreateSelect(odd, k(-1), k(1));
    b.CreateRet(b.CreateSelect(b.CreateICmpEQ(a, k(1)), k(1), b.CreateSelect(b.CreateICmpEQ(a, k(-1)), minus1, k(0))));
    // while (e > 0) { if (e & 1) r *= base; base *= base; e >>>= 1 }
    b.SetInsertPoint(loop);
    const r = b.CreatePHI(m.i32, 2, 'r');
    const base = b.CreatePHI(m.i32, 2, 'base');
    const ex = b.CreatePHI(m.i32, 2, 'e');
    r.addIncoming(k(1), entry);
    base.addIncoming(a, entry);
    ex.addIncoming(e, entry);
    const body = llvm.BasicBlock.Create(c, 'body', fn);
    b.CreateCondBr(b.CreateICmpSGT(ex, k(0)), body, done);
    b.SetInsertPoint(body);
    const bit = b.CreateICmpNE(b.CreateAnd(ex, k(1)), k(0));
    const r2 = b.CreateSelect(bit, b.CreateMul(r, base), r);
    const base2 = b.CreateMul(base, base);
    const ex2 = b.CreateLShr(ex, k(1));
    r.addIncoming(r2, body);
    base.addIncoming(base2, body);
    ex.addIncoming(ex2, body);
    b.CreateBr(loop);
    b.SetInsertPoint(done);
    b.CreateRet(r);
    if (llvm.verifyFunction(fn)) throw new CodegenError('kiln.powi32 failed to verify');
    return fn;
  }

  // ---- select, cast, threefry ------------------------------------------------------------

  select(c: llvm.Value, a: llvm.Value, x: llvm.Value): llvm.Value {
    return this.b.CreateSelect(c, a, x);
  }

  /**
   * `convert` from type `from` to type `to`, as compiler/lower/interpret.ts: the convert
   * primitive's rules, index → i32 wraps, float → index truncates with NaN → 0 (and saturates
   * at the i64 range, which the JS interpreter has no notion of: only values within ±2^63 are
   * meaningful indices).
   */
  cast(from: ScalarType, to: ScalarType, x: llvm.Value): llvm.Value {
    const b = this.b, m = this.m;
    if (from === to) return x;
    if (to === 'bool') {
      if (isFloatT(from)) return b.CreateFCmpUNE(x, this.fconst(from, 0)); // NaN → true
      return b.CreateICmpNE(x, llvm.ConstantInt.get(m.regType(from), 0, true));
    }
    if (isFloatT(to)) {
      const target = isNarrow(to) ? m.f64 : m.regType(to);
      let v: llvm.Value;
      if (isFloatT(from)) {
        const src = m.regType(from);
        v = src === target ? x : src === m.f32 ? b.CreateFPExt(x, target) : b.CreateFPTrunc(x, target);
      } else if (from === 'bool') {
        v = b.CreateUIToFP(x, target);
      } else {
        v = b.CreateSIToFP(x, target);
      }
      return this.round(to, v);
    }
    // to i32 / index
    const ity = m.regType(to);
    if (isFloatT(from)) {
      const src = m.regType(from);
      const fn = m.intrinsic(llvm.Intrinsic.fptosi_sat, [ity, src], `fptosi.sat.${to}.${src === m.f32 ? 'f32' : 'f64'}`);
      return b.CreateCall(fn, [x]); // NaN → 0, saturating, truncating toward zero
    }
    if (from === 'bool') return b.CreateZExt(x, ity);
    if (from === 'i32') return b.CreateSExt(x, ity); // i32 → index
    return b.CreateTrunc(x, m.i32); // index → i32 wraps (compiler/lower/interpret.ts)
  }

  /** Any integer-like value (i32, index, bool) as an i32 word (index truncates mod 2^32). */
  asWord(t: ScalarType, x: llvm.Value): llvm.Value {
    if (t === 'i32') return x;
    if (t === 'index') return this.b.CreateTrunc(x, this.m.i32);
    if (t === 'bool') return this.b.CreateZExt(x, this.m.i32);
    throw new CodegenError(`threefry operand of type ${t} (expected i32 or index)`);
  }

  /** Word 0 of Threefry-2x32-20 with key (k0, k1) and counter (0, ctr), in wrapping i32. */
  threefry(k0: llvm.Value, k1: llvm.Value, ctr: llvm.Value): llvm.Value {
    const b = this.b, m = this.m;
    const k = (v: number) => m.constI32(v);
    const ks = [k0, k1, b.CreateXor(b.CreateXor(k0, k1), k(PARITY))];
    let x0 = k0; // 0 + k0
    let x1 = b.CreateAdd(ctr, k1);
    for (let r = 0; r < 20; r++) {
      const rot = ROT[r & 7]!;
      x0 = b.CreateAdd(x0, x1);
      x1 = b.CreateXor(b.CreateOr(b.CreateShl(x1, k(rot)), b.CreateLShr(x1, k(32 - rot))), x0);
      if ((r & 3) === 3) {
        const s = (r + 1) >> 2;
        x0 = b.CreateAdd(x0, ks[s % 3]!);
        x1 = b.CreateAdd(b.CreateAdd(x1, ks[(s + 1) % 3]!), k(s));
      }
    }
    return x0;
  }
}
