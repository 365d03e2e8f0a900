// Host tensors: the interpreter's values. Row-major, contiguous, stored per dtype:
// f64 → Float64Array; f32/f16/bf16 → Float32Array (f16/bf16 values are kept exactly
// representable in their format); i32 → Int32Array; bool → Uint8Array holding 0/1.
import { allocHost, type DType, type HostArray } from '../../compiler/ir/dtype.ts';
import { KilnError } from '../../compiler/ir/errors.ts';
import { aval, avalToString, sizeOf, type AVal } from '../../compiler/ir/ir.ts';
import { convertValue, narrowing } from '../../compiler/ir/numeric.ts';

export interface HostTensor {
  readonly aval: AVal;
  readonly data: HostArray;
}

/** A tensor of the given shape and dtype from plain numbers, each converted as `convert` does. */
export function hostTensor(shape: readonly number[], dtype: DType, values: ArrayLike<number>): HostTensor {
  const n = sizeOf(shape);
  if (values.length !== n && values.length !== 1) {
    throw new KilnError(`hostTensor: ${values.length} values for ${avalToString(aval(shape, dtype))}`);
  }
  const data = allocHost(dtype, n);
  for (let i = 0; i < n; i++) data[i] = convertValue(values.length === 1 ? values[0]! : values[i]!, dtype);
  return { aval: aval(shape, dtype), data };
}

/** Whether `data` is the storage type that `d` uses. */
export function storageMatches(d: DType, data: HostArray): boolean {
  switch (d) {
    case 'f64':
      return data instanceof Float64Array;
    case 'f32':
    case 'f16':
    case 'bf16':
      return data instanceof Float32Array;
    case 'i32':
      return data instanceof Int32Array;
    case 'bool':
      return data instanceof Uint8Array;
    default:
      return d satisfies never;
  }
}

/** Throws unless `t.data` has the storage type and length that `t.aval` calls for. */
export function checkTensor(where: string, t: HostTensor): void {
  if (!storageMatches(t.aval.dtype, t.data) || t.data.length !== sizeOf(t.aval.shape)) {
    throw new KilnError(
      `${where}: data (${t.data.constructor.name} of ${t.data.length}) does not fit ${avalToString(t.aval)}`,
    );
  }
}

/**
 * A fresh array of `n` elements of float dtype `d`, filled by `fill` with unrounded doubles
 * and then rounded to `d`. For f16/bf16 `fill` writes a Float64Array that is then rounded
 * once from double (no double rounding through f32); for f32/f64 it writes the result itself.
 */
export function floatResult(d: DType, n: number, fill: (dst: Float32Array | Float64Array) => void): HostArray {
  const r = narrowing(d);
  if (r === null) {
    const out = allocHost(d, n) as Float32Array | Float64Array;
    fill(out);
    return out;
  }
  const wide = new Float64Array(n);
  fill(wide);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = r(wide[i]!);
  return out;
}
