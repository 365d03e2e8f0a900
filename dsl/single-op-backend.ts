// What the compiling eager backends (cpu, cuda, vulkan) share: each primitive runs as a
// compiled single-op program, compiled once per primitive, params (regions too) and operand
// types — the printed function is the cache key.
import type { AVal } from '../compiler/ir/ir.ts';
import { makeEqn, Var, type Func } from '../compiler/ir/ir.ts';
import { printFunc } from '../compiler/ir/print.ts';
import { inferAvals } from '../compiler/ir/shape-rules.ts';
import { HostArrayOnDevice, type Device, type DeviceArray } from '../runtime/device.ts';
import type { RunnableProgram } from './compile.ts';
import type { EagerBackend } from './eager.ts';

export interface SingleOpBackendSpec<P> {
  readonly device: Device;
  /** Compiles a function of one equation (no input donated). */
  compile(func: Func, donated: readonly boolean[]): P;
  /** Runs a compiled program on arrays of the device; its results are of `outAvals`. */
  run(prog: P, inputs: readonly DeviceArray[], outAvals: readonly AVal[], committed: boolean): DeviceArray[];
  fromHost: EagerBackend['fromHost'];
}

/** An eager backend running every primitive as a compiled single-op program, cached. */
export function singleOpBackend<P>(spec: SingleOpBackendSpec<P>): EagerBackend {
  const programs = new Map<string, P>();
  return {
    device: spec.device,
    run(prim, params, inputs, committed) {
      const avals = inputs.map((a) => a.aval);
      const outAvals = inferAvals(prim, params, avals);
      const ins = avals.map((a) => new Var(a));
      const outs = outAvals.map((a) => new Var(a));
      const func: Func = { name: `eager_${prim}`, inputs: ins, eqns: [makeEqn(prim, params, ins, outs)], outputs: outs };
      const key = printFunc(func);
      let prog = programs.get(key);
      if (prog === undefined) programs.set(key, (prog = spec.compile(func, ins.map(() => false))));
      return spec.run(prog, inputs, outAvals, committed);
    },
    fromHost: spec.fromHost,
  };
}

/** The run and fromHost of a device whose arrays live in host memory (copied in and out by each run). */
export function hostMemoryBackend(device: Device): Pick<SingleOpBackendSpec<RunnableProgram>, 'run' | 'fromHost'> {
  return {
    run: (prog, inputs, outAvals, committed) => prog.run(inputs.map((a) => a.toHost().data)).map((data, i) => new HostArrayOnDevice(device, outAvals[i]!, data, committed)),
    fromHost: (h, committed) => new HostArrayOnDevice(device, h.aval, h.data, committed),
  };
}
