// Loop IR: one kernel as explicit loops over flat buffers with scalar expressions, the level
// every code generator (LLVM for CPU and PTX, SPIR-V) starts from. Buffers are contiguous and
// row-major; a kernel's parameters are indexed by position.
import type { DType } from '../ir/dtype.ts';
import type { BinaryOp, CompareOp, UnaryOp } from '../ir/primitives.ts';

/** Element types of expressions: the IR dtypes plus `index`, the type of loop counters and
 * offsets (64-bit on CPU, 32-bit on GPUs). */
export type ScalarType = DType | 'index';

/**
 * Binary operators: the IR's binary and comparison primitives (same semantics as the
 * interpreter), plus integer division and remainder rounding toward minus infinity (on
 * `index` and i32 operands; backends may assume non-negative operands where lowering says so).
 */
export type BinaryFn = BinaryOp | CompareOp | 'idiv' | 'imod';

export type Expr =
  | { readonly k: 'const'; readonly t: ScalarType; readonly v: number }
  /** A loop counter, a `let` or a mutable local. */
  | { readonly k: 'var'; readonly t: ScalarType; readonly name: string }
  /** Element `idx` (an `index` expression) of parameter `buf`. */
  | { readonly k: 'load'; readonly t: DType; readonly buf: number; readonly idx: Expr }
  | { readonly k: 'unary'; readonly t: ScalarType; readonly op: UnaryOp; readonly a: Expr }
  | { readonly k: 'binary'; readonly t: ScalarType; readonly op: BinaryFn; readonly a: Expr; readonly b: Expr }
  /** `c ? a : b`; both sides may be evaluated, so both must be safe (loads in bounds). */
  | { readonly k: 'select'; readonly t: ScalarType; readonly c: Expr; readonly a: Expr; readonly b: Expr }
  /** Conversion with the `convert` primitive's rules (index converts like i32, widened). */
  | { readonly k: 'cast'; readonly t: ScalarType; readonly a: Expr }
  /**
   * Word 0 of Threefry-2x32-20 with key (k0, k1) and counter (0, ctr), all read as u32 and the
   * result stored as i32 — exactly the interpreter's `random_bits` element `ctr`.
   */
  | { readonly k: 'threefry'; readonly t: 'i32'; readonly k0: Expr; readonly k1: Expr; readonly ctr: Expr };

/**
 * A matrix product over flat buffers: for bi < batch, i < m, j < n:
 *   C[bi*m*n + i*n + j] = sum over p < k of A[aOffset(bi, i, p)] * B[bOffset(bi, p, j)]
 * where aOffset = bi*aStrides[0] + i*aStrides[1] + p*aStrides[2] (likewise for B), so
 * transposed operands are strides, not copies. C is written whole (not accumulated into).
 */
export interface MatmulStmt {
  readonly k: 'matmul';
  readonly dtype: DType;
  readonly a: number;
  readonly b: number;
  readonly c: number;
  readonly batch: number;
  readonly m: number;
  readonly n: number;
  readonly kdim: number;
  readonly aStrides: readonly [number, number, number];
  readonly bStrides: readonly [number, number, number];
}

/**
 * Stable sort of `rows` independent sequences of `len` elements, lexicographically by the
 * first `numKeys` of `inputs` (ascending, NaN last, -0 equal to +0); every input is permuted
 * the same way into the output at the same position. Element e of sequence (o, i) sits at
 * o*len*inner + e*inner + i, for o < rows / inner (outer) and i < inner.
 */
export interface SortStmt {
  readonly k: 'sort';
  readonly inputs: readonly number[];
  readonly outputs: readonly number[];
  readonly numKeys: number;
  readonly outer: number;
  readonly len: number;
  readonly inner: number;
}

export type Stmt =
  /** for (v = 0; v < n; v++) body. `parallel`: iterations are independent and may run on
   * several threads (only ever set on a loop that is not nested in another loop). */
  | { readonly k: 'for'; readonly v: string; readonly n: Expr; readonly body: readonly Stmt[]; readonly parallel?: boolean }
  /** An immutable binding, visible in the rest of the enclosing block. */
  | { readonly k: 'let'; readonly name: string; readonly e: Expr }
  /** A mutable local (accumulators), visible in the rest of the enclosing block. */
  | { readonly k: 'decl'; readonly name: string; readonly t: ScalarType; readonly init: Expr }
  | { readonly k: 'assign'; readonly name: string; readonly e: Expr }
  | { readonly k: 'store'; readonly buf: number; readonly idx: Expr; readonly e: Expr }
  | { readonly k: 'if'; readonly c: Expr; readonly then: readonly Stmt[]; readonly else: readonly Stmt[] }
  | MatmulStmt
  | SortStmt;

export interface KernelParam {
  readonly name: string;
  readonly dtype: DType;
  /** Number of elements. */
  readonly size: number;
  /** in: read only; out: written (fully); inout: read and written; scratch: private temporary. */
  readonly role: 'in' | 'out' | 'inout' | 'scratch';
}

export interface LoopKernel {
  readonly name: string;
  readonly params: readonly KernelParam[];
  readonly body: readonly Stmt[];
}
