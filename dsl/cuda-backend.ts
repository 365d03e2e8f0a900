// The CUDA device: eager ops run as compiled single-op programs on the GPU (cached per
// primitive, params and operand types), arrays stay in device memory, and jit compiles whole
// functions for it. Available when a GPU is usable and the compiler can generate PTX.
import { ptxAvailable } from '../compiler/codegen/ptx/compile.ts';
import { cudaStatus, cudaContext } from '../runtime/cuda/index.ts';
import { cudaDevice, cudaProgram, uploadArray, type CudaProgram } from './cuda-program.ts';
import type { EagerBackend, Unavailable } from './eager.ts';
import { singleOpBackend } from './single-op-backend.ts';

export const cudaBackend: EagerBackend = singleOpBackend<CudaProgram>({
  device: cudaDevice(0),
  compile: cudaProgram,
  run: (prog, inputs, _outAvals, committed) => prog.runArrays(inputs, inputs.map(() => false), committed),
  fromHost: (h, committed) => uploadArray(cudaContext(), h.aval, h.data, committed ?? false),
});

/**
 * The CUDA backend when it can run here, else why not (quiet when there is simply no driver:
 * a machine without an NVIDIA GPU is nothing to report unless cuda was asked for).
 */
export function cudaBackendStatus(): { readonly backends: readonly EagerBackend[]; readonly unavailable: { readonly cuda?: Unavailable } } {
  const s = cudaStatus();
  if (!s.available) return { backends: [], unavailable: { cuda: { reason: s.reason, quiet: s.missing } } };
  if (!ptxAvailable()) {
    return {
      backends: [],
      unavailable: { cuda: { reason: `a GPU is present (${s.info.name}), but no PTX compiler was found (libnvvm and libdevice of the CUDA toolkit, via CUDA_HOME; or llc-14, opt-14 and llvm-link-14 with libdevice)` } },
    };
  }
  return { backends: [cudaBackend], unavailable: {} };
}
