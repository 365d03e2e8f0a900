// How compileForVulkan maps kernels, without a device: long reductions take two dispatches
// with scratch buffers that the program allocates (one set per launch step, inside control-flow
// regions too), matmuls the 256-invocation tiled kernel by default, and Vulkan artifacts of
// such kernels pass validation (bindings against params, scratch included). Every module passes
// spirv-val where it is installed.
import { describe, expect, it } from 'vitest';
import * as k from '../../index.ts';
import { entryFromTrace, packageArtifact } from '../../compiler/aot/package.ts';
import { compileForVulkan } from '../../compiler/pipeline.ts';
import { VULKAN_DEFAULT_WORKGROUP } from '../../compiler/codegen/spirv/emit.ts';
import type { ExecProgram, ExecStep } from '../../runtime/executable.ts';
import { decodeArtifact } from '../../runtime/artifact/format.ts';
import { expectValidSpirv, spirvValPresent } from './spirv-helpers.ts';

type T = k.Tensor;
const S = (shape: number[], dtype: k.DType = 'f32') => new k.ShapeDtype(shape, dtype);

function compile(f: (...a: T[]) => unknown, args: k.ShapeDtype[], opts: Parameters<typeof compileForVulkan>[1] = {}) {
  const c = compileForVulkan([k.makeIR(f as (...a: unknown[]) => unknown)(...args).func], opts);
  if (spirvValPresent) expectValidSpirv(c.module);
  return c;
}

/** Every launch step of a program, regions included. */
function launches(p: ExecProgram): { step: Extract<ExecStep, { kind: 'launch' }>; program: ExecProgram }[] {
  return p.steps.flatMap((s) => {
    switch (s.kind) {
      case 'launch':
        return [{ step: s, program: p }];
      case 'copy':
        return [];
      case 'cond':
        return s.branches.flatMap(launches);
      case 'while':
        return [...launches(s.cond), ...launches(s.body)];
      case 'scan':
        return launches(s.body);
      default:
        return s satisfies never;
    }
  });
}

describe('compileForVulkan: scratch buffers and workgroup sizes', () => {
  it('a long sum: two dispatches, the partials in a scratch buffer of the program bound after the kernel’s own', () => {
    const c = compile((x) => x.sum(), [S([1 << 20])]);
    const [kern] = c.module.kernels;
    expect(kern!.dispatches.length).toBe(2);
    expect(kern!.dispatches[0]!.launch.grid[0]).toBeGreaterThan(1);
    const f = c.funcs[0]!;
    const [{ step }] = launches(f.program);
    expect(step.args.length).toBe(3);
    const scratch = f.program.buffers[step.args[2]!]!;
    expect(scratch.place).toEqual({ kind: 'scratch' });
    expect(kern!.bindings[2]).toEqual({ storage: 'f32', size: scratch.aval.shape[0], writes: true });
    // The compiled function's kernels list what the launches pass (artifacts record them).
    expect(f.kernels[0]!.params.map((p) => p.role)).toEqual(['in', 'out', 'scratch']);
  });

  it('reductions inside scan and cond regions get their own scratch buffers', () => {
    const c = compile((x, xs) => {
      const [carry] = k.scan((acc: T, row: T) => [acc.add(row.sum()), acc], x, xs);
      return k.cond(carry.greater(0), (v: T) => v.mul(2), (v: T) => v.sub(xs.sum()), carry);
    }, [S([]), S([4, 100_000])]);
    const all = launches(c.funcs[0]!.program);
    const twoPass = all.filter(({ step }) => c.module.kernels.find((kk) => kk.name === step.kernel)!.dispatches.length === 2);
    expect(twoPass.length).toBeGreaterThanOrEqual(2);
    for (const { step, program } of twoPass) {
      const kern = c.module.kernels.find((kk) => kk.name === step.kernel)!;
      expect(step.args.length).toBe(kern.bindings.length);
      expect(program.buffers[step.args[step.args.length - 1]!]!.place.kind).toBe('scratch');
    }
  });

  it('a column sum maps its columns (two passes for long columns), with scratch', () => {
    const c = compile((x) => x.sum({ axis: 0 }), [S([4096, 200])]);
    expect(c.module.kernels[0]!.dispatches.length).toBe(2);
    expect(c.module.kernels[0]!.bindings.length).toBe(3);
  });

  it(`matmuls use the tiled kernel on ${VULKAN_DEFAULT_WORKGROUP}-invocation workgroups by default, one-per-item on smaller ones`, () => {
    const tiled = compile((a, b) => a.matmul(b), [S([256, 256]), S([256, 256])]);
    expect(tiled.module.kernels[0]!.dispatches.map((d) => [d.launch.grid, d.launch.block])).toEqual([[[4, 4, 1], [256, 1, 1]]]);
    const simple = compile((a, b) => a.matmul(b), [S([256, 256]), S([256, 256])], { workgroupSize: 128 });
    expect(simple.module.kernels[0]!.dispatches.map((d) => d.launch.block[0])).toEqual([128]);
  });

  it('packed parameters include the scratch buffers', () => {
    const c = compile((x, y) => x.sum().add(y.max()), [S([1 << 18]), S([1 << 18])], { maxBindings: 2 });
    const packedKernels = c.module.kernels.filter((kk) => kk.packing);
    expect(packedKernels.length).toBeGreaterThan(0);
    for (const kk of packedKernels) expect(kk.packing!.place.length).toBe(kk.bindings.length);
  });

  it('a Vulkan artifact of kernels with scratch buffers passes validation', () => {
    const entry = entryFromTrace('total', k.makeIR((x: T) => x.sum({ axis: 0 }).sum())(S([2048, 256])), { argNames: ['x'] });
    const dec = decodeArtifact(packageArtifact({ target: 'vulkan', entries: [entry] }));
    const kernels = dec.manifest.kernels.kernels;
    expect(kernels.some((kk) => kk.params.some((p) => p.role === 'scratch'))).toBe(true);
    for (const kk of kernels) expect(kk.vulkan!.bindings.length).toBe(kk.params.length);
  });
});
