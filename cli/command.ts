// What every `kiln` subcommand is, the errors the CLI itself raises, and argument parsing.
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** One subcommand: its help text and what it does. */
export interface Command {
  readonly name: string;
  /** One line for `kiln --help`. */
  readonly summary: string;
  /** The usage lines, e.g. `kiln ir <model.ts> --entry <fn> --args <shapes>`. */
  readonly usage: readonly string[];
  /** Paragraphs of `kiln help <name>`: options, formats, behaviour. */
  readonly details: string;
  /** Example invocations, each with a comment line. */
  readonly examples: readonly { readonly comment: string; readonly command: string }[];
  /** Runs the command; writes to `io`. Throws CliError or KilnError for the user's mistakes. */
  run(argv: readonly string[], io: Io): Promise<void>;
}

/** Where commands write (process.stdout/stderr in the CLI, buffers in tests). */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Reads all of standard input (for `kiln ir -`). */
  readStdin(): Promise<string>;
}

/** A mistake on the user's side that the CLI reports as a message, without a stack. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** A command's failure on the user's input, printed as one line `kiln <command>: message`. */
export class CommandError extends CliError {
  override name = 'CommandError';
  constructor(
    readonly command: string,
    message: string,
  ) {
    super(message, 1);
  }
}

/** Bad command-line arguments: exit status 2 and a pointer to the command's help. */
export class UsageError extends CliError {
  override name = 'UsageError';
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message, 2);
  }
}

/** Levenshtein distance, for "did you mean" suggestions. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/** The candidates closest to `word` (case-insensitively), best first; at most `max`. */
export function closeMatches(word: string, candidates: readonly string[], max = 5): string[] {
  const w = word.toLowerCase();
  const limit = Math.max(2, Math.floor(w.length / 3));
  return candidates
    .map((c) => {
      const lc = c.toLowerCase();
      // A candidate that contains the word (or its last segment does) is a good match too.
      const last = lc.slice(lc.lastIndexOf('.') + 1);
      const d = Math.min(editDistance(w, lc), editDistance(w, last), lc.includes(w) && w.length >= 3 ? 1 : Infinity);
      return { c, d };
    })
    .filter((x) => x.d <= limit)
    .sort((x, y) => x.d - y.d || x.c.length - y.c.length || (x.c < y.c ? -1 : 1))
    .slice(0, max)
    .map((x) => x.c);
}

/** " (did you mean a, b?)" or '' when there is nothing close. */
export function didYouMean(word: string, candidates: readonly string[]): string {
  const m = closeMatches(word, candidates);
  return m.length ? `; did you mean ${m.join(', ')}?` : '';
}

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * node:util parseArgs (strict, with positionals), its errors turned into UsageErrors that
 * speak the CLI's language.
 */
export function parseCommandArgs<O extends Options>(argv: readonly string[], options: O, command: string) {
  try {
    return parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const unknown = /^Unknown option '([^']+)'/.exec(msg);
    if (unknown) {
      const known = Object.keys(options).map((o) => `--${o}`);
      const hint = didYouMean(unknown[1]!, known);
      throw new UsageError(`unknown option '${unknown[1]}'${hint || (known.length ? ` (options: ${known.join(', ')})` : ' (this command takes no options)')}`, command);
    }
    const missing = /^Option '(?:-\w, )?(--[\w-]+) <value>' argument missing/.exec(msg);
    if (missing) throw new UsageError(`option ${missing[1]} needs a value`, command);
    throw new UsageError(msg, command);
  }
}
