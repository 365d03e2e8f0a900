// Kiln's side of `kiln bench`: the workloads timed the same way as bench/peers.py does for
// PyTorch and JAX (median of repeated runs after warm-up), on one device.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as k from '../index.ts';

type T = k.Tensor;

export interface KilnResults {
  device: string;
  sizes: { ew: number; mm: number };
  copy_ms: number;
  ew_ms: number;
  ew_kernels: number;
  sum_ms: number;
  matmul_ms: number;
  mlp_step_ms: number;
  mlp_kernels: number;
  mlp_peak_bytes: number;
  compile_cold_ms: number;
  compile_cached_ms: number;
}

export function medianMs(fn: () => void, warmup = 3, runs = 15): number {
  for (let i = 0; i < warmup; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1]!;
}

/** The MLP of the book's chapter 4: 784 -> 256 (ReLU) -> 10, softmax cross-entropy, SGD. */
export function mlpStep(params: Record<string, T>, x: T, y: T, lr: number): Record<string, T> {
  const loss = (p: Record<string, T>) => {
    const h = x.matmul(p.w1!).add(p.b1!).relu();
    const logits = h.matmul(p.w2!).add(p.b2!);
    const lse = logits.logsumexp({ axis: 1 });
    const picked = k.takeAlongAxis(logits, y.reshape([-1, 1]), 1).reshape([-1]);
    return lse.sub(picked).mean();
  };
  const g = k.grad(loss)(params) as Record<string, T>;
  return Object.fromEntries(Object.entries(params).map(([n, w]) => [n, w.sub(g[n]!.mul(lr))]));
}

export function mlpData(dev: string) {
  const [k1, k2, k3, k4] = k.random.split(k.random.key(0), 4) as [T, T, T, T];
  const params = {
    w1: k.random.normal(k1, [784, 256], { std: 0.01 }).to(dev),
    b1: k.zeros([256]).to(dev),
    w2: k.random.normal(k2, [256, 10], { std: 0.01 }).to(dev),
    b2: k.zeros([10]).to(dev),
  };
  const x = k.random.normal(k3, [256, 784]).to(dev);
  const y = k.random.randint(k4, [256], 0, 10).to(dev);
  return { params, x, y };
}

/** Runs the workloads on `dev` ('cpu' or 'interp'); `quick` uses smaller sizes. */
export function runKiln(dev: string, quick: boolean): KilnResults {
  const sizes = { ew: 1 << (quick ? 22 : 24), mm: quick ? 512 : 1024 };
  const x = k.random.normal(k.random.key(1), [sizes.ew]).to(dev);
  const xh = x.data() as Float32Array;
  const dst = new Float32Array(xh.length);
  // A plain copy (memcpy of the same bytes) is the bandwidth baseline.
  const copy_ms = medianMs(() => dst.set(xh));
  const ew = k.jit((v: T) => v.mul(2).add(1).relu().mul(v.sigmoid()).sub(v.tanh()), { device: dev });
  ew(x);
  const ew_ms = medianMs(() => ew(x));
  const total = k.jit((v: T) => v.sum(), { device: dev });
  const sum_ms = medianMs(() => total(x));
  const a = k.random.normal(k.random.key(2), [sizes.mm, sizes.mm]).to(dev);
  const b = k.random.normal(k.random.key(3), [sizes.mm, sizes.mm]).to(dev);
  const mm = k.jit((p: T, q: T) => p.matmul(q), { device: dev });
  const matmul_ms = medianMs(() => mm(a, b), 2, 9);

  // Compile times: cold in an empty cache folder, then cached (a new jit, same folder).
  const { params, x: xb, y } = mlpData(dev);
  const cacheDir = mkdtempSync(path.join(tmpdir(), 'kiln-bench-cache-'));
  const saved = process.env.KILN_CACHE_DIR;
  process.env.KILN_CACHE_DIR = cacheDir;
  let compile_cold_ms: number, compile_cached_ms: number;
  let step: k.Jitted<[Record<string, T>, T, T, number], Record<string, T>>;
  try {
    const cold = k.jit(mlpStep, { device: dev, staticArgnums: [3] });
    cold(params, xb, y, 0.1);
    compile_cold_ms = cold.stats().compileMs;
    step = k.jit(mlpStep, { device: dev, staticArgnums: [3], donateArgnums: [0] });
    step(mlpData(dev).params, xb, y, 0.1);
    compile_cached_ms = step.stats().compileMs;
  } finally {
    if (saved === undefined) delete process.env.KILN_CACHE_DIR;
    else process.env.KILN_CACHE_DIR = saved;
    rmSync(cacheDir, { recursive: true, force: true });
  }
  let p: Record<string, T> = mlpData(dev).params;
  const mlp_step_ms = medianMs(() => {
    p = step(p, xb, y, 0.1);
  }, 5, 50);
  return {
    device: dev,
    sizes,
    copy_ms,
    ew_ms,
    ew_kernels: ew.stats().kernels,
    sum_ms,
    matmul_ms,
    mlp_step_ms,
    mlp_kernels: step.stats().kernels,
    mlp_peak_bytes: step.stats().peakBytes,
    compile_cold_ms,
    compile_cached_ms,
  };
}

export interface EpochResults {
  softmax_examples_per_s: number;
  mlp_examples_per_s: number;
}

/**
 * One epoch of the book's softmax regression and MLP on Fashion-MNIST (batch 256, lr 0.1,
 * shuffled), timed after a warm-up epoch compiled the step: examples per second.
 */
export function runEpochs(dev: string): EpochResults {
  const data = k.data.loadFashionMnist();
  const { nn, optim, losses } = k;
  const epochRate = (net: k.nn.Module) => {
    net.to(dev);
    const opt = optim.sgd({ lr: 0.1 });
    const step = optim.trainStep(net, losses.crossEntropy, opt, { device: dev });
    let params = net.paramTree();
    let state = opt.init(params);
    const run = (epoch: number) => {
      let n = 0;
      const loader = data.trainLoader(256, { key: k.random.foldIn(k.random.key(0), epoch) });
      for (const [x, y] of loader) {
        const r = step(params, state, x.to(dev), y.to(dev));
        params = r.params;
        state = r.state;
        n += x.shape[0]!;
      }
      return n;
    };
    run(0);
    const t0 = performance.now();
    const n = run(1);
    return n / ((performance.now() - t0) / 1000);
  };
  const softmax = new nn.Sequential(new nn.Flatten(), new nn.Linear(784, 10));
  const mlp = new nn.Sequential(new nn.Flatten(), new nn.Linear(784, 256), new nn.ReLU(), new nn.Linear(256, 10));
  return { softmax_examples_per_s: epochRate(softmax), mlp_examples_per_s: epochRate(mlp) };
}
