// The public API as documentation: reads index.ts with ts-morph, follows its re-exports to the
// declarations, and collects each exported function, class, type and namespace (and the public
// members of classes, and the members of namespaces such as `random`) with its signature and
// TSDoc comment. Used by `kiln doc` and by the test that every export is documented.
import path from 'node:path';
import { DTYPES } from '../compiler/ir/dtype.ts';
import {
  Node,
  Project,
  Scope,
  TypeFormatFlags,
  ts,
  type ClassDeclaration,
  type JSDoc,
  type MethodDeclaration,
  type SourceFile,
} from 'ts-morph';
import { REPO_ROOT } from './paths.ts';


export type ApiKind = 'function' | 'class' | 'interface' | 'type' | 'namespace' | 'variable' | 'method' | 'property';

export interface ApiEntry {
  /** As the user writes it after `k.`: `sum`, `random.uniform`, `Tensor.sum`. */
  readonly name: string;
  readonly kind: ApiKind;
  /** The class or namespace a member belongs to. */
  readonly parent?: string;
  /** Declarations as source text without bodies (several for overloads). */
  readonly signatures: readonly string[];
  /** The TSDoc comment without its markers ('' when there is none). */
  readonly doc: string;
  /** The first sentence of the comment ('' when there is none). */
  readonly summary: string;
  /** Where it is declared, relative to the repository root. */
  readonly file: string;
  readonly line: number;
  /** The declaration's own name when it is exported under another (`var` is `variance`). */
  readonly declaredAs?: string;
}

/** Reads the API of `<root>/index.ts`, in the order of its exports, members after their owner. */
export function loadApi(root = REPO_ROOT): ApiEntry[] {
  const project = new Project({
    tsConfigFilePath: path.join(root, 'tsconfig.json'),
    skipAddingFilesFromTsConfig: true,
    skipFileDependencyResolution: true,
    // Node's types are large and the public API does not mention them: leaving them out
    // halves the load time.
    compilerOptions: { types: [] },
  });
  const index = project.addSourceFileAtPath(path.join(root, 'index.ts'));
  project.resolveSourceFileDependencies();
  const entries: ApiEntry[] = [];
  collectModule(index, '', root, entries, index);
  return entries;
}

function collectModule(sf: SourceFile, prefix: string, root: string, out: ApiEntry[], index: SourceFile): void {
  for (const [exportName, decls] of sf.getExportedDeclarations()) {
    const name = prefix + exportName;
    const parent = prefix ? prefix.slice(0, -1) : undefined;
    const fns = decls.filter(Node.isFunctionDeclaration);
    const d: Node | undefined = fns[0] ?? decls[0];
    if (!d) continue;
    const where = { file: path.relative(root, d.getSourceFile().getFilePath()), line: d.getStartLineNumber() };
    const add = (kind: ApiKind, signatures: string[], doc: string, declaredAs?: string) =>
      out.push({ name, kind, parent, signatures, doc, summary: firstSentence(doc), ...where, declaredAs: declaredAs !== exportName ? declaredAs : undefined });

    if (Node.isFunctionDeclaration(d)) {
      const impl = d.getImplementation() ?? d;
      const overloads = impl.getOverloads();
      const sigs = (overloads.length ? overloads : [impl]).map((o) => renameFunction(header(o), o.getName(), exportName));
      add('function', sigs, docOf([...overloads, impl]), impl.getName());
    } else if (Node.isVariableDeclaration(d)) {
      const calls = d.getType().getCallSignatures();
      const checker = d.getProject().getTypeChecker().compilerObject;
      const flags = TypeFormatFlags.NoTruncation | TypeFormatFlags.UseAliasDefinedOutsideCurrentScope;
      const stmt = d.getVariableStatement();
      const doc = stmt ? docOf([stmt]) : '';
      if (calls.length) {
        const sigs = calls.map((c) => `function ${exportName}${tidyType(checker.signatureToString(c.compilerSignature, d.compilerNode, flags))}`);
        add('function', sigs, doc, d.getName());
      } else {
        add('variable', [`const ${exportName}: ${tidyType(d.getType().getText(d, flags))}`], doc, d.getName());
      }
    } else if (Node.isClassDeclaration(d)) {
      add('class', [classHeader(d)], docOf([d]), d.getName());
      collectMembers(d, name, root, out);
    } else if (Node.isInterfaceDeclaration(d)) {
      add('interface', [stripExport(d.getText())], docOf([d]), d.getName());
    } else if (Node.isTypeAliasDeclaration(d)) {
      add('type', [stripExport(d.getText())], docOf([d]), d.getName());
    } else if (Node.isSourceFile(d)) {
      out.push({ name, kind: 'namespace', parent, signatures: [`namespace ${exportName}`], ...where, line: 1, doc: '', summary: '' });
      const doc = namespaceDoc(index, exportName, d);
      out[out.length - 1] = { ...out[out.length - 1]!, doc, summary: firstSentence(doc) };
      collectModule(d, `${name}.`, root, out, index);
    } else if (Node.isEnumDeclaration(d)) {
      add('type', [stripExport(d.getText())], docOf([d]), d.getName());
    }
  }
}

/** Public, documented-to-users members: no private/protected, `_`-names, computed names or @internal. */
function collectMembers(c: ClassDeclaration, className: string, root: string, out: ApiEntry[]): void {
  for (const m of c.getMembers()) {
    if (!(Node.isMethodDeclaration(m) || Node.isGetAccessorDeclaration(m) || Node.isPropertyDeclaration(m))) continue;
    if (m.getScope() !== Scope.Public || m.hasModifier(ts.SyntaxKind.OverrideKeyword)) continue;
    const nameNode = m.getNameNode();
    if (!Node.isIdentifier(nameNode) || nameNode.getText().startsWith('_')) continue;
    const mName = nameNode.getText();
    let sigs: string[];
    let docNodes: Node[];
    if (Node.isMethodDeclaration(m)) {
      const impl: MethodDeclaration = m.getImplementation() ?? m;
      if (m !== impl) continue; // overloads are handled with their implementation
      const overloads = impl.getOverloads();
      sigs = (overloads.length ? overloads : [impl]).map(header);
      docNodes = [...overloads, impl];
    } else {
      sigs = [header(m)];
      docNodes = [m];
    }
    const doc = docOf(docNodes);
    if (/@internal\b/.test(doc)) continue;
    out.push({
      name: `${className}.${mName}`,
      kind: Node.isMethodDeclaration(m) ? 'method' : 'property',
      parent: className,
      signatures: sigs,
      doc,
      summary: firstSentence(doc),
      file: path.relative(root, m.getSourceFile().getFilePath()),
      line: m.getStartLineNumber(),
    });
  }
}

/** A declaration's text from after its comment up to its body, on one line. */
function header(n: Node): string {
  const body = (n as unknown as { getBody?: () => Node | undefined }).getBody?.();
  let end = body ? body.getStart() : n.getEnd();
  if (Node.isPropertyDeclaration(n)) {
    // Up to the initializer: `readonly shape: number[]`, not its value.
    const init = n.getInitializer();
    if (init) end = n.getChildren().find((ch) => ch.getKind() === ts.SyntaxKind.EqualsToken)?.getStart() ?? end;
  }
  const sf = n.getSourceFile();
  let text = oneLine(stripExport(sf.getFullText().slice(n.getStart(), end))).replace(/[;\s]+$/, '');
  // `red.ReduceOpts` → `ReduceOpts`: namespace imports of the declaring file mean nothing to users.
  for (const imp of sf.getImportDeclarations()) {
    const ns = imp.getNamespaceImport()?.getText();
    if (ns) text = text.replace(new RegExp(`\\b${ns}\\.`, 'g'), '');
  }
  return text;
}

function classHeader(c: ClassDeclaration): string {
  const text = c.getText();
  const brace = text.indexOf('{', text.indexOf('class'));
  return oneLine(stripExport(brace >= 0 ? text.slice(0, brace) : text));
}

// The checker spells DType out as its union and Tensor with its default type arguments.
const DTYPE_UNION = DTYPES.map((d) => `"${d}"`).join(' | ');

/** A type printed by the checker, in the words the source uses. */
function tidyType(s: string): string {
  return s.split(DTYPE_UNION).join('DType').replace(/\bTensor<Shape, DType>/g, 'Tensor');
}

function oneLine(s: string): string {
  return s
    .replace(/\s*\n\s*/g, ' ')
    .replace(/([([{<])\s+/g, '$1')
    .replace(/,?\s+([)\]}>])/g, '$1')
    .trim();
}

function stripExport(s: string): string {
  return s.replace(/^export\s+(?:default\s+)?(?:declare\s+)?/, '');
}

function renameFunction(sig: string, declared: string | undefined, exported: string): string {
  return declared && declared !== exported ? sig.replace(`function ${declared}`, `function ${exported}`) : sig;
}

/** The text of the last TSDoc comment on any of `nodes` (the one TypeScript uses). */
function docOf(nodes: readonly Node[]): string {
  for (const n of nodes) {
    const docs = (n as unknown as { getJsDocs?: () => JSDoc[] }).getJsDocs?.() ?? [];
    const last = docs[docs.length - 1];
    if (last) return last.getInnerText().trim();
  }
  return '';
}

/** A namespace's doc: a `/** ... *\/` comment on its `export * as` line, or its file's header comment. */
function namespaceDoc(index: SourceFile, name: string, file: SourceFile): string {
  for (const ed of index.getExportDeclarations()) {
    const ns = ed.getNamespaceExport();
    if (ns?.getName() !== name) continue;
    const jsdoc = ed
      .getLeadingCommentRanges()
      .map((r) => r.getText())
      .filter((t) => t.startsWith('/**'))
      .pop();
    if (jsdoc) return jsdoc.replace(/^\/\*\*\s*|\s*\*\/$/g, '').replace(/^\s*\* ?/gm, '').trim();
  }
  const lines: string[] = [];
  for (const line of file.getFullText().split('\n')) {
    const m = /^\/\/ ?(.*)$/.exec(line);
    if (!m) break;
    lines.push(m[1]!);
  }
  return lines.join('\n').trim();
}

const ABBREVIATIONS = /\b(?:e\.g|i\.e|etc|vs|cf)\.$/;

/** The first sentence: up to a '.', '!' or '?' that ends the text or is followed by a capital. */
export function firstSentence(doc: string): string {
  const text = doc.split(/\n\s*@/)[0]!.replace(/\s+/g, ' ').trim();
  const re = /[.!?](?=\s+[A-Z]|\s*$)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const upTo = text.slice(0, m.index + 1);
    if (!ABBREVIATIONS.test(upTo)) return upTo;
  }
  return text;
}
