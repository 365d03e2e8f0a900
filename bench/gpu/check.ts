// The GPU check, run on a GPU machine as one bundled file (bundle.sh): needs only Node, koffi
// and the NVIDIA driver (no compiler). It
//   (a) replays every correctness case (cases.ts) in the --cases folders: runs each compiled
//       executable with the CUDA runtime and compares with the interpreter's recorded
//       results (floats within the case's rtol/atol, NaN equal to NaN; integers and bools
//       exactly), never stopping at a failure;
//   (b) times every benchmark case (bench-cases.ts) in the --bench folder with CUDA events
//       (warm-up, then the median of --runs runs), checking the big results it can cheaply;
//   (c) runs bench/gpu/torch_ref.py for PyTorch's times of the same workloads, when python3
//       with torch is there, and prints one table.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { isFloat, type DType, type HostArray } from '../../compiler/ir/dtype.ts';
import { KilnError } from '../../compiler/ir/errors.ts';
import { sizeOf } from '../../compiler/ir/ir.ts';
import { cudaContext, createCudaRunner, timeOnGpu, type CudaContext, type DevicePtr } from '../../runtime/cuda/index.ts';
import { makeInput, parseBenchCase, type BenchCase, type Workload } from './bench-cases.ts';
import { decodeArray, parseCase, type GpuCaseArray } from './cases.ts';

const USAGE = `usage: node check.mjs [--cases DIR]... [--bench DIR] [--runs N] [--skip-torch] [--python PY] [--json FILE]
  --cases DIR    replay the correctness cases (*.json) in DIR (repeatable)
  --bench DIR    time the benchmark cases (*.json) in DIR
  --runs N       timed runs per benchmark (default 20), after warm-up
  --skip-torch   do not run bench/gpu/torch_ref.py
  --python PY    the Python with PyTorch (default python3)
  --json FILE    also write every result as JSON
Exits 1 when a case failed.
`;

interface Mismatch {
  readonly output: number;
  readonly index: number;
  readonly got: number;
  readonly want: number;
  readonly maxAbs: number;
  readonly count: number;
}

/** The first mismatch of `got` against `want` (and the largest error, the count), or undefined. */
function compare(dtype: DType, got: HostArray, want: HostArray, rtol: number, atol: number, output = 0): Mismatch | undefined {
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

interface CaseResult {
  readonly file: string;
  readonly name: string;
  readonly ok: boolean;
  readonly detail?: string;
}

function jsonFiles(dir: string): string[] {
  if (!existsSync(dir)) throw new KilnError(`no such folder: ${dir}`);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => join(dir, f));
}

function replayCase(ctx: CudaContext, file: string): CaseResult {
  let name = file;
  try {
    const c = parseCase(readFileSync(file, 'utf8'));
    name = c.name;
    const runner = createCudaRunner(c.module, [c.program], ctx, { maxWhileIterations: 1_000_000 });
    try {
      const outs = runner.run(0, c.inputs.map((a) => decodeArray(a)));
      if (outs.length !== c.expected.length) return { file, name, ok: false, detail: `${outs.length} outputs, expected ${c.expected.length}` };
      const bad = c.expected
        .map((e: GpuCaseArray, i) => compare(e.dtype, outs[i]!, decodeArray(e), c.rtol, c.atol, i))
        .filter((m): m is Mismatch => m !== undefined);
      if (!bad.length) return { file, name, ok: true };
      const m = bad[0]!;
      const e = c.expected[m.output]!;
      return {
        file,
        name,
        ok: false,
        detail:
          `output ${m.output} (${e.dtype}[${e.shape.join(',')}]): ${m.count} of ${sizeOf(e.shape)} elements off; first at ${m.index}: got ${m.got}, want ${m.want}; ` +
          `max abs error ${m.maxAbs.toPrecision(3)} (rtol ${c.rtol}, atol ${c.atol})` +
          (bad.length > 1 ? `; ${bad.length - 1} more output(s) off` : ''),
      };
    } finally {
      runner.dispose();
    }
  } catch (e) {
    return { file, name, ok: false, detail: `threw ${(e as Error).name}: ${(e as Error).message}` };
  }
}

interface BenchResult {
  readonly workload: Workload;
  readonly name: string;
  readonly ms?: number;
  readonly copyMs?: number;
  readonly rate?: string;
  readonly check?: string;
  readonly error?: string;
}

/** Cheap checks of a benchmark's result against the host (the inputs were made there). */
function verify(c: BenchCase, inputs: readonly HostArray[], out: HostArray): string {
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

function runBench(ctx: CudaContext, file: string, runs: number): BenchResult {
  let c: BenchCase | undefined;
  try {
    c = parseBenchCase(readFileSync(file, 'utf8'));
    const runner = createCudaRunner(c.module, [c.program], ctx);
    const hosts = c.inputs.map(makeInput);
    const ptrs = hosts.map((h) => ctx.upload(h));
    try {
      // One checked run first (the MLP step updates its weights in place; that is its loop).
      const first = runner.runDevice(0, ptrs);
      const p = c.program, o = p.buffers[p.outputs[0]!]!;
      const check = verify(c, hosts, ctx.download(first.outputs[0]!, o.aval.dtype, sizeOf(o.aval.shape)));
      runner.release(first);
      const t = timeOnGpu(ctx, () => runner.release(runner.runDevice(0, ptrs)), { warmup: 5, runs });
      let copyMs: number | undefined;
      if (c.copyBytes) {
        const src = ctx.memory.alloc(c.copyBytes), dst = ctx.memory.alloc(c.copyBytes);
        copyMs = timeOnGpu(ctx, () => ctx.driver.copyDtoD(dst, src, c!.copyBytes!), { warmup: 5, runs }).medianMs;
        ctx.memory.dealloc(src);
        ctx.memory.dealloc(dst);
      }
      return { workload: c.workload, name: c.name, ms: t.medianMs, copyMs, rate: rate(c, t.medianMs), check };
    } finally {
      ptrs.forEach((q: DevicePtr) => ctx.memory.dealloc(q));
      runner.dispose();
    }
  } catch (e) {
    return { workload: c?.workload ?? 'elementwise', name: c?.name ?? file, error: `${(e as Error).name}: ${(e as Error).message}` };
  }
}

function rate(c: BenchCase, ms: number): string {
  const m = c.metric;
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

interface TorchRef {
  readonly device?: string;
  readonly torch?: string;
  readonly results: Partial<Record<Workload | 'copy', number>>;
  readonly error?: string;
}

function torchScript(): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  return [resolve('bench/gpu/torch_ref.py'), join(here, 'torch_ref.py'), join(here, '../bench/gpu/torch_ref.py')].find((p) => existsSync(p));
}

function runTorch(python: string, cases: readonly BenchCase[], runs: number): TorchRef {
  const script = torchScript();
  if (!script) return { results: {}, error: 'bench/gpu/torch_ref.py not found' };
  const sizes = Object.fromEntries(cases.map((c) => [c.workload, c.sizes]));
  const r = spawnSync(python, [script, '--sizes', JSON.stringify(sizes), '--runs', String(runs)], { encoding: 'utf8', timeout: 300_000 });
  if (r.error) return { results: {}, error: `${python}: ${r.error.message}` };
  if (r.status !== 0) return { results: {}, error: `${python} ${script} exited ${r.status}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}` };
  try {
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as TorchRef;
  } catch {
    return { results: {}, error: `unreadable output of torch_ref.py: ${r.stdout.slice(0, 200)}` };
  }
}

function table(rows: readonly (readonly string[])[]): string {
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(w[i]!)).join('  ')).join('\n');
}

function main(): number {
  const { values } = parseArgs({
    options: {
      cases: { type: 'string', multiple: true },
      bench: { type: 'string' },
      runs: { type: 'string', default: '20' },
      'skip-torch': { type: 'boolean', default: false },
      python: { type: 'string', default: 'python3' },
      json: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help || (!values.cases && !values.bench)) {
    process.stdout.write(USAGE);
    return 0;
  }
  const runs = Number(values.runs);
  const ctx = cudaContext();
  const out = (s: string) => process.stdout.write(`${s}\n`);
  out(`device: ${ctx.info.name} (sm_${ctx.info.computeCapability.join('')}, ${ctx.info.multiprocessors} SMs), driver ${ctx.info.driver}`);
  let failed = 0;
  const report: Record<string, unknown> = { device: ctx.info };

  const t0 = performance.now();
  const elapsed = () => `${((performance.now() - t0) / 1000).toFixed(1)} s`;
  // (a) correctness
  const results: CaseResult[] = [];
  for (const dir of values.cases ?? []) {
    const files = jsonFiles(dir);
    out(`replaying ${files.length} cases from ${dir}`);
    for (const f of files) {
      const r = replayCase(ctx, f);
      results.push(r);
      // Failures show as they happen (the summary repeats the first ones).
      if (!r.ok && results.filter((x) => !x.ok).length <= 20) out(`  FAIL ${r.name}: ${r.detail}`);
    }
  }
  if (values.cases) {
    const bad = results.filter((r) => !r.ok);
    failed += bad.length;
    out(`\ncorrectness: ${results.length - bad.length} passed, ${bad.length} failed (${elapsed()})`);
    for (const r of bad.slice(0, 20)) out(`  FAIL ${r.name}\n       ${r.detail}`);
    if (bad.length > 20) out(`  ... and ${bad.length - 20} more`);
    report.cases = results;
  }

  // (b) benchmarks, (c) PyTorch and the table
  if (values.bench) {
    const files = jsonFiles(values.bench);
    const bench = files.map((f) => runBench(ctx, f, runs));
    const cases = files.flatMap((f) => {
      try {
        return [parseBenchCase(readFileSync(f, 'utf8'))];
      } catch {
        return [];
      }
    });
    const torch: TorchRef = values['skip-torch'] ? { results: {}, error: 'skipped' } : runTorch(values.python!, cases, runs);
    if (torch.error) out(`\nPyTorch: ${torch.error}`);
    else out(`\nPyTorch ${torch.torch} on ${torch.device}`);
    const rows: string[][] = [['workload', 'Kiln', 'PyTorch', 'PyTorch time / Kiln time', 'check']];
    const fmt = (c: BenchCase | undefined, ms: number | undefined) => (ms === undefined ? '-' : c ? rate(c, ms) : `${ms.toFixed(3)} ms`);
    const ratio = (k?: number, t?: number) => (k && t ? `${(t / k).toFixed(2)}x` : '-');
    for (const b of bench) {
      const c = cases.find((x) => x.workload === b.workload);
      if (b.error) {
        failed++;
        rows.push([b.name, `ERROR`, '-', '-', b.error.slice(0, 200)]);
        continue;
      }
      if (b.check && !b.check.startsWith('ok') && !b.check.startsWith('see')) failed++;
      if (b.copyMs !== undefined && c?.copyBytes) {
        const copyCase = { ...c, metric: { unit: 'GB/s' as const, bytes: 2 * c.copyBytes } };
        rows.push([`device copy (${c.copyBytes} bytes)`, fmt(copyCase, b.copyMs), fmt(copyCase, torch.results.copy), ratio(b.copyMs, torch.results.copy), '']);
      }
      rows.push([b.name, fmt(c, b.ms), fmt(c, torch.results[b.workload]), ratio(b.ms, torch.results[b.workload]), b.check ?? '']);
    }
    out(`\n${table(rows)}\n(${elapsed()})`);
    report.bench = bench;
    report.torch = torch;
  }
  if (values.json) writeFileSync(values.json, JSON.stringify(report, null, 1));
  return failed ? 1 : 0;
}

try {
  process.exitCode = main();
} catch (e) {
  // Kiln's errors (no GPU, a failing driver call) say what went wrong: no stack needed.
  if (!(e instanceof KilnError)) throw e;
  process.stderr.write(`check: ${e.message}\n`);
  process.exitCode = 2;
}
