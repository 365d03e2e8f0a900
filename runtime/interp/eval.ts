// evalPrimitive (one primitive on host tensors) and evalFunc (a whole function, equation by
// equation): the reference semantics that every compiled backend is compared with.
import type { HostArray } from '../../compiler/ir/dtype.ts';
import { KilnError, ShapeError, VerifyError } from '../../compiler/ir/errors.ts';
import { avalToString, sameAval, sizeOf, type AVal, type Func, type Var } from '../../compiler/ir/ir.ts';
import { Primitive, type PrimitiveParams } from '../../compiler/ir/primitives.ts';
import { inferAvals } from '../../compiler/ir/shape-rules.ts';
import { evalCond, evalScan, evalWhileLoop } from './control.ts';
import { evalConstant, evalIota } from './creation.ts';
import { evalDotGeneral } from './dot.ts';
import { evalBinary, evalCompare, evalConvert, evalSelect, evalUnary } from './elementwise.ts';
import { evalGather, evalScatter } from './gather.ts';
import {
  evalBroadcastInDim, evalConcatenate, evalPad, evalReshape, evalRev, evalSlice, evalTranspose,
} from './movement.ts';
import { evalRandomBits } from './random.ts';
import { evalSort } from './sort.ts';
import { evalArgExtreme, evalCumsum, evalReduce } from './reduce.ts';
import { checkTensor, type HostTensor } from './tensor.ts';

type Call = { [P in Primitive]: { readonly prim: P; readonly params: PrimitiveParams[P] } }[Primitive];

/**
 * Applies `prim` to host tensors. Result avals come from `inferAvals` first, so operand
 * errors raise the same ShapeError as everywhere else (for control flow, that includes the
 * regions' signatures against the operands). Inputs are never mutated; results are fresh
 * arrays. Control-flow primitives run their regions with evalFunc.
 */
export function evalPrimitive<P extends Primitive>(prim: P, params: PrimitiveParams[P], inputs: readonly HostTensor[]): HostTensor[] {
  const outs = inferAvals(prim, params, inputs.map((t) => t.aval));
  inputs.forEach((t, i) => checkTensor(`${prim} operand ${i}`, t));
  const res = compute({ prim, params } as Call, inputs, outs);
  return Array.isArray(res) ? res.map((data, i) => ({ aval: outs[i]!, data })) : [{ aval: outs[0]!, data: res }];
}

/** The result data: one array, or one per result for multi-result primitives (sort, control flow). */
function compute(call: Call, ins: readonly HostTensor[], outs: readonly AVal[]): HostArray | HostArray[] {
  const { prim, params } = call;
  const out = outs[0]!;
  const [x, y, z] = ins as [HostTensor, HostTensor, HostTensor];
  switch (prim) {
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
    case Primitive.Not:
      return evalUnary(prim, x, out);
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
    case Primitive.ShiftRightLogical:
      return evalBinary(prim, x, y, out);
    case Primitive.Eq:
    case Primitive.Ne:
    case Primitive.Lt:
    case Primitive.Le:
    case Primitive.Gt:
    case Primitive.Ge:
      return evalCompare(prim, x, y);
    case Primitive.Select:
      return evalSelect(x, y, z, out);
    case Primitive.Convert:
      return evalConvert(x, out);
    case Primitive.StopGradient:
      return evalReshape(x);
    case Primitive.Constant:
      return evalConstant(params);
    case Primitive.Iota:
      return evalIota(params);
    case Primitive.RandomBits:
      return evalRandomBits(x.data, sizeOf(out.shape));
    case Primitive.BroadcastInDim:
      return evalBroadcastInDim(x, params, out);
    case Primitive.Reshape:
      return evalReshape(x);
    case Primitive.Transpose:
      return evalTranspose(x, params, out);
    case Primitive.Slice:
      return evalSlice(x, params, out);
    case Primitive.Pad:
      return evalPad(x, params, out);
    case Primitive.Concatenate:
      return evalConcatenate(ins, params, out);
    case Primitive.Rev:
      return evalRev(x, params, out);
    case Primitive.Gather:
      return evalGather(x, y, out);
    case Primitive.Scatter:
      return evalScatter(x, y, z, params);
    case Primitive.ReduceSum:
    case Primitive.ReduceMax:
    case Primitive.ReduceMin:
    case Primitive.ReduceProd:
      return evalReduce(prim, x, params, out);
    case Primitive.Argmax:
    case Primitive.Argmin:
      return evalArgExtreme(prim, x, params.axis);
    case Primitive.Cumsum:
      return evalCumsum(x, params);
    case Primitive.Sort:
      return evalSort(ins, params);
    case Primitive.DotGeneral:
      return evalDotGeneral(x, y, params, out);
    case Primitive.Cond:
      return evalCond(params, ins, outs, evalFunc);
    case Primitive.CustomJvpCall:
    case Primitive.CustomVjpCall:
      return evalFunc(params.body, ins).map((t) => t.data.slice());
    case Primitive.CustomLin:
      throw new KilnError('forward-mode differentiation (jvp, jacfwd) of a customVjp function is not supported; use reverse mode or customJvp');
    case Primitive.WhileLoop:
      return evalWhileLoop(params, ins, evalFunc);
    case Primitive.Scan:
      return evalScan(params, ins, outs, evalFunc);
    default:
      return prim satisfies never;
  }
}

/**
 * Runs `fn` on `inputs` (which must match its input avals) and returns its outputs. A
 * ShapeError from an equation is re-raised with the equation's source location; an
 * equation whose declared output avals disagree with the shape rules, or a use of an
 * undefined variable, is a VerifyError. Intermediate results are dropped after their last
 * use. An output that is an input is returned as the caller's own tensor (never mutated).
 * Regions of control-flow equations are evaluated by recursion into evalFunc.
 */
export function evalFunc(fn: Func, inputs: readonly HostTensor[]): HostTensor[] {
  if (inputs.length !== fn.inputs.length) {
    throw new KilnError(`${fn.name}: expects ${fn.inputs.length} input(s), got ${inputs.length}`);
  }
  const env = new Map<Var, HostTensor>();
  fn.inputs.forEach((v, i) => {
    const t = inputs[i]!;
    if (!sameAval(v.aval, t.aval)) {
      throw new KilnError(`${fn.name}: input ${i} should be ${avalToString(v.aval)}, got ${avalToString(t.aval)}`);
    }
    checkTensor(`${fn.name} input ${i}`, t);
    env.set(v, t);
  });
  const lastUse = new Map<Var, number>();
  fn.eqns.forEach((e, i) => e.inputs.forEach((v) => lastUse.set(v, i)));
  for (const v of fn.outputs) lastUse.set(v, Infinity);
  const read = (v: Var): HostTensor => {
    const t = env.get(v);
    if (!t) throw new VerifyError(`${fn.name}: %${v.id} is used before it is defined`);
    return t;
  };

  fn.eqns.forEach((e, i) => {
    let res: HostTensor[];
    try {
      res = evalPrimitive(e.primitive, e.params, e.inputs.map(read));
    } catch (err) {
      throw err instanceof ShapeError ? err.at(e.loc) : err;
    }
    if (res.length !== e.outputs.length) {
      throw new VerifyError(`${fn.name}: ${e.primitive} gives ${res.length} result(s), equation binds ${e.outputs.length}`);
    }
    e.outputs.forEach((v, k) => {
      if (!sameAval(v.aval, res[k]!.aval)) {
        throw new VerifyError(
          `${fn.name}: ${e.primitive} result %${v.id} declared ${avalToString(v.aval)}, shape rule gives ${avalToString(res[k]!.aval)}`,
        );
      }
      if (lastUse.has(v)) env.set(v, res[k]!);
    });
    for (const v of e.inputs) if (lastUse.get(v) === i) env.delete(v);
  });
  return fn.outputs.map(read);
}
