// The CPU matrix-multiply kernel behind every MatmulStmt: a BLIS-style GEMM emitted as LLVM IR.
//
//   void kiln_matmul_<dtype>(T* A, T* B, T* C, i64 batch, i64 m, i64 n, i64 k,
//                            i64 as0, i64 as1, i64 as2, i64 bs0, i64 bs1, i64 bs2)
//
// computes, for bi < batch, i < m, j < n,
//   C[bi*m*n + i*n + j] = sum over p < k of A[bi*as0 + i*as1 + p*as2] * B[bi*bs0 + p*bs1 + j*bs2]
// writing C whole (C must not overlap A or B; strides may be 0, e.g. a broadcast batch).
//
// Structure (the loop nest of BLIS / GotoBLAS, one batch item at a time):
//
//   for jc in n by NC:                      columns of C whose packed B panel stays in L2/L3
//     for pc in k by KC:                    a slice of the reduction that fits the caches
//       pack B[pc:pc+kc, jc:jc+nc] into NR-wide column slivers (kc x NR each, zero padded)
//       for ic in m by MC:
//         pack A[ic:ic+mc, pc:pc+kc] into MR-tall row slivers (kc x MR each, zero padded)
//         for every (jr, ir) tile: micro-kernel, MR x NR accumulators in vector registers,
//                                  C tile = (pc == 0 ? 0 : C tile) + Ap sliver * Bp sliver
//
// Packing is where the strides go: the micro-kernel only ever reads contiguous, aligned
// slivers, so transposed (strided) operands cost a slower packing loop, not a slower kernel,
// and the zero padding of edge slivers lets the kernel always run its full MR x NR shape
// (edge tiles then copy the valid part out of a stack tile).
//
// Threads: one GOMP_parallel region per call (all of omp_get_max_threads()), in which the
// threads never synchronise: each takes whole batch items, or (few or large items) a rectangle
// of every item from a grid cut at tile boundaries, and runs the loop nest above on it with
// its own malloc'd pack buffers. Sharing packed panels would save some packing but needs a
// barrier per block, and on a machine shared with other processes each barrier can wait out
// the time slice of a descheduled thread (the first, barrier-based version of this kernel fell
// to a few GFLOP/s under such load); the grid's cost model keeps the duplicated packing small.
// Products below ~48^3 run on the calling thread, tiny ones (below ~10^3 multiply-adds) as a
// plain loop nest without packing. Called from inside another parallel region, GOMP gives a
// team of one thread and all still works.
//
// llvm-bindings 0.4.2 cannot create vector types, insertelement/shufflevector or loads with an
// explicit alignment, so the few vector primitives (splat, aligned and unaligned vector loads
// and stores, an 8 x 8 transpose) are defined in a small textual IR prelude that is parsed into a scratch module in
// the caller's context; everything else is built with IRBuilder in that scratch module, which
// is then linked into the caller's module. The primitives are `alwaysinline`, so the caller must
// run an optimisation pipeline (opt -O3) before code generation, and compile for the host CPU
// (llc -mcpu=native): the vector width is chosen here from the host's features.
import llvm from 'llvm-bindings';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export type MatmulDType = 'f32' | 'f64';

/** Vector features that decide the register blocking. */
export interface VectorISA {
  /** Width of one vector register in bits. */
  readonly bits: 128 | 256 | 512;
  /** Number of architectural vector registers. */
  readonly regs: 16 | 32;
}

/** Overrides of the blocking parameters (for tuning and for testing other code paths). */
export interface MatmulOptions {
  /** Vector ISA to generate for; default: the host's (see hostVectorISA). */
  readonly isa?: VectorISA;
  /** Rows of the micro-kernel tile. */
  readonly mr?: number;
  /** Columns of the micro-kernel tile, in vectors. */
  readonly nrVectors?: number;
  /** Reduction block (elements of k per packed sliver). */
  readonly kc?: number;
  /** Row block of A packed at once (rounded to a multiple of mr). */
  readonly mc?: number;
  /** Column block of B packed at once (rounded to a multiple of nr). */
  readonly nc?: number;
  /** Unrolling of the micro-kernel's k loop. */
  readonly unroll?: number;
  /** Products with m*n*k below this use the plain loop nest. */
  readonly smallWork?: number;
  /** Calls with batch*m*n*k below this stay on the calling thread. */
  readonly parallelWork?: number;
}

/** The parameters a generated kernel was built with. */
export interface MatmulConfig {
  readonly dtype: MatmulDType;
  readonly isa: VectorISA;
  /** Elements per vector. */
  readonly vl: number;
  readonly mr: number;
  readonly nrVectors: number;
  /** nrVectors * vl. */
  readonly nr: number;
  readonly kc: number;
  readonly mc: number;
  readonly nc: number;
  readonly unroll: number;
  readonly smallWork: number;
  readonly parallelWork: number;
}

let hostISA: VectorISA | undefined;

/**
 * The host's vector ISA, from /proc/cpuinfo on x86-64 Linux (AVX-512F: 32 x 512-bit,
 * AVX2 + FMA: 16 x 256-bit, otherwise SSE2's 16 x 128-bit); AArch64 has 32 x 128-bit NEON.
 * It must agree with what the module is compiled for (llc -mcpu=native): wider vectors than the
 * target has are still correct (LLVM splits them) but spill.
 */
export function hostVectorISA(): VectorISA {
  if (hostISA !== undefined) return hostISA;
  let isa: VectorISA = { bits: 128, regs: process.arch === 'arm64' ? 32 : 16 };
  if (process.arch === 'x64') {
    let flags = new Set<string>();
    try {
      const info = fs.readFileSync('/proc/cpuinfo', 'utf8');
      const line = /^flags\s*:(.*)$/m.exec(info);
      if (line) flags = new Set(line[1]!.trim().split(/\s+/));
    } catch {
      // Not Linux: keep the SSE2 baseline every x86-64 has.
    }
    if (flags.has('avx512f')) isa = { bits: 512, regs: 32 };
    else if (flags.has('avx2') && flags.has('fma')) isa = { bits: 256, regs: 16 };
  }
  hostISA = isa;
  return isa;
}

/** The blocking used for `dtype` on `options.isa` (default: the host), with overrides. */
export function matmulConfig(dtype: MatmulDType, options: MatmulOptions = {}): MatmulConfig {
  const isa = options.isa ?? hostVectorISA();
  const esize = dtype === 'f32' ? 4 : 8;
  const vl = isa.bits / 8 / esize;
  // Register budget: mr*nrVectors accumulators + nrVectors B vectors + one broadcast A value.
  // With 32 registers, 8 x 2 vectors (f32: 8 x 32) leaves room for the loads and keeps 16 FMA
  // chains in flight, enough to cover FMA latency times throughput (4 cycles x 2 per cycle);
  // with 16 registers the classic 6 x 2 (12 accumulators) is the largest tile that fits.
  const big = isa.regs >= 32;
  const mr = options.mr ?? (big ? 8 : 6);
  const nrVectors = options.nrVectors ?? 2;
  const nr = nrVectors * vl;
  // kc: the B sliver (kc x nr) should stay in L1 (32-48 KiB) while the A slivers of a block
  // stream past it from L2 (mc x kc of packed A); the kc x nc panel of packed B sits in L2/L3.
  // Measured on Zen 5 (48 KiB L1, 1 MiB L2), f32 and f64 alike: kc from 192 to 512, mc from 64
  // to 256 and nc from 1024 up are within 3% of each other; the kernel runs at ~95% of peak.
  const kc = options.kc ?? 256;
  const mc = roundUp(options.mc ?? 128, mr);
  const nc = roundUp(options.nc ?? (dtype === 'f32' ? 2048 : 1024), nr);
  const unroll = options.unroll ?? 4;
  if (mr < 1 || nrVectors < 1 || kc < 1 || unroll < 1) throw new Error('matmul: bad blocking options');
  return {
    dtype,
    isa,
    vl,
    mr,
    nrVectors,
    nr,
    kc,
    mc,
    nc,
    unroll,
    // Measured crossovers: packing pays off from about 10^3 multiply-adds, a second thread from
    // about 48^3 (GOMP_parallel costs a few microseconds).
    smallWork: options.smallWork ?? 1024,
    parallelWork: options.parallelWork ?? 1 << 17,
  };
}

function roundUp(x: number, to: number): number {
  return Math.ceil(x / to) * to;
}

/**
 * Returns (emitting it into `mod` on first use) the function
 *   void kiln_matmul_<dtype>(T* A, T* B, T* C, i64 batch, i64 m, i64 n, i64 k,
 *                            i64 as0, i64 as1, i64 as2, i64 bs0, i64 bs1, i64 bs2)
 * computing MatmulStmt semantics (C contiguous [batch, m, n], written whole; A element
 * (bi, i, p) at bi*as0 + i*as1 + p*as2, B element (bi, p, j) at bi*bs0 + p*bs1 + j*bs2),
 * multi-threaded with GOMP_parallel over blocks of C, for dtype 'f32' | 'f64'.
 *
 * The module must be compiled for the host (opt -O3 and llc -mcpu=native, as the vector width
 * follows the host) and linked with libgomp. `options` exist for tuning and tests; a module
 * holds one kernel per dtype, built with the options of the first call.
 */
export function getMatmulFunction(
  mod: llvm.Module,
  ctx: llvm.LLVMContext,
  dtype: MatmulDType,
  options: MatmulOptions = {},
): llvm.Function {
  const cfg = matmulConfig(dtype, options);
  // Emitted before: the internal worker exists (only a definition of ours references it, and
  // the caller may hold a mere declaration of the public function).
  if (mod.getFunction(`${internalPrefix(cfg)}_worker`) !== null) {
    const fn = mod.getFunction(publicName(dtype));
    if (fn !== null) return fn;
  }
  const scratch = parsePrelude(ctx, mod, cfg);
  new MatmulEmitter(ctx, scratch, cfg).emit();
  // Linking moves the public function and everything it references into `mod` (and resolves
  // a declaration of kiln_matmul_<dtype> the caller may already have made).
  if (llvm.Linker.linkModules(mod, scratch)) throw new Error(`matmul: linking kiln_matmul_${dtype} failed`);
  const fn = mod.getFunction(publicName(dtype));
  if (fn === null) throw new Error(`matmul: kiln_matmul_${dtype} missing after linking`);
  return fn;
}

function publicName(dtype: MatmulDType): string {
  return `kiln_matmul_${dtype}`;
}

/** Prefix of the internal symbols of one kernel. */
function internalPrefix(cfg: MatmulConfig): string {
  return `kiln_mm_${cfg.dtype}`;
}

/**
 * The textual part: vector primitives the bindings cannot express, and the declaration of the
 * public function (so it carries `nounwind`; its body is then built with IRBuilder).
 */
function preludeText(cfg: MatmulConfig, mod: llvm.Module): string {
  const T = cfg.dtype === 'f32' ? 'float' : 'double';
  const esize = cfg.dtype === 'f32' ? 4 : 8;
  const V = `<${cfg.vl} x ${T}>`;
  const p = internalPrefix(cfg);
  const header: string[] = [];
  const dl = mod.getDataLayoutStr();
  const triple = mod.getTargetTriple();
  // Same layout and triple as the destination, or linking warns.
  if (dl !== '') header.push(`target datalayout = "${dl}"`);
  if (triple !== '') header.push(`target triple = "${triple}"`);
  const i64s = Array.from({ length: 10 }, () => 'i64').join(', ');
  return `${header.join('\n')}
define internal ${V} @${p}_splat(${T} %x) alwaysinline nounwind readnone {
  %v = insertelement ${V} undef, ${T} %x, i32 0
  %s = shufflevector ${V} %v, ${V} undef, <${cfg.vl} x i32> zeroinitializer
  ret ${V} %s
}
define internal ${V} @${p}_loadu(${T}* %p) alwaysinline nounwind readonly argmemonly {
  %q = bitcast ${T}* %p to ${V}*
  %v = load ${V}, ${V}* %q, align ${esize}
  ret ${V} %v
}
define internal ${V} @${p}_loada(${T}* %p) alwaysinline nounwind readonly argmemonly {
  %q = bitcast ${T}* %p to ${V}*
  %v = load ${V}, ${V}* %q, align ${cfg.vl * esize}
  ret ${V} %v
}
define internal void @${p}_storeu(${T}* %p, ${V} %v) alwaysinline nounwind argmemonly {
  %q = bitcast ${T}* %p to ${V}*
  store ${V} %v, ${V}* %q, align ${esize}
  ret void
}
define internal void @${p}_storea(${T}* %p, ${V} %v) alwaysinline nounwind argmemonly {
  %q = bitcast ${T}* %p to ${V}*
  store ${V} %v, ${V}* %q, align ${cfg.vl * esize}
  ret void
}
${transpose8Text(T, esize, p)}
declare void @${publicName(cfg.dtype)}(${T}*, ${T}*, ${T}*, ${i64s}) nounwind
`;
}

/**
 * transpose8(src, ss, dst, ds): dst[j*ds + i] = src[i*ss + j] for i, j < 8, in registers: eight
 * 8-element loads, three rounds of two-input shuffles (pairs of elements, of element pairs, of
 * halves; x86 lowers them to unpack/shuffle/lane-permute instructions) and eight stores. This
 * is how packing transposes an A stored row-major (or a B stored transposed) at a fraction of
 * the cost of element-by-element copies, which LLVM would otherwise vectorise into scatters.
 */
function transpose8Text(T: string, esize: number, p: string): string {
  const V8 = `<8 x ${T}>`;
  const mask = (xs: number[]): string => `<8 x i32> <${xs.map((x) => `i32 ${x}`).join(', ')}>`;
  const lines: string[] = [];
  for (let i = 0; i < 8; i++) {
    lines.push(`  %sp${i} = getelementptr inbounds ${T}, ${T}* %src, i64 %so${i}`);
    lines.push(`  %so${i + 1} = add i64 %so${i}, %ss`);
    lines.push(`  %sq${i} = bitcast ${T}* %sp${i} to ${V8}*`);
    lines.push(`  %r${i} = load ${V8}, ${V8}* %sq${i}, align ${esize}`);
  }
  const sh = (out: string, a: string, b: string, m: number[]): void =>
    void lines.push(`  %${out} = shufflevector ${V8} %${a}, ${V8} %${b}, ${mask(m)}`);
  const lo1 = [0, 8, 1, 9, 4, 12, 5, 13];
  const hi1 = [2, 10, 3, 11, 6, 14, 7, 15];
  const lo2 = [0, 1, 8, 9, 4, 5, 12, 13];
  const hi2 = [2, 3, 10, 11, 6, 7, 14, 15];
  const lo4 = [0, 1, 2, 3, 8, 9, 10, 11];
  const hi4 = [4, 5, 6, 7, 12, 13, 14, 15];
  for (let i = 0; i < 8; i += 2) {
    sh(`t${i}`, `r${i}`, `r${i + 1}`, lo1);
    sh(`t${i + 1}`, `r${i}`, `r${i + 1}`, hi1);
  }
  for (const [o, a, b] of [
    [0, 0, 2],
    [4, 4, 6],
  ] as const) {
    sh(`u${o}`, `t${a}`, `t${b}`, lo2);
    sh(`u${o + 1}`, `t${a}`, `t${b}`, hi2);
    sh(`u${o + 2}`, `t${a + 1}`, `t${b + 1}`, lo2);
    sh(`u${o + 3}`, `t${a + 1}`, `t${b + 1}`, hi2);
  }
  // u0..u3 hold columns (0,4), (1,5), (2,6), (3,7) of rows 0-3; u4..u7 the same of rows 4-7.
  for (let j = 0; j < 4; j++) {
    sh(`o${j}`, `u${j}`, `u${j + 4}`, lo4);
    sh(`o${j + 4}`, `u${j}`, `u${j + 4}`, hi4);
  }
  for (let j = 0; j < 8; j++) {
    lines.push(`  %dp${j} = getelementptr inbounds ${T}, ${T}* %dst, i64 %do${j}`);
    lines.push(`  %do${j + 1} = add i64 %do${j}, %ds`);
    lines.push(`  %dq${j} = bitcast ${T}* %dp${j} to ${V8}*`);
    lines.push(`  store ${V8} %o${j}, ${V8}* %dq${j}, align ${esize}`);
  }
  return `define internal void @${p}_transpose8(${T}* %src, i64 %ss, ${T}* %dst, i64 %ds) alwaysinline nounwind argmemonly {
  %so0 = add i64 0, 0
  %do0 = add i64 0, 0
${lines.join('\n')}
  ret void
}`;
}

/** Parses the prelude into a new module of `ctx` (the bindings only parse from files). */
function parsePrelude(ctx: llvm.LLVMContext, mod: llvm.Module, cfg: MatmulConfig): llvm.Module {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-matmul-'));
  const file = path.join(dir, 'prelude.ll');
  try {
    fs.writeFileSync(file, preludeText(cfg, mod));
    const parsed = llvm.parseIRFile(file, new llvm.SMDiagnostic(), ctx);
    // parseIRFile reports a syntax error as a null module.
    if (!parsed) throw new Error('matmul: internal error: the IR prelude does not parse');
    return parsed;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

type V = llvm.Value;

/** Builds the kernel's functions into the scratch module. */
class MatmulEmitter {
  private readonly b: llvm.IRBuilder;
  private readonly i32: llvm.IntegerType;
  private readonly i64: llvm.IntegerType;
  private readonly i8p: llvm.PointerType;
  private readonly T: llvm.Type;
  private readonly Tp: llvm.PointerType;
  private readonly vecT: llvm.Type;
  private readonly pre: string;
  private readonly splatFn: llvm.Function;
  private readonly loaduFn: llvm.Function;
  private readonly loadaFn: llvm.Function;
  private readonly storeuFn: llvm.Function;
  private readonly storeaFn: llvm.Function;
  private readonly transpose8Fn: llvm.Function;
  private readonly fmaFn: llvm.Function;
  private readonly fmaScalarFn: llvm.Function;
  private fn!: llvm.Function;
  private fnName = '';

  constructor(
    private readonly ctx: llvm.LLVMContext,
    private readonly mod: llvm.Module,
    private readonly cfg: MatmulConfig,
  ) {
    this.b = new llvm.IRBuilder(ctx);
    this.i32 = llvm.Type.getInt32Ty(ctx);
    this.i64 = llvm.Type.getInt64Ty(ctx);
    this.i8p = llvm.Type.getInt8PtrTy(ctx);
    this.T = cfg.dtype === 'f32' ? llvm.Type.getFloatTy(ctx) : llvm.Type.getDoubleTy(ctx);
    this.Tp = llvm.PointerType.getUnqual(this.T);
    this.pre = internalPrefix(cfg);
    const get = (name: string): llvm.Function => {
      const f = mod.getFunction(`${this.pre}_${name}`);
      if (f === null) throw new Error(`matmul: prelude lacks ${name}`);
      return f;
    };
    this.splatFn = get('splat');
    this.loaduFn = get('loadu');
    this.loadaFn = get('loada');
    this.storeuFn = get('storeu');
    this.storeaFn = get('storea');
    this.transpose8Fn = get('transpose8');
    // The only way to get hold of the vector type: the return type of a prelude function.
    this.vecT = this.splatFn.getReturnType();
    // fmuladd, not fma: fused where the target has FMA, a multiply and an add (not a libcall)
    // where it has not.
    this.fmaFn = llvm.Intrinsic.getDeclaration(mod, llvm.Intrinsic.fmuladd, [this.vecT]);
    this.fmaScalarFn = llvm.Intrinsic.getDeclaration(mod, llvm.Intrinsic.fmuladd, [this.T]);
  }

  emit(): void {
    const kernel = this.emitKernel();
    const packA = this.emitPackA();
    const packB = this.emitPackB();
    const naive = this.emitNaive();
    const worker = this.emitWorker(kernel, packA, packB);
    const outlined = this.emitOutlined(worker, naive);
    this.emitEntry(worker, naive, outlined);
  }

  // ---- small helpers -----------------------------------------------------------------------

  private c64(v: number): V {
    return llvm.ConstantInt.get(this.i64, v, true);
  }

  private c32(v: number): V {
    return llvm.ConstantInt.get(this.i32, v, true);
  }

  private zeroT(): V {
    return llvm.ConstantFP.get(this.T, 0);
  }

  private block(name: string): llvm.BasicBlock {
    return llvm.BasicBlock.Create(this.ctx, name, this.fn);
  }

  private newFunction(name: string, ret: llvm.Type, params: llvm.Type[], argNames: string[]): llvm.Function {
    const fn = llvm.Function.Create(
      llvm.FunctionType.get(ret, params, false),
      llvm.Function.LinkageTypes.InternalLinkage,
      `${this.pre}_${name}`,
      this.mod,
    );
    argNames.forEach((n, i) => fn.getArg(i).setName(n));
    this.fn = fn;
    this.fnName = `${this.pre}_${name}`;
    this.b.SetInsertPoint(llvm.BasicBlock.Create(this.ctx, 'entry', fn));
    return fn;
  }

  private finishFunction(fn: llvm.Function, name: string): void {
    // verifyFunction returns true when the function is broken.
    if (llvm.verifyFunction(fn)) throw new Error(`matmul: internal error: ${name} fails verification`);
  }

  private extern(name: string, ret: llvm.Type, params: llvm.Type[]): llvm.FunctionCallee {
    return this.mod.getOrInsertFunction(name, llvm.FunctionType.get(ret, params, false));
  }

  private gep(p: V, idx: V): V {
    return this.b.CreateInBoundsGEP(this.T, p, idx);
  }

  private load(p: V, idx: V): V {
    return this.b.CreateLoad(this.T, this.gep(p, idx));
  }

  private store(v: V, p: V, idx: V): void {
    this.b.CreateStore(v, this.gep(p, idx));
  }

  private add(a: V, b: V): V {
    return this.b.CreateAdd(a, b);
  }

  private mul(a: V, b: V): V {
    return this.b.CreateMul(a, b);
  }

  private min(a: V, b: V): V {
    return this.b.CreateSelect(this.b.CreateICmpSLT(a, b), a, b);
  }

  /** ceil(a / d) for a >= 0, d > 0. */
  private ceilDiv(a: V, d: V): V {
    return this.b.CreateSDiv(this.b.CreateAdd(a, this.b.CreateSub(d, this.c64(1))), d);
  }

  /**
   * for (iv = lo; iv < hi; iv += step) with loop-carried values, as a guarded do-while (the
   * rotated form LLVM's loop passes expect). `body` returns the carried values for the next
   * iteration; the result is their values after the loop (the inits if it never ran).
   */
  private loop(lo: V, hi: V, step: V, name: string, carried: V[], body: (iv: V, vals: V[]) => V[]): V[] {
    const b = this.b;
    const pre = b.GetInsertBlock()!;
    const header = this.block(name);
    const exit = this.block(`${name}.exit`);
    b.CreateCondBr(b.CreateICmpSLT(lo, hi), header, exit);
    b.SetInsertPoint(header);
    const iv = b.CreatePHI(this.i64, 2, name);
    iv.addIncoming(lo, pre);
    const phis = carried.map((v) => {
      const p = b.CreatePHI(v.getType(), 2);
      p.addIncoming(v, pre);
      return p;
    });
    const out = body(iv, phis);
    const next = b.CreateAdd(iv, step);
    const latch = b.GetInsertBlock()!;
    iv.addIncoming(next, latch);
    phis.forEach((p, i) => p.addIncoming(out[i]!, latch));
    b.CreateCondBr(b.CreateICmpSLT(next, hi), header, exit);
    b.SetInsertPoint(exit);
    return carried.map((v, i) => {
      const p = b.CreatePHI(v.getType(), 2);
      p.addIncoming(v, pre);
      p.addIncoming(out[i]!, latch);
      return p;
    });
  }

  private for(lo: V, hi: V, step: V, name: string, body: (iv: V) => void): void {
    this.loop(lo, hi, step, name, [], (iv) => {
      body(iv);
      return [];
    });
  }

  /** if (cond) then() else otherwise(); a branch may end in `ret` (return 'ret' then). */
  private if(cond: V, then: () => void | 'ret', otherwise?: () => void | 'ret'): void {
    const b = this.b;
    const tb = this.block('then');
    const eb = otherwise ? this.block('else') : undefined;
    const join = this.block('join');
    b.CreateCondBr(cond, tb, eb ?? join);
    b.SetInsertPoint(tb);
    if (then() !== 'ret') b.CreateBr(join);
    if (eb && otherwise) {
      b.SetInsertPoint(eb);
      if (otherwise() !== 'ret') b.CreateBr(join);
    }
    b.SetInsertPoint(join);
  }

  /**
   * malloc(n elements + 64 bytes) and the pointer rounded up to 64 bytes: the packed slivers
   * are read with aligned vector loads. Returns [aligned T*, raw i8* for free, raw is null].
   */
  private alloc(elems: V): [V, V, V] {
    const b = this.b;
    const malloc = this.extern('malloc', this.i8p, [this.i64]);
    const esize = this.cfg.dtype === 'f32' ? 4 : 8;
    const raw = b.CreateCall(malloc, [this.add(this.mul(elems, this.c64(esize)), this.c64(64))]);
    const addr = b.CreatePtrToInt(raw, this.i64);
    const aligned = b.CreateAnd(this.add(addr, this.c64(63)), this.c64(-64));
    return [b.CreateIntToPtr(aligned, this.Tp), raw, b.CreateIsNull(raw)];
  }

  private free(raw: V): void {
    this.b.CreateCall(this.extern('free', llvm.Type.getVoidTy(this.ctx), [this.i8p]), [raw]);
  }

  /**
   * The block sizes for a problem, balanced so that the last block is not a sliver: e.g. k =
   * 784 with KC = 256 becomes 4 blocks of 196 rather than 3 of 256 and one of 16.
   * Returns [kcb, mcb, ncb] (mcb a multiple of MR, ncb of NR).
   */
  private blockSizes(m: V, n: V, k: V): [V, V, V] {
    const { kc, mc, nc, mr, nr } = this.cfg;
    const even = (x: V, blk: number, mult: number): V => {
      const count = this.ceilDiv(x, this.c64(blk));
      const size = this.ceilDiv(x, count);
      return this.mul(this.ceilDiv(size, this.c64(mult)), this.c64(mult));
    };
    return [even(k, kc, 1), even(m, mc, mr), even(n, nc, nr)];
  }

  // ---- micro-kernel ------------------------------------------------------------------------

  /**
   * kernel(a, b, c, ldc, kc, accumulate, mr, nr): the MR x NR tile
   *   c[r*ldc + j] = (accumulate ? c[r*ldc + j] : 0) + sum_p a[p*MR + r] * b[p*NR + j]
   * for r < mr, j < nr, from a packed A sliver (kc x MR) and B sliver (kc x NR). The MR*NRV
   * accumulators are loop-carried vector values, which the register allocator keeps in
   * registers; each k step loads NRV vectors of B and broadcasts MR scalars of A (x86 folds the
   * broadcast into the FMA's memory operand).
   */
  private emitKernel(): llvm.Function {
    const { mr: MR, nr: NR, nrVectors: NRV, vl: VL, unroll: U } = this.cfg;
    const Tp = this.Tp;
    const i64 = this.i64;
    const fn = this.newFunction('kernel', llvm.Type.getVoidTy(this.ctx), [Tp, Tp, Tp, i64, i64, i64, i64, i64], [
      'a',
      'b',
      'c',
      'ldc',
      'kc',
      'accumulate',
      'mr',
      'nr',
    ]);
    const [a, bp, c, ldc, kc, accumulate, mr, nr] = Array.from({ length: 8 }, (_, i) => fn.getArg(i));
    const b = this.b;
    const tile = b.CreateAlloca(llvm.ArrayType.get(this.T, MR * NR), null, 'tile');
    const tileP = b.CreateBitCast(tile, Tp);
    const zero = llvm.Constant.getNullValue(this.vecT);

    // One k step: acc[r][v] += a[off*MR + r] * b[off*NR + v*VL].
    const step = (acc: V[], pa: V, pb: V, off: number): V[] => {
      const bv = Array.from({ length: NRV }, (_, v) => b.CreateCall(this.loadaFn, [this.gep(pb, this.c64(off * NR + v * VL))]));
      const out = acc.slice();
      for (let r = 0; r < MR; r++) {
        const av = b.CreateCall(this.splatFn, [this.load(pa, this.c64(off * MR + r))]);
        for (let v = 0; v < NRV; v++) out[r * NRV + v] = b.CreateCall(this.fmaFn, [av, bv[v]!, out[r * NRV + v]!]);
      }
      return out;
    };
    const init = Array.from({ length: MR * NRV }, () => zero);
    // Main loop unrolled U times (pointer increments, not index arithmetic, so the addressing is
    // a register plus a constant), then the kc % U remainder one step at a time.
    const mainTrips = b.CreateSDiv(kc, this.c64(U));
    const afterMain = this.loop(this.c64(0), mainTrips, this.c64(1), 'kmain', [...init, a, bp], (_q, vals) => {
      let acc = vals.slice(0, MR * NRV);
      const pa = vals[MR * NRV]!;
      const pb = vals[MR * NRV + 1]!;
      for (let u = 0; u < U; u++) acc = step(acc, pa, pb, u);
      return [...acc, this.gep(pa, this.c64(U * MR)), this.gep(pb, this.c64(U * NR))];
    });
    const done = this.mul(mainTrips, this.c64(U));
    const afterRest = this.loop(done, kc, this.c64(1), 'krest', afterMain, (_q, vals) => {
      const acc = step(vals.slice(0, MR * NRV), vals[MR * NRV]!, vals[MR * NRV + 1]!, 0);
      return [...acc, this.gep(vals[MR * NRV]!, this.c64(MR)), this.gep(vals[MR * NRV + 1]!, this.c64(NR))];
    });
    const acc = afterRest.slice(0, MR * NRV);

    const full = b.CreateAnd(b.CreateICmpEQ(mr, this.c64(MR)), b.CreateICmpEQ(nr, this.c64(NR)));
    const accumulating = b.CreateICmpNE(accumulate, this.c64(0));
    this.if(
      full,
      () => {
        // Whole tile: straight vector stores into C (unaligned: C rows start anywhere).
        const rowPtr = (r: number): V => this.gep(c, this.mul(ldc, this.c64(r)));
        this.if(
          accumulating,
          () => {
            for (let r = 0; r < MR; r++) {
              const row = rowPtr(r);
              for (let v = 0; v < NRV; v++) {
                const p = this.gep(row, this.c64(v * VL));
                const old = b.CreateCall(this.loaduFn, [p]);
                b.CreateCall(this.storeuFn, [p, b.CreateFAdd(old, acc[r * NRV + v]!)]);
              }
            }
          },
          () => {
            for (let r = 0; r < MR; r++) {
              const row = rowPtr(r);
              for (let v = 0; v < NRV; v++) b.CreateCall(this.storeuFn, [this.gep(row, this.c64(v * VL)), acc[r * NRV + v]!]);
            }
          },
        );
      },
      () => {
        // Edge tile: spill the accumulators to the stack and copy the valid mr x nr corner.
        for (let r = 0; r < MR; r++)
          for (let v = 0; v < NRV; v++) b.CreateCall(this.storeuFn, [this.gep(tileP, this.c64(r * NR + v * VL)), acc[r * NRV + v]!]);
        this.for(this.c64(0), mr, this.c64(1), 'er', (r) => {
          const crow = this.gep(c, this.mul(r, ldc));
          const trow = this.gep(tileP, this.mul(r, this.c64(NR)));
          this.for(this.c64(0), nr, this.c64(1), 'ej', (j) => {
            const t = this.load(trow, j);
            const old = b.CreateSelect(accumulating, this.load(crow, j), this.zeroT());
            this.store(b.CreateFAdd(old, t), crow, j);
          });
        });
      },
    );
    b.CreateRetVoid();
    this.finishFunction(fn, this.fnName);
    return fn;
  }

  // ---- packing -----------------------------------------------------------------------------

  /**
   * Copies a full `rows` x kc panel into the packed layout dst[p*rows + r] = src[r*rs + p*ps]
   * (r < rows): the transposing case of both packings (A stored row-major, B stored
   * transposed), where source rows run along k. When ps == 1 and rows is a multiple of 8,
   * 8 x 8 blocks go through registers (transpose8); otherwise, and for the last kc % 8 steps,
   * one k step at a time with the rows unrolled (a loop over k inside a loop over rows would be
   * vectorised by LLVM into scatters, which are slow).
   */
  private packTransposing(src: V, rs: V, ps: V, kc: V, dst: V, rows: number): void {
    const b = this.b;
    const rowsC = this.c64(rows);
    const scalarSteps = (from: V): void => {
      const rowPtrs = Array.from({ length: rows }, (_, r) => this.gep(src, this.mul(rs, this.c64(r))));
      this.for(from, kc, this.c64(1), 'p', (p) => {
        const d = this.gep(dst, this.mul(p, rowsC));
        const off = this.mul(p, ps);
        for (let r = 0; r < rows; r++) this.store(this.load(rowPtrs[r]!, off), d, this.c64(r));
      });
    };
    if (rows % 8 !== 0) {
      scalarSteps(this.c64(0));
      return;
    }
    this.if(
      b.CreateICmpEQ(ps, this.c64(1)),
      () => {
        const kc8 = b.CreateAnd(kc, this.c64(-8));
        this.for(this.c64(0), kc8, this.c64(8), 'p8', (p) => {
          for (let r0 = 0; r0 < rows; r0 += 8) {
            const s = this.gep(src, this.add(p, this.mul(rs, this.c64(r0))));
            b.CreateCall(this.transpose8Fn, [s, rs, this.gep(dst, this.add(this.mul(p, rowsC), this.c64(r0))), rowsC]);
          }
        });
        scalarSteps(kc8);
      },
      () => scalarSteps(this.c64(0)),
    );
  }

  /**
   * packA(src, rs, ps, kc, mr, dst): dst[p*MR + r] = src[r*rs + p*ps] for r < mr, p < kc, and
   * 0 for mr <= r < MR (so the kernel can always compute a full tile).
   */
  private emitPackA(): llvm.Function {
    const MR = this.cfg.mr;
    const Tp = this.Tp;
    const i64 = this.i64;
    const fn = this.newFunction('packA', llvm.Type.getVoidTy(this.ctx), [Tp, i64, i64, i64, i64, Tp], ['src', 'rs', 'ps', 'kc', 'mr', 'dst']);
    const [src, rs, ps, kc, mr, dst] = Array.from({ length: 6 }, (_, i) => fn.getArg(i));
    const b = this.b;
    const mrC = this.c64(MR);
    this.if(
      b.CreateICmpEQ(mr, mrC),
      () =>
        this.if(
          b.CreateICmpEQ(rs, this.c64(1)),
          () => {
            // A stored transposed (its rows adjacent in memory): each k step copies MR
            // contiguous elements, written with constant offsets so that it becomes vector moves.
            this.for(this.c64(0), kc, this.c64(1), 'p', (p) => {
              const s = this.gep(src, this.mul(p, ps));
              const d = this.gep(dst, this.mul(p, mrC));
              for (let r = 0; r < MR; r++) this.store(this.load(s, this.c64(r)), d, this.c64(r));
            });
          },
          // Row-major (or generally strided) A: a transpose.
          () => this.packTransposing(src, rs, ps, kc, dst, MR),
        ),
      () => {
        // Edge sliver (the last rows of A): element by element, then zeros.
        this.for(this.c64(0), kc, this.c64(1), 'p', (p) => {
          const d = this.gep(dst, this.mul(p, mrC));
          const s = this.gep(src, this.mul(p, ps));
          for (let r = 0; r < MR; r++) {
            // Row r exists iff r < mr; a clamped index keeps the (discarded) load in bounds.
            const ok = b.CreateICmpSLT(this.c64(r), mr);
            const x = this.load(s, this.mul(rs, b.CreateSelect(ok, this.c64(r), this.c64(0))));
            this.store(b.CreateSelect(ok, x, this.zeroT()), d, this.c64(r));
          }
        });
      },
    );
    b.CreateRetVoid();
    this.finishFunction(fn, this.fnName);
    return fn;
  }

  /**
   * packB(src, ps, cs, kc, nr, dst): dst[p*NR + j] = src[p*ps + j*cs] for j < nr, p < kc, and 0
   * for nr <= j < NR. dst is 64-byte aligned.
   */
  private emitPackB(): llvm.Function {
    const { nr: NR, nrVectors: NRV, vl: VL } = this.cfg;
    const Tp = this.Tp;
    const i64 = this.i64;
    const fn = this.newFunction('packB', llvm.Type.getVoidTy(this.ctx), [Tp, i64, i64, i64, i64, Tp], ['src', 'ps', 'cs', 'kc', 'nr', 'dst']);
    const [src, ps, cs, kc, nr, dst] = Array.from({ length: 6 }, (_, i) => fn.getArg(i));
    const b = this.b;
    const nrC = this.c64(NR);
    this.if(
      b.CreateICmpEQ(nr, nrC),
      () =>
        this.if(
          b.CreateICmpEQ(cs, this.c64(1)),
          () => {
            // Row-major B: NRV vector copies per k step.
            this.for(this.c64(0), kc, this.c64(1), 'p', (p) => {
              const s = this.gep(src, this.mul(p, ps));
              const d = this.gep(dst, this.mul(p, nrC));
              for (let v = 0; v < NRV; v++) {
                const x = b.CreateCall(this.loaduFn, [this.gep(s, this.c64(v * VL))]);
                b.CreateCall(this.storeaFn, [this.gep(d, this.c64(v * VL)), x]);
              }
            });
          },
          // B stored transposed (B^T row-major: columns of B run along k): a transpose.
          () => this.packTransposing(src, cs, ps, kc, dst, NR),
        ),
      () => {
        // Edge sliver (the last columns of B): column by column, then zeros.
        this.for(this.c64(0), nr, this.c64(1), 'j', (j) => {
          const s = this.gep(src, this.mul(j, cs));
          const d = this.gep(dst, j);
          this.for(this.c64(0), kc, this.c64(1), 'p', (p) => {
            this.store(this.load(s, this.mul(p, ps)), d, this.mul(p, nrC));
          });
        });
        this.for(nr, nrC, this.c64(1), 'z', (j) => {
          const d = this.gep(dst, j);
          this.for(this.c64(0), kc, this.c64(1), 'p', (p) => this.store(this.zeroT(), d, this.mul(p, nrC)));
        });
      },
    );
    b.CreateRetVoid();
    this.finishFunction(fn, this.fnName);
    return fn;
  }

  // ---- the plain loop nest -------------------------------------------------------------------

  /** naive(A, B, C, b0, b1, m, n, k, as0, as1, as2, bs0, bs1, bs2, ldc, cs0): batches [b0, b1)
   * without packing, for tiny products (and as the fallback when scratch memory cannot be had).
   * C element (bi, i, j) is at bi*cs0 + i*ldc + j. */
  private emitNaive(): llvm.Function {
    const Tp = this.Tp;
    const i64 = this.i64;
    const fn = this.newFunction(
      'naive',
      llvm.Type.getVoidTy(this.ctx),
      [Tp, Tp, Tp, ...Array<llvm.Type>(13).fill(i64)],
      ['A', 'B', 'C', 'b0', 'b1', 'm', 'n', 'k', 'as0', 'as1', 'as2', 'bs0', 'bs1', 'bs2', 'ldc', 'cs0'],
    );
    const [A, B, C, b0, b1, m, n, k, as0, as1, as2, bs0, bs1, bs2, ldc, cs0] = Array.from({ length: 16 }, (_, i) => fn.getArg(i));
    const one = this.c64(1);
    this.for(b0, b1, one, 'bi', (bi) => {
      const Ab = this.gep(A, this.mul(bi, as0));
      const Bb = this.gep(B, this.mul(bi, bs0));
      const Cb = this.gep(C, this.mul(bi, cs0));
      this.for(this.c64(0), m, one, 'i', (i) => {
        const Ar = this.gep(Ab, this.mul(i, as1));
        const Cr = this.gep(Cb, this.mul(i, ldc));
        this.for(this.c64(0), n, one, 'j', (j) => {
          const Bc = this.gep(Bb, this.mul(j, bs2));
          const [sum] = this.loop(this.c64(0), k, one, 'p', [this.zeroT()], (p, [acc]) => [
            this.b.CreateCall(this.fmaScalarFn, [this.load(Ar, this.mul(p, as2)), this.load(Bc, this.mul(p, bs1)), acc!]),
          ]);
          this.store(sum!, Cr, j);
        });
      });
    });
    this.b.CreateRetVoid();
    this.finishFunction(fn, this.fnName);
    return fn;
  }

  // ---- the blocked algorithm -----------------------------------------------------------------

  /**
   * worker(A, B, C, m, n, k, as0, as1, as2, bs0, bs1, bs2, ldc, cs0, b0, b1, Ap, Bp): batches
   * [b0, b1) of an m x n x k product on one thread, with the pack buffers Ap and Bp; C element
   * (bi, i, j) is at bi*cs0 + i*ldc + j (a thread's part of a larger C).
   */
  private emitWorker(kernel: llvm.Function, packA: llvm.Function, packB: llvm.Function): llvm.Function {
    const { mr: MR, nr: NR } = this.cfg;
    const Tp = this.Tp;
    const i64 = this.i64;
    const fn = this.newFunction(
      'worker',
      llvm.Type.getVoidTy(this.ctx),
      [Tp, Tp, Tp, ...Array<llvm.Type>(13).fill(i64), Tp, Tp],
      ['A', 'B', 'C', 'm', 'n', 'k', 'as0', 'as1', 'as2', 'bs0', 'bs1', 'bs2', 'ldc', 'cs0', 'b0', 'b1', 'Ap', 'Bp'],
    );
    const [A, B, C, m, n, k, as0, as1, as2, bs0, bs1, bs2, ldc, cs0, b0, b1, Ap, Bp] = Array.from({ length: 18 }, (_, i) => fn.getArg(i));
    const b = this.b;
    const [kcb, mcb, ncb] = this.blockSizes(m, n, k);
    const zero = this.c64(0);
    const one = this.c64(1);
    const mrC = this.c64(MR);
    const nrC = this.c64(NR);

    this.for(b0, b1, one, 'bi', (bi) => {
      const Ab = this.gep(A, this.mul(bi, as0));
      const Bb = this.gep(B, this.mul(bi, bs0));
      const Cb = this.gep(C, this.mul(bi, cs0));
      this.for(zero, n, ncb, 'jc', (jc) => {
        const nc = this.min(ncb, b.CreateSub(n, jc));
        this.for(zero, k, kcb, 'pc', (pc) => {
          const kc = this.min(kcb, b.CreateSub(k, pc));
          const accumulate = b.CreateZExt(b.CreateICmpSGT(pc, zero), i64);
          this.for(zero, nc, nrC, 'jp', (jr) => {
            const j0 = this.add(jc, jr);
            const src = this.gep(Bb, this.add(this.mul(pc, bs1), this.mul(j0, bs2)));
            b.CreateCall(packB, [src, bs1, bs2, kc, this.min(nrC, b.CreateSub(n, j0)), this.gep(Bp, this.mul(jr, kc))]);
          });
          this.for(zero, m, mcb, 'ic', (ic) => {
            const mc = this.min(mcb, b.CreateSub(m, ic));
            this.for(zero, mc, mrC, 'ip', (ir) => {
              const i0 = this.add(ic, ir);
              const src = this.gep(Ab, this.add(this.mul(i0, as1), this.mul(pc, as2)));
              b.CreateCall(packA, [src, as1, as2, kc, this.min(mrC, b.CreateSub(m, i0)), this.gep(Ap, this.mul(ir, kc))]);
            });
            // One B sliver (kc x NR, in L1) against the successive A slivers of the block (in L2).
            this.for(zero, nc, nrC, 'jr', (jr) => {
              const j0 = this.add(jc, jr);
              const nr = this.min(nrC, b.CreateSub(n, j0));
              const bs = this.gep(Bp, this.mul(jr, kc));
              this.for(zero, mc, mrC, 'ir', (ir) => {
                const i0 = this.add(ic, ir);
                b.CreateCall(kernel, [
                  this.gep(Ap, this.mul(ir, kc)),
                  bs,
                  this.gep(Cb, this.add(this.mul(i0, ldc), j0)),
                  ldc,
                  kc,
                  accumulate,
                  this.min(mrC, b.CreateSub(m, i0)),
                  nr,
                ]);
              });
            });
          });
        });
      });
    });
    b.CreateRetVoid();
    this.finishFunction(fn, this.fnName);
    return fn;
  }

  // ---- threading ---------------------------------------------------------------------------

  // The context handed to the outlined function: an [N x i64] array (pointers as integers).
  private static readonly CTX = {
    A: 0,
    B: 1,
    C: 2,
    batch: 3,
    m: 4,
    n: 5,
    k: 6,
    as0: 7,
    as1: 8,
    as2: 9,
    bs0: 10,
    bs1: 11,
    bs2: 12,
    size: 13,
  } as const;

  private ctxSlot(ctx: V, slot: number): V {
    return this.b.CreateInBoundsGEP(this.i64, ctx, this.c64(slot));
  }

  /**
   * The body of the parallel region, omp(ctx). The threads never synchronise: each computes a
   * disjoint part of C with private pack buffers, either whole batch items or a rectangle of
   * every item (see the header for why nothing is shared).
   */
  private emitOutlined(worker: llvm.Function, naive: llvm.Function): llvm.Function {
    const X = MatmulEmitter.CTX;
    const { mr: MR, nr: NR } = this.cfg;
    const fn = this.newFunction('omp', llvm.Type.getVoidTy(this.ctx), [this.i8p], ['ctx']);
    const b = this.b;
    const ctx = b.CreateBitCast(fn.getArg(0), llvm.PointerType.getUnqual(this.i64));
    const get = (slot: number): V => b.CreateLoad(this.i64, this.ctxSlot(ctx, slot));
    const ptr = (slot: number): V => b.CreateIntToPtr(get(slot), this.Tp);
    const [A, B, C] = [ptr(X.A), ptr(X.B), ptr(X.C)];
    const [batch, m, n, k] = [get(X.batch), get(X.m), get(X.n), get(X.k)];
    const strides = [get(X.as0), get(X.as1), get(X.as2), get(X.bs0), get(X.bs1), get(X.bs2)];
    const i32 = this.i32;
    const tid = b.CreateSExt(b.CreateCall(this.extern('omp_get_thread_num', i32, []), []), this.i64);
    const nt = b.CreateSExt(b.CreateCall(this.extern('omp_get_num_threads', i32, []), []), this.i64);
    const zero = this.c64(0);
    const one = this.c64(1);
    const cs0 = this.mul(m, n);

    // Whole batch items per thread when there are enough to share evenly (or so many that one
    // item of imbalance does not matter), or when items are too small to split well.
    const work = this.mul(m, this.mul(n, k));
    const perBatch = b.CreateAnd(
      b.CreateICmpSGE(batch, nt),
      b.CreateOr(
        b.CreateOr(b.CreateICmpEQ(b.CreateSRem(batch, nt), zero), b.CreateICmpSGE(batch, this.mul(nt, this.c64(4)))),
        b.CreateICmpSLT(work, this.c64(1 << 21)),
      ),
    );
    this.if(
      perBatch,
      () => {
        const b0 = b.CreateSDiv(this.mul(tid, batch), nt);
        const b1 = b.CreateSDiv(this.mul(this.add(tid, one), batch), nt);
        this.if(b.CreateICmpSLT(b0, b1), () => this.runSerial(worker, naive, A, B, C, b0, b1, m, n, k, strides, n, cs0));
      },
      () => {
        // A pm x pn grid of rectangles of C (pm * pn = nt, cut at tile boundaries). Each thread
        // packs the rows of A and the columns of B of its rectangle, so the grid minimises
        // (per thread) padded tile area * 2k flops + (rows + columns) * k packed elements, with
        // a packed element weighed as 16 flops.
        const mT = this.ceilDiv(m, this.c64(MR));
        const nT = this.ceilDiv(n, this.c64(NR));
        const cost = (pn: V): V => {
          const pm = b.CreateSDiv(nt, pn);
          const rows = this.mul(this.ceilDiv(mT, pm), this.c64(MR));
          const cols = this.mul(this.ceilDiv(nT, pn), this.c64(NR));
          return this.add(this.mul(this.mul(rows, cols), this.c64(2)), this.mul(this.add(rows, cols), this.c64(16)));
        };
        const [, bestPn] = this.loop(one, this.add(nt, one), one, 'pn', [this.c64(Number.MAX_SAFE_INTEGER), one], (pn, [best, bestAt]) => {
          const c = cost(pn);
          const better = b.CreateAnd(b.CreateICmpEQ(b.CreateSRem(nt, pn), zero), b.CreateICmpSLT(c, best!));
          return [b.CreateSelect(better, c, best!), b.CreateSelect(better, pn, bestAt!)];
        });
        const pn = bestPn!;
        const pm = b.CreateSDiv(nt, pn);
        const tm = b.CreateSRem(tid, pm);
        const tn = b.CreateSDiv(tid, pm);
        const cut = (t: V, parts: V, tiles: V, tile: number, size: V): V =>
          this.min(size, this.mul(b.CreateSDiv(this.mul(t, tiles), parts), this.c64(tile)));
        const i0 = cut(tm, pm, mT, MR, m);
        const i1 = cut(this.add(tm, one), pm, mT, MR, m);
        const j0 = cut(tn, pn, nT, NR, n);
        const j1 = cut(this.add(tn, one), pn, nT, NR, n);
        const [as0, as1, as2, bs0, bs1, bs2] = strides;
        this.if(b.CreateAnd(b.CreateICmpSLT(i0, i1), b.CreateICmpSLT(j0, j1)), () =>
          this.runSerial(
            worker,
            naive,
            this.gep(A, this.mul(i0, as1!)),
            this.gep(B, this.mul(j0, bs2!)),
            this.gep(C, this.add(this.mul(i0, n), j0)),
            zero,
            batch,
            b.CreateSub(i1, i0),
            b.CreateSub(j1, j0),
            k,
            [as0!, as1!, as2!, bs0!, bs1!, bs2!],
            n,
            cs0,
          ),
        );
      },
    );
    b.CreateRetVoid();
    this.finishFunction(fn, this.fnName);
    return fn;
  }

  /** Batches [b0, b1) of an m x n x k product on this thread alone, with its own buffers. */
  private runSerial(
    worker: llvm.Function,
    naive: llvm.Function,
    A: V,
    B: V,
    C: V,
    b0: V,
    b1: V,
    m: V,
    n: V,
    k: V,
    strides: V[],
    ldc: V,
    cs0: V,
  ): void {
    const b = this.b;
    const [kcb, mcb, ncb] = this.blockSizes(m, n, k);
    const [Ap, aRaw, aNull] = this.alloc(this.mul(mcb, kcb));
    const [Bp, bRaw, bNull] = this.alloc(this.mul(ncb, kcb));
    this.if(
      b.CreateOr(aNull, bNull),
      // Out of memory for the buffers: the unpacked loop nest needs none.
      () => void b.CreateCall(naive, [A, B, C, b0, b1, m, n, k, ...strides, ldc, cs0]),
      () => void b.CreateCall(worker, [A, B, C, m, n, k, ...strides, ldc, cs0, b0, b1, Ap, Bp]),
    );
    this.free(aRaw);
    this.free(bRaw);
  }

  /** The public entry: argument checks, the choice of path, and the parallel region. */
  private emitEntry(worker: llvm.Function, naive: llvm.Function, outlined: llvm.Function): void {
    const X = MatmulEmitter.CTX;
    const fn = this.mod.getFunction(publicName(this.cfg.dtype));
    if (fn === null) throw new Error('matmul: prelude lacks the public declaration');
    this.fn = fn;
    this.fnName = publicName(this.cfg.dtype);
    const b = this.b;
    b.SetInsertPoint(llvm.BasicBlock.Create(this.ctx, 'entry', fn));
    const names = ['A', 'B', 'C', 'batch', 'm', 'n', 'k', 'as0', 'as1', 'as2', 'bs0', 'bs1', 'bs2'];
    names.forEach((nm, i) => fn.getArg(i).setName(nm));
    const [A, B, C, batch, m, n, k, ...strides] = names.map((_, i): V => fn.getArg(i));
    const ctxArr = b.CreateAlloca(llvm.ArrayType.get(this.i64, X.size), null, 'ctx');
    const zero = this.c64(0);
    const one = this.c64(1);
    const cs0 = this.mul(m, n);

    // Nothing to write.
    const empty = b.CreateOr(b.CreateOr(b.CreateICmpSLT(batch, one), b.CreateICmpSLT(m, one)), b.CreateICmpSLT(n, one));
    this.if(empty, () => {
      b.CreateRetVoid();
      return 'ret';
    });
    // An empty reduction: C is all zeros.
    this.if(b.CreateICmpSLT(k, one), () => {
      this.for(zero, this.mul(batch, cs0), one, 'z', (i) => this.store(this.zeroT(), C, i));
      b.CreateRetVoid();
      return 'ret';
    });
    const work = this.mul(m, this.mul(n, k));
    this.if(b.CreateICmpSLT(work, this.c64(this.cfg.smallWork)), () => {
      b.CreateCall(naive, [A, B, C, zero, batch, m, n, k, ...strides, n, cs0]);
      b.CreateRetVoid();
      return 'ret';
    });
    const nthr = b.CreateCall(this.extern('omp_get_max_threads', this.i32, []), []);
    const serial = b.CreateOr(
      b.CreateICmpSLT(nthr, this.c32(2)),
      b.CreateICmpSLT(this.mul(work, batch), this.c64(this.cfg.parallelWork)),
    );
    this.if(serial, () => {
      this.runSerial(worker, naive, A, B, C, zero, batch, m, n, k, strides, n, cs0);
      b.CreateRetVoid();
      return 'ret';
    });

    const ctx = b.CreateBitCast(ctxArr, llvm.PointerType.getUnqual(this.i64));
    const set = (slot: number, v: V): void => void b.CreateStore(v, this.ctxSlot(ctx, slot));
    const asInt = (p: V): V => b.CreatePtrToInt(p, this.i64);
    set(X.A, asInt(A));
    set(X.B, asInt(B));
    set(X.C, asInt(C));
    set(X.batch, batch);
    set(X.m, m);
    set(X.n, n);
    set(X.k, k);
    strides.forEach((s, i) => set(X.as0 + i, s));
    const gomp = this.extern('GOMP_parallel', llvm.Type.getVoidTy(this.ctx), [
      llvm.PointerType.getUnqual(llvm.FunctionType.get(llvm.Type.getVoidTy(this.ctx), [this.i8p], false)),
      this.i8p,
      this.i32,
      this.i32,
    ]);
    b.CreateCall(gomp, [outlined, b.CreateBitCast(ctxArr, this.i8p), nthr, this.c32(0)]);
    b.CreateRetVoid();
    this.finishFunction(fn, this.fnName);
  }
}
