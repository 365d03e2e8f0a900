// User-defined derivatives: customJvp (a forward rule) and customVjp (a forward pass saving
// residuals and a backward rule), as in JAX. Both trace their callbacks to regions of one
// equation, so the rules survive jit and AOT compilation.
import { TraceError } from '../compiler/ir/errors.ts';
import { insertInputs } from '../compiler/ir/func-utils.ts';
import { avalToString, sameAval, type Func } from '../compiler/ir/ir.ts';
import { Primitive } from '../compiler/ir/primitives.ts';
import { zerosLike } from './creation.ts';
import { bind, toTensor, type TensorLike } from './lift.ts';
import { ShapeDtype, traceToFunc } from './make-ir.ts';
import { Tensor } from './tensor.ts';
import { treeDefEqual, treeFlatten, treeUnflatten, type TreeDef } from './tree.ts';

interface Traced {
  func: Func;
  outTree: TreeDef;
  captured: Tensor[];
}

function trace(f: (...a: never[]) => unknown, args: readonly unknown[], name: string): Traced {
  const { leaves, def } = treeFlatten(args);
  const abs = treeUnflatten<unknown[]>(def, leaves.map((l) => (l instanceof Tensor ? new ShapeDtype(l.shape, l.dtype) : l)));
  const r = traceToFunc(f, abs, { name });
  const n = r.func.inputs.length - r.trace.captured.length;
  // Captured values first, as the primitives take their consts.
  const func = { ...r.func, inputs: [...r.func.inputs.slice(n), ...r.func.inputs.slice(0, n)] };
  return { func, outTree: r.outTree, captured: r.trace.captured.map((c) => Tensor._wrap(c.value)) };
}

/** Gives each function the consts of all of them: [c0..., c1..., ...], each using its own. */
function unifyConsts(ts: readonly Traced[]): { funcs: Func[]; consts: Tensor[] } {
  const all = ts.map((t) => t.captured.map((c) => c.aval));
  const funcs = ts.map((t, i) => {
    const before = all.slice(0, i).flat();
    const after = all.slice(i + 1).flat();
    return insertInputs(insertInputs(t.func, before, 0), after, before.length + t.captured.length);
  });
  return { funcs, consts: ts.flatMap((t) => t.captured) };
}

function tensors(args: readonly TensorLike[]): Tensor[] {
  return args.map((a) => toTensor(a));
}

/**
 * f with a user-defined forward-mode rule: `rule(primals, tangents)` returns
 * `[f(...primals), tangent of the output]`. Reverse mode comes from it by linearization, so
 * the rule must be linear in the tangents. Values f closes over get no derivative.
 */
export function customJvp<A extends Tensor[], R>(
  f: (...args: A) => R,
  rule: (primals: A, tangents: A) => [R, R],
): (...args: A) => R {
  return (...args: A) => {
    const xs = tensors(args);
    const body = trace(f as (...a: never[]) => unknown, xs, f.name || 'body');
    const n = xs.length;
    const jvp = trace(
      ((...pt: Tensor[]) => {
        const out = rule(pt.slice(0, n) as A, pt.slice(n) as A);
        if (!Array.isArray(out) || out.length !== 2) throw new TraceError('customJvp: the rule must return [output, output tangent]');
        return out;
      }) as (...a: never[]) => unknown,
      [...xs, ...xs],
      'jvp',
    );
    const jdef = jvp.outTree;
    if (jdef.kind !== 'array' || !treeDefEqual(jdef.children[0]!, body.outTree) || !treeDefEqual(jdef.children[1]!, body.outTree)) {
      throw new TraceError('customJvp: the rule must return [output, tangent], both structured like the output of f');
    }
    const nOut = body.func.outputs.length;
    body.func.outputs.forEach((o, i) => {
      for (const j of [i, nOut + i]) {
        const a = jvp.func.outputs[j]!.aval;
        if (!sameAval(a, o.aval)) throw new TraceError(`customJvp: the rule returns ${avalToString(a)} where f returns ${avalToString(o.aval)}`);
      }
    });
    const { funcs, consts } = unifyConsts([body, jvp]);
    const outs = bind(Primitive.CustomJvpCall, { body: funcs[0]!, jvp: funcs[1]!, numConsts: consts.length }, [...consts, ...xs]);
    return treeUnflatten<R>(body.outTree, outs);
  };
}

/**
 * f with a user-defined reverse-mode rule: `fwd(...args)` returns `[f(...args), residuals]`
 * and `bwd(residuals, outputCotangent)` returns one cotangent per argument (null for zero).
 * Forward mode (jvp) through such a function is an error, as in JAX.
 */
export function customVjp<A extends Tensor[], R, Res>(
  f: (...args: A) => R,
  fwd: (...args: A) => [R, Res],
  bwd: (residuals: Res, ct: R) => (Tensor | null)[],
): (...args: A) => R {
  return (...args: A) => {
    const xs = tensors(args);
    const body = trace(f as (...a: never[]) => unknown, xs, f.name || 'body');
    const fw = trace(fwd as (...a: never[]) => unknown, xs, 'fwd');
    const fdef = fw.outTree;
    if (fdef.kind !== 'array' || fdef.children.length !== 2 || !treeDefEqual(fdef.children[0]!, body.outTree)) {
      throw new TraceError('customVjp: fwd must return [output, residuals] with the output structured like that of f');
    }
    const nOut = body.func.outputs.length;
    const resAvals = fw.func.outputs.slice(nOut).map((v) => new ShapeDtype(v.aval.shape, v.aval.dtype));
    const resArg = treeUnflatten(fdef.children[1]!, resAvals);
    const ctArg = treeUnflatten(body.outTree, body.func.outputs.map((v) => new ShapeDtype(v.aval.shape, v.aval.dtype)));
    const bw = trace(
      ((res: never, ct: never) => {
        const cts = bwd(res as Res, ct as R);
        if (!Array.isArray(cts) || cts.length !== xs.length) throw new TraceError(`customVjp: bwd must return ${xs.length} cotangent(s), one per argument`);
        return cts.map((c, i) => {
          const x = xs[i]!;
          const t = c === null ? zerosLike(x) : toTensor(c);
          if (!sameAval(t.aval, x.aval)) throw new TraceError(`customVjp: bwd returns ${avalToString(t.aval)} for argument ${i} of type ${avalToString(x.aval)}`);
          return t;
        });
      }) as (...a: never[]) => unknown,
      [resArg, ctArg],
      'bwd',
    );
    const { funcs, consts } = unifyConsts([body, fw]);
    // bwd's own captured values travel as extra residuals: fwd passes them through.
    const nc = consts.length;
    const bwCaptured = bw.captured;
    const allConsts = [...consts, ...bwCaptured];
    const bodyF = insertInputs(funcs[0]!, bwCaptured.map((c) => c.aval), nc);
    const fwdIns = insertInputs(funcs[1]!, bwCaptured.map((c) => c.aval), nc);
    const passed = fwdIns.inputs.slice(nc, nc + bwCaptured.length);
    const fwdF: Func = { ...fwdIns, outputs: [...fwdIns.outputs.slice(0, nOut), ...passed, ...fwdIns.outputs.slice(nOut)] };
    const outs = bind(
      Primitive.CustomVjpCall,
      { body: bodyF, fwd: fwdF, bwd: { ...bw.func }, numConsts: allConsts.length },
      [...allConsts, ...xs],
    );
    return treeUnflatten<R>(body.outTree, outs);
  };
}
