// What the GPU check's CUDA and Vulkan parts share: comparing results with the interpreter's,
// the cheap host checks of benchmark results, and rates.
import { isFloat, type DType, type HostArray } from '../../compiler/ir/dtype.ts';
import { sizeOf } from '../../compiler/ir/ir.ts';
import type { BenchMetric, Workload } from './bench-cases.ts';
import { decodeArray, type GpuCaseArray } from './cases.ts';

export interface Mismatch {
  readonly output: number;
  readonly index: number;
  readonly got: number;
  readonly want: number;
  readonly maxAbs: number;
  readonly count: number;
}

/** The first mismatch of `got` against `want` (and the largest error, the count), or undefined. */
export function compare(dtype: DType, got: HostArray, want: HostArray, rtol: number, atol: number, output = 0): Mismatch | undefined {
  let first = -1, count = 0, maxAbs = 0;
  const float = isFloat(dtype);
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!, w = want[i]!;
    let ok: boolean;
    if (!float) ok = g === w;
    else if (Number.isNaN(w) || Number.isNaN(g)) ok = Number.isNaN(w) && Number.isNaN(g);
    else if (!Number.isFinite(w) || !Number.isFinite(g)) ok = g === w;
    else {
      const d = Math.abs(g - w);
      ok = d <= atol + rtol * Math.abs(w);
      if (d > maxAbs) maxAbs = d;
    }
    if (!ok) {
      count++;
      if (first < 0) first = i;
    }
  }
  if (got.length !== want.length) return { output, index: Math.min(got.length, want.length), got: NaN, want: NaN, maxAbs: Infinity, count: Math.abs(got.length - want.length) };
  return count ? { output, index: first, got: got[first]!, want: want[first]!, maxAbs, count } : undefined;
}

export interface CaseResult {
  readonly file: string;
  readonly name: string;
  readonly ok: boolean;
  readonly detail?: string;
}

/** The result of a replayed case: its outputs against the expected arrays. */
export function judge(file: string, name: string, outs: readonly HostArray[], expected: readonly GpuCaseArray[], rtol: number, atol: number): CaseResult {
  if (outs.length !== expected.length) return { file, name, ok: false, detail: `${outs.length} outputs, expected ${expected.length}` };
  const bad = expected.map((e, i) => compare(e.dtype, outs[i]!, decodeArray(e), rtol, atol, i)).filter((m): m is Mismatch => m !== undefined);
  if (!bad.length) return { file, name, ok: true };
  const m = bad[0]!;
  const e = expected[m.output]!;
  return {
    file,
    name,
    ok: false,
    detail:
      `output ${m.output} (${e.dtype}[${e.shape.join(',')}]): ${m.count} of ${sizeOf(e.shape)} elements off; first at ${m.index}: got ${m.got}, want ${m.want}; ` +
      `max abs error ${m.maxAbs.toPrecision(3)} (rtol ${rtol}, atol ${atol})` +
      (bad.length > 1 ? `; ${bad.length - 1} more output(s) off` : ''),
  };
}

/** What a benchmark is, for the host checks and the table. */
export interface BenchShape {
  readonly workload: Workload;
  readonly sizes: Readonly<Record<string, number>>;
  readonly metric: BenchMetric;
  readonly copyBytes?: number;
}

export interface BenchResult {
  readonly workload: Workload;
  readonly name: string;
  readonly ms?: number;
  readonly copyMs?: number;
  readonly rate?: string;
  readonly check?: string;
  readonly error?: string;
  /** How `ms` was measured, when not with the CUDA events of the default path. */
  readonly method?: string;
  /** Wall time of one run through the host-array runner, copies in and out included. */
  readonly hostRunMs?: number;
}

/** Cheap checks of a benchmark's result against the host (the inputs were made there). */
export function verify(c: BenchShape, inputs: readonly HostArray[], out: HostArray): string {
  const close = (g: number, w: number, tol: number) => Math.abs(g - w) <= tol * (1 + Math.abs(w));
  switch (c.workload) {
    case 'elementwise': {
      const x = inputs[0]!;
      const sig = (v: number) => 1 / (1 + Math.exp(-v));
      for (let i = 0; i < x.length; i++) {
        const v = x[i]!;
        const w = Math.max(v * 2 + 1, 0) * sig(v) - Math.tanh(v);
        if (!close(out[i]!, w, 1e-4)) return `FAIL at ${i}: got ${out[i]}, want ${w}`;
      }
      return 'ok';
    }
    case 'sum': {
      // An f32 sum of millions of values in another order is off by up to ~eps * sum|x|.
      let s = 0, abs = 0;
      for (const v of inputs[0]!) (s += v), (abs += Math.abs(v));
      return Math.abs(out[0]! - s) <= 1e-5 * abs ? 'ok' : `FAIL: got ${out[0]}, want ${s}`;
    }
    case 'matmul': {
      const m = c.sizes.m!;
      const [a, b] = inputs as [HostArray, HostArray];
      for (let t = 0; t < 16; t++) {
        const i = (t * 977) % m, j = (t * 1543 + 11) % m;
        let s = 0;
        for (let p = 0; p < m; p++) s += a[i * m + p]! * b[p * m + j]!;
        if (!close(out[i * m + j]!, s, 1e-3)) return `FAIL at (${i}, ${j}): got ${out[i * m + j]}, want ${s}`;
      }
      return 'ok (16 entries)';
    }
    case 'mlp_step':
      return 'see the bench_mlp_step case';
    default:
      return c.workload satisfies never;
  }
}

/** Whether a benchmark's check failed (ok and pointers elsewhere are not failures). */
export function checkFailed(check: string | undefined): boolean {
  return check !== undefined && !check.startsWith('ok') && !check.startsWith('see');
}

export function rate(m: BenchMetric, ms: number): string {
  switch (m.unit) {
    case 'GB/s':
      return `${(m.bytes / ms / 1e6).toPrecision(4)} GB/s`;
    case 'TFLOP/s':
      return `${(m.flops / ms / 1e9).toPrecision(3)} TFLOP/s`;
    case 'ms':
      return `${ms.toFixed(3)} ms`;
    default:
      return m satisfies never;
  }
}
