// A matrix product tiled through shared memory with register blocking: a block computes a
// BM×BN tile of C (one batch element: grid [⌈n/BN⌉, ⌈m/BM⌉, batch]); each k-step of BK, the
// threads stage the A and B tiles in shared memory (A transposed, rows padded against bank
// conflicts; consecutive threads read consecutive elements of whichever operand axis is
// contiguous, so loads coalesce for transposed operands too), then each thread accumulates
// TM×TN outputs in registers from TM + TN shared reads per k. A thread's outputs lie in
// groups of 4 consecutive rows and columns (128-bit shared reads), the warp's groups side by
// side (its shared reads and C stores touch consecutive elements). Every product is summed in ascending k, as the interpreter does.
// Edges are bounds-checked only where the sizes are not multiples of the tiles.
import { Primitive } from '../ir/primitives.ts';
import type { DType } from '../ir/dtype.ts';
import type { Expr, KernelParam, MatmulStmt, Stmt } from '../lower/loop-ir.ts';
import { bin, constOf, idxConst } from '../lower/index-exprs.ts';
import { ix, type Names } from './expand.ts';
import { BLOCK_VARS, THREAD_VAR, type BlockStmt, type GpuArray, type GpuKernel } from './kernel.ts';
import { indexWidth } from './launch.ts';

export interface MatmulTile {
  readonly bm: number;
  readonly bn: number;
  readonly bk: number;
  /** Outputs per thread along m and n. */
  readonly tm: number;
  readonly tn: number;
}

export const TILE_LARGE: MatmulTile = { bm: 128, bn: 128, bk: 8, tm: 8, tn: 8 };
export const TILE_MEDIUM: MatmulTile = { bm: 64, bn: 64, bk: 8, tm: 4, tn: 4 };
/** Blocks that fill a large GPU (an H100 has 132 SMs). */
const FILL_BLOCKS = 132;
/** Padding of the staged A tile's rows (a multiple of VEC: 128-bit reads stay aligned). */
const PAD = 4;
const VEC = 4;
const MAX_GRID_YZ = 65535;

const threadsOf = (t: MatmulTile) => (t.bm / t.tm) * (t.bn / t.tn);

/** The tile for a product, or null where the simple mapping does (small, odd dtypes). */
export function matmulTile(s: MatmulStmt, maxThreads: number): MatmulTile | null {
  if (s.dtype !== 'f32' && s.dtype !== 'f64') return null;
  if (s.m < 32 || s.n < 32 || s.kdim < 8 || s.batch > MAX_GRID_YZ) return null;
  const blocks = (t: MatmulTile) => Math.ceil(s.m / t.bm) * Math.ceil(s.n / t.bn) * s.batch;
  for (const t of [TILE_LARGE, TILE_MEDIUM]) {
    if (threadsOf(t) > maxThreads || Math.ceil(s.m / t.bm) > MAX_GRID_YZ) continue;
    if (t === TILE_LARGE && blocks(t) < FILL_BLOCKS) continue;
    return t;
  }
  return null;
}

/** The tiled kernel of a matmul statement (params: the launch's buffers). */
export function tiledMatmul(name: string, params: readonly KernelParam[], s: MatmulStmt, t: MatmulTile, names: Names): GpuKernel {
  const { bm, bn, bk, tm, tn } = t;
  const T = threadsOf(t);
  const rx = bn / tn, ry = bm / tm;
  const d: DType = s.dtype;
  const np = params.length;
  const shared: GpuArray[] = [
    { name: 'a', dtype: d, size: bk * (bm + PAD) },
    { name: 'b', dtype: d, size: bk * bn },
  ];
  const locals: GpuArray[] = [
    { name: 'acc', dtype: d, size: tm * tn },
    { name: 'af', dtype: d, size: tm },
    { name: 'bf', dtype: d, size: tn },
    { name: 'ra', dtype: d, size: (bm * bk) / T },
    { name: 'rb', dtype: d, size: (bn * bk) / T },
  ];
  const [SA, SB, ACC, AF, BF, RA, RB] = [np, np + 1, np + 2, np + 3, np + 4, np + 5, np + 6];
  const unroll: string[] = [];
  const loopU = (base: string, n: number, body: (v: Expr) => Stmt[]): Stmt => {
    const v = names.fresh(base);
    unroll.push(v);
    return { k: 'for', v, n: idxConst(n), body: body(ix.v(v)) };
  };
  const ld = (buf: number, idx: Expr): Expr => ({ k: 'load', t: d, buf, idx });
  const st = (buf: number, idx: Expr, e: Expr): Stmt => ({ k: 'store', buf, idx, e });
  const fadd = (a: Expr, b: Expr) => bin(Primitive.Add, d, a, b);
  const fmul = (a: Expr, b: Expr) => bin(Primitive.Mul, d, a, b);
  const and = (a: Expr | null, b: Expr | null): Expr | null => (a && b ? bin(Primitive.And, 'bool', a, b) : a ?? b);
  const tid = ix.v(THREAD_VAR);
  const [bx, by, bz] = BLOCK_VARS.map((v) => ix.v(v));
  const [a0, a1, a2] = s.aStrides, [b0, b1, b2] = s.bStrides;
  const row0 = ix.mul(by!, bm), col0 = ix.mul(bx!, bn);
  const aBatch = ix.mul(bz!, a0), bBatch = ix.mul(bz!, b0);
  const kt = names.fresh('kt');

  const perA = (bm * bk) / T, perB = (bn * bk) / T;
  /**
   * One operand tile (A: bm rows of m; B: bn columns of n; by bk) of k-step `step` between
   * global memory and the thread's staging registers (`fetch`), or from them into shared
   * memory (`put`): element q of a thread is tile element tid + q·T.
   */
  const stage = (isA: boolean, step: Expr, fetch: boolean): Stmt[] => {
    const len = isA ? bm : bn;
    const full = isA ? s.m : s.n;
    // Contiguous along the tile's m / n axis (stride 1 there): threads walk it fastest.
    const alongTile = isA ? a1 === 1 && a2 !== 1 : b2 === 1;
    const reg = isA ? RA : RB;
    return [loopU('q', isA ? perA : perB, (q) => {
      const e = names.fresh('e'), r = names.fresh('r'), kk = names.fresh('kk');
      const eE = ix.add(tid, ix.mul(q, T));
      const rE = alongTile ? ix.mod(ix.v(e), len) : ix.div(ix.v(e), bk);
      const kE = alongTile ? ix.div(ix.v(e), len) : ix.mod(ix.v(e), bk);
      const lets: Stmt[] = [{ k: 'let', name: e, e: eE }, { k: 'let', name: r, e: rE }, { k: 'let', name: kk, e: kE }];
      if (!fetch) {
        const dst = isA ? ix.add(ix.mul(ix.v(kk), bm + PAD), ix.v(r)) : ix.add(ix.mul(ix.v(kk), bn), ix.v(r));
        return [...lets, st(isA ? SA : SB, dst, ld(reg, q))];
      }
      const gr = ix.add(isA ? row0 : col0, ix.v(r)), gk = ix.add(ix.mul(step, bk), ix.v(kk));
      const src = isA
        ? ld(s.a, ix.add(ix.add(aBatch, ix.mul(gr, a1)), ix.mul(gk, a2)))
        : ld(s.b, ix.add(ix.add(bBatch, ix.mul(gk, b1)), ix.mul(gr, b2)));
      const inRange = and(full % len ? ix.lt(gr, idxConst(full)) : null, s.kdim % bk ? ix.lt(gk, idxConst(s.kdim)) : null);
      const put = st(reg, q, src);
      return [...lets, inRange ? { k: 'if', c: inRange, then: [put], else: [st(reg, q, constOf(d, 0))] } : put];
    })];
  };
  const fetch = (step: Expr) => [...stage(true, step, true), ...stage(false, step, true)];
  const put = [...stage(true, idxConst(0), false), ...stage(false, idxConst(0), false)];

  const tx = names.fresh('tx'), ty = names.fresh('ty');
  const coords: Stmt[] = [{ k: 'let', name: tx, e: ix.mod(tid, rx) }, { k: 'let', name: ty, e: ix.div(tid, rx) }];
  // Output i of a thread along a tile axis: groups of VEC consecutive elements (one 128-bit
  // shared read), the groups of the threads side by side, then the next group.
  const along = (t: Expr, i: Expr, threads: number): Expr =>
    ix.add(ix.add(ix.mul(t, VEC), ix.mod(i, VEC)), ix.mul(ix.div(i, VEC), threads * VEC));
  const compute: Stmt[] = [
    ...coords,
    loopU('kk', bk, (kk) => [
      loopU('i', tm, (i) => [st(AF, i, ld(SA, ix.add(ix.mul(kk, bm + PAD), along(ix.v(ty), i, ry))))]),
      loopU('j', tn, (j) => [st(BF, j, ld(SB, ix.add(ix.mul(kk, bn), along(ix.v(tx), j, rx))))]),
      loopU('i', tm, (i) => [loopU('j', tn, (j) => {
        const a = ix.add(ix.mul(i, tn), j);
        return [st(ACC, a, fadd(ld(ACC, a), fmul(ld(AF, i), ld(BF, j))))];
      })]),
    ]),
  ];
  const cBase = ix.mul(bz!, s.m * s.n);
  const store: Stmt[] = [
    ...coords,
    loopU('i', tm, (i) => [loopU('j', tn, (j) => {
      const r = ix.add(row0, along(ix.v(ty), i, ry)), c = ix.add(col0, along(ix.v(tx), j, rx));
      const put = st(s.c, ix.add(ix.add(cBase, ix.mul(r, s.n)), c), ld(ACC, ix.add(ix.mul(i, tn), j)));
      const inRange = and(s.m % bm ? ix.lt(r, idxConst(s.m)) : null, s.n % bn ? ix.lt(c, idxConst(s.n)) : null);
      return [inRange ? { k: 'if', c: inRange, then: [put], else: [] } : put];
    })]),
  ];
  // Software pipelining: the next k-step's tiles are fetched into registers before the
  // products of this one, so global latency hides behind the arithmetic.
  const KT = Math.ceil(s.kdim / bk);
  const next = ix.add(ix.v(kt), idxConst(1));
  const body: BlockStmt[] = [
    { k: 'threads', body: [loopU('z', tm * tn, (z) => [st(ACC, z, constOf(d, 0))]), ...fetch(idxConst(0)), ...put] },
    { k: 'barrier' },
    {
      k: 'for', v: kt, n: idxConst(KT),
      body: [
        { k: 'threads', body: [{ k: 'if', c: ix.lt(next, idxConst(KT)), then: fetch(next), else: [] }, ...compute] },
        { k: 'barrier' },
        { k: 'threads', body: put },
        { k: 'barrier' },
      ],
    },
    { k: 'threads', body: store },
  ];
  const grid: [number, number, number] = [Math.ceil(s.n / bn), Math.ceil(s.m / bm), s.batch];
  const extents = [s.batch * s.m * s.n + bm * s.n + bn, (s.m + bm) * Math.max(a1, 1) + (s.kdim + bk) * Math.max(a2, 1) + s.batch * a0, (s.kdim + bk) * Math.max(b1, 1) + (s.n + bn) * Math.max(b2, 1) + s.batch * b0];
  return {
    name, params, shared, locals,
    launch: { grid, block: [T, 1, 1], sharedBytes: 0 },
    index: indexWidth([...params.map((p) => p.size), ...extents]),
    body, unroll, contract: true,
  };
}
