// A typed builder of SPIR-V binary modules: ids, the module's sections in the order the
// specification requires (capabilities, extensions, imports, memory model, entry points,
// execution modes, debug names, annotations, types/constants/globals, functions), and
// functions made of labelled blocks. Types and constants are deduplicated; instructions are
// words (wordcount << 16 | opcode). Only what Kiln's kernels need is here.
import { KilnError } from '../../ir/errors.ts';
import {
  AddressingModel, Capability, Decoration, ExecutionMode, ExecutionModel, MAGIC, MemoryModel, MemorySemantics, Op, Scope, StorageClass,
  VERSION_1_3, type StorageClassId,
} from './spec.ts';

export class SpirvError extends KilnError {
  override name = 'SpirvError';
}

/** A literal string as words: UTF-8, NUL-terminated, zero-padded to a word boundary. */
export function stringWords(s: string): number[] {
  const bytes = new TextEncoder().encode(s);
  const out = new Array<number>(Math.floor(bytes.length / 4) + 1).fill(0);
  bytes.forEach((b, i) => (out[i >> 2]! |= b << ((i & 3) * 8)));
  return out.map((w) => w >>> 0);
}

function inst(op: number, operands: readonly number[]): number[] {
  const n = operands.length + 1;
  if (n > 0xffff) throw new SpirvError(`SPIR-V instruction ${op} has too many operands`);
  return [((n << 16) | op) >>> 0, ...operands.map((w) => w >>> 0)];
}

const f32Bits = new Float32Array(1);
const f32Word = new Uint32Array(f32Bits.buffer);
const f64Bits = new Float64Array(1);
const f64Words = new Uint32Array(f64Bits.buffer);

export type ScalarKind = { readonly k: 'bool' } | { readonly k: 'int'; readonly width: 32; readonly signed: boolean } | { readonly k: 'float'; readonly width: 32 | 64 };

/** One function being built: its blocks in order; Function-storage variables go first. */
export class SpirvFunction {
  private readonly vars: number[] = [];
  private readonly body: number[] = [];
  private open = false;
  readonly entryLabel: number;

  constructor(
    private readonly m: SpirvModule,
    readonly id: number,
    private readonly header: number[],
  ) {
    this.entryLabel = m.id();
  }

  /** A Function-storage variable (declared at the top of the entry block, as required). */
  variable(pointerType: number, name?: string): number {
    const id = this.m.id();
    this.vars.push(...inst(Op.Variable, [pointerType, id, StorageClass.Function]));
    if (name) this.m.name(id, name);
    return id;
  }

  /** Starts block `label` (the previous one must have been terminated). */
  label(label: number): void {
    if (this.open) throw new SpirvError(`block %${label} started before the previous block was terminated`);
    if (label !== this.entryLabel) this.body.push(...inst(Op.Label, [label]));
    this.open = true;
  }

  /** Appends an instruction with a result: `%id = op resultType operands...`. */
  op(op: number, resultType: number, ...operands: number[]): number {
    const id = this.m.id();
    this.emit(op, [resultType, id, ...operands]);
    return id;
  }

  /** Appends an instruction without a result (stores, merges, barriers). */
  emit(op: number, operands: readonly number[]): void {
    if (!this.open) throw new SpirvError(`instruction ${op} outside a block`);
    this.body.push(...inst(op, operands));
  }

  /** A block terminator (branch, return): closes the current block. */
  terminate(op: number, operands: readonly number[]): void {
    this.emit(op, operands);
    this.open = false;
  }

  branch(target: number): void {
    this.terminate(Op.Branch, [target]);
  }

  branchConditional(cond: number, t: number, f: number): void {
    this.terminate(Op.BranchConditional, [cond, t, f]);
  }

  selectionMerge(merge: number): void {
    this.emit(Op.SelectionMerge, [merge, 0]);
  }

  loopMerge(merge: number, cont: number): void {
    this.emit(Op.LoopMerge, [merge, cont, 0]);
  }

  /** `OpControlBarrier` with workgroup execution and memory scope (shared memory phases). */
  workgroupBarrier(): void {
    const u = this.m.typeInt(32, false);
    this.emit(Op.ControlBarrier, [
      this.m.constant(u, Scope.Workgroup), this.m.constant(u, Scope.Workgroup),
      this.m.constant(u, MemorySemantics.AcquireRelease | MemorySemantics.WorkgroupMemory),
    ]);
  }

  /** The function's words (header, entry block with its variables, body, end). */
  words(): number[] {
    if (this.open) throw new SpirvError('function ends inside an unterminated block');
    return [...this.header, ...inst(Op.Label, [this.entryLabel]), ...this.vars, ...this.body, ...inst(Op.FunctionEnd, [])];
  }
}

/** A SPIR-V module under construction. */
export class SpirvModule {
  private bound = 1;
  private readonly capabilities = new Set<number>();
  private readonly extensions = new Set<string>();
  private readonly imports = new Map<string, number>();
  private readonly entryPoints: number[] = [];
  private readonly modes: number[] = [];
  private readonly debug: number[] = [];
  private readonly annotations: number[] = [];
  private readonly globals: number[] = [];
  private readonly functions: SpirvFunction[] = [];
  private readonly typeIds = new Map<string, number>();
  private readonly constIds = new Map<string, number>();

  constructor(readonly version = VERSION_1_3) {
    this.capability(Capability.Shader);
  }

  /** A fresh result id. */
  id(): number {
    return this.bound++;
  }

  capability(c: number): void {
    this.capabilities.add(c);
  }

  extension(name: string): void {
    this.extensions.add(name);
  }

  /** The id of an imported extended instruction set (e.g. GLSL.std.450). */
  extInstImport(name: string): number {
    let id = this.imports.get(name);
    if (id === undefined) this.imports.set(name, (id = this.id()));
    return id;
  }

  entryPoint(fn: number, name: string, iface: readonly number[]): void {
    this.entryPoints.push(...inst(Op.EntryPoint, [ExecutionModel.GLCompute, fn, ...stringWords(name), ...iface]));
  }

  localSize(fn: number, x: number, y: number, z: number): void {
    this.executionMode(fn, ExecutionMode.LocalSize, x, y, z);
  }

  executionMode(fn: number, mode: number, ...literals: number[]): void {
    this.modes.push(...inst(Op.ExecutionMode, [fn, mode, ...literals]));
  }

  name(id: number, s: string): void {
    this.debug.push(...inst(Op.Name, [id, ...stringWords(s)]));
  }

  memberName(struct: number, member: number, s: string): void {
    this.debug.push(...inst(Op.MemberName, [struct, member, ...stringWords(s)]));
  }

  decorate(id: number, decoration: number, ...literals: number[]): void {
    this.annotations.push(...inst(Op.Decorate, [id, decoration, ...literals]));
  }

  memberDecorate(struct: number, member: number, decoration: number, ...literals: number[]): void {
    this.annotations.push(...inst(Op.MemberDecorate, [struct, member, decoration, ...literals]));
  }

  // ---- types (deduplicated by structure) -----------------------------------------------

  private type(key: string, op: number, operands: (id: number) => number[]): number {
    let id = this.typeIds.get(key);
    if (id === undefined) {
      id = this.id();
      this.typeIds.set(key, id);
      this.globals.push(...inst(op, operands(id)));
    }
    return id;
  }

  typeVoid(): number {
    return this.type('void', Op.TypeVoid, (id) => [id]);
  }

  typeBool(): number {
    return this.type('bool', Op.TypeBool, (id) => [id]);
  }

  typeInt(width: 32, signed: boolean): number {
    return this.type(`i${width}${signed ? 's' : 'u'}`, Op.TypeInt, (id) => [id, width, signed ? 1 : 0]);
  }

  typeFloat(width: 32 | 64): number {
    if (width === 64) this.capability(Capability.Float64);
    return this.type(`f${width}`, Op.TypeFloat, (id) => [id, width]);
  }

  typeVector(component: number, n: number): number {
    return this.type(`v${n}:${component}`, Op.TypeVector, (id) => [id, component, n]);
  }

  /** A fixed-length array (no explicit layout: Workgroup and Function storage only). */
  typeArray(element: number, lengthConst: number): number {
    return this.type(`arr:${element}:${lengthConst}`, Op.TypeArray, (id) => [id, element, lengthConst]);
  }

  /** A runtime array with its ArrayStride decoration (a distinct type per stride). */
  typeRuntimeArray(element: number, stride: number): number {
    return this.type(`rta:${element}:${stride}`, Op.TypeRuntimeArray, (id) => {
      this.decorate(id, Decoration.ArrayStride, stride);
      return [id, element];
    });
  }

  /** A struct decorated Block whose members sit at the given byte offsets. */
  typeBlock(members: readonly number[], offsets: readonly number[], name?: string): number {
    const key = `block:${members.join(',')}:${offsets.join(',')}`;
    return this.type(key, Op.TypeStruct, (id) => {
      this.decorate(id, Decoration.Block);
      offsets.forEach((o, i) => this.memberDecorate(id, i, Decoration.Offset, o));
      if (name) this.name(id, name);
      return [id, ...members];
    });
  }

  typePointer(sc: StorageClassId, pointee: number): number {
    return this.type(`ptr:${sc}:${pointee}`, Op.TypePointer, (id) => [id, sc, pointee]);
  }

  typeFunction(ret: number, params: readonly number[] = []): number {
    return this.type(`fn:${ret}(${params.join(',')})`, Op.TypeFunction, (id) => [id, ret, ...params]);
  }

  // ---- constants (deduplicated by type and bits) ---------------------------------------

  private constWords(key: string, op: number, type: number, words: readonly number[]): number {
    let id = this.constIds.get(key);
    if (id === undefined) {
      id = this.id();
      this.constIds.set(key, id);
      this.globals.push(...inst(op, [type, id, ...words]));
    }
    return id;
  }

  /** A 32-bit integer constant of an int type (two's complement). */
  constant(intType: number, v: number): number {
    if (!Number.isInteger(v)) throw new SpirvError(`integer constant ${v} is not an integer`);
    const w = v >>> 0;
    return this.constWords(`i:${intType}:${w}`, Op.Constant, intType, [w]);
  }

  constF32(v: number): number {
    f32Bits[0] = v;
    const w = f32Word[0]!;
    return this.constWords(`f32:${w}`, Op.Constant, this.typeFloat(32), [w]);
  }

  constF64(v: number): number {
    f64Bits[0] = v;
    const lo = f64Words[0]!, hi = f64Words[1]!;
    return this.constWords(`f64:${lo}:${hi}`, Op.Constant, this.typeFloat(64), [lo, hi]);
  }

  constBool(v: boolean): number {
    const t = this.typeBool();
    return this.constWords(`b:${v}`, v ? Op.ConstantTrue : Op.ConstantFalse, t, []);
  }

  /** A global variable (StorageBuffer, Input, Workgroup, PushConstant). */
  globalVariable(pointerType: number, sc: StorageClassId, name?: string): number {
    const id = this.id();
    this.globals.push(...inst(Op.Variable, [pointerType, id, sc]));
    if (name) this.name(id, name);
    return id;
  }

  /** A new function returning void with no parameters (compute entry points). */
  voidFunction(name?: string): SpirvFunction {
    const v = this.typeVoid();
    const id = this.id();
    const f = new SpirvFunction(this, id, inst(Op.Function, [v, id, 0, this.typeFunction(v)]));
    if (name) this.name(id, name);
    this.functions.push(f);
    f.label(f.entryLabel);
    return f;
  }

  /** The module as words. */
  words(): Uint32Array {
    const fnWords = this.functions.flatMap((f) => f.words());
    const header = [MAGIC, this.version, 0, this.bound, 0];
    const body: number[] = [];
    for (const c of [...this.capabilities].sort((a, b) => a - b)) body.push(...inst(Op.Capability, [c]));
    for (const e of this.extensions) body.push(...inst(Op.Extension, stringWords(e)));
    for (const [name, id] of this.imports) body.push(...inst(Op.ExtInstImport, [id, ...stringWords(name)]));
    body.push(...inst(Op.MemoryModel, [AddressingModel.Logical, MemoryModel.GLSL450]));
    return Uint32Array.from([
      ...header, ...body, ...this.entryPoints, ...this.modes, ...this.debug, ...this.annotations, ...this.globals, ...fnWords,
    ].map((w) => w >>> 0));
  }
}
