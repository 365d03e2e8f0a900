// Compiles the GPU benchmark workloads (runs here, where the compiler is). For CUDA, into
//   <out>/bench/*.json   benchmark cases without data (bench-cases.ts), at full size;
//   <out>/cases/*.json   correctness cases (cases.ts) of the same workloads at smaller sizes,
//                        with inputs and the interpreter's results;
// for Vulkan, the same into <out>/vulkan/bench and <out>/vulkan/cases (vulkan-cases.ts).
// check.ts replays them on the GPU machine.
// Usage: npx tsx bench/gpu/prepare.ts [--out DIR] [--quick] [--target cuda|vulkan|all]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { HostArray } from '../../compiler/ir/dtype.ts';
import type { Func } from '../../compiler/ir/ir.ts';
import * as pipeline from '../../compiler/pipeline.ts';
import type { CompileOptions, CompiledFunc } from '../../compiler/pipeline.ts';
import * as k from '../../index.ts';
import type { CudaModule } from '../../runtime/executable.ts';
import { evalFunc, type HostTensor } from '../../runtime/interp/index.ts';
import { mlpStep } from '../workloads.ts';
import { makeInput, stringifyBenchCase, type BenchCase, type BenchInput, type BenchMetric, type Workload } from './bench-cases.ts';
import { encodeArray, stringifyCase, type GpuCase } from './cases.ts';
import { encodeVulkanModule, stringifyVulkanCase, type VulkanBenchCase, type VulkanCase } from './vulkan-cases.ts';

type T = k.Tensor;
type CompileForCuda = (fns: readonly Func[], opts?: CompileOptions) => { readonly funcs: readonly CompiledFunc[]; readonly module: CudaModule };

interface Spec {
  readonly workload: Workload;
  readonly sizes: Record<string, number>;
  readonly f: (...a: T[]) => unknown;
  readonly inputs: readonly BenchInput[];
  readonly donated?: readonly boolean[];
  readonly metric: BenchMetric;
  readonly copyBytes?: number;
  /** Tolerance of the correctness case. */
  readonly tol: { readonly rtol: number; readonly atol: number };
}

const normal = (shape: number[], std: number, seed: number): BenchInput => ({ dtype: 'f32', shape, init: { kind: 'normal', std, seed } });
const zeros = (shape: number[]): BenchInput => ({ dtype: 'f32', shape, init: { kind: 'zeros' } });

/** The four workloads of bench/workloads.ts, at element count n, matrix side m, MLP batch b. */
function specs(n: number, m: number, b: number): Spec[] {
  return [
    {
      workload: 'elementwise',
      sizes: { n },
      f: (v) => v.mul(2).add(1).relu().mul(v.sigmoid()).sub(v.tanh()),
      inputs: [normal([n], 1, 1)],
      metric: { unit: 'GB/s', bytes: 2 * 4 * n },
      copyBytes: 4 * n,
      tol: { rtol: 1e-4, atol: 1e-5 },
    },
    { workload: 'sum', sizes: { n }, f: (v) => v.sum(), inputs: [normal([n], 1, 1)], metric: { unit: 'GB/s', bytes: 4 * n }, tol: { rtol: 1e-4, atol: 1e-2 } },
    {
      workload: 'matmul',
      sizes: { m },
      f: (p, q) => p.matmul(q),
      inputs: [normal([m, m], 1, 2), normal([m, m], 1, 3)],
      metric: { unit: 'TFLOP/s', flops: 2 * m ** 3 },
      tol: { rtol: 1e-4, atol: 1e-3 },
    },
    {
      workload: 'mlp_step',
      sizes: { batch: b, in: 784, hidden: 256, out: 10 },
      // The MLP training step of bench/workloads.ts with the weights donated (updated in place).
      f: (w1, b1, w2, b2, x, y) => {
        const p = mlpStep({ w1: w1!, b1: b1!, w2: w2!, b2: b2! }, x!, y!, 0.1);
        return [p.w1!, p.b1!, p.w2!, p.b2!];
      },
      inputs: [normal([784, 256], 0.01, 4), zeros([256]), normal([256, 10], 0.01, 5), zeros([10]), normal([b, 784], 1, 6), { dtype: 'i32', shape: [b], init: { kind: 'randint', lo: 0, hi: 10, seed: 7 } }],
      donated: [true, true, true, true, false, false],
      metric: { unit: 'ms' },
      tol: { rtol: 1e-3, atol: 1e-5 },
    },
  ];
}

function compileSpec(compile: CompileForCuda, s: Spec): { func: Func; module: CudaModule; cf: CompiledFunc } {
  const func = k.makeIR(s.f)(...s.inputs.map((i) => new k.ShapeDtype(i.shape, i.dtype))).func;
  const lib = compile([func], { donated: [s.donated ?? s.inputs.map(() => false)] });
  return { func, module: lib.module, cf: lib.funcs[0]! };
}

function benchName(s: Spec): string {
  return `${s.workload} ${Object.entries(s.sizes).map(([a, v]) => `${a}=${v}`).join(' ')}`;
}

/** The interpreter's results of `func` on the spec's inputs (and those inputs). */
function expectedOf(func: Func, s: Spec): { inputs: HostArray[]; expected: HostTensor[] } {
  const inputs: HostArray[] = s.inputs.map(makeInput);
  const expected = evalFunc(func, inputs.map((data, i) => ({ aval: func.inputs[i]!.aval, data: data.slice() as HostArray })));
  return { inputs, expected };
}

/**
 * The Vulkan cases. Compiled for a discrete GPU's Vulkan driver (NVIDIA's): 256 invocations
 * per workgroup (as the Vulkan backend picks), NaN and infinities kept, no loop cap (lavapipe's
 * cap only matters for loops far longer than these workloads'). Correctness cases carry input
 * recipes, not data, and are smaller than CUDA's, to keep the prepared folder small.
 */
function prepareVulkan(out: string, quick: boolean): void {
  mkdirSync(join(out, 'bench'), { recursive: true });
  mkdirSync(join(out, 'cases'), { recursive: true });
  const opts = { workgroupSize: 256, preserveNanInf: true };
  const compileVk = (s: Spec) => {
    const func = k.makeIR(s.f)(...s.inputs.map((i) => new k.ShapeDtype(i.shape, i.dtype))).func;
    const lib = pipeline.compileForVulkan([func], { ...opts, donated: [s.donated ?? s.inputs.map(() => false)] });
    return { func, module: lib.module, cf: lib.funcs[0]! };
  };
  for (const s of quick ? specs(1 << 20, 1024, 256) : specs(1 << 24, 4096, 256)) {
    const { module, cf } = compileVk(s);
    const c: VulkanBenchCase = {
      format: 'kiln-vulkan-bench-case-1',
      name: benchName(s),
      workload: s.workload,
      sizes: s.sizes,
      module: encodeVulkanModule(module),
      program: cf.program,
      inputs: s.inputs,
      metric: s.metric,
      ...(s.copyBytes ? { copyBytes: s.copyBytes } : {}),
    };
    writeFileSync(join(out, 'bench', `${s.workload}.json`), stringifyVulkanCase(c));
    const words = module.kernels.reduce((n, q) => n + q.spirv.length, 0);
    process.stdout.write(`vulkan bench ${c.name}: ${module.kernels.length} kernels, ${4 * words} bytes of SPIR-V\n`);
  }
  for (const s of specs(50_021, 192, 64)) {
    const { func, module, cf } = compileVk(s);
    const { expected } = expectedOf(func, s);
    const c: VulkanCase = {
      format: 'kiln-vulkan-case-1',
      name: `bench/gpu vulkan ${s.workload} ${JSON.stringify(s.sizes)}`,
      module: encodeVulkanModule(module),
      program: cf.program,
      inputs: s.inputs,
      expected: expected.map((t) => encodeArray(t.aval.dtype, t.aval.shape, t.data)),
      ...s.tol,
    };
    writeFileSync(join(out, 'cases', `bench_${s.workload}.json`), stringifyVulkanCase(c));
    process.stdout.write(`vulkan case ${c.name}\n`);
  }
}

function main(): void {
  const { values } = parseArgs({
    options: {
      out: { type: 'string', default: '.device/gpu' },
      quick: { type: 'boolean', default: false },
      target: { type: 'string', default: 'all' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    process.stdout.write(
      'usage: npx tsx bench/gpu/prepare.ts [--out DIR] [--quick] [--target cuda|vulkan|all]\n' +
        '  cuda:   writes DIR/bench/*.json (benchmarks) and DIR/cases/*.json (correctness)\n' +
        '  vulkan: writes DIR/vulkan/bench/*.json and DIR/vulkan/cases/*.json\n' +
        '  all (default): both\n',
    );
    return;
  }
  const target = values.target!;
  if (!['cuda', 'vulkan', 'all'].includes(target)) throw new Error(`prepare: --target ${target}: expected cuda, vulkan or all`);
  if (target !== 'cuda') prepareVulkan(join(values.out!, 'vulkan'), values.quick!);
  if (target !== 'vulkan') prepareCuda(values.out!, values.quick!);
}

function prepareCuda(out: string, quick: boolean): void {
  const compile = (pipeline as unknown as Record<string, unknown>).compileForCuda as CompileForCuda | undefined;
  if (typeof compile !== 'function') throw new Error('prepare: this build of the compiler has no compileForCuda');
  mkdirSync(join(out, 'bench'), { recursive: true });
  mkdirSync(join(out, 'cases'), { recursive: true });
  const full = quick ? specs(1 << 20, 1024, 256) : specs(1 << 24, 4096, 256);
  for (const s of full) {
    const { module, cf } = compileSpec(compile, s);
    const c: BenchCase = {
      format: 'kiln-bench-case-1',
      name: benchName(s),
      workload: s.workload,
      sizes: s.sizes,
      module,
      program: cf.program,
      inputs: s.inputs,
      metric: s.metric,
      ...(s.copyBytes ? { copyBytes: s.copyBytes } : {}),
    };
    writeFileSync(join(out, 'bench', `${s.workload}.json`), stringifyBenchCase(c));
    process.stdout.write(`bench ${c.name}: ${module.kernels.length} kernels, ${module.ptx.length} bytes of PTX (${module.producer}, ${module.arch})\n`);
  }
  // Correctness at sizes the interpreter computes in seconds (different launch shapes than
  // the full sizes, but the same kernels' code paths: grid-stride loops, multi-block sums).
  for (const s of specs(100_003, 256, 256)) {
    const { func, module, cf } = compileSpec(compile, s);
    const { inputs, expected } = expectedOf(func, s);
    const c: GpuCase = {
      name: `bench/gpu ${s.workload} ${JSON.stringify(s.sizes)}`,
      module,
      program: cf.program,
      inputs: inputs.map((d, i) => encodeArray(s.inputs[i]!.dtype, s.inputs[i]!.shape, d)),
      expected: expected.map((t) => encodeArray(t.aval.dtype, t.aval.shape, t.data)),
      ...s.tol,
    };
    writeFileSync(join(out, 'cases', `bench_${s.workload}.json`), stringifyCase(c));
    process.stdout.write(`case ${c.name}\n`);
  }
}

main();
