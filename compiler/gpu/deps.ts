// Which loops of a kernel have independent iterations, so that their iterations may run on
// different GPU threads even where lowering did not mark them parallel (it does so only above
// a size where threads pay on a CPU). A loop over v is independent when its body assigns no
// local declared outside it and, for every buffer the body stores into, every access (load or
// store) of that buffer in the body is at v·S + r with the same S ≠ 0 and the offsets r of all
// those accesses lying in a window narrower than |S|: then iterations touch disjoint elements.
// Offsets are bounded by interval arithmetic over the ranges of the inner loop variables;
// variables of enclosing loops are fixed (the same in every iteration compared). Anything the
// analysis cannot bound makes the loop dependent (conservative).
import { Primitive } from '../ir/primitives.ts';
import type { Expr, Stmt } from '../lower/loop-ir.ts';

/** An index expression as v·s + r with r in [lo, hi]; null: not of that form. */
interface Form {
  readonly s: number;
  readonly lo: number;
  readonly hi: number;
}

type Env = Map<string, Form | null>;

const konst = (lo: number, hi = lo): Form => ({ s: 0, lo, hi });
const UNKNOWN: Form = konst(-Infinity, Infinity);

function form(e: Expr, env: Env): Form | null {
  switch (e.k) {
    case 'const':
      return konst(e.v);
    case 'var':
      return env.has(e.name) ? env.get(e.name)! : konst(0); // not in env: fixed (outer) or a param-free value
    case 'binary': {
      const a = form(e.a, env), b = form(e.b, env);
      if (!a || !b) return null;
      if (e.t !== 'index' && e.t !== 'i32') return a.s || b.s ? null : UNKNOWN;
      switch (e.op) {
        case Primitive.Add:
          return { s: a.s + b.s, lo: a.lo + b.lo, hi: a.hi + b.hi };
        case Primitive.Sub:
          return { s: a.s - b.s, lo: a.lo - b.hi, hi: a.hi - b.lo };
        case Primitive.Mul: {
          if (b.s === 0 && b.lo === b.hi) return scale(a, b.lo);
          if (a.s === 0 && a.lo === a.hi) return scale(b, a.lo);
          if (a.s || b.s) return null;
          const p = [a.lo * b.lo, a.lo * b.hi, a.hi * b.lo, a.hi * b.hi].map((x) => (Number.isNaN(x) ? 0 : x));
          return konst(Math.min(...p), Math.max(...p));
        }
        case 'idiv':
        case 'imod': {
          if (a.s || b.s || b.lo !== b.hi || !(b.lo > 0)) return a.s || b.s ? null : UNKNOWN;
          const d = b.lo;
          if (e.op === 'idiv') return konst(Math.floor(a.lo / d), Math.floor(a.hi / d));
          return Math.floor(a.lo / d) === Math.floor(a.hi / d) ? konst(a.lo - Math.floor(a.lo / d) * d, a.hi - Math.floor(a.lo / d) * d) : konst(0, d - 1);
        }
        case Primitive.Max:
        case Primitive.Min:
          if (a.s || b.s) return null;
          return e.op === Primitive.Max ? konst(Math.max(a.lo, b.lo), Math.max(a.hi, b.hi)) : konst(Math.min(a.lo, b.lo), Math.min(a.hi, b.hi));
        default:
          return a.s || b.s ? null : UNKNOWN;
      }
    }
    case 'cast': {
      const a = form(e.a, env);
      if (!a) return null;
      return a.s ? ((e.t === 'index' || e.t === 'i32') && (e.a.t === 'index' || e.a.t === 'i32') ? a : null) : UNKNOWN;
    }
    case 'load': {
      const i = form(e.idx, env);
      return i && i.s === 0 ? UNKNOWN : null;
    }
    case 'unary':
    case 'select':
    case 'threefry': {
      const parts = e.k === 'unary' ? [e.a] : e.k === 'select' ? [e.c, e.a, e.b] : [e.k0, e.k1, e.ctr];
      return parts.every((p) => form(p, env)?.s === 0) ? UNKNOWN : null;
    }
    default:
      return e satisfies never;
  }
}

function scale(a: Form, c: number): Form {
  const x = a.lo * c, y = a.hi * c;
  return { s: a.s * c, lo: Number.isNaN(x) ? 0 : Math.min(x, y), hi: Number.isNaN(y) ? 0 : Math.max(x, y) };
}

/** Whether the iterations of `for v < n: body` are independent (see the file comment). */
export function independent(v: string, body: readonly Stmt[]): boolean {
  const env: Env = new Map([[v, { s: 1, lo: 0, hi: 0 }]]);
  const declared = new Set<string>();
  const accesses = new Map<number, (Form | null)[]>();
  const stored = new Set<number>();
  let ok = true;
  const access = (buf: number, idx: Expr) => {
    const list = accesses.get(buf) ?? [];
    list.push(form(idx, env));
    accesses.set(buf, list);
  };
  const expr = (e: Expr): void => {
    switch (e.k) {
      case 'const':
      case 'var':
        return;
      case 'load':
        access(e.buf, e.idx);
        return expr(e.idx);
      case 'unary':
      case 'cast':
        return expr(e.a);
      case 'binary':
        expr(e.a);
        return expr(e.b);
      case 'select':
        expr(e.c);
        expr(e.a);
        return expr(e.b);
      case 'threefry':
        expr(e.k0);
        expr(e.k1);
        return expr(e.ctr);
      default:
        return e satisfies never;
    }
  };
  const stmts = (ss: readonly Stmt[]): void => {
    for (const s of ss) {
      switch (s.k) {
        case 'for': {
          expr(s.n);
          // The trip count may vary with v (chunked loops: min(256, N - v·256)): bound it over all v.
          env.set(v, UNKNOWN);
          const n = form(s.n, env);
          env.set(v, { s: 1, lo: 0, hi: 0 });
          if (!n || n.s !== 0 || !Number.isFinite(n.hi)) ok = false;
          env.set(s.v, konst(0, Math.max(0, (n?.hi ?? 1) - 1)));
          stmts(s.body);
          break;
        }
        case 'let':
          expr(s.e);
          env.set(s.name, form(s.e, env));
          break;
        case 'decl':
          expr(s.init);
          declared.add(s.name);
          env.set(s.name, UNKNOWN);
          break;
        case 'assign':
          expr(s.e);
          if (!declared.has(s.name)) ok = false;
          break;
        case 'store':
          expr(s.idx);
          expr(s.e);
          access(s.buf, s.idx);
          stored.add(s.buf);
          break;
        case 'if':
          expr(s.c);
          stmts(s.then);
          stmts(s.else);
          break;
        case 'matmul':
        case 'sort':
          ok = false;
          break;
        default:
          return s satisfies never;
      }
    }
  };
  stmts(body);
  if (!ok) return false;
  for (const b of stored) {
    const fs = accesses.get(b)!;
    const s = fs[0]?.s ?? 0;
    if (s === 0 || fs.some((f) => !f || f.s !== s)) return false;
    const lo = Math.min(...fs.map((f) => f!.lo)), hi = Math.max(...fs.map((f) => f!.hi));
    if (!Number.isFinite(lo) || !Number.isFinite(hi) || hi - lo >= Math.abs(s)) return false;
  }
  return true;
}
