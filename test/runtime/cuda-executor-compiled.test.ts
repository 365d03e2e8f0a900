// The CUDA executor on executables that the compiler really makes (cond, while, scan, an MLP
// training step with donated weights), on the fake driver whose kernels are the lowered loop
// kernels run by the loop-IR interpreter. Results are compared with the graph interpreter.
// The executables come from the CPU pipeline (the same executable format), so this needs the
// CPU toolchain; what it checks is the executor's host logic, not any PTX.
import { describe, expect, it } from 'vitest';
import { runLoopKernel } from '../../compiler/lower/index.ts';
import type { HostArray } from '../../compiler/ir/dtype.ts';
import type { Func } from '../../compiler/ir/ir.ts';
import { compileForCpu } from '../../compiler/pipeline.ts';
import { CudaContext, createCudaRunner, FakeCudaDriver, type FakeKernel } from '../../runtime/cuda/index.ts';
import { evalFunc } from '../../runtime/interp/index.ts';
import * as k from '../../index.ts';
import { cpuPresent, rand, rng, useColdCache } from '../backends/helpers.ts';
import { mlpStep } from '../../bench/workloads.ts';

useColdCache();
type T = k.Tensor;

/** Compiles `f` on `args`, runs it through the CUDA executor on the fake device and on the interpreter. */
function check(f: (...a: T[]) => unknown, args: T[], donated?: boolean[]): void {
  const func: Func = k.makeIR(f)(...args).func;
  const lib = compileForCpu([func], { donated: donated ? [donated] : undefined });
  const cf = lib.funcs[0]!;
  const kernels: Record<string, FakeKernel> = {};
  for (const lk of cf.kernels) kernels[lk.name] = { params: lk.params.map((p) => ({ dtype: p.dtype, size: p.size })), run: (b) => runLoopKernel(lk, b) };
  const driver = new FakeCudaDriver(kernels);
  const ctx = CudaContext.create(driver);
  const module = {
    arch: 'sm_90',
    producer: 'llc-14' as const,
    ptx: '',
    kernels: Object.keys(kernels).map((name) => ({ name, launch: { grid: [1, 1, 1] as const, block: [1, 1, 1] as const, sharedBytes: 0 } })),
  };
  const runner = createCudaRunner(module, [cf.program], ctx);
  const inputs: HostArray[] = args.map((a) => a.data().slice() as HostArray);
  const want = evalFunc(func, inputs.map((data, i) => ({ aval: func.inputs[i]!.aval, data: data.slice() as HostArray })));
  // Twice: the second run reuses the arena, kept blocks and pooled blocks.
  for (let rep = 0; rep < 2; rep++) {
    const got = runner.run(0, inputs.map((a) => a.slice() as HostArray));
    expect(got.length).toBe(want.length);
    got.forEach((g, i) => expect(Array.from(g), `output ${i}`).toBeAllclose(Array.from(want[i]!.data), { rtol: 1e-4, atol: 1e-5 }));
  }
  const kept = ctx.memory.stats().liveBytes;
  runner.run(0, inputs);
  expect(ctx.memory.stats().liveBytes, 'a run leaked pool blocks').toBe(kept);
  expect(driver.launches.length).toBeGreaterThan(0);
}

describe.runIf(cpuPresent)('CUDA executor (fake device) on compiled executables equals the interpreter', () => {
  const r = rng(5);

  it('cond and switchCase, clamped indices', () => {
    const x = rand(r, [3, 4]), w = rand(r, [4]);
    const f = (x: T, w: T, p: T, i: T) => [
      k.cond(p, (a: T) => a.mul(w).sum({ axis: 1 }), (a: T) => a.max({ axis: 1 }).neg(), x),
      k.switchCase<T>(i, [(a: T) => a.add(1), (a: T) => a.mul(w), (a: T) => a.exp()], x),
    ];
    for (const [p, i] of [[true, 0], [false, 1], [true, 7], [false, -2]] as const) check(f as (...a: T[]) => unknown, [x, w, k.array(p), k.array(i, { dtype: 'i32' })]);
  });

  it('whileLoop with a tree carry, swapped carries and zero trips', () => {
    const x = rand(r, [5], 'f32', 0.1, 1);
    const f = (x: T, limit: T) => {
      const out = k.whileLoop(
        (c: { i: T; a: T; b: T }) => c.i.less(limit),
        (c: { i: T; a: T; b: T }) => ({ i: c.i.add(1), a: c.b, b: c.a.mul(1.5).add(x) }),
        { i: k.array(0, { dtype: 'i32' }), a: x, b: x.neg() },
      );
      return [out.i, out.a, out.b];
    };
    for (const limit of [0, 1, 4]) check(f as (...a: T[]) => unknown, [x, k.array(limit, { dtype: 'i32' })]);
  });

  it('scan forward and reverse with captured constants, tree xs and ys', () => {
    const xs = rand(r, [6, 3]), ws = rand(r, [6]), c0 = rand(r, [3]), w = rand(r, [3]);
    for (const reverse of [false, true]) {
      const f = (xs: T, ws: T, c0: T) => {
        const [c, ys] = k.scan(
          (c: T, x: { v: T; s: T }) => {
            const n = c.mul(w).add(x.v.mul(x.s));
            return [n, { y: n.sum(), z: x.v }] as [T, { y: T; z: T }];
          },
          c0,
          { v: xs, s: ws },
          { reverse },
        );
        return [c, ys.y, ys.z];
      };
      check(f as (...a: T[]) => unknown, [xs, ws, c0]);
    }
  });

  it('an MLP training step with donated weights (matmul, reductions, gather, grads)', () => {
    const w1 = rand(r, [20, 16], 'f32', -0.3, 0.3), b1 = rand(r, [16]), w2 = rand(r, [16, 10], 'f32', -0.3, 0.3), b2 = rand(r, [10]);
    const x = rand(r, [8, 20]), y = rand(r, [8], 'i32', 0, 10);
    const f = (w1: T, b1: T, w2: T, b2: T, x: T, y: T) => {
      const p = mlpStep({ w1, b1, w2, b2 }, x, y, 0.1);
      return [p.w1!, p.b1!, p.w2!, p.b2!];
    };
    check(f as (...a: T[]) => unknown, [w1, b1, w2, b2, x, y], [true, true, true, true, false, false]);
  });
});
