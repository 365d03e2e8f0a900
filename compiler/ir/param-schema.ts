// The kinds of every primitive's params, one table for the printer, the parser and the verifier.
// The table's type is derived from `PrimitiveParams`, so adding a primitive (or a param) without
// a schema entry, or giving a param a kind that does not fit its TS type, is a type error.
// Key order here mirrors the key order of each params interface (test/ir/param-schema.test.ts
// checks that against primitives.ts). It is the order of parsed params objects, and the print
// order except that region params (kinds 'func'/'funcs') print after all others, so that the
// short params stay on the equation's first line.
import { DTYPES, isDType, type DType } from './dtype.ts';
import type { Func } from './ir.ts';
import { Primitive, type PrimitiveParams } from './primitives.ts';

/**
 * What a param value may be. A readonly string list is an enum of bare identifiers
 * (e.g. scatter's mode). 'func' is one closed sub-function (a region of a control-flow
 * primitive), 'funcs' a list of them (cond's branches).
 */
export type ParamKind = 'int' | 'ints' | 'number' | 'numbers' | 'bool' | 'dtype' | 'func' | 'funcs' | readonly string[];

/** The kinds whose values are regions (sub-functions). */
export type RegionKind = 'func' | 'funcs';

/**
 * The kinds that fit a param of TS type T. Wrapped in [] so unions are not distributed
 * (`'add' | 'set'` must map to one enum kind, not two).
 */
export type KindOf<T> = [T] extends [Func]
  ? 'func'
  : [T] extends [readonly Func[]]
    ? 'funcs'
    : [T] extends [boolean]
      ? 'bool'
      : [T] extends [number]
        ? 'int' | 'number'
        : [T] extends [readonly number[]]
          ? 'ints' | 'numbers'
          : [T] extends [DType]
            ? [DType] extends [T]
              ? 'dtype'
              : readonly T[]
            : [T] extends [string]
              ? readonly T[]
              : never;

/** Kinds of all params of all primitives. `-?` makes every param of the interface required here. */
export type ParamSchema = {
  readonly [P in Primitive]: { readonly [K in keyof PrimitiveParams[P]]-?: KindOf<PrimitiveParams[P][K]> };
};

export const PARAM_SCHEMA: ParamSchema = {
  [Primitive.Neg]: {},
  [Primitive.Abs]: {},
  [Primitive.Sign]: {},
  [Primitive.Exp]: {},
  [Primitive.Log]: {},
  [Primitive.Log1p]: {},
  [Primitive.Expm1]: {},
  [Primitive.Sqrt]: {},
  [Primitive.Rsqrt]: {},
  [Primitive.Sin]: {},
  [Primitive.Cos]: {},
  [Primitive.Tanh]: {},
  [Primitive.Logistic]: {},
  [Primitive.Floor]: {},
  [Primitive.Ceil]: {},
  [Primitive.Round]: {},
  [Primitive.Not]: {},
  [Primitive.Add]: {},
  [Primitive.Sub]: {},
  [Primitive.Mul]: {},
  [Primitive.Div]: {},
  [Primitive.Pow]: {},
  [Primitive.Max]: {},
  [Primitive.Min]: {},
  [Primitive.And]: {},
  [Primitive.Or]: {},
  [Primitive.Xor]: {},
  [Primitive.ShiftLeft]: {},
  [Primitive.ShiftRightLogical]: {},
  [Primitive.Eq]: {},
  [Primitive.Ne]: {},
  [Primitive.Lt]: {},
  [Primitive.Le]: {},
  [Primitive.Gt]: {},
  [Primitive.Ge]: {},
  [Primitive.Select]: {},
  [Primitive.Convert]: { dtype: 'dtype' },
  [Primitive.StopGradient]: {},
  [Primitive.Constant]: { shape: 'ints', dtype: 'dtype', data: 'numbers' },
  [Primitive.Iota]: { shape: 'ints', dtype: 'dtype', dim: 'int' },
  [Primitive.RandomBits]: { shape: 'ints' },
  [Primitive.BroadcastInDim]: { shape: 'ints', dims: 'ints' },
  [Primitive.Reshape]: { shape: 'ints' },
  [Primitive.Transpose]: { perm: 'ints' },
  [Primitive.Slice]: { start: 'ints', limit: 'ints', strides: 'ints' },
  [Primitive.Pad]: { lo: 'ints', hi: 'ints', interior: 'ints', value: 'number' },
  [Primitive.Concatenate]: { axis: 'int' },
  [Primitive.Rev]: { axes: 'ints' },
  [Primitive.Gather]: {},
  [Primitive.Scatter]: { mode: ['add', 'set'] },
  [Primitive.ReduceSum]: { axes: 'ints' },
  [Primitive.ReduceMax]: { axes: 'ints' },
  [Primitive.ReduceMin]: { axes: 'ints' },
  [Primitive.ReduceProd]: { axes: 'ints' },
  [Primitive.Argmax]: { axis: 'int' },
  [Primitive.Argmin]: { axis: 'int' },
  [Primitive.Cumsum]: { axis: 'int', reverse: 'bool' },
  [Primitive.Sort]: { axis: 'int', numKeys: 'int' },
  [Primitive.DotGeneral]: { lhsContract: 'ints', rhsContract: 'ints', lhsBatch: 'ints', rhsBatch: 'ints' },
  [Primitive.Cond]: { branches: 'funcs' },
  [Primitive.CustomJvpCall]: { body: 'func', jvp: 'func', numConsts: 'int' },
  [Primitive.CustomVjpCall]: { body: 'func', fwd: 'func', bwd: 'func', numConsts: 'int' },
  [Primitive.CustomLin]: { bwd: 'func', numRes: 'int' },
  [Primitive.WhileLoop]: { cond: 'func', body: 'func', condConsts: 'int', bodyConsts: 'int' },
  [Primitive.Scan]: { body: 'func', length: 'int', reverse: 'bool', numConsts: 'int', numCarry: 'int' },
};

/** The schema of one primitive as a plain record (names in print order → kinds). */
export function paramSchema(p: Primitive): Readonly<Record<string, ParamKind>> {
  return PARAM_SCHEMA[p] as Readonly<Record<string, ParamKind>>;
}

/** Param names of `p` in print order. */
export function paramNames(p: Primitive): readonly string[] {
  return Object.keys(paramSchema(p));
}

export function isEnumKind(k: ParamKind): k is readonly string[] {
  return typeof k !== 'string';
}

export function isRegionKind(k: ParamKind): k is RegionKind {
  return k === 'func' || k === 'funcs';
}

/**
 * Whether `v` has the shape of a Func (a name and input/eqn/output lists). Only the outline is
 * checked here; the verifier checks a region's contents by verifying it as a function.
 */
export function isFuncValue(v: unknown): v is Func {
  if (typeof v !== 'object' || v === null) return false;
  const f = v as Record<string, unknown>;
  return typeof f.name === 'string' && Array.isArray(f.inputs) && Array.isArray(f.eqns) && Array.isArray(f.outputs);
}

/**
 * The regions held by params of `p`, in schema order: the param name, the list index for a
 * 'funcs' param, and the Func. Values that are not Funcs are skipped (checkParams reports them).
 */
export function regionsOf(p: Primitive, params: object): { param: string; index?: number; func: Func }[] {
  const rec = params as Record<string, unknown>;
  const out: { param: string; index?: number; func: Func }[] = [];
  for (const [param, kind] of Object.entries(paramSchema(p))) {
    const v = rec[param];
    if (kind === 'func' && isFuncValue(v)) out.push({ param, func: v });
    else if (kind === 'funcs' && Array.isArray(v)) v.forEach((f, index) => isFuncValue(f) && out.push({ param, index, func: f }));
  }
  return out;
}

/** How a kind reads in an error message: "expects <describeKind(k)>". */
export function describeKind(k: ParamKind): string {
  if (isEnumKind(k)) return `one of ${k.join(', ')}`;
  switch (k) {
    case 'int':
      return 'an integer';
    case 'ints':
      return 'a list of integers';
    case 'number':
      return 'a number';
    case 'numbers':
      return 'a list of numbers';
    case 'bool':
      return 'true or false';
    case 'dtype':
      return `a dtype (${DTYPES.join(', ')})`;
    case 'func':
      return 'a func (a region: func @name(...) -> (...) { ... })';
    case 'funcs':
      return 'a list of funcs';
    default:
      return k satisfies never;
  }
}

// Integers in params must be exactly representable, or printing would not round-trip.
const isInt = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x);

/** Whether a JS value (from a params object built in code) fits a kind. */
export function fitsKind(k: ParamKind, v: unknown): boolean {
  if (isEnumKind(k)) return typeof v === 'string' && k.includes(v);
  switch (k) {
    case 'int':
      return isInt(v);
    case 'ints':
      return Array.isArray(v) && v.every(isInt);
    case 'number':
      return typeof v === 'number';
    case 'numbers':
      return Array.isArray(v) && v.every((x) => typeof x === 'number');
    case 'bool':
      return typeof v === 'boolean';
    case 'dtype':
      return typeof v === 'string' && isDType(v);
    case 'func':
      return isFuncValue(v);
    case 'funcs':
      return Array.isArray(v) && v.every(isFuncValue);
    default:
      return k satisfies never;
  }
}

/**
 * Problems of a params object against the schema of `p`: missing, unknown and ill-typed
 * params, one message each ("param 'axes' expects a list of integers"); empty when it fits.
 */
export function checkParams(p: Primitive, params: unknown): string[] {
  if (typeof params !== 'object' || params === null || Array.isArray(params)) return ['params must be an object'];
  const schema = paramSchema(p);
  const rec = params as Record<string, unknown>;
  const problems: string[] = [];
  for (const [name, kind] of Object.entries(schema)) {
    if (!(name in rec) || rec[name] === undefined) problems.push(`missing param '${name}'`);
    else if (!fitsKind(kind, rec[name])) problems.push(`param '${name}' expects ${describeKind(kind)}`);
  }
  for (const name of Object.keys(rec)) {
    if (!Object.hasOwn(schema, name)) problems.push(`unknown param '${name}'`);
  }
  return problems;
}
