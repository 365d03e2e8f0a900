// The CUDA device: eager ops run as compiled single-op programs on the GPU (cached per
// primitive, params and operand types), arrays stay in device memory, and jit compiles whole
// functions for it. Available when a GPU is usable and the compiler can generate PTX.
import { makeEqn, Var, type Func } from '../compiler/ir/ir.ts';
import { printFunc } from '../compiler/ir/print.ts';
import { inferAvals } from '../compiler/ir/shape-rules.ts';
import { cudaStatus, cudaContext } from '../runtime/cuda/index.ts';
import { cudaCompiler, cudaDevice, cudaProgram, uploadArray, type CudaProgram } from './cuda-program.ts';
import type { EagerBackend, Unavailable } from './eager.ts';

const programs = new Map<string, CudaProgram>();

export const cudaBackend: EagerBackend = {
  device: cudaDevice(0),
  run(prim, params, inputs, committed) {
    const avals = inputs.map((a) => a.aval);
    const outAvals = inferAvals(prim, params, avals);
    const ins = avals.map((a) => new Var(a));
    const outs = outAvals.map((a) => new Var(a));
    const func: Func = { name: `eager_${prim}`, inputs: ins, eqns: [makeEqn(prim, params, ins, outs)], outputs: outs };
    // The printed function is the key: primitive, params (regions too) and operand types.
    const key = printFunc(func);
    let prog = programs.get(key);
    if (!prog) programs.set(key, (prog = cudaProgram(func, ins.map(() => false))));
    return prog.runArrays(inputs, ins.map(() => false), committed);
  },
  fromHost: (h, committed) => uploadArray(cudaContext(), h.aval, h.data, committed ?? false),
};

/**
 * The CUDA backend when it can run here, else why not (quiet when there is simply no driver:
 * a machine without an NVIDIA GPU is nothing to report unless cuda was asked for).
 */
export function cudaBackendStatus(): { readonly backends: readonly EagerBackend[]; readonly unavailable: { readonly cuda?: Unavailable } } {
  const s = cudaStatus();
  if (!s.available) return { backends: [], unavailable: { cuda: { reason: s.reason, quiet: s.missing } } };
  if (!cudaCompiler()) {
    return { backends: [], unavailable: { cuda: { reason: `a GPU is present (${s.info.name}), but this build's compiler has no CUDA code generator (compileForCuda)` } } };
  }
  return { backends: [cudaBackend], unavailable: {} };
}
