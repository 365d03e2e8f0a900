// Building blocks of the CPU code generator: the per-module state (types, intrinsics, external
// declarations) and structured control flow (counted loops, while loops, if/else) over
// llvm-bindings' IRBuilder. Everything is emitted with typed pointers (LLVM 14).
import llvm from 'llvm-bindings';
import type { DType } from '../../ir/dtype.ts';
import type { ScalarType } from '../../lower/loop-ir.ts';

/** Everything a piece of code needs to append instructions and blocks to a function. */
export interface LoopHost {
  readonly context: llvm.LLVMContext;
  readonly module: llvm.Module;
  /** Positioned at the end of an open (unterminated) block of `fn`. */
  readonly builder: llvm.IRBuilder;
  readonly fn: llvm.Function;
  /** A stack slot in `fn`'s entry block (mem2reg promotes it to SSA registers). */
  alloca(t: llvm.Type, name: string): llvm.AllocaInst;
}

/** Per-module state: the LLVM context, cached types, intrinsics and external functions. */
export class ModuleCg {
  readonly context = new llvm.LLVMContext();
  readonly module: llvm.Module;
  readonly void: llvm.Type;
  readonly i1: llvm.IntegerType;
  readonly i8: llvm.IntegerType;
  readonly i32: llvm.IntegerType;
  readonly i64: llvm.IntegerType;
  readonly f32: llvm.Type;
  readonly f64: llvm.Type;
  readonly i8p: llvm.PointerType;
  readonly i8pp: llvm.PointerType;
  private readonly intrinsics = new Map<string, llvm.Function>();
  private readonly externs = new Map<string, llvm.FunctionCallee>();
  private counter = 0;

  constructor(name: string) {
    this.module = new llvm.Module(name, this.context);
    const c = this.context;
    this.void = llvm.Type.getVoidTy(c);
    this.i1 = llvm.Type.getInt1Ty(c);
    this.i8 = llvm.Type.getInt8Ty(c);
    this.i32 = llvm.Type.getInt32Ty(c);
    this.i64 = llvm.Type.getInt64Ty(c);
    this.f32 = llvm.Type.getFloatTy(c);
    this.f64 = llvm.Type.getDoubleTy(c);
    this.i8p = llvm.Type.getInt8PtrTy(c);
    this.i8pp = llvm.PointerType.getUnqual(this.i8p);
  }

  /** A fresh name with `prefix` (unique within the module). */
  fresh(prefix: string): string {
    return `${prefix}${this.counter++}`;
  }

  /** Register type of a scalar: i1 for bool, i64 for index; f16/bf16 are computed in double. */
  regType(t: ScalarType): llvm.Type {
    switch (t) {
      case 'f32':
        return this.f32;
      case 'f64':
      case 'f16':
      case 'bf16':
        return this.f64;
      case 'i32':
        return this.i32;
      case 'bool':
        return this.i1;
      case 'index':
        return this.i64;
      default:
        return t satisfies never;
    }
  }

  /** Memory (buffer element) type of a dtype: bool is a byte, f16/bf16 are stored widened to f32
   * as the host arrays hold them (Float32Array). */
  memType(d: DType): llvm.Type {
    switch (d) {
      case 'f32':
      case 'f16':
      case 'bf16':
        return this.f32;
      case 'f64':
        return this.f64;
      case 'i32':
        return this.i32;
      case 'bool':
        return this.i8;
      default:
        return d satisfies never;
    }
  }

  constI64(v: number): llvm.Value {
    return llvm.ConstantInt.get(this.i64, v, true);
  }

  constI32(v: number): llvm.Value {
    return llvm.ConstantInt.get(this.i32, v | 0, true);
  }

  constBool(v: boolean): llvm.Value {
    return v ? llvm.ConstantInt.getTrue(this.context) : llvm.ConstantInt.getFalse(this.context);
  }

  constFP(t: llvm.Type, v: number): llvm.Value {
    return llvm.ConstantFP.get(t, v);
  }

  /** An overloaded intrinsic such as llvm.exp.f32 (types: the overload types). */
  intrinsic(id: number, types: llvm.Type[], key: string): llvm.Function {
    let f = this.intrinsics.get(key);
    if (f === undefined) {
      f = llvm.Intrinsic.getDeclaration(this.module, id, types);
      this.intrinsics.set(key, f);
    }
    return f;
  }

  /** An external C function, declared once (libm, libgomp, libc). */
  extern(name: string, ret: llvm.Type, params: llvm.Type[]): llvm.FunctionCallee {
    let f = this.externs.get(name);
    if (f === undefined) {
      f = this.module.getOrInsertFunction(name, llvm.FunctionType.get(ret, params, false));
      this.externs.set(name, f);
    }
    return f;
  }
}

/** Per-function state: the entry block holds only allocas and is closed by `finish`. */
export class FnCg implements LoopHost {
  readonly context: llvm.LLVMContext;
  readonly module: llvm.Module;
  readonly builder: llvm.IRBuilder;
  private readonly allocaBuilder: llvm.IRBuilder;
  private readonly start: llvm.BasicBlock;

  constructor(
    readonly m: ModuleCg,
    readonly fn: llvm.Function,
  ) {
    this.context = m.context;
    this.module = m.module;
    const entry = llvm.BasicBlock.Create(m.context, 'entry', fn);
    this.allocaBuilder = new llvm.IRBuilder(entry);
    this.start = llvm.BasicBlock.Create(m.context, 'start', fn);
    this.builder = new llvm.IRBuilder(this.start);
  }

  alloca(t: llvm.Type, name: string): llvm.AllocaInst {
    return this.allocaBuilder.CreateAlloca(t, null, name);
  }

  /** Terminates the current block with `ret void` and the entry block with a branch. */
  finish(): void {
    this.builder.CreateRetVoid();
    this.allocaBuilder.CreateBr(this.start);
  }
}

export function newBlock(h: LoopHost, name: string): llvm.BasicBlock {
  return llvm.BasicBlock.Create(h.context, name, h.fn);
}

/**
 * `for (i = start; i < end; i++) body(i)` over i64, as a canonical loop that LLVM's loop
 * passes recognise: the current block is the preheader, a header holds the counter phi and
 * the exit test, the body branches to a latch that increments and jumps back. `start` and
 * `end` must be computed before the call (they dominate the header). The builder continues in
 * the exit block.
 */
export function emitFor(h: LoopHost, start: llvm.Value, end: llvm.Value, body: (i: llvm.Value) => void, name = 'i'): void {
  const b = h.builder;
  const i64 = llvm.Type.getInt64Ty(h.context);
  const pre = b.GetInsertBlock()!;
  const header = newBlock(h, `${name}.header`);
  const bodyBlock = newBlock(h, `${name}.body`);
  const latch = newBlock(h, `${name}.latch`);
  const exit = newBlock(h, `${name}.exit`);
  b.CreateBr(header);
  b.SetInsertPoint(header);
  const phi = b.CreatePHI(i64, 2, name);
  phi.addIncoming(start, pre);
  b.CreateCondBr(b.CreateICmpSLT(phi, end, `${name}.cond`), bodyBlock, exit);
  b.SetInsertPoint(bodyBlock);
  body(phi);
  b.CreateBr(latch);
  b.SetInsertPoint(latch);
  const next = b.CreateAdd(phi, llvm.ConstantInt.get(i64, 1, true), `${name}.next`);
  phi.addIncoming(next, latch);
  b.CreateBr(header);
  b.SetInsertPoint(exit);
}

/** `while (cond()) body()`; `cond` may emit blocks of its own (short-circuit tests). */
export function emitWhile(h: LoopHost, cond: () => llvm.Value, body: () => void, name = 'while'): void {
  const b = h.builder;
  const header = newBlock(h, `${name}.header`);
  const bodyBlock = newBlock(h, `${name}.body`);
  const exit = newBlock(h, `${name}.exit`);
  b.CreateBr(header);
  b.SetInsertPoint(header);
  const c = cond();
  b.CreateCondBr(c, bodyBlock, exit);
  b.SetInsertPoint(bodyBlock);
  body();
  b.CreateBr(header);
  b.SetInsertPoint(exit);
}

/** `if (c) then() else otherwise()`; the builder continues after both. */
export function emitIf(h: LoopHost, c: llvm.Value, then: () => void, otherwise?: () => void, name = 'if'): void {
  const b = h.builder;
  const thenBlock = newBlock(h, `${name}.then`);
  const elseBlock = otherwise ? newBlock(h, `${name}.else`) : null;
  const merge = newBlock(h, `${name}.end`);
  b.CreateCondBr(c, thenBlock, elseBlock ?? merge);
  b.SetInsertPoint(thenBlock);
  then();
  b.CreateBr(merge);
  if (elseBlock && otherwise) {
    b.SetInsertPoint(elseBlock);
    otherwise();
    b.CreateBr(merge);
  }
  b.SetInsertPoint(merge);
}

/** Signed min / max of two integers (select on a compare, which LLVM turns into smin/smax). */
export function smin(b: llvm.IRBuilder, x: llvm.Value, y: llvm.Value): llvm.Value {
  return b.CreateSelect(b.CreateICmpSLT(x, y), x, y);
}
export function smax(b: llvm.IRBuilder, x: llvm.Value, y: llvm.Value): llvm.Value {
  return b.CreateSelect(b.CreateICmpSGT(x, y), x, y);
}
