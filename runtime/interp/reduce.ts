// Reductions (reduce_sum/max/min/prod), argmax/argmin and cumsum.
import { allocHost, isFloat, type DType, type HostArray } from '../../compiler/ir/dtype.ts';
import { sizeOf, type AVal } from '../../compiler/ir/ir.ts';
import { Primitive, type PrimitiveParams, type ReduceOp } from '../../compiler/ir/primitives.ts';
import { permuted } from './indexing.ts';
import { I32_MAX, I32_MIN, roundBF16, roundF16 } from '../../compiler/ir/numeric.ts';
import { floatResult, type HostTensor } from './tensor.ts';

/** Identity of reduce_max/reduce_min in dtype d (the value of an empty reduction). */
function extremeIdentity(op: Primitive.ReduceMax | Primitive.ReduceMin, d: DType): number {
  const max = op === Primitive.ReduceMax;
  if (isFloat(d)) return max ? -Infinity : Infinity;
  if (d === 'i32') return max ? I32_MIN : I32_MAX;
  return max ? 0 : 1; // bool: max = any, min = all
}

/**
 * Reduces over `axes`. The operand is first laid out as [kept axes..., reduced axes...] (a
 * copy only when that is not already its order), then each output sums a contiguous run in
 * row-major order of the reduced axes. Floats accumulate in double and are rounded once to
 * the result dtype (so f32 sums are more accurate than a sequential f32 loop; backends are
 * compared with a tolerance). i32 wraps. max/min propagate NaN; bool max/min are any/all.
 * Empty reductions give the identity: 0, 1, -inf/+inf (i32 min/max value, bool false/true).
 */
export function evalReduce(op: ReduceOp, x: HostTensor, p: PrimitiveParams[ReduceOp], out: AVal): HostArray {
  const shape = x.aval.shape, d = x.aval.dtype;
  const kept = shape.map((_, i) => i).filter((i) => !p.axes.includes(i));
  const red = [...p.axes].sort((a, b) => a - b);
  const data = permuted(x.data, shape, [...kept, ...red]);
  const M = sizeOf(out.shape), R = sizeOf(red.map((a) => shape[a]!));
  const run = (o: HostArray, int: boolean) => {
    for (let m = 0, base = 0; m < M; m++, base += R) {
      let acc: number;
      switch (op) {
        case Primitive.ReduceSum:
          acc = 0;
          if (int) for (let r = 0; r < R; r++) acc = (acc + data[base + r]!) | 0;
          else for (let r = 0; r < R; r++) acc += data[base + r]!;
          break;
        case Primitive.ReduceProd:
          acc = 1;
          if (int) for (let r = 0; r < R; r++) acc = Math.imul(acc, data[base + r]!);
          else for (let r = 0; r < R; r++) acc *= data[base + r]!;
          break;
        case Primitive.ReduceMax:
          acc = extremeIdentity(op, d);
          for (let r = 0; r < R; r++) acc = Math.max(acc, data[base + r]!);
          break;
        case Primitive.ReduceMin:
          acc = extremeIdentity(op, d);
          for (let r = 0; r < R; r++) acc = Math.min(acc, data[base + r]!);
          break;
        default:
          return op satisfies never;
      }
      o[m] = acc;
    }
  };
  if (isFloat(d)) return floatResult(d, M, (o) => run(o, false));
  const o = allocHost(d, M);
  run(o, true);
  return o;
}

/** [outer, len, inner] view of a contiguous array around `axis`. */
function around(shape: readonly number[], axis: number): [number, number, number] {
  return [sizeOf(shape.slice(0, axis)), shape[axis]!, sizeOf(shape.slice(axis + 1))];
}

/**
 * Index of the first maximum (argmax) or minimum (argmin) along `axis`, as i32. NaN counts
 * as the extreme for both, so the first NaN wins. The axis is never empty (shape rule).
 */
export function evalArgExtreme(op: Primitive.Argmax | Primitive.Argmin, x: HostTensor, axis: number): Int32Array {
  const [outer, len, inner] = around(x.aval.shape, axis);
  const a = x.data, o = new Int32Array(outer * inner), max = op === Primitive.Argmax;
  for (let i = 0; i < outer; i++) {
    for (let k = 0; k < inner; k++) {
      const base = i * len * inner + k;
      let best = a[base]!, bi = 0;
      if (best === best) {
        for (let j = 1; j < len; j++) {
          const v = a[base + j * inner]!;
          if (v !== v) {
            bi = j;
            break;
          }
          if (max ? v > best : v < best) {
            best = v;
            bi = j;
          }
        }
      }
      o[i * inner + k] = bi;
    }
  }
  return o;
}

/** Rounding of a running value to dtype d after every step. */
function stepRounding(d: DType): (v: number) => number {
  switch (d) {
    case 'f64': return (v) => v;
    case 'f32': return Math.fround;
    case 'f16': return roundF16;
    case 'bf16': return roundBF16;
    case 'i32': return (v) => v | 0;
    case 'bool': throw new Error('interp: cumsum on bool (the shape rules should have rejected it)');
    default: return d satisfies never;
  }
}

/**
 * Inclusive prefix sums along `axis` (from the end when `reverse`). The running sum is
 * rounded to the dtype after every addition (a sequential f32 loop), i32 wraps.
 */
export function evalCumsum(x: HostTensor, p: PrimitiveParams[Primitive.Cumsum]): HostArray {
  const [outer, len, inner] = around(x.aval.shape, p.axis);
  const a = x.data, o = allocHost(x.aval.dtype, a.length), round = stepRounding(x.aval.dtype);
  const step = p.reverse ? -inner : inner;
  for (let i = 0; i < outer; i++) {
    for (let k = 0; k < inner; k++) {
      let at = i * len * inner + k + (p.reverse ? (len - 1) * inner : 0);
      let acc = 0;
      for (let j = 0; j < len; j++, at += step) {
        acc = round(acc + a[at]!);
        o[at] = acc;
      }
    }
  }
  return o;
}
