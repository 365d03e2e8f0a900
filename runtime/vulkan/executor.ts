// Runs an ExecProgram on a Vulkan device. Every buffer of the program is a Vulkan buffer (one
// allocation per program, kept across runs); a launch step records its kernel's dispatches
// with one descriptor set made once. Host steps: `scan` is recorded whole (its length is
// static), copying slices of xs in and ys out; `cond` and `while` read their predicate back
// (a submission and a wait), so launches are batched into one command buffer between host
// decisions. A region program gets its inputs by copies into its own buffers.
import { allocHost, type DType, type HostArray } from '../../compiler/ir/dtype.ts';
import { KilnError } from '../../compiler/ir/errors.ts';
import { sizeOf } from '../../compiler/ir/ir.ts';
import type { ExecBuffer, ExecProgram, ExecStep, VulkanKernel, VulkanStorage } from '../executable.ts';
import { VK, type Handle } from './api.ts';
import { check, VulkanLimitError } from './errors.ts';
import { MemoryBlock, type GpuBuffer } from './memory.ts';
import type { PipelineCache } from './pipelines.ts';
import { bytesOf, Recorder } from './recorder.ts';

/** Bytes of `n` elements of `d` in a Vulkan buffer (Kiln's host layout). */
export function dataBytes(d: DType, n: number): number {
  return d === 'f64' ? 8 * n : d === 'bool' ? n : 4 * n;
}

const STORAGE_BYTES: Readonly<Record<VulkanStorage, number>> = { f32: 4, f64: 8, i32: 4, u8x4: 1 };

const bytesOfBuffer = (b: ExecBuffer) => dataBytes(b.aval.dtype, sizeOf(b.aval.shape));

export class ProgramExecutor {
  private readonly block: MemoryBlock;
  /** The Vulkan buffer of each ExecBuffer (buffers placed on the same input share one). */
  readonly bufs: readonly GpuBuffer[];
  private readonly sets = new Map<number, Handle>();
  /** The packed buffers of launch steps whose kernel packs its parameters, by step index. */
  private readonly packed = new Map<number, readonly GpuBuffer[]>();
  private packedBlock: MemoryBlock | null = null;
  private pool: Handle | null = null;
  private readonly subs = new Map<ExecProgram, ProgramExecutor>();

  constructor(
    readonly program: ExecProgram,
    private readonly pipelines: PipelineCache,
    private readonly rec: Recorder,
    /** The runner's status word (set by kernels that reached the driver's loop cap). */
    private readonly status: GpuBuffer,
  ) {
    const ctx = rec.ctx, p = program;
    for (const s of p.steps) if (s.kind === 'launch' && !pipelines.has(s.kernel)) throw new KilnError(`executable: kernel '${s.kernel}' is missing from its Vulkan module`);
    // One Vulkan buffer per input position, and one per other buffer.
    const slot: number[] = [];
    const sizes: number[] = [];
    const inputSlot = new Map<number, number>();
    p.buffers.forEach((b) => {
      if (b.place.kind === 'input') {
        let s = inputSlot.get(b.place.index);
        if (s === undefined) {
          inputSlot.set(b.place.index, (s = sizes.length));
          sizes.push(bytesOfBuffer(b));
        }
        slot.push(s);
        return;
      }
      slot.push(sizes.length);
      sizes.push(bytesOfBuffer(b));
    });
    this.block = new MemoryBlock(ctx, sizes, rec.unified, `program ${p.name}`);
    this.bufs = slot.map((s) => this.block.buffers[s]!);
    // Constants are written once.
    p.buffers.forEach((b, i) => {
      if (b.place.kind !== 'const') return;
      const a = allocHost(b.aval.dtype, sizeOf(b.aval.shape));
      if (b.place.data.length === 1) a.fill(b.place.data[0]!);
      else a.set(b.place.data);
      rec.upload(this.bufs[i]!, bytesOf(a));
    });
    this.makePacked();
    this.makeSets();
  }

  private makePacked(): void {
    const steps: [number, NonNullable<VulkanKernel['packing']>][] = [];
    this.program.steps.forEach((s, i) => {
      const pk = s.kind === 'launch' ? this.pipelines.get(s.kernel).kernel.packing : undefined;
      if (pk) steps.push([i, pk]);
    });
    if (!steps.length) return;
    const sizes = steps.flatMap(([, pk]) => pk.buffers.map((b) => Math.max(4, b.size * STORAGE_BYTES[b.storage])));
    this.packedBlock = new MemoryBlock(this.rec.ctx, sizes, false, `program ${this.program.name} (packed parameters)`);
    let next = 0;
    for (const [i, pk] of steps) {
      this.packed.set(i, this.packedBlock.buffers.slice(next, next + pk.buffers.length));
      next += pk.buffers.length;
    }
  }

  private makeSets(): void {
    const ctx = this.rec.ctx, a = ctx.api, dev = ctx.device;
    const launches = this.program.steps.map((s, i) => [s, i] as const).filter(([s]) => s.kind === 'launch');
    if (!launches.length) return;
    const descriptors = launches.reduce((n, [s, i]) => n + 1 + (this.packed.get(i)?.length ?? (s.kind === 'launch' ? s.args.length : 0)), 0);
    const pool: [Handle | null] = [null];
    check('vkCreateDescriptorPool', a.createDescriptorPool(dev, {
      sType: VK.STYPE_DESCRIPTOR_POOL_CREATE_INFO, pNext: null, flags: 0, maxSets: launches.length, poolSizeCount: 1,
      pPoolSizes: [{ type: VK.DESCRIPTOR_STORAGE_BUFFER, descriptorCount: Math.max(1, descriptors) }],
    }, null, pool), `program ${this.program.name}`);
    this.pool = pool[0]!;
    for (const [s, i] of launches) {
      if (s.kind !== 'launch') continue;
      const k = this.pipelines.get(s.kernel);
      if (k.kernel.bindings.length !== s.args.length) {
        throw new KilnError(`executable: kernel '${s.kernel}' takes ${k.kernel.bindings.length} buffers, its launch passes ${s.args.length}`);
      }
      const set: (Handle | null)[] = [null];
      check('vkAllocateDescriptorSets', a.allocateDescriptorSets(dev, {
        sType: VK.STYPE_DESCRIPTOR_SET_ALLOCATE_INFO, pNext: null, descriptorPool: this.pool, descriptorSetCount: 1, pSetLayouts: [k.setLayout],
      }, set), `kernel ${s.kernel}`);
      const bound = [...(this.packed.get(i) ?? s.args.map((b) => this.bufs[b]!)), ...(k.kernel.statusBinding !== undefined ? [this.status] : [])];
      const writes = bound.map((b, j) => ({
        sType: VK.STYPE_WRITE_DESCRIPTOR_SET, pNext: null, dstSet: set[0], dstBinding: j, dstArrayElement: 0, descriptorCount: 1,
        descriptorType: VK.DESCRIPTOR_STORAGE_BUFFER, pImageInfo: null, pBufferInfo: [{ buffer: b.buffer, offset: 0, range: VK.WHOLE_SIZE }], pTexelBufferView: null,
      }));
      a.updateDescriptorSets(dev, writes.length, writes, 0, null);
      this.sets.set(i, set[0]!);
    }
  }

  private sub(p: ExecProgram): ProgramExecutor {
    let e = this.subs.get(p);
    if (!e) this.subs.set(p, (e = new ProgramExecutor(p, this.pipelines, this.rec, this.status)));
    return e;
  }

  private bytes(i: number): number {
    return bytesOfBuffer(this.program.buffers[i]!);
  }

  /** Runs the program on host inputs and returns its outputs as fresh host arrays. */
  run(inputs: readonly HostArray[]): HostArray[] {
    const p = this.program, rec = this.rec;
    if (inputs.length !== p.inputs.length) throw new KilnError(`${p.name}: expects ${p.inputs.length} inputs, got ${inputs.length}`);
    p.inputs.forEach((b, i) => {
      const n = sizeOf(p.buffers[b]!.aval.shape);
      if (inputs[i]!.length !== n) throw new KilnError(`${p.name}: input ${i} has ${inputs[i]!.length} elements, expected ${n}`);
      rec.upload(this.bufs[b]!, bytesOf(inputs[i]!));
    });
    this.record();
    const outs = p.outputs.map((o) => {
      const b = p.buffers[o]!;
      const a = allocHost(b.aval.dtype, sizeOf(b.aval.shape));
      rec.download(this.bufs[o]!, 0, a.byteLength, (data) => bytesOf(a).set(data));
      return a;
    });
    this.flush();
    return outs;
  }

  /** Submits the recorded work and waits; a VulkanLimitError if a kernel hit the loop cap. */
  private flush(): void {
    let flagged = 0;
    this.rec.download(this.status, 0, 4, (d) => (flagged = d[0]! | d[1]! | d[2]! | d[3]!));
    this.rec.flush();
    if (flagged) {
      this.rec.upload(this.status, new Uint8Array(4));
      throw new VulkanLimitError(
        `program ${this.program.name}: a kernel reached the Vulkan driver's limit of loop iterations per invocation ` +
          `(${this.rec.ctx.info.loopLimit ?? '?'} on ${this.rec.ctx.info.name}); its work is too serial for this device, the results would be wrong`,
      );
    }
  }

  /** Records the steps (inputs are in place); the outputs' buffers hold the results after. */
  record(): void {
    this.program.steps.forEach((s, i) => this.step(s, i));
  }

  /** Copies `from` buffers (of another executor) into this program's inputs, then records it. */
  private call(from: readonly GpuBuffer[], fromBytes: readonly number[], skip = new Set<number>()): void {
    this.program.inputs.forEach((b, i) => {
      if (!skip.has(i)) this.rec.copy(from[i]!.buffer, 0, this.bufs[b]!.buffer, 0, fromBytes[i]!);
    });
    this.record();
  }

  private outBuf(i: number): GpuBuffer {
    return this.bufs[this.program.outputs[i]!]!;
  }

  /** Reads element 0 of buffer `b` as a number (flushing the work recorded so far). */
  private readScalar(exec: ProgramExecutor, b: number): number {
    const d = exec.program.buffers[b]!.aval.dtype;
    let v = 0;
    this.rec.download(exec.bufs[b]!, 0, dataBytes(d, 1), (data) => {
      const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
      v = d === 'f64' ? view.getFloat64(0, true) : d === 'bool' ? view.getUint8(0) : d === 'i32' ? view.getInt32(0, true) : view.getFloat32(0, true);
    });
    this.flush();
    return v;
  }

  private step(s: ExecStep, si: number): void {
    const rec = this.rec;
    switch (s.kind) {
      case 'launch': {
        const k = this.pipelines.get(s.kernel);
        const set = this.sets.get(si)!;
        const packed = this.packed.get(si), pk = k.kernel.packing;
        if (packed && pk) {
          // Parameters in, dispatches on the packed buffers, written parameters back out.
          const region = (j: number) => {
            const pl = pk.place[j]!;
            return { buf: packed[pl.binding]!, offset: pl.offset * STORAGE_BYTES[pk.buffers[pl.binding]!.storage] };
          };
          s.args.forEach((a, j) => rec.copy(this.bufs[a]!.buffer, 0, region(j).buf.buffer, region(j).offset, this.bytes(a)));
          const all = packed.map((b) => b.buffer);
          k.kernel.dispatches.forEach((d, j) => rec.dispatch(k.pipelines[j]!, k.layout, set, d.launch.grid, all, all));
          s.args.forEach((a, j) => {
            if (k.kernel.bindings[j]!.writes) rec.copy(region(j).buf.buffer, region(j).offset, this.bufs[a]!.buffer, 0, this.bytes(a));
          });
          return;
        }
        const bufs = s.args.map((a) => this.bufs[a]!.buffer);
        const writes = bufs.filter((_, j) => k.kernel.bindings[j]!.writes);
        k.kernel.dispatches.forEach((d, j) => rec.dispatch(k.pipelines[j]!, k.layout, set, d.launch.grid, bufs, writes));
        return;
      }
      case 'copy':
        rec.copy(this.bufs[s.from]!.buffer, 0, this.bufs[s.to]!.buffer, 0, this.bytes(s.from));
        return;
      case 'cond': {
        const n = s.branches.length;
        const i = Math.min(Math.max(Math.trunc(this.readScalar(this, s.index)), 0), n - 1);
        const br = this.sub(s.branches[i]!);
        br.call(s.operands.map((o) => this.bufs[o]!), s.operands.map((o) => this.bytes(o)));
        s.results.forEach((r, j) => rec.copy(br.outBuf(j).buffer, 0, this.bufs[r]!.buffer, 0, this.bytes(r)));
        return;
      }
      case 'while': {
        const cond = this.sub(s.cond), body = this.sub(s.body);
        const nc = s.condConsts.length, nb = s.bodyConsts.length;
        // The carry lives in the results' buffers between iterations.
        s.init.forEach((c, j) => rec.copy(this.bufs[c]!.buffer, 0, this.bufs[s.results[j]!]!.buffer, 0, this.bytes(c)));
        const carry = s.results.map((r) => this.bufs[r]!), carryBytes = s.results.map((r) => this.bytes(r));
        const cc = s.condConsts.map((c) => this.bufs[c]!), bc = s.bodyConsts.map((c) => this.bufs[c]!);
        const ccBytes = s.condConsts.map((c) => this.bytes(c)), bcBytes = s.bodyConsts.map((c) => this.bytes(c));
        // Constants are copied in once (regions never write their inputs); the carry every time.
        const firstN = (n: number) => new Set(Array.from({ length: n }, (_, j) => j));
        let first = true;
        for (;;) {
          cond.call([...cc, ...carry], [...ccBytes, ...carryBytes], first ? new Set() : firstN(nc));
          if (!this.readScalar(cond, cond.program.outputs[0]!)) break;
          body.call([...bc, ...carry], [...bcBytes, ...carryBytes], first ? new Set() : firstN(nb));
          first = false;
          carry.forEach((c, j) => rec.copy(body.outBuf(j).buffer, 0, c.buffer, 0, carryBytes[j]!));
        }
        return;
      }
      case 'scan': {
        const body = this.sub(s.body);
        const nc = s.consts.length, nk = s.init.length;
        s.init.forEach((c, j) => rec.copy(this.bufs[c]!.buffer, 0, this.bufs[s.results[j]!]!.buffer, 0, this.bytes(c)));
        const consts = s.consts.map((c) => this.bufs[c]!), carry = s.results.slice(0, nk).map((r) => this.bufs[r]!);
        const constBytes = s.consts.map((c) => this.bytes(c)), carryBytes = s.results.slice(0, nk).map((r) => this.bytes(r));
        const len = Math.max(s.length, 1);
        const xSlice = s.xs.map((x) => this.bytes(x) / len);
        const ys = s.results.slice(nk), ySlice = ys.map((y) => this.bytes(y) / len);
        const bodyIn = body.program.inputs;
        for (let step = 0; step < s.length; step++) {
          const i = s.reverse ? s.length - 1 - step : step;
          // consts (once), carry, then this step's slice of every xs.
          if (step === 0) consts.forEach((c, j) => rec.copy(c.buffer, 0, body.bufs[bodyIn[j]!]!.buffer, 0, constBytes[j]!));
          carry.forEach((c, j) => rec.copy(c.buffer, 0, body.bufs[bodyIn[nc + j]!]!.buffer, 0, carryBytes[j]!));
          s.xs.forEach((x, j) => rec.copy(this.bufs[x]!.buffer, i * xSlice[j]!, body.bufs[bodyIn[nc + nk + j]!]!.buffer, 0, xSlice[j]!));
          body.record();
          carry.forEach((c, j) => rec.copy(body.outBuf(j).buffer, 0, c.buffer, 0, carryBytes[j]!));
          ys.forEach((y, j) => rec.copy(body.outBuf(nk + j).buffer, 0, this.bufs[y]!.buffer, i * ySlice[j]!, ySlice[j]!));
        }
        return;
      }
      default:
        return s satisfies never;
    }
  }

  destroy(): void {
    for (const e of this.subs.values()) e.destroy();
    if (this.pool) this.rec.ctx.api.destroyDescriptorPool(this.rec.ctx.device, this.pool, null);
    this.pool = null;
    this.block.destroy();
    this.packedBlock?.destroy();
  }
}
