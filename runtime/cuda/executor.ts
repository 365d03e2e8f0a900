// Runs an executable whose buffers live in GPU memory: kernels are launched in order on the
// context's one stream; control flow runs on the host (it reads a cond's index or a while's
// predicate back, which waits for the kernels before it). The semantics are host-executor.ts's
// step for step; what differs is memory:
//   - input buffers are the caller's device pointers; 'arena' buffers are offsets into one
//     block per executor (reused across runs); 'scratch' blocks are kept per buffer; 'const'
//     data is uploaded once; 'fresh' blocks come from the pool per run;
//   - scanned xs slices are pointers at an offset, not copies (as the host's views);
//   - region runs return fresh blocks that this executor frees once their values are copied
//     out or replaced (loop carries), so long loops do not grow the pool.
import { allocHost, type HostArray } from '../../compiler/ir/dtype.ts';
import { KilnError } from '../../compiler/ir/errors.ts';
import { sizeOf } from '../../compiler/ir/ir.ts';
import type { CudaModule, ExecBuffer, ExecProgram, ExecStep } from '../executable.ts';
import { cudaContext, type CudaContext } from './context.ts';
import type { DevicePtr } from './driver-api.ts';
import { storageBytes } from './memory.ts';
import type { LoadedModule } from './module.ts';

/** Results of a run on device memory. */
export interface DeviceRun {
  readonly outputs: readonly DevicePtr[];
  /**
   * Per output: a new pool block that the caller now owns (and frees through the context's
   * allocator); otherwise the output is one of the input pointers (a passed-through or
   * donated input), owned by whoever owned that input.
   */
  readonly fresh: readonly boolean[];
}

const bytesOf = (b: ExecBuffer): number => sizeOf(b.aval.shape) * storageBytes(b.aval.dtype);

export interface ExecutorOptions {
  /** A while loop running more iterations than this throws (a check against kernels gone wrong). */
  readonly maxWhileIterations?: number;
}

export class CudaExecutor {
  private arena: DevicePtr | undefined;
  private readonly regions = new Map<ExecProgram, CudaExecutor>();
  private readonly kept = new Map<ExecBuffer, DevicePtr>();

  constructor(
    readonly context: CudaContext,
    readonly program: ExecProgram,
    private readonly module: LoadedModule,
    private readonly opts: ExecutorOptions = {},
  ) {
    for (const s of program.steps) if (s.kind === 'launch') module.kernel(s.kernel);
  }

  private sub(p: ExecProgram): CudaExecutor {
    let e = this.regions.get(p);
    if (!e) this.regions.set(p, (e = new CudaExecutor(this.context, p, this.module, this.opts)));
    return e;
  }

  /** Scratch and const blocks: made on first use, kept for the executor's life. */
  private keptBlock(b: ExecBuffer): DevicePtr {
    let ptr = this.kept.get(b);
    if (ptr !== undefined) return ptr;
    if (b.place.kind === 'const') {
      const host = allocHost(b.aval.dtype, sizeOf(b.aval.shape));
      if (b.place.data.length === 1) host.fill(b.place.data[0]!);
      else host.set(b.place.data);
      ptr = this.context.upload(host);
    } else {
      ptr = this.context.memory.alloc(bytesOf(b));
    }
    this.kept.set(b, ptr);
    return ptr;
  }

  /** Frees the arena and kept blocks (also of regions); the executor may run again after. */
  dispose(): void {
    const mem = this.context.memory;
    if (this.arena !== undefined) mem.dealloc(this.arena);
    this.arena = undefined;
    for (const p of this.kept.values()) mem.dealloc(p);
    this.kept.clear();
    for (const r of this.regions.values()) r.dispose();
  }

  /** Runs the program on device `inputs` (one pointer per program input). */
  run(inputs: readonly DevicePtr[]): DeviceRun {
    const p = this.program;
    const mem = this.context.memory;
    if (inputs.length !== p.inputs.length) throw new KilnError(`${p.name}: expects ${p.inputs.length} inputs, got ${inputs.length}`);
    if (p.arenaBytes > 0 && this.arena === undefined) this.arena = mem.alloc(p.arenaBytes);
    const fresh = new Set<number>();
    const bufs: DevicePtr[] = p.buffers.map((b, i) => {
      switch (b.place.kind) {
        case 'input':
          return inputs[b.place.index]!;
        case 'arena':
          return this.arena! + BigInt(b.place.offset);
        case 'fresh':
          fresh.add(i);
          return mem.alloc(bytesOf(b));
        case 'scratch':
        case 'const':
          return this.keptBlock(b);
        default:
          return b.place satisfies never;
      }
    });
    try {
      for (const s of p.steps) this.step(s, bufs);
    } catch (e) {
      for (const i of fresh) mem.dealloc(bufs[i]!);
      throw e;
    }
    // Outputs: fresh blocks go to the caller once each; inputs pass through; anything else
    // (arena, scratch, const: kept by this executor) and repeats are copied to new blocks.
    const given = new Set<number>();
    const outFresh: boolean[] = [];
    const outputs = p.outputs.map((o) => {
      const b = p.buffers[o]!;
      if (fresh.has(o) && !given.has(o)) {
        given.add(o);
        outFresh.push(true);
        return bufs[o]!;
      }
      if (b.place.kind === 'input') {
        outFresh.push(false);
        return bufs[o]!;
      }
      const copy = mem.alloc(bytesOf(b));
      this.context.driver.copyDtoD(copy, bufs[o]!, bytesOf(b));
      outFresh.push(true);
      return copy;
    });
    for (const i of fresh) if (!given.has(i)) mem.dealloc(bufs[i]!);
    return { outputs, fresh: outFresh };
  }

  private launch(kernel: string, args: readonly DevicePtr[]): void {
    const k = this.module.kernel(kernel);
    this.context.driver.launch(k.fn, k.launch.grid, k.launch.block, k.launch.sharedBytes, this.context.stream, args);
  }

  /** Element 0 of buffer `i` of `p` at `ptr`, read back to the host (waits for the stream). */
  private readScalar(p: ExecProgram, i: number, ptr: DevicePtr): number {
    return this.context.download(ptr, p.buffers[i]!.aval.dtype, 1)[0]!;
  }

  private copyInto(p: ExecProgram, to: number, dst: DevicePtr, src: DevicePtr): void {
    if (dst !== src) this.context.driver.copyDtoD(dst, src, bytesOf(p.buffers[to]!));
  }

  private freeFresh(r: DeviceRun, keep: ReadonlySet<DevicePtr> = new Set()): void {
    r.outputs.forEach((o, j) => r.fresh[j] && !keep.has(o) && this.context.memory.dealloc(o));
  }

  private step(s: ExecStep, bufs: DevicePtr[]): void {
    const p = this.program;
    switch (s.kind) {
      case 'launch':
        return this.launch(s.kernel, s.args.map((a) => bufs[a]!));
      case 'copy':
        return this.copyInto(p, s.to, bufs[s.to]!, bufs[s.from]!);
      case 'cond': {
        const n = s.branches.length;
        const i = Math.min(Math.max(this.readScalar(p, s.index, bufs[s.index]!), 0), n - 1);
        const r = this.sub(s.branches[i]!).run(s.operands.map((o) => bufs[o]!));
        s.results.forEach((res, j) => this.copyInto(p, res, bufs[res]!, r.outputs[j]!));
        this.freeFresh(r);
        return;
      }
      case 'while': {
        const cond = this.sub(s.cond), body = this.sub(s.body);
        const cc = s.condConsts.map((c) => bufs[c]!), bc = s.bodyConsts.map((c) => bufs[c]!);
        let carry = new Carry(s.init.map((c) => bufs[c]!), this.context);
        const limit = this.opts.maxWhileIterations ?? Infinity;
        for (let iter = 0; ; iter++) {
          if (iter >= limit) {
            carry.free();
            throw new KilnError(`${p.name}: a while loop ran more than ${limit} iterations`);
          }
          const c = cond.run([...cc, ...carry.ptrs]);
          const go = this.readScalar(s.cond, s.cond.outputs[0]!, c.outputs[0]!);
          this.freeFresh(c);
          if (!go) break;
          carry = carry.next(body.run([...bc, ...carry.ptrs]), carry.ptrs.length);
        }
        s.results.forEach((res, j) => this.copyInto(p, res, bufs[res]!, carry.ptrs[j]!));
        carry.free();
        return;
      }
      case 'scan': {
        const body = this.sub(s.body);
        const consts = s.consts.map((c) => bufs[c]!);
        const nk = s.init.length;
        let carry = new Carry(s.init.map((c) => bufs[c]!), this.context);
        const steps = Math.max(s.length, 1);
        const xStep = s.xs.map((x) => bytesOf(p.buffers[x]!) / steps);
        const ys = s.results.slice(nk);
        const yStep = ys.map((y) => bytesOf(p.buffers[y]!) / steps);
        for (let step = 0; step < s.length; step++) {
          const i = s.reverse ? s.length - 1 - step : step;
          const slices = s.xs.map((x, j) => bufs[x]! + BigInt(i * xStep[j]!));
          const r = body.run([...consts, ...carry.ptrs, ...slices]);
          // ys first: a y may be an old carry that next() frees.
          ys.forEach((y, j) => this.context.driver.copyDtoD(bufs[y]! + BigInt(i * yStep[j]!), r.outputs[nk + j]!, yStep[j]!));
          carry = carry.next(r, nk);
        }
        s.results.slice(0, nk).forEach((res, j) => this.copyInto(p, res, bufs[res]!, carry.ptrs[j]!));
        carry.free();
        return;
      }
      default:
        return s satisfies never;
    }
  }
}

/** A loop's carried values, each either borrowed (the loop's inputs) or a block it owns. */
class Carry {
  constructor(
    readonly ptrs: readonly DevicePtr[],
    private readonly context: CudaContext,
    private readonly owned: ReadonlySet<DevicePtr> = new Set(),
  ) {}

  /**
   * The carry after a body run whose first `nk` outputs are the new carry: it owns the run's
   * fresh blocks and those of its own it passed through (a block reached twice is copied, so
   * each has one owner); the run's other fresh outputs and the old blocks not carried on are freed.
   */
  next(r: DeviceRun, nk: number): Carry {
    const mem = this.context.memory;
    const owned = new Set<DevicePtr>();
    const ptrs = r.outputs.slice(0, nk).map((o, j) => {
      if (!r.fresh[j] && !this.owned.has(o)) return o;
      if (!owned.has(o)) {
        owned.add(o);
        return o;
      }
      const bytes = this.sizeOfBlock(o);
      const copy = mem.alloc(bytes);
      this.context.driver.copyDtoD(copy, o, bytes);
      owned.add(copy);
      return copy;
    });
    r.outputs.forEach((o, j) => j >= nk && r.fresh[j] && !owned.has(o) && mem.dealloc(o));
    for (const o of this.owned) if (!owned.has(o)) mem.dealloc(o);
    return new Carry(ptrs, this.context, owned);
  }

  private sizeOfBlock(ptr: DevicePtr): number {
    const size = this.context.memory.sizeOf(ptr);
    if (size === undefined) throw new KilnError(`cuda: loop carry at 0x${ptr.toString(16)} is not a pool block`);
    return size;
  }

  free(): void {
    for (const o of this.owned) this.context.memory.dealloc(o);
  }
}

/** Runs the programs of one CUDA compilation (an artifact's entries, or one jit function). */
export interface CudaRunner {
  readonly context: CudaContext;
  readonly programs: readonly ExecProgram[];
  /** Copies `inputs` to the device, runs program `programIndex`, waits, copies the outputs back. */
  run(programIndex: number, inputs: readonly HostArray[]): HostArray[];
  /** Runs on device memory: inputs and outputs stay on the GPU (see DeviceRun for ownership). */
  runDevice(programIndex: number, inputs: readonly DevicePtr[]): DeviceRun;
  /** Frees the caller-owned outputs of a runDevice result. */
  release(run: DeviceRun): void;
  /** Frees the memory the programs keep between runs (arenas, scratch, constants). */
  dispose(): void;
}

/** Loads `module` into the process's CUDA context (or `context`) and prepares `programs`. */
export function createCudaRunner(module: CudaModule, programs: readonly ExecProgram[], context: CudaContext = cudaContext(), opts: ExecutorOptions = {}): CudaRunner {
  const loaded = context.load(module);
  const execs = programs.map((p) => new CudaExecutor(context, p, loaded, opts));
  const exec = (i: number): CudaExecutor => {
    const e = execs[i];
    if (!e) throw new KilnError(`cuda: no program ${i} (this module has ${execs.length})`);
    return e;
  };
  const release = (r: DeviceRun) => r.outputs.forEach((o, j) => r.fresh[j] && context.memory.dealloc(o));
  return {
    context,
    programs,
    runDevice: (i, inputs) => exec(i).run(inputs),
    release,
    dispose: () => execs.forEach((e) => e.dispose()),
    run(i, inputs) {
      const p = exec(i).program;
      if (inputs.length !== p.inputs.length) throw new KilnError(`${p.name}: expects ${p.inputs.length} inputs, got ${inputs.length}`);
      inputs.forEach((a, j) => {
        const n = sizeOf(p.buffers[p.inputs[j]!]!.aval.shape);
        if (a.length !== n) throw new KilnError(`${p.name}: input ${j} has ${a.length} elements, expected ${n}`);
      });
      const ptrs = inputs.map((a) => context.upload(a));
      try {
        const r = exec(i).run(ptrs);
        const outs = p.outputs.map((o, j) => {
          const b = p.buffers[o]!;
          return context.download(r.outputs[j]!, b.aval.dtype, sizeOf(b.aval.shape));
        });
        release(r);
        return outs;
      } finally {
        for (const q of ptrs) context.memory.dealloc(q);
      }
    },
  };
}
