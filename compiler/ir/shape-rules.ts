// Shape and dtype rules: the abstract evaluation of every primitive. The tracer, the parser's
// verifier and every pass use these, so an operand error is caught the same way everywhere.
import { isFloat, type DType } from './dtype.ts';
import { ShapeError } from './errors.ts';
import { aval, avalToString, sameAval, sizeOf, type AVal, type Func } from './ir.ts';
import { Primitive, type PrimitiveParams } from './primitives.ts';

function fail(op: Primitive, detail: string): never {
  throw new ShapeError(op, detail);
}

const shapeStr = (s: readonly number[]) => `[${s.join(', ')}]`;
const operands = (xs: readonly AVal[]) => xs.map(avalToString).join(', ');

function arity(op: Primitive, ins: readonly AVal[], n: number): void {
  if (ins.length !== n) fail(op, `expects ${n} operand(s), got ${ins.length}`);
}

function sameShapes(op: Primitive, ins: readonly AVal[]): void {
  const s = ins[0]!.shape;
  for (const a of ins) {
    if (a.shape.length !== s.length || a.shape.some((d, i) => d !== s[i])) {
      fail(op, `operand shapes differ: ${operands(ins)} (broadcast them first)`);
    }
  }
}

function sameDTypes(op: Primitive, ins: readonly AVal[]): void {
  for (const a of ins) if (a.dtype !== ins[0]!.dtype) fail(op, `operand dtypes differ: ${operands(ins)}`);
}

function checkAxes(op: Primitive, axes: readonly number[], rank: number, what = 'axis'): void {
  const seen = new Set<number>();
  for (const a of axes) {
    if (!Number.isInteger(a) || a < 0 || a >= rank) fail(op, `${what} ${a} out of range for rank ${rank}`);
    if (seen.has(a)) fail(op, `${what} ${a} repeated`);
    seen.add(a);
  }
}

function checkShape(op: Primitive, shape: readonly number[]): void {
  for (const d of shape) if (!Number.isInteger(d) || d < 0) fail(op, `invalid dimension ${d} in shape ${shapeStr(shape)}`);
}

const FLOAT_ONLY = new Set<Primitive>([
  Primitive.Exp, Primitive.Log, Primitive.Log1p, Primitive.Expm1, Primitive.Sqrt, Primitive.Rsqrt,
  Primitive.Sin, Primitive.Cos, Primitive.Tanh, Primitive.Logistic, Primitive.Floor,
  Primitive.Ceil, Primitive.Round,
]);
const INT_OR_BOOL = new Set<Primitive>([Primitive.Not, Primitive.And, Primitive.Or, Primitive.Xor]);

/** Result avals of `prim` applied to operands of the given avals; throws ShapeError. */
export function inferAvals<P extends Primitive>(prim: P, params: PrimitiveParams[P], ins: readonly AVal[]): AVal[] {
  return rule(prim, params as never, ins);
}

function rule(op: Primitive, p: never, ins: readonly AVal[]): AVal[] {
  const x = ins[0];
  switch (op) {
    case Primitive.Neg:
    case Primitive.Abs:
    case Primitive.Sign:
    case Primitive.Exp:
    case Primitive.Log:
    case Primitive.Log1p:
    case Primitive.Expm1:
    case Primitive.Sqrt:
    case Primitive.Rsqrt:
    case Primitive.Sin:
    case Primitive.Cos:
    case Primitive.Tanh:
    case Primitive.Logistic:
    case Primitive.Floor:
    case Primitive.Ceil:
    case Primitive.Round:
    case Primitive.Not: {
      arity(op, ins, 1);
      if (FLOAT_ONLY.has(op) && !isFloat(x!.dtype)) fail(op, `needs a float operand, got ${avalToString(x!)}`);
      if (INT_OR_BOOL.has(op) && x!.dtype !== 'bool' && x!.dtype !== 'i32') fail(op, `needs a bool or i32 operand, got ${avalToString(x!)}`);
      if ((op === Primitive.Neg || op === Primitive.Abs || op === Primitive.Sign) && x!.dtype === 'bool') fail(op, `not defined on bool`);
      return [aval(x!.shape, x!.dtype)];
    }
    case Primitive.Add:
    case Primitive.Sub:
    case Primitive.Mul:
    case Primitive.Div:
    case Primitive.Pow:
    case Primitive.Max:
    case Primitive.Min:
    case Primitive.And:
    case Primitive.Or:
    case Primitive.Xor:
    case Primitive.ShiftLeft:
    case Primitive.ShiftRightLogical: {
      arity(op, ins, 2);
      sameShapes(op, ins);
      sameDTypes(op, ins);
      const d = x!.dtype;
      if (INT_OR_BOOL.has(op) && d !== 'bool' && d !== 'i32') fail(op, `needs bool or i32 operands, got ${operands(ins)}`);
      if ((op === Primitive.ShiftLeft || op === Primitive.ShiftRightLogical) && d !== 'i32') fail(op, `needs i32 operands, got ${operands(ins)}`);
      if ((op === Primitive.Add || op === Primitive.Sub || op === Primitive.Mul || op === Primitive.Div || op === Primitive.Pow) && d === 'bool') {
        fail(op, `not defined on bool operands`);
      }
      return [aval(x!.shape, d)];
    }
    case Primitive.Eq:
    case Primitive.Ne:
    case Primitive.Lt:
    case Primitive.Le:
    case Primitive.Gt:
    case Primitive.Ge:
      arity(op, ins, 2);
      sameShapes(op, ins);
      sameDTypes(op, ins);
      return [aval(x!.shape, 'bool')];
    case Primitive.Select: {
      arity(op, ins, 3);
      sameShapes(op, ins);
      if (x!.dtype !== 'bool') fail(op, `predicate must be bool, got ${avalToString(x!)}`);
      if (ins[1]!.dtype !== ins[2]!.dtype) fail(op, `branch dtypes differ: ${operands(ins.slice(1))}`);
      return [aval(x!.shape, ins[1]!.dtype)];
    }
    case Primitive.Convert: {
      arity(op, ins, 1);
      const q = p as PrimitiveParams[Primitive.Convert];
      return [aval(x!.shape, q.dtype)];
    }
    case Primitive.StopGradient:
      arity(op, ins, 1);
      return [aval(x!.shape, x!.dtype)];
    case Primitive.Constant: {
      arity(op, ins, 0);
      const q = p as PrimitiveParams[Primitive.Constant];
      checkShape(op, q.shape);
      const n = sizeOf(q.shape);
      if (q.data.length !== n && q.data.length !== 1) fail(op, `has ${q.data.length} values for shape ${shapeStr(q.shape)}`);
      return [aval(q.shape, q.dtype)];
    }
    case Primitive.Iota: {
      arity(op, ins, 0);
      const q = p as PrimitiveParams[Primitive.Iota];
      checkShape(op, q.shape);
      checkAxes(op, [q.dim], q.shape.length, 'dimension');
      if (q.dtype === 'bool') fail(op, `dtype bool not allowed`);
      return [aval(q.shape, q.dtype)];
    }
    case Primitive.RandomBits: {
      arity(op, ins, 1);
      const q = p as PrimitiveParams[Primitive.RandomBits];
      checkShape(op, q.shape);
      if (x!.dtype !== 'i32' || x!.shape.length !== 1 || x!.shape[0] !== 2) fail(op, `key must be i32[2], got ${avalToString(x!)}`);
      return [aval(q.shape, 'i32')];
    }
    case Primitive.BroadcastInDim: {
      arity(op, ins, 1);
      const q = p as PrimitiveParams[Primitive.BroadcastInDim];
      checkShape(op, q.shape);
      if (q.dims.length !== x!.shape.length) fail(op, `dims ${shapeStr(q.dims)} do not match operand rank ${x!.shape.length}`);
      checkAxes(op, q.dims, q.shape.length, 'dim');
      for (let i = 0; i < q.dims.length; i++) {
        if (i > 0 && q.dims[i]! <= q.dims[i - 1]!) fail(op, `dims ${shapeStr(q.dims)} must be increasing`);
        const d = x!.shape[i]!;
        if (d !== 1 && d !== q.shape[q.dims[i]!]) {
          fail(op, `cannot broadcast ${avalToString(x!)} to ${shapeStr(q.shape)}: axis ${i} has size ${d}, target ${q.shape[q.dims[i]!]}`);
        }
      }
      return [aval(q.shape, x!.dtype)];
    }
    case Primitive.Reshape: {
      arity(op, ins, 1);
      const q = p as PrimitiveParams[Primitive.Reshape];
      checkShape(op, q.shape);
      if (sizeOf(q.shape) !== sizeOf(x!.shape)) fail(op, `cannot reshape ${avalToString(x!)} (${sizeOf(x!.shape)} elements) to ${shapeStr(q.shape)}`);
      return [aval(q.shape, x!.dtype)];
    }
    case Primitive.Transpose: {
      arity(op, ins, 1);
      const q = p as PrimitiveParams[Primitive.Transpose];
      if (q.perm.length !== x!.shape.length) fail(op, `perm ${shapeStr(q.perm)} does not match rank ${x!.shape.length}`);
      checkAxes(op, q.perm, x!.shape.length, 'perm entry');
      return [aval(q.perm.map((a) => x!.shape[a]!), x!.dtype)];
    }
    case Primitive.Slice: {
      arity(op, ins, 1);
      const q = p as PrimitiveParams[Primitive.Slice];
      const r = x!.shape.length;
      if (q.start.length !== r || q.limit.length !== r || q.strides.length !== r) fail(op, `start/limit/strides must have rank ${r}`);
      const out: number[] = [];
      for (let i = 0; i < r; i++) {
        const s = q.start[i]!, l = q.limit[i]!, st = q.strides[i]!;
        if (!(st >= 1) || s < 0 || l > x!.shape[i]! || s > l) {
          fail(op, `invalid slice ${s}:${l}:${st} on axis ${i} of ${avalToString(x!)}`);
        }
        out.push(Math.ceil((l - s) / st));
      }
      return [aval(out, x!.dtype)];
    }
    case Primitive.Pad: {
      arity(op, ins, 1);
      const q = p as PrimitiveParams[Primitive.Pad];
      const r = x!.shape.length;
      if (q.lo.length !== r || q.hi.length !== r || q.interior.length !== r) fail(op, `lo/hi/interior must have rank ${r}`);
      const out = x!.shape.map((d, i) => {
        const inner = d === 0 ? 0 : d + (d - 1) * q.interior[i]!;
        const n = q.lo[i]! + inner + q.hi[i]!;
        if (q.interior[i]! < 0 || n < 0) fail(op, `padding gives a negative size on axis ${i} of ${avalToString(x!)}`);
        return n;
      });
      return [aval(out, x!.dtype)];
    }
    case Primitive.Concatenate: {
      const q = p as PrimitiveParams[Primitive.Concatenate];
      if (ins.length === 0) fail(op, `needs at least one operand`);
      sameDTypes(op, ins);
      const r = x!.shape.length;
      checkAxes(op, [q.axis], r);
      let total = 0;
      for (const a of ins) {
        if (a.shape.length !== r || a.shape.some((d, i) => i !== q.axis && d !== x!.shape[i])) {
          fail(op, `operand shapes ${operands(ins)} differ outside axis ${q.axis}`);
        }
        total += a.shape[q.axis]!;
      }
      const out = [...x!.shape];
      out[q.axis] = total;
      return [aval(out, x!.dtype)];
    }
    case Primitive.Rev: {
      arity(op, ins, 1);
      const q = p as PrimitiveParams[Primitive.Rev];
      checkAxes(op, q.axes, x!.shape.length);
      return [aval(x!.shape, x!.dtype)];
    }
    case Primitive.Gather: {
      arity(op, ins, 2);
      const idx = ins[1]!;
      if (idx.dtype !== 'i32' || idx.shape.length < 1) fail(op, `indices must be i32[..., k], got ${avalToString(idx)}`);
      const k = idx.shape[idx.shape.length - 1]!;
      if (k > x!.shape.length) fail(op, `index depth ${k} exceeds operand rank ${x!.shape.length}`);
      return [aval([...idx.shape.slice(0, -1), ...x!.shape.slice(k)], x!.dtype)];
    }
    case Primitive.Scatter: {
      arity(op, ins, 3);
      const idx = ins[1]!, upd = ins[2]!;
      if (idx.dtype !== 'i32' || idx.shape.length < 1) fail(op, `indices must be i32[..., k], got ${avalToString(idx)}`);
      const k = idx.shape[idx.shape.length - 1]!;
      if (k > x!.shape.length) fail(op, `index depth ${k} exceeds operand rank ${x!.shape.length}`);
      const want = [...idx.shape.slice(0, -1), ...x!.shape.slice(k)];
      if (upd.shape.length !== want.length || upd.shape.some((d, i) => d !== want[i])) {
        fail(op, `updates ${avalToString(upd)} should have shape ${shapeStr(want)}`);
      }
      if (upd.dtype !== x!.dtype) fail(op, `updates dtype ${upd.dtype} differs from operand ${x!.dtype}`);
      return [aval(x!.shape, x!.dtype)];
    }
    case Primitive.ReduceSum:
    case Primitive.ReduceMax:
    case Primitive.ReduceMin:
    case Primitive.ReduceProd: {
      arity(op, ins, 1);
      const q = p as PrimitiveParams[Primitive.ReduceSum];
      checkAxes(op, q.axes, x!.shape.length);
      if (x!.dtype === 'bool' && (op === Primitive.ReduceSum || op === Primitive.ReduceProd)) fail(op, `not defined on bool (convert first)`);
      return [aval(x!.shape.filter((_, i) => !q.axes.includes(i)), x!.dtype)];
    }
    case Primitive.Argmax:
    case Primitive.Argmin: {
      arity(op, ins, 1);
      const q = p as PrimitiveParams[Primitive.Argmax];
      checkAxes(op, [q.axis], x!.shape.length);
      if (x!.shape[q.axis] === 0) fail(op, `axis ${q.axis} of ${avalToString(x!)} is empty`);
      return [aval(x!.shape.filter((_, i) => i !== q.axis), 'i32')];
    }
    case Primitive.Cumsum: {
      arity(op, ins, 1);
      const q = p as PrimitiveParams[Primitive.Cumsum];
      checkAxes(op, [q.axis], x!.shape.length);
      if (x!.dtype === 'bool') fail(op, `not defined on bool`);
      return [aval(x!.shape, x!.dtype)];
    }
    case Primitive.Sort: {
      const q = p as PrimitiveParams[Primitive.Sort];
      if (ins.length === 0) fail(op, `needs at least one operand`);
      sameShapes(op, ins);
      checkAxes(op, [q.axis], x!.shape.length);
      if (!(q.numKeys >= 1 && q.numKeys <= ins.length)) fail(op, `numKeys ${q.numKeys} must be in 1..${ins.length}`);
      return ins.map((a) => aval(a.shape, a.dtype));
    }
    case Primitive.DotGeneral: {
      arity(op, ins, 2);
      const q = p as PrimitiveParams[Primitive.DotGeneral];
      const [l, r] = ins as [AVal, AVal];
      sameDTypes(op, ins);
      if (l.dtype === 'bool') fail(op, `not defined on bool`);
      checkAxes(op, [...q.lhsContract, ...q.lhsBatch], l.shape.length, 'lhs axis');
      checkAxes(op, [...q.rhsContract, ...q.rhsBatch], r.shape.length, 'rhs axis');
      if (q.lhsContract.length !== q.rhsContract.length || q.lhsBatch.length !== q.rhsBatch.length) {
        fail(op, `contracting/batch axis lists differ in length`);
      }
      q.lhsContract.forEach((a, i) => {
        if (l.shape[a] !== r.shape[q.rhsContract[i]!]) {
          fail(op, `contracting dimensions differ: lhs ${avalToString(l)} axis ${a} vs rhs ${avalToString(r)} axis ${q.rhsContract[i]}`);
        }
      });
      q.lhsBatch.forEach((a, i) => {
        if (l.shape[a] !== r.shape[q.rhsBatch[i]!]) fail(op, `batch dimensions differ: ${operands(ins)}`);
      });
      const lFree = l.shape.filter((_, i) => !q.lhsContract.includes(i) && !q.lhsBatch.includes(i));
      const rFree = r.shape.filter((_, i) => !q.rhsContract.includes(i) && !q.rhsBatch.includes(i));
      return [aval([...q.lhsBatch.map((a) => l.shape[a]!), ...lFree, ...rFree], l.dtype)];
    }
    case Primitive.Cond: {
      const q = p as PrimitiveParams[Primitive.Cond];
      if (ins.length < 1 || x!.dtype !== 'i32' || x!.shape.length !== 0) fail(op, `first operand must be an i32[] branch index, got ${ins[0] ? avalToString(ins[0]) : 'none'}`);
      if (q.branches.length < 1) fail(op, `needs at least one branch`);
      const args = ins.slice(1);
      for (const [i, br] of q.branches.entries()) checkSignature(op, `branch ${i}`, br, args, q.branches[0]!.outputs.map((v) => v.aval));
      return q.branches[0]!.outputs.map((v) => aval(v.aval.shape, v.aval.dtype));
    }
    case Primitive.WhileLoop: {
      const q = p as PrimitiveParams[Primitive.WhileLoop];
      const nc = q.condConsts, nb = q.bodyConsts;
      if (ins.length < nc + nb) fail(op, `expects ${nc}+${nb} consts, got ${ins.length} operands`);
      const carry = ins.slice(nc + nb);
      checkSignature(op, 'cond', q.cond, [...ins.slice(0, nc), ...carry], [aval([], 'bool')]);
      checkSignature(op, 'body', q.body, [...ins.slice(nc, nc + nb), ...carry], carry);
      return carry.map((a) => aval(a.shape, a.dtype));
    }
    case Primitive.Scan: {
      const q = p as PrimitiveParams[Primitive.Scan];
      const { numConsts: nc, numCarry: nk, length } = q;
      if (!Number.isInteger(length) || length < 0) fail(op, `invalid length ${length}`);
      if (ins.length < nc + nk) fail(op, `expects ${nc} consts and ${nk} carries, got ${ins.length} operands`);
      const xs = ins.slice(nc + nk);
      for (const a of xs) if (a.shape[0] !== length) fail(op, `scanned operand ${avalToString(a)} must have leading axis ${length}`);
      const carry = ins.slice(nc, nc + nk);
      const slices = xs.map((a) => aval(a.shape.slice(1), a.dtype));
      const outs = q.body.outputs.map((v) => v.aval);
      checkSignature(op, 'body', q.body, [...ins.slice(0, nc), ...carry, ...slices], [...carry, ...outs.slice(nk)]);
      return [...carry.map((a) => aval(a.shape, a.dtype)), ...outs.slice(nk).map((a) => aval([length, ...a.shape], a.dtype))];
    }
    case Primitive.CustomJvpCall:
    case Primitive.CustomVjpCall: {
      const q = p as PrimitiveParams[Primitive.CustomJvpCall];
      checkSignature(op, 'body', q.body, ins, q.body.outputs.map((v) => v.aval));
      return q.body.outputs.map((v) => aval(v.aval.shape, v.aval.dtype));
    }
    case Primitive.CustomLin: {
      const q = p as PrimitiveParams[Primitive.CustomLin];
      const cts = q.bwd.inputs.slice(q.numRes);
      checkSignature(op, 'bwd', q.bwd, [...ins.slice(0, q.numRes), ...cts.map((v) => v.aval)], ins.slice(q.numRes));
      return cts.map((v) => aval(v.aval.shape, v.aval.dtype));
    }
    default:
      return op satisfies never;
  }
}

/** A region's inputs and outputs must have exactly the given types. */
function checkSignature(op: Primitive, what: string, fn: Func, ins: readonly AVal[], outs: readonly AVal[]): void {
  const sig = (xs: readonly AVal[]) => `(${xs.map(avalToString).join(', ')})`;
  const same = (a: readonly AVal[], b: readonly AVal[]) => a.length === b.length && a.every((v, i) => sameAval(v, b[i]!));
  if (!same(fn.inputs.map((v) => v.aval), ins)) fail(op, `${what} @${fn.name} takes ${sig(fn.inputs.map((v) => v.aval))}, but is given ${sig(ins)}`);
  if (!same(fn.outputs.map((v) => v.aval), outs)) fail(op, `${what} @${fn.name} returns ${sig(fn.outputs.map((v) => v.aval))}, expected ${sig(outs)}`);
}

export function checkDType(op: string, d: DType, allowed: readonly DType[]): void {
  if (!allowed.includes(d)) throw new ShapeError(op, `dtype ${d} not supported (expects ${allowed.join(' or ')})`);
}
