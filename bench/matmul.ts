// Throughput of Kiln's CPU matmul kernel (compiler/codegen/llvm/matmul.ts), against PyTorch and
// NumPy in the same run when a Python with them is named by KILN_BENCH_PYTHON.
//
//   npx tsx bench/matmul.ts                                # Kiln only
//   KILN_BENCH_PYTHON=/path/to/venv/bin/python npx tsx bench/matmul.ts
//   npx tsx bench/matmul.ts --mr 8 --nrv 2 --kc 256 --mc 128 --nc 2048 --unroll 4   # tuning
//
// Every shape is timed as the median of several runs after warm-up runs, in GFLOP/s (2mnk
// flops per product). The kernel is compiled as the CPU backend does: opt-14 -O3, llc-14 -O3
// -mcpu=native, linked with libgomp; all cores are used (OMP_NUM_THREADS to change that; the
// Python side is told the same thread count).
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import koffi from 'koffi';
import llvm from 'llvm-bindings';
import { getMatmulFunction, matmulConfig, type MatmulOptions } from '../compiler/codegen/llvm/matmul.ts';

interface Shape {
  readonly label: string;
  readonly dtype: 'f32' | 'f64';
  readonly batch: number;
  readonly m: number;
  readonly n: number;
  readonly k: number;
  /** A stored transposed ([k, m]) / B stored transposed ([n, k]). */
  readonly ta?: boolean;
  readonly tb?: boolean;
}

const SHAPES: Shape[] = [
  { label: 'MLP layer 256x784 @ 784x256', dtype: 'f32', batch: 1, m: 256, n: 256, k: 784 },
  { label: '  same, B transposed (dX = dY W^T)', dtype: 'f32', batch: 1, m: 256, n: 784, k: 256, tb: true },
  { label: '  same, A transposed (dW = X^T dY)', dtype: 'f32', batch: 1, m: 784, n: 256, k: 256, ta: true },
  { label: '1024^2', dtype: 'f32', batch: 1, m: 1024, n: 1024, k: 1024 },
  { label: '2048^2', dtype: 'f32', batch: 1, m: 2048, n: 2048, k: 2048 },
  { label: 'batched 32 x 128x64 @ 64x128', dtype: 'f32', batch: 32, m: 128, n: 128, k: 64 },
  { label: '1024^2 f64', dtype: 'f64', batch: 1, m: 1024, n: 1024, k: 1024 },
];

function parseOptions(argv: string[]): MatmulOptions {
  const opts: Record<string, number> = {};
  const names: Record<string, string> = { mr: 'mr', nrv: 'nrVectors', kc: 'kc', mc: 'mc', nc: 'nc', unroll: 'unroll' };
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i]!.replace(/^--/, '');
    const name = names[key];
    const value = Number(argv[i + 1]);
    if (name === undefined || !Number.isInteger(value)) throw new Error(`usage: bench/matmul.ts [--${Object.keys(names).join(' N] [--')} N]`);
    opts[name] = value;
    i++;
  }
  return opts as MatmulOptions;
}

type MatmulFn = (...args: unknown[]) => void;

function build(options: MatmulOptions, dir: string): { f32: MatmulFn; f64: MatmulFn } {
  const ctx = new llvm.LLVMContext();
  const mod = new llvm.Module('bench', ctx);
  mod.setTargetTriple(llvm.config.LLVM_HOST_TRIPLE);
  getMatmulFunction(mod, ctx, 'f32', options);
  getMatmulFunction(mod, ctx, 'f64', options);
  const base = path.join(dir, 'matmul');
  fs.writeFileSync(`${base}.ll`, mod.print());
  execFileSync('opt-14', ['-O3', '-mcpu=native', `${base}.ll`, '-o', `${base}.bc`]);
  execFileSync('llc-14', ['-O3', '-mcpu=native', '-relocation-model=pic', '-filetype=obj', `${base}.bc`, '-o', `${base}.o`]);
  execFileSync('gcc', ['-shared', '-o', `${base}.so`, `${base}.o`, '-lgomp']);
  const lib = koffi.load(`${base}.so`);
  const sig = (t: string, d: string): string =>
    `void kiln_matmul_${d}(${t} *A, ${t} *B, ${t} *C, int64_t batch, int64_t m, int64_t n, int64_t k, ` +
    'int64_t as0, int64_t as1, int64_t as2, int64_t bs0, int64_t bs1, int64_t bs2)';
  return { f32: lib.func(sig('float', 'f32')) as MatmulFn, f64: lib.func(sig('double', 'f64')) as MatmulFn };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Seconds per call: median of >= 7 runs (and >= ~0.5 s in all) after warm-up. */
function timeIt(run: () => void): number {
  const t0 = performance.now();
  run();
  const once = Math.max((performance.now() - t0) / 1000, 1e-6);
  const warm = Math.max(2, Math.min(50, Math.ceil(0.2 / once)));
  for (let i = 0; i < warm; i++) run();
  const reps = Math.max(7, Math.min(200, Math.ceil(0.5 / once)));
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    run();
    times.push((performance.now() - t) / 1000);
  }
  return median(times);
}

function benchKiln(lib: { f32: MatmulFn; f64: MatmulFn }, s: Shape): number {
  const make = (len: number): Float32Array | Float64Array => {
    const a = s.dtype === 'f32' ? new Float32Array(len) : new Float64Array(len);
    for (let i = 0; i < len; i++) a[i] = Math.random() * 2 - 1;
    return a;
  };
  const { batch, m, n, k } = s;
  const A = make(batch * m * k);
  const B = make(batch * k * n);
  const C = s.dtype === 'f32' ? new Float32Array(batch * m * n) : new Float64Array(batch * m * n);
  const [as1, as2] = s.ta ? [1, m] : [k, 1];
  const [bs1, bs2] = s.tb ? [1, k] : [n, 1];
  const fn = lib[s.dtype];
  return timeIt(() => fn(A, B, C, batch, m, n, k, m * k, as1, as2, k * n, bs1, bs2));
}

/** The Python side: the same shapes with torch.matmul and numpy.matmul; JSON on stdout. */
const PYTHON = String.raw`
import json, sys, time
shapes = json.loads(sys.argv[1]); threads = int(sys.argv[2])
out = {"torch": None, "numpy": None, "notes": []}
def timeit(run):
    t0 = time.perf_counter(); run(); once = max(time.perf_counter() - t0, 1e-6)
    for _ in range(max(2, min(50, int(0.2 / once) + 1))): run()
    ts = []
    for _ in range(max(7, min(200, int(0.5 / once) + 1))):
        t = time.perf_counter(); run(); ts.append(time.perf_counter() - t)
    ts.sort(); return ts[len(ts) // 2]
def operands(lib, s, rand):
    a = rand((s["batch"], s["k"], s["m"]) if s.get("ta") else (s["batch"], s["m"], s["k"]))
    b = rand((s["batch"], s["n"], s["k"]) if s.get("tb") else (s["batch"], s["k"], s["n"]))
    if s.get("ta"): a = lib.swapaxes(a, 1, 2) if lib.__name__ == "numpy" else a.transpose(1, 2)
    if s.get("tb"): b = lib.swapaxes(b, 1, 2) if lib.__name__ == "numpy" else b.transpose(1, 2)
    if s["batch"] == 1: a, b = a[0], b[0]
    return a, b
try:
    import torch
    torch.set_num_threads(threads)
    res = []
    for s in shapes:
        dt = torch.float32 if s["dtype"] == "f32" else torch.float64
        a, b = operands(torch, s, lambda shp: torch.rand(shp, dtype=dt) * 2 - 1)
        res.append(timeit(lambda: torch.matmul(a, b)))
    out["torch"] = res
    out["notes"].append("torch %s, %d threads" % (torch.__version__, torch.get_num_threads()))
except ImportError as e:
    out["notes"].append("no torch: %s" % e)
try:
    import numpy as np
    rng = np.random.default_rng(0)
    res = []
    for s in shapes:
        dt = np.float32 if s["dtype"] == "f32" else np.float64
        a, b = operands(np, s, lambda shp: (rng.random(shp) * 2 - 1).astype(dt))
        res.append(timeit(lambda: np.matmul(a, b)))
    out["numpy"] = res
    out["notes"].append("numpy %s" % np.__version__)
except ImportError as e:
    out["notes"].append("no numpy: %s" % e)
print(json.dumps(out))
`;

interface PeerTimes {
  torch: number[] | null;
  numpy: number[] | null;
  notes: string[];
}

function benchPython(python: string, threads: number): PeerTimes | string {
  if (!fs.existsSync(python)) return `KILN_BENCH_PYTHON=${python} does not exist`;
  const r = spawnSync(python, ['-c', PYTHON, JSON.stringify(SHAPES), String(threads)], {
    encoding: 'utf8',
    env: { ...process.env, OMP_NUM_THREADS: String(threads) },
    maxBuffer: 1 << 24,
  });
  if (r.status !== 0) return `${python} failed: ${(r.stderr || r.error?.message || '').trim().split('\n').slice(-3).join(' | ')}`;
  try {
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as PeerTimes;
  } catch {
    return `${python} printed no result`;
  }
}

function main(): void {
  const options = parseOptions(process.argv.slice(2));
  const threads = Number(process.env.OMP_NUM_THREADS) || os.availableParallelism();
  const cfg = matmulConfig('f32', options);
  const cfg64 = matmulConfig('f64', options);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-bench-matmul-'));
  let lib;
  try {
    lib = build(options, dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log(`Kiln matmul: ${cfg.isa.bits}-bit vectors x ${cfg.isa.regs} registers, ${threads} threads`);
  console.log(`  f32 tile ${cfg.mr}x${cfg.nr} (${cfg.mr}x${cfg.nrVectors} vectors), kc ${cfg.kc}, mc ${cfg.mc}, nc ${cfg.nc}, unroll ${cfg.unroll}`);
  console.log(`  f64 tile ${cfg64.mr}x${cfg64.nr}, kc ${cfg64.kc}, mc ${cfg64.mc}, nc ${cfg64.nc}`);

  const kiln = SHAPES.map((s) => benchKiln(lib, s));
  const python = process.env.KILN_BENCH_PYTHON;
  let peers: PeerTimes | undefined;
  if (python === undefined || python === '') {
    console.log('KILN_BENCH_PYTHON is not set: skipping the PyTorch/NumPy comparison.');
  } else {
    const r = benchPython(python, threads);
    if (typeof r === 'string') console.log(`Skipping the PyTorch/NumPy comparison: ${r}`);
    else {
      peers = r;
      console.log(`Peers: ${r.notes.join('; ')}`);
    }
  }

  const gflops = (s: Shape, t: number): number => (2 * s.batch * s.m * s.n * s.k) / t / 1e9;
  const cols = ['shape', 'dtype', 'kiln GFLOP/s'];
  if (peers?.torch) cols.push('torch GFLOP/s', 'kiln/torch');
  if (peers?.numpy) cols.push('numpy GFLOP/s', 'kiln/numpy');
  const rows = SHAPES.map((s, i) => {
    const row = [s.label, s.dtype, gflops(s, kiln[i]!).toFixed(1)];
    if (peers?.torch) row.push(gflops(s, peers.torch[i]!).toFixed(1), (peers.torch[i]! / kiln[i]!).toFixed(2));
    if (peers?.numpy) row.push(gflops(s, peers.numpy[i]!).toFixed(1), (peers.numpy[i]! / kiln[i]!).toFixed(2));
    return row;
  });
  const widths = cols.map((c, j) => Math.max(c.length, ...rows.map((r) => r[j]!.length)));
  const line = (r: string[]): string => r.map((x, j) => (j === 0 ? x.padEnd(widths[j]!) : x.padStart(widths[j]!))).join('  ');
  console.log();
  console.log(line(cols));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
  if (peers) console.log('\n(ratio > 1: Kiln is faster)');
}

main();
