// The fused program: what fusion hands to lowering. A list of steps over the values of the
// optimised top-level function; each kernel step runs one kernel, a closed sub-graph of
// equations that reads whole buffers and writes whole buffers. Control flow stays on the
// host: its regions are fused programs of their own.
import type { Eqn, Func, Var } from '../ir/ir.ts';

/**
 * What a kernel does, which decides how it is lowered:
 * - elementwise: every output has one shape; each output element is computed from input
 *   elements by elementwise ops and views (broadcast, reshape, transpose, slice, pad, rev,
 *   concatenate, iota, constants, random bits, gather), which become index arithmetic.
 * - reduce: one reduction (reduce_sum/max/min/prod over some axes, or argmax/argmin) of an
 *   elementwise prologue computed at the reduction's input indices, followed by an
 *   elementwise epilogue over the reduction's output shape.
 * - matmul: one dot_general of two input buffers, followed by an elementwise epilogue over
 *   its output shape (bias, activation, scaling).
 * - scatter, cumsum, sort: one such equation, reading buffers (elementwise producers are not
 *   fused into these).
 */
export type KernelKind = 'elementwise' | 'reduce' | 'matmul' | 'scatter' | 'cumsum' | 'sort';

export interface Kernel {
  /** Unique within its program, e.g. `k3_reduce`. */
  readonly name: string;
  readonly kind: KernelKind;
  /** The closed sub-graph: its inputs are the buffers read, its outputs the buffers written. */
  readonly func: Func;
}

export type Step =
  /** Runs `kernel` with `inputs` bound to its func's inputs; defines `outputs`. */
  | { readonly kind: 'kernel'; readonly kernel: Kernel; readonly inputs: readonly Var[]; readonly outputs: readonly Var[] }
  /**
   * A control-flow equation (cond, while_loop, scan) run by the host; `regions` holds one
   * fused program per region of `eqn` (in the order of `regionsOf` in param-schema.ts).
   */
  | { readonly kind: 'control'; readonly eqn: Eqn; readonly regions: readonly FusedProgram[] };

export interface FusedProgram {
  readonly name: string;
  readonly inputs: readonly Var[];
  /** May include inputs directly (identity) — the runtime then copies or aliases. */
  readonly outputs: readonly Var[];
  readonly steps: readonly Step[];
  /**
   * The function this program was fused from (as handed to `fuse`); its inputs are the
   * program's inputs, and the buffers of the program are its values, except for the few that
   * fusion's own rewrites define. Dumps name buffers by its printed value numbers (%n).
   */
  readonly source?: Func;
}
