// Long reductions and the tiled matmul on a Vulkan device (lavapipe in CI), against the
// interpreter on random inputs: a long sum takes two dispatches through a scratch buffer, a
// column sum its column mapping (two passes for long columns), a 256² matmul the 256-thread
// tiled kernel. Every module passes spirv-val. Skipped, with the reason, where no Vulkan
// device opens.
import { describe, expect, it } from 'vitest';
import * as k from '../../index.ts';
import type { HostArray } from '../../compiler/ir/dtype.ts';
import type { Func } from '../../compiler/ir/ir.ts';
import { entryFromTrace, packageArtifact } from '../../compiler/aot/package.ts';
import { compileForVulkan } from '../../compiler/pipeline.ts';
import { vulkanPresent } from '../../dsl/vulkan-backend.ts';
import { mulberry32 } from '../../bench/rng.ts';
import type { VulkanModule } from '../../runtime/executable.ts';
import { evalFunc } from '../../runtime/interp/index.ts';
import { createVulkanRunner, VulkanContext, VulkanError } from '../../runtime/vulkan/index.ts';
import { expectValidSpirv, spirvValPresent } from '../codegen/spirv-helpers.ts';

const present = vulkanPresent();
if (!present) console.warn('skipping the Vulkan reduction and matmul tests: no Vulkan device opens here (install libvulkan1 and mesa-vulkan-drivers for lavapipe)');

type T = k.Tensor;
const S = (shape: number[], dtype: k.DType = 'f32') => new k.ShapeDtype(shape, dtype);
const trace = (f: (...a: T[]) => unknown, args: k.ShapeDtype[]): Func => k.makeIR(f as (...a: unknown[]) => unknown)(...args).func;

function uniform(seed: number, n: number, lo = -2, hi = 2): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * r());
}

/** Compiles `fn` for the device, runs it (twice: scratch buffers are reused) and returns the
 * Vulkan and interpreter results, with the module. */
function run(fn: Func, inputs: readonly HostArray[]): { got: HostArray[]; want: HostArray[]; module: VulkanModule } {
  const ctx = VulkanContext.get();
  const c = compileForVulkan([fn], {
    float64: ctx.info.float64, maxBindings: ctx.info.maxStorageBuffersPerStage, loopLimit: ctx.info.loopLimit,
    workgroupSize: Math.min(256, ctx.info.maxWorkgroupInvocations),
  });
  if (spirvValPresent) expectValidSpirv(c.module);
  const runner = createVulkanRunner(c.module, [c.funcs[0]!.program]);
  try {
    const first = runner.run(0, inputs);
    const got = runner.run(0, inputs);
    first.forEach((a, o) => expect(Array.from(got[o]!), `output ${o}: a second run differs`).toEqual(Array.from(a)));
    const want = evalFunc(fn, inputs.map((d, i) => ({ aval: fn.inputs[i]!.aval, data: d }))).map((t) => t.data);
    return { got, want, module: c.module };
  } finally {
    runner.dispose();
  }
}

/** |got - want| within rtol of `scale` (the magnitude of the summands) at every element. */
function expectNear(got: HostArray, want: HostArray, scale: (i: number) => number, rtol: number, what: string): void {
  const bad: string[] = [];
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i]! - want[i]!) <= rtol * Math.max(1, scale(i)))) bad.push(`[${i}] vulkan ${got[i]} vs interp ${want[i]}`);
  }
  expect(bad.slice(0, 8), what).toEqual([]);
}

const dispatchesOf = (m: VulkanModule) => m.kernels.flatMap((kk) => kk.dispatches);

describe.runIf(present)('Vulkan: long reductions through scratch buffers, the tiled matmul', () => {
  it('a long f32 sum runs as two dispatches (partials in a scratch buffer) and equals the interpreter', () => {
    const n = 1 << 20;
    const x = uniform(1, n);
    const { got, want, module } = run(trace((v) => v.sum(), [S([n])]), [x]);
    const ds = dispatchesOf(module);
    expect(ds.length).toBe(2);
    expect(ds[0]!.launch.grid[0]).toBeGreaterThan(1);
    expect(module.kernels[0]!.bindings.length).toBe(3); // x, the sum, the partials
    const abs = x.reduce((s, v) => s + Math.abs(v), 0);
    expectNear(got[0]!, want[0]!, () => abs, 1e-6, 'sum');
  });

  it('a long i32 sum and max are exact', () => {
    const n = 300_001;
    const r = mulberry32(2);
    const x = Int32Array.from({ length: n }, () => Math.floor(r() * 2001) - 1000);
    const { got, want } = run(trace((v) => [v.sum(), v.max(), v.argmax()], [S([n], 'i32')]), [x]);
    want.forEach((w, o) => expect(Array.from(got[o]!), `output ${o}`).toEqual(Array.from(w)));
  });

  it('a column sum (long columns, a width that is no multiple of a warp) equals the interpreter', () => {
    const [rows, cols] = [4000, 200];
    const x = uniform(3, rows * cols);
    const { got, want, module } = run(trace((v) => v.sum({ axis: 0 }), [S([rows, cols])]), [x]);
    expect(dispatchesOf(module).length).toBe(2);
    const abs = (j: number) => {
      let s = 0;
      for (let i = 0; i < rows; i++) s += Math.abs(x[i * cols + j]!);
      return s;
    };
    expectNear(got[0]!, want[0]!, abs, 1e-6, 'column sum');
  });

  for (const [m, kd, n] of [[256, 256, 256], [100, 70, 130]] as const) {
    it(`a ${m}x${kd} @ ${kd}x${n} f32 matmul runs on 256-invocation workgroups (tiled) and equals the interpreter`, () => {
      const a = uniform(4, m * kd), b = uniform(5, kd * n);
      const { got, want, module } = run(trace((p, q) => p.matmul(q), [S([m, kd]), S([kd, n])]), [a, b]);
      const ds = dispatchesOf(module);
      expect(ds.map((d) => d.launch.block[0])).toEqual([256]);
      expect(ds[0]!.launch.grid.slice(0, 2)).toEqual([Math.ceil(n / 64), Math.ceil(m / 64)]);
      // Products may fuse (FMA) and the sums run in k order: within a few ulps of Σ|a·b|.
      const scale = (i: number) => {
        const r = Math.floor(i / n), c = i % n;
        let s = 0;
        for (let j = 0; j < kd; j++) s += Math.abs(a[r * kd + j]! * b[j * n + c]!);
        return s;
      };
      expectNear(got[0]!, want[0]!, scale, 1e-6, 'matmul');
    });
  }

  it('a Vulkan artifact of a long sum (no device at packaging: default workgroups, scratch) runs and equals the interpreter', async () => {
    const n = 1 << 19;
    const fn = trace((v) => v.sum(), [S([n])]);
    const m = await k.loadArtifact(packageArtifact({ target: 'vulkan', entries: [entryFromTrace('total', k.makeIR((v: T) => v.sum())(S([n])), { argNames: ['x'] })] }));
    const x = uniform(6, n);
    const got = (m.fn('total')(k.array(x)) as T).data();
    const want = evalFunc(fn, [{ aval: fn.inputs[0]!.aval, data: x }])[0]!.data;
    expectNear(got, want, () => x.reduce((s, v) => s + Math.abs(v), 0), 1e-6, 'artifact sum');
  });

  it('a workgroup larger than the device allows is refused when its pipeline is made, naming the limit', () => {
    const ctx = VulkanContext.get();
    const c = compileForVulkan([trace((v) => v.mul(2), [S([8])])]);
    const big = ctx.info.maxWorkgroupInvocations * 2;
    const module: VulkanModule = {
      ...c.module,
      kernels: c.module.kernels.map((kk) => ({ ...kk, dispatches: kk.dispatches.map((d) => ({ ...d, launch: { ...d.launch, block: [big, 1, 1] as const } })) })),
    };
    const runner = createVulkanRunner(module, [c.funcs[0]!.program]);
    try {
      expect(() => runner.run(0, [new Float32Array(8)])).toThrow(VulkanError);
      expect(() => runner.run(0, [new Float32Array(8)])).toThrow(/maxComputeWorkGroupInvocations/);
    } finally {
      runner.dispose();
    }
  });
});
