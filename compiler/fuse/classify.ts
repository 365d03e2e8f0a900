// What fusion needs to know about each primitive: its role (fusable elementwise-like op, or
// the root of which kind of kernel), whether it is pointwise (reads its operands at the
// output's own index, so it may sit in an epilogue or an in-place update), and what it costs
// to recompute one element of it (for the duplication heuristic).
import { sizeOf, type Eqn } from '../ir/ir.ts';
import { isBinary, isCompare, isUnary, Primitive } from '../ir/primitives.ts';

/**
 * - ew: fuses into its consumers (elementwise ops, creation ops, views, gather).
 * - reduce/matmul/scatter/cumsum/sort: the root of a kernel of that kind.
 * - control: a host-side control-flow step whose regions are fused programs.
 */
export type Role = 'ew' | 'reduce' | 'matmul' | 'scatter' | 'cumsum' | 'sort' | 'control';

/** Views a matmul kernel reads through strides (its lowering turns them into operand strides). */
export const MATMUL_VIEWS = new Set<Primitive>([Primitive.Reshape, Primitive.Transpose, Primitive.BroadcastInDim]);

export function roleOf(p: Primitive): Role {
  switch (p) {
    case Primitive.ReduceSum:
    case Primitive.ReduceMax:
    case Primitive.ReduceMin:
    case Primitive.ReduceProd:
    case Primitive.Argmax:
    case Primitive.Argmin:
      return 'reduce';
    case Primitive.DotGeneral:
      return 'matmul';
    case Primitive.Scatter:
      return 'scatter';
    case Primitive.Cumsum:
      return 'cumsum';
    case Primitive.Sort:
      return 'sort';
    case Primitive.Cond:
    case Primitive.WhileLoop:
    case Primitive.Scan:
    case Primitive.CustomJvpCall:
    case Primitive.CustomVjpCall:
    case Primitive.CustomLin:
      return 'control';
    default:
      return 'ew';
  }
}

/** Reads every operand at the output element's own index (same shape in, same shape out). */
export function isPointwise(p: Primitive): boolean {
  return isUnary(p) || isBinary(p) || isCompare(p) || p === Primitive.Select || p === Primitive.Convert || p === Primitive.StopGradient;
}

/** Elements from which random_bits counts as expensive to recompute. */
export const LARGE_RANDOM = 4096;
/** Cost of one element of a large random_bits: Threefry-2x32 is 20 rounds of add/rotate/xor. */
export const RANDOM_BITS_COST = 20;

/**
 * Rough cost of recomputing one element of `e`'s output, in elementwise ops. Views, constants
 * and iota are index arithmetic and cost nothing; gather is one (indirect) load; random_bits
 * is cheap on small shapes (keys, small masks) and counted as its 20 rounds on large ones,
 * so a large random tensor feeding several kernels is generated once.
 */
export function recomputeCost(e: Eqn): number {
  switch (e.primitive) {
    case Primitive.Constant:
    case Primitive.Iota:
    case Primitive.BroadcastInDim:
    case Primitive.Reshape:
    case Primitive.Transpose:
    case Primitive.Slice:
    case Primitive.Pad:
    case Primitive.Rev:
    case Primitive.Concatenate:
    case Primitive.StopGradient:
      return 0;
    case Primitive.RandomBits:
      return sizeOf(e.params.shape) >= LARGE_RANDOM ? RANDOM_BITS_COST : 1;
    default:
      return 1;
  }
}
