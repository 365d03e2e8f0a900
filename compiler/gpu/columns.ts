// Column reductions (summing a [R, C] matrix over R; compiler/lower/reduce.ts's case B, which
// accumulates a row of outputs in a buffer): rewritten per column as an accumulation in a
// register, then mapped with a column per thread of a warp (loads coalesce along the row) and
// the block's warps (and, for long columns, several blocks plus a second launch) taking
// interleaved rows; partials combine in a fixed order, so results are deterministic.
//
// The recognised code, with t the column within the block of T columns:
//   lets; for t < T: buf[I(t)] = init
//   for r... (lets) for t < T: (lets) buf[I(t)] = buf[I(t)] ⊕ x
//   [for t < T: epilogue]...
import { Primitive } from '../ir/primitives.ts';
import type { DType } from '../ir/dtype.ts';
import type { Expr, KernelParam, Stmt } from '../lower/loop-ir.ts';
import { bin, idxConst, keyOf, varOf } from '../lower/index-exprs.ts';
import { independent } from './deps.ts';
import { ix, type Names } from './expand.ts';
import { BLOCK_VARS, THREAD_VAR, WARP, type BlockStmt, type GpuArray, type GpuKernel } from './kernel.ts';
import { indexWidth } from './launch.ts';
import { combineAll, itemBody, matchReduction, type Reduction } from './reduce.ts';

type For = Extract<Stmt, { k: 'for' }>;
const constN = (l: For): number | null => (l.n.k === 'const' ? l.n.v : null);

/** `e` with variables renamed. */
export function renameExpr(e: Expr, ren: ReadonlyMap<string, string>): Expr {
  switch (e.k) {
    case 'const':
      return e;
    case 'var':
      return ren.has(e.name) ? { ...e, name: ren.get(e.name)! } : e;
    case 'load':
      return { ...e, idx: renameExpr(e.idx, ren) };
    case 'unary':
    case 'cast':
      return { ...e, a: renameExpr(e.a, ren) };
    case 'binary':
      return { ...e, a: renameExpr(e.a, ren), b: renameExpr(e.b, ren) };
    case 'select':
      return { ...e, c: renameExpr(e.c, ren), a: renameExpr(e.a, ren), b: renameExpr(e.b, ren) };
    case 'threefry':
      return { ...e, k0: renameExpr(e.k0, ren), k1: renameExpr(e.k1, ren), ctr: renameExpr(e.ctr, ren) };
    default:
      return e satisfies never;
  }
}

/** Statements with variables renamed (loop IR names are unique per kernel). */
function renameStmts(ss: readonly Stmt[], ren: ReadonlyMap<string, string>): Stmt[] {
  return ss.map((s): Stmt => {
    switch (s.k) {
      case 'for':
        return { ...s, n: renameExpr(s.n, ren), body: renameStmts(s.body, ren) };
      case 'let':
      case 'assign':
        return { ...s, e: renameExpr(s.e, ren) };
      case 'decl':
        return { ...s, init: renameExpr(s.init, ren) };
      case 'store':
        return { ...s, idx: renameExpr(s.idx, ren), e: renameExpr(s.e, ren) };
      case 'if':
        return { ...s, c: renameExpr(s.c, ren), then: renameStmts(s.then, ren), else: renameStmts(s.else, ren) };
      case 'matmul':
      case 'sort':
        return s;
      default:
        return s satisfies never;
    }
  });
}

function loadsBuf(e: Expr, buf: number): boolean {
  switch (e.k) {
    case 'const':
    case 'var':
      return false;
    case 'load':
      return e.buf === buf || loadsBuf(e.idx, buf);
    case 'unary':
    case 'cast':
      return loadsBuf(e.a, buf);
    case 'binary':
      return loadsBuf(e.a, buf) || loadsBuf(e.b, buf);
    case 'select':
      return loadsBuf(e.c, buf) || loadsBuf(e.a, buf) || loadsBuf(e.b, buf);
    case 'threefry':
      return loadsBuf(e.k0, buf) || loadsBuf(e.k1, buf) || loadsBuf(e.ctr, buf);
    default:
      return e satisfies never;
  }
}

/**
 * The accumulation of column `t` (a fresh variable) of a column reduction in `body`, as a
 * register accumulation (decl, loop, store) that matchReduction recognises; null when `body`
 * is not one or its columns are not independent.
 */
export function columnForm(body: readonly Stmt[], t: string, names: Names): { columns: number; red: Reduction } | null {
  let i = 0;
  while (body[i]?.k === 'let') i++;
  const lets = body.slice(0, i);
  const init = body[i], acc = body[i + 1], epi = body.slice(i + 2);
  if (init?.k !== 'for' || acc?.k !== 'for') return null;
  const T = constN(init);
  const st = init.body[0];
  if (T === null || init.body.length !== 1 || st?.k !== 'store' || loadsBuf(st.e, st.buf)) return null;
  const buf = st.buf;
  const idx = renameExpr(st.idx, new Map([[init.v, t]]));
  // The accumulation nest: row loops (lets allowed before the next loop), then the t loop.
  const rows: For[] = [];
  let l: For = acc;
  for (;;) {
    const last = l.body[l.body.length - 1];
    if (l.body.slice(0, -1).some((s) => s.k !== 'let')) return null;
    if (last?.k !== 'for') break;
    rows.push(l);
    l = last;
  }
  if (!rows.length || constN(l) !== T || rows.some((r) => constN(r) === null)) return null;
  const ren = new Map([[l.v, t]]);
  const inner = renameStmts(l.body, ren);
  const upd = inner[inner.length - 1];
  if (upd?.k !== 'store' || upd.buf !== buf || keyOf(upd.idx) !== keyOf(idx) || inner.slice(0, -1).some((s) => s.k !== 'let')) return null;
  const e = upd.e;
  if (e.k !== 'binary' || e.t === 'index' || e.a.k !== 'load' || e.a.buf !== buf || keyOf(e.a.idx) !== keyOf(idx) || loadsBuf(e.b, buf)) return null;
  if (e.op !== Primitive.Add && e.op !== Primitive.Mul && e.op !== Primitive.Max && e.op !== Primitive.Min) return null;
  const t0: DType = e.t;
  const a = names.fresh('cacc');
  let nest: Stmt[] = [...inner.slice(0, -1), { k: 'assign', name: a, e: bin(e.op, t0, varOf(a, t0), e.b) }];
  for (let j = rows.length - 1; j >= 0; j--) nest = [{ k: 'for', v: rows[j]!.v, n: rows[j]!.n, body: [...rows[j]!.body.slice(0, -1), ...nest] }];
  const post: Stmt[] = [{ k: 'store', buf, idx, e: varOf(a, t0) }];
  for (const s of epi) {
    if (s.k !== 'for' || constN(s) !== T) return null;
    post.push(...renameStmts(s.body, new Map([[s.v, t]])));
  }
  const colBody: Stmt[] = [...lets, { k: 'decl', name: a, t: t0, init: renameExpr(st.e, new Map([[init.v, t]])) }, ...nest, ...post];
  if (!independent(t, colBody)) return null;
  const red = matchReduction(colBody);
  return red ? { columns: T, red } : null;
}

export interface ColumnShape {
  /** Columns per block (threads of a warp side by side). */
  readonly cw: number;
  /** Row groups per block (threads per block / cw). */
  readonly groups: number;
  /** Blocks along the rows (1: one launch). */
  readonly parts: number;
}

const TARGET_BLOCKS = 1024;
const MIN_PER_THREAD = 16;

/** Shape of a column reduction of `columns` columns of `length` rows, or null (short columns). */
export function columnShape(columns: number, length: number, maxThreads: number, scratch: boolean): ColumnShape | null {
  if (length < 64) return null;
  let cw = 1;
  while (cw < WARP && cw < columns) cw *= 2;
  const threads = Math.max(WARP, Math.min(256, Math.floor(maxThreads / WARP) * WARP));
  const groups = threads / cw;
  const blocks = Math.ceil(columns / cw);
  const parts = scratch && blocks < TARGET_BLOCKS ? Math.max(1, Math.min(Math.ceil(TARGET_BLOCKS / blocks), Math.floor(length / (groups * MIN_PER_THREAD)))) : 1;
  return { cw, groups, parts };
}

/** Rows per block along the rows (a multiple of the groups) and the number of such parts. */
function chunking(length: number, s: ColumnShape): { chunk: number; parts: number } {
  const chunk = Math.ceil(Math.ceil(length / s.parts) / s.groups) * s.groups;
  return { chunk, parts: Math.ceil(length / chunk) };
}

/** Scratch parameters of a column reduction (a partial per accumulator, part and column). */
export function columnScratch(name: string, r: Reduction, columns: number, s: ColumnShape): KernelParam[] {
  const { parts } = chunking(r.length, s);
  if (parts === 1) return [];
  return r.accs.map((a, j) => ({ name: `${name}_part${j}`, dtype: a.t, size: columns * parts, role: 'scratch' as const }));
}

export interface ColumnReduction {
  readonly name: string;
  readonly params: readonly KernelParam[];
  readonly partBase: number;
  readonly columns: number;
  /** Binds a column's variables (col: an index expression < columns). */
  readonly colLets: (col: Expr) => Stmt[];
  readonly red: Reduction;
  readonly shape: ColumnShape;
}

/** The launches of a column reduction (one, or two with scratch partials). */
export function columnKernels(spec: ColumnReduction, names: Names): GpuKernel[] {
  const { red: r, columns: C, shape, params } = spec;
  const { cw, groups: G } = shape;
  const { chunk, parts: P } = chunking(r.length, shape);
  const np = params.length;
  const B = cw * G;
  const NB = Math.ceil(C / cw);
  const sizes = params.map((p) => p.size);
  const tid = ix.v(THREAD_VAR);
  const [bx, by] = [ix.v(BLOCK_VARS[0]), ix.v(BLOCK_VARS[1])];
  const accVars = r.accs.map((a) => varOf(a.name, a.t));
  const inCol = (c: Expr, then: Stmt[]): Stmt[] => (C % cw === 0 ? then : [{ k: 'if', c: ix.lt(c, idxConst(C)), then, else: [] }]);
  const shared: GpuArray[] = r.accs.map((a, j) => ({ name: `col${j}`, dtype: a.t, size: B }));
  const ld = (j: number, idx: Expr): Expr => ({ k: 'load', t: r.accs[j]!.t, buf: np + j, idx });
  const cl = names.fresh('cl'), g = names.fresh('g'), c = names.fresh('c');
  const coords: Stmt[] = [
    { k: 'let', name: cl, e: ix.mod(tid, cw) },
    { k: 'let', name: g, e: ix.div(tid, cw) },
    { k: 'let', name: c, e: ix.add(ix.mul(bx, cw), ix.v(cl)) },
  ];
  // Rows part·chunk + g + it·G of the column; the first `safe` iterations need no bound check.
  const safe = Math.floor((r.length - (P - 1) * chunk) / G);
  const rowsLoop = (from: number, to: number, guard: boolean): Stmt[] => {
    if (to <= from) return [];
    const it = names.fresh('it'), item = names.fresh('row');
    const e = ix.add(ix.add(ix.mul(by, chunk), ix.v(g)), ix.mul(ix.add(ix.v(it), idxConst(from)), G));
    const body = itemBody(r, ix.v(item));
    return [{ k: 'for', v: it, n: idxConst(to - from), body: [{ k: 'let', name: item, e }, ...(guard ? [{ k: 'if' as const, c: ix.lt(ix.v(item), idxConst(r.length)), then: body, else: [] }] : body)] }];
  };
  const n = chunk / G;
  const accumulate: Stmt[] = [
    ...coords,
    ...inCol(ix.v(c), [
      ...spec.colLets(ix.v(c)), ...r.pre, ...rowsLoop(0, Math.min(safe, n), false), ...rowsLoop(Math.min(safe, n), n, true),
      ...r.accs.map((_, j): Stmt => ({ k: 'store', buf: np + j, idx: tid, e: accVars[j]! })),
    ]),
  ];
  const cs = r.accs.map(() => names.fresh('cs'));
  const w = names.fresh('w');
  const cur = r.accs.map((a, j) => varOf(cs[j]!, a.t));
  const comb = combineAll(r, cur, r.accs.map((_, j) => ld(j, ix.add(ix.mul(ix.add(ix.v(w), idxConst(1)), cw), ix.v(cl)))), names);
  const gather: Stmt[] = [
    ...r.accs.map((a, j): Stmt => ({ k: 'decl', name: cs[j]!, t: a.t, init: ld(j, ix.v(cl)) })),
    { k: 'for', v: w, n: idxConst(G - 1), body: [...comb.stmts, ...comb.out.map((e, j): Stmt => ({ k: 'assign', name: cs[j]!, e }))] },
  ];
  const epilogue: Stmt[] = [...r.pre, ...r.accs.map((a, j): Stmt => ({ k: 'assign', name: a.name, e: cur[j]! })), ...r.post];
  const finish: Stmt[] = P === 1
    ? [...spec.colLets(ix.v(c)), ...gather, ...epilogue]
    : [...gather, ...r.accs.map((_, j): Stmt => ({ k: 'store', buf: spec.partBase + j, idx: ix.add(ix.mul(by, C), ix.v(c)), e: cur[j]! }))];
  const body: BlockStmt[] = [
    { k: 'threads', body: accumulate },
    { k: 'barrier' },
    { k: 'threads', body: [...coords, { k: 'if', c: bin(Primitive.Eq, 'bool', ix.v(g), idxConst(0)), then: inCol(ix.v(c), finish), else: [] }] },
  ];
  const pass1: GpuKernel = {
    name: P === 1 ? spec.name : `${spec.name}_0`, params, shared, locals: [],
    launch: { grid: [NB, P, 1], block: [B, 1, 1], sharedBytes: 0 },
    index: indexWidth([...sizes, NB * cw, P * chunk + r.length + G, C * P]),
    body,
  };
  if (P === 1) return [pass1];
  // A thread per column combines the parts in order, then runs the epilogue.
  const B2 = Math.min(256, Math.max(WARP, Math.ceil(C / WARP) * WARP));
  const col = names.fresh('col'), p = names.fresh('p');
  const y = r.accs.map((a, j): Expr => ({ k: 'load', t: a.t, buf: spec.partBase + j, idx: ix.add(ix.mul(ix.v(p), C), ix.v(col)) }));
  const c2 = combineAll(r, accVars, y, names);
  const pass2: GpuKernel = {
    name: `${spec.name}_1`, params, shared: [], locals: [],
    launch: { grid: [Math.ceil(C / B2), 1, 1], block: [B2, 1, 1], sharedBytes: 0 },
    index: indexWidth([...sizes, Math.ceil(C / B2) * B2, C * P]),
    body: [{
      k: 'threads',
      body: [
        { k: 'let', name: col, e: ix.add(ix.mul(bx, B2), tid) },
        { k: 'if', c: ix.lt(ix.v(col), idxConst(C)), then: [
          ...spec.colLets(ix.v(col)), ...r.pre,
          { k: 'for', v: p, n: idxConst(P), body: [...c2.stmts, ...c2.out.map((e, j): Stmt => ({ k: 'assign', name: r.accs[j]!.name, e }))] },
          ...r.post,
        ], else: [] },
      ],
    }],
  };
  return [pass1, pass2];
}
