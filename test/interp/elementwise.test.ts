// Elementwise primitives across dtypes. Expected values are worked out by hand or from
// closed forms (Math.fround of the exact double result, BigInt for wrapping products).
import { describe, expect, it } from 'vitest';
import { ShapeError } from '../../compiler/ir/errors.ts';
import { Primitive, type PrimitiveParams } from '../../compiler/ir/primitives.ts';
import type { DType } from '../../compiler/ir/dtype.ts';
import { evalPrimitive, hostTensor, type HostTensor } from '../../runtime/interp/index.ts';

const t = (dtype: DType, values: number[], shape: number[] = [values.length]) => hostTensor(shape, dtype, values);
const ev = <P extends Primitive>(p: P, params: PrimitiveParams[P], ...ins: HostTensor[]) => evalPrimitive(p, params, ins)[0]!;
const un = (p: Primitive, x: HostTensor) => Array.from(ev(p, {} as never, x).data);
const bin = (p: Primitive, x: HostTensor, y: HostTensor) => Array.from(ev(p, {} as never, x, y).data);
const wrap = (x: bigint) => Number(BigInt.asIntN(32, x));
const I32_MIN = -(2 ** 31), I32_MAX = 2 ** 31 - 1;

describe('f32 and f64 arithmetic', () => {
  it('f32 rounds every op to f32', () => {
    const r = ev(Primitive.Add, {}, t('f32', [0.1]), t('f32', [0.2]));
    expect(r.data[0]).toBe(Math.fround(Math.fround(0.1) + Math.fround(0.2)));
    expect(r.data[0]).not.toBe(0.1 + 0.2);
    expect(r.data).toBeInstanceOf(Float32Array);
    expect(r.aval).toEqual({ shape: [1], dtype: 'f32' });
    const x = Math.fround(1 / 3);
    expect(bin(Primitive.Mul, t('f32', [x]), t('f32', [3]))).toEqual([Math.fround(x * 3)]);
    expect(bin(Primitive.Div, t('f32', [1]), t('f32', [3]))).toEqual([Math.fround(1 / 3)]);
    expect(un(Primitive.Sqrt, t('f32', [2]))).toEqual([Math.fround(Math.SQRT2)]);
    expect(un(Primitive.Exp, t('f32', [1]))).toEqual([Math.fround(Math.E)]);
  });
  it('f64 stays double', () => {
    expect(bin(Primitive.Add, t('f64', [0.1]), t('f64', [0.2]))).toEqual([0.1 + 0.2]);
    expect(ev(Primitive.Add, {}, t('f64', [1]), t('f64', [2])).data).toBeInstanceOf(Float64Array);
  });
  it('f16 and bf16 round each result to their precision', () => {
    // f16(0.1) + f16(0.2) = 0.0999755859375 + 0.199951171875 = 0.2999267578125 = 1228.5 * 2^-12:
    // a tie, so it rounds to the even 1228 * 2^-12.
    expect(bin(Primitive.Add, t('f16', [0.1]), t('f16', [0.2]))).toEqual([1228 * 2 ** -12]);
    expect(bin(Primitive.Mul, t('f16', [300]), t('f16', [300]))).toEqual([Infinity]); // 90000 > 65504
    // bf16: 1 + 2^-8 is a tie between 1 and 1 + 2^-7, rounds to 1
    expect(bin(Primitive.Add, t('bf16', [1]), t('bf16', [2 ** -8]))).toEqual([1]);
    expect(un(Primitive.Sqrt, t('bf16', [2]))).toEqual([1.4140625]); // sqrt 2 = 1.0110101000001..b
  });
  it('unary float functions', () => {
    const f = (p: Primitive, xs: number[]) => un(p, t('f64', xs));
    expect(f(Primitive.Neg, [1, -0, 0])).toEqual([-1, 0, -0]);
    expect(f(Primitive.Abs, [-2, 3, -0])).toEqual([2, 3, 0]);
    expect(f(Primitive.Log, [Math.E, 0, -1])).toEqual([1, -Infinity, NaN]);
    expect(f(Primitive.Log1p, [1e-20])).toEqual([1e-20]);
    expect(f(Primitive.Expm1, [1e-20])).toEqual([1e-20]);
    expect(f(Primitive.Rsqrt, [4, 0, 0.25])).toEqual([0.5, Infinity, 2]);
    expect(f(Primitive.Sin, [0, Math.PI / 2])).toEqual([0, 1]);
    expect(f(Primitive.Cos, [0, Math.PI])).toEqual([1, -1]);
    expect(f(Primitive.Tanh, [0, 1000, -1000])).toEqual([0, 1, -1]);
    expect(f(Primitive.Floor, [1.5, -1.5, -0])).toEqual([1, -2, -0]);
    expect(f(Primitive.Ceil, [1.5, -1.5])).toEqual([2, -1]);
    expect(f(Primitive.Round, [0.5, 1.5, 2.5, -0.5, -2.5, 2.6])).toEqual([0, 2, 2, -0, -2, 3]);
  });
  it('sign: ±1, zero keeps its sign, NaN stays NaN', () => {
    const r = un(Primitive.Sign, t('f32', [-2, -0, 0, 3, NaN]));
    expect(r).toEqual([-1, -0, 0, 1, NaN]);
    expect(Object.is(r[1], -0)).toBe(true);
    expect(un(Primitive.Sign, t('i32', [-7, 0, 9]))).toEqual([-1, 0, 1]);
  });
  it('logistic is stable at both ends', () => {
    expect(un(Primitive.Logistic, t('f64', [0, 1000, -1000]))).toEqual([0.5, 1, 0]);
    const [y] = un(Primitive.Logistic, t('f64', [-700]));
    expect(y).toBeCloseTo(Math.exp(-700) / (1 + Math.exp(-700)), 320);
    expect(y! > 0).toBe(true);
    expect(un(Primitive.Logistic, t('f32', [2]))).toEqual([Math.fround(1 / (1 + Math.exp(-2)))]);
  });
  it('pow follows IEEE pow special cases', () => {
    expect(bin(Primitive.Pow, t('f64', [2, 1, NaN, -1, -1, 4, -8]), t('f64', [10, NaN, 0, Infinity, -Infinity, 0.5, 1 / 3])))
      .toEqual([1024, 1, 1, 1, 1, 2, NaN]);
  });
  it('max/min propagate NaN from either side', () => {
    const a = t('f32', [NaN, 1, 2, -0]), b = t('f32', [1, NaN, 3, 0]);
    expect(bin(Primitive.Max, a, b)).toEqual([NaN, NaN, 3, 0]);
    expect(bin(Primitive.Min, a, b)).toEqual([NaN, NaN, 2, -0]);
  });
});

describe('i32 arithmetic wraps', () => {
  it('add, sub, mul, neg, abs', () => {
    expect(bin(Primitive.Add, t('i32', [I32_MAX, -5]), t('i32', [1, 3]))).toEqual([I32_MIN, -2]);
    expect(bin(Primitive.Sub, t('i32', [I32_MIN]), t('i32', [1]))).toEqual([I32_MAX]);
    expect(bin(Primitive.Mul, t('i32', [65536, 123456789, -7]), t('i32', [65536, 987654321, 6])))
      .toEqual([0, wrap(123456789n * 987654321n), -42]);
    expect(un(Primitive.Neg, t('i32', [I32_MIN, 5]))).toEqual([I32_MIN, -5]);
    expect(un(Primitive.Abs, t('i32', [I32_MIN, -5]))).toEqual([I32_MIN, 5]);
  });
  it('div truncates toward zero; x/0 = 0; INT_MIN/-1 wraps', () => {
    expect(bin(Primitive.Div, t('i32', [7, -7, 7, -7, 5, 0, I32_MIN]), t('i32', [2, 2, -2, -2, 0, 0, -1])))
      .toEqual([3, -3, -3, 3, 0, 0, I32_MIN]);
  });
  it('pow by repeated multiplication', () => {
    expect(bin(Primitive.Pow, t('i32', [3, 2, 2, 3, 0, 1, -1, -1, 2, 0, -3]), t('i32', [4, 31, 32, 40, 0, -5, -3, -2, -1, -1, 3])))
      .toEqual([81, I32_MIN, 0, wrap(3n ** 40n), 1, 1, -1, 1, 0, 0, -27]);
  });
  it('max, min', () => {
    expect(bin(Primitive.Max, t('i32', [I32_MIN, 4]), t('i32', [0, -4]))).toEqual([0, 4]);
    expect(bin(Primitive.Min, t('i32', [I32_MIN, 4]), t('i32', [0, -4]))).toEqual([I32_MIN, -4]);
  });
  it('bitwise not/and/or/xor', () => {
    expect(un(Primitive.Not, t('i32', [0, 5, -1]))).toEqual([-1, -6, 0]);
    const a = t('i32', [0b1100, -1]), b = t('i32', [0b1010, 0x0f0f]);
    expect(bin(Primitive.And, a, b)).toEqual([0b1000, 0x0f0f]);
    expect(bin(Primitive.Or, a, b)).toEqual([0b1110, -1]);
    expect(bin(Primitive.Xor, a, b)).toEqual([0b0110, ~0x0f0f]);
  });
  it('shifts: amounts outside [0, 31] give 0; right shift is logical', () => {
    expect(bin(Primitive.ShiftLeft, t('i32', [1, 1, 1, 3, 1]), t('i32', [31, 32, -1, 2, 0]))).toEqual([I32_MIN, 0, 0, 12, 1]);
    expect(bin(Primitive.ShiftRightLogical, t('i32', [-1, -8, 5, 5, 16]), t('i32', [28, 0, 32, -1, 2]))).toEqual([15, -8, 0, 0, 4]);
  });
});

describe('bool', () => {
  const a = t('bool', [0, 0, 1, 1]), b = t('bool', [0, 1, 0, 1]);
  it('logical not/and/or/xor and max (or) / min (and)', () => {
    expect(un(Primitive.Not, a)).toEqual([1, 1, 0, 0]);
    expect(bin(Primitive.And, a, b)).toEqual([0, 0, 0, 1]);
    expect(bin(Primitive.Or, a, b)).toEqual([0, 1, 1, 1]);
    expect(bin(Primitive.Xor, a, b)).toEqual([0, 1, 1, 0]);
    expect(bin(Primitive.Max, a, b)).toEqual([0, 1, 1, 1]);
    expect(bin(Primitive.Min, a, b)).toEqual([0, 0, 0, 1]);
    expect(ev(Primitive.Not, {}, a).data).toBeInstanceOf(Uint8Array);
  });
  it('arithmetic on bool is a shape error', () => {
    expect(() => ev(Primitive.Add, {}, a, b)).toThrow(ShapeError);
  });
});

describe('comparisons and select', () => {
  it('give bool; NaN compares false except ne', () => {
    const x = t('f32', [1, 2, NaN, NaN, -0]), y = t('f32', [2, 2, 1, NaN, 0]);
    expect(bin(Primitive.Eq, x, y)).toEqual([0, 1, 0, 0, 1]);
    expect(bin(Primitive.Ne, x, y)).toEqual([1, 0, 1, 1, 0]);
    expect(bin(Primitive.Lt, x, y)).toEqual([1, 0, 0, 0, 0]);
    expect(bin(Primitive.Le, x, y)).toEqual([1, 1, 0, 0, 1]);
    expect(bin(Primitive.Gt, x, y)).toEqual([0, 0, 0, 0, 0]);
    expect(bin(Primitive.Ge, x, y)).toEqual([0, 1, 0, 0, 1]);
    expect(ev(Primitive.Lt, {}, x, y).aval.dtype).toBe('bool');
    expect(bin(Primitive.Lt, t('i32', [I32_MIN, 3]), t('i32', [I32_MAX, 3]))).toEqual([1, 0]);
    expect(bin(Primitive.Gt, t('bool', [1, 0]), t('bool', [0, 0]))).toEqual([1, 0]);
  });
  it('select picks by predicate', () => {
    const r = ev(Primitive.Select, {}, t('bool', [1, 0, 1]), t('i32', [1, 2, 3]), t('i32', [-1, -2, -3]));
    expect(Array.from(r.data)).toEqual([1, -2, 3]);
    expect(r.aval.dtype).toBe('i32');
  });
});

describe('convert', () => {
  const cv = (x: HostTensor, dtype: DType) => ev(Primitive.Convert, { dtype }, x);
  it('float → i32 truncates, NaN → 0, clamps', () => {
    const r = cv(t('f32', [1.9, -1.9, NaN, 3e9, -3e9, Infinity]), 'i32');
    expect(Array.from(r.data)).toEqual([1, -1, 0, I32_MAX, I32_MIN, I32_MAX]);
    expect(r.data).toBeInstanceOf(Int32Array);
  });
  it('→ bool is x != 0; bool → number is 0/1', () => {
    expect(Array.from(cv(t('f64', [0, -0, NaN, 0.5]), 'bool').data)).toEqual([0, 0, 1, 1]);
    expect(Array.from(cv(t('i32', [0, -3]), 'bool').data)).toEqual([0, 1]);
    expect(Array.from(cv(t('bool', [0, 1]), 'f32').data)).toEqual([0, 1]);
    expect(Array.from(cv(t('bool', [1, 0]), 'i32').data)).toEqual([1, 0]);
  });
  it('→ floats round', () => {
    expect(Array.from(cv(t('i32', [16777217]), 'f32').data)).toEqual([16777216]);
    expect(Array.from(cv(t('f64', [0.1]), 'f32').data)).toEqual([Math.fround(0.1)]);
    expect(Array.from(cv(t('f64', [65520, 0.1]), 'f16').data)).toEqual([Infinity, 0.0999755859375]);
    expect(Array.from(cv(t('f32', [0.1]), 'bf16').data)).toEqual([0.10009765625]);
    expect(Array.from(cv(t('f32', [0.1]), 'f64').data)).toEqual([Math.fround(0.1)]);
  });
});

describe('shape errors and purity', () => {
  it('raises the shape rule error for mismatched operands', () => {
    expect(() => ev(Primitive.Add, {}, t('f32', [1, 2]), t('f32', [1, 2, 3]))).toThrow(ShapeError);
    expect(() => ev(Primitive.Add, {}, t('f32', [1]), t('f64', [1]))).toThrow(ShapeError);
    expect(() => ev(Primitive.Exp, {}, t('i32', [1]))).toThrow(ShapeError);
  });
  it('rejects data that does not fit the aval', () => {
    const bad = { aval: { shape: [3], dtype: 'f32' as const }, data: new Float32Array(2) };
    expect(() => ev(Primitive.Neg, {}, bad)).toThrow(/does not fit/);
    const wrongKind = { aval: { shape: [1], dtype: 'f32' as const }, data: new Float64Array(1) };
    expect(() => ev(Primitive.Neg, {}, wrongKind)).toThrow(/does not fit/);
  });
  it('never mutates inputs and returns fresh arrays', () => {
    const x = t('f32', [1, 2, 3]);
    const r = ev(Primitive.Convert, { dtype: 'f32' }, x);
    expect(r.data).not.toBe(x.data);
    ev(Primitive.Neg, {}, x);
    expect(Array.from(x.data)).toEqual([1, 2, 3]);
  });
});
