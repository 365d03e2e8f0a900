// The IR text format, parsing side (the format is described in print.ts).
//
// Three stages, each with its own errors, all reported as ParseError with line:col:
//   1. lexing and parsing with chevrotain into a small syntax tree that keeps every token
//      (so later stages can point at positions); grammar errors get messages of the form
//      "expected X, found 'y'";
//   2. building Funcs from the syntax tree: names resolve to Vars, dtypes and params are checked
//      against the param schema, locations are decoded;
//   3. the verifier (verify.ts) on each func; its failures point at the equation's line (inside
//      a region: at the line of the region's equation at fault).
//
// The grammar is whitespace-insensitive (newlines are not significant), as MLIR's is, so that
// the regions of control-flow primitives (a param value `name=func @f(...) -> (...) { ... }`)
// can span lines. A region is a closed scope: its body sees only its own arguments and the
// values it defines, and a name of an enclosing func used inside it is an error.
import {
  EmbeddedActionsParser,
  EOF,
  Lexer,
  createToken,
  isRecognitionException,
  type IParserErrorMessageProvider,
  type IRecognitionException,
  type IToken,
  type TokenType,
} from 'chevrotain';
import { DTYPES, isDType } from './dtype.ts';
import { KilnError, ParseError, VerifyError } from './errors.ts';
import { makeEqn, sameAval, Var, type AVal, type Eqn, type Func, type SourceLoc } from './ir.ts';
import { describeKind, isEnumKind, paramSchema, type ParamKind } from './param-schema.ts';
import { printType } from './print.ts';
import { isPrimitive, Primitive, type Params } from './primitives.ts';
import { EqnVerifyError, verifyFunc } from './verify.ts';

// ---------------------------------------------------------------------------------------------
// Tokens. Chevrotain tries patterns in order (first match wins), so keywords come before
// Identifier and use `longer_alt` so that e.g. `information` still lexes as one identifier.

const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /[ \t\r\n]+/, group: Lexer.SKIPPED, line_breaks: true });
const Comment = createToken({ name: 'Comment', pattern: /\/\/[^\n\r]*/, group: Lexer.SKIPPED });
const Identifier = createToken({ name: 'Identifier', pattern: /[A-Za-z_][A-Za-z0-9_]*/, label: 'a name' });
const kw = (name: string, word: string) =>
  createToken({ name, pattern: new RegExp(word), longer_alt: Identifier, label: `'${word}'` });
const Func = kw('Func', 'func');
const Return = kw('Return', 'return');
const Loc = kw('Loc', 'loc');
const True = kw('True', 'true');
const False = kw('False', 'false');
const NonFinite = createToken({ name: 'NonFinite', pattern: /-?inf|nan/, longer_alt: Identifier, label: 'a number' });
const Arrow = createToken({ name: 'Arrow', pattern: /->/, label: "'->'" });
// Decimal numbers as JS `String(x)` writes them (`-0`, `1.5`, `1e-45`, `1.2e+21`).
const NumberTok = createToken({ name: 'Number', pattern: /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/, label: 'a number' });
const StringTok = createToken({ name: 'String', pattern: /"(?:[^"\\\r\n]|\\.)*"/, label: 'a string' });
// Matched only when StringTok is not (no closing quote on the line); turned into an error.
const UnterminatedString = createToken({ name: 'UnterminatedString', pattern: /"(?:[^"\\\r\n]|\\.)*/ });
const ValueName = createToken({ name: 'ValueName', pattern: /%[A-Za-z0-9_.$]+/, label: 'a value name like %0' });
const AtName = createToken({
  name: 'AtName',
  pattern: /@(?:[A-Za-z_$][A-Za-z0-9_$.]*|"(?:[^"\\\r\n]|\\.)*")/,
  label: 'a function name like @main',
});
const punct = (name: string, ch: string) => createToken({ name, pattern: new RegExp(`\\${ch}`), label: `'${ch}'` });
const LParen = punct('LParen', '(');
const RParen = punct('RParen', ')');
const LBrace = punct('LBrace', '{');
const RBrace = punct('RBrace', '}');
const LBracket = punct('LBracket', '[');
const RBracket = punct('RBracket', ']');
const Comma = punct('Comma', ',');
const Colon = punct('Colon', ':');
const Equals = punct('Equals', '=');

const ALL_TOKENS: TokenType[] = [
  WhiteSpace, Comment, Arrow, NonFinite, NumberTok, StringTok, UnterminatedString, ValueName, AtName,
  Func, Return, Loc, True, False, Identifier,
  LParen, RParen, LBrace, RBrace, LBracket, RBracket, Comma, Colon, Equals,
];

// ensureOptimizations: fail loudly at load time if a pattern defeats chevrotain's first-char
// optimization, rather than silently lexing slowly.
const lexer = new Lexer(ALL_TOKENS, { ensureOptimizations: true, positionTracking: 'full' });

// ---------------------------------------------------------------------------------------------
// Syntax tree: what was written, with tokens kept for positions. No checking happens here.

/**
 * A param value as written. New kinds of value extend this union and the `value` rule.
 * A region is a whole nested func (`tok` is its 'func' keyword); it cannot be confused with
 * anything else because it starts with the 'func' keyword.
 */
type SynValue =
  | { kind: 'number'; tok: IToken }
  | { kind: 'bool'; tok: IToken; value: boolean }
  | { kind: 'ident'; tok: IToken }
  | { kind: 'string'; tok: IToken }
  | { kind: 'list'; tok: IToken; items: SynValue[] }
  | { kind: 'region'; tok: IToken; func: SynFunc };

interface SynParam {
  name: IToken;
  value: SynValue;
}
interface SynType {
  dtype: IToken;
  dims: IToken[];
}
interface SynLoc {
  file: IToken;
  line: IToken;
  col: IToken;
}
interface SynEqn {
  outs: IToken[];
  prim: IToken;
  operands: IToken[];
  /** The `{` of the params block, when there is one. */
  lbrace: IToken | undefined;
  params: SynParam[];
  colon: IToken;
  types: SynType[];
  loc: SynLoc | undefined;
}
interface SynFunc {
  /** The 'func' keyword. */
  kw: IToken;
  name: IToken;
  args: { name: IToken; type: SynType }[];
  results: SynType[];
  eqns: SynEqn[];
  ret: IToken;
  retOperands: IToken[];
}

// ---------------------------------------------------------------------------------------------
// Grammar error messages: each is "expected ..."; the ", found 'x'" part and the position are
// added when the exception is turned into a ParseError (toParseError).

const tokenLabel = (t: TokenType) => t.LABEL ?? t.name;
const uniq = (xs: string[]) => [...new Set(xs)];
const orList = (xs: string[]) => (xs.length <= 1 ? (xs[0] ?? 'something else') : `${xs.slice(0, -1).join(', ')} or ${xs.at(-1)}`);

const messages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage: ({ expected }) => `expected ${tokenLabel(expected)}`,
  buildNotAllInputParsedMessage: () => `expected 'func' or end of input`,
  buildNoViableAltMessage: ({ expectedPathsPerAlt, customUserDescription }) =>
    `expected ${customUserDescription ?? orList(uniq(expectedPathsPerAlt.flat().map((p) => tokenLabel(p[0]!))))}`,
  buildEarlyExitMessage: ({ expectedIterationPaths, customUserDescription }) =>
    `expected ${customUserDescription ?? orList(uniq(expectedIterationPaths.map((p) => tokenLabel(p[0]!))))}`,
};

/**
 * The grammar. Rules only collect tokens into the syntax tree; all checking is done later in
 * plain code, because embedded actions also run (on placeholder tokens) while chevrotain
 * records the grammar.
 */
class IrParser extends EmbeddedActionsParser {
  constructor() {
    super(ALL_TOKENS, { errorMessageProvider: messages, maxLookahead: 2 });
    this.performSelfAnalysis();
  }

  // module := func*
  readonly module = this.RULE('module', (): SynFunc[] => {
    const fns: SynFunc[] = [];
    this.MANY(() => {
      fns.push(this.SUBRULE(this.func));
    });
    return fns;
  });

  // func := 'func' @name '(' (%x ':' type),* ')' '->' '(' type,* ')' '{' eqn* 'return' %x,* '}'
  // (Also a param value: a region, so this rule is recursive through eqn, param and value.)
  private readonly func = this.RULE('func', (): SynFunc => {
    const kw = this.CONSUME(Func);
    const name = this.CONSUME(AtName, { ERR_MSG: "expected a function name like @main after 'func'" });
    this.CONSUME(LParen, { ERR_MSG: "expected '(' to open the argument list" });
    const args: SynFunc['args'] = [];
    this.MANY_SEP({
      SEP: Comma,
      DEF: () => {
        const argName = this.CONSUME(ValueName);
        this.CONSUME(Colon, { ERR_MSG: "expected ':' and a type after the argument name" });
        args.push({ name: argName, type: this.SUBRULE(this.type) });
      },
    });
    this.CONSUME(RParen, { ERR_MSG: "expected ')' to close the argument list" });
    this.CONSUME(Arrow, { ERR_MSG: "expected '->' and the result types" });
    this.CONSUME1(LParen, { ERR_MSG: "expected '(' to open the result types" });
    const results: SynType[] = [];
    this.MANY_SEP1({ SEP: Comma, DEF: () => results.push(this.SUBRULE1(this.type)) });
    this.CONSUME1(RParen, { ERR_MSG: "expected ')' to close the result types" });
    this.CONSUME(LBrace, { ERR_MSG: "expected '{' to open the func body" });
    const eqns: SynEqn[] = [];
    this.MANY(() => {
      eqns.push(this.SUBRULE(this.eqn));
    });
    const ret = this.CONSUME(Return, { ERR_MSG: "expected an equation '%n = ...' or 'return'" });
    const retOperands: IToken[] = [];
    this.MANY_SEP2({ SEP: Comma, DEF: () => retOperands.push(this.CONSUME1(ValueName)) });
    this.CONSUME(RBrace, { ERR_MSG: "expected '}' after the return values" });
    return { kw, name, args, results, eqns, ret, retOperands };
  });

  // eqn := %x,+ '=' prim %x,* params? ':' type,+ loc?
  private readonly eqn = this.RULE('eqn', (): SynEqn => {
    const outs: IToken[] = [];
    this.AT_LEAST_ONE_SEP({ SEP: Comma, DEF: () => outs.push(this.CONSUME(ValueName)) });
    this.CONSUME(Equals, { ERR_MSG: "expected '=' after the result names" });
    const prim = this.CONSUME(Identifier, { ERR_MSG: "expected a primitive name after '='" });
    const operands: IToken[] = [];
    this.MANY_SEP({ SEP: Comma, DEF: () => operands.push(this.CONSUME1(ValueName)) });
    let lbrace: IToken | undefined;
    const params: SynParam[] = [];
    this.OPTION(() => {
      lbrace = this.CONSUME(LBrace);
      this.MANY_SEP1({ SEP: Comma, DEF: () => params.push(this.SUBRULE(this.param)) });
      this.CONSUME(RBrace, { ERR_MSG: "expected ',' or '}' in the params" });
    });
    // The message says what came last, so "expected ':'" points the reader at the right place.
    const after = lbrace ? 'params' : operands.length ? 'operands' : 'the primitive name';
    const colon = this.CONSUME(Colon, { ERR_MSG: `expected ':' after ${after}` });
    const types: SynType[] = [];
    this.AT_LEAST_ONE_SEP1({ SEP: Comma, DEF: () => types.push(this.SUBRULE(this.type)), ERR_MSG: 'a result type' });
    const loc = this.OPTION1(() => this.SUBRULE(this.loc));
    return { outs, prim, operands, lbrace, params, colon, types, loc };
  });

  // type := dtype '[' int,* ']'
  private readonly type = this.RULE('type', (): SynType => {
    const dtype = this.CONSUME(Identifier, { ERR_MSG: 'expected a type such as f32[2,3]' });
    this.CONSUME(LBracket, { ERR_MSG: "expected '[' and a shape after the dtype" });
    const dims: IToken[] = [];
    this.MANY_SEP({ SEP: Comma, DEF: () => dims.push(this.CONSUME(NumberTok, { ERR_MSG: 'expected a dimension' })) });
    this.CONSUME(RBracket, { ERR_MSG: dims.length ? "expected ',' or ']' in the shape" : "expected a dimension or ']'" });
    return { dtype, dims };
  });

  // loc := 'loc' '(' string ':' int ':' int ')'
  private readonly loc = this.RULE('loc', (): SynLoc => {
    this.CONSUME(Loc);
    this.CONSUME(LParen, { ERR_MSG: "expected '(' after 'loc'" });
    const file = this.CONSUME(StringTok, { ERR_MSG: 'expected a quoted file name in loc(...)' });
    this.CONSUME(Colon, { ERR_MSG: "expected ':' and a line number in loc(...)" });
    const line = this.CONSUME(NumberTok, { ERR_MSG: 'expected a line number in loc(...)' });
    this.CONSUME1(Colon, { ERR_MSG: "expected ':' and a column number in loc(...)" });
    const col = this.CONSUME1(NumberTok, { ERR_MSG: 'expected a column number in loc(...)' });
    this.CONSUME(RParen, { ERR_MSG: "expected ')' to close loc(...)" });
    return { file, line, col };
  });

  // param := name '=' value
  private readonly param = this.RULE('param', (): SynParam => {
    const name = this.CONSUME(Identifier, { ERR_MSG: 'expected a param name' });
    this.CONSUME(Equals, { ERR_MSG: "expected '=' after the param name" });
    return { name, value: this.SUBRULE(this.value) };
  });

  // value := number | 'true' | 'false' | name | string | '[' value,* ']' | func
  private readonly value = this.RULE('value', (): SynValue =>
    this.OR({
      ERR_MSG: 'a param value (a number, true, false, a name, a [list] or a func region)',
      DEF: [
        { ALT: () => ({ kind: 'number', tok: this.CONSUME(NumberTok) }) },
        { ALT: () => ({ kind: 'number', tok: this.CONSUME(NonFinite) }) },
        { ALT: () => ({ kind: 'bool', tok: this.CONSUME(True), value: true }) },
        { ALT: () => ({ kind: 'bool', tok: this.CONSUME(False), value: false }) },
        { ALT: () => ({ kind: 'ident', tok: this.CONSUME(Identifier) }) },
        { ALT: () => ({ kind: 'string', tok: this.CONSUME(StringTok) }) },
        { ALT: () => this.SUBRULE(this.list) },
        {
          ALT: () => {
            const func = this.SUBRULE(this.func);
            return { kind: 'region', tok: func.kw, func };
          },
        },
      ],
    }),
  );

  private readonly list = this.RULE('list', (): SynValue => {
    const tok = this.CONSUME(LBracket);
    const items: SynValue[] = [];
    this.MANY_SEP({ SEP: Comma, DEF: () => items.push(this.SUBRULE(this.value)) });
    this.CONSUME(RBracket, { ERR_MSG: "expected ',' or ']' in the list" });
    return { kind: 'list', tok, items };
  });
}

// Building the grammar is the expensive part, so one parser is made on first use and reused.
let parserInstance: IrParser | undefined;
const getParser = () => (parserInstance ??= new IrParser());

// ---------------------------------------------------------------------------------------------
// Stage 2: syntax tree to Funcs.

/** Everything an error needs to say where it happened. */
class Source {
  constructor(
    readonly text: string,
    readonly name: string,
  ) {}

  /** ParseError at a token (the end of input for EOF, whose position chevrotain leaves NaN). */
  errorAt(tok: IToken, detail: string): ParseError {
    if (tok.tokenType === EOF || !Number.isFinite(tok.startLine) || !Number.isFinite(tok.startColumn)) {
      const end = this.endPos();
      return new ParseError(end.line, end.col, detail, this.name);
    }
    return new ParseError(tok.startLine!, tok.startColumn!, detail, this.name);
  }

  fail(tok: IToken, detail: string): never {
    throw this.errorAt(tok, detail);
  }

  /** The line:col just past the last character. */
  endPos(): { line: number; col: number } {
    const lines = this.text.split(/\r\n|\r|\n/);
    return { line: lines.length, col: lines.at(-1)!.length + 1 };
  }
}

/** How a token reads after "found": quoted text, or "end of input". */
function found(tok: IToken): string {
  if (tok.tokenType === EOF) return 'end of input';
  const img = tok.image.length > 24 ? tok.image.slice(0, 21) + '...' : tok.image;
  return `'${img}'`;
}

/** Levenshtein distance, for "did you mean" suggestions. */
function editDistance(a: string, b: string): number {
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

/** " (did you mean 'x'?)" for the closest candidate, if it is close enough to be a typo. */
function suggest(word: string, candidates: readonly string[]): string {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) [best, bestD] = [c, d];
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(word.length / 3)) ? ` (did you mean '${best}'?)` : '';
}

/** Undoes quoteString (print.ts): `\\`, `\"`, `\n`, `\r`, `\t`, `\u{hex}`. */
function unquote(src: Source, tok: IToken, quoted: string): string {
  let out = '';
  for (let i = 1; i < quoted.length - 1; i++) {
    const ch = quoted[i]!;
    if (ch !== '\\') {
      out += ch;
      continue;
    }
    const e = quoted[++i]!;
    if (e === '\\' || e === '"') out += e;
    else if (e === 'n') out += '\n';
    else if (e === 'r') out += '\r';
    else if (e === 't') out += '\t';
    else if (e === 'u') {
      const m = /^\{([0-9a-fA-F]{1,6})\}/.exec(quoted.slice(i + 1));
      const code = m ? parseInt(m[1]!, 16) : NaN;
      if (!m || code > 0x10ffff) src.fail(tok, `bad escape '\\u${quoted.slice(i + 1, i + 9)}' in string (expected \\u{hex})`);
      out += String.fromCodePoint(code);
      i += m[0].length;
    } else src.fail(tok, `unknown escape '\\${e}' in string (expected \\\\, \\", \\n, \\r, \\t or \\u{hex})`);
  }
  return out;
}

const INT_LITERAL = /^-?\d+$/;

/** An integer literal (no fraction or exponent) that a double holds exactly. */
function intOf(tok: IToken): number | undefined {
  if (tok.tokenType !== NumberTok || !INT_LITERAL.test(tok.image)) return undefined;
  const x = Number(tok.image);
  return Number.isSafeInteger(x) ? x : undefined;
}

/** The number a Number or NonFinite token spells. Number() reads `-0` and `1e-45` exactly. */
function numberOf(tok: IToken): number {
  switch (tok.image) {
    case 'nan':
      return NaN;
    case 'inf':
      return Infinity;
    case '-inf':
      return -Infinity;
    default:
      return Number(tok.image);
  }
}

/** Dimensions and loc positions: digits only (so no `-0` either). */
function nonNegInt(src: Source, tok: IToken, what: string): number {
  const x = tok.image.startsWith('-') ? undefined : intOf(tok);
  if (x === undefined) src.fail(tok, `expected a non-negative integer ${what}, found ${found(tok)}`);
  return x;
}

function typeOf(src: Source, t: SynType): AVal {
  const d = t.dtype.image;
  if (!isDType(d)) src.fail(t.dtype, `unknown dtype '${d}'${suggest(d, DTYPES)}; expected one of ${DTYPES.join(', ')}`);
  return { dtype: d, shape: t.dims.map((tok) => nonNegInt(src, tok, 'dimension')) };
}

const valueText = (v: SynValue) => (v.kind === 'list' ? 'a list' : v.kind === 'region' ? 'a func' : found(v.tok));

/** Builds a region's Func from its syntax (a closed scope nested in the current one). */
type RegionBuilder = (f: SynFunc) => Func;

/** A param value of the given kind, or a ParseError naming the param and the primitive. */
function paramValue(src: Source, prim: Primitive, name: string, kind: ParamKind, v: SynValue, region: RegionBuilder): unknown {
  const bad = (at: SynValue, what = describeKind(kind)): never =>
    src.fail(at.tok, `param '${name}' of ${prim} expects ${what}, found ${valueText(at)}`);
  const int = (x: SynValue): number => {
    const n = x.kind === 'number' ? intOf(x.tok) : undefined;
    return n ?? bad(x, 'an integer');
  };
  const num = (x: SynValue): number => (x.kind === 'number' ? numberOf(x.tok) : bad(x, 'a number'));
  const list = <T>(item: (x: SynValue) => T): T[] => (v.kind === 'list' ? v.items.map(item) : bad(v));
  const func = (x: SynValue): Func => (x.kind === 'region' ? region(x.func) : bad(x, describeKind('func')));
  if (isEnumKind(kind)) return v.kind === 'ident' && kind.includes(v.tok.image) ? v.tok.image : bad(v);
  switch (kind) {
    case 'int':
      return v.kind === 'number' ? int(v) : bad(v);
    case 'ints':
      return list(int);
    case 'number':
      return num(v);
    case 'numbers':
      return list(num);
    case 'bool':
      return v.kind === 'bool' ? v.value : bad(v);
    case 'dtype':
      return v.kind === 'ident' && isDType(v.tok.image) ? v.tok.image : bad(v);
    case 'func':
      return func(v);
    case 'funcs':
      return list(func);
    default:
      return kind satisfies never;
  }
}

/** The typed params object of one equation, keys in schema order. */
function paramsOf(src: Source, prim: Primitive, e: SynEqn, region: RegionBuilder): Params {
  const schema = paramSchema(prim);
  const names = Object.keys(schema);
  const given = new Map<string, SynParam>();
  for (const p of e.params) {
    const n = p.name.image;
    if (!Object.hasOwn(schema, n)) {
      const expected = names.length ? `its params are ${names.join(', ')}` : 'it takes no params';
      src.fail(p.name, `unknown param '${n}' for ${prim}${suggest(n, names)}; ${expected}`);
    }
    if (given.has(n)) src.fail(p.name, `param '${n}' of ${prim} given twice`);
    given.set(n, p);
  }
  const out: Record<string, unknown> = {};
  for (const n of names) {
    const p = given.get(n);
    if (!p) src.fail(e.lbrace ?? e.prim, `${prim} is missing param '${n}' (${describeKind(schema[n]!)})`);
    out[n] = paramValue(src, prim, n, schema[n]!, p.value, region);
  }
  // The schema table is typed against PrimitiveParams, so an object that passed it is one.
  return out as Params;
}

/**
 * A value name's scope within one func: name → Var, and where each name is defined. A region's
 * scope has the enclosing func's scope as `parent`, consulted only to explain a capture.
 */
class Scope {
  private readonly vars = new Map<string, { v: Var; tok: IToken }>();
  constructor(
    private readonly src: Source,
    /** First definition of every name in the func, to tell "used too early" from "undefined". */
    private readonly allDefs: Map<string, IToken>,
    private readonly parent?: Scope,
  ) {}

  /** Whether `name` names a value of this func (defined already or later). */
  private knows(name: string): boolean {
    return this.vars.has(name) || this.allDefs.has(name);
  }

  define(tok: IToken, a: AVal): Var {
    const prev = this.vars.get(tok.image);
    if (prev) this.src.fail(tok, `redefinition of ${tok.image} (first defined at ${prev.tok.startLine}:${prev.tok.startColumn})`);
    const v = new Var(a);
    this.vars.set(tok.image, { v, tok });
    return v;
  }

  use(tok: IToken): Var {
    const hit = this.vars.get(tok.image);
    if (hit) return hit.v;
    const def = this.allDefs.get(tok.image);
    if (def) this.src.fail(tok, `${tok.image} is used before its definition at ${def.startLine}:${def.startColumn}`);
    for (let s = this.parent; s; s = s.parent) {
      if (s.knows(tok.image)) {
        this.src.fail(tok, `use of ${tok.image} of an enclosing func: regions cannot capture outer values and must take them as inputs`);
      }
    }
    return this.src.fail(tok, `use of undefined value ${tok.image}`);
  }
}

function buildEqn(src: Source, scope: Scope, e: SynEqn): Eqn {
  const primName = e.prim.image;
  if (!isPrimitive(primName)) {
    src.fail(e.prim, `unknown primitive '${primName}'${suggest(primName, Object.values(Primitive))}`);
  }
  const inputs = e.operands.map((t) => scope.use(t));
  const params = paramsOf(src, primName, e, (f) => buildFunc(src, f, scope));
  if (e.types.length !== e.outs.length) {
    src.fail(e.colon, `${e.outs.length} result name(s) but ${e.types.length} result type(s)`);
  }
  const avals = e.types.map((t) => typeOf(src, t));
  let loc: SourceLoc | undefined;
  if (e.loc) {
    loc = {
      file: unquote(src, e.loc.file, e.loc.file.image),
      line: nonNegInt(src, e.loc.line, 'line number'),
      col: nonNegInt(src, e.loc.col, 'column number'),
    };
  }
  // Outputs are defined after the operands are resolved: `%1 = neg %1` is a use before definition.
  const outputs = e.outs.map((t, k) => scope.define(t, avals[k]!));
  return makeEqn(primName, params, inputs, outputs, loc);
}

/**
 * The Func of one `func` syntax node. `parent` is the scope of the enclosing func when `f` is
 * a region; only a top-level func is verified here (verifying it verifies its regions).
 */
function buildFunc(src: Source, f: SynFunc, parent?: Scope): Func {
  const allDefs = new Map<string, IToken>();
  for (const t of [...f.args.map((a) => a.name), ...f.eqns.flatMap((e) => e.outs)]) {
    if (!allDefs.has(t.image)) allDefs.set(t.image, t);
  }
  const scope = new Scope(src, allDefs, parent);
  const name = funcName(src, f.name);
  const inputs = f.args.map((a) => scope.define(a.name, typeOf(src, a.type)));
  const results = f.results.map((t) => typeOf(src, t));
  const eqns = f.eqns.map((e) => buildEqn(src, scope, e));
  const outputs = f.retOperands.map((t) => scope.use(t));
  if (outputs.length !== results.length) {
    src.fail(f.ret, `func @${name} declares ${results.length} result(s) but returns ${outputs.length}`);
  }
  outputs.forEach((v, k) => {
    if (!sameAval(v.aval, results[k]!)) {
      src.fail(f.retOperands[k]!, `${f.retOperands[k]!.image} has type ${printType(v.aval)} but result ${k} of @${name} is declared ${printType(results[k]!)}`);
    }
  });
  const fn: Func = { name, inputs, eqns, outputs };
  if (parent) return fn;
  try {
    verifyFunc(fn);
  } catch (err) {
    if (!(err instanceof VerifyError)) throw err;
    src.fail(faultToken(f, err), err.message);
  }
  return fn;
}

/**
 * Where a verifier error points in the syntax of `f`: the failing equation (at its result type
 * when the fault is a result's type), followed into the region at fault when there is one;
 * the `return` for faults outside any equation.
 */
function faultToken(f: SynFunc, err: VerifyError): IToken {
  if (!(err instanceof EqnVerifyError)) return f.ret;
  const se = f.eqns[err.eqnIndex];
  if (!se) return f.ret;
  if (err.region) {
    const { param, index, error } = err.region;
    const p = se.params.find((q) => q.name.image === param);
    let v: SynValue | undefined = p?.value;
    if (index !== undefined) v = v?.kind === 'list' ? v.items[index] : undefined;
    return v?.kind === 'region' ? faultToken(v.func, error) : (p?.name ?? se.outs[0]!);
  }
  return err.outputIndex !== undefined ? (se.types[err.outputIndex]?.dtype ?? se.outs[0]!) : se.outs[0]!;
}

function funcName(src: Source, tok: IToken): string {
  const body = tok.image.slice(1);
  return body.startsWith('"') ? unquote(src, tok, body) : body;
}

const MAX_NESTING = 256;
const OPENERS = new Set([LParen, LBrace, LBracket]);
const CLOSERS = new Set([RParen, RBrace, RBracket]);

/** Lexes and parses `text` into the syntax tree; grammar errors become ParseErrors. */
function parseSyntax(src: Source): SynFunc[] {
  const lexed = lexer.tokenize(src.text);
  if (lexed.errors.length) {
    const e = lexed.errors[0]!;
    const ch = String.fromCodePoint(src.text.codePointAt(e.offset) ?? 0x3f);
    // '%' and '@' only fail to lex when no name follows; say so rather than blame the sigil.
    const detail =
      ch === '%' ? `expected a value name like %0, found '${src.text.slice(e.offset, e.offset + 2)}'`
      : ch === '@' ? `expected a function name like @main, found '${src.text.slice(e.offset, e.offset + 2)}'`
      : `unexpected character '${ch}'`;
    throw new ParseError(e.line ?? 1, e.column ?? 1, detail, src.name);
  }
  const open = lexed.tokens.find((t) => t.tokenType === UnterminatedString);
  if (open) src.fail(open, 'unterminated string (missing closing \'"\' on this line)');

  // Bound the nesting depth up front: the grammar is recursive (lists, regions), and a
  // stack overflow deep inside chevrotain could not say where the problem is.
  let depth = 0;
  for (const t of lexed.tokens) {
    if (OPENERS.has(t.tokenType)) {
      if (++depth > MAX_NESTING) src.fail(t, `brackets nested more than ${MAX_NESTING} deep`);
    } else if (CLOSERS.has(t.tokenType)) depth--;
  }

  const parser = getParser();
  parser.input = lexed.tokens;
  const fns = parser.module();
  // Recovery is off, so parsing stops at the first error and reports just that one.
  const err: IRecognitionException | undefined = parser.errors[0];
  if (err) throw src.errorAt(err.token, `${err.message}, found ${found(err.token)}`);
  return fns;
}

/**
 * Runs a parse stage, keeping its errors ParseErrors: anything else (a chevrotain internal
 * error, a stack overflow on absurdly nested lists, a bug here) becomes one too, since callers
 * are promised that only ParseError leaves the parser.
 */
function guarded<T>(src: Source, run: () => T): T {
  try {
    return run();
  } catch (err) {
    if (err instanceof ParseError) throw err;
    const what =
      err instanceof RangeError ? 'input nested too deeply'
      : err instanceof KilnError ? err.message
      : err instanceof Error && isRecognitionException(err) ? err.message
      : `internal parser error: ${err instanceof Error ? err.message : String(err)}`;
    const pe = new ParseError(1, 1, what, src.name);
    pe.cause = err;
    throw pe;
  }
}

/** Parses a file of zero or more funcs; each is verified. Throws ParseError. */
export function parseModule(text: string, sourceName = '<ir>'): Func[] {
  const src = new Source(text, sourceName);
  return guarded(src, () => {
    const syn = parseSyntax(src);
    const seen = new Map<string, IToken>();
    return syn.map((f) => {
      const name = funcName(src, f.name);
      const prev = seen.get(name);
      if (prev) src.fail(f.name, `redefinition of func ${f.name.image} (first defined at ${prev.startLine}:${prev.startColumn})`);
      seen.set(name, f.name);
      return buildFunc(src, f);
    });
  });
}

/** Parses text holding exactly one func. Throws ParseError. */
export function parseFunc(text: string, sourceName = '<ir>'): Func {
  const src = new Source(text, sourceName);
  return guarded(src, () => {
    const syn = parseSyntax(src);
    if (syn.length !== 1) {
      if (syn.length === 0) {
        const end = src.endPos();
        throw new ParseError(end.line, end.col, "expected a func, found end of input", sourceName);
      }
      src.fail(syn[1]!.name, `expected exactly one func, found a second one, ${syn[1]!.name.image}`);
    }
    return buildFunc(src, syn[0]!);
  });
}
