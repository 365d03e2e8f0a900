// GPU kernels (compiler/gpu) to one NVVM IR module, as LLVM IR text in the dialect that both
// libnvvm (LLVM 7 based, NVVM IR 2.0) and llc-14 read: typed pointers, global memory in address
// space 1, shared memory in 3 (static arrays, one global per array), thread locals as allocas.
//
// ABI: `define void @<name>(T addrspace(1)* %p0, ...)`, one pointer per parameter of the launch
// step in order, element types as the host arrays hold them (f16/bf16 as float, bool as i8);
// nvvm.annotations mark each as a kernel with its block size as maxntidx.
//
// Code shape: loop counters and mutable locals are allocas that the optimiser promotes to
// registers; loops whose variables the kernel lists in `unroll` are written out completely.
import type { DType } from '../../ir/dtype.ts';
import type { Expr, KernelParam, ScalarType, Stmt } from '../../lower/loop-ir.ts';
import { BLOCK_VARS, THREAD_VAR, blockThreads, type BlockStmt, type GpuKernel } from '../../gpu/kernel.ts';
import { CodegenError } from '../llvm/errors.ts';
import { memType, ScalarText } from './scalar.ts';
import { FnText, ModuleText } from './text.ts';

export const NVPTX_TRIPLE = 'nvptx64-nvidia-cuda';
/** The data layout of 64-bit NVVM IR (the NVVM IR specification's). */
export const NVVM_DATA_LAYOUT =
  'e-p:64:64:64-i1:8:8-i8:8:8-i16:16:16-i32:32:32-i64:64:64-i128:128:128-f32:32:32-f64:64:64-v16:16:16-v32:32:32-v64:64:64-v128:128:128-n16:32:64';

const align = (d: DType): number => (d === 'f64' ? 8 : d === 'bool' ? 1 : 4);

/** One NVVM IR module holding every kernel (names must be distinct C identifiers). */
export function emitNvvmModule(kernels: readonly GpuKernel[]): string {
  const m = new ModuleText();
  const names = new Set<string>();
  const annotations: string[] = [];
  for (const k of kernels) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k.name)) throw new CodegenError(`kernel name '${k.name}' is not a C identifier`);
    if (names.has(k.name)) throw new CodegenError(`two kernels are named '${k.name}'`);
    names.add(k.name);
    const sig = `void (${k.params.map((p) => `${memType(p.dtype)} addrspace(1)*`).join(', ')})* @${k.name}`;
    annotations.push(`!{${sig}, !"kernel", i32 1}`, `!{${sig}, !"maxntidx", i32 ${blockThreads(k)}}`);
    new KernelText(m, k).emit();
  }
  const meta = annotations.map((a, i) => `!${i} = ${a}`);
  const ver = annotations.length;
  return [
    `target datalayout = "${NVVM_DATA_LAYOUT}"`,
    `target triple = "${NVPTX_TRIPLE}"`,
    '',
    ...m.globals,
    '',
    ...m.declarations(),
    '',
    ...m.functions,
    '',
    `!nvvm.annotations = !{${annotations.map((_, i) => `!${i}`).join(', ')}}`,
    `!nvvmir.version = !{!${ver}}`,
    ...meta,
    `!${ver} = !{i32 2, i32 0}`,
    '',
  ].join('\n');
}

type Binding =
  | { readonly kind: 'val'; readonly v: string; readonly t: ScalarType }
  | { readonly kind: 'mut'; readonly ptr: string; readonly t: ScalarType };
type Scope = Map<string, Binding>;

/** Where a buffer number points: a parameter, a shared array or a thread-local array. */
interface BufferRef {
  readonly dtype: DType;
  /** `getelementptr` of element `i` (an index-typed operand), giving a pointer operand. */
  readonly at: (i: string) => string;
  /** Pointer type of an element. */
  readonly ptrTy: string;
}

class KernelText {
  private readonly f = new FnText();
  private readonly s: ScalarText;
  private readonly bufs: BufferRef[] = [];
  private readonly unroll: Set<string>;

  constructor(
    private readonly m: ModuleText,
    private readonly k: GpuKernel,
  ) {
    this.s = new ScalarText(this.f, m, k.index, k.contract ?? false);
    this.unroll = new Set(k.unroll ?? []);
  }

  private fail(msg: string): never {
    throw new CodegenError(`gpu kernel ${this.k.name}: ${msg}`);
  }

  emit(): void {
    const { f, k, m } = this;
    const idx = this.s.ty('index');
    k.params.forEach((p: KernelParam, i) => {
      const ty = memType(p.dtype);
      this.bufs.push({ dtype: p.dtype, ptrTy: `${ty} addrspace(1)*`, at: (x) => f.op(`getelementptr inbounds ${ty}, ${ty} addrspace(1)* %p${i}, ${idx} ${x}`) });
    });
    k.shared.forEach((a, j) => {
      const ty = memType(a.dtype), arr = `[${a.size} x ${ty}]`, sym = `@${k.name}_sh${j}`;
      m.globals.push(`${sym} = internal addrspace(3) global ${arr} undef, align 16`);
      this.bufs.push({ dtype: a.dtype, ptrTy: `${ty} addrspace(3)*`, at: (x) => f.op(`getelementptr inbounds ${arr}, ${arr} addrspace(3)* ${sym}, i64 0, ${idx} ${x}`) });
    });
    k.locals.forEach((a) => {
      const ty = memType(a.dtype), arr = `[${a.size} x ${ty}]`;
      const ptr = f.alloca(arr, 16);
      this.bufs.push({ dtype: a.dtype, ptrTy: `${ty}*`, at: (x) => f.op(`getelementptr inbounds ${arr}, ${arr}* ${ptr}, i64 0, ${idx} ${x}`) });
    });
    const scope: Scope = new Map();
    const sreg = (name: string): string => {
      const fn = `llvm.nvvm.read.ptx.sreg.${name}`;
      m.declare(fn, `declare i32 @${fn}()`);
      const v = f.op(`call i32 @${fn}()`);
      return idx === 'i32' ? v : f.op(`zext i32 ${v} to i64`);
    };
    scope.set(THREAD_VAR, { kind: 'val', v: sreg('tid.x'), t: 'index' });
    (['x', 'y', 'z'] as const).forEach((d, i) => scope.set(BLOCK_VARS[i]!, { kind: 'val', v: sreg(`ctaid.${d}`), t: 'index' }));
    if (k.vector && k.params.length) this.versioned(scope);
    else this.blockStmts(k.body, [scope]);
    const params = k.params.map((p, i) => `${memType(p.dtype)} addrspace(1)* %p${i}`).join(', ');
    m.functions.push([`define void @${k.name}(${params}) {`, 'entry:', ...f.allocas, '  br label %start', 'start:', ...f.lines, '  ret void', '}'].join('\n'));
  }

  /**
   * A vector launch (kernel.ts `vector`): the body twice, behind a run-time test that every
   * parameter is aligned to a whole group; in the aligned copy llvm.assume states it, so that
   * the optimiser merges a thread's consecutive accesses into vector loads and stores.
   */
  private versioned(scope: Scope): void {
    const { f, m, k } = this;
    const bytes = Math.max(...k.params.map((p) => (p.dtype === 'f64' ? 8 : p.dtype === 'bool' ? 1 : 4))) * (k.vector ?? 1);
    const tests = k.params.map((p, i) => {
      const ty = memType(p.dtype);
      const low = f.op(`and i64 ${f.op(`ptrtoint ${ty} addrspace(1)* %p${i} to i64`)}, ${bytes - 1}`);
      return f.op(`icmp eq i64 ${low}, 0`);
    });
    const all = tests.slice(1).reduce((a, t) => f.op(`and i1 ${a}, ${t}`), tests[0]!);
    const vec = f.label('vec'), plain = f.label('plain'), end = f.label('end');
    f.emit(`br i1 ${all}, label %${vec}, label %${plain}`);
    f.block(vec);
    m.declare('llvm.assume', 'declare void @llvm.assume(i1)');
    for (const t of tests) f.emit(`call void @llvm.assume(i1 ${t})`);
    this.blockStmts(k.body, [new Map(scope)]);
    f.emit(`br label %${end}`);
    f.block(plain);
    this.blockStmts(k.body, [new Map(scope)]);
    f.emit(`br label %${end}`);
    f.block(end);
  }

  // ---- block statements --------------------------------------------------------------------

  private blockStmts(ss: readonly BlockStmt[], scopes: Scope[]): void {
    for (const s of ss) {
      switch (s.k) {
        case 'threads':
          this.stmts(s.body, scopes);
          break;
        case 'barrier':
          this.m.declare('llvm.nvvm.barrier0', 'declare void @llvm.nvvm.barrier0()');
          this.f.emit('call void @llvm.nvvm.barrier0()');
          break;
        case 'for':
          this.loop(s.v, s.n, scopes, (inner) => this.blockStmts(s.body, inner));
          break;
        case 'shuffle':
          this.shuffle(s);
          break;
        default:
          return s satisfies never;
      }
    }
  }

  private shuffle(s: Extract<BlockStmt, { k: 'shuffle' }>): void {
    const { f, m, k } = this;
    const base = k.params.length + k.shared.length;
    const src = this.bufs[base + s.src], dst = this.bufs[base + s.dst];
    if (!src || !dst || src.dtype !== dst.dtype) this.fail(`shuffle between locals ${s.src} and ${s.dst}`);
    const ty = memType(src.dtype);
    m.declare('llvm.nvvm.shfl.sync.bfly.i32', 'declare i32 @llvm.nvvm.shfl.sync.bfly.i32(i32, i32, i32, i32)');
    const shfl = (w: string) => f.op(`call i32 @llvm.nvvm.shfl.sync.bfly.i32(i32 -1, i32 ${w}, i32 ${s.mask}, i32 31)`);
    const v = f.op(`load ${ty}, ${src.ptrTy} ${src.at(String(s.srcIdx))}`);
    let r: string;
    if (ty === 'double') {
      const bits = f.op(`bitcast double ${v} to i64`);
      const lo = shfl(f.op(`trunc i64 ${bits} to i32`));
      const hi = shfl(f.op(`trunc i64 ${f.op(`lshr i64 ${bits}, 32`)} to i32`));
      const w = f.op(`or i64 ${f.op(`shl i64 ${f.op(`zext i32 ${hi} to i64`)}, 32`)}, ${f.op(`zext i32 ${lo} to i64`)}`);
      r = f.op(`bitcast i64 ${w} to double`);
    } else if (ty === 'float') r = f.op(`bitcast i32 ${shfl(f.op(`bitcast float ${v} to i32`))} to float`);
    else if (ty === 'i8') r = f.op(`trunc i32 ${shfl(f.op(`zext i8 ${v} to i32`))} to i8`);
    else r = shfl(v);
    f.emit(`store ${ty} ${r}, ${dst.ptrTy} ${dst.at(String(s.dstIdx))}`);
  }

  // ---- statements --------------------------------------------------------------------------

  private stmts(body: readonly Stmt[], scopes: Scope[]): void {
    const inner = [...scopes, new Map<string, Binding>()];
    for (const s of body) this.stmt(s, inner);
  }

  /** `for (v = 0; v < n; v++) body`, or written out n times when v is to be unrolled. */
  private loop(v: string, nExpr: Expr, scopes: Scope[], body: (scopes: Scope[]) => void): void {
    const { f } = this;
    const idx = this.s.ty('index');
    if (this.unroll.has(v) && nExpr.k === 'const') {
      for (let i = 0; i < nExpr.v; i++) body([...scopes, new Map([[v, { kind: 'val', v: String(i), t: 'index' }]])]);
      return;
    }
    const n = this.index(nExpr, scopes);
    const ctr = f.alloca(idx, idx === 'i32' ? 4 : 8);
    f.emit(`store ${idx} 0, ${idx}* ${ctr}`);
    const head = f.label('for.head'), bodyL = f.label('for.body'), exit = f.label('for.exit');
    f.emit(`br label %${head}`);
    f.block(head);
    const iv = f.op(`load ${idx}, ${idx}* ${ctr}`);
    f.emit(`br i1 ${f.op(`icmp slt ${idx} ${iv}, ${n}`)}, label %${bodyL}, label %${exit}`);
    f.block(bodyL);
    body([...scopes, new Map([[v, { kind: 'val', v: iv, t: 'index' }]])]);
    f.emit(`store ${idx} ${f.op(`add ${idx} ${iv}, 1`)}, ${idx}* ${ctr}`);
    f.emit(`br label %${head}`);
    f.block(exit);
  }

  private stmt(s: Stmt, scopes: Scope[]): void {
    const { f } = this;
    const scope = scopes[scopes.length - 1]!;
    switch (s.k) {
      case 'for':
        this.loop(s.v, s.n, scopes, (inner) => this.stmts(s.body, inner));
        return;
      case 'let':
        scope.set(s.name, { kind: 'val', v: this.expr(s.e, scopes), t: s.e.t });
        return;
      case 'decl': {
        if (s.init.t !== s.t) this.fail(`decl ${s.name}: ${s.t} initialised with a ${s.init.t} value`);
        const ty = this.s.ty(s.t);
        const ptr = f.alloca(ty, ty === 'double' || ty === 'i64' ? 8 : 4);
        f.emit(`store ${ty} ${this.expr(s.init, scopes)}, ${ty}* ${ptr}`);
        scope.set(s.name, { kind: 'mut', ptr, t: s.t });
        return;
      }
      case 'assign': {
        const b = this.lookup(s.name, scopes);
        if (b.kind !== 'mut') this.fail(`assignment to ${s.name}, which is not a mutable local`);
        if (s.e.t !== b.t) this.fail(`assignment of a ${s.e.t} value to ${s.name}: ${b.t}`);
        const ty = this.s.ty(b.t);
        f.emit(`store ${ty} ${this.expr(s.e, scopes)}, ${ty}* ${b.ptr}`);
        return;
      }
      case 'store': {
        const b = this.buf(s.buf);
        if (s.e.t !== b.dtype) this.fail(`store of a ${s.e.t} value into buffer ${s.buf} (${b.dtype})`);
        const v = this.s.toMem(b.dtype, this.expr(s.e, scopes));
        const ptr = b.at(this.index(s.idx, scopes));
        f.emit(`store ${memType(b.dtype)} ${v}, ${b.ptrTy} ${ptr}, align ${align(b.dtype)}`);
        return;
      }
      case 'if': {
        if (s.c.t !== 'bool') this.fail(`if condition of type ${s.c.t}`);
        const c = this.expr(s.c, scopes);
        const then = f.label('if.then'), els = f.label('if.else'), end = f.label('if.end');
        f.emit(`br i1 ${c}, label %${then}, label %${s.else.length ? els : end}`);
        f.block(then);
        this.stmts(s.then, scopes);
        f.emit(`br label %${end}`);
        if (s.else.length) {
          f.block(els);
          this.stmts(s.else, scopes);
          f.emit(`br label %${end}`);
        }
        f.block(end);
        return;
      }
      case 'matmul':
      case 'sort':
        return this.fail(`${s.k} statement left in a thread section (the GPU mapping writes them out)`);
      default:
        return s satisfies never;
    }
  }

  // ---- expressions -------------------------------------------------------------------------

  private buf(i: number): BufferRef {
    const b = this.bufs[i];
    if (!b) this.fail(`reference to buffer ${i}, but the kernel has ${this.bufs.length}`);
    return b;
  }

  private lookup(name: string, scopes: readonly Scope[]): Binding {
    for (let i = scopes.length - 1; i >= 0; i--) {
      const b = scopes[i]!.get(name);
      if (b) return b;
    }
    return this.fail(`unknown variable ${name}`);
  }

  /** An expression used as an offset or trip count, as an `index` value. */
  private index(e: Expr, scopes: readonly Scope[]): string {
    const v = this.expr(e, scopes);
    if (e.t === 'index') return v;
    if (e.t === 'i32') return this.s.cast('i32', 'index', v);
    return this.fail(`an index expression has type ${e.t}`);
  }

  private expr(e: Expr, scopes: readonly Scope[]): string {
    const s = this.s;
    switch (e.k) {
      case 'const':
        return s.constant(e.t, e.v);
      case 'var': {
        const b = this.lookup(e.name, scopes);
        if (b.t !== e.t) this.fail(`variable ${e.name} has type ${b.t}, used as ${e.t}`);
        if (b.kind === 'val') return b.v;
        const ty = s.ty(b.t);
        return this.f.op(`load ${ty}, ${ty}* ${b.ptr}`);
      }
      case 'load': {
        const b = this.buf(e.buf);
        if (b.dtype !== e.t) this.fail(`load of ${e.t} from buffer ${e.buf} (${b.dtype})`);
        const ptr = b.at(this.index(e.idx, scopes));
        return s.fromMem(b.dtype, this.f.op(`load ${memType(b.dtype)}, ${b.ptrTy} ${ptr}, align ${align(b.dtype)}`));
      }
      case 'unary':
        return s.unary(e.op, e.t, this.expr(e.a, scopes));
      case 'binary': {
        if (e.a.t !== e.b.t) this.fail(`${e.op} of ${e.a.t} and ${e.b.t} operands`);
        return s.binary(e.op, e.a.t, this.expr(e.a, scopes), this.expr(e.b, scopes));
      }
      case 'select':
        return s.select(e.t, this.expr(e.c, scopes), this.expr(e.a, scopes), this.expr(e.b, scopes));
      case 'cast':
        return s.cast(e.a.t, e.t, this.expr(e.a, scopes));
      case 'threefry':
        return s.threefry(
          s.asWord(e.k0.t, this.expr(e.k0, scopes)),
          s.asWord(e.k1.t, this.expr(e.k1, scopes)),
          s.asWord(e.ctr.t, this.expr(e.ctr, scopes)),
        );
      default:
        return e satisfies never;
    }
  }
}

