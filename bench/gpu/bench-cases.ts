// Benchmark cases for the GPU check: a workload compiled for CUDA here, written WITHOUT data
// (a 16M-element input is 64 MB); the replayer makes the inputs on the GPU machine from the
// seeded recipes below, runs the program repeatedly and reports a rate. A separate format from
// GpuCase (cases.ts), which carries inputs and expected results for correctness.
import type { DType, HostArray } from '../../compiler/ir/dtype.ts';
import { allocHost } from '../../compiler/ir/dtype.ts';
import { parseNonFinite, stringifyNonFinite } from '../../runtime/artifact/json.ts';
import type { CudaModule, ExecProgram } from '../../runtime/executable.ts';
import { mulberry32 as uniform } from '../rng.ts';

/** How one input is made: seeded, so Kiln's and PyTorch's runs see the same kind of data. */
export type InputRecipe =
  | { readonly kind: 'normal'; readonly std: number; readonly seed: number }
  | { readonly kind: 'randint'; readonly lo: number; readonly hi: number; readonly seed: number }
  | { readonly kind: 'zeros' };

export interface BenchInput {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly init: InputRecipe;
}

/** What one run amounts to: bytes moved (GB/s), floating-point operations (TFLOP/s), or only time. */
export type BenchMetric =
  | { readonly unit: 'GB/s'; readonly bytes: number }
  | { readonly unit: 'TFLOP/s'; readonly flops: number }
  | { readonly unit: 'ms' };

/** The workloads, as bench/gpu/torch_ref.py names them in its JSON. */
export type Workload = 'elementwise' | 'sum' | 'matmul' | 'mlp_step';

export interface BenchCase {
  readonly format: 'kiln-bench-case-1';
  readonly name: string;
  readonly workload: Workload;
  /** Sizes, for the table and for torch_ref.py (n: elements; m: matrix side; batch...). */
  readonly sizes: Readonly<Record<string, number>>;
  readonly module: CudaModule;
  readonly program: ExecProgram;
  readonly inputs: readonly BenchInput[];
  readonly metric: BenchMetric;
  /** Also time a device-to-device copy of this many bytes in the same run (the bandwidth baseline). */
  readonly copyBytes?: number;
}

export function stringifyBenchCase(c: BenchCase): string {
  return stringifyNonFinite(c);
}

export function parseBenchCase(text: string): BenchCase {
  const c = parseNonFinite(text) as BenchCase;
  if (c.format !== 'kiln-bench-case-1') throw new Error(`not a benchmark case (format ${String(c.format)})`);
  return c;
}

/** The host array of an input, made from its recipe. */
export function makeInput(input: BenchInput): HostArray {
  const n = input.shape.reduce((p, d) => p * d, 1);
  const out = allocHost(input.dtype, n);
  const r = input.init;
  switch (r.kind) {
    case 'zeros':
      return out;
    case 'normal': {
      const u = uniform(r.seed);
      // Box-Muller, two values per pair of uniforms.
      for (let i = 0; i < n; i += 2) {
        const rad = Math.sqrt(-2 * Math.log(1 - u())) * r.std, th = 2 * Math.PI * u();
        out[i] = rad * Math.cos(th);
        if (i + 1 < n) out[i + 1] = rad * Math.sin(th);
      }
      return out;
    }
    case 'randint': {
      const u = uniform(r.seed);
      for (let i = 0; i < n; i++) out[i] = r.lo + Math.floor(u() * (r.hi - r.lo));
      return out;
    }
    default:
      return r satisfies never;
  }
}
