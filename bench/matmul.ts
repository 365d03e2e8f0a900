// Throughput of Kiln's CPU matmul kernel (compiler/codegen/llvm/matmul.ts), against PyTorch and
// NumPy in the same run when a Python with them is named by KILN_BENCH_PYTHON.
//
//   npx tsx bench/matmul.ts                                # Kiln only
//   KILN_BENCH_PYTHON=/path/to/venv/bin/python npx tsx bench/matmul.ts
//   npx tsx bench/matmul.ts --mr 8 --nrv 2 --kc 256 --mc 128 --nc 2048 --unroll 4   # tuning
//
// Every shape is timed as the median of several runs after warm-up runs, in GFLOP/s (2mnk
// flops per product), by Kiln and the peers back to back, in three rounds (the best median
// counts), so that load from other processes hits both sides alike. The kernel is compiled as the CPU backend does: opt-14 -O3, llc-14 -O3
// -mcpu=native, linked with libgomp; all cores are used (OMP_NUM_THREADS to change that; the
// Python side is told the same thread count).
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
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

/** Rounds of (Kiln, peers) per shape; the best median of each side counts. */
const ROUNDS = 3;

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

/**
 * The Python side, a server so that each shape is timed by Kiln and by the peers back to back
 * (this machine may be shared, and load that comes and goes would otherwise favour one side):
 * reads a shape index per line, answers one JSON line {torch, numpy} of seconds (null where
 * that library is missing). The first line it prints describes the libraries.
 */
const PYTHON = String.raw`
import json, sys, time
shapes = json.loads(sys.argv[1]); threads = int(sys.argv[2])
libs = {}
notes = []
try:
    import torch
    torch.set_num_threads(threads)
    libs["torch"] = torch
    notes.append("torch %s (%d threads)" % (torch.__version__, torch.get_num_threads()))
except ImportError as e:
    notes.append("no torch (%s)" % e)
try:
    import numpy as np
    libs["numpy"] = np
    notes.append("numpy %s" % np.__version__)
except ImportError as e:
    notes.append("no numpy (%s)" % e)
print(json.dumps({"notes": notes}), flush=True)
def timeit(run):
    t0 = time.perf_counter(); run(); once = max(time.perf_counter() - t0, 1e-6)
    for _ in range(max(2, min(50, int(0.2 / once) + 1))): run()
    ts = []
    for _ in range(max(7, min(200, int(0.5 / once) + 1))):
        t = time.perf_counter(); run(); ts.append(time.perf_counter() - t)
    ts.sort(); return ts[len(ts) // 2]
def operands(name, s):
    lib = libs[name]
    f64 = s["dtype"] == "f64"
    if name == "torch":
        rand = lambda shp: torch.rand(shp, dtype=torch.float64 if f64 else torch.float32) * 2 - 1
        tr = lambda x: x.transpose(1, 2)
    else:
        rng = np.random.default_rng(0)
        rand = lambda shp: (rng.random(shp) * 2 - 1).astype(np.float64 if f64 else np.float32)
        tr = lambda x: np.swapaxes(x, 1, 2)
    a = tr(rand((s["batch"], s["k"], s["m"]))) if s.get("ta") else rand((s["batch"], s["m"], s["k"]))
    b = tr(rand((s["batch"], s["n"], s["k"]))) if s.get("tb") else rand((s["batch"], s["k"], s["n"]))
    if s["batch"] == 1: a, b = a[0], b[0]
    return a, b
for line in sys.stdin:
    s = shapes[int(line)]
    out = {}
    for name in ("torch", "numpy"):
        if name in libs:
            a, b = operands(name, s)
            out[name] = timeit(lambda: libs[name].matmul(a, b))
            del a, b
        else:
            out[name] = None
    print(json.dumps(out), flush=True)
`;

interface PeerTimes {
  torch: number | null;
  numpy: number | null;
}

/** A running Python peer: ask(i) times shape i there. */
interface Peer {
  notes: string[];
  ask(i: number): Promise<PeerTimes>;
  close(): void;
}

async function startPython(python: string, threads: number): Promise<Peer | string> {
  if (!fs.existsSync(python)) return `KILN_BENCH_PYTHON=${python} does not exist`;
  const child = spawn(python, ['-c', PYTHON, JSON.stringify(SHAPES), String(threads)], {
    env: { ...process.env, OMP_NUM_THREADS: String(threads) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<unknown> => {
    const r = await lines.next();
    if (r.done) throw new Error(`${python} exited: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
    return JSON.parse(r.value);
  };
  try {
    const hello = (await next()) as { notes: string[] };
    return {
      notes: hello.notes,
      ask: async (i) => {
        child.stdin.write(`${i}\n`);
        return (await next()) as PeerTimes;
      },
      close: () => child.stdin.end(),
    };
  } catch (e) {
    child.kill();
    return (e as Error).message;
  }
}

async function main(): Promise<void> {
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

  const python = process.env.KILN_BENCH_PYTHON;
  let peer: Peer | undefined;
  if (python === undefined || python === '') {
    console.log('KILN_BENCH_PYTHON is not set: skipping the PyTorch/NumPy comparison.');
  } else {
    const r = await startPython(python, threads);
    if (typeof r === 'string') console.log(`Skipping the PyTorch/NumPy comparison: ${r}`);
    else {
      peer = r;
      console.log(`Peers: ${r.notes.join(', ')}`);
    }
  }
  const load = os.loadavg()[0]!;
  console.log(`Load average before: ${load.toFixed(2)} on ${os.availableParallelism()} CPUs${load > 0.5 ? ' (a loaded machine: timings are noisy)' : ''}`);

  // Each shape: Kiln, then the peers, ROUNDS times over; the best median counts.
  const kiln: number[] = [];
  const torch: (number | null)[] = [];
  const numpy: (number | null)[] = [];
  for (const [i, s] of SHAPES.entries()) {
    let best: { kiln: number; torch: number | null; numpy: number | null } | undefined;
    for (let round = 0; round < ROUNDS; round++) {
      const k = benchKiln(lib, s);
      const p = peer ? await peer.ask(i) : { torch: null, numpy: null };
      const min = (a: number | null, b: number | null | undefined): number | null => (a === null ? (b ?? null) : b == null ? a : Math.min(a, b));
      best = { kiln: Math.min(k, best?.kiln ?? Infinity), torch: min(p.torch, best?.torch), numpy: min(p.numpy, best?.numpy) };
    }
    kiln.push(best!.kiln);
    torch.push(best!.torch);
    numpy.push(best!.numpy);
  }
  peer?.close();
  console.log(`Load average after: ${os.loadavg()[0]!.toFixed(2)}`);

  const gflops = (s: Shape, t: number): number => (2 * s.batch * s.m * s.n * s.k) / t / 1e9;
  const hasTorch = torch.every((t) => t !== null);
  const hasNumpy = numpy.every((t) => t !== null);
  const cols = ['shape', 'dtype', 'kiln GFLOP/s'];
  if (hasTorch) cols.push('torch GFLOP/s', 'kiln/torch');
  if (hasNumpy) cols.push('numpy GFLOP/s', 'kiln/numpy');
  const rows = SHAPES.map((s, i) => {
    const row = [s.label, s.dtype, gflops(s, kiln[i]!).toFixed(1)];
    if (hasTorch) row.push(gflops(s, torch[i]!).toFixed(1), (torch[i]! / kiln[i]!).toFixed(2));
    if (hasNumpy) row.push(gflops(s, numpy[i]!).toFixed(1), (numpy[i]! / kiln[i]!).toFixed(2));
    return row;
  });
  const widths = cols.map((c, j) => Math.max(c.length, ...rows.map((r) => r[j]!.length)));
  const line = (r: string[]): string => r.map((x, j) => (j === 0 ? x.padEnd(widths[j]!) : x.padStart(widths[j]!))).join('  ');
  console.log();
  console.log(line(cols));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
  if (hasTorch || hasNumpy) console.log('\n(ratio > 1: Kiln is faster)');
}

await main();
