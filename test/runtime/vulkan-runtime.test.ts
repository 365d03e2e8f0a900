// The Vulkan runtime and the SPIR-V generator's scalar semantics on a real Vulkan device
// (lavapipe in CI): hand-written loop-IR kernels run by runtime/vulkan are compared with the
// loop-IR interpreter — exactly for integer arithmetic, casts, comparisons with NaN, f16/bf16
// rounding and threefry; bool buffers written byte by byte from neighbouring threads; host
// control flow through the staging path; packed parameters; the loop-cap report. Skipped,
// with the reason, where no Vulkan device opens.
import { describe, expect, it } from 'vitest';
import * as k from '../../index.ts';
import { emitKernel, storageOf } from '../../compiler/codegen/spirv/index.ts';
import type { HostArray } from '../../compiler/ir/dtype.ts';
import { aval } from '../../compiler/ir/ir.ts';
import { Primitive as P } from '../../compiler/ir/primitives.ts';
import { runLoweredKernel } from '../../compiler/lower/interpret.ts';
import type { BinaryFn, Expr, KernelParam, LoopKernel, ScalarType, Stmt } from '../../compiler/lower/loop-ir.ts';
import { compileForVulkan } from '../../compiler/pipeline.ts';
import { vulkanPresent } from '../../dsl/vulkan-backend.ts';
import type { ExecProgram, VulkanModule } from '../../runtime/executable.ts';
import { evalFunc } from '../../runtime/interp/index.ts';
import { chooseDevice, createVulkanRunner, VulkanContext, VulkanLimitError, VulkanUnavailableError, type VulkanDeviceInfo } from '../../runtime/vulkan/index.ts';

const present = vulkanPresent();
if (!present) console.warn('skipping the Vulkan runtime tests: no Vulkan device opens here (install libvulkan1 and mesa-vulkan-drivers for lavapipe)');

// ---- loop-IR construction --------------------------------------------------------------------

const I = (v: number): Expr => ({ k: 'const', t: 'index', v });
const C = (t: ScalarType, v: number): Expr => ({ k: 'const', t, v });
const V = (name: string, t: ScalarType = 'index'): Expr => ({ k: 'var', t, name });
const ld = (buf: number, t: k.DType, idx: Expr = V('i')): Expr => ({ k: 'load', t, buf, idx });
const bin = (op: BinaryFn, t: ScalarType, a: Expr, b: Expr): Expr => ({ k: 'binary', t, op, a, b });
const cast = (t: ScalarType, a: Expr): Expr => ({ k: 'cast', t, a });
const st = (buf: number, e: Expr, idx: Expr = V('i')): Stmt => ({ k: 'store', buf, idx, e });
const par = (name: string, dtype: k.DType, size: number, role: KernelParam['role']): KernelParam => ({ name, dtype, size, role });

/** A kernel of one parallel loop over n elements storing `outs` (expressions of `i`). */
function elementwise(name: string, ins: readonly k.DType[], outs: readonly [k.DType, Expr][], n: number): LoopKernel {
  return {
    name,
    params: [...ins.map((d, j) => par(`in${j}`, d, n, 'in')), ...outs.map(([d], j) => par(`out${j}`, d, n, 'out'))],
    body: [{ k: 'for', v: 'i', n: I(n), parallel: true, body: outs.map(([, e], j) => st(ins.length + j, e)) }],
  };
}

/** Runs one loop-IR kernel on the Vulkan device: a module of it and a program of one launch. */
function runOnVulkan(kern: LoopKernel, inputs: readonly HostArray[]): HostArray[] {
  const ctx = VulkanContext.get();
  const e = emitKernel(kern, { float64: ctx.info.float64, loopLimit: ctx.info.loopLimit, maxBindings: ctx.info.maxStorageBuffersPerStage });
  const module: VulkanModule = {
    targetEnv: 'vulkan1.1',
    requires: { float64: e.usesFloat64, preserveNanInf: true },
    kernels: [{
      name: kern.name, spirv: e.words, dispatches: e.dispatches,
      bindings: kern.params.map((p) => ({ storage: storageOf(p.dtype), size: p.size, writes: p.role !== 'in' })),
      ...(e.packing ? { packing: e.packing } : {}), ...(e.statusBinding !== undefined ? { statusBinding: e.statusBinding } : {}),
    }],
  };
  const ins = kern.params.map((p, i) => [p, i] as const).filter(([p]) => p.role === 'in');
  const outs = kern.params.map((p, i) => [p, i] as const).filter(([p]) => p.role === 'out');
  const program: ExecProgram = {
    name: kern.name,
    buffers: kern.params.map((p, i) => ({ aval: aval([p.size], p.dtype), place: p.role === 'in' ? { kind: 'input', index: ins.findIndex(([, j]) => j === i) } : { kind: 'fresh' } })),
    inputs: ins.map(([, i]) => i),
    outputs: outs.map(([, i]) => i),
    steps: [{ kind: 'launch', kernel: kern.name, args: kern.params.map((_, i) => i) }],
    arenaBytes: 0,
  };
  const runner = createVulkanRunner(module, [program]);
  try {
    return runner.run(0, inputs);
  } finally {
    runner.dispose();
  }
}

/** Bitwise equality of results (NaN equals NaN, -0 differs from +0). */
function expectSame(got: readonly HostArray[], want: readonly HostArray[], what: string): void {
  want.forEach((w, o) => {
    const bad: string[] = [];
    for (let i = 0; i < w.length; i++) if (!Object.is(got[o]![i], w[i])) bad.push(`[${i}] vulkan ${got[o]![i]} vs interp ${w[i]}`);
    expect(bad.slice(0, 8), `${what}: output ${o}`).toEqual([]);
  });
}

const SPECIAL = [NaN, Infinity, -Infinity, 0, -0, 1, -1, 0.5, -2.5, 2.5, 65504, 65520, 1e-8, -3.4e38, 2 ** 31, -(2 ** 31), 2147483520, 1.00048828125, 3.0000001];

function floats(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, (_, i) => {
    s = (s * 1103515245 + 12345) >>> 0;
    return i < SPECIAL.length ? SPECIAL[i]! : ((s / 2 ** 32) - 0.5) * 2 ** ((i % 40) - 20);
  });
}

function ints(n: number, seed: number): Int32Array {
  let s = seed;
  const edge = [0, 1, -1, 7, -7, 2147483647, -2147483648, 31, 32, 33, -32];
  return Int32Array.from({ length: n }, (_, i) => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return i < edge.length ? edge[i]! : (s | 0) >> (i % 28);
  });
}

// ---- device choice (no device needed) --------------------------------------------------------

describe('Vulkan device choice', () => {
  const dev = (index: number, name: string, type: VulkanDeviceInfo['type']): VulkanDeviceInfo => ({
    index, name, type, apiVersion: '1.1.0', float64: true, maxWorkgroupInvocations: 256, maxWorkgroupSize: [256, 256, 64], maxWorkgroupCount: [65535, 65535, 65535],
    subgroup: { size: 32, shuffle: true }, maxSharedMemoryBytes: 32768, maxStorageBufferRange: 1 << 27, maxStorageBuffersPerStage: 32, preserveNanInf: { f32: true, f64: true },
  });
  const list = [dev(0, 'llvmpipe (LLVM 15)', 'cpu'), dev(1, 'Intel UHD', 'integrated'), dev(2, 'NVIDIA H100', 'discrete')];

  it('prefers a discrete GPU, then an integrated one, then a CPU implementation', () => {
    expect(chooseDevice(list, undefined).name).toBe('NVIDIA H100');
    expect(chooseDevice(list.slice(0, 2), undefined).name).toBe('Intel UHD');
    expect(chooseDevice(list.slice(0, 1), undefined).name).toMatch(/llvmpipe/);
  });

  it('KILN_VULKAN_DEVICE picks by index or name substring, and names the devices when nothing matches', () => {
    expect(chooseDevice(list, '0').index).toBe(0);
    expect(chooseDevice(list, 'uhd').index).toBe(1);
    expect(() => chooseDevice(list, 'radeon')).toThrow(VulkanUnavailableError);
    expect(() => chooseDevice(list, 'radeon')).toThrow(/0: llvmpipe.*1: Intel UHD.*2: NVIDIA H100/);
    expect(() => chooseDevice([], undefined)).toThrow(/no Vulkan device/);
  });
});

// ---- on the device ---------------------------------------------------------------------------

describe.runIf(present)('Vulkan runtime: scalar semantics equal the loop interpreter', () => {
  const n = 300;

  it('i32: wrapping arithmetic, truncating div (x/0 = 0, MIN/-1), floor idiv/imod, shifts, pow', () => {
    const a = ld(0, 'i32'), b = ld(1, 'i32');
    const small = bin(P.And, 'i32', b, C('i32', 15));
    const kern = elementwise('ints', ['i32', 'i32'], [
      ['i32', bin(P.Add, 'i32', a, b)], ['i32', bin(P.Mul, 'i32', a, b)], ['i32', bin(P.Div, 'i32', a, b)],
      ['i32', bin('idiv', 'i32', a, b)], ['i32', bin('imod', 'i32', a, b)], ['i32', bin(P.ShiftLeft, 'i32', a, b)],
      ['i32', bin(P.ShiftRightLogical, 'i32', a, b)], ['i32', bin(P.Pow, 'i32', a, small)], ['i32', bin(P.Pow, 'i32', C('i32', -1), b)],
      ['bool', bin(P.Lt, 'bool', a, b)], ['i32', bin(P.Max, 'i32', a, b)], ['i32', { k: 'unary', t: 'i32', op: P.Abs, a }],
    ], n);
    const ins = [ints(n, 1), Int32Array.from(ints(n, 2), (v, i) => (i < 11 ? [0, -1, 0, 3, -3, -1, -1, 32, 33, -2, 1][i]! : v))];
    expectSame(runOnVulkan(kern, ins), runLoweredKernel(kern, ins), 'i32 ops');
  });

  it('floats: casts saturate (NaN → 0), comparisons are false with NaN except ne, -0 and NaN survive, f16/bf16 round to nearest even', () => {
    const x = ld(0, 'f32'), y = ld(1, 'f32');
    const kern = elementwise('floats', ['f32', 'f32'], [
      ['i32', cast('i32', x)], ['bool', cast('bool', x)], ['f16', cast('f16', x)], ['bf16', cast('bf16', x)],
      ['bool', bin(P.Eq, 'bool', x, y)], ['bool', bin(P.Ne, 'bool', x, y)], ['bool', bin(P.Le, 'bool', x, y)],
      ['f32', bin(P.Max, 'f32', x, y)], ['f32', bin(P.Min, 'f32', x, C('f32', 0))], ['f32', bin(P.Mul, 'f32', x, C('f32', -0))],
      ['f32', bin(P.Div, 'f32', x, C('f32', 0))], ['f32', bin(P.Sub, 'f32', x, y)], ['f32', { k: 'unary', t: 'f32', op: P.Round, a: x }],
      ['f16', bin(P.Add, 'f16', cast('f16', x), cast('f16', y))], ['f64', cast('f64', x)],
    ], n);
    const ins = [floats(n, 3), floats(n, 4).reverse()];
    expectSame(runOnVulkan(kern, ins), runLoweredKernel(kern, ins), 'float ops');
  });

  it('threefry: bit for bit with the interpreter', () => {
    const kern = elementwise('tf', ['i32', 'i32'], [['i32', { k: 'threefry', t: 'i32', k0: ld(0, 'i32'), k1: ld(1, 'i32'), ctr: V('i') }]], n);
    const ins = [ints(n, 5), ints(n, 6)];
    expectSame(runOnVulkan(kern, ins), runLoweredKernel(kern, ins), 'threefry');
  });

  it('transcendentals on f32 and f64 within a few ulps, special values as the interpreter', () => {
    const ops = [P.Exp, P.Log, P.Log1p, P.Expm1, P.Sin, P.Cos, P.Tanh, P.Logistic, P.Sqrt, P.Rsqrt] as const;
    for (const t of ['f32', 'f64'] as const) {
      const x = ld(0, t);
      const kern = elementwise(`tr_${t}`, [t], [...ops.map((op): [k.DType, Expr] => [t, { k: 'unary', t, op, a: x }]), [t, bin(P.Pow, t, x, C(t, 2.5))], [t, bin(P.Pow, t, x, C(t, -3))]], n);
      const data = t === 'f32' ? floats(n, 7) : Float64Array.from(floats(n, 7), (v, i) => (i < SPECIAL.length ? v : v * 1.000123));
      const got = runOnVulkan(kern, [data]), want = runLoweredKernel(kern, [data]);
      want.forEach((w, o) => {
        // pow goes through exp2(y·log2 x) on the device: its error grows with |y·log x|.
        const rtol = t === 'f64' ? 1e-13 : o >= ops.length ? 2e-5 : 4e-6;
        const bad: string[] = [];
        for (let i = 0; i < w.length; i++) {
          // sin and cos reduce their argument in working precision: huge arguments are a known gap.
          if ((ops[o] === P.Sin || ops[o] === P.Cos) && Math.abs(data[i]!) > 1e5) continue;
          const g = got[o]![i]!, e = w[i]!;
          const ok = Number.isNaN(e) ? Number.isNaN(g) : !Number.isFinite(e) ? g === e : Math.abs(g - e) <= rtol * Math.max(Math.abs(e), 1e-30) + (Math.abs(e) < 1e-30 ? 1e-37 : 0);
          if (!ok) bad.push(`x=${data[i]}: vulkan ${g} vs interp ${e}`);
        }
        expect(bad.slice(0, 6), `${t} output ${o}`).toEqual([]);
      });
    }
  });

  it('bool buffers: neighbouring threads write neighbouring bytes of one word', () => {
    const kern = elementwise('bools', ['bool', 'f32'], [['bool', { k: 'unary', t: 'bool', op: P.Not, a: ld(0, 'bool') }], ['bool', bin(P.Gt, 'bool', ld(1, 'f32'), C('f32', 0))]], 1001);
    const ins = [Uint8Array.from({ length: 1001 }, (_, i) => (i * 7) % 3 === 0 ? 1 : 0), floats(1001, 8)];
    expectSame(runOnVulkan(kern, ins), runLoweredKernel(kern, ins), 'bools');
  });

  it('a kernel with more parameters than the device binds packs them (and copies them back)', () => {
    const outs: [k.DType, Expr][] = Array.from({ length: 40 }, (_, j) => (j % 2 ? ['bool', bin(P.Gt, 'bool', ld(0, 'f32'), C('f32', j / 40))] : ['f32', bin(P.Add, 'f32', ld(0, 'f32'), C('f32', j))]));
    const kern = elementwise('wide', ['f32'], outs, 37);
    const ins = [floats(37, 9)];
    expectSame(runOnVulkan(kern, ins), runLoweredKernel(kern, ins), 'packed');
  });

  it.runIf(present && VulkanContext.get().info.loopLimit !== undefined)('work beyond the driver’s loop cap is reported, not truncated', () => {
    // for (i < in0[0]) acc += 1: the trip count is data, so the kernel is guarded.
    const kern: LoopKernel = {
      name: 'serial', params: [par('n', 'i32', 1, 'in'), par('out', 'i32', 1, 'out')],
      body: [
        { k: 'decl', name: 'acc', t: 'i32', init: C('i32', 0) },
        { k: 'for', v: 'j', n: cast('index', ld(0, 'i32', I(0))), body: [{ k: 'assign', name: 'acc', e: bin(P.Add, 'i32', V('acc', 'i32'), C('i32', 1)) }] },
        st(1, V('acc', 'i32'), I(0)),
      ],
    };
    expect(runOnVulkan(kern, [Int32Array.of(1000)])[0]![0]).toBe(1000);
    expect(() => runOnVulkan(kern, [Int32Array.of(100_000)])).toThrow(VulkanLimitError);
  });
});

describe.runIf(present)('Vulkan runtime: programs with host control flow', () => {
  type T = k.Tensor;
  const fn = k.makeIR((x: T, n: T) => {
    const [carry, ys] = k.scan((c: T, xi: T) => [c.add(xi).mul(0.5), c.sub(xi)], x.sum({ axis: 0 }), x);
    const w = k.whileLoop((c: [T, T]) => c[0].less(n), (c: [T, T]) => [c[0].add(1), c[1].mul(1.5)] as [T, T], [k.zeros([], 'i32'), carry] as [T, T]);
    const picked = k.cond(w[1].sum().greater(0), (a: T) => a.exp(), (a: T) => a.neg(), ys);
    return [carry, ys, w[0], w[1], picked];
  })(new k.ShapeDtype([6, 4], 'f32'), new k.ShapeDtype([], 'i32')).func;
  const x = floats(24, 10).map((v) => (Number.isFinite(v) ? Math.max(-3, Math.min(3, v)) : 1));

  for (const staging of [false, true]) {
    it(`scan, while and cond equal the interpreter (${staging ? 'through a staging buffer' : 'mapped memory'})`, () => {
      const before = process.env.KILN_VULKAN_STAGING;
      if (staging) process.env.KILN_VULKAN_STAGING = '1';
      try {
        const c = compileForVulkan([fn]);
        const runner = createVulkanRunner(c.module, [c.funcs[0]!.program]);
        for (const steps of [0, 3]) {
          const ins = [x, Int32Array.of(steps)];
          const got = runner.run(0, ins);
          const want = evalFunc(fn, ins.map((d, i) => ({ aval: fn.inputs[i]!.aval, data: d }))).map((t) => t.data);
          want.forEach((w, o) => expect(Array.from(got[o]!).map((v, i) => Math.abs(v - w[i]!) <= 1e-5 * Math.max(1, Math.abs(w[i]!))), `output ${o}, ${steps} steps`).not.toContain(false));
        }
        runner.dispose();
      } finally {
        if (before === undefined) delete process.env.KILN_VULKAN_STAGING;
        else process.env.KILN_VULKAN_STAGING = before;
      }
    });
  }

  it('arrays move to the vulkan device and back; eager ops run there', () => {
    const a = k.array([1, 2, 3]).to('vulkan');
    const b = a.mul(2).add(1);
    expect(String(b.device)).toBe('vulkan:0');
    expect(Array.from(b.data())).toEqual([3, 5, 7]);
    expect(Array.from(b.to('cpu').data())).toEqual([3, 5, 7]);
  });
});
