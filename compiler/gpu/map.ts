// Mapping a loop-IR kernel onto the GPU: its top-level statements are cut into consecutive
// launches (a launch boundary is a grid-wide synchronisation), each mapped on its own:
//   - a loop nest whose outer loops have independent iterations (marked parallel, or shown so
//     by deps.ts): one thread per iteration of those loops, flattened row-major onto a 1-D grid
//     (consecutive threads take consecutive iterations of the innermost of them, so contiguous
//     accesses coalesce), with a bound check (grid-stride beyond MAX_BLOCKS blocks). When only
//     the second loop of a nest is independent (a column reduction accumulating over rows),
//     the two are interchanged: one thread per column runs the rows;
//   - a matrix product: one thread per output element;
//   - a sort: one thread per sequence;
//   - everything else (serial loops, scalar code) runs as one thread.
// Top-level `let`s are copied into every later launch (they read only constants and
// parameters). A kernel with top-level mutable locals runs whole as one thread.
import type { DType } from '../ir/dtype.ts';
import type { Expr, LoopKernel, MatmulStmt, SortStmt, Stmt } from '../lower/loop-ir.ts';
import { idxConst } from '../lower/index-exprs.ts';
import { independent } from './deps.ts';
import { matmulElement, Names, sortSequence, ix } from './expand.ts';
import { BLOCK_VARS, THREAD_VAR, type BlockStmt, type GpuKernel } from './kernel.ts';
import { indexWidth, linearLaunch, SINGLE_THREAD, DEFAULT_BLOCK, MAX_BLOCKS } from './launch.ts';

export interface MapOptions {
  /** Threads per block of one-thread-per-item launches (default DEFAULT_BLOCK). */
  readonly block?: number;
  /** Most blocks of a 1-D launch before threads loop (default MAX_BLOCKS). */
  readonly maxBlocks?: number;
}

type For = Extract<Stmt, { k: 'for' }>;

type Segment =
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
  const segs = segments(k);
  const block = opts.block ?? DEFAULT_BLOCK;
  const maxBlocks = opts.maxBlocks ?? MAX_BLOCKS;
  const names = new Names();
  const dtypeOf = (b: number): DType => k.params[b]!.dtype;
  const sizes = k.params.map((p) => p.size);
  return segs.map((seg, j) => {
    const name = segs.length === 1 ? k.name : `${k.name}_${j}`;
    const make = (launch: GpuKernel['launch'], body: readonly BlockStmt[], extents: readonly number[]): GpuKernel => ({
      name, params: k.params, shared: [], locals: [], launch, index: indexWidth([...sizes, ...extents]), body,
    });
    switch (seg.kind) {
      case 'nest':
        return nestKernel(seg, block, maxBlocks, names, make);
      case 'matmul': {
        const s = seg.s;
        return perItem(s.batch * s.m * s.n, block, maxBlocks, names, (item) => matmulElement(s, item, names), make);
      }
      case 'sort': {
        const s = seg.s;
        return perItem(s.outer * s.inner, block, maxBlocks, names, (item) => sortSequence(s, item, names, dtypeOf), make);
      }
      case 'serial':
        return make(SINGLE_THREAD, [{ k: 'threads', body: expandHeavy(seg.body, names, dtypeOf) }], []);
      default:
        return seg satisfies never;
    }
  });
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
