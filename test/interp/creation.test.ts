// constant, iota, random_bits.
import { describe, expect, it } from 'vitest';
import { ShapeError } from '../../compiler/ir/errors.ts';
import { Primitive } from '../../compiler/ir/primitives.ts';
import { evalPrimitive, hostTensor, threefry2x32 } from '../../runtime/interp/index.ts';

const vals = (xs: ArrayLike<number>) => Array.from(xs);

describe('constant', () => {
  it('holds row-major data converted to the dtype', () => {
    const [r] = evalPrimitive(Primitive.Constant, { shape: [2, 2], dtype: 'f32', data: [0.1, 2, 3, 4] }, []);
    expect(r!.aval).toEqual({ shape: [2, 2], dtype: 'f32' });
    expect(vals(r!.data)).toEqual([Math.fround(0.1), 2, 3, 4]);
    const [i] = evalPrimitive(Primitive.Constant, { shape: [3], dtype: 'i32', data: [2.7, -2.7, 5] }, []);
    expect(vals(i!.data)).toEqual([2, -2, 5]);
    const [b] = evalPrimitive(Primitive.Constant, { shape: [3], dtype: 'bool', data: [0, 2, NaN] }, []);
    expect(vals(b!.data)).toEqual([0, 1, 1]);
  });
  it('broadcasts a single value, including to scalars and empty shapes', () => {
    const [r] = evalPrimitive(Primitive.Constant, { shape: [2, 3], dtype: 'f64', data: [7] }, []);
    expect(vals(r!.data)).toEqual([7, 7, 7, 7, 7, 7]);
    const [s] = evalPrimitive(Primitive.Constant, { shape: [], dtype: 'f16', data: [0.1] }, []);
    expect(vals(s!.data)).toEqual([0.0999755859375]);
    const [e] = evalPrimitive(Primitive.Constant, { shape: [0, 4], dtype: 'f32', data: [1] }, []);
    expect(e!.data.length).toBe(0);
  });
  it('rejects a wrong number of values', () => {
    expect(() => evalPrimitive(Primitive.Constant, { shape: [3], dtype: 'f32', data: [1, 2] }, [])).toThrow(ShapeError);
  });
});

describe('iota', () => {
  it('counts along dim, repeated along the other axes', () => {
    const [a] = evalPrimitive(Primitive.Iota, { shape: [2, 3], dtype: 'i32', dim: 0 }, []);
    expect(vals(a!.data)).toEqual([0, 0, 0, 1, 1, 1]);
    const [b] = evalPrimitive(Primitive.Iota, { shape: [2, 3], dtype: 'f32', dim: 1 }, []);
    expect(vals(b!.data)).toEqual([0, 1, 2, 0, 1, 2]);
    const [c] = evalPrimitive(Primitive.Iota, { shape: [2, 2, 2], dtype: 'f64', dim: 1 }, []);
    expect(vals(c!.data)).toEqual([0, 0, 1, 1, 0, 0, 1, 1]);
  });
  it('rounds to f16 (2049 is not representable; it ties to 2048)', () => {
    const [a] = evalPrimitive(Primitive.Iota, { shape: [2051], dtype: 'f16', dim: 0 }, []);
    expect(vals(a!.data.subarray(2047))).toEqual([2047, 2048, 2048, 2050]);
  });
});

describe('random_bits', () => {
  const key = (a: number, b: number) => hostTensor([2], 'i32', [a | 0, b | 0]);
  const bits = (k: ReturnType<typeof key>, shape: number[]) => evalPrimitive(Primitive.RandomBits, { shape }, [k])[0]!;

  it('element i is word 0 of threefry2x32(key, counter (0, i)), as i32', () => {
    const r = bits(key(0, 0), [3]);
    expect(r.aval).toEqual({ shape: [3], dtype: 'i32' });
    // word 0 of the KAT vector key (0,0) counter (0,0) is 0x6b200159
    expect(r.data[0]).toBe(0x6b200159);
    expect(r.data[1]).toBe(threefry2x32(0, 0, 0, 1)[0] | 0);
    expect(r.data[2]).toBe(threefry2x32(0, 0, 0, 2)[0] | 0);
  });
  it('reads the key words as u32 (negative i32 keys are their bit patterns)', () => {
    const r = bits(key(-1, 0x13198a2e), [2]);
    expect(r.data[1]).toBe(threefry2x32(0xffffffff, 0x13198a2e, 0, 1)[0] | 0);
  });
  it('depends only on the flat index, not the shape', () => {
    expect(vals(bits(key(5, 7), [2, 3]).data)).toEqual(vals(bits(key(5, 7), [6]).data));
    expect(vals(bits(key(5, 7), [2]).data)).toEqual(vals(bits(key(5, 7), [6]).data.subarray(0, 2)));
  });
  it('differs across keys and looks uniform', () => {
    const a = bits(key(1, 2), [4096]), b = bits(key(1, 3), [4096]);
    let same = 0, ones = 0;
    for (let i = 0; i < 4096; i++) {
      if (a.data[i] === b.data[i]) same++;
      let v = a.data[i]! >>> 0;
      while (v) {
        ones += v & 1;
        v >>>= 1;
      }
    }
    expect(same).toBe(0);
    // 131072 bits, mean 65536, sd 181: a wide 6-sd window
    expect(Math.abs(ones - 65536)).toBeLessThan(1100);
  });
  it('needs an i32[2] key', () => {
    expect(() => evalPrimitive(Primitive.RandomBits, { shape: [2] }, [hostTensor([3], 'i32', [1, 2, 3])])).toThrow(ShapeError);
  });
});
