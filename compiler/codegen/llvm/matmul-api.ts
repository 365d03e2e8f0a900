// The contract between the CPU code generator (emit.ts) and the matrix-product emitter
// (`emitMatmul` in ./matmul.ts, or the naive fallback ./matmul-naive.ts until that exists).
//
//   export function emitMatmul(module: llvm.Module, ctx: MatmulEmitContext, stmt: MatmulStmt): void
//
// Called with ctx.builder positioned at the end of an open (unterminated) block of ctx.fn.
// It appends the code computing C (see MatmulStmt in compiler/lower/loop-ir.ts: C is written
// whole, A and B are read through their strides), may add blocks to ctx.fn, allocas through
// ctx.alloca (entry block) and internal helper functions or external declarations to `module`
// (use distinct names, e.g. prefixed `kiln.mm.`), and returns with ctx.builder positioned at the
// end of an open block where the kernel continues. It must not terminate the function.
//
// Buffers are typed pointers: float* (f32, and f16/bf16, which the host stores widened to f32),
// double* (f64), i32* (i32). f16/bf16 results must be rounded to their format: ctx.roundTo
// rounds a double. The interpreter accumulates floats in double and rounds once; i32 wraps.
import type llvm from 'llvm-bindings';
import type { MatmulStmt } from '../../lower/loop-ir.ts';
import type { LoopHost } from './cg.ts';

export interface MatmulEmitContext extends LoopHost {
  /** Base pointer of operand A (param stmt.a), typed by its memory element type. */
  readonly a: llvm.Value;
  /** Base pointer of operand B (param stmt.b). */
  readonly b: llvm.Value;
  /** Base pointer of the result C (param stmt.c). */
  readonly c: llvm.Value;
  /** Rounds a double value to the nearest f16 or bf16 value (returned as a double). */
  roundTo(x: llvm.Value, d: 'f16' | 'bf16'): llvm.Value;
}

export type EmitMatmul = (module: llvm.Module, ctx: MatmulEmitContext, stmt: MatmulStmt) => void;
