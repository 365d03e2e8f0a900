// `kiln bench`: times Kiln's workloads and, in the same run, the same workloads in PyTorch
// and JAX when a Python with them is available, and prints one table with the ratios.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { parseCommandArgs, UsageError, type Command } from './command.ts';
import { REPO_ROOT } from './paths.ts';

interface PeerResults {
  version?: string;
  error?: string;
  copy_ms?: number;
  ew_ms?: number;
  sum_ms?: number;
  matmul_ms?: number;
  mlp_step_ms?: number;
  softmax_examples_per_s?: number;
  mlp_examples_per_s?: number;
}

function runPeers(python: string, quick: boolean, epochs: boolean): { torch?: PeerResults; jax?: PeerResults; note?: string } {
  try {
    const out = execFileSync(python, [path.join(REPO_ROOT, 'bench', 'peers.py'), ...(quick ? ['--quick'] : []), ...(epochs ? ['--epochs'] : [])], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 600_000,
    });
    return JSON.parse(out.trim().split('\n').pop()!) as { torch?: PeerResults; jax?: PeerResults };
  } catch (e) {
    return { note: `peers not run (${python}: ${(e as Error).message.split('\n')[0]})` };
  }
}

const fmt = (x: number | undefined, digits = 2) => (x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(digits));

export const benchCommand: Command = {
  name: 'bench',
  summary: 'time Kiln against PyTorch and JAX on the same machine and print a table',
  usage: ['kiln bench [--device cpu|vulkan|interp] [--quick] [--no-epochs] [--python <python>]'],
  details: [
    'Runs, on one device: a plain copy (memcpy of the bytes, the bandwidth baseline), a fused',
    'chain of elementwise ops, a sum reduction, a square f32 matmul, and the training step of',
    "the book's MLP (batch 256, 784 -> 256 -> 10, ReLU, softmax cross-entropy, SGD), with its",
    'compile time cold (empty cache) and cached and its kernel count; then one epoch of softmax',
    'regression and of the MLP on Fashion-MNIST (examples per second, after a warm-up epoch).',
    'Each figure is the median of repeated runs after warm-up.',
    '',
    'With --python (or KILN_BENCH_PYTHON) naming a Python that has torch and jax, the same',
    'workloads run there in the same invocation (bench/peers.py: PyTorch eager, JAX jit) and',
    'the table shows the ratios.',
    '',
    'Options:',
    '  --device <d>     the device to run Kiln on (default: the default device)',
    '  --quick          smaller sizes (16 MiB instead of 64 MiB, 512^2 instead of 1024^2)',
    '  --no-epochs      skip the Fashion-MNIST epochs',
    '  --python <py>    the Python for the peers (default: $KILN_BENCH_PYTHON; none: skip)',
  ].join('\n'),
  examples: [
    { comment: 'Kiln alone', command: 'kiln bench' },
    { comment: 'against PyTorch and JAX from a virtual environment', command: 'kiln bench --python ~/venvs/peers/bin/python' },
  ],
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(
      argv,
      { device: { type: 'string' }, quick: { type: 'boolean' }, 'no-epochs': { type: 'boolean' }, python: { type: 'string' } },
      'bench',
    );
    if (positionals.length) throw new UsageError(`unexpected argument ${positionals[0]}`, 'bench');
    const k = await import('../index.ts');
    const { runKiln, runEpochs } = await import('../bench/workloads.ts');
    const dev = values.device ?? String(k.defaultDevice()).split(':')[0]!;
    const quick = values.quick ?? false;
    io.err(`kiln bench: running on ${dev}${quick ? ' (quick)' : ''}...\n`);
    const r = runKiln(dev, quick);
    const epochs = !values['no-epochs'];
    const ep = epochs ? runEpochs(dev) : undefined;
    const python = values.python ?? process.env.KILN_BENCH_PYTHON;
    const peers = python ? runPeers(python, quick, epochs) : { note: 'peers not run (set --python or KILN_BENCH_PYTHON)' };
    const torch = peers.torch, jax = peers.jax;
    const mb = (r.sizes.ew * 4) / 1e6;
    // Megabytes per millisecond are gigabytes per second.
    const gbs = (ms: number | undefined, megabytes: number) => (ms === undefined ? undefined : megabytes / ms);
    const gflops = (ms: number | undefined) => (ms === undefined ? undefined : (2 * r.sizes.mm ** 3) / 1e6 / ms);
    const rows: [string, number | undefined, number | undefined, number | undefined, boolean][] = [
      [`copy ${fmt(mb, 0)} MB (GB/s)`, gbs(r.copy_ms, 2 * mb), gbs(torch?.copy_ms, 2 * mb), gbs(jax?.copy_ms, 2 * mb), true],
      [`fused elementwise chain (GB/s)`, gbs(r.ew_ms, 2 * mb), gbs(torch?.ew_ms, 2 * mb), gbs(jax?.ew_ms, 2 * mb), true],
      [`sum reduction (GB/s)`, gbs(r.sum_ms, mb), gbs(torch?.sum_ms, mb), gbs(jax?.sum_ms, mb), true],
      [`matmul ${r.sizes.mm}^2 f32 (GFLOP/s)`, gflops(r.matmul_ms), gflops(torch?.matmul_ms), gflops(jax?.matmul_ms), true],
      [`MLP training step (ms)`, r.mlp_step_ms, torch?.mlp_step_ms, jax?.mlp_step_ms, false],
      ...(ep
        ? ([
            [`softmax regression epoch (ex/s)`, ep.softmax_examples_per_s, torch?.softmax_examples_per_s, undefined, true],
            [`MLP epoch (ex/s)`, ep.mlp_examples_per_s, torch?.mlp_examples_per_s, undefined, true],
          ] as [string, number | undefined, number | undefined, number | undefined, boolean][])
        : []),
    ];
    const lines = [
      `${'workload'.padEnd(34)}${'kiln'.padStart(10)}${'torch'.padStart(10)}${'jax'.padStart(10)}${'kiln/torch'.padStart(12)}${'kiln/jax'.padStart(10)}`,
      ...rows.map(([name, kv, tv, jv, higherBetter]) => {
        const ratio = (peer: number | undefined) => {
          if (kv === undefined || peer === undefined) return '-';
          return `${fmt(higherBetter ? kv / peer : peer / kv)}x`;
        };
        return `${name.padEnd(34)}${fmt(kv).padStart(10)}${fmt(tv).padStart(10)}${fmt(jv).padStart(10)}${ratio(tv).padStart(12)}${ratio(jv).padStart(10)}`;
      }),
      '',
      `MLP step: ${r.mlp_kernels} kernels, peak memory ${fmt(r.mlp_peak_bytes / 1e6)} MB, compile ${fmt(r.compile_cold_ms, 0)} ms cold / ${fmt(r.compile_cached_ms, 0)} ms cached`,
      `elementwise chain: ${r.ew_kernels} kernel(s); device ${r.device}; a ratio above 1 means Kiln is faster`,
      ...(peers.note ? [peers.note] : [`torch ${torch?.version ?? torch?.error}, jax ${jax?.version ?? jax?.error}`]),
    ];
    io.out(lines.join('\n') + '\n');
  },
};
