// A C-like printer for loop IR (`kiln ir --stage loops`). Deterministic; one statement per
// line. Conventions: `index` arithmetic prints / and % for idiv / imod (they round toward
// minus infinity, like C only for non-negative operands); typed float constants print with
// a suffix (1.5f for f32, 1.5h for f16, 1.5bf for bf16, plain for f64); casts as (t)x;
// lets as `const t name = e;`, mutable locals as `t name = e;`.
import { Primitive } from '../ir/primitives.ts';
import type { Expr, LoopKernel, ScalarType, Stmt } from './loop-ir.ts';

const INFIX: Partial<Record<string, string>> = {
  [Primitive.Add]: '+', [Primitive.Sub]: '-', [Primitive.Mul]: '*', [Primitive.Div]: '/',
  [Primitive.Eq]: '==', [Primitive.Ne]: '!=', [Primitive.Lt]: '<', [Primitive.Le]: '<=',
  [Primitive.Gt]: '>', [Primitive.Ge]: '>=', [Primitive.And]: '&', [Primitive.Or]: '|', [Primitive.Xor]: '^',
  [Primitive.ShiftLeft]: '<<', [Primitive.ShiftRightLogical]: '>>>',
};

function num(v: number, t: ScalarType): string {
  if (t === 'bool') return v ? 'true' : 'false';
  let s = Number.isNaN(v) ? 'nan' : v === Infinity ? 'inf' : v === -Infinity ? '-inf' : Object.is(v, -0) ? '-0' : String(v);
  if (!Number.isFinite(v)) return s; // inf / nan take their type from the context
  if (t === 'f32' || t === 'f16' || t === 'bf16') {
    if (/^-?\d+$/.test(s)) s += '.0';
    s += t === 'f32' ? 'f' : t === 'f16' ? 'h' : 'bf';
  } else if (t === 'f64' && /^-?\d+$/.test(s)) s += '.0';
  return s;
}

// C operator precedence (higher binds tighter).
const PREC: Partial<Record<string, number>> = {
  '*': 10, '/': 10, '%': 10, '+': 9, '-': 9, '<<': 8, '>>>': 8, '<': 7, '<=': 7, '>': 7, '>=': 7,
  '==': 6, '!=': 6, '&': 5, '^': 4, '|': 3, '&&': 2.5, '||': 2,
};
const SELECT_PREC = 1;
const ATOM = 20;

/** An expression as C-like text; `names` are the parameters' names. */
export function printExpr(e: Expr, names: readonly string[]): string {
  return pr(e, names)[0];
}

/** Text and precedence of the outermost operator. */
function pr(e: Expr, names: readonly string[]): [string, number] {
  const full = (x: Expr) => pr(x, names)[0];
  /** Operand text, parenthesised when it binds looser than `prec` (or equally, on the right). */
  const operand = (x: Expr, prec: number, right: boolean) => {
    const [s, p] = pr(x, names);
    return p < prec || (right && p === prec) ? `(${s})` : s;
  };
  switch (e.k) {
    case 'const': return [num(e.v, e.t), e.v < 0 || Object.is(e.v, -0) ? 11 : ATOM];
    case 'var': return [e.name, ATOM];
    case 'load': return [`${names[e.buf] ?? `#${e.buf}`}[${full(e.idx)}]`, ATOM];
    case 'unary':
      if (e.op === Primitive.Neg) return [`-${operand(e.a, 11, true)}`, 11];
      if (e.op === Primitive.Not) return [`${e.t === 'bool' ? '!' : '~'}${operand(e.a, 11, true)}`, 11];
      return [`${e.op}(${full(e.a)})`, ATOM];
    case 'binary': {
      let op: string | undefined = INFIX[e.op];
      if ((e.op === 'idiv' || e.op === 'imod') && e.t === 'index') op = e.op === 'idiv' ? '/' : '%';
      if (e.t === 'bool' && e.a.t === 'bool' && (e.op === Primitive.And || e.op === Primitive.Or)) op = e.op === Primitive.And ? '&&' : '||';
      if (op === undefined) return [`${e.op}(${full(e.a)}, ${full(e.b)})`, ATOM];
      const p = PREC[op]!;
      return [`${operand(e.a, p, false)} ${op} ${operand(e.b, p, true)}`, p];
    }
    case 'select':
      return [`${operand(e.c, SELECT_PREC + 1, false)} ? ${operand(e.a, SELECT_PREC + 1, false)} : ${operand(e.b, SELECT_PREC, false)}`, SELECT_PREC];
    case 'cast': return [`(${e.t})${operand(e.a, 11, true)}`, 11];
    case 'threefry': return [`threefry(${full(e.k0)}, ${full(e.k1)}, ${full(e.ctr)})`, ATOM];
    default: return e satisfies never;
  }
}

/** The kernel as C-like text. */
export function printLoopKernel(k: LoopKernel): string {
  const names = k.params.map((p) => p.name);
  const lines: string[] = [];
  const params = k.params.map((p) => `${p.role} ${p.dtype} ${p.name}[${p.size}]`).join(', ');
  lines.push(`kernel ${k.name}(${params}) {`);
  const ex = (e: Expr) => printExpr(e, names);
  const stmt = (s: Stmt, ind: string): void => {
    switch (s.k) {
      case 'for':
        lines.push(`${ind}${s.parallel ? 'parallel ' : ''}for (${s.v} = 0; ${s.v} < ${ex(s.n)}; ${s.v}++) {`);
        s.body.forEach((b) => stmt(b, ind + '  '));
        lines.push(`${ind}}`);
        return;
      case 'let': lines.push(`${ind}const ${s.e.t} ${s.name} = ${ex(s.e)};`); return;
      case 'decl': lines.push(`${ind}${s.t} ${s.name} = ${ex(s.init)};`); return;
      case 'assign': lines.push(`${ind}${s.name} = ${ex(s.e)};`); return;
      case 'store': lines.push(`${ind}${names[s.buf] ?? `#${s.buf}`}[${ex(s.idx)}] = ${ex(s.e)};`); return;
      case 'if':
        lines.push(`${ind}if (${ex(s.c)}) {`);
        s.then.forEach((b) => stmt(b, ind + '  '));
        if (s.else.length > 0) {
          lines.push(`${ind}} else {`);
          s.else.forEach((b) => stmt(b, ind + '  '));
        }
        lines.push(`${ind}}`);
        return;
      case 'matmul': {
        const n = (b: number) => names[b] ?? `#${b}`;
        lines.push(
          `${ind}${n(s.c)} = matmul<${s.dtype}>(${n(s.a)}, ${n(s.b)}, batch=${s.batch}, m=${s.m}, n=${s.n}, k=${s.kdim}, ` +
            `a_strides=[${s.aStrides.join(', ')}], b_strides=[${s.bStrides.join(', ')}]);`,
        );
        return;
      }
      case 'sort': {
        const n = (bs: readonly number[]) => bs.map((b) => names[b] ?? `#${b}`).join(', ');
        lines.push(`${ind}(${n(s.outputs)}) = sort(${n(s.inputs)}, keys=${s.numKeys}, outer=${s.outer}, len=${s.len}, inner=${s.inner});`);
        return;
      }
      default:
        return s satisfies never;
    }
  };
  k.body.forEach((s) => stmt(s, '  '));
  lines.push('}');
  return lines.join('\n');
}
