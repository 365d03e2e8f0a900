// Expression construction with simplification of index arithmetic.
//
// Every index expression the lowering builds goes through `IndexBuilder`, which keeps it in a
// canonical form: a sum of terms coef·atom plus a constant (terms ordered by decreasing
// |coef|, so row-major offsets print as i0*12 + i1*3 + i2), where an atom is a loop variable
// or a non-linear node (idiv / imod by a positive constant, min, max, a cast of a loaded
// index, ...). On top of constant folding and the trivial identities (x*1, x+0, x/1, x%1):
//
// - Integer ranges. Loop variables have known ranges [0, n-1] (registered by the emitter);
//   ranges propagate through + - * / % min max casts, so `x % d` with 0 <= x < d is `x`,
//   `x / d` is 0 there, clamps that cannot bind disappear, and comparisons decided by the
//   ranges fold to constants (pad / concatenate bounds tests on axes that cannot be out of
//   range vanish).
// - Division of sums. (d·q + r) / d = q + r / d and (d·q + r) % d = r % d (exact for floor
//   division), so splitting a linearised index (i0*12 + i1*3 + i2) back into axes yields the
//   loop variables themselves: a reshape that only merges or splits axes costs nothing.
//   Common factors: (g·y + c) / (g·D) = (y + ⌊c/g⌋) / D and likewise for %, for strided slices.
// - Nested division: (x / a) / b = x / (a·b), (x % (m·d)) / d = (x / d) % m,
//   (x % (m·d)) % d = x % d.
// - Recombination: c·(x % d) + c·d·(x / d) = c·x, the inverse of delinearisation, so
//   linearise(delinearise(f)) is f again: a flat loop over a contiguous output reads its
//   operands at the loop counter itself, and merging two reshapes cancels.
//
// idiv / imod here have floor semantics (loop-ir.ts); the identities above hold for any sign
// of the dividend, and divisors are always positive constants.
import { Primitive, type CompareOp } from '../ir/primitives.ts';
import type { BinaryFn, Expr, ScalarType, Stmt } from './loop-ir.ts';

export type Range = readonly [number, number];
const FULL: Range = [-Infinity, Infinity];
const I32_RANGE: Range = [-(2 ** 31), 2 ** 31 - 1];

// ---------------------------------------------------------------------------------------------
// Structural keys: equal keys mean structurally equal expressions (used for memoisation).

const keys = new WeakMap<Expr, string>();

function numKey(v: number): string {
  return Object.is(v, -0) ? '-0' : String(v);
}

/** A canonical string for an expression: structurally equal expressions have equal keys. */
export function keyOf(e: Expr): string {
  const hit = keys.get(e);
  if (hit !== undefined) return hit;
  let k: string;
  switch (e.k) {
    case 'const': k = `${numKey(e.v)}:${e.t}`; break;
    case 'var': k = e.name; break;
    case 'load': k = `#${e.buf}[${keyOf(e.idx)}]`; break;
    case 'unary': k = `${e.op}:${e.t}(${keyOf(e.a)})`; break;
    case 'binary': k = `${e.op}:${e.t}(${keyOf(e.a)},${keyOf(e.b)})`; break;
    case 'select': k = `sel:${e.t}(${keyOf(e.c)},${keyOf(e.a)},${keyOf(e.b)})`; break;
    case 'cast': k = `cast:${e.t}(${keyOf(e.a)})`; break;
    case 'threefry': k = `tf(${keyOf(e.k0)},${keyOf(e.k1)},${keyOf(e.ctr)})`; break;
    default: return e satisfies never;
  }
  keys.set(e, k);
  return k;
}

// ---------------------------------------------------------------------------------------------
// Plain constructors (no simplification).

export const constOf = (t: ScalarType, v: number): Expr => ({ k: 'const', t, v });
export const idxConst = (v: number): Expr => ({ k: 'const', t: 'index', v: v === 0 ? 0 : v });
export const boolConst = (b: boolean): Expr => ({ k: 'const', t: 'bool', v: b ? 1 : 0 });
export const varOf = (name: string, t: ScalarType): Expr => ({ k: 'var', t, name });
export const bin = (op: BinaryFn, t: ScalarType, a: Expr, b: Expr): Expr => ({ k: 'binary', t, op, a, b });

const isConst = (e: Expr): e is Extract<Expr, { k: 'const' }> => e.k === 'const';
const isIndexBin = (e: Expr, op: BinaryFn): e is Extract<Expr, { k: 'binary' }> =>
  e.k === 'binary' && e.t === 'index' && e.op === op;
/** The constant divisor of an index idiv/imod node, or null. */
function divisor(e: Expr, op: 'idiv' | 'imod'): number | null {
  return isIndexBin(e, op) && isConst(e.b) ? e.b.v : null;
}

const floorDiv = (a: number, d: number) => Math.floor(a / d);
const floorMod = (a: number, d: number) => a - Math.floor(a / d) * d;
function gcd(a: number, b: number): number {
  a = Math.abs(a);
  b = Math.abs(b);
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Number of idiv / imod nodes in statements (the cost that loop collapsing must not raise). */
export function countDivMod(stmts: readonly Stmt[]): number {
  let n = 0;
  const ex = (e: Expr): void => {
    switch (e.k) {
      case 'const': case 'var': return;
      case 'load': ex(e.idx); return;
      case 'unary': case 'cast': ex(e.a); return;
      case 'binary':
        if (e.op === 'idiv' || e.op === 'imod') n++;
        ex(e.a); ex(e.b); return;
      case 'select': ex(e.c); ex(e.a); ex(e.b); return;
      case 'threefry': ex(e.k0); ex(e.k1); ex(e.ctr); return;
      default: return e satisfies never;
    }
  };
  const st = (s: Stmt): void => {
    switch (s.k) {
      case 'for': ex(s.n); s.body.forEach(st); return;
      case 'let': case 'assign': ex(s.e); return;
      case 'decl': ex(s.init); return;
      case 'store': ex(s.idx); ex(s.e); return;
      case 'if': ex(s.c); s.then.forEach(st); s.else.forEach(st); return;
      case 'matmul': case 'sort': return;
      default: return s satisfies never;
    }
  };
  stmts.forEach(st);
  return n;
}

// ---------------------------------------------------------------------------------------------
// Linear forms.

interface Term { atom: Expr; coef: number }
interface Lin { c: number; terms: Map<string, Term> }

function addTerm(l: Lin, atom: Expr, coef: number): void {
  if (coef === 0) return;
  const k = keyOf(atom);
  const t = l.terms.get(k);
  if (t) {
    t.coef += coef;
    if (t.coef === 0) l.terms.delete(k);
  } else l.terms.set(k, { atom, coef });
}

function addLin(into: Lin, l: Lin, scale: number): void {
  into.c += l.c * scale;
  for (const t of l.terms.values()) addTerm(into, t.atom, t.coef * scale);
}

/** The linear form of an index expression (its sum / difference / scaling structure). */
function toLin(e: Expr): Lin {
  const l: Lin = { c: 0, terms: new Map() };
  const walk = (x: Expr, s: number): void => {
    if (isConst(x)) {
      l.c += x.v * s;
      return;
    }
    if (x.k === 'binary' && x.t === 'index') {
      if (x.op === Primitive.Add) return void (walk(x.a, s), walk(x.b, s));
      if (x.op === Primitive.Sub) return void (walk(x.a, s), walk(x.b, -s));
      if (x.op === Primitive.Mul && isConst(x.b)) return walk(x.a, s * x.b.v);
      if (x.op === Primitive.Mul && isConst(x.a)) return walk(x.b, s * x.a.v);
    }
    addTerm(l, x, s);
  };
  walk(e, 1);
  return l;
}

/** Builds an index expression from a linear form (no further simplification). */
function fromLinRaw(l: Lin): Expr {
  const terms = [...l.terms.values()].filter((t) => t.coef !== 0);
  terms.sort((x, y) => Math.abs(y.coef) - Math.abs(x.coef) || (keyOf(x.atom) < keyOf(y.atom) ? -1 : 1));
  const pos = terms.filter((t) => t.coef > 0), neg = terms.filter((t) => t.coef < 0);
  const scaled = (t: Term, mag: number) => (mag === 1 ? t.atom : bin(Primitive.Mul, 'index', t.atom, idxConst(mag)));
  let acc: Expr | null = null;
  for (const t of pos) {
    const term = scaled(t, t.coef);
    acc = acc === null ? term : bin(Primitive.Add, 'index', acc, term);
  }
  if (acc === null && neg.length > 0) {
    if (l.c !== 0) {
      acc = idxConst(l.c);
      for (const t of neg) acc = bin(Primitive.Sub, 'index', acc, scaled(t, -t.coef));
      return acc;
    }
    acc = bin(Primitive.Mul, 'index', neg[0]!.atom, idxConst(neg[0]!.coef));
    for (const t of neg.slice(1)) acc = bin(Primitive.Sub, 'index', acc, scaled(t, -t.coef));
    return acc;
  }
  for (const t of neg) acc = bin(Primitive.Sub, 'index', acc!, scaled(t, -t.coef));
  if (acc === null) return idxConst(l.c);
  if (l.c > 0) return bin(Primitive.Add, 'index', acc, idxConst(l.c));
  if (l.c < 0) return bin(Primitive.Sub, 'index', acc, idxConst(-l.c));
  return acc;
}

/** Divisors g > 1 of d that divide some coefficient of `l`, largest first. */
function factorCandidates(l: Lin, d: number): number[] {
  const gs = new Set<number>();
  for (const t of l.terms.values()) {
    const g = gcd(t.coef, d);
    if (g > 1) gs.add(g);
  }
  return [...gs].sort((a, b) => b - a);
}

/** Splits `l` into (terms whose coefficient g divides, divided by g) and the rest. */
function splitBy(l: Lin, g: number): { big: Lin; small: Lin } {
  const big: Lin = { c: 0, terms: new Map() }, small: Lin = { c: l.c, terms: new Map() };
  for (const t of l.terms.values()) {
    if (t.coef % g === 0) addTerm(big, t.atom, t.coef / g);
    else addTerm(small, t.atom, t.coef);
  }
  return { big, small };
}

// ---------------------------------------------------------------------------------------------

/**
 * Builds simplified index expressions (and the few boolean / select expressions that bounds
 * tests need). One builder serves one kernel: it knows the ranges of the kernel's loop
 * variables, whose names are unique within the kernel.
 */
export class IndexBuilder {
  private readonly ranges = new Map<string, Range>();
  private readonly rangeMemo = new WeakMap<Expr, Range>();

  /** Declares that variable `name` takes values in [lo, hi]. */
  setRange(name: string, lo: number, hi: number): void {
    this.ranges.set(name, [lo, hi]);
  }

  /** An interval containing every value `e` can take (index and i32 expressions). */
  range(e: Expr): Range {
    const hit = this.rangeMemo.get(e);
    if (hit) return hit;
    const r = this.computeRange(e);
    this.rangeMemo.set(e, r);
    return r;
  }

  private computeRange(e: Expr): Range {
    switch (e.k) {
      case 'const': return [e.v, e.v];
      case 'var': return this.ranges.get(e.name) ?? (e.t === 'i32' ? I32_RANGE : e.t === 'bool' ? [0, 1] : FULL);
      case 'load': return e.t === 'i32' ? I32_RANGE : e.t === 'bool' ? [0, 1] : FULL;
      case 'cast':
        if (e.t === 'bool') return [0, 1];
        if (e.a.t === 'i32' || e.a.t === 'bool' || e.a.t === 'index') {
          const r = this.range(e.a);
          return e.t === 'i32' && (r[0] < I32_RANGE[0] || r[1] > I32_RANGE[1]) ? I32_RANGE : r;
        }
        return e.t === 'i32' ? I32_RANGE : FULL;
      case 'select': {
        const a = this.range(e.a), b = this.range(e.b);
        return [Math.min(a[0], b[0]), Math.max(a[1], b[1])];
      }
      case 'binary': {
        if (e.t === 'bool') return [0, 1];
        if (e.t !== 'index') return e.t === 'i32' ? I32_RANGE : FULL;
        const a = this.range(e.a), b = this.range(e.b);
        switch (e.op) {
          case Primitive.Add: return [a[0] + b[0], a[1] + b[1]];
          case Primitive.Sub: return [a[0] - b[1], a[1] - b[0]];
          case Primitive.Mul: {
            const ps = [a[0] * b[0], a[0] * b[1], a[1] * b[0], a[1] * b[1]].map((x) => (Number.isNaN(x) ? 0 : x));
            return [Math.min(...ps), Math.max(...ps)];
          }
          case 'idiv':
            if (b[0] === b[1] && b[0] > 0) return [floorDiv(a[0], b[0]), floorDiv(a[1], b[0])];
            return FULL;
          case 'imod':
            if (b[0] === b[1] && b[0] > 0) return a[0] >= 0 && a[1] < b[0] ? a : [0, b[0] - 1];
            return FULL;
          case Primitive.Min: return [Math.min(a[0], b[0]), Math.min(a[1], b[1])];
          case Primitive.Max: return [Math.max(a[0], b[0]), Math.max(a[1], b[1])];
          default: return FULL;
        }
      }
      default: return FULL;
    }
  }

  // ---- linear arithmetic

  private fromLin(l: Lin): Expr {
    this.recombine(l);
    return fromLinRaw(l);
  }

  /** c·(x % d) + c·d·(x / d) → c·x, repeatedly. */
  private recombine(l: Lin): void {
    for (let changed = true; changed;) {
      changed = false;
      for (const [k, t] of l.terms) {
        const d = divisor(t.atom, 'imod');
        if (d === null) continue;
        const x = (t.atom as Extract<Expr, { k: 'binary' }>).a;
        const partner = this.idiv(x, d);
        const pk = keyOf(partner);
        const p = l.terms.get(pk);
        if (!p || p.coef !== t.coef * d) continue;
        l.terms.delete(k);
        l.terms.delete(pk);
        addLin(l, toLin(x), t.coef);
        changed = true;
        break;
      }
    }
  }

  add(a: Expr, b: Expr): Expr {
    if (isConst(b) && b.v === 0) return a;
    if (isConst(a) && a.v === 0) return b;
    const l = toLin(a);
    addLin(l, toLin(b), 1);
    return this.fromLin(l);
  }

  sub(a: Expr, b: Expr): Expr {
    if (isConst(b) && b.v === 0) return a;
    const l = toLin(a);
    addLin(l, toLin(b), -1);
    return this.fromLin(l);
  }

  /** a · b; linear when either side is a constant. */
  mul(a: Expr, b: Expr | number): Expr {
    const bb = typeof b === 'number' ? idxConst(b) : b;
    if (isConst(a) && !isConst(bb)) return this.mul(bb, a);
    if (isConst(bb)) {
      if (bb.v === 1) return a;
      const l: Lin = { c: 0, terms: new Map() };
      addLin(l, toLin(a), bb.v);
      return this.fromLin(l);
    }
    return bin(Primitive.Mul, 'index', a, bb);
  }

  /**
   * The multiple k of d to take out of the constant c of a sum (terms + c): the one that
   * leaves the remaining dividend's lower bound in [0, d) — so a non-negative dividend stays
   * non-negative (backends may then divide unsigned) — else ⌊c / d⌋.
   */
  private constQuotient(terms: Lin, c: number, d: number): number {
    const lo = terms.terms.size === 0 ? 0 : this.range(fromLinRaw({ c: 0, terms: terms.terms }))[0];
    return Number.isFinite(lo) ? floorDiv(lo + c, d) : floorDiv(c, d);
  }

  /** ⌊x / d⌋ for a positive integer constant d. */
  idiv(x: Expr, d: number): Expr {
    if (d === 1) return x;
    if (isConst(x)) return idxConst(floorDiv(x.v, d));
    const [lo, hi] = this.range(x);
    if (Number.isFinite(lo) && Number.isFinite(hi) && floorDiv(lo, d) === floorDiv(hi, d)) return idxConst(floorDiv(lo, d));
    const l = toLin(x);
    const q: Lin = { c: 0, terms: new Map() };
    const rest: Lin = { c: 0, terms: new Map() };
    for (const t of l.terms.values()) {
      if (t.coef % d === 0) addTerm(q, t.atom, t.coef / d);
      else addTerm(rest, t.atom, t.coef);
    }
    q.c = this.constQuotient(rest, l.c, d);
    rest.c = l.c - q.c * d;
    if (q.c !== 0 || q.terms.size > 0) return this.add(this.fromLin(q), this.idiv(this.fromLin(rest), d));
    // Small remainder: x = g·y + s with 0 <= s < g and g | d, so x / d = y / (d/g).
    for (const g of factorCandidates(rest, d)) {
      const { big, small } = splitBy(rest, g);
      const [slo, shi] = this.range(fromLinRaw(small));
      if (slo >= 0 && shi < g) return this.idiv(this.fromLin(big), d / g);
    }
    // Common factor of the remaining coefficients and d.
    let g = d;
    for (const t of rest.terms.values()) g = gcd(g, t.coef);
    if (g > 1 && rest.terms.size > 0) {
      const s: Lin = { c: floorDiv(rest.c, g), terms: new Map() };
      for (const t of rest.terms.values()) addTerm(s, t.atom, t.coef / g);
      return this.idiv(this.fromLin(s), d / g);
    }
    if (rest.c === 0 && rest.terms.size === 1) {
      const t = [...rest.terms.values()][0]!;
      if (t.coef === 1) {
        const a = divisor(t.atom, 'idiv');
        if (a !== null) return this.idiv((t.atom as Extract<Expr, { k: 'binary' }>).a, a * d);
        const m = divisor(t.atom, 'imod');
        if (m !== null && m % d === 0) return this.imod(this.idiv((t.atom as Extract<Expr, { k: 'binary' }>).a, d), m / d);
      }
    }
    return bin('idiv', 'index', x, idxConst(d));
  }

  /** x mod d (result in [0, d-1]) for a positive integer constant d. */
  imod(x: Expr, d: number): Expr {
    if (d === 1) return idxConst(0);
    if (isConst(x)) return idxConst(floorMod(x.v, d));
    const [lo, hi] = this.range(x);
    if (lo >= 0 && hi < d) return x;
    const l = toLin(x);
    const rest: Lin = { c: 0, terms: new Map() };
    let dropped = false;
    for (const t of l.terms.values()) {
      if (t.coef % d === 0) dropped = true;
      else addTerm(rest, t.atom, t.coef);
    }
    rest.c = l.c - this.constQuotient(rest, l.c, d) * d;
    if (rest.c !== l.c) dropped = true;
    if (dropped) return this.imod(this.fromLin(rest), d);
    // Small remainder: x = g·y + s with 0 <= s < g and g | d, so x % d = g·(y % (d/g)) + s.
    for (const g of factorCandidates(rest, d)) {
      const { big, small } = splitBy(rest, g);
      const sm = this.fromLin(small);
      const [slo, shi] = this.range(sm);
      if (slo >= 0 && shi < g) return this.add(this.mul(this.imod(this.fromLin(big), d / g), g), sm);
    }
    let g = d;
    for (const t of rest.terms.values()) g = gcd(g, t.coef);
    if (g > 1 && rest.terms.size > 0) {
      // (g·y + c) % (g·D) = g·((y + ⌊c/g⌋) % D) + c % g
      const s: Lin = { c: floorDiv(rest.c, g), terms: new Map() };
      for (const t of rest.terms.values()) addTerm(s, t.atom, t.coef / g);
      return this.add(this.mul(this.imod(this.fromLin(s), d / g), g), idxConst(floorMod(rest.c, g)));
    }
    if (rest.c === 0 && rest.terms.size === 1) {
      const t = [...rest.terms.values()][0]!;
      const m = divisor(t.atom, 'imod');
      if (t.coef === 1 && m !== null && m % d === 0) return this.imod((t.atom as Extract<Expr, { k: 'binary' }>).a, d);
    }
    return bin('imod', 'index', x, idxConst(d));
  }

  min(a: Expr, b: Expr): Expr {
    if (isConst(a) && isConst(b)) return idxConst(Math.min(a.v, b.v));
    const ra = this.range(a), rb = this.range(b);
    if (ra[1] <= rb[0]) return a;
    if (rb[1] <= ra[0]) return b;
    return bin(Primitive.Min, 'index', a, b);
  }

  max(a: Expr, b: Expr): Expr {
    if (isConst(a) && isConst(b)) return idxConst(Math.max(a.v, b.v));
    const ra = this.range(a), rb = this.range(b);
    if (ra[0] >= rb[1]) return a;
    if (rb[0] >= ra[1]) return b;
    return bin(Primitive.Max, 'index', a, b);
  }

  /** x clamped into [lo, hi] (integers, lo <= hi). */
  clamp(x: Expr, lo: number, hi: number): Expr {
    return this.min(this.max(x, idxConst(lo)), idxConst(hi));
  }

  // ---- conditions

  /** A comparison of two index expressions, folded when the ranges decide it. */
  cmp(op: CompareOp, a: Expr, b: Expr): Expr {
    const [lo, hi] = this.range(this.sub(a, b));
    let r: boolean | null = null;
    switch (op) {
      case Primitive.Lt: r = hi < 0 ? true : lo >= 0 ? false : null; break;
      case Primitive.Le: r = hi <= 0 ? true : lo > 0 ? false : null; break;
      case Primitive.Gt: r = lo > 0 ? true : hi <= 0 ? false : null; break;
      case Primitive.Ge: r = lo >= 0 ? true : hi < 0 ? false : null; break;
      case Primitive.Eq: r = lo === 0 && hi === 0 ? true : lo > 0 || hi < 0 ? false : null; break;
      case Primitive.Ne: r = lo === 0 && hi === 0 ? false : lo > 0 || hi < 0 ? true : null; break;
      default: return op satisfies never;
    }
    if (r !== null) return boolConst(r);
    // Canonical form: the variable terms of a - b on the left, the constant on the right.
    const l = toLin(this.sub(a, b));
    const c = -l.c;
    l.c = 0;
    return bin(op, 'bool', this.fromLin(l), idxConst(c));
  }

  and(a: Expr, b: Expr): Expr {
    if (isConst(a)) return a.v ? b : a;
    if (isConst(b)) return b.v ? a : b;
    return bin(Primitive.And, 'bool', a, b);
  }

  or(a: Expr, b: Expr): Expr {
    if (isConst(a)) return a.v ? a : b;
    if (isConst(b)) return b.v ? b : a;
    return bin(Primitive.Or, 'bool', a, b);
  }

  /** c ? a : b, folded for a constant condition or equal branches. */
  select(c: Expr, a: Expr, b: Expr): Expr {
    if (isConst(c)) return c.v ? a : b;
    if (keyOf(a) === keyOf(b)) return a;
    return { k: 'select', t: a.t, c, a, b };
  }

  // ---- multi-indices

  /** Row-major flat offset of `idx` in `shape` (size-1 axes contribute nothing). */
  linearise(idx: readonly Expr[], shape: readonly number[]): Expr {
    let acc: Expr = idxConst(0), stride = 1;
    for (let j = shape.length - 1; j >= 0; j--) {
      if (shape[j] !== 1) acc = this.add(acc, this.mul(idx[j]!, stride));
      stride *= shape[j]!;
    }
    return acc;
  }

  /** The multi-index of flat offset `flat` (0 <= flat < size) in `shape`. */
  delinearise(flat: Expr, shape: readonly number[]): Expr[] {
    const out = new Array<Expr>(shape.length);
    const firstNonUnit = shape.findIndex((d) => d !== 1);
    let stride = 1;
    for (let j = shape.length - 1; j >= 0; j--) {
      const d = shape[j]!;
      if (d === 1) out[j] = idxConst(0);
      else {
        const q = this.idiv(flat, stride);
        out[j] = j === firstNonUnit ? q : this.imod(q, d);
      }
      stride *= d;
    }
    return out;
  }
}
