// Differential tests of elementwise ops compiled for the CPU against the interpreter: every
// unary and binary op on f32/f64/i32/bool with NumPy broadcasting and dtype promotion (weak JS
// scalars included), comparisons and logic, where/clip, astype edge cases, special values.
// Many ops are batched into one jitted function per dtype to keep the compile count low.
import { describe, expect, it } from 'vitest';
import * as k from '../../index.ts';
import { cpuPresent, diff, rand, rng, useColdCache } from './helpers.ts';

useColdCache();

type T = k.Tensor;

/** The float unary ops, on values where they are defined. */
function floatUnary(x: T, pos: T) {
  return {
    neg: x.neg(), abs: x.abs(), sign: x.sign(), exp: x.exp(), expm1: x.expm1(), sin: x.sin(), cos: x.cos(), tanh: x.tanh(),
    sigmoid: x.sigmoid(), relu: x.relu(), floor: x.mul(3).floor(), ceil: x.mul(3).ceil(), round: x.mul(3).round(),
    log: pos.log(), log1p: pos.log1p(), sqrt: pos.sqrt(), rsqrt: pos.rsqrt(), square: x.mul(x),
    isFinite: k.isFinite(x), isNaN: k.isNaN(x),
  };
}

/** The binary ops of one dtype with broadcasting: a [3, 4] against b [4] and c [3, 1]. */
function floatBinary(a: T, b: T, c: T, pos: T) {
  return {
    add: a.add(b), sub: a.sub(c), mul: a.mul(b), div: a.div(c), max: a.maximum(b), min: k.minimum(c, a),
    pow: pos.pow(b), powInt: a.pow(3), eq: a.equal(b), ne: a.notEqual(a.round()), lt: a.less(c), le: a.lessEqual(b),
    gt: a.greater(0), ge: c.greaterEqual(a), where: k.where(a.greater(b), a, c), clip: a.clip(-1, 0.5),
    clipT: k.clip(a, c, 1), scalarLeft: k.sub(1, a), scalarDiv: k.div(2, pos),
  };
}

describe.runIf(cpuPresent)('elementwise on the CPU equals the interpreter', () => {
  const r = rng(1);

  it('f32 unary and binary ops with broadcasting', () => {
    const x = rand(r, [3, 4]), pos = rand(r, [3, 4], 'f32', 0.1, 3);
    const a = rand(r, [3, 4]), b = rand(r, [4]), c = rand(r, [3, 1]);
    diff((x: T, p: T, a: T, b: T, c: T) => ({ u: floatUnary(x, p), b: floatBinary(a, b, c, p) }), [x, pos, a, b, c]);
  });

  it('f64 unary and binary ops with broadcasting', () => {
    const x = rand(r, [3, 4], 'f64'), pos = rand(r, [3, 4], 'f64', 0.1, 3);
    const a = rand(r, [3, 4], 'f64'), b = rand(r, [4], 'f64'), c = rand(r, [3, 1], 'f64');
    const { cpu } = diff((x: T, p: T, a: T, b: T, c: T) => ({ u: floatUnary(x, p), b: floatBinary(a, b, c, p) }), [x, pos, a, b, c]);
    expect(cpu.u.exp.dtype).toBe('f64');
  });

  it('i32 ops: arithmetic wraps, integer pow, division gives f32, sign/abs/neg', () => {
    const a = rand(r, [3, 4], 'i32', -50, 50), b = rand(r, [4], 'i32', -5, 6), c = rand(r, [3, 1], 'i32', 1, 7);
    const big = k.array([2147483647, -2147483648, 65536, -3], { dtype: 'i32' });
    diff(
      (a: T, b: T, c: T, big: T) => ({
        add: a.add(b), sub: a.sub(c), mul: a.mul(b), div: a.div(c), max: a.maximum(b), min: a.minimum(c),
        pow: a.pow(c.sub(1)), powNegExp: b.pow(-1), neg: a.neg(), abs: a.abs(), sign: a.sign(), relu: a.relu(),
        eq: a.equal(b), ne: a.notEqual(c), lt: a.less(b), le: a.lessEqual(c), gt: a.greater(b), ge: a.greaterEqual(0),
        wrapAdd: big.add(1), wrapMul: big.mul(big), wrapNeg: big.neg(), absMin: big.abs(),
        where: k.where(a.greater(0), a, b), clip: a.clip(-10, 10), exp: a.exp(), sqrt: c.sqrt(), floor: a.floor(),
        scalarF: a.add(0.5), scalarI: a.mul(3), divScalar: a.div(4),
      }),
      [a, b, c, big],
    );
  });

  it('bool ops: logic, comparisons, arithmetic promotion, sums', () => {
    const p = rand(r, [3, 4], 'bool'), q = rand(r, [4], 'bool');
    diff(
      (p: T, q: T) => ({
        and: p.logicalAnd(q), or: p.logicalOr(q), not: p.logicalNot(), eq: p.equal(q), ne: p.notEqual(q),
        lt: p.less(q), ge: p.greaterEqual(q), addInt: p.add(2), addFloat: p.add(0.5), max: p.maximum(q),
        sum: p.sum(), sumAxis: p.sum({ axis: 0 }), all: p.all({ axis: 1 }), any: p.any(), where: k.where(p, 1, -1),
        toF: p.astype('f32'), toI: p.astype('i32'),
      }),
      [p, q],
    );
  });

  it('mixed dtypes promote: f32+f64, i32+f32, i32+f64, bool+i32, weak scalars keep the width', () => {
    const f = rand(r, [2, 3]), d = rand(r, [3], 'f64'), i = rand(r, [2, 1], 'i32', -4, 4), b = rand(r, [2, 3], 'bool');
    const { cpu } = diff(
      (f: T, d: T, i: T, b: T) => ({
        fd: f.add(d), fi: f.mul(i), id: i.sub(d), bi: b.add(i), bf: b.mul(f), weakF: f.add(2.5), weakI: i.add(2.5),
        cmp: i.less(f), where: k.where(b, i, f), max: k.maximum(i, d), pow: f.abs().pow(i),
      }),
      [f, d, i, b],
    );
    expect([cpu.fd.dtype, cpu.fi.dtype, cpu.id.dtype, cpu.bi.dtype, cpu.bf.dtype, cpu.weakF.dtype, cpu.weakI.dtype]).toEqual(['f64', 'f32', 'f64', 'i32', 'f32', 'f32', 'f32']);
  });

  it('special values: NaN, ±inf, -0 through unary ops, max/min and comparisons', () => {
    const sv = [NaN, Infinity, -Infinity, -0, 0, 1, -1, 0.5, -0.5, 1.5, 2.5, -2.5, 1e30, -1e-30];
    const x32 = k.array(sv), x64 = k.array(sv, { dtype: 'f64' });
    const f = (x: T) => ({
      neg: x.neg(), abs: x.abs(), sign: x.sign(), exp: x.exp(), log: x.log(), sqrt: x.sqrt(), tanh: x.tanh(), sigmoid: x.sigmoid(),
      floor: x.floor(), ceil: x.ceil(), round: x.round(), max: x.maximum(0), min: x.minimum(0), relu: x.relu(),
      eq: x.equal(x), ne: x.notEqual(x), lt: x.less(0), ge: x.greaterEqual(0), isFinite: k.isFinite(x), isNaN: k.isNaN(x),
      div0: x.div(0), mul0: x.mul(0), clip: x.clip(-1, 1), expm1: x.expm1(), log1p: x.log1p(), rsqrt: x.rsqrt(),
    });
    diff((a: T, b: T) => ({ f32: f(a), f64: f(b) }), [x32, x64]);
  });

  it('astype: NaN, ±inf and out-of-range floats to i32, anything to bool, i32 to floats, f64 to f32', () => {
    const sv = [NaN, Infinity, -Infinity, 3e9, -3e9, 2147483647.9, -2147483648.9, 2.7, -2.7, -0.5, 0, -0, 1e-40];
    const x32 = k.array(sv), x64 = k.array(sv, { dtype: 'f64' });
    const i = k.array([0, 1, -1, 16777217, -2147483648, 2147483647], { dtype: 'i32' });
    const bits = k.array([1.0000001, 3.4e38, 1e39, -1e39, 1e-46], { dtype: 'f64' });
    diff(
      (a: T, b: T, i: T, bits: T) => ({
        f32toI: a.astype('i32'), f64toI: b.astype('i32'), f32toB: a.astype('bool'), f64toB: b.astype('bool'),
        f32toF64: a.astype('f64'), iToF32: i.astype('f32'), iToF64: i.astype('f64'), iToB: i.astype('bool'),
        f64toF32: bits.astype('f32'), bToI: i.astype('bool').astype('i32'), bToF: i.astype('bool').astype('f64'),
      }),
      [x32, x64, i, bits],
    );
  });

  it('exact ops are bit for bit, also fused into chains (no FMA contraction, no extra precision kept)', () => {
    const f = (a: T, b: T, c: T, d: T) => ({
      fma: a.mul(b).add(c), fms: a.mul(b).sub(c.mul(d)), chain: a.add(b).add(c).add(d), divMul: a.div(b).mul(c), sqrtMul: a.abs().sqrt().mul(b),
      mixed: a.mul(3).add(b.mul(0.1)).div(c.add(5)), poly: a.mul(a).mul(a).add(a.mul(a)).add(a), round: a.mul(7.5).round(), floorDiv: a.div(b).floor(),
      minmax: a.maximum(b).minimum(c).sub(d.abs()), cmpChain: k.where(a.mul(b).greater(c.add(d)), a.sub(b), c.mul(d)),
      toI: a.mul(1000).astype('i32').add(b.mul(77).astype('i32')), toF32: a.astype('f32').mul(b.astype('f32')),
    });
    for (const dt of ['f32', 'f64'] as const) {
      const args = [rand(r, [4000], dt), rand(r, [4000], dt), rand(r, [4000], dt), rand(r, [4000], dt)] as [T, T, T, T];
      diff(f, args, { rtol: 0, atol: 0 });
    }
  });
});

