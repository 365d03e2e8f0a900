// Algebraic simplification: identities (x + 0, x * 1, x - 0, x / 1, --x), chains of
// transposes, reshapes and broadcasts folded into one, no-op views and converts removed,
// stop_gradient dropped (it only matters to autodiff, which has run by now).
import { isFloat } from '../ir/dtype.ts';
import { sameAval, type Eqn, type Func, type Var } from '../ir/ir.ts';
import { Primitive } from '../ir/primitives.ts';
import { rewrite } from './rewrite.ts';

/** The value of a uniform constant (a constant with one value), if v is one. */
type ConstOf = (v: Var) => number | undefined;

const isIdentityPerm = (p: readonly number[]) => p.every((a, i) => a === i);

function simplifyEqn(e: Eqn, def: Map<Var, Eqn>, constOf: ConstOf): Var[] | undefined {
  const [x, y] = e.inputs;
  const out = e.outputs[0]!;
  const same = (v: Var | undefined) => v !== undefined && sameAval(v.aval, out.aval);
  switch (e.primitive) {
    case Primitive.Add:
      if (constOf(y!) === 0 && same(x)) return [x!];
      if (constOf(x!) === 0 && same(y)) return [y!];
      return undefined;
    case Primitive.Sub:
      if (constOf(y!) === 0 && same(x)) return [x!];
      return undefined;
    case Primitive.Mul:
      if (constOf(y!) === 1 && same(x)) return [x!];
      if (constOf(x!) === 1 && same(y)) return [y!];
      return undefined;
    case Primitive.Div:
      if (constOf(y!) === 1 && same(x)) return [x!];
      return undefined;
    case Primitive.Neg: {
      const d = def.get(x!);
      return d?.primitive === Primitive.Neg ? [d.inputs[0]!] : undefined;
    }
    case Primitive.StopGradient:
      return [x!];
    case Primitive.Select:
      return y === e.inputs[2] ? [y!] : undefined;
    case Primitive.Convert: {
      if (x!.aval.dtype === out.aval.dtype) return [x!];
      // convert(convert(v, wider), back) is v when the first convert loses nothing.
      const d = def.get(x!);
      const inner = d?.primitive === Primitive.Convert ? d.inputs[0]! : undefined;
      if (inner && inner.aval.dtype === out.aval.dtype && widens(inner.aval.dtype, x!.aval.dtype)) return [inner];
      return undefined;
    }
    case Primitive.Reshape:
      if (same(x)) return [x!];
      return undefined;
    case Primitive.Transpose:
      if (isIdentityPerm(e.params.perm)) return [x!];
      return undefined;
    case Primitive.BroadcastInDim:
      if (same(x)) return [x!];
      return undefined;
    case Primitive.ReduceSum:
    case Primitive.ReduceMax:
    case Primitive.ReduceMin:
    case Primitive.ReduceProd:
      return e.params.axes.length === 0 ? [x!] : undefined;
    case Primitive.Slice:
    case Primitive.Rev:
    case Primitive.Pad:
      return same(x) && isNoopView(e) ? [x!] : undefined;
    default:
      return undefined;
  }
}

function widens(from: string, to: string): boolean {
  return (from === 'f32' && to === 'f64') || (from === 'i32' && to === 'f64') || (from === 'bool' && (to === 'i32' || isFloat(to as never)));
}

function isNoopView(e: Eqn): boolean {
  switch (e.primitive) {
    case Primitive.Slice:
      return e.params.start.every((s) => s === 0) && e.params.strides.every((s) => s === 1);
    case Primitive.Rev:
      return e.params.axes.every((a) => e.inputs[0]!.aval.shape[a] === 1);
    case Primitive.Pad:
      return [...e.params.lo, ...e.params.hi, ...e.params.interior].every((v) => v === 0);
    default:
      return false;
  }
}

/** Composes a chain of two views into one equation when both are of the same kind. */
function compose(e: Eqn, def: Map<Var, Eqn>, emit: (e: Eqn) => Var | undefined): Var | undefined {
  const d = def.get(e.inputs[0]!);
  if (!d || d.primitive !== e.primitive) return undefined;
  const src = d.inputs[0]!;
  switch (e.primitive) {
    case Primitive.Transpose: {
      const inner = (d as Extract<Eqn, { primitive: Primitive.Transpose }>).params.perm;
      const perm = e.params.perm.map((a) => inner[a]!);
      return emit({ ...e, params: { perm }, inputs: [src] } as Eqn);
    }
    case Primitive.Reshape:
      return emit({ ...e, inputs: [src] } as Eqn);
    case Primitive.BroadcastInDim: {
      const inner = (d as Extract<Eqn, { primitive: Primitive.BroadcastInDim }>).params.dims;
      return emit({ ...e, params: { shape: e.params.shape, dims: inner.map((a) => e.params.dims[a]!) }, inputs: [src] } as Eqn);
    }
    default:
      return undefined;
  }
}

export function simplify(fn: Func): Func {
  return rewrite(fn, () => {
    const def = new Map<Var, Eqn>();
    const consts = new Map<Var, number>();
    const constOf: ConstOf = (v) => consts.get(v);
    return (e, b) => {
      const r = simplifyEqn(e, def, constOf);
      if (r) return r;
      const composed = compose(e, def, (ne) => {
        const v = b.emit1(ne.primitive, ne.params as never, ...ne.inputs);
        def.set(v, b.eqns[b.eqns.length - 1]!);
        return v;
      });
      if (composed) {
        // The composed view may itself be a no-op (transpose then its inverse).
        const again = simplifyEqn(def.get(composed)!, def, constOf);
        return again ?? [composed];
      }
      e.outputs.forEach((o) => def.set(o, e));
      if (e.primitive === Primitive.Constant && e.params.data.length === 1) consts.set(e.outputs[0]!, e.params.data[0]!);
      return undefined;
    };
  });
}
