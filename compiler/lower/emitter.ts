// Statement emission for one kernel: nested blocks with memo scopes, fresh names, loops that
// register their counters' ranges with the index builder, and side-effect-free trial runs
// (for choosing among loop structures).
import type { Expr, ScalarType, Stmt } from './loop-ir.ts';
import { IndexBuilder, idxConst, keyOf, varOf } from './index-exprs.ts';

interface Counters { i: number; t: number; a: number }

/** The result of a trial emission: its statements and the name counters after it. */
export interface Trial {
  readonly stmts: Stmt[];
  readonly counters: Counters;
}

export class Emitter {
  readonly ix = new IndexBuilder();
  private readonly blocks: Stmt[][] = [[]];
  /** Memo of (value, index) → expression, one map per open block. */
  private readonly scopes: Map<string, Expr>[] = [new Map()];
  /** Number of loops enclosing the current block. */
  private depth = 0;
  private counters: Counters = { i: 0, t: 0, a: 0 };
  /** Block depth at which each variable is defined (names are unique within a kernel). */
  private readonly defs = new Map<string, number>();
  private readonly mutable = new Set<string>();
  /** The outermost block that hoisting may reach (a trial's own block while one runs). */
  private floor = 0;

  /** The kernel body (the root block). */
  root(): Stmt[] {
    return this.blocks[0]!;
  }

  emit(s: Stmt): void {
    this.blocks[this.blocks.length - 1]!.push(s);
  }

  emitAll(ss: readonly Stmt[]): void {
    for (const s of ss) this.emit(s);
  }

  /** Index of the current block (0: the kernel body). */
  get blockDepth(): number {
    return this.blocks.length - 1;
  }

  /** A fresh name: `i<n>` loop counters, `t<n>` lets, `acc<n>` mutable locals. */
  fresh(kind: 'i' | 't' | 'a'): string {
    const n = this.counters[kind]++;
    return kind === 'a' ? `acc${n}` : `${kind}${n}`;
  }

  lookup(key: string): Expr | undefined {
    for (let s = this.scopes.length - 1; s >= 0; s--) {
      const e = this.scopes[s]!.get(key);
      if (e) return e;
    }
    return undefined;
  }

  /**
   * The innermost open block in which `e` can be evaluated: the deepest block defining a
   * variable it reads, or the current block if it reads a mutable local (whose value changes).
   */
  homeOf(e: Expr): number {
    let d = this.floor;
    const walk = (x: Expr): void => {
      switch (x.k) {
        case 'const': return;
        case 'var': {
          const def = this.defs.get(x.name);
          d = Math.max(d, def === undefined || this.mutable.has(x.name) ? this.blocks.length - 1 : def);
          return;
        }
        case 'load': return walk(x.idx);
        case 'unary': case 'cast': return walk(x.a);
        case 'binary': walk(x.a); return walk(x.b);
        case 'select': walk(x.c); walk(x.a); return walk(x.b);
        case 'threefry': walk(x.k0); walk(x.k1); return walk(x.ctr);
        default: return x satisfies never;
      }
    };
    walk(e);
    return Math.min(d, this.blocks.length - 1);
  }

  /**
   * Emits `let t = e` and returns the variable (constants and variables are returned as is).
   * The let is hoisted to the outermost open block where everything it reads is defined
   * (loop-invariant code motion); loads hoisted this way only read parameters that no
   * enclosing, unfinished loop writes at that position (the lowering guarantees it: the
   * buffers written inside a nest are read there only at the position being written).
   */
  bind(e: Expr): Expr {
    if (e.k === 'const' || e.k === 'var') return e;
    const key = `let:${keyOf(e)}`;
    const hit = this.lookup(key);
    if (hit) return hit;
    const home = this.homeOf(e);
    const name = this.fresh('t');
    this.blocks[home]!.push({ k: 'let', name, e });
    this.defs.set(name, home);
    const v = varOf(name, e.t);
    this.scopes[home]!.set(key, v);
    return v;
  }

  /** Remembers `e` for `key` in the outermost scope where `e` is valid. */
  rememberHoisted(key: string, e: Expr): void {
    this.scopes[this.homeOf(e)]!.set(key, e);
  }

  /** Emits a mutable local and returns its variable. */
  decl(t: ScalarType, init: Expr): Expr {
    const name = this.fresh('a');
    this.emit({ k: 'decl', name, t, init });
    this.defs.set(name, this.blocks.length - 1);
    this.mutable.add(name);
    return varOf(name, t);
  }

  assign(v: Expr, e: Expr): void {
    if (v.k !== 'var') throw new Error('lower: assignment to a non-variable');
    this.emit({ k: 'assign', name: v.name, e });
  }

  /** Runs `fn` in a new block with its own memo scope and returns the block's statements. */
  block(fn: () => void, loop = false): Stmt[] {
    const b: Stmt[] = [];
    this.blocks.push(b);
    this.scopes.push(new Map());
    if (loop) this.depth++;
    try {
      fn();
    } finally {
      if (loop) this.depth--;
      this.scopes.pop();
      this.blocks.pop();
    }
    return b;
  }

  /**
   * for (v = 0; v < n; v++) body(v). `n` a number or an index expression whose range is
   * known. A loop of one iteration is not emitted (its body runs with v = 0), nor is a loop
   * of none. `parallel` is honoured only for a loop that no other loop encloses.
   */
  loop(n: number | Expr, parallel: boolean, body: (v: Expr) => void): void {
    const nExpr = typeof n === 'number' ? idxConst(n) : n;
    if (nExpr.k === 'const') {
      if (nExpr.v <= 0) return;
      if (nExpr.v === 1) {
        body(idxConst(0));
        return;
      }
    }
    const hi = this.ix.range(nExpr)[1];
    const name = this.fresh('i');
    this.ix.setRange(name, 0, hi - 1);
    this.defs.set(name, this.blocks.length);
    const v = varOf(name, 'index');
    const stmts = this.block(() => body(v), true);
    const par = parallel && this.depth === 0;
    this.emit(par ? { k: 'for', v: name, n: nExpr, body: stmts, parallel: true } : { k: 'for', v: name, n: nExpr, body: stmts });
  }

  /**
   * Runs `fn` as a trial: its statements are captured (not emitted) and the name counters are
   * restored afterwards. `commit` emits a trial's statements and adopts its counters.
   */
  trial(fn: () => void): Trial {
    const saved = { ...this.counters }, floor = this.floor;
    this.floor = this.blocks.length; // the trial's own block: nothing is hoisted out of it
    try {
      const stmts = this.block(fn);
      return { stmts, counters: { ...this.counters } };
    } finally {
      this.counters = saved;
      this.floor = floor;
    }
  }

  commit(t: Trial): void {
    this.emitAll(t.stmts);
    this.counters = { ...t.counters };
  }
}
