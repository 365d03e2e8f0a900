// From a traced function to something that runs on a device: the interpreter evaluates the
// IR; the CPU backend compiles it to a native library and runs it with the host executor.
import type { HostArray } from '../compiler/ir/dtype.ts';
import { KilnError } from '../compiler/ir/errors.ts';
import type { Func } from '../compiler/ir/ir.ts';
import { compileForCpu } from '../compiler/pipeline.ts';
import { loadKernels } from '../runtime/cpu/index.ts';
import type { Device, DeviceArray } from '../runtime/device.ts';
import { HostExecutor } from '../runtime/host-executor.ts';
import { evalFunc } from '../runtime/interp/index.ts';
import { cudaProgram } from './cuda-program.ts';
import { vulkanProgram } from './vulkan-backend.ts';

/** A compiled function, ready to run on arrays of its device. */
export interface RunnableProgram {
  readonly kernelCount: number;
  readonly cached: boolean;
  readonly peakBytes: number;
  run(inputs: readonly HostArray[]): HostArray[];
  /**
   * Runs on the device's own arrays (GPU backends: nothing is copied to the host); `donated`
   * marks the inputs whose buffers a result may take. Absent for host backends.
   */
  runArrays?(inputs: readonly DeviceArray[], donated: readonly boolean[], committed: boolean): DeviceArray[];
}

function interpProgram(func: Func): RunnableProgram {
  return {
    kernelCount: 0,
    cached: false,
    peakBytes: 0,
    run: (inputs) => evalFunc(func, inputs.map((data, i) => ({ aval: func.inputs[i]!.aval, data }))).map((t) => t.data),
  };
}

function cpuProgram(func: Func, donated: readonly boolean[]): RunnableProgram {
  const lib = compileForCpu([func], { donated: [donated] });
  const cf = lib.funcs[0]!;
  const kernels = loadKernels(lib.library.path, cf.kernels.map((k) => k.name));
  const exec = new HostExecutor(cf.program, kernels);
  return { kernelCount: cf.kernels.length, cached: lib.library.cached, peakBytes: cf.plan.peakBytes, run: (inputs) => exec.run(inputs) };
}

export function compileProgramFor(device: Device, func: Func, donated: readonly boolean[]): RunnableProgram {
  switch (device.kind) {
    case 'interp':
      return interpProgram(func);
    case 'cpu':
      return cpuProgram(func, donated);
    case 'cuda':
      return cudaProgram(func, donated);
    case 'vulkan':
      return vulkanProgram(func, donated);
    default:
      throw new KilnError(`compiling for ${device} is not supported yet`);
  }
}
