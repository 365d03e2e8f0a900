// The reference executor of fused programs: each kernel's func is evaluated by the reference
// interpreter, control steps run their regions' programs with the interpreter's own
// control-flow semantics (runtime/interp/control.ts). Fusion tests compare it with evalFunc
// on the source function; backends can compare their launch sequences with it.
//
// With a memory plan it also executes the plan: arena values live in one shared buffer at
// their planned offsets, donated inputs are overwritten in place, and (with `poison`) every
// arena value is scribbled over after its last use, so a plan that lets two live values
// overlap, or a step that reads a value after its last planned use, gives wrong results.
import { KilnError } from '../ir/errors.ts';
import type { Func, Var } from '../ir/ir.ts';
import type { HostArray } from '../ir/dtype.ts';
import { regionsOf } from '../ir/param-schema.ts';
import { Primitive } from '../ir/primitives.ts';
import { evalFunc, type HostTensor } from '../../runtime/interp/index.ts';
import { evalCond, evalScan, evalWhileLoop, type RunFunc } from '../../runtime/interp/control.ts';
import { Storage } from './storage.ts';
import type { MemoryPlan } from './memory.ts';
import type { FusedProgram, Step } from './program.ts';

export interface ExecuteOptions {
  /** Run on the buffers of this plan (made by planMemory for this program). */
  readonly plan?: MemoryPlan;
  /** With a plan: overwrite every arena value after its last use. */
  readonly poison?: boolean;
}

/** Runs a control step's equation, its regions evaluated as their fused programs. */
function runControl(s: Extract<Step, { kind: 'control' }>, ins: readonly HostTensor[], plans: readonly MemoryPlan[] | undefined, opts: ExecuteOptions): HostTensor[] {
  const progs = new Map<Func, { prog: FusedProgram; plan?: MemoryPlan }>();
  regionsOf(s.eqn.primitive, s.eqn.params).forEach((r, i) => progs.set(r.func, { prog: s.regions[i]!, plan: plans?.[i] }));
  const run: RunFunc = (fn, inputs) => {
    const p = progs.get(fn);
    if (!p) throw new KilnError(`executeFused: region @${fn.name} has no fused program`);
    return executeFused(p.prog, inputs, { ...opts, plan: p.plan });
  };
  const outs = s.eqn.outputs.map((o) => o.aval);
  const e = s.eqn;
  let data: HostArray[];
  switch (e.primitive) {
    case Primitive.Cond:
      data = evalCond(e.params, ins, outs, run);
      break;
    case Primitive.WhileLoop:
      data = evalWhileLoop(e.params, ins, run);
      break;
    case Primitive.Scan:
      data = evalScan(e.params, ins, outs, run);
      break;
    default:
      throw new KilnError(`executeFused: unexpected control step ${e.primitive}`);
  }
  return data.map((d, i) => ({ aval: outs[i]!, data: d }));
}

/** Runs `p` on `inputs`; returns its outputs. Without a plan, inputs are never mutated. */
export function executeFused(p: FusedProgram, inputs: readonly HostTensor[], opts: ExecuteOptions = {}): HostTensor[] {
  if (inputs.length !== p.inputs.length) throw new KilnError(`executeFused: ${p.name} expects ${p.inputs.length} input(s), got ${inputs.length}`);
  const store = opts.plan ? new Storage(p, opts.plan, inputs) : undefined;
  const env = new Map<Var, HostTensor>();
  p.inputs.forEach((v, i) => env.set(v, inputs[i]!));
  const read = (v: Var): HostTensor => {
    const t = store ? store.read(v) : env.get(v);
    if (!t) throw new KilnError(`executeFused: ${p.name} reads a value not yet written or already freed (Var #${v.id})`);
    return t;
  };
  p.steps.forEach((s, i) => {
    const ins = (s.kind === 'kernel' ? s.inputs : s.eqn.inputs).map(read);
    const res = s.kind === 'kernel' ? evalFunc(s.kernel.func, ins) : runControl(s, ins, opts.plan?.regions.get(i), opts);
    const outs = s.kind === 'kernel' ? s.outputs : s.eqn.outputs;
    outs.forEach((v, k) => (store ? store.write(v, res[k]!) : env.set(v, res[k]!)));
    if (store && opts.poison) store.release(i);
  });
  return p.outputs.map((v) => {
    const t = read(v);
    // Arena values are views into the arena: hand out copies.
    return store?.inArena(v) ? { aval: t.aval, data: t.data.slice() } : t;
  });
}

