// From a traced function to a program on the GPU: compiled by the compiler's CUDA pipeline
// (compileForCuda) and run by the CUDA executor on device memory.
// Arrays stay on the device between calls; donated arguments lend their blocks to results.
import type { HostArray } from '../compiler/ir/dtype.ts';
import { sizeOf, type AVal, type Func } from '../compiler/ir/ir.ts';
import { compileForCuda, type CompiledFunc, type CompileOptions } from '../compiler/pipeline.ts';
import { Device, type DeviceArray } from '../runtime/device.ts';
import type { CudaModule } from '../runtime/executable.ts';
import { CudaArray, createCudaRunner, storageBytes, type CudaContext, type CudaRunner, type DevicePtr } from '../runtime/cuda/index.ts';

/** The compiler's CUDA entry point, as the code generator provides it. */
export type CompileForCuda = (fns: readonly Func[], opts?: CompileOptions) => { readonly funcs: readonly CompiledFunc[]; readonly module: CudaModule };

let injected: CompileForCuda | undefined;

/** Compiles with `f` instead of the compiler's compileForCuda (tests); undefined restores it. */
export function useCudaCompiler(f: CompileForCuda | undefined): void {
  injected = f;
}

/** The compiler's compileForCuda, or the one a test injected. */
export function cudaCompiler(): CompileForCuda {
  return injected ?? compileForCuda;
}

const devices = new Map<number, Device>();
/** The Device object of GPU `ordinal` (one per ordinal). */
export function cudaDevice(ordinal = 0): Device {
  let d = devices.get(ordinal);
  if (!d) devices.set(ordinal, (d = new Device('cuda', ordinal)));
  return d;
}

/** A new CudaArray holding a copy of `data`. */
export function uploadArray(ctx: CudaContext, aval: AVal, data: HostArray, committed: boolean): CudaArray {
  return new CudaArray(ctx, cudaDevice(ctx.info.ordinal), aval, ctx.upload(data), committed);
}

/** A compiled function on the GPU: run on host arrays (copies) or on device arrays. */
export interface CudaProgram {
  readonly kernelCount: number;
  readonly cached: boolean;
  readonly peakBytes: number;
  run(inputs: readonly HostArray[]): HostArray[];
  runArrays(inputs: readonly DeviceArray[], donated: readonly boolean[], committed: boolean): DeviceArray[];
}

export function cudaProgram(func: Func, donated: readonly boolean[]): CudaProgram {
  const lib = cudaCompiler()([func], { donated: [donated] });
  const cf = lib.funcs[0]!;
  const runner = createCudaRunner(lib.module, [cf.program]);
  const outAvals = func.outputs.map((v) => v.aval);
  return {
    kernelCount: lib.module.kernels.length,
    cached: false,
    peakBytes: cf.plan.peakBytes,
    run: (inputs) => runner.run(0, inputs),
    runArrays: (inputs, don, committed) => runOnDevice(runner, outAvals, inputs, don, committed),
  };
}

/**
 * Runs program 0 of `runner` on arrays (uploading those not on this GPU). Results never share
 * a block with an argument or each other, except that a donated argument's block passes to
 * the result written into it; donated arguments are unusable afterwards.
 */
export function runOnDevice(runner: CudaRunner, outAvals: readonly AVal[], inputs: readonly DeviceArray[], donated: readonly boolean[], committed: boolean): DeviceArray[] {
  const ctx = runner.context;
  const mem = ctx.memory;
  const dev = cudaDevice(ctx.info.ordinal);
  const copyOf = (p: DevicePtr, aval: AVal): DevicePtr => {
    const bytes = sizeOf(aval.shape) * storageBytes(aval.dtype);
    const c = mem.alloc(bytes);
    ctx.driver.copyDtoD(c, p, bytes);
    return c;
  };
  /** Blocks made here (uploads, copies): freed at the end unless a result takes one. */
  const temps = new Set<DevicePtr>();
  const ptrs = inputs.map((a) => {
    if (a instanceof CudaArray && a.context === ctx) return a.ptr;
    const p = ctx.upload(a.toHost().data);
    temps.add(p);
    return p;
  });
  // A donated block passed again elsewhere would be overwritten while still read: the donated
  // position gets a copy.
  ptrs.forEach((p, i) => {
    if (donated[i] && !temps.has(p) && ptrs.some((o, j) => j !== i && o === p)) temps.add((ptrs[i] = copyOf(p, inputs[i]!.aval)));
  });
  const run = runner.runDevice(0, ptrs);
  const handed = new Set<DevicePtr>();
  const transferred = new Set<CudaArray>();
  const outs = run.outputs.map((o, j) => {
    const aval = outAvals[j]!;
    if (run.fresh[j]) return new CudaArray(ctx, dev, aval, o, committed);
    // The output is an argument's block: it becomes the result's when it was made here or
    // donated, once; otherwise the result gets its own copy.
    if (!handed.has(o)) {
      if (temps.has(o)) {
        handed.add(o);
        temps.delete(o);
        return new CudaArray(ctx, dev, aval, o, committed);
      }
      const i = ptrs.findIndex((p, i) => p === o && donated[i]);
      const owner = inputs[i];
      if (owner instanceof CudaArray) {
        handed.add(o);
        transferred.add(owner);
        return new CudaArray(ctx, dev, aval, owner.transfer(DONATED), committed);
      }
    }
    return new CudaArray(ctx, dev, aval, copyOf(o, aval), committed);
  });
  for (const t of temps) mem.dealloc(t);
  inputs.forEach((a, i) => donated[i] && a instanceof CudaArray && !transferred.has(a) && a.markDeleted(DONATED));
  return outs;
}

const DONATED = 'it was donated to a jitted function, which may have reused its buffer; use the result instead';
