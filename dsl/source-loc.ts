// Finds the user's call site of a DSL op: the first stack frame outside Kiln's own code.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SourceLoc } from '../compiler/ir/ir.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// Frames in these folders are Kiln's, not the user's. Examples and tests are user code.
const INTERNAL = ['dsl', 'compiler', 'runtime', 'stdlib', 'index.ts'].map((d) => path.join(ROOT, d));

// "    at fn (file:line:col)" or "    at file:line:col"; file may be a file:// URL.
const FRAME = /\(?((?:file:\/\/)?[^\s()]+):(\d+):(\d+)\)?$/;

function isInternal(file: string): boolean {
  if (file.startsWith('node:') || file.includes(`${path.sep}node_modules${path.sep}`)) return true;
  return INTERNAL.some((d) => file === d || file.startsWith(d + path.sep));
}

/** The user's source location of the current DSL call, or undefined when none is found. */
export function userLocation(): SourceLoc | undefined {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 64;
  const stack = new Error().stack ?? '';
  Error.stackTraceLimit = limit;
  for (const line of stack.split('\n').slice(1)) {
    const m = FRAME.exec(line.trim());
    if (!m) continue;
    let file = m[1]!;
    if (file.startsWith('file://')) file = fileURLToPath(file);
    if (!path.isAbsolute(file) || isInternal(file)) continue;
    const rel = path.relative(process.cwd(), file);
    return { file: rel.startsWith('..') ? file : rel, line: Number(m[2]), col: Number(m[3]) };
  }
  return undefined;
}
