// The named passes of the middle end and the default pipeline. Each pass is a function from
// an IR function to an IR function, so each stage can be printed (`kiln ir --stage <name>`).
import type { Func } from '../ir/ir.ts';
import { verifyFunc } from '../ir/verify.ts';
import { cse } from './cse.ts';
import { dce } from './dce.ts';
import { foldConstants } from './fold.ts';
import { inlineControl } from './inline.ts';
import { simplify } from './simplify.ts';

export const PASSES = {
  inline: inlineControl,
  simplify,
  fold: foldConstants,
  cse,
  dce,
} as const satisfies Record<string, (fn: Func) => Func>;

export type PassName = keyof typeof PASSES;

/** The order the optimiser runs the passes in (twice: one pass exposes work for another). */
export const PIPELINE: readonly PassName[] = ['inline', 'simplify', 'fold', 'cse', 'dce', 'simplify', 'fold', 'cse', 'dce'];

export interface OptimizeOptions {
  /** Run the verifier after every pass (tests do). */
  verify?: boolean;
  /** Called with each pass's name and result. */
  onPass?: (name: PassName, fn: Func) => void;
  /** Stop after this pass (the first time it runs). */
  until?: PassName;
}

export function optimize(fn: Func, opts: OptimizeOptions = {}): Func {
  let f = fn;
  for (const name of PIPELINE) {
    f = PASSES[name](f);
    if (opts.verify) verifyFunc(f);
    opts.onPass?.(name, f);
    if (opts.until === name) break;
  }
  return f;
}

export { cse, dce, foldConstants, inlineControl, simplify };
