// Arrays held on the host (typed array + shape + dtype): what data sets load into and what
// DataLoader slices batches from. Batches become Tensors with one bulk copy each.
import type { DType } from '../../compiler/ir/dtype.ts';
import { KilnError } from '../../compiler/ir/errors.ts';
import { array } from '../../dsl/creation.ts';
import { Tensor } from '../../dsl/tensor.ts';

/** The typed arrays that hold host data (f16 and bf16 are held widened to f32, as Tensors do). */
export type HostData = Float32Array | Float64Array | Int32Array | Uint8Array;

/** A problem with a data set, a data file or a loader's arguments. */
export class DataError extends KilnError {
  override name = 'DataError';
}

function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function typedFor(dtype: DType, n: number): HostData {
  switch (dtype) {
    case 'f64':
      return new Float64Array(n);
    case 'i32':
      return new Int32Array(n);
    case 'bool':
      return new Uint8Array(n);
    default:
      return new Float32Array(n);
  }
}

/**
 * An n-dimensional array on the host: row-major `data` of `shape`, elements of `dtype`.
 * Cheap to slice along the first axis (views, no copies) and to gather rows.
 */
export class HostArray {
  /** The elements, row-major. */
  readonly data: HostData;
  /** The shape, e.g. [60000, 1, 28, 28]. */
  readonly shape: readonly number[];
  /** The element type of the Tensors made from it. */
  readonly dtype: DType;

  constructor(data: HostData, shape: readonly number[], dtype?: DType) {
    const d = dtype ?? (data instanceof Float64Array ? 'f64' : data instanceof Int32Array ? 'i32' : data instanceof Uint8Array ? 'bool' : 'f32');
    if (shape.some((s) => !Number.isInteger(s) || s < 0)) throw new DataError(`HostArray: invalid shape [${shape.join(', ')}]`);
    if (sizeOf(shape) !== data.length) {
      throw new DataError(`HostArray: ${data.length} values do not fill shape [${shape.join(', ')}] (${sizeOf(shape)} elements)`);
    }
    const want = typedFor(d, 0).constructor;
    if (data.constructor !== want) throw new DataError(`HostArray: dtype ${d} needs a ${want.name}, got a ${data.constructor.name}`);
    this.data = data;
    this.shape = [...shape];
    this.dtype = d;
  }

  /** A zero-filled array. */
  static zeros(shape: readonly number[], dtype: DType = 'f32'): HostArray {
    return new HostArray(typedFor(dtype, sizeOf(shape)), shape, dtype);
  }

  /** The host copy of a concrete Tensor. */
  static fromTensor(t: Tensor): HostArray {
    return new HostArray(t.data(), t.shape, t.dtype);
  }

  /** The length of the first axis (1 for a scalar). */
  get length(): number {
    return this.shape.length === 0 ? 1 : this.shape[0]!;
  }

  /** The number of elements in one row (one index of the first axis). */
  get rowSize(): number {
    return this.shape.length === 0 ? 1 : sizeOf(this.shape.slice(1));
  }

  /** Rows [start, end) as a view sharing this array's memory. */
  rows(start: number, end: number): HostArray {
    if (this.shape.length === 0) throw new DataError('HostArray.rows: a scalar has no rows');
    const lo = Math.max(0, Math.min(start, this.length)), hi = Math.max(lo, Math.min(end, this.length));
    const r = this.rowSize;
    return new HostArray(this.data.subarray(lo * r, hi * r), [hi - lo, ...this.shape.slice(1)], this.dtype);
  }

  /** The rows at `indices` (in that order), copied into a new array. */
  gather(indices: ArrayLike<number>): HostArray {
    if (this.shape.length === 0) throw new DataError('HostArray.gather: a scalar has no rows');
    const r = this.rowSize, n = indices.length, len = this.length;
    const out = typedFor(this.dtype, n * r);
    const src = this.data;
    for (let j = 0; j < n; j++) {
      const i = indices[j]!;
      if (!(i >= 0 && i < len)) throw new DataError(`HostArray.gather: row ${i} out of range [0, ${len})`);
      if (r === 1) out[j] = src[i]!;
      else out.set(src.subarray(i * r, (i + 1) * r), j * r);
    }
    return new HostArray(out, [n, ...this.shape.slice(1)], this.dtype);
  }

  /** Concatenates arrays along the first axis (the other axes must agree). */
  static concat(parts: readonly HostArray[]): HostArray {
    if (parts.length === 0) throw new DataError('HostArray.concat: no arrays');
    const first = parts[0]!;
    const tail = first.shape.slice(1).join(',');
    for (const p of parts) {
      if (p.dtype !== first.dtype || p.shape.slice(1).join(',') !== tail) {
        throw new DataError(`HostArray.concat: cannot join ${p.dtype}[${p.shape.join(',')}] to ${first.dtype}[${first.shape.join(',')}]`);
      }
    }
    const n = parts.reduce((a, p) => a + p.length, 0);
    const out = typedFor(first.dtype, n * first.rowSize);
    let o = 0;
    for (const p of parts) {
      out.set(p.data, o);
      o += p.data.length;
    }
    return new HostArray(out, [n, ...first.shape.slice(1)], first.dtype);
  }

  /** The same data with another shape of the same size (a view). */
  reshape(shape: readonly number[]): HostArray {
    return new HostArray(this.data, shape, this.dtype);
  }

  /** A Tensor holding a copy of this data (one bulk copy). */
  toTensor(): Tensor {
    return array(this.data, { shape: this.shape, dtype: this.dtype });
  }
}

/** Host arrays or Tensors: what the data utilities accept. */
export type ArrayInput = HostArray | Tensor;

/** The host view of an input: a HostArray as is, a Tensor copied once. */
export function toHostArray(x: ArrayInput, what = 'array'): HostArray {
  if (x instanceof HostArray) return x;
  if (x instanceof Tensor) {
    if (x.isTraced) throw new DataError(`${what}: needs concrete data, got a value being traced`);
    return HostArray.fromTensor(x);
  }
  throw new DataError(`${what}: expected a Tensor or a HostArray, got ${typeof x}`);
}
