// Building IR directly, for transformations (autodiff, passes) that write new equations. The
// helpers assume operands already agree in shape and dtype, as the primitives require.
import type { DType } from './dtype.ts';
import { convertValue } from './numeric.ts';
import { ShapeError } from './errors.ts';
import { aval, makeEqn, sizeOf, Var, type AVal, type Eqn, type Func, type SourceLoc } from './ir.ts';
import { Primitive, type BinaryOp, type CompareOp, type PrimitiveParams, type UnaryOp } from './primitives.ts';
import { inferAvals } from './shape-rules.ts';

export class Builder {
  readonly eqns: Eqn[] = [];
  /** The location given to new equations: that of the equation being transformed. */
  loc: SourceLoc | undefined;

  emit<P extends Primitive>(prim: P, params: PrimitiveParams[P], inputs: readonly Var[]): Var[] {
    let outs: AVal[];
    try {
      outs = inferAvals(prim, params, inputs.map((v) => v.aval));
    } catch (e) {
      throw e instanceof ShapeError ? e.at(this.loc) : e;
    }
    const vars = outs.map((a) => new Var(a));
    this.eqns.push(makeEqn(prim, params, inputs, vars, this.loc));
    return vars;
  }

  emit1<P extends Primitive>(prim: P, params: PrimitiveParams[P], ...inputs: readonly Var[]): Var {
    return this.emit(prim, params, inputs)[0]!;
  }

  /** Copies `fn`'s equations with its inputs bound to `inputs`; returns its outputs. */
  inline(fn: Func, inputs: readonly Var[]): Var[] {
    const env = new Map<Var, Var>();
    fn.inputs.forEach((v, i) => env.set(v, inputs[i]!));
    const get = (v: Var) => env.get(v) ?? v;
    for (const e of fn.eqns) {
      const outs = e.outputs.map((o) => new Var(o.aval));
      e.outputs.forEach((o, i) => env.set(o, outs[i]!));
      this.eqns.push(makeEqn(e.primitive, e.params as never, e.inputs.map(get), outs, e.loc));
    }
    return fn.outputs.map(get);
  }

  func(name: string, inputs: readonly Var[], outputs: readonly Var[]): Func {
    return { name, inputs, eqns: [...this.eqns], outputs };
  }

  // ---- constants
  full(shape: readonly number[], value: number, dtype: DType): Var {
    const c = this.emit1(Primitive.Constant, { shape: [], dtype, data: [convertValue(value, dtype)] });
    return shape.length === 0 ? c : this.broadcast(c, shape, []);
  }
  zeros(a: AVal): Var {
    return this.full(a.shape, 0, a.dtype);
  }
  /** A value like `like` filled with `value`. */
  fullLike(like: Var, value: number): Var {
    return this.full(like.aval.shape, value, like.aval.dtype);
  }

  // ---- elementwise
  unary(p: UnaryOp, x: Var): Var {
    return this.emit1(p, {}, x);
  }
  binary(p: BinaryOp | CompareOp, a: Var, b: Var): Var {
    return this.emit1(p, {}, a, b);
  }
  add(a: Var, b: Var): Var { return this.binary(Primitive.Add, a, b); }
  sub(a: Var, b: Var): Var { return this.binary(Primitive.Sub, a, b); }
  mul(a: Var, b: Var): Var { return this.binary(Primitive.Mul, a, b); }
  div(a: Var, b: Var): Var { return this.binary(Primitive.Div, a, b); }
  pow(a: Var, b: Var): Var { return this.binary(Primitive.Pow, a, b); }
  neg(a: Var): Var { return this.unary(Primitive.Neg, a); }
  /** a * c for a JS constant c. */
  scale(a: Var, c: number): Var {
    return this.mul(a, this.fullLike(a, c));
  }
  select(p: Var, a: Var, b: Var): Var {
    return this.emit1(Primitive.Select, {}, p, a, b);
  }
  convert(x: Var, dtype: DType): Var {
    return x.aval.dtype === dtype ? x : this.emit1(Primitive.Convert, { dtype }, x);
  }

  // ---- shapes
  broadcast(x: Var, shape: readonly number[], dims: readonly number[]): Var {
    if (dims.length === shape.length && x.aval.shape.every((d, i) => d === shape[i])) return x;
    return this.emit1(Primitive.BroadcastInDim, { shape: [...shape], dims: [...dims] }, x);
  }
  reshape(x: Var, shape: readonly number[]): Var {
    if (shape.length === x.aval.shape.length && shape.every((d, i) => d === x.aval.shape[i])) return x;
    return this.emit1(Primitive.Reshape, { shape: [...shape] }, x);
  }
  transpose(x: Var, perm: readonly number[]): Var {
    if (perm.every((a, i) => a === i)) return x;
    return this.emit1(Primitive.Transpose, { perm: [...perm] }, x);
  }
  reduceSum(x: Var, axes: readonly number[]): Var {
    if (axes.length === 0) return x;
    return this.emit1(Primitive.ReduceSum, { axes: [...axes] }, x);
  }
  /** Sums `x` down to `shape`, undoing a broadcast_in_dim with the given dims. */
  unbroadcast(x: Var, shape: readonly number[], dims: readonly number[]): Var {
    const xs = x.aval.shape;
    const newAxes = xs.map((_, i) => i).filter((i) => !dims.includes(i));
    const stretched = dims.filter((d, i) => shape[i] === 1 && xs[d] !== 1);
    const summed = this.reduceSum(x, [...newAxes, ...stretched].sort((a, b) => a - b));
    return this.reshape(summed, shape);
  }
  /** x[..., idx[...], ...] along `axis`, with idx of x's rank (NumPy's take_along_axis). */
  takeAlongAxis(x: Var, idx: Var, axis: number): Var {
    const shape = idx.aval.shape;
    const coords = shape.map((_, d) =>
      d === axis ? idx : this.emit1(Primitive.Iota, { shape: [...shape], dtype: 'i32', dim: d }),
    );
    const withDepth = coords.map((c) => this.reshape(c, [...shape, 1]));
    const stacked = this.emit1(Primitive.Concatenate, { axis: shape.length }, ...withDepth);
    return this.emit1(Primitive.Gather, {}, x, stacked);
  }
}

export function elementCount(v: Var): number {
  return sizeOf(v.aval.shape);
}

export { aval };
