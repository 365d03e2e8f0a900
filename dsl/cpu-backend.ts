// The CPU device: eager ops run as compiled single-op programs (cached per primitive, params
// and operand types), so the default CPU backend runs native code; jit compiles whole
// functions for it. Available when LLVM 14's tools and a C compiler are installed.
import { findTool } from '../compiler/codegen/llvm/compile.ts';
import { makeEqn, Var, type Func } from '../compiler/ir/ir.ts';
import { printFunc } from '../compiler/ir/print.ts';
import { inferAvals } from '../compiler/ir/shape-rules.ts';
import { Device, HostArrayOnDevice } from '../runtime/device.ts';
import { compileProgramFor, type RunnableProgram } from './compile.ts';
import type { EagerBackend } from './eager.ts';

const cpu = new Device('cpu');
const programs = new Map<string, RunnableProgram>();

/** Whether the tools the CPU backend compiles with are installed. */
export function cpuToolchainPresent(): boolean {
  // The compiler's own lookup (a scan of PATH, no processes started: this runs at import).
  try {
    findTool('KILN_OPT', ['opt-14', '/usr/lib/llvm-14/bin/opt'], 'llvm-14', 'opt');
    findTool('KILN_LLC', ['llc-14', '/usr/lib/llvm-14/bin/llc'], 'llvm-14', 'llc');
    findTool('KILN_CC', ['gcc', 'cc'], 'gcc', 'gcc');
    return true;
  } catch {
    return false;
  }
}

export const cpuBackend: EagerBackend = {
  device: cpu,
  run(prim, params, inputs, committed) {
    const avals = inputs.map((a) => a.aval);
    const outAvals = inferAvals(prim, params, avals);
    const ins = avals.map((a) => new Var(a));
    const outs = outAvals.map((a) => new Var(a));
    const func: Func = { name: `eager_${prim}`, inputs: ins, eqns: [makeEqn(prim, params, ins, outs)], outputs: outs };
    // The printed function is the key: primitive, params (regions too) and operand types.
    const key = printFunc(func);
    let prog = programs.get(key);
    if (!prog) programs.set(key, (prog = compileProgramFor(cpu, func, ins.map(() => false))));
    const res = prog.run(inputs.map((a) => a.toHost().data));
    return res.map((data, i) => new HostArrayOnDevice(cpu, outAvals[i]!, data, committed));
  },
  fromHost: (h, committed) => new HostArrayOnDevice(cpu, h.aval, h.data, committed),
};
