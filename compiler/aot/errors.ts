// The errors of ahead-of-time compilation: a model file that cannot be compiled as asked.
import { KilnError } from '../ir/errors.ts';

/** Where in the model file something is declared (1-based line and column). */
export interface SourcePos {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

export const posToString = (p: SourcePos): string => `${p.file}:${p.line}:${p.col}`;

/**
 * A model file, entry or argument that `kiln compile` cannot turn into an artifact: a type
 * error, an entry that is missing, a parameter that is not a tensor tree, a dynamic dimension
 * without a value. The message names the entry, the parameter and file:line.
 */
export class CompileError extends KilnError {
  override name = 'CompileError';
}

/** An entry that the model file does not export, or no entry chosen where several exist. */
export class EntryError extends CompileError {
  override name = 'EntryError';
}
