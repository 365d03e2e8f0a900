// Mapping a loop-IR kernel onto the GPU: its top-level statements are cut into consecutive
// launches (a launch boundary is a grid-wide synchronisation), each mapped on its own:
//   - a loop nest whose outer loops have independent iterations (marked parallel, or shown so
//     by deps.ts): one thread per iteration of those loops, flattened row-major onto a 1-D grid
//     (consecutive threads take consecutive iterations of the innermost of them, so contiguous
//     accesses coalesce), with a bound check (grid-stride beyond MAX_BLOCKS blocks). When only
//     the second loop of a nest is independent (a column reduction accumulating over rows),
//     the two are interchanged: one thread per column runs the rows;
//   - a matrix product: f32 / f64 ones of some size tiled through shared memory with register
//     blocking (matmul.ts), others one thread per output element;
//   - a reduction over long rows (or a whole-kernel accumulation): a block per row, or several
//     blocks and a second launch (reduce.ts); a row of outputs accumulated over long columns:
//     columns across a warp's threads, rows across warps and blocks (columns.ts);
//   - a flat elementwise loop over a multiple of 4 items: 4 consecutive items per thread, so
//     that code generators can use 128-bit accesses (kernel.ts `vector`);
//   - a sort: one thread per sequence;
//   - everything else (serial loops, scalar code) runs as one thread.
// Top-level `let`s are copied into every later launch (they read only constants and
// parameters). A kernel with top-level mutable locals runs whole as one thread, unless it is
// one accumulation (a full reduction: reduce.ts).
import type { DType } from '../ir/dtype.ts';
import type { Expr, LoopKernel, MatmulStmt, SortStmt, Stmt } from '../lower/loop-ir.ts';
import { idxConst, varOf } from '../lower/index-exprs.ts';
import { independent } from './deps.ts';
import { matmulElement, Names, sortSequence, ix } from './expand.ts';
import { BLOCK_VARS, THREAD_VAR, WARP, type BlockStmt, type GpuKernel } from './kernel.ts';
import { matmulTile, tiledMatmul } from './matmul.ts';
import { columnForm, columnKernels, renameExpr, columnScratch, columnShape, type ColumnShape } from './columns.ts';
import { matchReduction, reduceShape, reductionKernels, reductionScratch, type Reduction, type ReduceShape } from './reduce.ts';
import { indexWidth, linearLaunch, SINGLE_THREAD, DEFAULT_BLOCK, MAX_BLOCKS } from './launch.ts';

export interface MapOptions {
  /** Threads per block of one-thread-per-item launches (default DEFAULT_BLOCK). */
  readonly block?: number;
  /** Most blocks of a 1-D launch before threads loop (default MAX_BLOCKS). */
  readonly maxBlocks?: number;
  /** Most threads per block of cooperative launches (reductions, tiled matmul); default
   * `block` when given, at least a warp, else DEFAULT_BLOCK. */
  readonly maxThreads?: number;
  /**
   * Whether launches may use scratch buffers in global memory (default false): parameters
   * appended after the loop kernel's own (role 'scratch', the same list on every launch of
   * the kernel) that the caller allocates; long reductions then use several blocks per row
   * and a second launch.
   */
  readonly scratch?: boolean;
}

type For = Extract<Stmt, { k: 'for' }>;

type Segment =
  /** A column reduction: columns side by side in warps, rows across warps and blocks. */
  | { readonly kind: 'columns'; readonly columns: number; readonly colLets: (col: Expr) => Stmt[]; readonly red: Reduction; readonly shape: ColumnShape }
  /** A reduction with a block (or several) per row. */
  | { readonly kind: 'reduce'; readonly rows: number; readonly rowLets: (row: Expr) => Stmt[]; readonly red: Reduction; readonly shape: ReduceShape }
  /** Threads over the first `depth` loops of `loops` (each the only loop in its parent's body,
   * after lets), or over loops[1] with loops[0] run inside each thread (`interchange`). */
  | { readonly kind: 'nest'; readonly loops: readonly For[]; readonly depth: number; readonly interchange: boolean; readonly lets: readonly Stmt[] }
  | { readonly kind: 'matmul'; readonly s: MatmulStmt }
  | { readonly kind: 'sort'; readonly s: SortStmt }
  | { readonly kind: 'serial'; readonly body: readonly Stmt[] };

/** The kernel's top-level statements grouped into launches. */
function segments(k: LoopKernel): Segment[] {
  if (k.body.some((s) => s.k === 'decl' || s.k === 'assign')) return [{ kind: 'serial', body: k.body }];
  const out: Segment[] = [];
  const lets: Stmt[] = [];
  let serial: Stmt[] | null = null;
  for (const s of k.body) {
    const nest = s.k === 'for' ? nestOf(s) : null;
    if (s.k === 'let') {
      lets.push(s);
      if (serial) serial.push(s);
      continue;
    }
    if (nest || s.k === 'matmul' || s.k === 'sort') {
      serial = null;
      if (s.k === 'matmul') out.push({ kind: 'matmul', s });
      else if (s.k === 'sort') out.push({ kind: 'sort', s });
      else if (nest) out.push({ ...nest, lets: [...lets] });
      continue;
    }
    if (!serial) {
      serial = [...lets];
      out.push({ kind: 'serial', body: serial });
    }
    serial.push(s);
  }
  return out;
}

/** The loops of a nest: each the last statement of its parent's body, after lets only. */
function chainOf(s: For): For[] {
  const chain = [s];
  for (;;) {
    const body = chain[chain.length - 1]!.body;
    const last = body[body.length - 1];
    if (!last || last.k !== 'for' || last.n.k !== 'const' || !body.slice(0, -1).every((b) => b.k === 'let')) return chain;
    chain.push(last);
  }
}

/** How a top-level loop maps onto threads, or null (it runs on one thread). */
function nestOf(s: For): Omit<Extract<Segment, { kind: 'nest' }>, 'lets'> | null {
  if (s.n.k !== 'const') return null;
  const loops = chainOf(s);
  if (s.parallel || independent(s.v, s.body)) {
    let depth = 1;
    while (depth < loops.length && independent(loops[depth]!.v, loops[depth]!.body)) depth++;
    return { kind: 'nest', loops, depth, interchange: false };
  }
  const inner = loops[1];
  if (inner) {
    // The whole nest as the body of a loop over the inner variable.
    const swapped: For = { ...s, body: [...s.body.slice(0, -1), ...inner.body] };
    if (independent(inner.v, [swapped])) return { kind: 'nest', loops, depth: 1, interchange: true };
  }
  return null;
}

/** The GPU kernels (consecutive launches, each taking all of `k`'s parameters) computing `k`. */
export function mapLoopKernel(k: LoopKernel, opts: MapOptions = {}): GpuKernel[] {
  const block = opts.block ?? DEFAULT_BLOCK;
  const maxBlocks = opts.maxBlocks ?? MAX_BLOCKS;
  const maxThreads = opts.maxThreads ?? Math.max(WARP, opts.block ?? DEFAULT_BLOCK);
  const names = new Names();
  const scratchOk = opts.scratch ?? false;
  const whole = columnSegment(k.body, names, maxThreads, scratchOk, () => []);
  const segs = whole ? [whole] : segments(k).map((s) => cooperative(s, k, maxThreads, scratchOk, names));
  // Scratch parameters of every launch, so that all launches take the same buffers.
  const segName = (j: number) => (segs.length === 1 ? k.name : `${k.name}_${j}`);
  const scratch = segs.flatMap((s, j) =>
    s.kind === 'reduce' ? reductionScratch(segName(j), s.red, s.rows, s.shape) : s.kind === 'columns' ? columnScratch(segName(j), s.red, s.columns, s.shape) : []);
  const params = [...k.params, ...scratch];
  const dtypeOf = (b: number): DType => params[b]!.dtype;
  const sizes = params.map((p) => p.size);
  return segs.flatMap((seg, j): GpuKernel[] => {
    const name = segName(j);
    const make = (launch: GpuKernel['launch'], body: readonly BlockStmt[], extents: readonly number[]): GpuKernel => ({
      name, params, shared: [], locals: [], launch, index: indexWidth([...sizes, ...extents]), body,
    });
    switch (seg.kind) {
      case 'columns': {
        const partBase = params.findIndex((p) => p.name === `${name}_part0`);
        return columnKernels({ name, params, partBase, columns: seg.columns, colLets: seg.colLets, red: seg.red, shape: seg.shape }, names);
      }
      case 'reduce': {
        const partBase = params.findIndex((p) => p.name === `${name}_part0`);
        return reductionKernels({ name, params, rows: seg.rows, rowLets: seg.rowLets, red: seg.red, shape: seg.shape, partBase }, names, maxThreads);
      }
      case 'nest':
        return [nestKernel(seg, block, maxBlocks, names, make)];
      case 'matmul': {
        const s = seg.s;
        const tile = matmulTile(s, maxThreads);
        if (tile) return [tiledMatmul(name, params, s, tile, names)];
        return [perItem(s.batch * s.m * s.n, block, maxBlocks, names, (item) => matmulElement(s, item, names), make)];
      }
      case 'sort': {
        const s = seg.s;
        return [perItem(s.outer * s.inner, block, maxBlocks, names, (item) => sortSequence(s, item, names, dtypeOf), make)];
      }
      case 'serial':
        return [make(SINGLE_THREAD, [{ k: 'threads', body: expandHeavy(seg.body, names, dtypeOf) }], [])];
      default:
        return seg satisfies never;
    }
  });
}

/** A segment as a block-per-row reduction when its shape calls for one; else unchanged. */
function cooperative(seg: Segment, k: LoopKernel, maxThreads: number, scratch: boolean, names: Names): Segment {
  if (seg.kind === 'serial' && seg.body === k.body) {
    // A whole-kernel accumulation (a full reduction): one row.
    const red = matchReduction(k.body);
    const shape = red && reduceShape(1, red.length, maxThreads, scratch);
    return red && shape ? { kind: 'reduce', rows: 1, rowLets: () => [], red, shape } : seg;
  }
  if (seg.kind !== 'nest' || seg.interchange || seg.depth !== seg.loops.length) return seg;
  const { loops, depth } = seg;
  const red = matchReduction(loops[depth - 1]!.body);
  const counts = loops.map(tripCount);
  const rows = counts.reduce((a, b) => a * b, 1);
  const shape = red && reduceShape(rows, red.length, maxThreads, scratch);
  const rowLets = (row: Expr): Stmt[] => {
    const out: Stmt[] = [...seg.lets];
    let stride = rows;
    loops.forEach((l, i) => {
      stride /= counts[i]!;
      out.push({ k: 'let', name: l.v, e: i === 0 ? ix.div(row, stride) : ix.mod(ix.div(row, stride), counts[i]!) });
      if (i < depth - 1) out.push(...l.body.slice(0, -1));
    });
    return out;
  };
  if (!red || !shape) {
    // A row of outputs accumulated per iteration: a column reduction over rows × columns.
    const cols = columnSegment(loops[depth - 1]!.body, names, maxThreads, scratch, rowLets, rows);
    return cols ?? seg;
  }
  return { kind: 'reduce', rows, rowLets, red, shape };
}

/** `body` as a column reduction (outer: `rows` iterations bound by `rowLets`), or null. */
function columnSegment(
  body: readonly Stmt[], names: Names, maxThreads: number, scratch: boolean, rowLets: (row: Expr) => Stmt[], rows = 1,
): Segment | null {
  const t = names.fresh('t');
  const form = columnForm(body, t, names);
  if (!form) return null;
  const columns = rows * form.columns;
  const shape = columnShape(columns, form.red.length, maxThreads, scratch);
  if (!shape) return null;
  const T = form.columns;
  const colLets = (col: Expr): Stmt[] => [...rowLets(ix.div(col, T)), { k: 'let', name: t, e: ix.mod(col, T) }];
  return { kind: 'columns', columns, colLets, red: form.red, shape };
}

const tripCount = (l: For): number => (l.n as Extract<Expr, { k: 'const' }>).v;

/** One thread per iteration of the mapped loops of a nest. */
function nestKernel(
  seg: Extract<Segment, { kind: 'nest' }>,
  block: number,
  maxBlocks: number,
  names: Names,
  make: (launch: GpuKernel['launch'], body: readonly BlockStmt[], extents: readonly number[]) => GpuKernel,
): GpuKernel {
  const { loops, depth } = seg;
  if (seg.interchange) {
    const [outer, inner] = [loops[0]!, loops[1]!];
    const swapped: Stmt = { k: 'for', v: outer.v, n: outer.n, body: [...outer.body.slice(0, -1), ...inner.body] };
    return perItem(tripCount(inner), block, maxBlocks, names, (item) => [...seg.lets, { k: 'let', name: inner.v, e: item }, swapped], make);
  }
  const counts = loops.slice(0, depth).map(tripCount);
  const total = counts.reduce((a, b) => a * b, 1);
  const flat = loops[0]!;
  if (depth === 1 && total % VECTOR === 0 && total >= VECTOR * WARP && contiguous(flat.v, flat.body)) {
    // VECTOR consecutive items per thread, so that code generators can use vector accesses:
    // every item's loads first, then the stores (iterations are independent), as a vectoriser
    // cannot move a load above a store that may alias it.
    const k = perItem(total / VECTOR, block, maxBlocks, names, (group) => {
      const lets: Stmt[] = [...seg.lets], stores: Stmt[] = [];
      for (let u = 0; u < VECTOR; u++) {
        const ren = new Map<string, string>([[flat.v, `${flat.v}.u${u}`]]);
        lets.push({ k: 'let', name: ren.get(flat.v)!, e: ix.add(ix.mul(group, VECTOR), idxConst(u)) });
        for (const s of flat.body) {
          if (s.k === 'let') {
            const e = renameExpr(s.e, ren);
            ren.set(s.name, `${s.name}.u${u}`);
            lets.push({ k: 'let', name: ren.get(s.name)!, e });
          } else if (s.k === 'store') {
            const val = names.fresh('val');
            lets.push({ k: 'let', name: val, e: renameExpr(s.e, ren) });
            stores.push({ ...s, idx: renameExpr(s.idx, ren), e: varOf(val, s.e.t) });
          }
        }
      }
      return [...lets, ...stores];
    }, make);
    return { ...k, vector: VECTOR };
  }
  return perItem(total, block, maxBlocks, names, (item) => {
    const out: Stmt[] = [...seg.lets];
    let stride = total;
    loops.slice(0, depth).forEach((l, i) => {
      stride /= counts[i]!;
      const q = i === 0 ? ix.div(item, stride) : ix.mod(ix.div(item, stride), counts[i]!);
      out.push({ k: 'let', name: l.v, e: q });
      // The loop's body: lets, then (unless it is the last mapped loop) the next loop.
      out.push(...(i < depth - 1 ? l.body.slice(0, -1) : l.body.map(unparallel)));
    });
    return out;
  }, make);
}

/** Items per thread of flat elementwise launches (128 bits of f32). */
const VECTOR = 4;

/** Whether a flat loop body over `v` is plain elementwise code storing at element v of a buffer. */
function contiguous(v: string, body: readonly Stmt[]): boolean {
  let store = false;
  for (const s of body) {
    if (s.k === 'store' && s.idx.k === 'var' && s.idx.name === v) store = true;
    else if (s.k !== 'let' && s.k !== 'store') return false;
  }
  return store;
}

const unparallel = (s: Stmt): Stmt => (s.k === 'for' && s.parallel ? { k: 'for', v: s.v, n: s.n, body: s.body } : s);

/** One thread per item < n: `body(item)` behind a bound check, grid-stride when needed. */
function perItem(
  n: number,
  block: number,
  maxBlocks: number,
  names: Names,
  body: (item: Expr) => Stmt[],
  make: (launch: GpuKernel['launch'], body: readonly BlockStmt[], extents: readonly number[]) => GpuKernel,
): GpuKernel {
  const l = linearLaunch(n, block, maxBlocks);
  const b = l.launch.block[0];
  const gid = names.fresh('gid');
  const stmts: Stmt[] = [{ k: 'let', name: gid, e: ix.add(ix.mul(ix.v(BLOCK_VARS[0]), b), ix.v(THREAD_VAR)) }];
  const guarded = (item: Expr): Stmt => ({ k: 'if', c: ix.lt(item, idxConst(n)), then: body(item), else: [] });
  if (l.iterations === 1) stmts.push(guarded(ix.v(gid)));
  else {
    const it = names.fresh('it'), item = names.fresh('item');
    stmts.push({
      k: 'for', v: it, n: idxConst(l.iterations),
      body: [{ k: 'let', name: item, e: ix.add(ix.mul(ix.v(it), l.threads), ix.v(gid)) }, guarded(ix.v(item))],
    });
  }
  return make(l.launch, [{ k: 'threads', body: stmts }], [n, l.threads * l.iterations]);
}

/** Serial code with matmul and sort statements written out as loops over their items. */
function expandHeavy(body: readonly Stmt[], names: Names, dtypeOf: (b: number) => DType): Stmt[] {
  return body.flatMap((s): Stmt[] => {
    switch (s.k) {
      case 'matmul': {
        const v = names.fresh('item');
        return [{ k: 'for', v, n: idxConst(s.batch * s.m * s.n), body: matmulElement(s, ix.v(v), names) }];
      }
      case 'sort': {
        const v = names.fresh('item');
        return [{ k: 'for', v, n: idxConst(s.outer * s.inner), body: sortSequence(s, ix.v(v), names, dtypeOf) }];
      }
      case 'for': // run by one thread: no longer a parallel loop
        return [{ k: 'for', v: s.v, n: s.n, body: expandHeavy(s.body, names, dtypeOf) }];
      case 'if':
        return [{ ...s, then: expandHeavy(s.then, names, dtypeOf), else: expandHeavy(s.else, names, dtypeOf) }];
      default:
        return [s];
    }
  });
}
