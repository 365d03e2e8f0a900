// CUDA artifacts: packaged with the real CUDA code generator (PTX), loaded through the CUDA
// runtime on the fake device (runtime/cuda's FakeCudaDriver, its kernels the GPU kernels run
// by the CPU simulator), results equal jit's on the interpreter; without a GPU, loading is a
// clear ArtifactError. (On a machine with a GPU the same artifacts run for real: see the report
// of the GPU check.)
import { afterEach, describe, expect, it } from 'vitest';
import * as k from '../../index.ts';
import { entryFromTrace, packageArtifact, type EntrySpec } from '../../compiler/aot/package.ts';
import { simulateGpuKernel } from '../../compiler/gpu/index.ts';
import { compileForCuda } from '../../compiler/pipeline.ts';
import { decodeArtifact } from '../../runtime/artifact/format.ts';
import { ArtifactError } from '../../runtime/artifact/errors.ts';
import { FakeCudaDriver, useCudaDriver, type FakeKernel } from '../../runtime/cuda/index.ts';
import { useColdCache } from '../backends/helpers.ts';
import { cpuPresent, mlp, mlpEntries, mlpParams, rand, rng, scanCond, sd, weightsOf } from './fixtures/artifacts.ts';

useColdCache();
afterEach(() => useCudaDriver(undefined));
type T = k.Tensor;

describe.runIf(cpuPresent)('cuda artifacts', () => {
  const r = rng(19);
  const params = mlpParams(r);
  const entries = (): EntrySpec[] => [mlpEntries()[0]!, entryFromTrace('scanCond', k.makeIR(scanCond)(sd([3]), sd([6, 3])), { argNames: ['init', 'xs'] })];

  it('package PTX with launch shapes; run on the fake device; results equal jit', async () => {
    const bytes = packageArtifact({ target: 'cuda', entries: entries(), weights: weightsOf(params) });
    const dec = decodeArtifact(bytes);
    expect(dec.header.target).toBe('cuda');
    expect(dec.manifest.kernels.format).toBe('ptx');
    expect(new TextDecoder().decode(dec.kernels)).toMatch(/\.entry f0_/);
    for (const kern of dec.manifest.kernels.kernels) expect(kern.launch?.block[0]).toBeGreaterThan(0);

    // The fake device runs each GPU kernel of the module with the simulator.
    const cu = compileForCuda(entries().map((e) => e.func));
    expect(cu.module.ptx).toBe(new TextDecoder().decode(dec.kernels));
    const kernels: Record<string, FakeKernel> = {};
    for (const g of cu.gpuKernels) kernels[g.name] = { params: g.params.map((p) => ({ dtype: p.dtype, size: p.size })), run: (b) => simulateGpuKernel(g, b) };
    useCudaDriver(new FakeCudaDriver(kernels));
    const m = await k.loadArtifact(bytes);
    const x = rand(r, [5, 4]);
    expect(m.call('predict', { x }) as T).toBeAllclose(k.jit(mlp)(params, x), { rtol: 1e-5, atol: 1e-5 });
    const init = rand(r, [3]), xs = rand(r, [6, 3]);
    const [c, ys] = m.call('scanCond', [init, xs]) as [T, T];
    const [wc, wys] = k.jit(scanCond)(init, xs);
    expect(c).toBeAllclose(wc, { rtol: 1e-5, atol: 1e-5 });
    expect(ys).toBeAllclose(wys, { rtol: 1e-5, atol: 1e-5 });
  });

  it('without a GPU, loading a cuda artifact is a clear ArtifactError', async () => {
    const bytes = packageArtifact({ target: 'cuda', entries: entries().slice(1) });
    useCudaDriver(new FakeCudaDriver({}, { devices: 0 }));
    const err = await k.loadArtifact(bytes).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ArtifactError);
    expect((err as ArtifactError).code).toBe('target');
    expect((err as Error).message).toMatch(/^cannot run a cuda artifact here: .*(no CUDA-capable device|CUDA)/);
  });
});
