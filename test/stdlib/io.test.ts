// k.io: safetensors files. The reference implementation's byte layout is reproduced by hand
// here (there is no Python safetensors on this machine): its own test vectors, and a builder
// that follows its rules (header padded with spaces to a multiple of 8, tensors ordered by
// descending dtype alignment then name, __metadata__ first).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import * as k from '../../index.ts';
import * as io from '../../stdlib/io/index.ts';

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-io-'));
});
afterEach(() => {
  vi.restoreAllMocks();
  fs.rmSync(tmp, { recursive: true, force: true });
});

// ---- an independent writer following the reference implementation (safetensors/src/tensor.rs)

const RANK = ['BOOL', 'U8', 'I8', 'F8_E5M2', 'F8_E4M3', 'I16', 'U16', 'F16', 'BF16', 'I32', 'U32', 'F32', 'F64', 'I64', 'U64'];
type RefTensor = { dtype: string; shape: number[]; data: Uint8Array };

function referenceSerialize(tensors: Record<string, RefTensor>, metadata?: Record<string, string>): Uint8Array {
  const names = Object.keys(tensors).sort((a, b) => RANK.indexOf(tensors[b]!.dtype) - RANK.indexOf(tensors[a]!.dtype) || (a < b ? -1 : 1));
  let json = '{';
  const parts: string[] = [];
  if (metadata) parts.push(`"__metadata__":{${Object.entries(metadata).map(([k2, v]) => `${JSON.stringify(k2)}:${JSON.stringify(v)}`).join(',')}}`);
  let off = 0;
  for (const n of names) {
    const t = tensors[n]!;
    parts.push(`${JSON.stringify(n)}:{"dtype":"${t.dtype}","shape":[${t.shape.join(',')}],"data_offsets":[${off},${off + t.data.length}]}`);
    off += t.data.length;
  }
  json += parts.join(',') + '}';
  const hb = Buffer.from(json, 'utf8');
  const padded = Buffer.concat([hb, Buffer.alloc((8 - (hb.length % 8)) % 8, 0x20)]);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(padded.length));
  return new Uint8Array(Buffer.concat([len, padded, ...names.map((n) => tensors[n]!.data)]));
}

const le = {
  f32: (xs: number[]) => new Uint8Array(Float32Array.from(xs).buffer),
  f64: (xs: number[]) => new Uint8Array(Float64Array.from(xs).buffer),
  i32: (xs: number[]) => new Uint8Array(Int32Array.from(xs).buffer),
  i64: (xs: number[]) => new Uint8Array(BigInt64Array.from(xs.map(BigInt)).buffer),
  u16: (xs: number[]) => new Uint8Array(Uint16Array.from(xs).buffer),
};

describe('reference byte layout', () => {
  test("the reference implementation's own test vectors", () => {
    const f32 = (name: string, shape: number[]) => ({ name, dtype: 'f32' as const, shape, bytes: () => le.f32([0, 1, 2, 3, 4, 5]) });
    // test_serialization
    const out = io.serialize([f32('attn.0', [1, 2, 3])]);
    expect(Array.from(out)).toEqual([
      64, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 46, 48, 34, 58, 123, 34, 100, 116, 121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115,
      104, 97, 112, 101, 34, 58, 91, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102, 115, 101, 116, 115, 34, 58, 91, 48, 44, 50,
      52, 93, 125, 125, 0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64,
    ]);
    // test_serialization_forced_alignement: 7 spaces pad the header to 72 bytes.
    const out2 = io.serialize([f32('attn0', [1, 1, 2, 3])]);
    expect(Array.from(out2.subarray(0, 8))).toEqual([72, 0, 0, 0, 0, 0, 0, 0]);
    expect(Buffer.from(out2.subarray(8, 80)).toString()).toBe('{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}       ');
    // test_empty, without and with metadata.
    expect(Array.from(io.serialize([]))).toEqual([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]);
    expect(Array.from(io.serialize([], { framework: 'pt' }))).toEqual([
      40, 0, 0, 0, 0, 0, 0, 0, 123, 34, 95, 95, 109, 101, 116, 97, 100, 97, 116, 97, 95, 95, 34, 58, 123, 34, 102, 114, 97, 109, 101, 119, 111, 114,
      107, 34, 58, 34, 112, 116, 34, 125, 125, 32, 32, 32, 32, 32,
    ]);
    // And they read back.
    const t = io.fromSafetensorsBytes(out).tensors['attn.0']!;
    expect(t.shape).toEqual([1, 2, 3]);
    expect(t).toBeAllclose([[[0, 1, 2], [3, 4, 5]]]);
  });

  // A state dict as PyTorch's safetensors.torch.save_file writes it (a BatchNorm's I64 counter included).
  const torchFile = () =>
    referenceSerialize(
      {
        'net.0.weight': { dtype: 'F32', shape: [2, 3], data: le.f32([1, 2, 3, 4, 5, 6]) },
        'net.0.bias': { dtype: 'F32', shape: [2], data: le.f32([-1, 0.5]) },
        'bn.num_batches_tracked': { dtype: 'I64', shape: [], data: le.i64([7]) },
        'bn.running_var': { dtype: 'F64', shape: [2], data: le.f64([1.25, Math.PI]) },
        'mask': { dtype: 'BOOL', shape: [3], data: new Uint8Array([1, 0, 1]) },
        'half': { dtype: 'F16', shape: [2], data: le.u16([0x3c00, 0xc100]) }, // 1, -2.5
        'brain': { dtype: 'BF16', shape: [2, 1], data: le.u16([0x3f80, 0x4049]) }, // 1, 3.140625
        'ids': { dtype: 'I32', shape: [2], data: le.i32([-5, 2 ** 31 - 1]) },
      },
      { format: 'pt' },
    );

  test('Kiln reads a file laid out by the reference implementation', () => {
    const file = path.join(tmp, 'model.safetensors');
    fs.writeFileSync(file, torchFile());
    const { tensors, metadata } = io.loadFile(file);
    expect(metadata).toEqual({ format: 'pt' });
    // Names in data order: I64, F64, F32 (bias, weight), I32, BF16, F16, BOOL.
    expect(Object.keys(tensors)).toEqual(['bn.num_batches_tracked', 'bn.running_var', 'net.0.bias', 'net.0.weight', 'ids', 'brain', 'half', 'mask']);
    expect(tensors['net.0.weight']!.dtype).toBe('f32');
    expect(tensors['net.0.weight']).toBeAllclose([[1, 2, 3], [4, 5, 6]]);
    expect(tensors['bn.num_batches_tracked']!.dtype).toBe('i32');
    expect(tensors['bn.num_batches_tracked']!.shape).toEqual([]);
    expect(tensors['bn.num_batches_tracked']!.item()).toBe(7);
    expect(tensors['bn.running_var']!.dtype).toBe('f64');
    expect(tensors['bn.running_var']!.data()[1]).toBe(Math.PI);
    expect(tensors['mask']!.toArray()).toEqual([true, false, true]);
    expect(tensors['half']!.dtype).toBe('f16');
    expect(tensors['half']).toBeAllclose([1, -2.5]);
    expect(tensors['brain']!.dtype).toBe('bf16');
    expect(tensors['brain']).toBeAllclose([[1], [3.140625]]);
    expect(tensors['ids']).toBeAllclose([-5, 2 ** 31 - 1]);
    // Without Kiln's tree metadata, load gives the flat record, or nests it on request.
    const nested = io.load<Record<string, Record<string, unknown>>>(file, { nest: true });
    expect(Object.keys(nested).sort()).toEqual(['bn', 'brain', 'half', 'ids', 'mask', 'net']);
    expect((nested.net!['0'] as Record<string, k.Tensor>).weight!.shape).toEqual([2, 3]);
  });

  test("Kiln's output follows the same rules, byte for byte", () => {
    const tensors: Record<string, k.Tensor> = {
      'net.0.weight': k.array([[1, 2, 3], [4, 5, 6]], { dtype: 'f32' }),
      'net.0.bias': k.array([-1, 0.5], { dtype: 'f32' }),
      'bn.running_var': k.array([1.25, Math.PI], { dtype: 'f64' }),
      mask: k.array([true, false, true]),
      half: k.array([1, -2.5], { dtype: 'f16' }),
      brain: k.array([[1], [3.140625]], { dtype: 'bf16' }),
      ids: k.array([-5, 2 ** 31 - 1], { dtype: 'i32' }),
    };
    const expected = referenceSerialize(
      {
        'net.0.weight': { dtype: 'F32', shape: [2, 3], data: le.f32([1, 2, 3, 4, 5, 6]) },
        'net.0.bias': { dtype: 'F32', shape: [2], data: le.f32([-1, 0.5]) },
        'bn.running_var': { dtype: 'F64', shape: [2], data: le.f64([1.25, Math.PI]) },
        mask: { dtype: 'BOOL', shape: [3], data: new Uint8Array([1, 0, 1]) },
        half: { dtype: 'F16', shape: [2], data: le.u16([0x3c00, 0xc100]) },
        brain: { dtype: 'BF16', shape: [2, 1], data: le.u16([0x3f80, 0x4049]) },
        ids: { dtype: 'I32', shape: [2], data: le.i32([-5, 2 ** 31 - 1]) },
      },
      { format: 'pt' },
    );
    const file = path.join(tmp, 'out.safetensors');
    io.save(file, tensors, { metadata: { format: 'pt' } });
    const bytes = fs.readFileSync(file);
    expect(Buffer.compare(bytes, Buffer.from(expected))).toBe(0);
    const headerLen = Number(bytes.readBigUInt64LE(0));
    expect(headerLen % 8).toBe(0);
    expect(bytes.subarray(8, 8 + headerLen).toString().trimEnd().endsWith('}')).toBe(true);
  });
});

describe('round trips', () => {
  const cases: [string, k.Tensor][] = [
    ['f32', k.array([[0, -0, 1.5, -3.25e-20], [3.4e38, Infinity, -Infinity, NaN]], { dtype: 'f32' })],
    ['f64', k.array([Math.PI, -1e-300, 1e300, NaN, 2 ** -1074], { dtype: 'f64' })],
    ['i32', k.array([[0, -1], [2 ** 31 - 1, -(2 ** 31)]], { dtype: 'i32' })],
    ['bool', k.array([[true, false], [false, true]])],
    ['f16', k.array([1, -2.5, 65504, 2 ** -24, 2 ** -14, 0.1, Infinity, NaN, -0], { dtype: 'f16' })],
    ['bf16', k.array([1, -2.5, 3.140625, 1e30, -1e-30, 0.1, Infinity, NaN], { dtype: 'bf16' })],
    ['scalar', k.array(2.5, { dtype: 'f32' })],
    ['empty', k.zeros([0, 3])],
  ];
  test.each(cases)('%s', (_name, t) => {
    const file = path.join(tmp, 't.safetensors');
    io.save(file, t);
    const back = io.load<k.Tensor>(file);
    expect(back).toBeInstanceOf(k.Tensor);
    expect(back.dtype).toBe(t.dtype);
    expect(back.shape).toEqual(t.shape);
    const [a, b] = [Array.from(back.data()), Array.from(t.data())];
    expect(a.map((v) => (Object.is(v, -0) ? '-0' : String(v)))).toEqual(b.map((v) => (Object.is(v, -0) ? '-0' : String(v))));
  });

  test('half-precision bit patterns', () => {
    expect([1, -2, 65504, 2 ** -24, 2 ** -14, Infinity, -0, 0.1].map(io.f16Bits)).toEqual([0x3c00, 0xc000, 0x7bff, 0x0001, 0x0400, 0x7c00, 0x8000, 0x2e66]);
    expect(io.f16Bits(NaN) & 0x7c00).toBe(0x7c00);
    expect([0x3c00, 0xc000, 0x7bff, 0x0001, 0x0400, 0x7c00, 0x2e66].map(io.f16Value)).toEqual([1, -2, 65504, 2 ** -24, 2 ** -14, Infinity, 0.0999755859375]);
    expect([1, -2, 3.140625, Infinity].map(io.bf16Bits)).toEqual([0x3f80, 0xc000, 0x4049, 0x7f80]);
    expect(io.bf16Value(0x4049)).toBe(3.140625);
    // Every f16 bit pattern (but NaNs) survives decode -> encode.
    const bad: number[] = [];
    for (let h = 0; h < 0x10000; h++) if (((h & 0x7c00) !== 0x7c00 || (h & 0x3ff) === 0) && io.f16Bits(io.f16Value(h)) !== h) bad.push(h);
    expect(bad).toEqual([]);
  });

  test('lists and trees come back with their structure', () => {
    const file = path.join(tmp, 'tree.safetensors');
    const list = [k.ones([2]), k.zeros([3], 'i32')];
    io.save(file, list);
    const l = io.load<k.Tensor[]>(file);
    expect(Array.isArray(l)).toBe(true);
    expect(l.map((t) => [t.dtype, t.shape])).toEqual([['f32', [2]], ['i32', [3]]]);
    expect(Object.keys(io.loadFlat(file)).sort()).toEqual(['0', '1']);

    const tree = { layers: [{ weight: k.ones([2, 3]), bias: k.zeros([2]) }, { weight: k.full([1, 2], 2), bias: k.zeros([1]) }], scale: k.array(3), none: null };
    io.save(file, tree);
    const flat = io.loadFlat(file);
    expect(Object.keys(flat).sort()).toEqual(['layers.0.bias', 'layers.0.weight', 'layers.1.bias', 'layers.1.weight', 'scale']);
    expect(io.loadFile(file).metadata[io.TREE_METADATA_KEY]).toBeDefined();
    const back = io.load<typeof tree>(file);
    expect(back.none).toBeNull();
    expect(back.layers[1]!.weight).toBeAllclose([[2, 2]]);
    expect(back.scale.item()).toBe(3);
    expect(Object.keys(back).sort()).toEqual(['layers', 'none', 'scale']);
  });

  test('flat records keep their dotted names; module-like objects save their parameters', () => {
    const file = path.join(tmp, 'flat.safetensors');
    io.save(file, { '0.weight': k.ones([2, 2]), '0.bias': k.zeros([2]) });
    expect(io.loadFile(file).metadata).toEqual({});
    expect(Object.keys(io.load(file) as object).sort()).toEqual(['0.bias', '0.weight']);
    let params: Record<string, k.Tensor> = { '0.weight': k.full([2, 2], 5), '0.bias': k.full([2], 6) };
    const mod = {
      namedParams: (): [string, k.Tensor][] => Object.entries(params),
      setParams: (p: Record<string, k.Tensor>) => {
        params = { ...p };
      },
    };
    io.loadInto(file, mod);
    expect(params['0.weight']).toBeAllclose([[1, 1], [1, 1]]);
    io.save(file, mod);
    expect(Object.keys(io.loadFlat(file)).sort()).toEqual(['0.bias', '0.weight']);
  });

  test('keys with dots inside a nested tree are refused', () => {
    expect(() => io.save(path.join(tmp, 'x.safetensors'), { a: { 'b.c': k.ones([1]) }, d: [k.ones([1])] })).toThrow(/key 'b\.c' at 'a' contains '\.'/);
    expect(() => io.save(path.join(tmp, 'x.safetensors'), { a: [1, 2] } as never)).toThrow(/'a\.0' is a Number, not a Tensor/);
  });
});

describe('loadInto', () => {
  const file = () => path.join(tmp, 'params.safetensors');
  const model = () => ({ '0': { weight: k.ones([4, 3]), bias: k.zeros([4]) }, '2': { weight: k.ones([1, 4]), bias: k.zeros([1]) } });

  test('loads a tree of the same structure', () => {
    const saved = { '0': { weight: k.full([4, 3], 0.5), bias: k.full([4], 1) }, '2': { weight: k.full([1, 4], 2), bias: k.full([1], 3) } };
    io.save(file(), saved);
    const p = io.loadInto(file(), model());
    expect(p['0'].weight).toBeAllclose(saved['0'].weight);
    expect(p['2'].bias).toBeAllclose([3]);
  });

  test('a shape or dtype mismatch names the tensor', () => {
    io.save(file(), { '0': { weight: k.ones([3, 4]), bias: k.zeros([4]) }, '2': { weight: k.ones([1, 4]), bias: k.zeros([1], 'i32') } });
    expect(() => io.loadInto(file(), model())).toThrow(/tensor '0\.weight': the file has f32\[3, 4\], the model expects f32\[4, 3\]/);
    expect(() => io.loadInto(file(), model())).toThrow(/tensor '2\.bias': the file has i32\[1\], the model expects f32\[1\]/);
  });

  test('missing and unexpected tensors', () => {
    io.save(file(), { '0': { weight: k.ones([4, 3]), bias: k.zeros([4]), extra: k.ones([1]) } });
    expect(() => io.loadInto(file(), model())).toThrow(/tensor '2\.weight' is missing from the file \(the model expects f32\[1, 4\]\)/);
    expect(() => io.loadInto(file(), { '0': { weight: k.ones([4, 3]), bias: k.zeros([4]) } })).toThrow(/the file has tensors the model lacks: 0\.extra/);
    expect(io.loadInto(file(), { '0': { weight: k.ones([4, 3]), bias: k.zeros([4]) } }, { strict: false })['0'].weight.shape).toEqual([4, 3]);
  });
});

describe('atomic writes', () => {
  test('no temporary file is left behind, and the old file is replaced', () => {
    const file = path.join(tmp, 'a.safetensors');
    io.save(file, k.ones([3]));
    io.save(file, k.zeros([5]));
    expect(fs.readdirSync(tmp)).toEqual(['a.safetensors']);
    expect(io.load<k.Tensor>(file).shape).toEqual([5]);
  });

  test('a write that fails midway leaves the old file intact and no temp file', () => {
    const file = path.join(tmp, 'b.safetensors');
    io.save(file, { w: k.full([4], 7) });
    const before = fs.readFileSync(file);
    let calls = 0;
    const real = fs.writeSync;
    vi.spyOn(fs, 'writeSync').mockImplementation(((...args: Parameters<typeof fs.writeSync>) => {
      if (++calls === 2) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      return (real as (...a: unknown[]) => number)(...args);
    }) as typeof fs.writeSync);
    expect(() => io.save(file, { w: k.full([1000], 1), v: k.ones([10]) })).toThrow(/ENOSPC/);
    expect(calls).toBe(2);
    vi.restoreAllMocks();
    expect(fs.readdirSync(tmp)).toEqual(['b.safetensors']);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
  });

  test('saving a value being traced fails before touching the file', () => {
    const file = path.join(tmp, 'c.safetensors');
    io.save(file, k.ones([2]));
    const f = k.jit((x: k.Tensor) => {
      io.save(file, { x });
      return x;
    });
    expect(() => f(k.ones([2]))).toThrow(/tensor 'x': cannot save a value being traced/);
    expect(io.load<k.Tensor>(file)).toBeAllclose([1, 1]);
    expect(fs.readdirSync(tmp)).toEqual(['c.safetensors']);
  });
});

describe('corrupt files are clear errors', () => {
  const good = () =>
    referenceSerialize({
      a: { dtype: 'F32', shape: [2], data: le.f32([1, 2]) },
      b: { dtype: 'I32', shape: [1], data: le.i32([3]) },
    });
  /** A file from a header object (padded by the rules) and a data section. */
  const withHeader = (h: unknown, data: Uint8Array, raw?: string) => {
    let json = Buffer.from(raw ?? JSON.stringify(h));
    json = Buffer.concat([json, Buffer.alloc((8 - (json.length % 8)) % 8, 0x20)]);
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(json.length));
    return new Uint8Array(Buffer.concat([len, json, data]));
  };
  const read = (bytes: Uint8Array) => () => {
    const file = path.join(tmp, 'bad.safetensors');
    fs.writeFileSync(file, bytes);
    return io.loadFile(file);
  };

  test('the good file reads', () => {
    expect(Object.keys(read(good())().tensors)).toEqual(['a', 'b']);
  });

  test('header problems', () => {
    expect(read(new Uint8Array([1, 2, 3]))).toThrow(/bad\.safetensors: not a safetensors file: 3 bytes/);
    const huge = Buffer.alloc(16);
    huge.writeBigUInt64LE(2n ** 40n);
    expect(read(new Uint8Array(huge))).toThrow(/corrupt header: declared length 1099511627776 exceeds/);
    const over = Buffer.from(good());
    over.writeBigUInt64LE(4000n);
    expect(read(new Uint8Array(over))).toThrow(/corrupt or truncated header: declared length 4000/);
    expect(read(withHeader(null, new Uint8Array(0), '{"a": {"dtype": "F32"'))).toThrow(/corrupt header: invalid JSON/);
    expect(read(withHeader(null, new Uint8Array(0), '[1, 2]'))).toThrow(/does not start with '\{'/);
    const bin = withHeader(null, new Uint8Array(0), '{"\xff":1}');
    bin[10] = 0xff;
    expect(read(bin)).toThrow(/not valid UTF-8/);
    expect(read(withHeader({ __metadata__: { a: 1 } }, new Uint8Array(0)))).toThrow(/__metadata__ must map strings to strings/);
  });

  test('a truncated data section names the tensor that runs past the end', () => {
    const g = good();
    expect(read(g.subarray(0, g.length - 2))).toThrow(/tensor 'b': data_offsets \[8, 12\] out of range: the data section has 10 bytes \(truncated file\?\)/);
  });

  test('offsets: overlapping, gaps, backwards, wrong sizes, trailing bytes', () => {
    const d = new Uint8Array(12);
    expect(read(withHeader({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'I32', shape: [1], data_offsets: [4, 8] } }, d.subarray(0, 8)))).toThrow(
      /tensor 'b': data_offsets \[4, 8\] overlap the previous tensor \(which ends at 8\)/,
    );
    expect(read(withHeader({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'I32', shape: [1], data_offsets: [8, 12] } }, d))).toThrow(
      /tensor 'b': data_offsets \[8, 12\] leave a gap after byte 4/,
    );
    expect(read(withHeader({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 0] } }, d.subarray(0, 4)))).toThrow(/tensor 'a': data_offsets \[4, 0\] end before they begin/);
    expect(read(withHeader({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, d.subarray(0, 8)))).toThrow(/tensor 'a': F32\[3\] needs 12 bytes, data_offsets \[0, 8\] give 8/);
    expect(read(withHeader({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, d.subarray(0, 8)))).toThrow(/cover 4 bytes of data but the data section has 8/);
    expect(read(withHeader({ a: { dtype: 'F32', shape: [1], data_offsets: [0] } }, d.subarray(0, 4)))).toThrow(/tensor 'a': invalid data_offsets \[0\]/);
    expect(read(withHeader({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, d.subarray(0, 4)))).toThrow(/tensor 'a': invalid shape \[-1\]/);
  });

  test('unknown and unsupported dtypes name the tensor', () => {
    const d = new Uint8Array(8);
    expect(read(withHeader({ w: { dtype: 'F128', shape: [1], data_offsets: [0, 8] } }, d))).toThrow(/tensor 'w': unknown dtype 'F128'/);
    expect(read(withHeader({ w: { dtype: 'U64', shape: [1], data_offsets: [0, 8] } }, d))).toThrow(/tensor 'w': dtype U64 is not supported by Kiln/);
    const big = referenceSerialize({ step: { dtype: 'I64', shape: [1], data: le.i64([2 ** 40]) } });
    expect(read(big)).toThrow(/tensor 'step': I64 value 1099511627776 at element 0 does not fit Kiln's i32/);
  });

  test('a corrupt tree structure is reported', () => {
    const file = path.join(tmp, 'tree.safetensors');
    const a = { dtype: 'F32', shape: [1], data: le.f32([1]) };
    fs.writeFileSync(file, referenceSerialize({ a }, { 'kiln.tree': '{"b":0}' }));
    expect(() => io.load(file)).toThrow(/the stored tree names tensor 'b', which the file lacks/);
    fs.writeFileSync(file, referenceSerialize({ a }, { 'kiln.tree': '{"b":' }));
    expect(() => io.load(file)).toThrow(/corrupt kiln\.tree metadata/);
    expect(io.loadFlat(file).a).toBeAllclose([1]);
  });
});
