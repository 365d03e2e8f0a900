// The LLVM code generator for CPU: loop-IR kernels (compiler/lower/loop-ir.ts) to one LLVM 14
// module, built with llvm-bindings (typed pointers) and verified.
//
// ABI: one exported C function per kernel, `void <name>(i8** args)`, where args[i] points to
// the first element of param i's buffer (f32/f16/bf16: float, f64: double, i32: i32, bool: one
// byte holding 0/1). Every param pointer is loaded once at the top of the function.
//
// Code shape:
//   - `for` loops are canonical LLVM loops (preheader, header phi over i64, latch), so the loop
//     passes of `opt -O3` (rotation, LICM, vectorisation) apply;
//   - mutable locals (`decl`) are allocas in the entry block, promoted to registers by mem2reg;
//     `let` bindings are SSA values;
//   - a `parallel: true` loop is outlined into `void <name>.par(i8* ctx)` (`.par2`, `.par3`, ...
//     for further ones), which runs its share of the iterations — a contiguous chunk of
//     ceil(n / omp_get_num_threads()) starting at omp_get_thread_num() · chunk — and the kernel
//     calls `GOMP_parallel(<name>.par, args, 0, 0)` (libgomp; 0 threads = OMP_NUM_THREADS or all
//     cores), passing its own args array as ctx. When the statically estimated work of the loop
//     is small (see PARALLEL_MIN_WORK) the kernel calls the outlined function directly instead:
//     outside a parallel region it is thread 0 of 1 and runs every iteration;
//   - MatmulStmt calls `emitMatmul` (./matmul.ts when present, else ./matmul-naive.ts; the
//     signature is in ./matmul-api.ts); SortStmt is emitted by ./sort.ts.
//
// Fast-math: none, except `reassoc` on the f32 `fadd`/`fmul` of an accumulator update
// `acc = acc + x` / `acc = acc * x` (a `decl` local of type f32 assigned an add or mul that reads
// it), which lets the vectoriser split f32 sum/product reductions into partial sums. The
// interpreter sums in double; a reassociated f32 sum stays within f32 tolerance of it (its
// error bound is no worse than the sequential f32 loop's). llvm-bindings has no API for
// fast-math flags, so those instructions are named `kiln.reassoc.N` and the flag is added to
// the printed text, which is what gets compiled. f64 reductions stay sequential (exact order).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import llvm from 'llvm-bindings';
import type { Expr, KernelParam, LoopKernel, ScalarType, Stmt } from '../../lower/loop-ir.ts';
import { Primitive } from '../../ir/primitives.ts';
import { FnCg, ModuleCg, emitFor, emitIf, smax, smin } from './cg.ts';
import type { EmitMatmul, MatmulEmitContext } from './matmul-api.ts';
import { CodegenError, Ops } from './ops.ts';
import { emitMatmul as naiveMatmul } from './matmul-naive.ts';
import { emitSort } from './sort.ts';

export { CodegenError } from './ops.ts';

// The tuned matrix-product emitter lives in ./matmul.ts (another owner). Used, in order of
// preference: its `emitMatmul` with the signature of ./matmul-api.ts; else its
// `getMatmulFunction(module, context, dtype)` (a `void kiln_matmul_<f32|f64>(T* A, T* B, T* C,
// i64 batch, m, n, k, as0, as1, as2, bs0, bs1, bs2)` that we call) for f32/f64; else, and for
// other dtypes, the naive ./matmul-naive.ts. An error while loading matmul.ts is not hidden.
const MATMUL_TUNED = './matmul.ts';
type TunedModule = {
  emitMatmul?: EmitMatmul;
  getMatmulFunction?: (mod: llvm.Module, ctx: llvm.LLVMContext, dtype: 'f32' | 'f64') => llvm.Function;
};
const tuned: TunedModule | null = existsSync(fileURLToPath(new URL(MATMUL_TUNED, import.meta.url)))
  ? ((await import(/* @vite-ignore */ MATMUL_TUNED)) as TunedModule)
  : null;

const emitMatmul: EmitMatmul = (() => {
  if (typeof tuned?.emitMatmul === 'function') return tuned.emitMatmul;
  const get = tuned?.getMatmulFunction;
  if (typeof get !== 'function') return naiveMatmul;
  return (module, ctx, stmt) => {
    if (stmt.dtype !== 'f32' && stmt.dtype !== 'f64') return naiveMatmul(module, ctx, stmt);
    const fn = get(module, ctx.context, stmt.dtype);
    const i64 = llvm.Type.getInt64Ty(ctx.context);
    const dims = [stmt.batch, stmt.m, stmt.n, stmt.kdim, ...stmt.aStrides, ...stmt.bStrides];
    ctx.builder.CreateCall(fn, [ctx.a, ctx.b, ctx.c, ...dims.map((d) => llvm.ConstantInt.get(i64, d, true))]);
  };
})();

/** Which matrix-product emitter is in use. */
export const matmulEmitter: 'emitMatmul' | 'getMatmulFunction' | 'naive' =
  typeof tuned?.emitMatmul === 'function' ? 'emitMatmul' : typeof tuned?.getMatmulFunction === 'function' ? 'getMatmulFunction' : 'naive';

export interface EmitOptions {
  readonly target: 'x86_64';
  /** Matrix products: the tuned emitter when present ('auto', the default) or the naive one. */
  readonly matmul?: 'auto' | 'naive';
}

export interface EmittedModule {
  /** The module as LLVM 14 assembly text (the input of opt). */
  readonly ir: string;
}

export const TARGET_TRIPLE = 'x86_64-pc-linux-gnu';
const DATA_LAYOUT = 'e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-f80:128-n8:16:32:64-S128';

/** Below this estimated work (scalar operations) a parallel loop runs on the calling thread. */
export const PARALLEL_MIN_WORK = 1 << 15;

/** Symbols the generated code uses; a kernel may not take one of these names. */
const RESERVED = new Set([
  'malloc', 'free', 'tanh', 'tanhf', 'log1p', 'log1pf', 'expm1', 'expm1f', 'exp', 'expf', 'log', 'logf',
  'sin', 'sinf', 'cos', 'cosf', 'pow', 'powf', 'sqrt', 'sqrtf', 'floor', 'floorf', 'ceil', 'ceilf',
  'roundeven', 'roundevenf', 'fabs', 'fabsf', 'copysign', 'copysignf', 'memcpy', 'memset', 'memmove',
  'GOMP_parallel', 'omp_get_thread_num', 'omp_get_num_threads', 'main',
]);

/** Builds one LLVM module with one exported function per kernel, verified. */
export function emitModule(kernels: readonly LoopKernel[], opts: EmitOptions): EmittedModule {
  if (opts.target !== 'x86_64') throw new CodegenError(`emitModule: unsupported target ${String(opts.target)}`);
  const m = new ModuleCg('kiln');
  m.module.setTargetTriple(TARGET_TRIPLE);
  m.module.setDataLayout(DATA_LAYOUT);
  const names = new Set<string>();
  for (const k of kernels) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k.name)) throw new CodegenError(`kernel name '${k.name}' is not a C identifier`);
    if (RESERVED.has(k.name)) throw new CodegenError(`kernel name '${k.name}' clashes with a C library symbol`);
    if (names.has(k.name)) throw new CodegenError(`two kernels are named '${k.name}'`);
    names.add(k.name);
  }
  const mm = opts.matmul === 'naive' ? naiveMatmul : emitMatmul;
  for (const k of kernels) new KernelEmitter(m, k, mm).emit();
  if (llvm.verifyModule(m.module)) {
    throw new CodegenError(`LLVM module failed to verify (details on stderr):\n${m.module.print()}`);
  }
  const ir = m.module.print().replace(/(%kiln\.reassoc\.\d+ = f(?:add|mul)) /g, '$1 reassoc ');
  return { ir };
}

/** A loop-IR name as an LLVM value name (readable, never numeric: `%0` is LLVM's own). */
function irName(s: string): string {
  return `v.${s.replace(/[^A-Za-z0-9_.]/g, '_')}`;
}

type Binding =
  /** `expr` is kept for lets, so an outlined parallel loop can recompute them. */
  | { readonly kind: 'val'; readonly v: llvm.Value; readonly t: ScalarType; readonly expr?: Expr }
  | { readonly kind: 'mut'; readonly ptr: llvm.Value; readonly t: ScalarType };

/** One LLVM function being built: the kernel itself or an outlined parallel loop. */
interface Fn {
  readonly f: FnCg;
  readonly ops: Ops;
  /** Typed base pointers of the kernel's params. */
  readonly params: readonly llvm.Value[];
  /** Whether this is the kernel's own function at its top level (parallel loops allowed). */
  readonly outlinable: boolean;
}

class KernelEmitter {
  private parCount = 0;

  constructor(
    private readonly m: ModuleCg,
    private readonly k: LoopKernel,
    private readonly emitMatmul: EmitMatmul,
  ) {}

  private fail(msg: string): never {
    throw new CodegenError(`kernel ${this.k.name}: ${msg}`);
  }

  emit(): void {
    const m = this.m;
    if (m.module.getFunction(this.k.name)) this.fail(`the symbol name is taken`);
    const fn = llvm.Function.Create(
      llvm.FunctionType.get(m.void, [m.i8pp], false),
      llvm.Function.LinkageTypes.ExternalLinkage,
      this.k.name,
      m.module,
    );
    fn.setDoesNotThrow();
    const f = new FnCg(m, fn);
    const fs = this.openFn(f, fn.getArg(0), true);
    this.stmts(fs, this.k.body, [new Map()]);
    f.finish();
    this.verify(fn, this.k.name);
  }

  /** Sets up an Ops and loads every param pointer from the args array. */
  private openFn(f: FnCg, args: llvm.Value, outlinable: boolean): Fn {
    const m = this.m, b = f.builder;
    const params = this.k.params.map((p: KernelParam, i: number) => {
      const slot = b.CreateInBoundsGEP(m.i8p, args, m.constI64(i));
      const raw = b.CreateLoad(m.i8p, slot, irName(`${p.name}.raw`));
      return b.CreateBitCast(raw, llvm.PointerType.getUnqual(m.memType(p.dtype)), irName(p.name || `p${i}`));
    });
    return { f, ops: new Ops(m, b), params, outlinable };
  }

  private verify(fn: llvm.Function, fnName: string): void {
    if (llvm.verifyFunction(fn)) {
      const text = this.m.module.print();
      const name = fnName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      const match = new RegExp(`^define [^\\n]*@"?${name}"?\\([\\s\\S]*?^}`, 'm').exec(text);
      this.fail(`LLVM function ${fnName} failed to verify (details on stderr):\n${match ? match[0] : text}`);
    }
  }

  // ---- statements ------------------------------------------------------------------------

  private stmts(fs: Fn, body: readonly Stmt[], scopes: Map<string, Binding>[]): void {
    const inner = [...scopes, new Map<string, Binding>()];
    for (const s of body) this.stmt(fs, s, inner);
  }

  private stmt(fs: Fn, s: Stmt, scopes: Map<string, Binding>[]): void {
    const m = this.m, b = fs.f.builder, ops = fs.ops;
    const scope = scopes[scopes.length - 1]!;
    switch (s.k) {
      case 'for': {
        if (s.parallel && fs.outlinable) return this.parallelFor(fs, s, scopes);
        const n = this.index(fs, s.n, scopes);
        emitFor(fs.f, m.constI64(0), n, (i) => {
          const inner = new Map<string, Binding>([[s.v, { kind: 'val', v: i, t: 'index' }]]);
          this.stmts({ ...fs, outlinable: false }, s.body, [...scopes, inner]);
        }, irName(s.v));
        return;
      }
      case 'let': {
        const v = this.expr(fs, s.e, scopes);
        scope.set(s.name, { kind: 'val', v, t: s.e.t, expr: s.e });
        return;
      }
      case 'decl': {
        if (s.init.t !== s.t) this.fail(`decl ${s.name}: ${s.t} initialised with a ${s.init.t} value`);
        const ptr = fs.f.alloca(m.regType(s.t), irName(s.name));
        b.CreateStore(this.expr(fs, s.init, scopes), ptr);
        scope.set(s.name, { kind: 'mut', ptr, t: s.t });
        return;
      }
      case 'assign': {
        const bnd = this.lookup(s.name, scopes);
        if (bnd.kind !== 'mut') this.fail(`assignment to ${s.name}, which is not a mutable local (decl)`);
        if (s.e.t !== bnd.t) this.fail(`assignment of a ${s.e.t} value to ${s.name}: ${bnd.t}`);
        const e = s.e;
        const reads = (x: Expr) => x.k === 'var' && x.name === s.name;
        const reduction = bnd.t === 'f32' && e.k === 'binary' && (e.op === Primitive.Add || e.op === Primitive.Mul) && (reads(e.a) || reads(e.b));
        const v = reduction && e.k === 'binary'
          ? ops.binary(e.op, e.a.t, this.expr(fs, e.a, scopes), this.expr(fs, e.b, scopes), m.fresh('kiln.reassoc.'))
          : this.expr(fs, e, scopes);
        b.CreateStore(v, bnd.ptr);
        return;
      }
      case 'store': {
        const p = this.param(s.buf);
        if (s.e.t !== p.dtype) this.fail(`store of a ${s.e.t} value into param ${s.buf} (${p.name}: ${p.dtype})`);
        const ty = m.memType(p.dtype);
        const ptr = b.CreateInBoundsGEP(ty, fs.params[s.buf]!, this.index(fs, s.idx, scopes));
        b.CreateStore(ops.toMem(p.dtype, this.expr(fs, s.e, scopes)), ptr);
        return;
      }
      case 'if': {
        if (s.c.t !== 'bool') this.fail(`if condition of type ${s.c.t}`);
        const c = this.expr(fs, s.c, scopes);
        const inner = { ...fs, outlinable: false };
        emitIf(fs.f, c, () => this.stmts(inner, s.then, scopes), s.else.length ? () => this.stmts(inner, s.else, scopes) : undefined);
        return;
      }
      case 'matmul': {
        for (const [role, i] of [['a', s.a], ['b', s.b], ['c', s.c]] as const) {
          const p = this.param(i);
          if (p.dtype !== s.dtype) this.fail(`matmul operand ${role} is param ${i} (${p.dtype}), expected ${s.dtype}`);
        }
        const f = fs.f;
        const ctx: MatmulEmitContext = {
          context: f.context,
          module: f.module,
          builder: f.builder,
          fn: f.fn,
          alloca: (t, name) => f.alloca(t, name),
          a: fs.params[s.a]!,
          b: fs.params[s.b]!,
          c: fs.params[s.c]!,
          roundTo: (x, d) => ops.narrow(x, d),
        };
        this.emitMatmul(m.module, ctx, s);
        return;
      }
      case 'sort': {
        if (s.inputs.length !== s.outputs.length) this.fail(`sort with ${s.inputs.length} inputs and ${s.outputs.length} outputs`);
        if (s.numKeys < 0 || s.numKeys > s.inputs.length) this.fail(`sort with numKeys ${s.numKeys}`);
        s.inputs.forEach((p, t) => {
          if (this.param(p).dtype !== this.param(s.outputs[t]!).dtype) this.fail(`sort input ${p} and output ${s.outputs[t]} differ in dtype`);
        });
        emitSort(m, fs.f, s, { ptr: (i) => fs.params[i]!, dtype: (i) => this.param(i).dtype });
        return;
      }
      default:
        return s satisfies never;
    }
  }

  /** A parallel loop: outlined into `<kernel>.par[N](i8* ctx)` and run by GOMP_parallel. */
  private parallelFor(fs: Fn, s: Extract<Stmt, { k: 'for' }>, scopes: Map<string, Binding>[]): void {
    const m = this.m;
    const idx = this.parCount++;
    const name = `${this.k.name}.par${idx === 0 ? '' : idx + 1}`;
    const parFn = llvm.Function.Create(
      llvm.FunctionType.get(m.void, [m.i8p], false),
      llvm.Function.LinkageTypes.InternalLinkage,
      name,
      m.module,
    );
    parFn.setDoesNotThrow();
    const pf = new FnCg(m, parFn);
    const ps = this.openFn(pf, pf.builder.CreateBitCast(parFn.getArg(0), m.i8pp), false);
    const pb = pf.builder;
    // The loop refers to params, constants and loop-invariant lets computed before it (which
    // depend only on params and constants): those are recomputed here, in order.
    const outer = new Map<string, Binding>();
    for (const sc of scopes) {
      for (const [name, bnd] of sc) if (bnd.kind === 'val' && bnd.expr) outer.set(name, { ...bnd, v: this.expr(ps, bnd.expr, [outer]) });
    }
    const n = smax(pb, this.index(ps, s.n, [outer]), m.constI64(0));
    const tid = pb.CreateSExt(pb.CreateCall(m.extern('omp_get_thread_num', m.i32, []), []), m.i64);
    const nt = pb.CreateSExt(pb.CreateCall(m.extern('omp_get_num_threads', m.i32, []), []), m.i64);
    const chunk = pb.CreateSDiv(pb.CreateAdd(n, pb.CreateSub(nt, m.constI64(1))), nt);
    const start = smin(pb, pb.CreateMul(tid, chunk), n);
    const end = smin(pb, pb.CreateAdd(start, chunk), n);
    emitFor(pf, start, end, (i) => {
      this.stmts(ps, s.body, [outer, new Map<string, Binding>([[s.v, { kind: 'val', v: i, t: 'index' }]])]);
    }, irName(s.v));
    pf.finish();
    this.verify(parFn, name);

    const b = fs.f.builder;
    const ctxArg = b.CreateBitCast(this.fnArgs(fs), m.i8p);
    const gomp = m.extern('GOMP_parallel', m.void, [llvm.PointerType.getUnqual(llvm.FunctionType.get(m.void, [m.i8p], false)), m.i8p, m.i32, m.i32]);
    const parallel = () => void b.CreateCall(gomp, [parFn, ctxArg, m.constI32(0), m.constI32(0)]);
    const serial = () => void b.CreateCall(parFn, [ctxArg]);
    const bodyWork = Math.max(1, workOf(s.body));
    if (s.n.k === 'const') {
      if (s.n.v * bodyWork >= PARALLEL_MIN_WORK) parallel();
      else serial();
    } else {
      const nv = this.index(fs, s.n, scopes);
      const big = b.CreateICmpSGE(b.CreateMul(nv, m.constI64(bodyWork)), m.constI64(PARALLEL_MIN_WORK));
      emitIf(fs.f, big, parallel, serial, 'par');
    }
  }

  private fnArgs(fs: Fn): llvm.Value {
    return fs.f.fn.getArg(0);
  }

  // ---- expressions -----------------------------------------------------------------------

  private param(i: number): KernelParam {
    const p = this.k.params[i];
    if (p === undefined) this.fail(`reference to param ${i}, but the kernel has ${this.k.params.length}`);
    return p;
  }

  private lookup(name: string, scopes: readonly Map<string, Binding>[]): Binding {
    for (let i = scopes.length - 1; i >= 0; i--) {
      const bnd = scopes[i]!.get(name);
      if (bnd) return bnd;
    }
    return this.fail(`unknown variable ${name}`);
  }

  /** An expression used as an offset or trip count: index (i32 is sign-extended). */
  private index(fs: Fn, e: Expr, scopes: readonly Map<string, Binding>[]): llvm.Value {
    const v = this.expr(fs, e, scopes);
    if (e.t === 'index') return v;
    if (e.t === 'i32') return fs.f.builder.CreateSExt(v, this.m.i64);
    return this.fail(`an index expression has type ${e.t}`);
  }

  private expr(fs: Fn, e: Expr, scopes: readonly Map<string, Binding>[]): llvm.Value {
    const ops = fs.ops, b = fs.f.builder;
    switch (e.k) {
      case 'const':
        return ops.constant(e.t, e.v);
      case 'var': {
        const bnd = this.lookup(e.name, scopes);
        if (bnd.t !== e.t) this.fail(`variable ${e.name} has type ${bnd.t}, used as ${e.t}`);
        return bnd.kind === 'val' ? bnd.v : b.CreateLoad(this.m.regType(bnd.t), bnd.ptr, irName(e.name));
      }
      case 'load': {
        const p = this.param(e.buf);
        if (p.dtype !== e.t) this.fail(`load of ${e.t} from param ${e.buf} (${p.name}: ${p.dtype})`);
        const ty = this.m.memType(p.dtype);
        const ptr = b.CreateInBoundsGEP(ty, fs.params[e.buf]!, this.index(fs, e.idx, scopes));
        return ops.fromMem(p.dtype, b.CreateLoad(ty, ptr));
      }
      case 'unary':
        if (e.a.t !== e.t) this.fail(`${e.op} of a ${e.a.t} operand typed ${e.t}`);
        return ops.unary(e.op, e.t, this.expr(fs, e.a, scopes));
      case 'binary': {
        if (e.a.t !== e.b.t) this.fail(`${e.op} of ${e.a.t} and ${e.b.t} operands`);
        const compare = e.op === Primitive.Eq || e.op === Primitive.Ne || e.op === Primitive.Lt || e.op === Primitive.Le || e.op === Primitive.Gt || e.op === Primitive.Ge;
        if (compare ? e.t !== 'bool' : e.t !== e.a.t) this.fail(`${e.op} of ${e.a.t} operands typed ${e.t}`);
        return ops.binary(e.op, e.a.t, this.expr(fs, e.a, scopes), this.expr(fs, e.b, scopes));
      }
      case 'select':
        if (e.c.t !== 'bool' || e.a.t !== e.t || e.b.t !== e.t) this.fail(`select(${e.c.t}, ${e.a.t}, ${e.b.t}) typed ${e.t}`);
        return ops.select(this.expr(fs, e.c, scopes), this.expr(fs, e.a, scopes), this.expr(fs, e.b, scopes));
      case 'cast':
        return ops.cast(e.a.t, e.t, this.expr(fs, e.a, scopes));
      case 'threefry':
        return ops.threefry(
          ops.asWord(e.k0.t, this.expr(fs, e.k0, scopes)),
          ops.asWord(e.k1.t, this.expr(fs, e.k1, scopes)),
          ops.asWord(e.ctr.t, this.expr(fs, e.ctr, scopes)),
        );
      default:
        return e satisfies never;
    }
  }
}

// ---- work estimate (parallel loops) --------------------------------------------------------

const TRANSCENDENTAL = new Set<string>([
  Primitive.Exp, Primitive.Log, Primitive.Log1p, Primitive.Expm1, Primitive.Sin, Primitive.Cos, Primitive.Tanh,
  Primitive.Logistic, Primitive.Pow, Primitive.Rsqrt, Primitive.Sqrt,
]);

function exprWork(e: Expr): number {
  switch (e.k) {
    case 'const':
    case 'var':
      return 0;
    case 'load':
      return 1 + exprWork(e.idx);
    case 'unary':
      return (TRANSCENDENTAL.has(e.op) ? 10 : 1) + exprWork(e.a);
    case 'binary':
      return (TRANSCENDENTAL.has(e.op) ? 10 : 1) + exprWork(e.a) + exprWork(e.b);
    case 'select':
      return 1 + exprWork(e.c) + exprWork(e.a) + exprWork(e.b);
    case 'cast':
      return 1 + exprWork(e.a);
    case 'threefry':
      return 60 + exprWork(e.k0) + exprWork(e.k1) + exprWork(e.ctr);
    default:
      return e satisfies never;
  }
}

/** A rough count of scalar operations of a statement list (loops of unknown length count 16). */
export function workOf(body: readonly Stmt[]): number {
  let w = 0;
  for (const s of body) {
    switch (s.k) {
      case 'for':
        w += (s.n.k === 'const' ? Math.max(0, s.n.v) : 16) * (1 + workOf(s.body));
        break;
      case 'let':
      case 'assign':
        w += 1 + exprWork(s.e);
        break;
      case 'decl':
        w += 1 + exprWork(s.init);
        break;
      case 'store':
        w += 1 + exprWork(s.e) + exprWork(s.idx);
        break;
      case 'if':
        w += 1 + exprWork(s.c) + Math.max(workOf(s.then), workOf(s.else));
        break;
      case 'matmul':
        w += s.batch * s.m * s.n * s.kdim;
        break;
      case 'sort':
        w += (s.outer * s.inner * s.len * Math.max(1, Math.log2(Math.max(2, s.len))) * s.inputs.length);
        break;
      default:
        return s satisfies never;
    }
  }
  return w;
}

