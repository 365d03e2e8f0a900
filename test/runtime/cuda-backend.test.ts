// The cuda backend of the DSL (eager ops, x.to('cuda'), k.jit with donation) on the fake
// device: the "CUDA compiler" is the CPU pipeline's executable with its loop kernels run by
// the loop-IR interpreter, so what is checked is the backend's plumbing (arrays staying on the
// device, ownership of blocks, donation), against the interpreter.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLoopKernel } from '../../compiler/lower/index.ts';
import { compileForCpu } from '../../compiler/pipeline.ts';
import { cudaBackend } from '../../dsl/cuda-backend.ts';
import { useCudaCompiler, type CompileForCuda } from '../../dsl/cuda-program.ts';
import { registerBackend } from '../../dsl/eager.ts';
import * as k from '../../index.ts';
import { CudaArray, cudaContext, FakeCudaDriver, useCudaDriver, type FakeKernel } from '../../runtime/cuda/index.ts';
import { mlpData, mlpStep } from '../../bench/workloads.ts';
import { cpuPresent, rand, rng, useColdCache } from '../backends/helpers.ts';

useColdCache();
type T = k.Tensor;

const kernels: Record<string, FakeKernel> = {};
let modules = 0;
const fakeCompile: CompileForCuda = (fns, opts) => {
  const lib = compileForCpu(fns, opts);
  const ptx = `fake module ${modules++}`;
  const names = lib.funcs.flatMap((f) => f.kernels).map((lk) => {
    kernels[`${ptx}/${lk.name}`] = { params: lk.params.map((p) => ({ dtype: p.dtype, size: p.size })), run: (b) => runLoopKernel(lk, b) };
    return lk.name;
  });
  return { funcs: lib.funcs, module: { arch: 'sm_90', producer: 'llc-14', ptx, kernels: names.map((name) => ({ name, launch: { grid: [1, 1, 1], block: [1, 1, 1], sharedBytes: 0 } })) } };
};

const arrayOf = (t: T) => (t._value.kind === 'concrete' ? t._value.array : undefined);

describe.runIf(cpuPresent)('the cuda backend on a fake device', () => {
  beforeAll(() => {
    useCudaDriver(new FakeCudaDriver(kernels));
    useCudaCompiler(fakeCompile);
    registerBackend(cudaBackend);
  });
  afterAll(() => {
    useCudaCompiler(undefined);
    useCudaDriver(undefined);
  });
  const r = rng(11);

  it('lists cuda:0; eager ops run on it and keep their results there', () => {
    expect(k.devices().map(String)).toContain('cuda:0');
    const xh = rand(r, [3, 4]), yh = rand(r, [4]);
    const x = xh.to('cuda'), y = yh.to('cuda:0');
    expect(arrayOf(x)).toBeInstanceOf(CudaArray);
    const z = x.mul(2).add(y).exp().sum({ axis: 1 });
    expect(String(z.device)).toBe('cuda:0');
    expect(arrayOf(z)).toBeInstanceOf(CudaArray);
    expect(z).toBeAllclose(xh.mul(2).add(yh).exp().sum({ axis: 1 }), { rtol: 1e-5 });
    // Uncommitted host arrays follow committed device operands.
    expect(x.add(k.ones([4]))).toBeAllclose(xh.add(1));
  });

  it('jit on cuda with donated weights equals the interpreter, step after step', () => {
    const cuda = mlpData('cuda:0');
    const host = mlpData('interp');
    const step = k.jit(mlpStep, { device: 'cuda', staticArgnums: [3], donateArgnums: [0] });
    const ref = k.jit(mlpStep, { device: 'interp', staticArgnums: [3] });
    let p = cuda.params as Record<string, T>, q = host.params as Record<string, T>;
    let before = 0;
    for (let i = 0; i < 4; i++) {
      if (i === 1) before = ctxLive(); // after the first run made the executor's arena and constants
      const old = p;
      p = step(p, cuda.x, cuda.y, 0.1);
      q = ref(q, host.x, host.y, 0.1);
      expect(() => old.w1!.data()).toThrow(/donated/);
      for (const n of Object.keys(q)) {
        expect(String(p[n]!.device)).toBe('cuda:0');
        expect(p[n], n).toBeAllclose(q[n]!, { rtol: 1e-4, atol: 1e-6 });
      }
    }
    // Donation reuses the weights' blocks: the live memory does not grow with the steps.
    expect(ctxLive()).toBe(before);
  });

  it('results never alias arguments unless donated; a donated argument passed twice is copied', () => {
    const x = rand(r, [5]).to('cuda');
    const id = k.jit((a: T, b: T) => ({ a, b: b.add(1) }), { device: 'cuda' });
    const out = id(x, x);
    expect(arrayOf(out.a)).not.toBe(arrayOf(x));
    expect((arrayOf(out.a) as CudaArray).ptr).not.toBe((arrayOf(x) as CudaArray).ptr);
    expect(out.a).toBeAllclose(x);
    const twice = k.jit((a: T, b: T) => a.mul(b), { device: 'cuda', donateArgnums: [0] });
    const xv = x.data().slice();
    const sq = twice(x, x);
    expect(Array.from(sq.data())).toEqual(Array.from(xv, (v) => Math.fround(v * v)));
    expect(() => x.data()).toThrow(/donated/);
  });
});

function ctxLive(): number {
  return cudaContext().memory.stats().liveBytes;
}
