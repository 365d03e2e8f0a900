// The IR text format, printing side. The output is deterministic and is exactly what the parser
// (parse.ts) reads back: print(parse(print(f))) === print(f). Format:
//
//   func @softmax(%0: f32[2,3]) -> (f32[2,3]) {
//     %1 = reduce_max %0 {axes=[1]} : f32[2]  loc("model.ts":4:11)
//     %2 = broadcast_in_dim %1 {shape=[2,3], dims=[0]} : f32[2,3]
//     return %2
//   }
//
// A Func-valued param (a region of a control-flow primitive) prints as a nested func in the
// same syntax, after the other params. Its header follows `name=` on the equation's line, its
// body is indented two spaces more than that line, and its closing brace lines up with the
// line's start; so regions nest to any depth:
//
//   %3 = cond %0, %1 {branches=[func @neg(%0: f32[2]) -> (f32[2]) {
//     %1 = neg %0 : f32[2]
//     return %1
//   }, func @id(%0: f32[2]) -> (f32[2]) {
//     return %0
//   }]} : f32[2]
//
// A region is closed (it sees only its own inputs), so its values are numbered from %0 again.
//
// The printer does not verify: it prints invalid IR too (for error messages and debugging),
// in a form the parser then rejects (an undefined value prints as `%?<id>`, which is also how
// a region's use of an outer value, which regions may not capture, prints).
import type { AVal, Eqn, Func, SourceLoc, Var } from './ir.ts';
import { isFuncValue, isRegionKind, paramSchema } from './param-schema.ts';
import type { Primitive } from './primitives.ts';

/** A type: `f32[2,3]`, scalars `f32[]`. */
export function printType(a: AVal): string {
  // String, not printNumber: a -0 dimension (valid, as it equals 0) must print as plain 0.
  return `${a.dtype}[${a.shape.map(String).join(',')}]`;
}

/**
 * A number as the parser reads it back bit-exactly. `String(x)` gives the shortest decimal that
 * round-trips a double, but loses the sign of -0 and spells the non-finite ones as JS words.
 */
export function printNumber(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (Object.is(x, -0)) return '-0';
  return String(x);
}

// Words the lexer reads as keywords; a string equal to one of them must be quoted.
const KEYWORDS = new Set(['func', 'return', 'loc', 'true', 'false', 'nan', 'inf']);
const BARE_IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const BARE_FUNC_NAME = /^[A-Za-z_$][A-Za-z0-9_$.]*$/;

/** A double-quoted string literal; the parser undoes exactly these escapes. */
export function quoteString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += `\\u{${c.toString(16)}}`;
    else out += ch;
  }
  return out + '"';
}

/** `@name`, quoted (`@"my func"`) when the name is not a plain identifier. */
export function printFuncName(name: string): string {
  return '@' + (BARE_FUNC_NAME.test(name) ? name : quoteString(name));
}

/**
 * One param value. Strings print bare (dtypes, enum members) unless they could be misread.
 * A Func prints as a region (see the top of this file); `indent` is the indentation of the
 * equation line the value is on, which the region's body is indented relative to.
 */
export function printParamValue(v: unknown, indent = ''): string {
  if (typeof v === 'number') return printNumber(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'string') return BARE_IDENT.test(v) && !KEYWORDS.has(v) ? v : quoteString(v);
  if (Array.isArray(v)) {
    // Regions in a list are separated by ', ' (a region ends a line with '}'); numbers by ','.
    const sep = v.some(isFuncValue) ? ', ' : ',';
    return `[${v.map((x) => printParamValue(x, indent)).join(sep)}]`;
  }
  if (isFuncValue(v)) return printFuncAt(v, indent);
  // Only reachable for params that break the schema; keep it visibly unparseable.
  return `<${v === undefined ? 'undefined' : typeof v}>`;
}

/**
 * ` {a=1, b=[2,3]}` in schema (= interface) key order, except that region params come last;
 * '' when there are no params. `indent` is that of the equation line (for regions).
 */
export function printParams(prim: Primitive, params: object, indent = ''): string {
  const rec = params as Record<string, unknown>;
  // Schema keys first, in their order, regions after the others; keys the schema lacks
  // (invalid IR) after them, so the printed text shows everything the object holds.
  const schema = paramSchema(prim);
  const keys = Object.keys(schema);
  const names = [...keys.filter((k) => !isRegionKind(schema[k]!)), ...keys.filter((k) => isRegionKind(schema[k]!))];
  for (const k of Object.keys(rec)) if (!names.includes(k)) names.push(k);
  if (names.length === 0) return '';
  return ` {${names.map((k) => `${k}=${printParamValue(rec[k], indent)}`).join(', ')}}`;
}

export function printLoc(l: SourceLoc): string {
  return `loc(${quoteString(l.file)}:${String(l.line)}:${String(l.col)})`;
}

/** Gives values their printed names, %0, %1, ... in definition order (inputs first). */
class Namer {
  private readonly names = new Map<Var, string>();
  private next = 0;
  define(v: Var): string {
    // A value defined twice (invalid IR) takes a fresh name; later uses see the newer one.
    const n = `%${this.next++}`;
    this.names.set(v, n);
    return n;
  }
  use(v: Var): string {
    return this.names.get(v) ?? `%?${v.id}`;
  }
}

function printEqn(e: Eqn, names: Namer, indent: string): string {
  // Operands are named before outputs are defined, so `%1 = neg %1` shows a self-use as undefined.
  const ins = e.inputs.map((v) => names.use(v)).join(', ');
  const outs = e.outputs.map((v) => names.define(v)).join(', ');
  const types = e.outputs.map((v) => printType(v.aval)).join(', ');
  let line = `${indent}${outs} = ${e.primitive}`;
  if (ins) line += ` ${ins}`;
  line += printParams(e.primitive, e.params, indent);
  line += ` : ${types}`;
  if (e.loc) line += `  ${printLoc(e.loc)}`;
  return line;
}

// The funcs being printed, innermost last: a func that (through a corrupted params object)
// contains itself prints as a visibly unparseable marker instead of recursing forever.
const printing = new Set<Func>();

/**
 * A func whose header starts wherever the caller puts it and whose body lines are indented
 * by `indent` + two spaces; the closing brace is at `indent`. No trailing newline.
 */
function printFuncAt(fn: Func, indent: string): string {
  if (printing.has(fn)) return `<cyclic ${printFuncName(fn.name)}>`;
  printing.add(fn);
  try {
    // A fresh namer: every func, regions included, numbers its values from %0.
    const names = new Namer();
    const inner = indent + '  ';
    const args = fn.inputs.map((v) => `${names.define(v)}: ${printType(v.aval)}`).join(', ');
    const results = fn.outputs.map((v) => printType(v.aval)).join(', ');
    const lines = [`func ${printFuncName(fn.name)}(${args}) -> (${results}) {`];
    for (const e of fn.eqns) lines.push(printEqn(e, names, inner));
    const ret = fn.outputs.map((v) => names.use(v)).join(', ');
    lines.push(ret ? `${inner}return ${ret}` : `${inner}return`);
    lines.push(`${indent}}`);
    return lines.join('\n');
  } finally {
    printing.delete(fn);
  }
}

/** The text of one func, ending in a newline. */
export function printFunc(fn: Func): string {
  return printFuncAt(fn, '') + '\n';
}

/** Several funcs, separated by a blank line. */
export function printModule(fns: readonly Func[]): string {
  return fns.map(printFunc).join('\n');
}
