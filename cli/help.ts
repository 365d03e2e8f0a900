// Help texts: `kiln --help` (all commands) and `kiln help <command>`.
import type { Command } from './command.ts';

export const EXIT_STATUS = [
  'Exit status: 0 on success; 1 when Kiln reports an error in the input (a shape error in a model,',
  'malformed IR text), printed as a message that names the file and line; 2 for bad usage.',
].join('\n');

/** The overview: every command with its summary, global options, examples. */
export function formatHelp(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const lines = [
    'kiln: the command line of Kiln, a deep-learning compiler and runtime in TypeScript',
    '',
    'Usage: kiln <command> [arguments]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Options:',
    '  -h, --help     show this help; kiln help <command> (or kiln <command> --help) for one command',
    '  -v, --version  print the version',
    '',
    'Examples:',
    ...commands.flatMap((c) => c.examples.slice(0, 2).flatMap((ex) => [`  # ${ex.comment}`, `  ${ex.command}`])),
    '',
    EXIT_STATUS,
  ];
  return lines.join('\n') + '\n';
}

/** One command in full: usage, details, examples. */
export function formatCommandHelp(c: Command): string {
  const lines = [
    `kiln ${c.name}: ${c.summary}`,
    '',
    'Usage:',
    ...c.usage.map((u) => `  ${u}`),
    '',
    c.details,
    '',
    'Examples:',
    ...c.examples.flatMap((ex) => [`  # ${ex.comment}`, `  ${ex.command}`]),
  ];
  return lines.join('\n') + '\n';
}
