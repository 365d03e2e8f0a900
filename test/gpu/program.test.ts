// compileForCuda's programs end to end without a GPU: the CUDA executor runs them on the fake
// device, whose kernels are the GPU kernels on the CPU simulator, and the results are compared
// with the graph interpreter. This covers what the kernels alone do not: the scratch buffers
// that two-launch reductions add to programs (also inside control flow) and the launch order.
import { describe, expect, it } from 'vitest';
import type { HostArray } from '../../compiler/ir/dtype.ts';
import type { Func } from '../../compiler/ir/ir.ts';
import { compileForCuda } from '../../compiler/pipeline.ts';
import { ptxAvailable } from '../../compiler/codegen/ptx/index.ts';
import { simulateGpuKernel } from '../../compiler/gpu/index.ts';
import { CudaContext, createCudaRunner, FakeCudaDriver, type FakeKernel } from '../../runtime/cuda/index.ts';
import { evalFunc } from '../../runtime/interp/index.ts';
import * as k from '../../index.ts';
import { rand, rng } from '../backends/helpers.ts';

type T = k.Tensor;

function check(f: (...a: T[]) => unknown, args: T[], rtol = 1e-4): string[] {
  const func: Func = k.makeIR(f)(...args).func;
  const lib = compileForCuda([func]);
  const kernels: Record<string, FakeKernel> = {};
  for (const g of lib.gpuKernels) kernels[g.name] = { params: g.params.map((p) => ({ dtype: p.dtype, size: p.size })), run: (b) => simulateGpuKernel(g, b) };
  const runner = createCudaRunner(lib.module, [lib.funcs[0]!.program], CudaContext.create(new FakeCudaDriver(kernels)));
  const inputs: HostArray[] = args.map((a) => a.data().slice() as HostArray);
  const want = evalFunc(func, inputs.map((data, i) => ({ aval: func.inputs[i]!.aval, data: data.slice() as HostArray })));
  const got = runner.run(0, inputs);
  got.forEach((g, i) => expect(Array.from(g), `output ${i}`).toBeAllclose(Array.from(want[i]!.data), { rtol, atol: 1e-5 }));
  return lib.gpuKernels.map((g) => g.name);
}

describe.runIf(ptxAvailable())('compileForCuda programs on the fake device (simulated kernels) equal the interpreter', () => {
  const r = rng(9);
  it('a long sum (two launches and a scratch buffer), argmax rows, a tiled matmul with an epilogue', () => {
    const x = rand(r, [70001]), m = rand(r, [6, 900]), a = rand(r, [70, 21]), b = rand(r, [21, 45]);
    const names = check((x: T, m: T, a: T, b: T) => [x.sum(), k.argmax(m, { axis: 1 }), a.matmul(b).relu()], [x, m, a, b]);
    expect(names.filter((n) => /_[01]$/.test(n)).length).toBeGreaterThanOrEqual(2);
  });
  it('two-launch reductions inside cond and scan bodies', () => {
    const x = rand(r, [20000]), xs = rand(r, [3, 9000]);
    const f = (x: T, p: T, xs: T) => [
      k.cond(p, (a: T) => a.sum(), (a: T) => a.max(), x),
      k.scan((c: T, row: T) => [c.add(row.sum()), row.max()], k.array(0), xs),
    ];
    for (const p of [true, false]) check(f as (...a: T[]) => unknown, [x, k.array(p), xs]);
  });
});
