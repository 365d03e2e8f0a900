// The CUDA executor's host-side logic on the fake driver (kernels in JS on host memory):
// buffer places (input, arena offsets, fresh, scratch, const), copies, cond, while and scan,
// ownership of results and of loop carries (nothing leaks, nothing is freed twice).
import { describe, expect, it } from 'vitest';
import type { DType, HostArray } from '../../compiler/ir/dtype.ts';
import { aval } from '../../compiler/ir/ir.ts';
import { CudaContext, createCudaRunner, FakeCudaDriver, type FakeKernel } from '../../runtime/cuda/index.ts';
import type { BufferPlace, CudaModule, ExecBuffer, ExecProgram, ExecStep } from '../../runtime/executable.ts';

const buf = (shape: number[], dtype: DType, place: BufferPlace): ExecBuffer => ({ aval: aval(shape, dtype), place });
const input = (index: number): BufferPlace => ({ kind: 'input', index });
const arena = (offset: number): BufferPlace => ({ kind: 'arena', offset });
const fresh: BufferPlace = { kind: 'fresh' };

function program(name: string, buffers: ExecBuffer[], inputs: number[], outputs: number[], steps: ExecStep[], arenaBytes = 0): ExecProgram {
  return { name, buffers, inputs, outputs, steps, arenaBytes };
}

const f32 = (n: number) => ({ dtype: 'f32' as DType, size: n });
/** An elementwise kernel on n-element params: out[i] = f(ins[0][i], ins[1][i], ...). */
function ew(n: number, arity: number, f: (...v: number[]) => number, out: DType = 'f32', ins: DType = 'f32'): FakeKernel {
  return {
    params: [...Array.from({ length: arity }, () => ({ dtype: ins, size: n })), { dtype: out, size: n }],
    run: (b: HostArray[]) => {
      for (let i = 0; i < n; i++) b[arity]![i] = f(...b.slice(0, arity).map((x) => x[i]!));
    },
  };
}

const KERNELS: Record<string, FakeKernel> = {
  // t = 2x, through a scratch buffer (written, then read)
  scale2: {
    params: [f32(4), f32(4), f32(4)],
    run: ([x, out, tmp]) => {
      for (let i = 0; i < 4; i++) tmp![i] = x![i]! * 2;
      for (let i = 0; i < 4; i++) out![i] = tmp![i]!;
    },
  },
  add4: ew(4, 2, (a, b) => a + b),
  add1_3: ew(3, 1, (a) => a + 1),
  mul2_3: ew(3, 1, (a) => a * 2),
  inc_i32: ew(1, 1, (a) => a + 1, 'i32', 'i32'),
  lt5: ew(1, 1, (a) => (a < 5 ? 1 : 0), 'bool', 'i32'),
  add2: ew(2, 2, (a, b) => a + b),
  mul_2: ew(2, 2, (a, b) => a * b),
};

const MODULE: CudaModule = {
  arch: 'sm_90',
  producer: 'llc-14',
  ptx: '// fake',
  kernels: Object.keys(KERNELS).map((name) => ({ name, launch: { grid: [1, 1, 1], block: [32, 1, 1], sharedBytes: 0 } })),
};

function setup() {
  const driver = new FakeCudaDriver(KERNELS);
  const ctx = CudaContext.create(driver);
  return { driver, ctx };
}

describe('CudaExecutor: buffer places', () => {
  // x -> t = 2x (arena 0, with scratch) -> u = t + c (arena 16; c const) -> out = copy(u) (fresh)
  const p = program(
    'places',
    [
      buf([4], 'f32', input(0)),
      buf([4], 'f32', arena(0)),
      buf([4], 'f32', { kind: 'const', data: [1, 2, 3, 4] }),
      buf([4], 'f32', arena(16)),
      buf([4], 'f32', fresh),
      buf([4], 'f32', { kind: 'scratch' }),
      buf([4], 'f32', { kind: 'const', data: [7] }),
    ],
    [0],
    [4, 0, 2, 6, 4],
    [
      { kind: 'launch', kernel: 'scale2', args: [0, 1, 5] },
      { kind: 'launch', kernel: 'add4', args: [1, 2, 3] },
      { kind: 'copy', from: 3, to: 4 },
    ],
    32,
  );

  it('runs with arena offsets, scratch and constants, and hands back owned results', () => {
    const { driver, ctx } = setup();
    const r = createCudaRunner(MODULE, [p], ctx);
    for (const x of [[1, 2, 3, 4], [-1, 0.5, 8, 0]]) {
      const [out, same, c, splat, again] = r.run(0, [new Float32Array(x)]);
      expect(Array.from(out!)).toEqual(x.map((v, i) => 2 * v + i + 1));
      expect(Array.from(same!)).toEqual(x);
      expect(Array.from(c!)).toEqual([1, 2, 3, 4]);
      expect(Array.from(splat!)).toEqual([7, 7, 7, 7]);
      expect(Array.from(again!)).toEqual(Array.from(out!));
    }
    // The arena is one block at the two offsets; the launches saw those addresses.
    const [l1, l2] = driver.launches;
    expect(l2!.params[0]).toBe(l1!.params[1]);
    expect(l2!.params[2]! - l1!.params[1]!).toBe(16n);
    // Kept blocks (arena, scratch, two consts) stay; every per-run block went back to the pool.
    expect(ctx.memory.stats().liveBytes).toBe(4 * 256);
  });

  it('device-resident runs: fresh outputs are the caller\'s, passed-through inputs are not', () => {
    const { ctx } = setup();
    const r = createCudaRunner(MODULE, [p], ctx);
    const x = ctx.upload(new Float32Array([1, 1, 1, 1]));
    const run = r.runDevice(0, [x]);
    expect(run.fresh).toEqual([true, false, true, true, true]);
    expect(run.outputs[1]).toBe(x);
    expect(new Set(run.outputs).size).toBe(5); // the repeated output is a copy
    r.release(run);
    ctx.memory.dealloc(x);
    expect(ctx.memory.stats().liveBytes).toBe(4 * 256);
  });

  it('checks input counts and sizes, and names a missing kernel', () => {
    const { ctx } = setup();
    const r = createCudaRunner(MODULE, [p], ctx);
    expect(() => r.run(0, [])).toThrow(/places: expects 1 inputs, got 0/);
    expect(() => r.run(0, [new Float32Array(3)])).toThrow(/input 0 has 3 elements, expected 4/);
    const bad = program('bad', [buf([4], 'f32', input(0))], [0], [0], [{ kind: 'launch', kernel: 'nope', args: [0] }]);
    expect(() => createCudaRunner(MODULE, [bad], ctx)).toThrow(/kernel 'nope' is missing/);
  });
});

// cond: index (i32) picks x + 1 or 2x.
const branch = (kernel: string) =>
  program(kernel, [buf([3], 'f32', input(0)), buf([3], 'f32', fresh)], [0], [1], [{ kind: 'launch', kernel, args: [0, 1] }]);
const passBranch = program('pass', [buf([3], 'f32', input(0))], [0], [0], []);
const condProgram = program(
  'cond',
  [buf([], 'i32', input(0)), buf([3], 'f32', input(1)), buf([3], 'f32', fresh)],
  [0, 1],
  [2],
  [{ kind: 'cond', index: 0, operands: [1], results: [2], branches: [branch('add1_3'), branch('mul2_3'), passBranch] }],
);

describe('CudaExecutor: cond', () => {
  it('reads the index back, clamps it, and runs the branch', () => {
    const { ctx } = setup();
    const r = createCudaRunner(MODULE, [condProgram], ctx);
    const x = new Float32Array([1, -2, 3.5]);
    const want: Record<number, number[]> = { [-3]: [2, -1, 4.5], 0: [2, -1, 4.5], 1: [2, -4, 7], 2: [1, -2, 3.5], 9: [1, -2, 3.5] };
    for (const [i, w] of Object.entries(want)) expect(Array.from(r.run(0, [new Int32Array([Number(i)]), x])[0]!)).toEqual(w);
    expect(ctx.memory.stats().liveBytes).toBe(0);
  });
});

// while (n < 5) { n += 1; acc = acc + acc; k = k } — the body passes a carry through.
const whileCond = program('wcond', [buf([], 'i32', input(0)), buf([2], 'f32', input(1)), buf([2], 'f32', input(2)), buf([], 'bool', fresh)], [0, 1, 2], [3], [
  { kind: 'launch', kernel: 'lt5', args: [0, 3] },
]);
const whileBody = program(
  'wbody',
  [buf([2], 'f32', input(0)), buf([], 'i32', input(1)), buf([2], 'f32', input(2)), buf([2], 'f32', input(3)), buf([], 'i32', fresh), buf([2], 'f32', fresh)],
  [0, 1, 2, 3],
  [4, 5, 3],
  [
    { kind: 'launch', kernel: 'inc_i32', args: [1, 4] },
    { kind: 'launch', kernel: 'mul_2', args: [2, 0, 5] },
  ],
);
const whileProgram = program(
  'while',
  [buf([2], 'f32', input(0)), buf([], 'i32', input(1)), buf([2], 'f32', input(2)), buf([], 'i32', fresh), buf([2], 'f32', fresh), buf([2], 'f32', arena(0))],
  [0, 1, 2],
  [3, 4, 5],
  [{ kind: 'while', condConsts: [], bodyConsts: [0], init: [1, 2, 2], results: [3, 4, 5], cond: whileCond, body: whileBody }],
  8,
);

describe('CudaExecutor: while', () => {
  it('reads the predicate back each iteration and owns the carries it makes', () => {
    const { ctx } = setup();
    const r = createCudaRunner(MODULE, [whileProgram], ctx);
    for (const n0 of [0, 3, 5, 9]) {
      const [n, acc] = r.run(0, [new Float32Array([2, 3]), new Int32Array([n0]), new Float32Array([1, -1])]);
      const iters = Math.max(0, 5 - n0);
      expect(n![0]).toBe(Math.max(n0, 5));
      expect(Array.from(acc!)).toEqual([2 ** iters, -(3 ** iters)]);
    }
    expect(ctx.memory.stats().liveBytes).toBe(256); // the arena only
    r.dispose();
    expect(ctx.memory.stats().liveBytes).toBe(0);
  });
});

// scan over xs [3, 2] with carry c: c = c + x; y = c * w (w a const operand), forward or reverse.
const scanBody = program(
  'sbody',
  [buf([2], 'f32', input(0)), buf([2], 'f32', input(1)), buf([2], 'f32', input(2)), buf([2], 'f32', fresh), buf([2], 'f32', fresh)],
  [0, 1, 2],
  [3, 4, 2],
  [
    { kind: 'launch', kernel: 'add2', args: [1, 2, 3] },
    { kind: 'launch', kernel: 'mul_2', args: [3, 0, 4] },
  ],
);
const scanProgram = (reverse: boolean) =>
  program(
    'scan',
    [buf([2], 'f32', input(0)), buf([2], 'f32', input(1)), buf([3, 2], 'f32', input(2)), buf([2], 'f32', fresh), buf([3, 2], 'f32', fresh), buf([3, 2], 'f32', fresh)],
    [0, 1, 2],
    [3, 4, 5],
    [{ kind: 'scan', length: 3, reverse, consts: [0], init: [1], xs: [2], results: [3, 4, 5], body: scanBody }],
  );

describe('CudaExecutor: scan', () => {
  it.each([false, true])('slices xs at offsets and writes ys in place (reverse: %s)', (reverse) => {
    const { ctx } = setup();
    const r = createCudaRunner(MODULE, [scanProgram(reverse)], ctx);
    const w = [10, -1], c0 = [1, 2], xs = [[1, 2], [3, 4], [5, 6]];
    const [c, ys, xsOut] = r.run(0, [new Float32Array(w), new Float32Array(c0), new Float32Array(xs.flat())]);
    const want: number[][] = [[], [], []];
    let cc = [...c0];
    for (let step = 0; step < 3; step++) {
      const i = reverse ? 2 - step : step;
      cc = cc.map((v, j) => v + xs[i]![j]!);
      want[i] = cc.map((v, j) => v * w[j]!);
    }
    expect(Array.from(c!)).toEqual(cc);
    expect(Array.from(ys!)).toEqual(want.flat());
    expect(Array.from(xsOut!)).toEqual(xs.flat()); // a y that passes the x slice through
    expect(ctx.memory.stats().liveBytes).toBe(0);
  });
});
