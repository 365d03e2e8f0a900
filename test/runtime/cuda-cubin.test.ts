// Loading a CudaModule's cubin on the fake driver: the cubin for exactly the device's compute
// capability, else the PTX; a cubin the driver refuses falls back to the PTX and the module
// still runs (an elementwise kernel on random inputs, checked against the same sum in JS).
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { HostArray } from '../../compiler/ir/dtype.ts';
import { aval } from '../../compiler/ir/ir.ts';
import { CudaContext, createCudaRunner, FakeCudaDriver, type FakeDriverOptions, type FakeKernel } from '../../runtime/cuda/index.ts';
import { archCapability, cubinRunsOn, isCubin } from '../../runtime/cuda/cubin.ts';
import type { CudaModule, ExecProgram } from '../../runtime/executable.ts';
import { rng } from '../backends/helpers.ts';

const N = 37;
const KERNELS: Record<string, FakeKernel> = {
  add: {
    params: [{ dtype: 'f32', size: N }, { dtype: 'f32', size: N }, { dtype: 'f32', size: N }],
    run: ([a, b, out]: HostArray[]) => {
      for (let i = 0; i < N; i++) out![i] = a![i]! + b![i]!;
    },
  },
};

/** A stand-in cubin: the ELF magic and a 64-byte header's room (the fake never reads SASS). */
const CUBIN = Uint8Array.from({ length: 128 }, (_, i) => [0x7f, 0x45, 0x4c, 0x46][i] ?? i);

const module = (arch: string, cubin: Uint8Array | null = CUBIN): CudaModule => ({
  arch,
  producer: 'libnvvm',
  ptx: '// fake ptx',
  ...(cubin && { cubin }),
  kernels: [{ name: 'add', launch: { grid: [1, 1, 1], block: [64, 1, 1], sharedBytes: 0 } }],
});

const PROGRAM: ExecProgram = {
  name: 'add',
  buffers: [
    { aval: aval([N], 'f32'), place: { kind: 'input', index: 0 } },
    { aval: aval([N], 'f32'), place: { kind: 'input', index: 1 } },
    { aval: aval([N], 'f32'), place: { kind: 'fresh' } },
  ],
  inputs: [0, 1],
  outputs: [2],
  steps: [{ kind: 'launch', kernel: 'add', args: [0, 1, 2] }],
  arenaBytes: 0,
};

/** Loads `m` on a fake device and runs it on random inputs; returns what was loaded. */
function loadAndRun(m: CudaModule, opts: FakeDriverOptions) {
  const driver = new FakeCudaDriver(KERNELS, opts);
  const ctx = CudaContext.create(driver);
  const runner = createCudaRunner(m, [PROGRAM], ctx);
  const r = rng(5);
  const a = Float32Array.from({ length: N }, () => r() * 2 - 1), b = Float32Array.from({ length: N }, () => r() * 2 - 1);
  const [out] = runner.run(0, [a, b]);
  expect(Array.from(out!)).toEqual(Array.from(a, (x, i) => Math.fround(x + b[i]!)));
  runner.dispose();
  return { images: driver.loadedImages, loaded: ctx.load(m).image };
}

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('cubins on the fake driver', () => {
  it('names and matches architectures', () => {
    expect(archCapability('sm_90')).toEqual([9, 0]);
    expect(archCapability('sm_90a')).toEqual([9, 0]);
    expect(archCapability('sm_100')).toEqual([10, 0]);
    expect(archCapability('sm_86')).toEqual([8, 6]);
    expect(archCapability('compute_90')).toBeNull();
    expect(cubinRunsOn('sm_90', [9, 0])).toBe(true);
    expect(cubinRunsOn('sm_90', [8, 9])).toBe(false);
    expect(cubinRunsOn('sm_86', [8, 9])).toBe(false);
    expect(isCubin(CUBIN)).toBe(true);
    expect(isCubin(CUBIN.subarray(0, 63))).toBe(false);
    expect(isCubin(new TextEncoder().encode('// PTX'.padEnd(100)))).toBe(false);
  });

  it('loads the cubin on a device of its compute capability, the PTX on any other', () => {
    expect(loadAndRun(module('sm_90'), {})).toEqual({ images: ['cubin'], loaded: 'cubin' });
    expect(loadAndRun(module('sm_86'), { computeCapability: [8, 6] })).toEqual({ images: ['cubin'], loaded: 'cubin' });
    expect(loadAndRun(module('sm_90'), { computeCapability: [8, 9] })).toEqual({ images: ['ptx'], loaded: 'ptx' });
    expect(loadAndRun(module('sm_80'), { computeCapability: [9, 0] })).toEqual({ images: ['ptx'], loaded: 'ptx' });
    expect(loadAndRun(module('sm_90', null), {})).toEqual({ images: ['ptx'], loaded: 'ptx' });
  });

  it('KILN_CUDA_CUBIN=0 loads the PTX', () => {
    vi.stubEnv('KILN_CUDA_CUBIN', '0');
    expect(loadAndRun(module('sm_90'), {})).toEqual({ images: ['ptx'], loaded: 'ptx' });
  });

  it('a cubin the driver refuses falls back to the PTX, once per module, and runs', () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(loadAndRun(module('sm_90'), { rejectCubins: true })).toEqual({ images: ['cubin', 'ptx'], loaded: 'ptx' });
    // Said at most once per process (an earlier test file may have said it already).
    expect(stderr.mock.calls.length).toBeLessThanOrEqual(1);
    for (const [text] of stderr.mock.calls) expect(String(text)).toMatch(/refused a cubin for sm_90; loading the PTX instead \(.*NO_BINARY_FOR_GPU/);
    expect(loadAndRun(module('sm_90'), { rejectCubins: true }).images).toEqual(['cubin', 'ptx']);
    expect(stderr.mock.calls.length).toBeLessThanOrEqual(1);
  });
});
