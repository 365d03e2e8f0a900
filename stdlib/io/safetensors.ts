// The safetensors format (Hugging Face), byte for byte as its reference implementation:
//
//   8 bytes      N, the header length, unsigned little-endian
//   N bytes      a JSON object: { "__metadata__"?: {string: string},
//                                 name: { "dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end] } }
//                compact JSON padded with spaces to a multiple of 8 bytes
//   the rest     the tensors' raw little-endian, row-major data; offsets are relative to it
//
// Writing follows the reference's order: tensors sorted by dtype alignment (descending), then
// name; the header lists them in that order, after __metadata__. Reading validates as the
// reference does (offsets contiguous from 0, sizes matching dtype x shape, the data section
// ending the file) and names the offending tensor in every error.
import os from 'node:os';
import type { DType } from '../../compiler/ir/dtype.ts';
import { KilnError } from '../../compiler/ir/errors.ts';
import { roundBF16, roundF16 } from '../../compiler/ir/numeric.ts';

/** A malformed or unreadable safetensors file, or a tree that cannot be saved or loaded. */
export class SafetensorsError extends KilnError {
  override name = 'SafetensorsError';
}

/** The reference implementation's limit on the header size. */
export const MAX_HEADER_SIZE = 100_000_000;

/** A tensor's data as the format holds it, decoded to Kiln's host representation. */
export interface RawTensor {
  dtype: DType;
  shape: number[];
  /** Row-major elements (f16 and bf16 widened to f32, bool as 0/1 bytes). */
  data: Float32Array | Float64Array | Int32Array | Uint8Array;
}

/** The safetensors dtype names Kiln writes, by Kiln dtype. */
export const ST_DTYPE: Record<DType, string> = { f32: 'F32', f64: 'F64', i32: 'I32', bool: 'BOOL', f16: 'F16', bf16: 'BF16' };

/** Element sizes of every safetensors dtype, and what Kiln reads each as. */
const ST_READ: Record<string, { size: number; kiln?: DType; rank: number }> = {
  BOOL: { size: 1, kiln: 'bool', rank: 0 },
  U8: { size: 1, kiln: 'i32', rank: 1 },
  I8: { size: 1, kiln: 'i32', rank: 2 },
  F8_E5M2: { size: 1, rank: 3 },
  F8_E4M3: { size: 1, rank: 4 },
  I16: { size: 2, kiln: 'i32', rank: 5 },
  U16: { size: 2, kiln: 'i32', rank: 6 },
  F16: { size: 2, kiln: 'f16', rank: 7 },
  BF16: { size: 2, kiln: 'bf16', rank: 8 },
  I32: { size: 4, kiln: 'i32', rank: 9 },
  U32: { size: 4, rank: 10 },
  F32: { size: 4, kiln: 'f32', rank: 11 },
  F64: { size: 8, kiln: 'f64', rank: 12 },
  I64: { size: 8, kiln: 'i32', rank: 13 },
  U64: { size: 8, rank: 14 },
};

const LITTLE = os.endianness() === 'LE';

// ---- half-precision codecs (round to nearest even, as the conversions of the IR do)

const f32buf = new Float32Array(1);
const u32buf = new Uint32Array(f32buf.buffer);

/** The IEEE binary16 bits of x (rounded to nearest, ties to even). */
export function f16Bits(x: number): number {
  const r = roundF16(x); // exact in binary16 (or ±Infinity / NaN)
  if (Number.isNaN(r)) return 0x7e00;
  const sign = r < 0 || Object.is(r, -0) ? 0x8000 : 0;
  const a = Math.abs(r);
  if (a === Infinity) return sign | 0x7c00;
  if (a === 0) return sign;
  if (a < 2 ** -14) return sign | Math.round(a / 2 ** -24); // subnormal
  const e = Math.floor(Math.log2(a));
  const exp = a >= 2 ** (e + 1) ? e + 1 : a < 2 ** e ? e - 1 : e;
  const mant = Math.round((a / 2 ** exp - 1) * 1024);
  return sign | ((exp + 15) << 10) | mant;
}

/** The value of IEEE binary16 bits. */
export function f16Value(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** The bfloat16 bits of x (rounded to nearest, ties to even). */
export function bf16Bits(x: number): number {
  const r = roundBF16(x);
  if (Number.isNaN(r)) return 0x7fc0;
  f32buf[0] = r; // exact: a bfloat16 value is an f32 with 16 zero low bits
  return u32buf[0]! >>> 16;
}

/** The value of bfloat16 bits. */
export function bf16Value(b: number): number {
  u32buf[0] = (b & 0xffff) << 16;
  return f32buf[0]!;
}

// ---- encoding

/** The little-endian bytes of a tensor's elements in the safetensors dtype of `dtype`. */
export function encodeData(dtype: DType, data: ArrayLike<number>): Uint8Array {
  const n = data.length;
  switch (dtype) {
    case 'bool': {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = data[i] ? 1 : 0;
      return out;
    }
    case 'f16':
    case 'bf16': {
      const out = new Uint8Array(2 * n);
      const enc = dtype === 'f16' ? f16Bits : bf16Bits;
      for (let i = 0; i < n; i++) {
        const b = enc(data[i]!);
        out[2 * i] = b & 0xff;
        out[2 * i + 1] = b >> 8;
      }
      return out;
    }
    case 'f32':
    case 'f64':
    case 'i32': {
      const arr = dtype === 'f32' ? Float32Array.from(data) : dtype === 'f64' ? Float64Array.from(data) : Int32Array.from(data);
      const bytes = new Uint8Array(arr.buffer);
      if (!LITTLE) for (let i = 0; i < n; i++) bytes.subarray(i * arr.BYTES_PER_ELEMENT, (i + 1) * arr.BYTES_PER_ELEMENT).reverse();
      return bytes;
    }
    default:
      return dtype satisfies never;
  }
}

/** One tensor to write: its name, dtype, shape, and a function giving its bytes when needed. */
export interface TensorEntry {
  name: string;
  dtype: DType;
  shape: readonly number[];
  bytes: () => Uint8Array;
}

/** The header bytes (length prefix + padded JSON) of tensors in writing order, and that order. */
export function encodeHeader(entries: readonly TensorEntry[], metadata?: Record<string, string>): { header: Uint8Array; order: TensorEntry[]; dataBytes: number } {
  const seen = new Set<string>();
  for (const e of entries) {
    if (e.name === '__metadata__') throw new SafetensorsError(`a tensor cannot be named '__metadata__'`);
    if (seen.has(e.name)) throw new SafetensorsError(`two tensors are named '${e.name}'`);
    seen.add(e.name);
  }
  // Descending dtype alignment, then name (the reference implementation's order).
  const order = [...entries].sort((a, b) => ST_READ[ST_DTYPE[b.dtype]]!.rank - ST_READ[ST_DTYPE[a.dtype]]!.rank || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const obj: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) {
    const md: Record<string, string> = {};
    for (const k of Object.keys(metadata).sort()) {
      if (typeof metadata[k] !== 'string') throw new SafetensorsError(`__metadata__ values must be strings; '${k}' is ${typeof metadata[k]}`);
      md[k] = metadata[k]!;
    }
    obj.__metadata__ = md;
  }
  let off = 0;
  for (const e of order) {
    const n = e.shape.reduce((a, d) => a * d, 1) * ST_READ[ST_DTYPE[e.dtype]]!.size;
    obj[e.name] = { dtype: ST_DTYPE[e.dtype], shape: [...e.shape], data_offsets: [off, off + n] };
    off += n;
  }
  const json = Buffer.from(JSON.stringify(obj), 'utf8');
  const padded = Math.ceil(json.length / 8) * 8;
  const header = new Uint8Array(8 + padded).fill(0x20, 8 + json.length);
  new DataView(header.buffer).setBigUint64(0, BigInt(padded), true);
  header.set(json, 8);
  return { header, order, dataBytes: off };
}

/** The whole file for tensors (in memory). */
export function serialize(entries: readonly TensorEntry[], metadata?: Record<string, string>): Uint8Array {
  const { header, order, dataBytes } = encodeHeader(entries, metadata);
  const out = new Uint8Array(header.length + dataBytes);
  out.set(header, 0);
  let o = header.length;
  for (const e of order) {
    const b = e.bytes();
    out.set(b, o);
    o += b.length;
  }
  return out;
}

// ---- decoding

/** A parsed header: tensor infos in data order, and the metadata. */
export interface Header {
  /** Length of the header JSON (with padding), i.e. the data section starts at 8 + headerSize. */
  headerSize: number;
  metadata?: Record<string, string>;
  tensors: { name: string; stDtype: string; dtype: DType; shape: number[]; begin: number; end: number }[];
}

/** Parses and validates the header of a safetensors file of `fileSize` bytes; `what` names the file. */
export function parseHeader(prefix: Uint8Array, fileSize: number, what: string): Header {
  if (fileSize < 8 || prefix.length < 8) throw new SafetensorsError(`${what}: not a safetensors file: ${fileSize} bytes, too short for the header length`);
  const n = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_SIZE)) throw new SafetensorsError(`${what}: corrupt header: declared length ${n} exceeds the ${MAX_HEADER_SIZE}-byte limit`);
  const headerSize = Number(n);
  if (8 + headerSize > fileSize) throw new SafetensorsError(`${what}: corrupt or truncated header: declared length ${headerSize} but the file has ${fileSize - 8} bytes after the length`);
  if (prefix.length < 8 + headerSize) throw new SafetensorsError(`${what}: internal: header bytes not read`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(prefix.subarray(8, 8 + headerSize));
  } catch {
    throw new SafetensorsError(`${what}: corrupt header: not valid UTF-8`);
  }
  if (!text.startsWith('{')) throw new SafetensorsError(`${what}: corrupt header: does not start with '{'`);
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (err) {
    throw new SafetensorsError(`${what}: corrupt header: invalid JSON (${(err as Error).message})`);
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new SafetensorsError(`${what}: corrupt header: not a JSON object`);
  let metadata: Record<string, string> | undefined;
  const tensors: Header['tensors'] = [];
  for (const [name, info] of Object.entries(obj as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (info === null || typeof info !== 'object' || Array.isArray(info) || Object.values(info).some((v) => typeof v !== 'string')) {
        throw new SafetensorsError(`${what}: corrupt header: __metadata__ must map strings to strings`);
      }
      metadata = info as Record<string, string>;
      continue;
    }
    const bad = (detail: string) => new SafetensorsError(`${what}: tensor '${name}': ${detail}`);
    if (info === null || typeof info !== 'object') throw bad('its header entry is not an object');
    const { dtype, shape, data_offsets: offs } = info as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof dtype !== 'string') throw bad('no dtype');
    const st = ST_READ[dtype];
    if (!st) throw bad(`unknown dtype '${dtype}' (safetensors dtypes: ${Object.keys(ST_READ).join(', ')})`);
    if (!st.kiln) throw bad(`dtype ${dtype} is not supported by Kiln (supported: F32, F64, I32, BOOL, F16, BF16; I64, I16, U16, I8, U8 read as i32)`);
    if (!Array.isArray(shape) || shape.some((d) => !Number.isSafeInteger(d) || d < 0)) throw bad(`invalid shape ${JSON.stringify(shape)}`);
    if (!Array.isArray(offs) || offs.length !== 2 || offs.some((d) => !Number.isSafeInteger(d) || d < 0)) throw bad(`invalid data_offsets ${JSON.stringify(offs)}`);
    tensors.push({ name, stDtype: dtype, dtype: st.kiln, shape: shape as number[], begin: offs[0] as number, end: offs[1] as number });
  }
  // Validate as the reference does: sorted by offsets, contiguous from 0, sizes exact.
  tensors.sort((a, b) => a.begin - b.begin || a.end - b.end);
  const dataSize = fileSize - 8 - headerSize;
  let pos = 0;
  for (const t of tensors) {
    const nbytes = t.shape.reduce((a, d) => a * d, 1) * ST_READ[t.stDtype]!.size;
    if (t.end < t.begin) throw new SafetensorsError(`${what}: tensor '${t.name}': data_offsets [${t.begin}, ${t.end}] end before they begin`);
    if (t.end > dataSize) {
      throw new SafetensorsError(`${what}: tensor '${t.name}': data_offsets [${t.begin}, ${t.end}] out of range: the data section has ${dataSize} bytes (truncated file?)`);
    }
    if (t.begin < pos) throw new SafetensorsError(`${what}: tensor '${t.name}': data_offsets [${t.begin}, ${t.end}] overlap the previous tensor (which ends at ${pos})`);
    if (t.begin > pos) throw new SafetensorsError(`${what}: tensor '${t.name}': data_offsets [${t.begin}, ${t.end}] leave a gap after byte ${pos}`);
    if (t.end - t.begin !== nbytes) {
      throw new SafetensorsError(`${what}: tensor '${t.name}': ${t.stDtype}[${t.shape.join(', ')}] needs ${nbytes} bytes, data_offsets [${t.begin}, ${t.end}] give ${t.end - t.begin}`);
    }
    pos = t.end;
  }
  if (pos !== dataSize) throw new SafetensorsError(`${what}: corrupt: the tensors cover ${pos} bytes of data but the data section has ${dataSize} (trailing bytes)`);
  return { headerSize, metadata, tensors };
}

/** Decodes one tensor's little-endian bytes (of safetensors dtype `stDtype`). */
export function decodeData(stDtype: string, bytes: Uint8Array, name: string): RawTensor['data'] {
  const st = ST_READ[stDtype];
  if (!st?.kiln) throw new SafetensorsError(`tensor '${name}': unsupported dtype ${stDtype}`);
  const n = bytes.length / st.size;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (stDtype) {
    case 'BOOL': {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = bytes[i] ? 1 : 0;
      return out;
    }
    case 'F32':
    case 'F64':
    case 'I32': {
      // Copy to an aligned buffer, then view it (little-endian hosts) or read it (big-endian).
      const copy = new Uint8Array(bytes); // a copy with its own buffer (Buffer.slice would share)
      if (LITTLE) return stDtype === 'F32' ? new Float32Array(copy.buffer) : stDtype === 'F64' ? new Float64Array(copy.buffer) : new Int32Array(copy.buffer);
      if (stDtype === 'F32') return Float32Array.from({ length: n }, (_, i) => dv.getFloat32(4 * i, true));
      if (stDtype === 'F64') return Float64Array.from({ length: n }, (_, i) => dv.getFloat64(8 * i, true));
      return Int32Array.from({ length: n }, (_, i) => dv.getInt32(4 * i, true));
    }
    case 'F16':
    case 'BF16': {
      const dec = stDtype === 'F16' ? f16Value : bf16Value;
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = dec(dv.getUint16(2 * i, true));
      return out;
    }
    case 'U8':
      return Int32Array.from(bytes);
    case 'I8':
      return Int32Array.from({ length: n }, (_, i) => dv.getInt8(i));
    case 'I16':
      return Int32Array.from({ length: n }, (_, i) => dv.getInt16(2 * i, true));
    case 'U16':
      return Int32Array.from({ length: n }, (_, i) => dv.getUint16(2 * i, true));
    case 'I64': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const v = dv.getBigInt64(8 * i, true);
        if (v > 2147483647n || v < -2147483648n) throw new SafetensorsError(`tensor '${name}': I64 value ${v} at element ${i} does not fit Kiln's i32`);
        out[i] = Number(v);
      }
      return out;
    }
    default:
      throw new SafetensorsError(`tensor '${name}': unsupported dtype ${stDtype}`);
  }
}

/** Parses a whole file held in memory: its tensors by name (in data order) and metadata. */
export function deserialize(bytes: Uint8Array, what = 'safetensors data'): { tensors: Map<string, RawTensor>; metadata?: Record<string, string> } {
  const h = parseHeader(bytes, bytes.length, what);
  const base = 8 + h.headerSize;
  const tensors = new Map<string, RawTensor>();
  for (const t of h.tensors) {
    tensors.set(t.name, { dtype: t.dtype, shape: t.shape, data: decodeData(t.stDtype, bytes.subarray(base + t.begin, base + t.end), t.name) });
  }
  return { tensors, metadata: h.metadata };
}
