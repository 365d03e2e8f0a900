// Errors that Kiln raises for the user's mistakes. Each says what went wrong in the user's
// terms (op, operand shapes, source location), never as a raw stack.
import { locToString, type SourceLoc } from './ir.ts';

/** The base class of the errors Kiln raises for problems in the user's program or data. */
export class KilnError extends Error {
  override name = 'KilnError';
}

/** A shape or dtype rule rejected an op's operands. */
export class ShapeError extends KilnError {
  override name = 'ShapeError';
  constructor(
    readonly op: string,
    readonly detail: string,
    readonly loc?: SourceLoc,
  ) {
    super(`${op}: ${detail}${loc ? ` (at ${locToString(loc)})` : ''}`);
  }

  /** The same error, now naming where in the user's code the op was called. */
  at(loc: SourceLoc | undefined): ShapeError {
    if (!loc || this.loc) return this;
    return new ShapeError(this.op, this.detail, loc);
  }
}

/** Malformed IR text: names line:column, what was found and what was expected. */
export class ParseError extends KilnError {
  override name = 'ParseError';
  constructor(
    readonly line: number,
    readonly col: number,
    readonly detail: string,
    readonly source = '<ir>',
  ) {
    super(`${source}:${line}:${col}: ${detail}`);
  }
}

/** A function that breaks the IR's invariants (types, shapes, SSA dominance). */
export class VerifyError extends KilnError {
  override name = 'VerifyError';
}

/** Tracing could not proceed: a concrete value was needed from an abstract one, and so on. */
export class TraceError extends KilnError {
  override name = 'TraceError';
}
