// Matrix products and sorts written out as the loop IR one GPU thread runs for one output
// element (matmul) or one sequence (sort), with the interpreter's exact semantics
// (compiler/lower/interpret.ts): products summed in ascending order in the accumulation type
// (f16/bf16 in f32), and a stable sort with NaN last and -0 equal to +0.
import { Primitive } from '../ir/primitives.ts';
import type { DType } from '../ir/dtype.ts';
import type { Expr, MatmulStmt, ScalarType, SortStmt, Stmt } from '../lower/loop-ir.ts';
import { bin, constOf, idxConst, varOf } from '../lower/index-exprs.ts';

/** Index arithmetic with the obvious constant folds. */
export const ix = {
  add(a: Expr, b: Expr): Expr {
    if (a.k === 'const' && b.k === 'const') return idxConst(a.v + b.v);
    if (a.k === 'const' && a.v === 0) return b;
    if (b.k === 'const' && b.v === 0) return a;
    return bin(Primitive.Add, 'index', a, b);
  },
  sub(a: Expr, b: Expr): Expr {
    if (a.k === 'const' && b.k === 'const') return idxConst(a.v - b.v);
    if (b.k === 'const' && b.v === 0) return a;
    return bin(Primitive.Sub, 'index', a, b);
  },
  mul(a: Expr, c: number): Expr {
    if (c === 0) return idxConst(0);
    if (c === 1) return a;
    if (a.k === 'const') return idxConst(a.v * c);
    return bin(Primitive.Mul, 'index', a, idxConst(c));
  },
  mulv(a: Expr, b: Expr): Expr {
    if (b.k === 'const') return ix.mul(a, b.v);
    if (a.k === 'const') return ix.mul(b, a.v);
    return bin(Primitive.Mul, 'index', a, b);
  },
  div(a: Expr, c: number): Expr {
    if (c === 1) return a;
    if (a.k === 'const') return idxConst(Math.floor(a.v / c));
    return bin('idiv', 'index', a, idxConst(c));
  },
  mod(a: Expr, c: number): Expr {
    if (c === 1) return idxConst(0);
    if (a.k === 'const') return idxConst(a.v - Math.floor(a.v / c) * c);
    return bin('imod', 'index', a, idxConst(c));
  },
  lt(a: Expr, b: Expr): Expr {
    return bin(Primitive.Lt, 'bool', a, b);
  },
  v(name: string): Expr {
    return varOf(name, 'index');
  },
};

/** Fresh variable names with a prefix no lowering uses. */
export class Names {
  private n = 0;
  constructor(private readonly prefix = 'g') {}
  fresh(base: string): string {
    return `${this.prefix}.${base}${this.n++}`;
  }
}

const load = (t: DType, buf: number, idx: Expr): Expr => ({ k: 'load', t, buf, idx });
const cast = (t: ScalarType, a: Expr): Expr => (a.t === t ? a : { k: 'cast', t, a });

/** The type a matrix product accumulates in (interpret.ts: f16/bf16 in f32). */
export function accumulationType(d: DType): DType {
  return d === 'f64' ? 'f64' : d === 'i32' || d === 'bool' ? 'i32' : 'f32';
}

/**
 * C[item] of a matmul statement: `item` < batch·m·n is the flat output index.
 */
export function matmulElement(s: MatmulStmt, item: Expr, names: Names): Stmt[] {
  const out: Stmt[] = [];
  const let_ = (base: string, e: Expr): Expr => {
    if (e.k === 'const' || e.k === 'var') return e;
    const name = names.fresh(base);
    out.push({ k: 'let', name, e });
    return ix.v(name);
  };
  const mn = s.m * s.n;
  const bi = s.batch === 1 ? idxConst(0) : let_('bi', ix.div(item, mn));
  const r = s.batch === 1 ? item : let_('r', ix.mod(item, mn));
  const i = let_('i', ix.div(r, s.n));
  const j = let_('j', ix.mod(r, s.n));
  const at = accumulationType(s.dtype);
  const acc = names.fresh('acc');
  const p = names.fresh('p');
  const [a0, a1, a2] = s.aStrides, [b0, b1, b2] = s.bStrides;
  const aBase = let_('ab', ix.add(ix.mul(bi, a0), ix.mul(i, a1)));
  const bBase = let_('bb', ix.add(ix.mul(bi, b0), ix.mul(j, b2)));
  const x = cast(at, load(s.dtype, s.a, ix.add(aBase, ix.mul(ix.v(p), a2))));
  const y = cast(at, load(s.dtype, s.b, ix.add(bBase, ix.mul(ix.v(p), b1))));
  out.push({ k: 'decl', name: acc, t: at, init: constOf(at, 0) });
  out.push({
    k: 'for', v: p, n: idxConst(s.kdim),
    body: [{ k: 'assign', name: acc, e: bin(Primitive.Add, at, varOf(acc, at), bin(Primitive.Mul, at, x, y)) }],
  });
  out.push({ k: 'store', buf: s.c, idx: item, e: cast(s.dtype, varOf(acc, at)) });
  return out;
}

/**
 * Sorts sequence `item` < outer·inner of a sort statement: copies the inputs to the outputs
 * (where they are other buffers) and sorts the outputs in place by insertion (stable: only a
 * strictly smaller element moves before another).
 */
export function sortSequence(s: SortStmt, item: Expr, names: Names, dtypeOf: (buf: number) => DType): Stmt[] {
  const out: Stmt[] = [];
  const base = names.fresh('base');
  const o = ix.div(item, s.inner), ii = ix.mod(item, s.inner);
  out.push({ k: 'let', name: base, e: ix.add(ix.mul(o, s.len * s.inner), ii) });
  const at = (e: Expr) => ix.add(ix.v(base), ix.mul(e, s.inner));
  const copies = s.inputs.map((src, t) => ({ src, dst: s.outputs[t]! })).filter((c) => c.src !== c.dst);
  if (copies.length) {
    const e = names.fresh('e');
    out.push({
      k: 'for', v: e, n: idxConst(s.len),
      body: copies.map((c) => ({ k: 'store' as const, buf: c.dst, idx: at(ix.v(e)), e: load(dtypeOf(c.src), c.src, at(ix.v(e))) })),
    });
  }
  if (s.len < 2) return out;
  // for a < len-1: for b <= a: j = a + 1 - b; if out[j] < out[j-1]: swap (every output)
  const a = names.fresh('a'), b = names.fresh('b'), j = names.fresh('j');
  const jIdx = at(ix.v(j)), pIdx = at(ix.sub(ix.v(j), idxConst(1)));
  const cur = s.outputs.map((buf, t) => ({ buf, t: dtypeOf(buf), x: names.fresh(`x${t}_`), y: names.fresh(`y${t}_`) }));
  const inner: Stmt[] = [{ k: 'let', name: j, e: ix.sub(ix.add(ix.v(a), idxConst(1)), ix.v(b)) }];
  for (const c of cur) {
    inner.push({ k: 'let', name: c.x, e: load(c.t, c.buf, jIdx) }, { k: 'let', name: c.y, e: load(c.t, c.buf, pIdx) });
  }
  const less = lexLess(cur.slice(0, s.numKeys).map((c) => [varOf(c.x, c.t), varOf(c.y, c.t)] as const));
  const swap: Stmt[] = cur.flatMap((c) => [
    { k: 'store' as const, buf: c.buf, idx: jIdx, e: varOf(c.y, c.t) },
    { k: 'store' as const, buf: c.buf, idx: pIdx, e: varOf(c.x, c.t) },
  ]);
  inner.push({ k: 'if', c: less, then: swap, else: [] });
  out.push({
    k: 'for', v: a, n: idxConst(s.len - 1),
    body: [{ k: 'for', v: b, n: ix.add(ix.v(a), idxConst(1)), body: inner }],
  });
  return out;
}

const isFloatT = (t: ScalarType) => t === 'f32' || t === 'f64' || t === 'f16' || t === 'bf16';
const and = (a: Expr, b: Expr): Expr => bin(Primitive.And, 'bool', a, b);
const or = (a: Expr, b: Expr): Expr => bin(Primitive.Or, 'bool', a, b);
const not = (a: Expr): Expr => ({ k: 'unary', t: 'bool', op: Primitive.Not, a });
const isNan = (x: Expr): Expr => bin(Primitive.Ne, 'bool', x, x);

/** x < y in the sort order (NaN last): x < y, or y is NaN and x is not. */
function before(x: Expr, y: Expr): Expr {
  const lt = bin(Primitive.Lt, 'bool', x, y);
  return isFloatT(x.t) ? or(lt, and(isNan(y), not(isNan(x)))) : lt;
}

/** x ties y in the sort order (-0 = +0, NaN ties NaN). */
function ties(x: Expr, y: Expr): Expr {
  const eq = bin(Primitive.Eq, 'bool', x, y);
  return isFloatT(x.t) ? or(eq, and(isNan(x), isNan(y))) : eq;
}

/** Lexicographic `before` over key pairs; false with no keys. */
function lexLess(keys: readonly (readonly [Expr, Expr])[]): Expr {
  if (!keys.length) return constOf('bool', 0);
  const [[x, y], ...rest] = keys as [readonly [Expr, Expr], ...(readonly [Expr, Expr])[]];
  return rest.length ? or(before(x, y), and(ties(x, y), lexLess(rest))) : before(x, y);
}
