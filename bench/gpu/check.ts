// The GPU check, run on a GPU machine as one bundled file (bundle.sh): needs only Node, koffi
// and the GPU's driver (no compiler). It
//   (a) replays every correctness case in the --cases folders (cases.ts, CUDA) and the
//       --vulkan-cases folders (vulkan-cases.ts): runs each compiled executable with the
//       runtime and compares with the interpreter's recorded results (floats within the case's
//       rtol/atol, NaN equal to NaN; integers and bools exactly), never stopping at a failure;
//   (b) times every benchmark case of --bench (CUDA events) and --vulkan-bench (Vulkan
//       timestamp queries, check-vulkan.ts): warm-up, then the median of --runs runs, checking
//       the big results it can cheaply;
//   (c) runs bench/gpu/torch_ref.py for PyTorch's times of the same workloads, when python3
//       with torch is there, and prints one table.
// A target whose driver or device is missing is reported and skipped; the others still run.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { KilnError } from '../../compiler/ir/errors.ts';
import { sizeOf } from '../../compiler/ir/ir.ts';
import { cudaContext, createCudaRunner, timeOnGpu, type CudaContext, type DevicePtr } from '../../runtime/cuda/index.ts';
import { makeInput, parseBenchCase, type BenchCase, type Workload } from './bench-cases.ts';
import { decodeArray, parseCase } from './cases.ts';
import { checkFailed, judge, rate, verify, type BenchResult, type BenchShape, type CaseResult } from './check-common.ts';
import { readVulkanBenchCases, replayVulkanCase, runVulkanBench, vulkanDevice } from './check-vulkan.ts';

const USAGE = `usage: node check.mjs [--cases DIR]... [--bench DIR] [--vulkan-cases DIR]... [--vulkan-bench DIR] [--runs N] [--skip-torch] [--python PY] [--json FILE]
  --cases DIR          replay the CUDA correctness cases (*.json) in DIR (repeatable)
  --bench DIR          time the CUDA benchmark cases (*.json) in DIR
  --vulkan-cases DIR   replay the Vulkan correctness cases in DIR (repeatable)
  --vulkan-bench DIR   time the Vulkan benchmark cases in DIR
  --runs N             timed runs per benchmark (default 20), after warm-up
  --skip-torch         do not run bench/gpu/torch_ref.py
  --python PY          the Python with PyTorch (default python3)
  --json FILE          also write every result as JSON
Exits 1 when a case or a benchmark check failed, 2 when none of the asked targets could be used.
KILN_VULKAN_DEVICE=<index or name> picks the Vulkan device (default: a discrete GPU first).
`;

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
      return judge(file, name, runner.run(0, c.inputs.map((a) => decodeArray(a))), c.expected, c.rtol, c.atol);
    } finally {
      runner.dispose();
    }
  } catch (e) {
    return { file, name, ok: false, detail: `threw ${(e as Error).name}: ${(e as Error).message}` };
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
      return { workload: c.workload, name: c.name, ms: t.medianMs, copyMs, rate: rate(c.metric, t.medianMs), check };
    } finally {
      ptrs.forEach((q: DevicePtr) => ctx.memory.dealloc(q));
      runner.dispose();
    }
  } catch (e) {
    return { workload: c?.workload ?? 'elementwise', name: c?.name ?? file, error: `${(e as Error).name}: ${(e as Error).message}` };
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

function runTorch(python: string, cases: readonly BenchShape[], runs: number): TorchRef {
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

/** One target's state: its device's description, or why it could not be used. */
type Target = { readonly ok: true; readonly device: string } | { readonly ok: false; readonly reason: string };

function openTarget(name: string, open: () => string): Target {
  try {
    return { ok: true, device: open() };
  } catch (e) {
    // Kiln's errors (no driver, no device, a failing driver call) say what went wrong; others
    // (a binding the driver rejects) are named, and the other target still runs.
    return { ok: false, reason: `${name}: ${e instanceof KilnError ? '' : `${(e as Error).name}: `}${(e as Error).message}` };
  }
}

/** Replays the cases of `dirs` with `replay`, printing failures and a summary; the failure count. */
function replayAll(label: string, dirs: readonly string[], replay: (file: string) => CaseResult, out: (s: string) => void, elapsed: () => string): { results: CaseResult[]; failed: number } {
  const results: CaseResult[] = [];
  for (const dir of dirs) {
    if (!existsSync(dir)) {
      results.push({ file: dir, name: dir, ok: false, detail: 'no such folder' });
      continue;
    }
    const files = jsonFiles(dir);
    out(`replaying ${files.length} ${label} cases from ${dir}`);
    for (const f of files) {
      const r = replay(f);
      results.push(r);
      // Failures show as they happen (the summary repeats the first ones).
      if (!r.ok && results.filter((x) => !x.ok).length <= 20) out(`  FAIL ${r.name}: ${r.detail}`);
    }
  }
  const bad = results.filter((r) => !r.ok);
  out(`\n${label} correctness: ${results.length - bad.length} passed, ${bad.length} failed (${elapsed()})`);
  for (const r of bad.slice(0, 20)) out(`  FAIL ${r.name}\n       ${r.detail}`);
  if (bad.length > 20) out(`  ... and ${bad.length - 20} more`);
  return { results, failed: bad.length };
}

function parseBenchFiles(files: readonly string[]): BenchCase[] {
  return files.flatMap((f) => {
    try {
      return [parseBenchCase(readFileSync(f, 'utf8'))];
    } catch {
      return [];
    }
  });
}

function main(): number {
  const { values } = parseArgs({
    options: {
      cases: { type: 'string', multiple: true },
      bench: { type: 'string' },
      'vulkan-cases': { type: 'string', multiple: true },
      'vulkan-bench': { type: 'string' },
      runs: { type: 'string', default: '20' },
      'skip-torch': { type: 'boolean', default: false },
      python: { type: 'string', default: 'python3' },
      json: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  const wantCuda = !!(values.cases || values.bench), wantVulkan = !!(values['vulkan-cases'] || values['vulkan-bench']);
  if (values.help || (!wantCuda && !wantVulkan)) {
    process.stdout.write(USAGE);
    return 0;
  }
  const runs = Number(values.runs);
  const out = (s: string) => process.stdout.write(`${s}\n`);
  const report: Record<string, unknown> = {};
  let cuda: CudaContext | undefined;
  const cudaTarget: Target | undefined = wantCuda
    ? openTarget('CUDA', () => {
        cuda = cudaContext();
        const i = cuda.info;
        report.device = i;
        return `${i.name} (sm_${i.computeCapability.join('')}, ${i.multiprocessors} SMs), driver ${i.driver}`;
      })
    : undefined;
  const vulkanTarget: Target | undefined = wantVulkan
    ? openTarget('Vulkan', () => {
        const v = vulkanDevice();
        report.vulkan = v;
        const all = v.devices.map((d) => `${d.index}: ${d.name} (${d.type})`).join('; ');
        return `${v.info.name} (${v.info.type}, Vulkan ${v.info.apiVersion}${v.timestamps ? ', timestamps' : ', no timestamps: wall-clock timing'}) of [${all}]`;
      })
    : undefined;
  for (const [label, t] of [['CUDA', cudaTarget], ['Vulkan', vulkanTarget]] as const) {
    if (!t) continue;
    out(t.ok ? `${label} device: ${t.device}` : `${label} unavailable, its cases and benchmarks are skipped: ${t.reason}`);
  }
  const vk = report.vulkan as ReturnType<typeof vulkanDevice> | undefined;
  if (vk && vk.info.type === 'cpu') out(`note: the Vulkan device is a CPU implementation: no GPU's Vulkan driver (ICD) was found, or KILN_VULKAN_DEVICE chose it`);
  report.unavailable = [cudaTarget, vulkanTarget].flatMap((t) => (t && !t.ok ? [t.reason] : []));
  if (!cudaTarget?.ok && !vulkanTarget?.ok) {
    process.stderr.write(`check: no GPU could be used\n`);
    if (values.json) writeFileSync(values.json, JSON.stringify(report, null, 1));
    return 2;
  }
  let failed = 0;
  const t0 = performance.now();
  const elapsed = () => `${((performance.now() - t0) / 1000).toFixed(1)} s`;

  // (a) correctness
  if (cuda && values.cases) {
    const r = replayAll('CUDA', values.cases, (f) => replayCase(cuda!, f), out, elapsed);
    failed += r.failed;
    report.cases = r.results;
  }
  if (vulkanTarget?.ok && values['vulkan-cases']) {
    const r = replayAll('Vulkan', values['vulkan-cases'], replayVulkanCase, out, elapsed);
    failed += r.failed;
    report.vulkanCases = r.results;
  }

  // (b) benchmarks, (c) PyTorch and the table
  if (!values.bench && !values['vulkan-bench']) {
    if (values.json) writeFileSync(values.json, JSON.stringify(report, null, 1));
    return failed ? 1 : 0;
  }
  const benchFiles = (dir: string | undefined) => {
    if (dir && !existsSync(dir)) {
      out(`FAIL no such benchmark folder: ${dir}`);
      failed++;
      return [];
    }
    return dir ? jsonFiles(dir) : [];
  };
  const cudaFiles = benchFiles(values.bench), vkFiles = benchFiles(values['vulkan-bench']);
  const cudaBench = cuda ? cudaFiles.map((f) => runBench(cuda!, f, runs)) : [];
  const vkBench = vulkanTarget?.ok ? vkFiles.map((f) => runVulkanBench(f, runs)) : [];
  const cases: BenchShape[] = [...parseBenchFiles(cudaFiles), ...readVulkanBenchCases(vkFiles)];
  const byWorkload = new Map<Workload, BenchShape>();
  for (const c of cases) if (!byWorkload.has(c.workload)) byWorkload.set(c.workload, c);
  const torch: TorchRef = values['skip-torch'] ? { results: {}, error: 'skipped' } : runTorch(values.python!, [...byWorkload.values()], runs);
  if (torch.error) out(`\nPyTorch: ${torch.error}`);
  else out(`\nPyTorch ${torch.torch} on ${torch.device}`);

  const rows: string[][] = [['workload', 'Kiln CUDA', 'Kiln Vulkan', 'PyTorch', 'PyTorch/CUDA', 'PyTorch/Vulkan', 'check']];
  const ratio = (k?: number, t?: number) => (k && t ? `${(t / k).toFixed(2)}x` : '-');
  // A cell of a target: its rate, ERROR, or why there is none.
  const cell = (target: Target | undefined, asked: boolean, b: BenchResult | undefined, ms: number | undefined, fmt: (ms: number) => string) =>
    !asked || !target ? '-' : !target.ok ? 'unavailable' : b?.error ? 'ERROR' : ms === undefined ? '-' : fmt(ms);
  for (const [workload, c] of byWorkload) {
    const cb = cudaBench.find((b) => b.workload === workload), vb = vkBench.find((b) => b.workload === workload);
    const cAsked = cudaFiles.length > 0, vAsked = vkFiles.length > 0;
    for (const b of [cb, vb]) {
      if (b?.error) failed++;
      else if (checkFailed(b?.check)) failed++;
    }
    const checks = [
      ...(cb ? [`cuda: ${cb.error ?? cb.check ?? ''}`] : []),
      ...(vb ? [`vulkan: ${vb.error ?? vb.check ?? ''}`] : []),
    ].map((x) => x.slice(0, 200));
    if (c.copyBytes && (cb?.copyMs !== undefined || vb?.copyMs !== undefined || torch.results.copy !== undefined)) {
      const copy = (ms: number) => rate({ unit: 'GB/s', bytes: 2 * c.copyBytes! }, ms);
      rows.push([
        `device copy (${c.copyBytes} bytes)`,
        cell(cudaTarget, cAsked, cb, cb?.copyMs, copy),
        cell(vulkanTarget, vAsked, vb, vb?.copyMs, copy),
        torch.results.copy === undefined ? '-' : copy(torch.results.copy),
        ratio(cb?.copyMs, torch.results.copy),
        ratio(vb?.copyMs, torch.results.copy),
        '',
      ]);
    }
    const t = torch.results[workload];
    const names = [...new Set([cb?.name, vb?.name].filter((n): n is string => !!n && !n.endsWith('.json')))];
    rows.push([
      names.join(' / ') || workload,
      cell(cudaTarget, cAsked, cb, cb?.ms, (ms) => rate(c.metric, ms)),
      cell(vulkanTarget, vAsked, vb, vb?.ms, (ms) => rate(c.metric, ms)),
      t === undefined ? '-' : rate(c.metric, t),
      ratio(cb?.ms, t),
      ratio(vb?.ms, t),
      checks.join('; '),
    ]);
  }
  out(`\n${table(rows)}`);
  out(`(ratios: PyTorch's time / Kiln's, above 1: Kiln is faster. Kiln CUDA: CUDA events around each run; Kiln Vulkan: ${vkBench.find((b) => b.method)?.method ?? 'not run'}, inputs resident on the device; ${elapsed()})`);
  report.bench = cudaBench;
  report.vulkanBench = vkBench;
  report.torch = torch;
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
