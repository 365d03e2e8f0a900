// Tracing a JS function to a graph-IR function (`makeIR`, like jax.make_jaxpr), and running
// an IR function on tensors (`callIR`, which works eagerly and under an outer trace alike).
import type { DType } from '../compiler/ir/dtype.ts';
import { TraceError } from '../compiler/ir/errors.ts';
import { aval, avalToString, makeEqn, sameAval, Var, type AVal, type Eqn, type Func } from '../compiler/ir/ir.ts';
import { Primitive } from '../compiler/ir/primitives.ts';
import { printFunc } from '../compiler/ir/print.ts';
import { bind } from './lift.ts';
import { Tensor } from './tensor.ts';
import { knownValue, withNewTrace, type GraphTrace } from './trace.ts';
import { treeFlatten, treeUnflatten, type TreeDef } from './tree.ts';

/** An abstract argument: only its shape and dtype (jax.ShapeDtypeStruct). */
export class ShapeDtype {
  constructor(
    readonly shape: readonly number[],
    readonly dtype: DType = 'f32',
  ) {}
  /** The type as the IR prints it, e.g. `f32[2,3]`. */
  toString(): string {
    return avalToString(this);
  }
}

/** An abstract argument for makeIR and compilation: a shape and a dtype, no data. */
export function shapeDtype(shape: readonly number[], dtype: DType = 'f32'): ShapeDtype {
  return new ShapeDtype(shape, dtype);
}

/** A function traced to IR, with the tree structures of its arguments and results. */
export interface TracedFunction {
  readonly func: Func;
  /** Structure of the arguments; leaves that are not tensors are static (baked in). */
  readonly inTree: TreeDef;
  readonly outTree: TreeDef;
  /** The IR text. */
  toString(): string;
}

export interface TraceResult {
  func: Func;
  inTree: TreeDef;
  outTree: TreeDef;
  trace: GraphTrace;
  /** The traced outputs (leaves), for callers that need their known values. */
  outputs: Tensor[];
  /** For each explicit input of `func`, the index of its leaf in the flattened arguments. */
  inputLeaves: number[];
  /** The flattened argument leaves. */
  leaves: unknown[];
}

/**
 * Traces `f` on `args`: tensor and ShapeDtype leaves become inputs; other leaves are static.
 * With `withValues`, tensors that have values keep them during the trace, so JS control flow
 * on values works (eager differentiation); otherwise every input is abstract.
 */
export function traceToFunc(f: (...args: never[]) => unknown, args: readonly unknown[], opts: { name?: string; withValues?: boolean } = {}): TraceResult {
  const { leaves, def } = treeFlatten(args);
  const inputLeaves: number[] = [];
  const { trace, result } = withNewTrace(opts.withValues ?? false, (tr) => {
    const inLeaves = leaves.map((l, i) => {
      if (l instanceof Tensor || l instanceof ShapeDtype) {
        const v = tr.newInput(aval(l.shape, l.dtype));
        inputLeaves.push(i);
        const known = opts.withValues && l instanceof Tensor ? knownValue(l._value) : undefined;
        return Tensor._wrap({ kind: 'traced', trace: tr, v, known });
      }
      return l;
    });
    const tracedArgs = treeUnflatten<unknown[]>(def, inLeaves);
    const out = f(...(tracedArgs as never[]));
    const flat = treeFlatten(out);
    const outs = flat.leaves.map((o, i) => {
      if (!(o instanceof Tensor)) throw new TraceError(`output ${i} of the traced function is not a tensor (${typeof o})`);
      return o;
    });
    return { outs, outDef: flat.def, outVars: outs.map((o) => tr.varOf(o._value)) };
  });
  const func = trace.toFunc(opts.name ?? (f.name || 'main'), result.outVars);
  return { func, inTree: def, outTree: result.outDef, trace, outputs: result.outs, inputLeaves, leaves };
}

/** Replaces captured concrete inputs by constant equations, so the function stands alone. */
function inlineCaptured(r: TraceResult): Func {
  const consts: Eqn[] = [];
  const keep = new Set<Var>(r.func.inputs);
  for (const c of r.trace.captured) {
    if (c.value.kind !== 'concrete') continue;
    const h = c.value.array.toHost();
    consts.push(makeEqn(Primitive.Constant, { shape: [...h.aval.shape], dtype: h.aval.dtype, data: Array.from(h.data) }, [], [c.v]));
    keep.delete(c.v);
  }
  return { ...r.func, inputs: r.func.inputs.filter((v) => keep.has(v)), eqns: [...consts, ...r.func.eqns] };
}

/** Arguments of a traced function: each tensor may be given by its shape and dtype only. */
export type AbstractArgs<A extends unknown[]> = { [K in keyof A]: A[K] extends Tensor ? A[K] | ShapeDtype : A[K] };

/**
 * Like jax.make_jaxpr: `makeIR(f)(...args)` traces f on abstract values of the arguments'
 * shapes and dtypes and returns the IR function; `String(result)` is its text.
 */
export function makeIR<A extends unknown[]>(f: (...args: A) => unknown, opts: { name?: string } = {}): (...args: AbstractArgs<A>) => TracedFunction {
  return (...args: AbstractArgs<A>) => {
    const r = traceToFunc(f as (...args: never[]) => unknown, args, { name: opts.name });
    const func = inlineCaptured(r);
    return { func, inTree: r.inTree, outTree: r.outTree, toString: () => printFunc(func) };
  };
}

/** Runs an IR function on tensors: eagerly, or appending to the current trace. */
export function callIR(func: Func, inputs: readonly Tensor[]): Tensor[] {
  if (inputs.length !== func.inputs.length) {
    throw new TraceError(`@${func.name} takes ${func.inputs.length} inputs, got ${inputs.length}`);
  }
  const env = new Map<Var, Tensor>();
  func.inputs.forEach((v, i) => {
    const t = inputs[i]!;
    if (!sameAval(v.aval, t.aval)) {
      throw new TraceError(`@${func.name} input ${i} expects ${avalToString(v.aval)}, got ${avalToString(t.aval)}`);
    }
    env.set(v, t);
  });
  const read = (v: Var) => {
    const t = env.get(v);
    if (!t) throw new TraceError(`@${func.name}: value used before definition`);
    return t;
  };
  for (const e of func.eqns) {
    // Equations keep the location of the user code they came from.
    const outs = bind(e.primitive, e.params as never, e.inputs.map(read), e.loc);
    e.outputs.forEach((v, i) => env.set(v, outs[i]!));
  }
  return func.outputs.map(read);
}

export type { AVal };
