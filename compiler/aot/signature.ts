// Reading a model file's entry points with the TypeScript compiler (ts-morph): which functions
// it exports, their parameters' types as Kiln understands them (tensors with the shape and
// dtype of `Tensor<S, D>`, trees of tensors, static numbers, booleans and strings), default
// values, and the parameters an entry donates (`@donate` in its JSDoc). Nothing is run here:
// the types alone describe the abstract inputs, so compiling needs no example data.
import fs from 'node:fs';
import path from 'node:path';
import { Node, Project, ts, type ParameterDeclaration, type SourceFile, type Type } from 'ts-morph';
import { DTYPES, isDType, type DType } from '../ir/dtype.ts';
import { CompileError, EntryError, posToString, type SourcePos } from './errors.ts';

/** The value of a static (non-tensor) argument. */
export type StaticValue = number | boolean | string;

/** A parameter's type as Kiln reads it. */
export type SigType =
  /** `Tensor<S, D>`: `shape` is null when the rank is unknown, a dim is null when dynamic. */
  | { readonly kind: 'tensor'; readonly shape: readonly (number | null)[] | null; readonly dtypes: readonly DType[] }
  | { readonly kind: 'tuple'; readonly elements: readonly SigType[] }
  /** An array of unknown length (`Tensor[]`). */
  | { readonly kind: 'array'; readonly element: SigType }
  | { readonly kind: 'object'; readonly fields: readonly { readonly key: string; readonly type: SigType }[] }
  /** A static argument; `options` lists the literal values the type allows (if it is a union of literals). */
  | { readonly kind: 'static'; readonly type: 'number' | 'boolean' | 'string'; readonly options?: readonly StaticValue[] }
  /** null or undefined: an empty slot of a tree. */
  | { readonly kind: 'none' }
  | { readonly kind: 'unsupported'; readonly text: string };

export interface ParamSig {
  /** The parameter's name (`arg<i>` for a destructured one). */
  readonly name: string;
  readonly type: SigType;
  /** The type as written in the source. */
  readonly typeText: string;
  /** The default initializer's value, when it is a literal. */
  readonly default?: StaticValue;
  /** The default initializer's text, when it is not a literal. */
  readonly defaultText?: string;
  readonly optional: boolean;
  readonly pos: SourcePos;
}

export interface EntrySig {
  readonly name: string;
  readonly params: readonly ParamSig[];
  /** Parameters named by `@donate` in the entry's JSDoc: their buffers may hold the results. */
  readonly donate: readonly string[];
  readonly pos: SourcePos;
}

/** A model file as the type checker sees it. */
export interface ModelSignatures {
  /** The file as reported in messages (relative to the working folder when inside it). */
  readonly file: string;
  /** Every exported function, by name, in the order of the file. */
  readonly entries: ReadonlyMap<string, EntrySig>;
  /** TypeScript's errors in the model file, each `file:line:col: message`. */
  readonly errors: readonly string[];
}

/** The file name for messages: relative to the working folder when it lies inside it. */
export function displayPath(abs: string): string {
  const rel = path.relative(process.cwd(), abs);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : abs;
}

/** The nearest tsconfig.json at or above `dir`. */
function findTsConfig(dir: string): string | undefined {
  for (let d = dir; ; d = path.dirname(d)) {
    const f = path.join(d, 'tsconfig.json');
    if (fs.existsSync(f)) return f;
    if (path.dirname(d) === d) return undefined;
  }
}

// Kiln's own settings, for model files outside any TypeScript project.
const DEFAULT_OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  strict: true,
  allowImportingTsExtensions: true,
  noEmit: true,
  skipLibCheck: true,
};

const projects = new Map<string, Project>();

/**
 * Reads the exported functions of `file` and their parameter types; reports type errors in
 * `errors` unless `typeCheck` is false (reading the types alone is quicker).
 */
export function readModelSignatures(file: string, opts: { typeCheck?: boolean } = {}): ModelSignatures {
  const abs = path.resolve(file);
  if (!fs.existsSync(abs) || !fs.statSync(abs).isFile()) throw new CompileError(`cannot read ${file}: no such file`);
  const tsConfigFilePath = findTsConfig(path.dirname(abs));
  // One project per tsconfig and process: a second model file (tests, `kiln ir` after a
  // compile) reuses the parsed Kiln sources.
  const key = tsConfigFilePath ?? '';
  let project = projects.get(key);
  if (!project) {
    project = tsConfigFilePath ? new Project({ tsConfigFilePath, skipAddingFilesFromTsConfig: true }) : new Project({ compilerOptions: DEFAULT_OPTIONS });
    projects.set(key, project);
  }
  let sf = project.getSourceFile(abs);
  if (sf) sf.refreshFromFileSystemSync();
  else sf = project.addSourceFileAtPath(abs);
  project.resolveSourceFileDependencies();
  const shown = displayPath(abs);
  const errors = (opts.typeCheck === false ? [] : sf.getPreEmitDiagnostics())
    .filter((d) => d.getCategory() === ts.DiagnosticCategory.Error)
    .map((d) => {
      const start = d.getStart();
      const dsf = d.getSourceFile();
      const where = dsf && start !== undefined ? dsf.getLineAndColumnAtPos(start) : undefined;
      const name = dsf ? displayPath(dsf.getFilePath()) : shown;
      const msg = ts.flattenDiagnosticMessageText(d.compilerObject.messageText, '\n');
      return `${name}${where ? `:${where.line}:${where.column}` : ''}: error TS${d.getCode()}: ${msg}`;
    });
  return { file: shown, entries: readEntries(sf, shown), errors };
}

/** Stops with every type error of the model file, before anything is traced. */
export function assertNoTypeErrors(m: ModelSignatures): void {
  if (m.errors.length === 0) return;
  const n = m.errors.length;
  throw new CompileError(`${m.file} has ${n} TypeScript error${n === 1 ? '' : 's'}; fix ${n === 1 ? 'it' : 'them'} before compiling:\n${m.errors.join('\n')}`);
}

type FunctionNode = Node & { getParameters(): ParameterDeclaration[] };

function readEntries(sf: SourceFile, shown: string): Map<string, EntrySig> {
  const entries = new Map<string, EntrySig>();
  const pos = (n: Node): SourcePos => {
    const { line, column } = sf.getLineAndColumnAtPos(n.getStart());
    return { file: shown, line, col: column };
  };
  for (const [name, decls] of sf.getExportedDeclarations()) {
    for (const d of decls) {
      let fn: FunctionNode | undefined;
      let docHost: Node | undefined;
      if (Node.isFunctionDeclaration(d)) {
        fn = d;
        docHost = d;
      } else if (Node.isVariableDeclaration(d)) {
        const init = d.getInitializer();
        if (init && (Node.isArrowFunction(init) || Node.isFunctionExpression(init))) {
          fn = init;
          docHost = d.getVariableStatement();
        }
      }
      if (!fn || d.getSourceFile() !== sf) continue;
      const params = fn.getParameters().map((p, i) => readParam(p, i, pos));
      entries.set(name, { name, params, donate: readDonate(docHost), pos: pos(d) });
      break;
    }
  }
  // getExportedDeclarations groups by kind; the file's order reads better.
  return new Map([...entries].sort(([, a], [, b]) => a.pos.line - b.pos.line || a.pos.col - b.pos.col));
}

/** The names after `@donate` tags (space- or comma-separated). */
function readDonate(host: Node | undefined): string[] {
  if (!host || !Node.isJSDocable(host)) return [];
  return host
    .getJsDocs()
    .flatMap((doc) => doc.getTags())
    .filter((t) => t.getTagName() === 'donate')
    .flatMap((t) => (t.getCommentText() ?? '').split(/[\s,]+/).filter(Boolean));
}

function readParam(p: ParameterDeclaration, i: number, pos: (n: Node) => SourcePos): ParamSig {
  const nameNode = p.getNameNode();
  const name = Node.isIdentifier(nameNode) ? nameNode.getText() : `arg${i}`;
  const typeNode = p.getTypeNode();
  const typeText = typeNode ? typeNode.getText() : p.getType().getText(p);
  const at = pos(p);
  const type = p.isRestParameter() ? ({ kind: 'unsupported', text: `...${typeText}` } as const) : readType(p.getType(), p, 0);
  const init = p.getInitializer();
  const dflt = init ? literalValue(init) : undefined;
  return {
    name,
    type,
    typeText,
    ...(dflt !== undefined ? { default: dflt } : init ? { defaultText: init.getText() } : {}),
    optional: p.isOptional(),
    pos: at,
  };
}

function literalValue(n: Node): StaticValue | undefined {
  if (Node.isNumericLiteral(n)) return n.getLiteralValue();
  if (Node.isStringLiteral(n) || Node.isNoSubstitutionTemplateLiteral(n)) return n.getLiteralValue();
  if (Node.isTrueLiteral(n)) return true;
  if (Node.isFalseLiteral(n)) return false;
  if (Node.isPrefixUnaryExpression(n) && n.getOperatorToken() === ts.SyntaxKind.MinusToken) {
    const v = literalValue(n.getOperand());
    return typeof v === 'number' ? -v : undefined;
  }
  if (Node.isParenthesizedExpression(n)) return literalValue(n.getExpression());
  return undefined;
}

/** Kiln's `Tensor` class (dsl/tensor.ts), wherever Kiln is installed. */
function isKilnTensor(t: Type): boolean {
  const sym = t.getSymbol();
  if (sym?.getName() !== 'Tensor') return false;
  return sym.getDeclarations().some((d) => d.getSourceFile().getFilePath().replace(/\\/g, '/').endsWith('/dsl/tensor.ts'));
}

const MAX_DEPTH = 32;

/** The Kiln reading of a type, at `node` (for properties' types). */
export function readType(t: Type, node: Node, depth: number): SigType {
  const unsupported = (): SigType => ({ kind: 'unsupported', text: t.getText(node, ts.TypeFormatFlags.NoTruncation) });
  if (depth > MAX_DEPTH) return unsupported();
  if (t.isNull() || t.isUndefined() || t.isVoid()) return { kind: 'none' };
  if (isKilnTensor(t)) return readTensor(t) ?? unsupported();
  if (t.isBoolean() || t.isBooleanLiteral()) return { kind: 'static', type: 'boolean' };
  if (t.isNumber()) return { kind: 'static', type: 'number' };
  if (t.isNumberLiteral()) return { kind: 'static', type: 'number', options: [t.getLiteralValue() as number] };
  if (t.isString()) return { kind: 'static', type: 'string' };
  if (t.isStringLiteral()) return { kind: 'static', type: 'string', options: [t.getLiteralValue() as string] };
  if (t.isUnion()) {
    // `T | undefined` (an optional field) reads as T; a union of literals is a static choice.
    const members = t.getUnionTypes().filter((u) => !(u.isUndefined() || u.isNull()));
    if (members.length === 1) return readType(members[0]!, node, depth + 1);
    if (members.every((u) => u.isStringLiteral())) return { kind: 'static', type: 'string', options: members.map((u) => u.getLiteralValue() as string) };
    if (members.every((u) => u.isNumberLiteral())) return { kind: 'static', type: 'number', options: members.map((u) => u.getLiteralValue() as number) };
    if (members.every((u) => u.isBooleanLiteral())) return { kind: 'static', type: 'boolean' };
    return unsupported();
  }
  if (t.isTuple()) return { kind: 'tuple', elements: t.getTupleElements().map((e) => readType(e, node, depth + 1)) };
  if (t.isArray() || t.isReadonlyArray()) {
    const el = t.getArrayElementType() ?? t.getTypeArguments()[0];
    return el ? { kind: 'array', element: readType(el, node, depth + 1) } : unsupported();
  }
  if (t.isObject() && t.getCallSignatures().length === 0 && t.getConstructSignatures().length === 0 && !t.getStringIndexType() && !t.getNumberIndexType()) {
    const props = t.getProperties().map((prop) => ({ key: prop.getName(), t: prop.getTypeAtLocation(node) }));
    // Methods make it an object with behaviour (a Date, a class instance), not a tree of data.
    if (props.some((p) => p.t.getCallSignatures().length > 0)) return unsupported();
    return { kind: 'object', fields: props.map((p) => ({ key: p.key, type: readType(p.t, node, depth + 1) })) };
  }
  return unsupported();
}

function readTensor(t: Type): SigType | undefined {
  const [s, d] = t.getTypeArguments();
  if (!s || !d) return undefined;
  let shape: (number | null)[] | null;
  if (s.isTuple()) {
    shape = [];
    for (const e of s.getTupleElements()) {
      if (e.isNumberLiteral()) shape.push(e.getLiteralValue() as number);
      else if (e.isNumber()) shape.push(null);
      else return undefined;
    }
  } else if (s.isArray() || s.isReadonlyArray()) shape = null;
  else return undefined;
  const lits = (d.isUnion() ? d.getUnionTypes() : [d]).map((u) => (u.isStringLiteral() ? (u.getLiteralValue() as string) : undefined));
  if (lits.some((l) => l === undefined || !isDType(l))) return undefined;
  const dtypes = DTYPES.filter((x) => lits.includes(x));
  return { kind: 'tensor', shape, dtypes };
}

/** A compact text of a read type, e.g. `{W: f32[784,256], b: f32[256]}`; `?` is a dynamic dim. */
export function formatSigType(t: SigType): string {
  switch (t.kind) {
    case 'tensor': {
      const dt = t.dtypes.length === DTYPES.length ? 'f32' : t.dtypes.join('|');
      return `${t.dtypes.length > 1 && t.dtypes.length < DTYPES.length ? `(${dt})` : dt}${t.shape ? `[${t.shape.map((x) => x ?? '?').join(',')}]` : '[...]'}`;
    }
    case 'tuple':
      return `[${t.elements.map(formatSigType).join(', ')}]`;
    case 'array':
      return `${formatSigType(t.element)}[]`;
    case 'object':
      return `{${t.fields.map((f) => `${f.key}: ${formatSigType(f.type)}`).join(', ')}}`;
    case 'static':
      return t.options ? t.options.map((o) => JSON.stringify(o)).join('|') : t.type;
    case 'none':
      return 'null';
    case 'unsupported':
      return `unsupported(${t.text})`;
    default:
      return t satisfies never;
  }
}

/** The entry named `name`, or a CompileError listing the exported functions (did you mean). */
export function findEntry(m: ModelSignatures, name: string, didYouMean: (w: string, c: readonly string[]) => string): EntrySig {
  const e = m.entries.get(name);
  if (e) return e;
  const names = [...m.entries.keys()].sort();
  throw new EntryError(`${m.file} exports no function named '${name}'${didYouMean(name, names)} (exported functions: ${names.join(', ') || 'none'})`);
}

export { posToString };
