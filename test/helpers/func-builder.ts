// Building IR functions equation by equation in tests; result types come from the shape
// rules, so what it builds is valid (unless a test means otherwise).
import type { DType } from '../../compiler/ir/dtype.ts';
import { aval, makeEqn, Var, type Eqn, type Func, type SourceLoc } from '../../compiler/ir/ir.ts';
import { Primitive, type PrimitiveParams } from '../../compiler/ir/primitives.ts';
import { inferAvals } from '../../compiler/ir/shape-rules.ts';

export class FuncBuilder {
  readonly inputs: Var[] = [];
  readonly eqns: Eqn[] = [];
  arg(shape: number[], dtype: DType): Var {
    const v = new Var(aval(shape, dtype));
    this.inputs.push(v);
    return v;
  }
  ops<P extends Primitive>(p: P, params: PrimitiveParams[P], ins: Var[], loc?: SourceLoc): Var[] {
    const outs = inferAvals(p, params, ins.map((v) => v.aval)).map((a) => new Var(a));
    this.eqns.push(makeEqn(p, params, ins, outs, loc));
    return outs;
  }
  op<P extends Primitive>(p: P, params: PrimitiveParams[P], ins: Var[], loc?: SourceLoc): Var {
    return this.ops(p, params, ins, loc)[0]!;
  }
  /** A scalar constant. */
  scalar(value: number, dtype: DType): Var {
    return this.op(Primitive.Constant, { shape: [], dtype, data: [value] }, []);
  }
  func(name: string, outputs: Var[]): Func {
    return { name, inputs: this.inputs, eqns: this.eqns, outputs };
  }
}
