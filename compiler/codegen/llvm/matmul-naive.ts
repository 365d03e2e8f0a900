// A simple, correct matrix product: the fallback used until ./matmul.ts (the tuned emitter)
// exists. Loop order bi, i, k, j: the C row is zeroed, then C[i, :] += A[i, p] * B[p, :] for
// every p, so the innermost loop runs along a row of C (and of B when B is row-major), which the
// loop vectoriser handles. Floats accumulate in C's storage type (f32 or f64; f16/bf16 in their
// f32 storage, rounded to the format at the end of the row); i32 wraps.
import llvm from 'llvm-bindings';
import type { MatmulStmt } from '../../lower/loop-ir.ts';
import { emitFor } from './cg.ts';
import type { MatmulEmitContext } from './matmul-api.ts';

export function emitMatmul(module: llvm.Module, ctx: MatmulEmitContext, stmt: MatmulStmt): void {
  void module;
  const b = ctx.builder;
  const i64 = llvm.Type.getInt64Ty(ctx.context);
  const k = (v: number) => llvm.ConstantInt.get(i64, v, true);
  const isInt = stmt.dtype === 'i32';
  const elem =
    stmt.dtype === 'f64' ? llvm.Type.getDoubleTy(ctx.context) : isInt ? llvm.Type.getInt32Ty(ctx.context) : llvm.Type.getFloatTy(ctx.context);
  const narrow = stmt.dtype === 'f16' || stmt.dtype === 'bf16' ? stmt.dtype : null;
  const zero = isInt ? llvm.ConstantInt.get(elem, 0, true) : llvm.ConstantFP.get(elem, 0);
  const [as0, as1, as2] = stmt.aStrides;
  const [bs0, bs1, bs2] = stmt.bStrides;
  const { m, n, kdim } = stmt;
  const gep = (p: llvm.Value, idx: llvm.Value) => b.CreateInBoundsGEP(elem, p, idx);
  emitFor(ctx, k(0), k(stmt.batch), (bi) => {
    emitFor(ctx, k(0), k(m), (i) => {
      const cRow = b.CreateAdd(b.CreateMul(bi, k(m * n)), b.CreateMul(i, k(n)));
      emitFor(ctx, k(0), k(n), (j) => {
        b.CreateStore(zero, gep(ctx.c, b.CreateAdd(cRow, j)));
      }, 'mm.z');
      const aRow = b.CreateAdd(b.CreateMul(bi, k(as0)), b.CreateMul(i, k(as1)));
      emitFor(ctx, k(0), k(kdim), (p) => {
        const aik = b.CreateLoad(elem, gep(ctx.a, b.CreateAdd(aRow, b.CreateMul(p, k(as2)))));
        const bRow = b.CreateAdd(b.CreateMul(bi, k(bs0)), b.CreateMul(p, k(bs1)));
        emitFor(ctx, k(0), k(n), (j) => {
          const bv = b.CreateLoad(elem, gep(ctx.b, b.CreateAdd(bRow, b.CreateMul(j, k(bs2)))));
          const cp = gep(ctx.c, b.CreateAdd(cRow, j));
          const cv = b.CreateLoad(elem, cp);
          const sum = isInt ? b.CreateAdd(cv, b.CreateMul(aik, bv)) : b.CreateFAdd(cv, b.CreateFMul(aik, bv));
          b.CreateStore(sum, cp);
        }, 'mm.j');
      }, 'mm.p');
      if (narrow) {
        const f64 = llvm.Type.getDoubleTy(ctx.context);
        emitFor(ctx, k(0), k(n), (j) => {
          const cp = gep(ctx.c, b.CreateAdd(cRow, j));
          const v = ctx.roundTo(b.CreateFPExt(b.CreateLoad(elem, cp), f64), narrow);
          b.CreateStore(b.CreateFPTrunc(v, elem), cp);
        }, 'mm.r');
      }
    }, 'mm.i');
  }, 'mm.b');
}
