// Runs an executable whose buffers live in host memory (the CPU backend): kernels are native
// functions taking the buffers, control flow runs here. Scanned slices are views, not copies.
import { allocHost, type DType, type HostArray } from '../compiler/ir/dtype.ts';
import { KilnError } from '../compiler/ir/errors.ts';
import { sizeOf } from '../compiler/ir/ir.ts';
import type { ExecProgram, ExecStep } from './executable.ts';

export type KernelFn = (buffers: HostArray[]) => void;

// KILN_PROFILE=1 times every kernel launch; the totals print when the process exits.
const PROFILE = process.env.KILN_PROFILE === '1';
const profile = new Map<string, { calls: number; ms: number }>();
if (PROFILE) {
  process.on('exit', () => {
    const rows = [...profile].sort((a, b) => b[1].ms - a[1].ms);
    for (const [name, t] of rows) process.stderr.write(`${t.ms.toFixed(2).padStart(10)} ms ${String(t.calls).padStart(7)} calls  ${name}\n`);
  });
}

function view(arena: ArrayBuffer, offset: number, dtype: DType, n: number): HostArray {
  switch (dtype) {
    case 'f64':
      return new Float64Array(arena, offset, n);
    case 'f32':
    case 'f16':
    case 'bf16':
      return new Float32Array(arena, offset, n);
    case 'i32':
      return new Int32Array(arena, offset, n);
    case 'bool':
      return new Uint8Array(arena, offset, n);
    default:
      return dtype satisfies never;
  }
}

export class HostExecutor {
  private arena: ArrayBuffer | undefined;
  private readonly regions = new Map<ExecProgram, HostExecutor>();
  private readonly scratch = new Map<object, HostArray>();

  constructor(
    readonly program: ExecProgram,
    private readonly kernels: ReadonlyMap<string, KernelFn>,
  ) {
    for (const s of program.steps) if (s.kind === 'launch' && !kernels.has(s.kernel)) throw new KilnError(`executable: kernel '${s.kernel}' is missing from its library`);
  }

  private sub(p: ExecProgram): HostExecutor {
    let e = this.regions.get(p);
    if (!e) this.regions.set(p, (e = new HostExecutor(p, this.kernels)));
    return e;
  }

  /** Runs the program on `inputs` (one host array per program input); returns its outputs. */
  run(inputs: readonly HostArray[]): HostArray[] {
    const p = this.program;
    if (inputs.length !== p.inputs.length) throw new KilnError(`${p.name}: expects ${p.inputs.length} inputs, got ${inputs.length}`);
    // The arena is reused across runs: results never live in it, so nothing escapes.
    if (p.arenaBytes > 0 && !this.arena) this.arena = new ArrayBuffer(p.arenaBytes);
    const bufs: HostArray[] = p.buffers.map((b) => {
      const n = sizeOf(b.aval.shape);
      switch (b.place.kind) {
        case 'input': {
          const a = inputs[b.place.index]!;
          if (a.length !== n) throw new KilnError(`${p.name}: input ${b.place.index} has ${a.length} elements, expected ${n}`);
          return a;
        }
        case 'arena':
          return view(this.arena!, b.place.offset, b.aval.dtype, n);
        case 'fresh':
          return allocHost(b.aval.dtype, n);
        case 'scratch': {
          let a = this.scratch.get(b);
          if (!a) this.scratch.set(b, (a = allocHost(b.aval.dtype, n)));
          return a;
        }
        case 'const': {
          const a = allocHost(b.aval.dtype, n);
          if (b.place.data.length === 1) a.fill(b.place.data[0]!);
          else a.set(b.place.data);
          return a;
        }
        default:
          return b.place satisfies never;
      }
    });
    for (const s of p.steps) this.step(s, bufs);
    return p.outputs.map((o) => bufs[o]!);
  }

  private step(s: ExecStep, bufs: HostArray[]): void {
    switch (s.kind) {
      case 'launch': {
        const fn = this.kernels.get(s.kernel)!;
        if (!PROFILE) return fn(s.args.map((a) => bufs[a]!));
        const t0 = performance.now();
        fn(s.args.map((a) => bufs[a]!));
        const t = profile.get(s.kernel) ?? { calls: 0, ms: 0 };
        profile.set(s.kernel, { calls: t.calls + 1, ms: t.ms + performance.now() - t0 });
        return;
      }
      case 'copy':
        bufs[s.to]!.set(bufs[s.from]!);
        return;
      case 'cond': {
        const n = s.branches.length;
        const i = Math.min(Math.max(bufs[s.index]![0]!, 0), n - 1);
        const outs = this.sub(s.branches[i]!).run(s.operands.map((o) => bufs[o]!));
        s.results.forEach((r, j) => bufs[r]!.set(outs[j]!));
        return;
      }
      case 'while': {
        const cond = this.sub(s.cond), body = this.sub(s.body);
        const cc = s.condConsts.map((c) => bufs[c]!), bc = s.bodyConsts.map((c) => bufs[c]!);
        let carry = s.init.map((c) => bufs[c]!);
        while (cond.run([...cc, ...carry])[0]![0]) carry = body.run([...bc, ...carry]);
        s.results.forEach((r, j) => bufs[r]!.set(carry[j]!));
        return;
      }
      case 'scan': {
        const body = this.sub(s.body);
        const consts = s.consts.map((c) => bufs[c]!);
        let carry = s.init.map((c) => bufs[c]!);
        const nk = s.init.length;
        const xs = s.xs.map((x) => bufs[x]!);
        const xLen = xs.map((x) => x.length / Math.max(s.length, 1));
        const ys = s.results.slice(nk).map((r) => bufs[r]!);
        const yLen = ys.map((y) => y.length / Math.max(s.length, 1));
        for (let step = 0; step < s.length; step++) {
          const i = s.reverse ? s.length - 1 - step : step;
          const slices = xs.map((x, j) => x.subarray(i * xLen[j]!, (i + 1) * xLen[j]!));
          const outs = body.run([...consts, ...carry, ...slices]);
          carry = outs.slice(0, nk);
          outs.slice(nk).forEach((y, j) => ys[j]!.set(y, i * yLen[j]!));
        }
        s.results.slice(0, nk).forEach((r, j) => bufs[r]!.set(carry[j]!));
        return;
      }
      default:
        return s satisfies never;
    }
  }
}
