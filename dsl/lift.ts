// Building Tensors from JS values and binding primitives on Tensors.
import { allocHost, type DType, type HostArray } from '../compiler/ir/dtype.ts';
import { convertValue } from '../compiler/ir/numeric.ts';
import { ShapeError } from '../compiler/ir/errors.ts';
import { aval, sizeOf, type SourceLoc } from '../compiler/ir/ir.ts';
import { Primitive, type PrimitiveParams } from '../compiler/ir/primitives.ts';
import { Tensor, type Shape } from './tensor.ts';
import { bindValues, currentTrace } from './trace.ts';
import { onDefaultDevice } from './eager.ts';
import { userLocation } from './source-loc.ts';

/** Nested JS arrays of numbers or booleans. */
export type NestedArray = number | boolean | readonly NestedArray[];
export type TypedArrayLike = Float32Array | Float64Array | Int32Array | Uint8Array;
/** Anything an op accepts in place of a tensor; JS numbers are weakly typed (take the other dtype). */
export type TensorLike = Tensor | number | boolean | readonly NestedArray[];

export function bind<P extends Primitive>(prim: P, params: PrimitiveParams[P], inputs: readonly Tensor[], loc?: SourceLoc): Tensor[] {
  return bindValues(prim, params, inputs.map((t) => t._value), loc).map((v) => Tensor._wrap(v));
}

export function bind1<P extends Primitive>(prim: P, params: PrimitiveParams[P], ...inputs: readonly Tensor[]): Tensor {
  return bind(prim, params, inputs)[0]!;
}

/** A shape error at the user's call site. */
export function shapeError(op: string, detail: string): ShapeError {
  return new ShapeError(op, detail, userLocation());
}

function inferShape(x: NestedArray, op: string): number[] {
  const shape: number[] = [];
  let cur: NestedArray = x;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    if (cur.length === 0) break;
    cur = cur[0] as NestedArray;
  }
  // Check the nesting is rectangular.
  const check = (v: NestedArray, depth: number) => {
    if (depth === shape.length) {
      if (Array.isArray(v)) throw shapeError(op, `ragged nested array: expected a scalar at depth ${depth}`);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) {
      throw shapeError(op, `ragged nested array: expected length ${shape[depth]} at depth ${depth}`);
    }
    for (const e of v) check(e, depth + 1);
  };
  check(x, 0);
  return shape;
}

function flattenNested(x: NestedArray, out: number[]): void {
  if (Array.isArray(x)) for (const e of x) flattenNested(e as NestedArray, out);
  else out.push(typeof x === 'boolean' ? (x ? 1 : 0) : (x as number));
}

function flatIsBool(x: NestedArray): boolean {
  if (Array.isArray(x)) return x.length > 0 && x.every((e) => flatIsBool(e as NestedArray));
  return typeof x === 'boolean';
}

function dtypeOfTyped(a: TypedArrayLike): DType {
  if (a instanceof Float64Array) return 'f64';
  if (a instanceof Int32Array) return 'i32';
  if (a instanceof Uint8Array) return 'bool';
  return 'f32';
}

/** A concrete tensor from host data (copied and rounded to `dtype`). */
export function fromHost(data: ArrayLike<number>, shape: readonly number[], dtype: DType): Tensor {
  const n = sizeOf(shape);
  if (data.length !== n) throw shapeError('array', `${data.length} values for shape [${shape.join(', ')}]`);
  const host: HostArray = allocHost(dtype, n);
  // Data already in the storage type needs no conversion: one bulk copy (data loaders hand
  // over whole batches this way).
  const exact =
    (dtype === 'f32' && data instanceof Float32Array) || (dtype === 'f64' && data instanceof Float64Array) ||
    (dtype === 'i32' && data instanceof Int32Array);
  if (exact) host.set(data as HostArray);
  else for (let i = 0; i < n; i++) host[i] = convertValue(data[i]!, dtype);
  return Tensor._wrap({ kind: 'concrete', array: onDefaultDevice({ aval: aval(shape, dtype), data: host }) });
}

/** Creates a tensor from nested arrays, a typed array (with a shape), or a scalar. */
export function arrayFrom(x: NestedArray | TypedArrayLike, dtype?: DType, shape?: readonly number[]): Tensor {
  if (ArrayBuffer.isView(x)) {
    const t = x as TypedArrayLike;
    return fromHost(t, shape ?? [t.length], dtype ?? dtypeOfTyped(t));
  }
  const nested = x as NestedArray;
  const s = inferShape(nested, 'array');
  const flat: number[] = [];
  flattenNested(nested, flat);
  // bool only when every element is a boolean; otherwise f32 (JS numbers are untyped).
  const allBool = flatIsBool(nested);
  const d: DType = dtype ?? (allBool ? 'bool' : 'f32');
  const t = fromHost(flat, s, d);
  if (shape && sizeOf(shape) !== flat.length) throw shapeError('array', `cannot reshape ${flat.length} values to [${shape.join(', ')}]`);
  return shape ? fromHost(flat, shape, d) : t;
}

/** A scalar constant of the given dtype. */
export function scalar(x: number | boolean, dtype: DType): Tensor {
  const v = typeof x === 'boolean' ? Number(x) : x;
  // Inside a trace a constant is an equation at the user's line, not captured data.
  if (currentTrace()) return bind1(Primitive.Constant, { shape: [], dtype, data: [convertValue(v, dtype)] });
  return fromHost([v], [], dtype);
}

/** Converts a TensorLike to a Tensor; JS numbers take `dtypeHint` (weak typing). */
export function toTensor(x: TensorLike, dtypeHint?: DType): Tensor {
  if (x instanceof Tensor) return x;
  if (typeof x === 'number') return scalar(x, dtypeHint ?? (Number.isInteger(x) ? 'i32' : 'f32'));
  if (typeof x === 'boolean') return scalar(x, dtypeHint ?? 'bool');
  return arrayFrom(x as NestedArray, dtypeHint);
}

export function isWeak(x: TensorLike): x is number | boolean {
  return typeof x === 'number' || typeof x === 'boolean';
}

export type { Shape };
