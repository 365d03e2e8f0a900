// The one primitive set of Kiln, at about the level of JAX's lax. Every user-facing op is
// built from these; every pass, transform and backend switches over this enum exhaustively.
import type { DType } from './dtype.ts';
import type { Func } from './ir.ts';

export enum Primitive {
  // unary elementwise
  Neg = 'neg',
  Abs = 'abs',
  Sign = 'sign',
  Exp = 'exp',
  Log = 'log',
  Log1p = 'log1p',
  Expm1 = 'expm1',
  Sqrt = 'sqrt',
  Rsqrt = 'rsqrt',
  Sin = 'sin',
  Cos = 'cos',
  Tanh = 'tanh',
  Logistic = 'logistic',
  Floor = 'floor',
  Ceil = 'ceil',
  Round = 'round',
  Not = 'not',
  // binary elementwise
  Add = 'add',
  Sub = 'sub',
  Mul = 'mul',
  Div = 'div',
  Pow = 'pow',
  Max = 'max',
  Min = 'min',
  And = 'and',
  Or = 'or',
  Xor = 'xor',
  ShiftLeft = 'shift_left',
  ShiftRightLogical = 'shift_right_logical',
  // comparisons (bool result)
  Eq = 'eq',
  Ne = 'ne',
  Lt = 'lt',
  Le = 'le',
  Gt = 'gt',
  Ge = 'ge',
  // other elementwise
  Select = 'select',
  Convert = 'convert',
  StopGradient = 'stop_gradient',
  // creation
  Constant = 'constant',
  Iota = 'iota',
  RandomBits = 'random_bits',
  // views and data movement
  BroadcastInDim = 'broadcast_in_dim',
  Reshape = 'reshape',
  Transpose = 'transpose',
  Slice = 'slice',
  Pad = 'pad',
  Concatenate = 'concatenate',
  Rev = 'rev',
  Gather = 'gather',
  Scatter = 'scatter',
  // reductions and scans
  ReduceSum = 'reduce_sum',
  ReduceMax = 'reduce_max',
  ReduceMin = 'reduce_min',
  ReduceProd = 'reduce_prod',
  Argmax = 'argmax',
  Argmin = 'argmin',
  Cumsum = 'cumsum',
  Sort = 'sort',
  // contraction
  DotGeneral = 'dot_general',
  // control flow (params hold closed sub-functions, printed as regions)
  Cond = 'cond',
  WhileLoop = 'while_loop',
  Scan = 'scan',
  // user-defined derivatives
  CustomJvpCall = 'custom_jvp_call',
  CustomVjpCall = 'custom_vjp_call',
  CustomLin = 'custom_lin',
}

type NoParams = Record<string, never>;

/** Typed parameters of every primitive. A primitive missing here is a type error. */
export interface PrimitiveParams {
  [Primitive.Neg]: NoParams;
  [Primitive.Abs]: NoParams;
  [Primitive.Sign]: NoParams;
  [Primitive.Exp]: NoParams;
  [Primitive.Log]: NoParams;
  [Primitive.Log1p]: NoParams;
  [Primitive.Expm1]: NoParams;
  [Primitive.Sqrt]: NoParams;
  [Primitive.Rsqrt]: NoParams;
  [Primitive.Sin]: NoParams;
  [Primitive.Cos]: NoParams;
  [Primitive.Tanh]: NoParams;
  [Primitive.Logistic]: NoParams;
  [Primitive.Floor]: NoParams;
  [Primitive.Ceil]: NoParams;
  [Primitive.Round]: NoParams;
  [Primitive.Not]: NoParams;
  [Primitive.Add]: NoParams;
  [Primitive.Sub]: NoParams;
  [Primitive.Mul]: NoParams;
  [Primitive.Div]: NoParams;
  [Primitive.Pow]: NoParams;
  [Primitive.Max]: NoParams;
  [Primitive.Min]: NoParams;
  [Primitive.And]: NoParams;
  [Primitive.Or]: NoParams;
  [Primitive.Xor]: NoParams;
  [Primitive.ShiftLeft]: NoParams;
  [Primitive.ShiftRightLogical]: NoParams;
  [Primitive.Eq]: NoParams;
  [Primitive.Ne]: NoParams;
  [Primitive.Lt]: NoParams;
  [Primitive.Le]: NoParams;
  [Primitive.Gt]: NoParams;
  [Primitive.Ge]: NoParams;
  /** operands: predicate (bool), value where true, value where false; all one shape. */
  [Primitive.Select]: NoParams;
  [Primitive.Convert]: { dtype: DType };
  /** The identity, whose derivative is zero. */
  [Primitive.StopGradient]: NoParams;
  /** Dense row-major data; a single value is broadcast to the whole shape. */
  [Primitive.Constant]: { shape: number[]; dtype: DType; data: number[] };
  /** Values 0..shape[dim]-1 along `dim`, broadcast along the other axes. */
  [Primitive.Iota]: { shape: number[]; dtype: DType; dim: number };
  /** Threefry-2x32 bits from a key (i32[2]), counter = flat element index. Result i32. */
  [Primitive.RandomBits]: { shape: number[] };
  /** Operand axis i becomes result axis dims[i]; other result axes are broadcast. */
  [Primitive.BroadcastInDim]: { shape: number[]; dims: number[] };
  [Primitive.Reshape]: { shape: number[] };
  /** Result axis i is operand axis perm[i]. */
  [Primitive.Transpose]: { perm: number[] };
  [Primitive.Slice]: { start: number[]; limit: number[]; strides: number[] };
  /** lo/hi may be negative (cropping); interior inserts `interior[i]` values between elements. */
  [Primitive.Pad]: { lo: number[]; hi: number[]; interior: number[]; value: number };
  [Primitive.Concatenate]: { axis: number };
  [Primitive.Rev]: { axes: number[] };
  /**
   * operands: x, indices (i32[...B, k]). Result [...B, ...x.shape[k:]]: each index row picks
   * a slice of the first k axes of x. Indices are clamped into range.
   */
  [Primitive.Gather]: NoParams;
  /** operands: x, indices (i32[...B, k]), updates ([...B, ...x.shape[k:]]). Clamped indices. */
  [Primitive.Scatter]: { mode: 'add' | 'set' };
  [Primitive.ReduceSum]: { axes: number[] };
  [Primitive.ReduceMax]: { axes: number[] };
  [Primitive.ReduceMin]: { axes: number[] };
  [Primitive.ReduceProd]: { axes: number[] };
  /** First index of the maximum along `axis` (NaN counts as maximal). Result i32, axis removed. */
  [Primitive.Argmax]: { axis: number };
  [Primitive.Argmin]: { axis: number };
  [Primitive.Cumsum]: { axis: number; reverse: boolean };
  /**
   * Sorts all operands (one shape) along `axis`, ascending, lexicographically by the first
   * `numKeys` operands; stable; NaN sorts last. Returns every operand permuted the same way.
   */
  [Primitive.Sort]: { axis: number; numKeys: number };
  /**
   * Result axes: batch axes, then lhs free axes, then rhs free axes (as in XLA's DotGeneral).
   */
  [Primitive.DotGeneral]: {
    lhsContract: number[];
    rhsContract: number[];
    lhsBatch: number[];
    rhsBatch: number[];
  };
  /**
   * operands: index (i32 scalar, clamped into range), then the branch operands. Runs
   * branches[index] on the operands; every branch has the same signature.
   */
  [Primitive.Cond]: { branches: Func[] };
  /**
   * operands: cond consts, body consts, initial carry. cond: (cond consts, carry) -> bool
   * scalar; body: (body consts, carry) -> carry. Loops while cond holds; returns the carry.
   */
  [Primitive.WhileLoop]: { cond: Func; body: Func; condConsts: number; bodyConsts: number };
  /**
   * operands: consts, initial carry, xs (each with leading axis `length`). body: (consts, carry,
   * x slices) -> (carry, y slices). Results: final carry, then ys stacked along a new leading
   * axis. With `reverse`, iterates from the last slice to the first (ys keep their positions).
   */
  [Primitive.Scan]: { body: Func; length: number; reverse: boolean; numConsts: number; numCarry: number };
  /**
   * operands: consts, args. Evaluates body(consts, args); its derivative is jvp(consts, args,
   * arg tangents) -> (outputs, output tangents). Consts get no tangents.
   */
  [Primitive.CustomJvpCall]: { body: Func; jvp: Func; numConsts: number };
  /**
   * operands: consts, args. Evaluates body(consts, args). Under differentiation runs
   * fwd(consts, args) -> (outputs, residuals) and, in reverse, bwd(residuals, output
   * cotangents) -> arg cotangents.
   */
  [Primitive.CustomVjpCall]: { body: Func; fwd: Func; bwd: Func; numConsts: number };
  /**
   * operands: residuals, tangents of the args. The linear map whose transpose is bwd: it only
   * exists inside derivatives of customVjp functions and cannot be evaluated forward.
   */
  [Primitive.CustomLin]: { bwd: Func; numRes: number };
}

export type Params<P extends Primitive = Primitive> = PrimitiveParams[P];

// Groups, as tinygrad keeps them: passes and backends reason about whole groups.
export const UNARY_OPS = [
  Primitive.Neg, Primitive.Abs, Primitive.Sign, Primitive.Exp, Primitive.Log, Primitive.Log1p,
  Primitive.Expm1, Primitive.Sqrt, Primitive.Rsqrt, Primitive.Sin, Primitive.Cos, Primitive.Tanh,
  Primitive.Logistic, Primitive.Floor, Primitive.Ceil, Primitive.Round, Primitive.Not,
] as const;
export const BINARY_OPS = [
  Primitive.Add, Primitive.Sub, Primitive.Mul, Primitive.Div, Primitive.Pow, Primitive.Max,
  Primitive.Min, Primitive.And, Primitive.Or, Primitive.Xor, Primitive.ShiftLeft,
  Primitive.ShiftRightLogical,
] as const;
export const COMPARE_OPS = [
  Primitive.Eq, Primitive.Ne, Primitive.Lt, Primitive.Le, Primitive.Gt, Primitive.Ge,
] as const;
export const REDUCE_OPS = [
  Primitive.ReduceSum, Primitive.ReduceMax, Primitive.ReduceMin, Primitive.ReduceProd,
] as const;
export const VIEW_OPS = [
  Primitive.BroadcastInDim, Primitive.Reshape, Primitive.Transpose, Primitive.Slice, Primitive.Rev,
] as const;

/** Primitives with regions whose autodiff rules emit the primitive themselves. */
export const CONTROL_OPS = [Primitive.Cond, Primitive.WhileLoop, Primitive.Scan, Primitive.CustomJvpCall, Primitive.CustomVjpCall] as const;
export type ControlOp = (typeof CONTROL_OPS)[number];

export type UnaryOp = (typeof UNARY_OPS)[number];
export type BinaryOp = (typeof BINARY_OPS)[number];
export type CompareOp = (typeof COMPARE_OPS)[number];
export type ReduceOp = (typeof REDUCE_OPS)[number];

const PRIMS = new Set<string>(Object.values(Primitive));
export function isPrimitive(s: string): s is Primitive {
  return PRIMS.has(s);
}
export const isUnary = (p: Primitive): p is UnaryOp => (UNARY_OPS as readonly Primitive[]).includes(p);
export const isBinary = (p: Primitive): p is BinaryOp => (BINARY_OPS as readonly Primitive[]).includes(p);
export const isCompare = (p: Primitive): p is CompareOp => (COMPARE_OPS as readonly Primitive[]).includes(p);
export const isControl = (p: Primitive): p is ControlOp => (CONTROL_OPS as readonly Primitive[]).includes(p);
export const isReduce = (p: Primitive): p is ReduceOp => (REDUCE_OPS as readonly Primitive[]).includes(p);
