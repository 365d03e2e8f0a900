// Scalar semantics of the loop IR as NVVM IR text, matching the interpreter
// (compiler/lower/interpret.ts) as the CPU code generator does (compiler/codegen/llvm/ops.ts):
//   - f32 in float, f64 in double; f16/bf16 computed in double and rounded to their format after
//     every operation (the port of ops.ts's branch-free `narrow`);
//   - i32 wraps; div truncates with x/0 = 0 and MIN/-1 = MIN; idiv/imod floor (by 0 gives 0);
//   - max/min propagate NaN and order -0 < +0; comparisons are ordered except `ne`;
//   - float → int truncates with NaN → 0 and saturates; round is half to even;
//   - transcendentals call libdevice (__nv_expf, __nv_log, ...), sqrt is llvm.sqrt (sqrt.rn);
//   - threefry is Threefry-2x32-20 word 0 in wrapping i32.
import type { DType } from '../../ir/dtype.ts';
import { roundBF16, roundF16 } from '../../ir/numeric.ts';
import { Primitive, type UnaryOp } from '../../ir/primitives.ts';
import type { BinaryFn, ScalarType } from '../../lower/loop-ir.ts';
import { CodegenError } from '../llvm/errors.ts';
import { fpLiteral, type FnText, type ModuleText } from './text.ts';

const I32_MIN = -2147483648;
const I32_MAX = 2147483647;
const ROT = [13, 15, 26, 6, 17, 29, 16, 24] as const;
const PARITY = 0x1bd11bda;

type FloatKind = 'f32' | 'f64' | 'f16' | 'bf16';
export const isFloatT = (t: ScalarType): t is FloatKind => t === 'f32' || t === 'f64' || t === 'f16' || t === 'bf16';
const isNarrow = (t: ScalarType): t is 'f16' | 'bf16' => t === 'f16' || t === 'bf16';

/** Memory type of a buffer element (the host arrays' layout). */
export function memType(d: DType): string {
  switch (d) {
    case 'f32':
    case 'f16':
    case 'bf16':
      return 'float';
    case 'f64':
      return 'double';
    case 'i32':
      return 'i32';
    case 'bool':
      return 'i8';
    default:
      return d satisfies never;
  }
}

/** Scalar operations appended to one function. */
export class ScalarText {
  constructor(
    readonly f: FnText,
    readonly m: ModuleText,
    /** Width of `index`. */
    readonly idx: 'i32' | 'i64',
    /** Float multiplies and adds may fuse into FMAs (see GpuKernel.contract). */
    readonly contract = false,
  ) {}

  /** The fast-math flag of adds and multiplies: libnvvm runs with -fma=0, so only these fuse. */
  private get fm(): string {
    return this.contract ? ' contract' : '';
  }

  /** Register type of a scalar type. */
  ty(t: ScalarType): string {
    switch (t) {
      case 'f32':
        return 'float';
      case 'f64':
      case 'f16':
      case 'bf16':
        return 'double';
      case 'i32':
        return 'i32';
      case 'bool':
        return 'i1';
      case 'index':
        return this.idx;
      default:
        return t satisfies never;
    }
  }

  constant(t: ScalarType, v: number): string {
    switch (t) {
      case 'f32':
        return fpLiteral(Math.fround(v));
      case 'f64':
        return fpLiteral(v);
      case 'f16':
        return fpLiteral(roundF16(v));
      case 'bf16':
        return fpLiteral(roundBF16(v));
      case 'i32':
        return String(v !== v ? 0 : v >= I32_MAX ? I32_MAX : v <= I32_MIN ? I32_MIN : v | 0);
      case 'bool':
        return v !== 0 ? 'true' : 'false';
      case 'index':
        if (!Number.isSafeInteger(v)) throw new CodegenError(`index constant ${v} is not a safe integer`);
        return String(v);
      default:
        return t satisfies never;
    }
  }

  // ---- memory <-> registers ----------------------------------------------------------------

  fromMem(d: DType, v: string): string {
    if (d === 'bool') return this.f.op(`icmp ne i8 ${v}, 0`);
    if (isNarrow(d)) return this.f.op(`fpext float ${v} to double`);
    return v;
  }

  toMem(d: DType, v: string): string {
    if (d === 'bool') return this.f.op(`zext i1 ${v} to i8`);
    if (isNarrow(d)) return this.f.op(`fptrunc double ${v} to float`); // exact: v is an f16/bf16 value
    return v;
  }

  // ---- calls -------------------------------------------------------------------------------

  /** A call of a libdevice function or intrinsic of float type. */
  private callF(name: string, ty: string, args: readonly string[]): string {
    this.m.declare(name, `declare ${ty} @${name}(${args.map(() => ty).join(', ')})`);
    return this.f.op(`call ${ty} @${name}(${args.map((a) => `${ty} ${a}`).join(', ')})`);
  }

  /** libdevice's float (f32) or double version of a function; narrow types compute in double. */
  private nv(base: string, t: FloatKind, ...args: string[]): string {
    return t === 'f32' ? this.callF(`__nv_${base}f`, 'float', args) : this.callF(`__nv_${base}`, 'double', args);
  }

  private fc(t: FloatKind, v: number): string {
    return fpLiteral(t === 'f32' ? Math.fround(v) : v);
  }

  private round(t: ScalarType, v: string): string {
    return isNarrow(t) ? this.narrow(v, t) : v;
  }

  /** Rounds a double to f16 / bf16 (nearest even, gradual underflow, overflow to ±inf). */
  narrow(x: string, d: 'f16' | 'bf16'): string {
    const f = this.f;
    const p = d === 'f16' ? 11 : 8;
    const emin = d === 'f16' ? -14 : -126;
    const max = d === 'f16' ? 65504 : 3.3895313892515355e38;
    const bits = f.op(`bitcast double ${x} to i64`);
    const bexp = f.op(`and i64 ${f.op(`lshr i64 ${bits}, 52`)}, 2047`);
    const e0 = f.op(`sub i64 ${bexp}, 1023`);
    const e = f.op(`select i1 ${f.op(`icmp sgt i64 ${e0}, ${emin}`)}, i64 ${e0}, i64 ${emin}`);
    const q = f.op(`bitcast i64 ${f.op(`shl i64 ${f.op(`add i64 ${e}, ${1023 - p + 1}`)}, 52`)} to double`);
    const a = this.nv('fabs', 'f64', x);
    const r = f.op(`fmul double ${this.nv('rint', 'f64', f.op(`fdiv double ${a}, ${q}`))}, ${q}`);
    const mag = f.op(`select i1 ${f.op(`fcmp ogt double ${r}, ${fpLiteral(max)}`)}, double ${fpLiteral(Infinity)}, double ${r}`);
    return this.nv('copysign', 'f64', mag, x);
  }

  private fminmax(a: string, c: string, isMax: boolean, t: FloatKind): string {
    const f = this.f;
    const fty = this.ty(t), ity = fty === 'float' ? 'i32' : 'i64';
    const pick = f.op(`fcmp ${isMax ? 'ogt' : 'olt'} ${fty} ${a}, ${c}`);
    const other = f.op(`fcmp ${isMax ? 'olt' : 'ogt'} ${fty} ${a}, ${c}`);
    const ab = f.op(`bitcast ${fty} ${a} to ${ity}`), cb = f.op(`bitcast ${fty} ${c} to ${ity}`);
    const tie = f.op(`bitcast ${ity} ${f.op(`${isMax ? 'and' : 'or'} ${ity} ${ab}, ${cb}`)} to ${fty}`);
    const r = f.op(`select i1 ${pick}, ${fty} ${a}, ${fty} ${f.op(`select i1 ${other}, ${fty} ${c}, ${fty} ${tie}`)}`);
    const unordered = f.op(`fcmp uno ${fty} ${a}, ${c}`);
    return f.op(`select i1 ${unordered}, ${fty} ${f.op(`fadd ${fty} ${a}, ${c}`)}, ${fty} ${r}`);
  }

  // ---- unary -------------------------------------------------------------------------------

  unary(op: UnaryOp, t: ScalarType, x: string): string {
    const f = this.f;
    if (isFloatT(t)) {
      const ty = this.ty(t);
      switch (op) {
        case Primitive.Neg:
          return f.op(`fsub ${ty} ${fpLiteral(-0)}, ${x}`);
        case Primitive.Abs:
          return this.nv('fabs', t, x);
        case Primitive.Sign: {
          const pos = f.op(`fcmp ogt ${ty} ${x}, ${this.fc(t, 0)}`);
          const neg = f.op(`fcmp olt ${ty} ${x}, ${this.fc(t, 0)}`);
          return f.op(`select i1 ${pos}, ${ty} ${this.fc(t, 1)}, ${ty} ${f.op(`select i1 ${neg}, ${ty} ${this.fc(t, -1)}, ${ty} ${x}`)}`);
        }
        case Primitive.Exp:
          return this.round(t, this.nv('exp', t, x));
        case Primitive.Log:
          return this.round(t, this.nv('log', t, x));
        case Primitive.Log1p:
          return this.round(t, this.nv('log1p', t, x));
        case Primitive.Expm1:
          return this.round(t, this.nv('expm1', t, x));
        case Primitive.Sqrt:
          return this.round(t, this.callF(`llvm.sqrt.${t === 'f32' ? 'f32' : 'f64'}`, ty, [x]));
        case Primitive.Rsqrt: {
          const s = this.callF(`llvm.sqrt.${t === 'f32' ? 'f32' : 'f64'}`, ty, [x]);
          return this.round(t, f.op(`fdiv ${ty} ${this.fc(t, 1)}, ${s}`));
        }
        case Primitive.Sin:
          return this.round(t, this.nv('sin', t, x));
        case Primitive.Cos:
          return this.round(t, this.nv('cos', t, x));
        case Primitive.Tanh:
          return this.round(t, this.nv('tanh', t, x));
        case Primitive.Logistic: {
          // 1/(1+e) for x >= 0, e/(1+e) below, with e = exp(-|x|): the interpreter's formula.
          const e = this.nv('exp', t, f.op(`fsub ${ty} ${fpLiteral(-0)}, ${this.nv('fabs', t, x)}`));
          const den = f.op(`fadd ${ty} ${this.fc(t, 1)}, ${e}`);
          const pos = f.op(`fdiv ${ty} ${this.fc(t, 1)}, ${den}`);
          const neg = f.op(`fdiv ${ty} ${e}, ${den}`);
          return this.round(t, f.op(`select i1 ${f.op(`fcmp oge ${ty} ${x}, ${this.fc(t, 0)}`)}, ${ty} ${pos}, ${ty} ${neg}`));
        }
        case Primitive.Floor:
          return this.nv('floor', t, x);
        case Primitive.Ceil:
          return this.nv('ceil', t, x);
        case Primitive.Round:
          return this.nv('rint', t, x); // round to nearest even in the default rounding mode
        case Primitive.Not:
          throw new CodegenError(`not on ${t}`);
        default:
          return op satisfies never;
      }
    }
    if (t === 'bool') {
      if (op === Primitive.Not) return f.op(`xor i1 ${x}, true`);
      throw new CodegenError(`${op} on bool`);
    }
    const ty = this.ty(t);
    switch (op) {
      case Primitive.Neg:
        return f.op(`sub ${ty} 0, ${x}`);
      case Primitive.Abs: {
        const neg = f.op(`icmp slt ${ty} ${x}, 0`);
        return f.op(`select i1 ${neg}, ${ty} ${f.op(`sub ${ty} 0, ${x}`)}, ${ty} ${x}`);
      }
      case Primitive.Sign: {
        const lo = this.smin(ty, x, '1');
        return this.smax(ty, lo, '-1');
      }
      case Primitive.Not:
        return f.op(`xor ${ty} ${x}, -1`);
      default:
        throw new CodegenError(`${op} on ${t}`);
    }
  }

  smin(ty: string, a: string, b: string): string {
    return this.f.op(`select i1 ${this.f.op(`icmp slt ${ty} ${a}, ${b}`)}, ${ty} ${a}, ${ty} ${b}`);
  }

  smax(ty: string, a: string, b: string): string {
    return this.f.op(`select i1 ${this.f.op(`icmp sgt ${ty} ${a}, ${b}`)}, ${ty} ${a}, ${ty} ${b}`);
  }

  // ---- binary ------------------------------------------------------------------------------

  binary(op: BinaryFn, t: ScalarType, a: string, c: string): string {
    const f = this.f;
    if (isFloatT(t)) {
      const ty = this.ty(t);
      switch (op) {
        case Primitive.Add:
          return this.round(t, f.op(`fadd${this.fm} ${ty} ${a}, ${c}`));
        case Primitive.Sub:
          return this.round(t, f.op(`fsub ${ty} ${a}, ${c}`));
        case Primitive.Mul:
          return this.round(t, f.op(`fmul${this.fm} ${ty} ${a}, ${c}`));
        case Primitive.Div:
          return this.round(t, f.op(`fdiv ${ty} ${a}, ${c}`));
        case Primitive.Pow:
          return this.round(t, this.nv('pow', t, a, c));
        case Primitive.Max:
          return this.fminmax(a, c, true, t);
        case Primitive.Min:
          return this.fminmax(a, c, false, t);
        case Primitive.Eq:
          return f.op(`fcmp oeq ${ty} ${a}, ${c}`);
        case Primitive.Ne:
          return f.op(`fcmp une ${ty} ${a}, ${c}`);
        case Primitive.Lt:
          return f.op(`fcmp olt ${ty} ${a}, ${c}`);
        case Primitive.Le:
          return f.op(`fcmp ole ${ty} ${a}, ${c}`);
        case Primitive.Gt:
          return f.op(`fcmp ogt ${ty} ${a}, ${c}`);
        case Primitive.Ge:
          return f.op(`fcmp oge ${ty} ${a}, ${c}`);
        default:
          throw new CodegenError(`${op} on ${t}`);
      }
    }
    if (t === 'bool') {
      switch (op) {
        case Primitive.Max:
        case Primitive.Or:
          return f.op(`or i1 ${a}, ${c}`);
        case Primitive.Min:
        case Primitive.And:
          return f.op(`and i1 ${a}, ${c}`);
        case Primitive.Xor:
          return f.op(`xor i1 ${a}, ${c}`);
        case Primitive.Eq:
          return f.op(`icmp eq i1 ${a}, ${c}`);
        case Primitive.Ne:
          return f.op(`icmp ne i1 ${a}, ${c}`);
        case Primitive.Lt:
          return f.op(`icmp ult i1 ${a}, ${c}`);
        case Primitive.Le:
          return f.op(`icmp ule i1 ${a}, ${c}`);
        case Primitive.Gt:
          return f.op(`icmp ugt i1 ${a}, ${c}`);
        case Primitive.Ge:
          return f.op(`icmp uge i1 ${a}, ${c}`);
        default:
          throw new CodegenError(`${op} on bool`);
      }
    }
    return this.intBinary(op, t, a, c);
  }

  private intBinary(op: BinaryFn, t: 'i32' | 'index', a: string, c: string): string {
    const f = this.f;
    const ty = this.ty(t);
    const bits = ty === 'i32' ? 32 : 64;
    const min = bits === 32 ? String(I32_MIN) : '-9223372036854775808';
    const sel = (cond: string, x: string, y: string) => f.op(`select i1 ${cond}, ${ty} ${x}, ${ty} ${y}`);
    switch (op) {
      case Primitive.Add:
        return f.op(`add ${ty} ${a}, ${c}`);
      case Primitive.Sub:
        return f.op(`sub ${ty} ${a}, ${c}`);
      case Primitive.Mul:
        return f.op(`mul ${ty} ${a}, ${c}`);
      case Primitive.Div:
      case 'idiv':
      case 'imod': {
        const zero = f.op(`icmp eq ${ty} ${c}, 0`);
        const ovf = f.op(`and i1 ${f.op(`icmp eq ${ty} ${a}, ${min}`)}, ${f.op(`icmp eq ${ty} ${c}, -1`)}`);
        const safe = sel(f.op(`or i1 ${zero}, ${ovf}`), '1', c);
        const q = f.op(`sdiv ${ty} ${a}, ${safe}`);
        if (op === Primitive.Div) return sel(zero, '0', q);
        const r = sel(ovf, '0', f.op(`srem ${ty} ${a}, ${safe}`));
        const adjust = f.op(`and i1 ${f.op(`icmp ne ${ty} ${r}, 0`)}, ${f.op(`icmp slt ${ty} ${f.op(`xor ${ty} ${r}, ${c}`)}, 0`)}`);
        if (op === 'idiv') return sel(zero, '0', sel(adjust, f.op(`sub ${ty} ${q}, 1`), q));
        return sel(zero, '0', sel(adjust, f.op(`add ${ty} ${r}, ${c}`), r));
      }
      case Primitive.Pow:
        if (t !== 'i32') throw new CodegenError(`pow on ${t}`);
        this.m.helper('kiln_powi32', powI32Text);
        return f.op(`call i32 @kiln_powi32(i32 ${a}, i32 ${c})`);
      case Primitive.Max:
        return this.smax(ty, a, c);
      case Primitive.Min:
        return this.smin(ty, a, c);
      case Primitive.And:
        return f.op(`and ${ty} ${a}, ${c}`);
      case Primitive.Or:
        return f.op(`or ${ty} ${a}, ${c}`);
      case Primitive.Xor:
        return f.op(`xor ${ty} ${a}, ${c}`);
      case Primitive.ShiftLeft:
      case Primitive.ShiftRightLogical: {
        const inRange = f.op(`icmp ult ${ty} ${c}, ${bits}`);
        const s = sel(inRange, c, '0');
        const r = f.op(`${op === Primitive.ShiftLeft ? 'shl' : 'lshr'} ${ty} ${a}, ${s}`);
        return sel(inRange, r, '0');
      }
      case Primitive.Eq:
        return f.op(`icmp eq ${ty} ${a}, ${c}`);
      case Primitive.Ne:
        return f.op(`icmp ne ${ty} ${a}, ${c}`);
      case Primitive.Lt:
        return f.op(`icmp slt ${ty} ${a}, ${c}`);
      case Primitive.Le:
        return f.op(`icmp sle ${ty} ${a}, ${c}`);
      case Primitive.Gt:
        return f.op(`icmp sgt ${ty} ${a}, ${c}`);
      case Primitive.Ge:
        return f.op(`icmp sge ${ty} ${a}, ${c}`);
      default:
        return op satisfies never;
    }
  }

  // ---- select, cast, threefry --------------------------------------------------------------

  select(t: ScalarType, c: string, a: string, b: string): string {
    const ty = this.ty(t);
    return this.f.op(`select i1 ${c}, ${ty} ${a}, ${ty} ${b}`);
  }

  /** `convert` from `from` to `to` (see ops.ts `cast`). */
  cast(from: ScalarType, to: ScalarType, x: string): string {
    const f = this.f;
    if (from === to) return x;
    const src = this.ty(from), dst = this.ty(to);
    if (to === 'bool') {
      if (isFloatT(from)) return f.op(`fcmp une ${src} ${x}, ${this.fc(from, 0)}`); // NaN → true
      return f.op(`icmp ne ${src} ${x}, 0`);
    }
    if (isFloatT(to)) {
      let v: string;
      if (isFloatT(from)) v = src === dst ? x : src === 'float' ? f.op(`fpext float ${x} to double`) : f.op(`fptrunc double ${x} to float`);
      else if (from === 'bool') v = f.op(`uitofp i1 ${x} to ${dst}`);
      else v = f.op(`sitofp ${src} ${x} to ${dst}`);
      return this.round(to, v);
    }
    // to i32 / index
    if (isFloatT(from)) {
      // Truncating, NaN → 0, saturating at the integer type's range.
      const bits = dst === 'i32' ? 32 : 64;
      const lo = fpLiteral(-(2 ** (bits - 1))), hi = fpLiteral(2 ** (bits - 1));
      const min = bits === 32 ? String(I32_MIN) : '-9223372036854775808';
      const max = bits === 32 ? String(I32_MAX) : '9223372036854775807';
      const r = f.op(`fptosi ${src} ${x} to ${dst}`);
      const sat = f.op(`select i1 ${f.op(`fcmp oge ${src} ${x}, ${hi}`)}, ${dst} ${max}, ${dst} ${r}`);
      const low = f.op(`select i1 ${f.op(`fcmp ole ${src} ${x}, ${lo}`)}, ${dst} ${min}, ${dst} ${sat}`);
      return f.op(`select i1 ${f.op(`fcmp uno ${src} ${x}, ${x}`)}, ${dst} 0, ${dst} ${low}`);
    }
    if (src === dst) return x; // i32 <-> index with a 32-bit index
    if (from === 'bool') return f.op(`zext i1 ${x} to ${dst}`);
    if (src === 'i32') return f.op(`sext i32 ${x} to ${dst}`);
    return f.op(`trunc ${src} ${x} to ${dst}`); // index → i32 wraps
  }

  /** An integer-like value (i32, index, bool) as an i32 word. */
  asWord(t: ScalarType, x: string): string {
    const ty = this.ty(t);
    if (ty === 'i32') return x;
    if (ty === 'i64') return this.f.op(`trunc i64 ${x} to i32`);
    if (ty === 'i1') return this.f.op(`zext i1 ${x} to i32`);
    throw new CodegenError(`threefry operand of type ${t} (expected i32 or index)`);
  }

  /** Word 0 of Threefry-2x32-20 with key (k0, k1) and counter (0, ctr), in wrapping i32. */
  threefry(k0: string, k1: string, ctr: string): string {
    const f = this.f;
    const ks = [k0, k1, f.op(`xor i32 ${f.op(`xor i32 ${k0}, ${k1}`)}, ${PARITY}`)];
    let x0 = k0;
    let x1 = f.op(`add i32 ${ctr}, ${k1}`);
    for (let r = 0; r < 20; r++) {
      const rot = ROT[r & 7]!;
      x0 = f.op(`add i32 ${x0}, ${x1}`);
      x1 = f.op(`xor i32 ${f.op(`or i32 ${f.op(`shl i32 ${x1}, ${rot}`)}, ${f.op(`lshr i32 ${x1}, ${32 - rot}`)}`)}, ${x0}`);
      if ((r & 3) === 3) {
        const s = (r + 1) >> 2;
        x0 = f.op(`add i32 ${x0}, ${ks[s % 3]!}`);
        x1 = f.op(`add i32 ${f.op(`add i32 ${x1}, ${ks[(s + 1) % 3]!}`)}, ${s}`);
      }
    }
    return x0;
  }
}

/** powI of the interpreter: square and multiply, wrapping; negative exponents give 0 unless |a| = 1. */
function powI32Text(): string {
  return `define internal i32 @kiln_powi32(i32 %a, i32 %e) {
entry:
  %neg = icmp slt i32 %e, 0
  br i1 %neg, label %negexp, label %loop
negexp:
  %bit0 = and i32 %e, 1
  %odd = icmp ne i32 %bit0, 0
  %m1 = select i1 %odd, i32 -1, i32 1
  %isone = icmp eq i32 %a, 1
  %ism1 = icmp eq i32 %a, -1
  %r0 = select i1 %ism1, i32 %m1, i32 0
  %r1 = select i1 %isone, i32 1, i32 %r0
  ret i32 %r1
loop:
  %r = phi i32 [ 1, %entry ], [ %r2, %body ]
  %base = phi i32 [ %a, %entry ], [ %base2, %body ]
  %ex = phi i32 [ %e, %entry ], [ %ex2, %body ]
  %more = icmp sgt i32 %ex, 0
  br i1 %more, label %body, label %done
body:
  %bit = and i32 %ex, 1
  %set = icmp ne i32 %bit, 0
  %rm = mul i32 %r, %base
  %r2 = select i1 %set, i32 %rm, i32 %r
  %base2 = mul i32 %base, %base
  %ex2 = lshr i32 %ex, 1
  br label %loop
done:
  ret i32 %r
}`;
}
