// Tracing: every op on a Tensor goes through `bind`. With no active trace it runs eagerly;
// inside a trace it appends an equation to the innermost trace's function. Traces nest (a
// trace inside a trace, as grad of grad will need); values from outer traces and concrete
// tensors used inside are captured as extra inputs of the inner function.
import { ShapeError, TraceError } from '../compiler/ir/errors.ts';
import { makeEqn, Var, type AVal, type Eqn, type Func, type SourceLoc } from '../compiler/ir/ir.ts';
import type { Primitive, PrimitiveParams } from '../compiler/ir/primitives.ts';
import { inferAvals } from '../compiler/ir/shape-rules.ts';
import { evalPrimitive, type HostTensor } from '../runtime/interp/index.ts';
import type { DeviceArray } from '../runtime/device.ts';
import { onDefaultDevice, runEager } from './eager.ts';
import { userLocation } from './source-loc.ts';

/** The value behind a Tensor: a concrete array, or a variable of a function being traced. */
export type Value =
  | { readonly kind: 'concrete'; readonly array: DeviceArray }
  | { readonly kind: 'traced'; readonly trace: GraphTrace; readonly v: Var; readonly known?: HostTensor };

/** Anything bind can take: the Tensor class implements this (kept abstract to avoid a cycle). */
export interface HasValue {
  readonly _value: Value;
}

export class GraphTrace {
  readonly eqns: Eqn[] = [];
  readonly inputs: Var[] = [];
  /** Values from outside this trace, in capture order, with the input var standing for each. */
  readonly captured: { value: Value; v: Var }[] = [];
  private readonly captureIndex = new Map<object, Var>();
  active = true;

  /**
   * @param withValues when true, values are also computed as the trace proceeds, so that user
   *   code may read them (JS control flow on concrete values, as eager grad needs).
   */
  constructor(
    readonly level: number,
    readonly withValues: boolean,
  ) {}

  newInput(aval: AVal): Var {
    const v = new Var(aval);
    this.inputs.push(v);
    return v;
  }

  /** The var standing for `value` inside this trace, capturing it when it comes from outside. */
  varOf(value: Value): Var {
    if (value.kind === 'traced' && value.trace === this) return value.v;
    const keyObj = value.kind === 'concrete' ? value.array : value.v;
    let v = this.captureIndex.get(keyObj);
    if (!v) {
      v = new Var(value.kind === 'concrete' ? value.array.aval : value.v.aval);
      this.captureIndex.set(keyObj, v);
      this.captured.push({ value, v });
    }
    return v;
  }

  /** The traced function: explicit inputs first, captured values after them. */
  toFunc(name: string, outputs: readonly Var[]): Func {
    return { name, inputs: [...this.inputs, ...this.captured.map((c) => c.v)], eqns: [...this.eqns], outputs };
  }
}

const traceStack: GraphTrace[] = [];

export function currentTrace(): GraphTrace | undefined {
  return traceStack[traceStack.length - 1];
}

/** Runs `f` with a new trace pushed; the trace is closed afterwards even if `f` throws. */
export function withNewTrace<T>(withValues: boolean, f: (trace: GraphTrace) => T): { trace: GraphTrace; result: T } {
  const trace = new GraphTrace(traceStack.length, withValues);
  traceStack.push(trace);
  try {
    return { trace, result: f(trace) };
  } finally {
    traceStack.pop();
    trace.active = false;
  }
}

/** The concrete value of v when one is known (eagerly computed, or known during tracing). */
export function knownValue(v: Value): HostTensor | undefined {
  return v.kind === 'concrete' ? v.array.toHost() : v.known;
}

/** The concrete value, or a TraceError saying why it cannot be had and where. */
export function requireKnown(v: Value, what: string): HostTensor {
  const k = knownValue(v);
  if (k) return k;
  const loc = userLocation();
  throw new TraceError(
    `cannot ${what} of a traced value ${v.kind === 'traced' ? `${v.v.aval.dtype}[${v.v.aval.shape.join(',')}]` : ''}` +
      `${loc ? ` at ${loc.file}:${loc.line}:${loc.col}` : ''}: under jit or AOT compilation values are abstract, ` +
      `so JavaScript control flow cannot depend on them; use k.cond, k.whileLoop, k.forLoop or k.scan instead`,
  );
}

function avalOf(v: Value): AVal {
  return v.kind === 'concrete' ? v.array.aval : v.v.aval;
}

/**
 * Applies a primitive to values: evaluates it now, or records it in the innermost trace.
 * Shape errors name the op, the operands and the user's source location.
 */
export function bindValues<P extends Primitive>(
  prim: P,
  params: PrimitiveParams[P],
  inputs: readonly Value[],
  /** The source location to record; by default the user's call site. */
  at?: SourceLoc,
): Value[] {
  const trace = currentTrace();
  if (!trace) {
    try {
      return runEager(prim, params, inputs.map((v) => requireEager(v))).map((array) => ({ kind: 'concrete', array }));
    } catch (e) {
      throw e instanceof ShapeError ? e.at(at ?? userLocation()) : e;
    }
  }
  const loc: SourceLoc | undefined = at ?? userLocation();
  let outAvals: AVal[];
  try {
    outAvals = inferAvals(prim, params, inputs.map(avalOf));
  } catch (e) {
    throw e instanceof ShapeError ? e.at(loc) : e;
  }
  const outs = outAvals.map((a) => new Var(a));
  trace.eqns.push(makeEqn(prim, params, inputs.map((v) => trace.varOf(v)), outs, loc));
  let known: HostTensor[] | undefined;
  if (trace.withValues) {
    const ins = inputs.map(knownValue);
    if (ins.every((h): h is HostTensor => h !== undefined)) known = evalPrimitive(prim, params, ins);
  }
  return outs.map((v, i) => ({ kind: 'traced', trace, v, known: known?.[i] }));
}

function requireEager(v: Value): DeviceArray {
  // Outside any trace, a tracer can only be one that escaped its trace (a leak).
  if (v.kind === 'concrete') return v.array;
  if (v.known && !v.trace.active) return onDefaultDevice(v.known);
  throw new TraceError(
    `a traced value ${v.v.aval.dtype}[${v.v.aval.shape.join(',')}] escaped the function being traced; ` +
      `return it from the function instead of storing it outside`,
  );
}
