// Elementwise primitives: unary, binary, comparisons, select, convert. Operands always have
// one shape (the shape rules allow no implicit broadcasting), so every kernel is a flat loop.
// Floats are computed in double and rounded once to the result dtype (f32 by the
// Float32Array store, which is correctly rounded for + - * / sqrt; f16/bf16 via floatResult).
import { allocHost, isFloat, type HostArray } from '../../compiler/ir/dtype.ts';
import type { AVal } from '../../compiler/ir/ir.ts';
import { Primitive, type BinaryOp, type CompareOp, type UnaryOp } from '../../compiler/ir/primitives.ts';
import { convertValue, roundHalfEven } from '../../compiler/ir/numeric.ts';
import { floatResult, type HostTensor } from './tensor.ts';

type Out = Float32Array | Float64Array;

function unreachable(op: string, d: string): never {
  throw new Error(`interp: ${op} on ${d} (the shape rules should have rejected it)`);
}

/** 1/(1+exp(-x)), without overflow in exp for large |x|. */
function logistic(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** IEEE/C pow: pow(1, y) = 1 and pow(x, 0) = 1 even for NaN, pow(-1, ±inf) = 1. */
export function powF(a: number, b: number): number {
  if (a === 1 || b === 0) return 1;
  if (a === -1 && (b === Infinity || b === -Infinity)) return 1;
  return a ** b;
}

/** i32 pow as repeated wrapping multiplication; negative exponents give 0 unless |a| = 1. */
export function powI(a: number, b: number): number {
  if (b < 0) return a === 1 ? 1 : a === -1 ? (b & 1 ? -1 : 1) : 0;
  let r = 1, base = a, e = b;
  while (e > 0) {
    if (e & 1) r = Math.imul(r, base);
    base = Math.imul(base, base);
    e >>>= 1;
  }
  return r;
}

function unaryFloat(op: UnaryOp, a: HostArray, o: Out): void {
  const n = a.length;
  switch (op) {
    case Primitive.Neg: for (let i = 0; i < n; i++) o[i] = -a[i]!; return;
    case Primitive.Abs: for (let i = 0; i < n; i++) o[i] = Math.abs(a[i]!); return;
    case Primitive.Sign:
      for (let i = 0; i < n; i++) { const x = a[i]!; o[i] = x > 0 ? 1 : x < 0 ? -1 : x; } // ±0, NaN kept
      return;
    case Primitive.Exp: for (let i = 0; i < n; i++) o[i] = Math.exp(a[i]!); return;
    case Primitive.Log: for (let i = 0; i < n; i++) o[i] = Math.log(a[i]!); return;
    case Primitive.Log1p: for (let i = 0; i < n; i++) o[i] = Math.log1p(a[i]!); return;
    case Primitive.Expm1: for (let i = 0; i < n; i++) o[i] = Math.expm1(a[i]!); return;
    case Primitive.Sqrt: for (let i = 0; i < n; i++) o[i] = Math.sqrt(a[i]!); return;
    case Primitive.Rsqrt: for (let i = 0; i < n; i++) o[i] = 1 / Math.sqrt(a[i]!); return;
    case Primitive.Sin: for (let i = 0; i < n; i++) o[i] = Math.sin(a[i]!); return;
    case Primitive.Cos: for (let i = 0; i < n; i++) o[i] = Math.cos(a[i]!); return;
    case Primitive.Tanh: for (let i = 0; i < n; i++) o[i] = Math.tanh(a[i]!); return;
    case Primitive.Logistic: for (let i = 0; i < n; i++) o[i] = logistic(a[i]!); return;
    case Primitive.Floor: for (let i = 0; i < n; i++) o[i] = Math.floor(a[i]!); return;
    case Primitive.Ceil: for (let i = 0; i < n; i++) o[i] = Math.ceil(a[i]!); return;
    case Primitive.Round: for (let i = 0; i < n; i++) o[i] = roundHalfEven(a[i]!); return;
    case Primitive.Not: return unreachable(op, 'float');
    default: return op satisfies never;
  }
}

export function evalUnary(op: UnaryOp, x: HostTensor, out: AVal): HostArray {
  const d = out.dtype, a = x.data, n = a.length;
  if (isFloat(d)) return floatResult(d, n, (o) => unaryFloat(op, a, o));
  const o = allocHost(d, n);
  if (d === 'bool') {
    if (op !== Primitive.Not) return unreachable(op, d);
    for (let i = 0; i < n; i++) o[i] = a[i]! ? 0 : 1;
    return o;
  }
  // i32: results are stored into an Int32Array, which wraps (|0 made explicit anyway).
  switch (op) {
    case Primitive.Neg: for (let i = 0; i < n; i++) o[i] = -a[i]! | 0; break;
    case Primitive.Abs: for (let i = 0; i < n; i++) o[i] = Math.abs(a[i]!) | 0; break;
    case Primitive.Sign: for (let i = 0; i < n; i++) o[i] = Math.sign(a[i]!); break;
    case Primitive.Not: for (let i = 0; i < n; i++) o[i] = ~a[i]!; break;
    default: return unreachable(op, d);
  }
  return o;
}

function binaryFloat(op: BinaryOp, a: HostArray, b: HostArray, o: Out): void {
  const n = a.length;
  switch (op) {
    case Primitive.Add: for (let i = 0; i < n; i++) o[i] = a[i]! + b[i]!; return;
    case Primitive.Sub: for (let i = 0; i < n; i++) o[i] = a[i]! - b[i]!; return;
    case Primitive.Mul: for (let i = 0; i < n; i++) o[i] = a[i]! * b[i]!; return;
    case Primitive.Div: for (let i = 0; i < n; i++) o[i] = a[i]! / b[i]!; return;
    case Primitive.Pow: for (let i = 0; i < n; i++) o[i] = powF(a[i]!, b[i]!); return;
    // Math.max/min propagate NaN and order -0 < +0, as jnp.maximum/minimum do.
    case Primitive.Max: for (let i = 0; i < n; i++) o[i] = Math.max(a[i]!, b[i]!); return;
    case Primitive.Min: for (let i = 0; i < n; i++) o[i] = Math.min(a[i]!, b[i]!); return;
    case Primitive.And:
    case Primitive.Or:
    case Primitive.Xor:
    case Primitive.ShiftLeft:
    case Primitive.ShiftRightLogical:
      return unreachable(op, 'float');
    default:
      return op satisfies never;
  }
}

/** Integer kernels, shared by i32 and bool (bool values are 0/1, so & | ^ max min are logical). */
function binaryInt(op: BinaryOp, a: HostArray, b: HostArray, o: HostArray): void {
  const n = a.length;
  switch (op) {
    case Primitive.Add: for (let i = 0; i < n; i++) o[i] = (a[i]! + b[i]!) | 0; return;
    case Primitive.Sub: for (let i = 0; i < n; i++) o[i] = (a[i]! - b[i]!) | 0; return;
    case Primitive.Mul: for (let i = 0; i < n; i++) o[i] = Math.imul(a[i]!, b[i]!); return;
    case Primitive.Div: // truncates toward zero; x/0 = 0; INT_MIN/-1 wraps to INT_MIN
      for (let i = 0; i < n; i++) { const y = b[i]!; o[i] = y === 0 ? 0 : (a[i]! / y) | 0; }
      return;
    case Primitive.Pow: for (let i = 0; i < n; i++) o[i] = powI(a[i]!, b[i]!); return;
    case Primitive.Max: for (let i = 0; i < n; i++) o[i] = Math.max(a[i]!, b[i]!); return;
    case Primitive.Min: for (let i = 0; i < n; i++) o[i] = Math.min(a[i]!, b[i]!); return;
    case Primitive.And: for (let i = 0; i < n; i++) o[i] = a[i]! & b[i]!; return;
    case Primitive.Or: for (let i = 0; i < n; i++) o[i] = a[i]! | b[i]!; return;
    case Primitive.Xor: for (let i = 0; i < n; i++) o[i] = a[i]! ^ b[i]!; return;
    case Primitive.ShiftLeft: // shift amounts outside [0, 31] give 0
      for (let i = 0; i < n; i++) { const s = b[i]!; o[i] = s >= 0 && s < 32 ? a[i]! << s : 0; }
      return;
    case Primitive.ShiftRightLogical:
      for (let i = 0; i < n; i++) { const s = b[i]!; o[i] = s >= 0 && s < 32 ? (a[i]! >>> s) | 0 : 0; }
      return;
    default:
      return op satisfies never;
  }
}

export function evalBinary(op: BinaryOp, x: HostTensor, y: HostTensor, out: AVal): HostArray {
  const d = out.dtype, a = x.data, b = y.data;
  if (isFloat(d)) return floatResult(d, a.length, (o) => binaryFloat(op, a, b, o));
  const o = allocHost(d, a.length);
  binaryInt(op, a, b, o);
  return o;
}

/** Comparisons give bool; any comparison with NaN is false except `ne`. */
export function evalCompare(op: CompareOp, x: HostTensor, y: HostTensor): HostArray {
  const a = x.data, b = y.data, n = a.length, o = new Uint8Array(n);
  switch (op) {
    case Primitive.Eq: for (let i = 0; i < n; i++) o[i] = a[i]! === b[i]! ? 1 : 0; break;
    case Primitive.Ne: for (let i = 0; i < n; i++) o[i] = a[i]! !== b[i]! ? 1 : 0; break;
    case Primitive.Lt: for (let i = 0; i < n; i++) o[i] = a[i]! < b[i]! ? 1 : 0; break;
    case Primitive.Le: for (let i = 0; i < n; i++) o[i] = a[i]! <= b[i]! ? 1 : 0; break;
    case Primitive.Gt: for (let i = 0; i < n; i++) o[i] = a[i]! > b[i]! ? 1 : 0; break;
    case Primitive.Ge: for (let i = 0; i < n; i++) o[i] = a[i]! >= b[i]! ? 1 : 0; break;
    default: return op satisfies never;
  }
  return o;
}

export function evalSelect(pred: HostTensor, onTrue: HostTensor, onFalse: HostTensor, out: AVal): HostArray {
  const p = pred.data, a = onTrue.data, b = onFalse.data, n = p.length;
  const o = allocHost(out.dtype, n);
  for (let i = 0; i < n; i++) o[i] = p[i] ? a[i]! : b[i]!;
  return o;
}

/** convert: see `convertValue` for the rules. */
export function evalConvert(x: HostTensor, out: AVal): HostArray {
  const d = out.dtype, a = x.data, n = a.length;
  if (d === x.aval.dtype) return a.slice();
  if (isFloat(d)) {
    return floatResult(d, n, (o) => {
      for (let i = 0; i < n; i++) o[i] = a[i]!;
    });
  }
  const o = allocHost(d, n);
  for (let i = 0; i < n; i++) o[i] = convertValue(a[i]!, d);
  return o;
}
