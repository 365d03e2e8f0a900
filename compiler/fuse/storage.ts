// Host storage laid out by a memory plan, for the reference executor (execute-interp.ts):
// arena values are typed-array views into one ArrayBuffer at their planned offsets.
import type { HostArray } from '../ir/dtype.ts';
import { KilnError } from '../ir/errors.ts';
import { sizeOf, type AVal, type Var } from '../ir/ir.ts';
import type { HostTensor } from '../../runtime/interp/index.ts';
import type { MemoryPlan } from './memory.ts';
import type { FusedProgram } from './program.ts';

/**
 * Host arrays may take more bytes per element than the dtype (f16 and bf16 are kept in
 * Float32Array), at most twice as many; so the host arena is the planned one with every
 * offset and size doubled, which keeps disjoint slots disjoint.
 */
const SCALE = 2;

/** A view of `a`'s storage type at `byteOffset` of `buf`. */
export function arenaView(buf: ArrayBuffer, byteOffset: number, a: AVal): HostArray {
  const n = sizeOf(a.shape);
  switch (a.dtype) {
    case 'f64':
      return new Float64Array(buf, byteOffset, n);
    case 'f32':
    case 'f16':
    case 'bf16':
      return new Float32Array(buf, byteOffset, n);
    case 'i32':
      return new Int32Array(buf, byteOffset, n);
    case 'bool':
      return new Uint8Array(buf, byteOffset, n);
    default:
      return a.dtype satisfies never;
  }
}

/** Overwrites a freed buffer with values no computation should produce by accident. */
export function poisonArray(a: HostArray): void {
  if (a instanceof Float32Array || a instanceof Float64Array) a.fill(NaN);
  else if (a instanceof Int32Array) a.fill(0x7eadbeef);
  else a.fill(0xab);
}

export class Storage {
  private readonly arena: ArrayBuffer;
  private readonly tensors = new Map<Var, HostTensor>();
  private readonly freeAfter = new Map<number, Var[]>();

  constructor(
    p: FusedProgram,
    private readonly plan: MemoryPlan,
    private readonly inputs: readonly HostTensor[],
  ) {
    this.arena = new ArrayBuffer(plan.arenaBytes * SCALE);
    p.inputs.forEach((v, i) => this.tensors.set(v, inputs[i]!));
    for (const [v, pl] of plan.placements) {
      if (pl.kind !== 'arena') continue;
      const last = plan.lifetimes.get(v)!.last;
      const list = this.freeAfter.get(last) ?? [];
      list.push(v);
      this.freeAfter.set(last, list);
    }
  }

  inArena(v: Var): boolean {
    return this.plan.placements.get(v)?.kind === 'arena';
  }

  read(v: Var): HostTensor | undefined {
    return this.tensors.get(v);
  }

  /** Stores a step's result in the value's planned place. */
  write(v: Var, t: HostTensor): void {
    const pl = this.plan.placements.get(v);
    if (!pl) throw new KilnError(`memory plan: no place for a value of type ${t.aval.dtype}[${t.aval.shape.join(',')}]`);
    let data: HostArray;
    switch (pl.kind) {
      case 'arena':
        data = arenaView(this.arena, pl.offset * SCALE, v.aval);
        break;
      case 'donated':
        data = this.inputs[pl.input]!.data;
        break;
      case 'output':
        data = t.data.slice();
        break;
      case 'input':
        throw new KilnError('memory plan: a step writes an input');
    }
    if (data.length !== t.data.length) throw new KilnError('memory plan: a value does not fit its place');
    data.set(t.data);
    this.tensors.set(v, { aval: v.aval, data });
  }

  /** Poisons and forgets the arena values whose last use is step `i`. */
  release(i: number): void {
    for (const v of this.freeAfter.get(i) ?? []) {
      const t = this.tensors.get(v);
      if (t) poisonArray(t.data);
      this.tensors.delete(v);
    }
  }
}
