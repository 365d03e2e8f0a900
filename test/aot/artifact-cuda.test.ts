// CUDA artifacts: packaged with the real CUDA code generator (PTX), loaded through the CUDA
// runtime on the fake device (runtime/cuda's FakeCudaDriver, its kernels the GPU kernels run
// by the CPU simulator), results equal jit's on the interpreter; without a GPU, loading is a
// clear ArtifactError. (On a machine with a GPU the same artifacts run for real: see the report
// of the GPU check.) The cubin section: packaged where ptxas is found, loaded by a device of its
// architecture, checked against the manifest; artifacts without one still load and run.
import { afterEach, describe, expect, it } from 'vitest';
import * as k from '../../index.ts';
import { entryFromTrace, packageArtifact, type EntrySpec } from '../../compiler/aot/package.ts';
import { simulateGpuKernel } from '../../compiler/gpu/index.ts';
import { compileForCuda } from '../../compiler/pipeline.ts';
import { findPtxas } from '../../compiler/codegen/ptx/index.ts';
import { describeArtifact } from '../../cli/inspect.ts';
import { decodeContainer, encodeContainer, sha256Hex, type SectionTag } from '../../runtime/artifact/container.ts';
import { decodeArtifact } from '../../runtime/artifact/format.ts';
import { ArtifactError } from '../../runtime/artifact/errors.ts';
import { parseNonFinite, stringifyNonFinite } from '../../runtime/artifact/json.ts';
import { FakeCudaDriver, useCudaDriver, type FakeDriverOptions, type FakeKernel } from '../../runtime/cuda/index.ts';
import { archCapability, isCubin } from '../../runtime/cuda/cubin.ts';
import { useColdCache } from '../backends/helpers.ts';
import { cpuPresent, mlp, mlpEntries, mlpParams, rand, rng, scanCond, sd, weightsOf } from './fixtures/artifacts.ts';

useColdCache();
afterEach(() => useCudaDriver(undefined));
type T = k.Tensor;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** The artifact with its manifest and sections edited, checksum rebuilt. */
function rebuild(bytes: Uint8Array, edit: (manifest: Json, sections: Map<SectionTag, Uint8Array>) => void): Uint8Array {
  const { header, sections } = decodeContainer(bytes, 'a');
  const s = new Map(sections);
  const m = parseNonFinite(Buffer.from(s.get('MANI')!).toString('utf8')) as Json;
  edit(m, s);
  s.set('MANI', Buffer.from(stringifyNonFinite(m), 'utf8'));
  return encodeContainer(header.target, header.kilnVersion, s);
}

/** The artifact with `image` as its cubin section, listed in the manifest for `arch` (default: the PTX's). */
const withCubin = (bytes: Uint8Array, image: Uint8Array, arch?: string) =>
  rebuild(bytes, (m, s) => {
    m.kernels.cubin = { arch: arch ?? m.kernels.arch, bytes: image.length, sha256: sha256Hex(image) };
    s.set('CUBN', image);
  });

/** A stand-in cubin (the fake driver never reads SASS): the ELF magic, room for a header. */
const STAND_IN = Uint8Array.from({ length: 96 }, (_, i) => [0x7f, 0x45, 0x4c, 0x46][i] ?? i & 0xff);

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
    // The device is of the module's architecture: where ptxas made a cubin, it is what is loaded.
    const driver = new FakeCudaDriver(kernels, { computeCapability: archCapability(cu.module.arch) as FakeDriverOptions['computeCapability'] });
    useCudaDriver(driver);
    if (findPtxas()) {
      expect(isCubin(dec.cubin!)).toBe(true);
      expect(dec.manifest.kernels.cubin).toMatchObject({ arch: cu.module.arch, bytes: dec.cubin!.length });
      expect(Buffer.from(dec.cubin!).equals(Buffer.from(cu.module.cubin!))).toBe(true);
      expect(describeArtifact('a.kiln', dec)).toMatch(new RegExp(`target cuda \\(${cu.module.arch}, PTX by \\S+, cubin for ${cu.module.arch} \\(.*\\)\\)[^]*sections: manifest .*, kernels .*, cubin `));
    }
    const m = await k.loadArtifact(bytes);
    expect(driver.loadedImages).toEqual([findPtxas() ? 'cubin' : 'ptx']);
    const x = rand(r, [5, 4]);
    expect(m.call('predict', { x }) as T).toBeAllclose(k.jit(mlp)(params, x), { rtol: 1e-5, atol: 1e-5 });
    const init = rand(r, [3]), xs = rand(r, [6, 3]);
    const [c, ys] = m.call('scanCond', [init, xs]) as [T, T];
    const [wc, wys] = k.jit(scanCond)(init, xs);
    expect(c).toBeAllclose(wc, { rtol: 1e-5, atol: 1e-5 });
    expect(ys).toBeAllclose(wys, { rtol: 1e-5, atol: 1e-5 });
  });

  it('artifacts without a cubin load the PTX; a stand-in cubin is loaded on its architecture only; both run', async () => {
    const bytes = packageArtifact({ target: 'cuda', entries: entries().slice(1), includeIR: false });
    const cu = compileForCuda(entries().slice(1).map((e) => e.func), { cubin: false });
    const kernels: Record<string, FakeKernel> = {};
    for (const g of cu.gpuKernels) kernels[g.name] = { params: g.params.map((p) => ({ dtype: p.dtype, size: p.size })), run: (b) => simulateGpuKernel(g, b) };
    const old = rebuild(bytes, (m, s) => {
      delete m.kernels.cubin;
      s.delete('CUBN');
    });
    expect(decodeArtifact(old).cubin).toBeUndefined();
    expect(describeArtifact('old.kiln', decodeArtifact(old))).toMatch(/, no cubin\)/);
    const standIn = withCubin(old, STAND_IN);
    expect(Array.from(decodeArtifact(standIn).cubin!)).toEqual(Array.from(STAND_IN));
    const init = rand(r, [3]), xs = rand(r, [6, 3]);
    const [wc, wys] = k.jit(scanCond)(init, xs);
    const cc = archCapability(cu.module.arch)!;
    for (const [art, computeCapability, image] of [
      [old, cc, 'ptx'],
      [standIn, cc, 'cubin'],
      [standIn, [cc[0], cc[1] + 1], 'ptx'],
    ] as const) {
      const driver = new FakeCudaDriver(kernels, { computeCapability });
      useCudaDriver(driver);
      const [c, ys] = (await k.loadArtifact(art)).call('scanCond', [init, xs]) as [T, T];
      expect(driver.loadedImages).toEqual([image]);
      expect(c).toBeAllclose(wc, { rtol: 1e-5, atol: 1e-5 });
      expect(ys).toBeAllclose(wys, { rtol: 1e-5, atol: 1e-5 });
    }
  });

  it('a cubin section is checked against the manifest: presence, size, hash, ELF magic, arch', async () => {
    const base = rebuild(packageArtifact({ target: 'cuda', entries: entries().slice(1), includeIR: false }), (m, s) => {
      delete m.kernels.cubin;
      s.delete('CUBN');
    });
    const rejected = (bytes: Uint8Array, re: RegExp) => {
      const err = (() => {
        try {
          decodeArtifact(bytes);
        } catch (e) {
          return e;
        }
      })();
      expect(err, String(re)).toBeInstanceOf(ArtifactError);
      expect((err as ArtifactError).code).toBe('malformed');
      expect((err as Error).message).toMatch(re);
    };
    rejected(rebuild(base, (_m, s) => s.set('CUBN', STAND_IN)), /cubin section the manifest does not list/);
    rejected(rebuild(withCubin(base, STAND_IN), (_m, s) => s.delete('CUBN')), /lists a cubin for sm_\d+ but the file has no cubin section/);
    rejected(rebuild(withCubin(base, STAND_IN), (_m, s) => s.set('CUBN', STAND_IN.map((b, i) => (i === 70 ? b ^ 1 : b)))), /cubin section \(96 bytes\) does not match/);
    const notElf = STAND_IN.map((b, i) => (i === 0 ? 0 : b));
    rejected(withCubin(base, notElf), /cubin section is not an ELF image/);
    rejected(withCubin(base, STAND_IN.subarray(0, 40)), /40 bytes cannot hold a cubin/);
    rejected(withCubin(base, STAND_IN, 'sm_75'), /the cubin is for sm_75, the PTX for sm_/);
    rejected(withCubin(base, STAND_IN, 'compute_90'), /not an architecture of the form sm_NN/);
    rejected(rebuild(withCubin(base, STAND_IN), (m) => (m.kernels.cubin.bytes = 2 ** 31)), /exceeds the limit/);
    // A cubin belongs to cuda artifacts only.
    const cpu = packageArtifact({ target: 'cpu', entries: entries().slice(1), includeIR: false });
    rejected(withCubin(cpu, STAND_IN, 'sm_90'), /a cpu artifact has no cubin/);
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
