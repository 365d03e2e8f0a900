// The `kiln` command line: dispatches to the subcommands and turns errors into messages.
// bin/kiln.js registers tsx's loader and calls runCli, so the CLI and the model files it
// imports are TypeScript without a build step.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { KilnError, ParseError } from '../compiler/ir/errors.ts';
import { CliError, CommandError, UsageError, didYouMean, type Command, type Io } from './command.ts';
import { docCommand } from './doc.ts';
import { formatCommandHelp, formatHelp } from './help.ts';
import { irCommand } from './ir.ts';
import { benchCommand } from './bench.ts';
import { compileCommand } from './compile.ts';
import { inspectCommand } from './inspect.ts';
import { runCommand } from './run.ts';
import { REPO_ROOT } from './paths.ts';

const helpCommand: Command = {
  name: 'help',
  summary: 'show the help of all commands, or of one',
  usage: ['kiln help', 'kiln help <command>'],
  details: 'Prints the overview of all commands, or the usage, options and examples of one.',
  examples: [{ comment: 'the options of kiln ir and the --args syntax', command: 'kiln help ir' }],
  async run(argv, io) {
    if (argv.length > 1) throw new UsageError(`expected at most one command name, got ${argv.join(' ')}`, 'help');
    io.out(argv.length ? formatCommandHelp(findCommand(argv[0]!)) : formatHelp(COMMANDS));
  },
};

/** All subcommands, in the order the help lists them. */
export const COMMANDS: readonly Command[] = [irCommand, compileCommand, runCommand, inspectCommand, benchCommand, docCommand, helpCommand];

function findCommand(name: string): Command {
  const c = COMMANDS.find((cmd) => cmd.name === name);
  if (!c) throw new UsageError(`unknown command '${name}'${didYouMean(name, COMMANDS.map((cmd) => cmd.name))}`);
  return c;
}

function version(): string {
  const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
  return `kiln ${pkg.version}\n`;
}

/** Runs the CLI on `argv` (without node and the script); returns the exit status. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  try {
    const [first, ...rest] = argv;
    if (first === undefined || first === '-h' || first === '--help') io.out(formatHelp(COMMANDS));
    else if (first === '-v' || first === '--version') io.out(version());
    else {
      const cmd = findCommand(first);
      if (cmd !== helpCommand && (rest.includes('-h') || rest.includes('--help'))) io.out(formatCommandHelp(cmd));
      else await cmd.run(rest, io);
    }
    return 0;
  } catch (e) {
    return report(e, io);
  }
}

/**
 * The user's mistakes (KilnError: shape, parse, trace, verify errors; CliError: files, usage)
 * print as messages that name their file and line, without a stack; anything else is
 * unexpected and prints its stack.
 */
export function report(e: unknown, io: Io): number {
  if (e instanceof UsageError) {
    io.err(`kiln: ${e.message}\nRun 'kiln help${e.command ? ` ${e.command}` : ''}' for usage.\n`);
    return e.exitCode;
  }
  if (e instanceof CommandError) {
    io.err(`kiln ${e.command}: ${e.message.replace(/\s*\n\s*/g, ' ')}\n`);
    return e.exitCode;
  }
  if (e instanceof CliError) {
    io.err(`kiln: ${e.message}\n`);
    return e.exitCode;
  }
  if (e instanceof ParseError) {
    io.err(`${e.message}\n`); // already file:line:col: message
    return 1;
  }
  if (e instanceof KilnError) {
    io.err(`${e.name}: ${e.message}\n`);
    return 1;
  }
  io.err(`kiln: unexpected error\n${e instanceof Error ? (e.stack ?? String(e)) : String(e)}\n`);
  return 1;
}

/** Io on the process's streams. */
export function processIo(): Io {
  return {
    out: (t) => void process.stdout.write(t),
    err: (t) => void process.stderr.write(t),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const c of process.stdin) chunks.push(c as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
  };
}

/** The entry point of bin/kiln.js: runs main on the process and sets its exit status. */
export async function runCli(argv: readonly string[]): Promise<void> {
  // `kiln doc | head` closes the pipe early; that is not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  process.exitCode = await main(argv, processIo());
}
