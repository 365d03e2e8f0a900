// Constant folding: equations of constants are evaluated at compile time (by the reference
// interpreter, so folding cannot change a result). A uniform value of any size folds to a
// one-value constant; other results fold only while small.
import { allocHost, type HostArray } from '../ir/dtype.ts';
import { aval, sizeOf, type AVal, type Var } from '../ir/ir.ts';
import { isBinary, isCompare, isControl, isUnary, Primitive } from '../ir/primitives.ts';
import { evalPrimitive, type HostTensor } from '../../runtime/interp/index.ts';
import type { Func } from '../ir/ir.ts';
import { rewrite } from './rewrite.ts';

const MAX_FOLDED = 1024;

// Ops that map uniform inputs to a uniform output: evaluating them on one element suffices.
const UNIFORM_PRESERVING = new Set<Primitive>([
  Primitive.Select, Primitive.Convert, Primitive.BroadcastInDim, Primitive.Reshape, Primitive.Transpose,
  Primitive.Slice, Primitive.Rev, Primitive.StopGradient,
]);

function host(a: AVal, data: readonly number[]): HostTensor {
  const n = sizeOf(a.shape);
  const arr: HostArray = allocHost(a.dtype, n);
  if (data.length === 1) arr.fill(data[0]!);
  else arr.set(data);
  return { aval: a, data: arr };
}

export function foldConstants(fn: Func): Func {
  return rewrite(fn, () => {
    const consts = new Map<Var, readonly number[]>();
    return (e, b) => {
      if (e.primitive === Primitive.Constant) {
        consts.set(e.outputs[0]!, e.params.data);
        return undefined;
      }
      // iota stays: kernels compute it from the index for free, while folded it becomes data
      // (and a kernel inlines only small constants).
      if (isControl(e.primitive) || e.primitive === Primitive.RandomBits || e.primitive === Primitive.Iota || e.outputs.length !== 1) return undefined;
      const datas = e.inputs.map((v) => consts.get(v));
      if (datas.some((d) => d === undefined)) return undefined;
      const out = e.outputs[0]!;
      const uniform = datas.every((d) => d!.length === 1);
      let result: readonly number[];
      if (uniform && (isUnary(e.primitive) || isBinary(e.primitive) || isCompare(e.primitive) || UNIFORM_PRESERVING.has(e.primitive))) {
        const ins = e.inputs.map((v, i) => host(aval([], v.aval.dtype), datas[i]!));
        const scalarParams = e.primitive === Primitive.BroadcastInDim || e.primitive === Primitive.Reshape || e.primitive === Primitive.Transpose || e.primitive === Primitive.Slice || e.primitive === Primitive.Rev
          ? undefined
          : e.params;
        if (scalarParams === undefined) result = datas[0]!;
        else result = Array.from(evalPrimitive(e.primitive, scalarParams as never, ins)[0]!.data);
      } else {
        if (sizeOf(out.aval.shape) > MAX_FOLDED || e.inputs.some((v) => sizeOf(v.aval.shape) > MAX_FOLDED)) return undefined;
        const ins = e.inputs.map((v, i) => host(v.aval, datas[i]!));
        const r = Array.from(evalPrimitive(e.primitive, e.params as never, ins)[0]!.data);
        result = r.length > 0 && r.every((x) => Object.is(x, r[0])) ? [r[0]!] : r;
      }
      const c = b.emit1(Primitive.Constant, { shape: [...out.aval.shape], dtype: out.aval.dtype, data: [...result] });
      consts.set(c, result);
      return [c];
    };
  });
}
