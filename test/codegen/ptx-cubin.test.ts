// compileForCuda's cubin: where ptxas is found, the module carries the PTX assembled for its
// architecture (an ELF image for EM_CUDA), cached by content hash; the fake device loads it
// (its compute capability matching) and the program's results equal the interpreter's. Turned
// off by the option or KILN_CUDA_CUBIN=0; absent, silently, without ptxas.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import type { HostArray } from '../../compiler/ir/dtype.ts';
import type { Func } from '../../compiler/ir/ir.ts';
import { compileCubin, findPtxas, moduleCubin, ptxAvailable, PtxasError } from '../../compiler/codegen/ptx/index.ts';
import { simulateGpuKernel } from '../../compiler/gpu/index.ts';
import { compileForCuda } from '../../compiler/pipeline.ts';
import { CudaContext, createCudaRunner, FakeCudaDriver, type FakeKernel } from '../../runtime/cuda/index.ts';
import { isCubin } from '../../runtime/cuda/cubin.ts';
import { evalFunc } from '../../runtime/interp/index.ts';
import * as k from '../../index.ts';
import { rand, rng } from '../backends/helpers.ts';

type T = k.Tensor;
const cache = mkdtempSync(join(tmpdir(), 'kiln-cubin-'));
afterAll(() => rmSync(cache, { recursive: true, force: true }));
afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

/** ELF e_machine of a cubin: EM_CUDA. */
const EM_CUDA = 190;
const machine = (b: Uint8Array) => b[18]! | (b[19]! << 8);

const r = rng(23);
const x = rand(r, [300, 40]), w = rand(r, [40, 7]);
const func = (): Func => k.makeIR((x: T, w: T) => [x.matmul(w).relu().sum({ axis: 1 }), x.exp().max()])(x, w).func;

describe.runIf(ptxAvailable() && findPtxas() !== null)('cubins beside the PTX (ptxas)', () => {
  it('compileForCuda assembles a cubin for the arch; the fake device loads it; results equal the interpreter', () => {
    const f = func();
    const lib = compileForCuda([f], { cacheDir: cache });
    const cubin = lib.module.cubin!;
    expect(isCubin(cubin)).toBe(true);
    expect(machine(cubin)).toBe(EM_CUDA);
    expect(lib.module.arch).toMatch(/^sm_\d+/);
    // Cached by the PTX's hash: the second compile reads the same bytes back.
    expect(readdirSync(cache).filter((n) => n.endsWith('.cubin'))).toHaveLength(1);
    const again = compileCubin(lib.module.ptx, lib.module.arch, cache)!;
    expect(again.cached).toBe(true);
    expect(Buffer.from(again.cubin).equals(Buffer.from(cubin))).toBe(true);

    const kernels: Record<string, FakeKernel> = {};
    for (const g of lib.gpuKernels) kernels[g.name] = { params: g.params.map((p) => ({ dtype: p.dtype, size: p.size })), run: (b) => simulateGpuKernel(g, b) };
    const [major, minor] = /^sm_(\d+)(\d)/.exec(lib.module.arch)!.slice(1).map(Number) as [number, number];
    const driver = new FakeCudaDriver(kernels, { computeCapability: [major, minor] });
    const runner = createCudaRunner(lib.module, [lib.funcs[0]!.program], CudaContext.create(driver));
    expect(driver.loadedImages).toEqual(['cubin']);
    const inputs = [x, w].map((a) => a.data().slice() as HostArray);
    const want = evalFunc(f, inputs.map((data, i) => ({ aval: f.inputs[i]!.aval, data: data.slice() as HostArray })));
    runner.run(0, inputs).forEach((g, i) => expect(Array.from(g), `output ${i}`).toBeAllclose(Array.from(want[i]!.data), { rtol: 1e-4, atol: 1e-5 }));
    runner.dispose();
  });

  it('cubin: false, KILN_CUDA_CUBIN=0 and a missing ptxas give no cubin', () => {
    expect(compileForCuda([func()], { cacheDir: cache, cubin: false }).module.cubin).toBeUndefined();
    vi.stubEnv('KILN_CUDA_CUBIN', '0');
    expect(compileForCuda([func()], { cacheDir: cache }).module.cubin).toBeUndefined();
    vi.unstubAllEnvs();
    vi.stubEnv('KILN_PTXAS', join(cache, 'no-such-ptxas'));
    const stderr = vi.spyOn(process.stderr, 'write');
    const m = compileForCuda([func()], { cacheDir: cache }).module;
    expect(m.cubin).toBeUndefined();
    expect('cubin' in m).toBe(false);
    expect(stderr.mock.calls.filter(([t]) => /cubin/.test(String(t)))).toEqual([]);
  });

  it('PTX that ptxas rejects: compileCubin throws a PtxasError; moduleCubin gives none and says so once', () => {
    const bad = '.version 7.5\n.target sm_90\n.address_size 64\n.visible .entry broken() {\n  bogus.op %r1;\n}\n';
    expect(() => compileCubin(bad, 'sm_90', cache)).toThrow(PtxasError);
    expect(() => compileCubin(bad, 'sm_90', cache)).toThrow(/kernel broken, PTX line 5/);
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(moduleCubin(bad, 'sm_90', cache)).toBeUndefined();
    expect(moduleCubin(bad, 'sm_90', cache)).toBeUndefined();
    expect(stderr.mock.calls).toHaveLength(1);
    expect(String(stderr.mock.calls[0]![0])).toMatch(/no cubin for sm_90 \(the driver will JIT-compile the PTX\): ptxas -arch=sm_90 rejected/);
  });
});
