// Reductions over long extents on a block of threads (or several blocks and a second launch):
// a row's (or a whole kernel's) accumulation loop is recognised with its combine operators,
// each thread of a block accumulates the items tid, tid + B, ... (coalesced), the block's
// partials meet by warp shuffles (butterfly) and then through shared memory, and thread 0
// runs the epilogue. For very long rows with few rows, launch 1 has P blocks per row each
// writing one partial per accumulator to a scratch parameter, and launch 2 (a block per row)
// combines them in index order and runs the epilogue. The order is fixed by the launch shape,
// so results are deterministic.
//
// Recognised accumulations (compiler/lower/reduce.ts writes them): acc = acc ⊕ e with ⊕ one of
// add, mul, max, min (f32 sums reassociate: within tolerance; integers, max, min are exact),
// and the argmax / argmin pair (best, index) updated when `v ⋈ best or v is NaN, unless best is
// NaN`: partials combine as (first NaN, else first extreme by index), the interpreter's result.
import { Primitive } from '../ir/primitives.ts';
import type { DType } from '../ir/dtype.ts';
import type { Expr, KernelParam, Stmt } from '../lower/loop-ir.ts';
import { bin, constOf, idxConst, keyOf, varOf } from '../lower/index-exprs.ts';
import { ix, type Names } from './expand.ts';
import { BLOCK_VARS, THREAD_VAR, WARP, type BlockStmt, type GpuArray, type GpuKernel } from './kernel.ts';
import { indexWidth } from './launch.ts';

type For = Extract<Stmt, { k: 'for' }>;
type Op = Primitive.Add | Primitive.Mul | Primitive.Max | Primitive.Min;

interface Acc {
  readonly name: string;
  readonly t: DType;
}

type Combine =
  | { readonly kind: 'op'; readonly op: Op; readonly acc: number }
  /** argmax (cmp gt) / argmin (cmp lt): accs[val] the best value, accs[idx] its i32 index. */
  | { readonly kind: 'arg'; readonly cmp: Primitive.Gt | Primitive.Lt; readonly val: number; readonly idx: number };

/** An accumulation: `pre` (lets, the accumulators' decls), the loop chain, then `post`. */
export interface Reduction {
  readonly accs: readonly Acc[];
  readonly combines: readonly Combine[];
  readonly pre: readonly Stmt[];
  readonly loops: readonly For[];
  readonly post: readonly Stmt[];
  /** Items of the accumulation (product of the loops' trip counts). */
  readonly length: number;
}

const isVar = (e: Expr, name: string) => e.k === 'var' && e.name === name;

function mentions(e: Expr, names: ReadonlySet<string>): boolean {
  switch (e.k) {
    case 'const':
      return false;
    case 'var':
      return names.has(e.name);
    case 'load':
      return mentions(e.idx, names);
    case 'unary':
    case 'cast':
      return mentions(e.a, names);
    case 'binary':
      return mentions(e.a, names) || mentions(e.b, names);
    case 'select':
      return mentions(e.c, names) || mentions(e.a, names) || mentions(e.b, names);
    case 'threefry':
      return mentions(e.k0, names) || mentions(e.k1, names) || mentions(e.ctr, names);
    default:
      return e satisfies never;
  }
}

/** Whether statements assign (or redeclare) any of `names`, or hold a matmul or sort. */
function touches(ss: readonly Stmt[], names: ReadonlySet<string>): boolean {
  return ss.some((s) => {
    switch (s.k) {
      case 'assign':
      case 'decl':
        return names.has(s.name);
      case 'for':
        return touches(s.body, names);
      case 'if':
        return touches(s.then, names) || touches(s.else, names);
      case 'matmul':
      case 'sort':
        return true;
      default:
        return false;
    }
  });
}

/** The loops of a perfect nest: each the last statement of its parent's body, after lets. */
function chain(s: For): For[] | null {
  const out = [s];
  for (;;) {
    if (out[out.length - 1]!.n.k !== 'const') return null;
    const body = out[out.length - 1]!.body;
    const last = body[body.length - 1];
    if (!last || last.k !== 'for' || !body.slice(0, -1).every((b) => b.k === 'let')) return out;
    out.push(last);
  }
}

/** The accumulation in `body` ([lets and decls] for [anything reading the accumulators]), or null. */
export function matchReduction(body: readonly Stmt[]): Reduction | null {
  const f = body.findIndex((s) => s.k !== 'let' && s.k !== 'decl');
  const loop = body[f];
  if (f < 0 || loop?.k !== 'for') return null;
  const pre = body.slice(0, f), post = body.slice(f + 1);
  const accs: Acc[] = [];
  for (const s of pre) {
    if (s.k !== 'decl') continue;
    if (s.t === 'index' || accs.some((a) => a.name === s.name)) return null;
    accs.push({ name: s.name, t: s.t });
  }
  if (!accs.length) return null;
  const names = new Set(accs.map((a) => a.name));
  if (touches(post, names)) return null;
  const loops = chain(loop);
  if (!loops) return null;
  const inner = loops[loops.length - 1]!.body;
  const lets = new Map<string, Expr>();
  const assigns = new Map<string, Expr>();
  for (const l of loops.slice(0, -1)) for (const s of l.body.slice(0, -1)) if (s.k === 'let' && mentions(s.e, names)) return null;
  for (const s of inner) {
    if (s.k === 'let') lets.set(s.name, s.e);
    else if (s.k === 'assign' && names.has(s.name) && !assigns.has(s.name)) assigns.set(s.name, s.e);
    else return null;
  }
  const combines: Combine[] = [];
  const used = new Set<number>();
  const accOf = (name: string) => accs.findIndex((a) => a.name === name);
  const condLets = new Set<string>();
  for (const [j, a] of accs.entries()) {
    if (used.has(j)) continue;
    const e = assigns.get(a.name);
    if (!e) return null;
    if (e.k === 'binary' && e.t === a.t && isVar(e.a, a.name) && !mentions(e.b, names) &&
        (e.op === Primitive.Add || e.op === Primitive.Mul || e.op === Primitive.Max || e.op === Primitive.Min)) {
      combines.push({ kind: 'op', op: e.op, acc: j });
      used.add(j);
      continue;
    }
    const arg = matchArg(a, e, accs, assigns, lets, loops, names, accOf);
    if (!arg || used.has(arg.val) || used.has(arg.idx)) return null;
    combines.push(arg.c);
    used.add(arg.val).add(arg.idx);
    condLets.add(arg.cond);
  }
  // Lets other than the argmax conditions must not read the accumulators.
  for (const [n, e] of lets) if (!condLets.has(n) && mentions(e, names)) return null;
  const length = loops.reduce((p, l) => p * (l.n as Extract<Expr, { k: 'const' }>).v, 1);
  return { accs, combines, pre, loops, post, length };
}

/** The argmax / argmin pair that assignment `e` of `a` belongs to, or null. */
function matchArg(
  a: Acc, e: Expr, accs: readonly Acc[], assigns: ReadonlyMap<string, Expr>, lets: ReadonlyMap<string, Expr>,
  loops: readonly For[], names: ReadonlySet<string>, accOf: (n: string) => number,
): { c: Combine; cond: string; val: number; idx: number } | null {
  if (loops.length !== 1 || e.k !== 'select' || e.c.k !== 'var' || !isVar(e.b, a.name)) return null;
  const cond = e.c.name;
  const c = lets.get(cond);
  if (!c) return null;
  // Find the partner assignment with the same condition.
  let val = -1, idx = -1;
  for (const [name, x] of assigns) {
    if (x.k !== 'select' || !isVar(x.c, cond) || !isVar(x.b, name)) continue;
    const isIdx = x.t === 'i32' && x.a.k === 'cast' && isVar(x.a.a, loops[0]!.v);
    if (isIdx) idx = accOf(name);
    else val = accOf(name);
  }
  if (val < 0 || idx < 0) return null;
  const best = accs[val]!;
  const ve = assigns.get(best.name) as Extract<Expr, { k: 'select' }>;
  const v = ve.a;
  if (mentions(v, names)) return null;
  const bv = varOf(best.name, best.t);
  for (const cmp of [Primitive.Gt, Primitive.Lt] as const) {
    const better = bin(cmp, 'bool', v, bv);
    const want = isFloatD(best.t)
      ? bin(Primitive.And, 'bool', bin(Primitive.Eq, 'bool', bv, bv), bin(Primitive.Or, 'bool', better, bin(Primitive.Ne, 'bool', v, v)))
      : better;
    if (keyOf(want) === keyOf(c)) return { c: { kind: 'arg', cmp, val, idx }, cond, val, idx };
  }
  return null;
}

const isFloatD = (t: DType) => t === 'f32' || t === 'f64' || t === 'f16' || t === 'bf16';

/**
 * Statements combining partial results `x` and `y` (one expression per accumulator) of
 * disjoint sets of items; returns the combined expressions. Symmetric in x and y.
 */
export function combineAll(r: Reduction, x: readonly Expr[], y: readonly Expr[], names: Names): { stmts: Stmt[]; out: Expr[] } {
  const stmts: Stmt[] = [];
  const out: Expr[] = [...x];
  for (const c of r.combines) {
    if (c.kind === 'op') {
      out[c.acc] = bin(c.op, r.accs[c.acc]!.t, x[c.acc]!, y[c.acc]!);
      continue;
    }
    const t = r.accs[c.val]!.t;
    const [a, ia, b, ib] = [x[c.val]!, x[c.idx]!, y[c.val]!, y[c.idx]!];
    const earlier = bin(Primitive.Lt, 'bool', ib, ia);
    const wins = bin(Primitive.Or, 'bool', bin(c.cmp, 'bool', b, a), bin(Primitive.And, 'bool', bin(Primitive.Eq, 'bool', b, a), earlier));
    let e = wins;
    if (isFloatD(t)) {
      const na = bin(Primitive.Ne, 'bool', a, a), nb = bin(Primitive.Ne, 'bool', b, b);
      const notNa = { k: 'unary', t: 'bool', op: Primitive.Not, a: na } as const;
      const notNb = { k: 'unary', t: 'bool', op: Primitive.Not, a: nb } as const;
      // y wins when it is NaN (and x is not, or is a later NaN), or both are numbers and y is better.
      e = bin(Primitive.Or, 'bool',
        bin(Primitive.And, 'bool', nb, bin(Primitive.Or, 'bool', notNa, earlier)),
        bin(Primitive.And, 'bool', bin(Primitive.And, 'bool', notNa, notNb), wins));
    }
    const w = names.fresh('win');
    stmts.push({ k: 'let', name: w, e });
    const wv = varOf(w, 'bool');
    out[c.val] = { k: 'select', t, c: wv, a: b, b: a };
    out[c.idx] = { k: 'select', t: 'i32', c: wv, a: ib, b: ia };
  }
  return { stmts, out };
}

/** The flattened body of the loop chain for item `item` of the accumulation. */
export function itemBody(r: Reduction, item: Expr): Stmt[] {
  const out: Stmt[] = [];
  let stride = r.length;
  r.loops.forEach((l, i) => {
    const n = (l.n as Extract<Expr, { k: 'const' }>).v;
    stride /= n;
    out.push({ k: 'let', name: l.v, e: i === 0 ? ix.div(item, stride) : ix.mod(ix.div(item, stride), n) });
    out.push(...(i < r.loops.length - 1 ? l.body.slice(0, -1) : l.body));
  });
  return out;
}

export interface ReduceShape {
  /** Threads per block (a multiple of WARP). */
  readonly block: number;
  /** Blocks per row in the first launch (1: one launch). */
  readonly parts: number;
}

/** Blocks in flight that keep a large GPU busy (an H100 has 132 SMs). */
const TARGET_BLOCKS = 1024;
/** Fewest items per thread in a multi-block first pass. */
const MIN_PER_THREAD = 16;

/**
 * Block-per-row shape for `rows` accumulations of `length` items, or null when a thread per
 * row does better (short rows, or enough rows to fill the GPU with short ones).
 */
export function reduceShape(rows: number, length: number, maxThreads: number, scratch: boolean): ReduceShape | null {
  if (length < 32 || (rows >= 65536 && length < 256)) return null;
  const cap = Math.max(WARP, Math.floor(maxThreads / WARP) * WARP);
  let block = WARP;
  while (block * 2 <= cap && block * 8 < length) block *= 2;
  let parts = 1;
  if (scratch && rows < TARGET_BLOCKS) parts = Math.max(1, Math.min(Math.ceil(TARGET_BLOCKS / rows), Math.floor(length / (block * MIN_PER_THREAD))));
  return { block, parts };
}

/** The scratch parameters (one per accumulator: a partial per block) a reduction needs. */
export function reductionScratch(name: string, r: Reduction, rows: number, shape: ReduceShape): KernelParam[] {
  if (shape.parts === 1) return [];
  const P = partsOf(r.length, shape).parts;
  return r.accs.map((a, j) => ({ name: `${name}_part${j}`, dtype: a.t, size: rows * P, role: 'scratch' as const }));
}

/** Chunks of a multiple of the block size: items per block and blocks per row. */
function partsOf(length: number, shape: ReduceShape): { chunk: number; parts: number } {
  const chunk = Math.ceil(Math.ceil(length / shape.parts) / shape.block) * shape.block;
  return { chunk, parts: Math.ceil(length / chunk) };
}

export interface RowReduction {
  readonly name: string;
  /** The launches' parameters, scratch included. */
  readonly params: readonly KernelParam[];
  /** The first of this reduction's scratch parameters (used when shape.parts > 1). */
  readonly partBase: number;
  readonly rows: number;
  /** Statements binding a row's variables (row: an index expression < rows). */
  readonly rowLets: (row: Expr) => Stmt[];
  readonly red: Reduction;
  readonly shape: ReduceShape;
}

/** The launches computing a row reduction (one, or two with scratch partials). */
export function reductionKernels(spec: RowReduction, names: Names, maxThreads: number): GpuKernel[] {
  const { red: r, rows, shape } = spec;
  const m = r.accs.length;
  const params = spec.params;
  const np = params.length;
  const sizes = params.map((p) => p.size);
  const accVars = r.accs.map((a) => varOf(a.name, a.t));

  /** A launch: `accumulate` leaves each thread's partials in the accumulators; then the tree. */
  const launch = (name: string, B: number, grid: number, rowOf: Expr, accumulate: Stmt[], finish: (vals: Expr[]) => Stmt[], extents: number[]): GpuKernel => {
    const W = B / WARP;
    const shared: GpuArray[] = W > 1 ? r.accs.map((a, j) => ({ name: `red${j}`, dtype: a.t, size: W })) : [];
    const locals: GpuArray[] = r.accs.map((a, j) => ({ name: `acc${j}`, dtype: a.t, size: 2 }));
    const sh = (j: number) => np + j, loc = (j: number) => np + shared.length + j;
    const ld = (buf: number, j: number, idx: Expr): Expr => ({ k: 'load', t: r.accs[j]!.t, buf, idx });
    const tid = ix.v(THREAD_VAR);
    const body: BlockStmt[] = [{
      k: 'threads',
      body: [...spec.rowLets(rowOf), ...accumulate, ...r.accs.map((_, j): Stmt => ({ k: 'store', buf: loc(j), idx: idxConst(0), e: accVars[j]! }))],
    }];
    for (let mask = WARP / 2; mask >= 1; mask /= 2) {
      for (let j = 0; j < m; j++) body.push({ k: 'shuffle', src: j, srcIdx: 0, dst: j, dstIdx: 1, mask });
      // Every combine is symmetric (commutative ops; argmax ties broken by index), so both
      // lanes of a pair compute the same value.
      const c = combineAll(r, r.accs.map((_, j) => ld(loc(j), j, idxConst(0))), r.accs.map((_, j) => ld(loc(j), j, idxConst(1))), names);
      const vals = r.accs.map((_, j) => names.fresh(`v${j}_`));
      body.push({
        k: 'threads',
        body: [
          ...c.stmts,
          ...c.out.map((e, j): Stmt => ({ k: 'let', name: vals[j]!, e })),
          ...r.accs.map((a, j): Stmt => ({ k: 'store', buf: loc(j), idx: idxConst(0), e: varOf(vals[j]!, a.t) })),
        ],
      });
    }
    const fin: Stmt[] = [];
    let vals: Expr[];
    if (W > 1) {
      body.push({
        k: 'threads',
        body: [{ k: 'if', c: bin(Primitive.Eq, 'bool', ix.mod(tid, WARP), idxConst(0)), then: r.accs.map((_, j): Stmt => ({ k: 'store', buf: sh(j), idx: ix.div(tid, WARP), e: ld(loc(j), j, idxConst(0)) })), else: [] }],
      });
      body.push({ k: 'barrier' });
      const cs = r.accs.map((a) => names.fresh('c'));
      fin.push(...r.accs.map((a, j): Stmt => ({ k: 'decl', name: cs[j]!, t: a.t, init: ld(sh(j), j, idxConst(0)) })));
      const w = names.fresh('w');
      const cur = r.accs.map((a, j) => varOf(cs[j]!, a.t));
      const c = combineAll(r, cur, r.accs.map((_, j) => ld(sh(j), j, ix.add(ix.v(w), idxConst(1)))), names);
      fin.push({ k: 'for', v: w, n: idxConst(W - 1), body: [...c.stmts, ...c.out.map((e, j): Stmt => ({ k: 'assign', name: cs[j]!, e }))] });
      vals = cur;
    } else {
      vals = r.accs.map((_, j) => ld(loc(j), j, idxConst(0)));
    }
    body.push({
      k: 'threads',
      body: [{ k: 'if', c: bin(Primitive.Eq, 'bool', tid, idxConst(0)), then: [...spec.rowLets(rowOf), ...fin, ...finish(vals)], else: [] }],
    });
    return {
      name, params, shared, locals,
      launch: { grid: [grid, 1, 1], block: [B, 1, 1], sharedBytes: 0 },
      index: indexWidth([...sizes, ...extents]),
      body,
    };
  };

  /**
   * Accumulates items base + tid + it·B for it < ⌈count / B⌉ that are below `limit`; the first
   * `safe` iterations are in range in every block and go without a bound check.
   */
  const strided = (B: number, base: Expr, count: number, safe: number, limit: number, body: (item: Expr) => Stmt[]): Stmt[] => {
    const loop = (from: number, to: number, guard: boolean): Stmt[] => {
      if (to <= from) return [];
      const it = names.fresh('it'), item = names.fresh('item');
      const itemE = ix.add(ix.add(base, ix.v(THREAD_VAR)), ix.mul(ix.add(ix.v(it), idxConst(from)), B));
      const inner = guard ? [{ k: 'if' as const, c: ix.lt(ix.v(item), idxConst(limit)), then: body(ix.v(item)), else: [] }] : body(ix.v(item));
      return [{ k: 'for', v: it, n: idxConst(to - from), body: [{ k: 'let', name: item, e: itemE }, ...inner] }];
    };
    const n = Math.ceil(count / B);
    return [...loop(0, Math.min(safe, n), false), ...loop(Math.min(safe, n), n, true)];
  };
  const epilogue = (vals: Expr[]): Stmt[] => [...r.pre, ...r.accs.map((a, j): Stmt => ({ k: 'assign', name: a.name, e: vals[j]! })), ...r.post];
  const bx = ix.v(BLOCK_VARS[0]);
  const B = shape.block;
  if (shape.parts === 1) {
    return [launch(spec.name, B, rows, bx, [...r.pre, ...strided(B, idxConst(0), r.length, Math.floor(r.length / B), r.length, (item) => itemBody(r, item))], epilogue, [rows * B, r.length + B])];
  }
  const { chunk, parts: P } = partsOf(r.length, shape);
  const row1 = ix.div(bx, P), part = ix.mod(bx, P);
  const slot = (row: Expr, p: Expr) => ix.add(ix.mul(row, P), p);
  const pass1 = launch(`${spec.name}_0`, B, rows * P, row1,
    [...r.pre, ...strided(B, ix.mul(part, chunk), chunk, Math.floor((r.length - (P - 1) * chunk) / B), r.length, (item) => itemBody(r, item))],
    (vals) => vals.map((v, j): Stmt => ({ k: 'store', buf: spec.partBase + j, idx: slot(row1, part), e: v })),
    [rows * P * B, r.length + chunk + B, rows * P]);
  let B2 = WARP;
  while (B2 * 2 <= Math.max(WARP, Math.floor(maxThreads / WARP) * WARP) && B2 < P) B2 *= 2;
  const partial = (item: Expr): Stmt[] => {
    const y = r.accs.map((a, j): Expr => ({ k: 'load', t: a.t, buf: spec.partBase + j, idx: slot(bx, item) }));
    const c = combineAll(r, accVars, y, names);
    return [...c.stmts, ...c.out.map((e, j): Stmt => ({ k: 'assign', name: r.accs[j]!.name, e }))];
  };
  const pass2 = launch(`${spec.name}_1`, B2, rows, bx, [...r.pre, ...strided(B2, idxConst(0), P, Math.floor(P / B2), P, partial)], epilogue, [rows * B2, P + B2, rows * P]);
  return [pass1, pass2];
}
