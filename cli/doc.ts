// `kiln doc`: the public API's documentation, read from the TSDoc comments of the source
// (`help()` of the book's section 2.7, for Kiln).
import { CliError, closeMatches, parseCommandArgs, type Command } from './command.ts';
import type { ApiEntry } from './api-doc.ts';

export const docCommand: Command = {
  name: 'doc',
  summary: "list the public API with one-line summaries, or show one function's signature and documentation",
  usage: ['kiln doc', 'kiln doc <name>...'],
  details: [
    "Without a name, lists everything `import * as k from 'kiln'` exports (functions, classes,",
    'types, the members of namespaces such as random, and the methods of classes such as',
    'Tensor), each with the first sentence of its documentation comment.',
    '',
    "With names, prints each one's signature(s), full documentation comment and where it is",
    'declared. Names are written as after `k.`: sum, random.uniform, Tensor.sum (a leading k.',
    'is accepted). A name that is only the last part of one entry (uniform) finds that entry;',
    'an unknown name suggests close matches.',
  ].join('\n'),
  examples: [
    { comment: 'everything, one line each', command: 'kiln doc' },
    { comment: 'one function in full', command: 'kiln doc arange' },
    { comment: 'a namespace member and a method', command: 'kiln doc random.uniform Tensor.sum' },
    { comment: 'a class with its members', command: 'kiln doc Tensor' },
  ],
  async run(argv, io) {
    const { positionals } = parseCommandArgs(argv, {}, 'doc');
    // ts-morph (and the TypeScript compiler) load only when this command runs.
    const { loadApi } = await import('./api-doc.ts');
    const api = loadApi();
    if (positionals.length === 0) io.out(formatListing(api));
    // Look every name up first, so that a typo prints nothing but the error.
    else io.out(positionals.map((name) => lookUp(api, name)).join('\n'));
  },
};

/** The text for one name: its entry in full, or the entries it could mean. */
function lookUp(api: readonly ApiEntry[], name: string): string {
  const exact = findEntry(api, name);
  if (exact) return formatEntry(exact, api);
  const byLast = entriesEndingWith(api, name);
  if (byLast.length === 1) return formatEntry(byLast[0]!, api);
  if (byLast.length > 1) return `Several entries are called ${name}:\n${formatLines(byLast)}`;
  const close = closeMatches(name.replace(/^k\./, ''), api.map((e) => e.name));
  throw new CliError(`no '${name}' in Kiln's API${close.length ? `; did you mean ${close.join(', ')}?` : ''} (kiln doc lists everything)`);
}

/** `k.sum`, `k.random.uniform`, but `Tensor.sum` (a member is used on an instance). */
function displayName(e: ApiEntry, api: readonly ApiEntry[]): string {
  const parent = e.parent ? api.find((p) => p.name === e.parent) : undefined;
  return parent?.kind === 'class' ? e.name : `k.${e.name}`;
}

function formatLines(entries: readonly ApiEntry[]): string {
  const width = Math.min(24, Math.max(...entries.map((e) => e.name.length)));
  return entries.map((e) => `  ${e.name.padEnd(width)}  ${e.summary || '(undocumented)'}`).join('\n') + '\n';
}

/** The whole API by section: functions, classes, types, then each namespace and class's members. */
export function formatListing(api: readonly ApiEntry[]): string {
  const top = api.filter((e) => !e.parent);
  const sections: string[] = [`Kiln's public API (import * as k from 'kiln'). Run 'kiln doc <name>' for one entry in full.\n`];
  const section = (title: string, entries: readonly ApiEntry[]) => {
    if (entries.length) sections.push(`${title}\n${formatLines(entries)}`);
  };
  section('Functions', top.filter((e) => e.kind === 'function'));
  section('Classes', top.filter((e) => e.kind === 'class'));
  section('Types', top.filter((e) => e.kind === 'type' || e.kind === 'interface'));
  section('Values', top.filter((e) => e.kind === 'variable'));
  for (const owner of top.filter((e) => e.kind === 'namespace' || e.kind === 'class')) {
    const members = api.filter((e) => e.parent === owner.name);
    if (!members.length) continue;
    const title = owner.kind === 'namespace' ? `k.${owner.name}${owner.summary ? `: ${owner.summary}` : ''}` : `${owner.name} members`;
    section(title, members);
  }
  return sections.join('\n');
}

/** One entry in full: signatures, documentation, where it is declared, related entries. */
export function formatEntry(e: ApiEntry, api: readonly ApiEntry[]): string {
  const lines: string[] = [];
  const declared = e.declaredAs ? `, declared as ${e.declaredAs}` : '';
  lines.push(`${displayName(e, api)}  (${e.kind} in ${e.file}:${e.line}${declared})`, '');
  for (const s of e.signatures) lines.push(...s.split('\n').map((l) => `    ${l}`));
  lines.push('');
  lines.push(...(e.doc ? e.doc.split('\n').map((l) => (l ? `  ${l}` : '')) : ['  (no documentation comment)']));
  const members = api.filter((m) => m.parent === e.name);
  if (members.length) {
    lines.push('', 'Members:');
    lines.push(formatLines(members).trimEnd());
  }
  const last = e.name.slice(e.name.lastIndexOf('.') + 1);
  const related = api.filter((o) => o !== e && o.name.slice(o.name.lastIndexOf('.') + 1) === last).map((o) => displayName(o, api));
  if (related.length) lines.push('', `See also: ${related.join(', ')}`);
  return lines.join('\n') + '\n';
}

/** The entry called `name` (a leading `k.` is ignored), or undefined. */
export function findEntry(api: readonly ApiEntry[], name: string): ApiEntry | undefined {
  const n = name.replace(/^k\./, '');
  return api.find((e) => e.name === n);
}

/** Entries whose last name segment is `name` (case-insensitively): `uniform` → random.uniform. */
export function entriesEndingWith(api: readonly ApiEntry[], name: string): ApiEntry[] {
  const n = name.replace(/^k\./, '').toLowerCase();
  return api.filter((e) => e.name.toLowerCase() === n || e.name.toLowerCase().endsWith(`.${n}`));
}
