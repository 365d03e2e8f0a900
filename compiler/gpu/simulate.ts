// A CPU simulator of GPU kernels, for tests: the kernel is rewritten into one loop-IR kernel that
// the reference interpreter (compiler/lower/interpret.ts) runs, so the simulation has exactly the
// interpreter's scalar semantics and bounds checks. Blocks run one after another (in reverse
// order), and within a block every per-thread section runs for all threads (in reverse order)
// before the next block statement: threads are in lockstep between barriers, so a mapping that
// forgets a barrier, or lets threads or blocks depend on each other's order, computes something
// else. Shared arrays and thread locals become scratch buffers (locals get one slot per thread),
// filled with poison (NaN, 0x7f7f7f7f, true) at the start of every block.
import { allocHost, type DType, type HostArray } from '../ir/dtype.ts';
import { KilnError } from '../ir/errors.ts';
import type { Expr, KernelParam, LoopKernel, Stmt } from '../lower/loop-ir.ts';
import { runLoopKernel } from '../lower/interpret.ts';
import { constOf, idxConst } from '../lower/index-exprs.ts';
import { ix } from './expand.ts';
import { BLOCK_VARS, THREAD_VAR, blockThreads, WARP, type BlockStmt, type GpuKernel } from './kernel.ts';

const poison = (d: DType): number => (d === 'i32' ? 0x7f7f7f7f : d === 'bool' ? 1 : NaN);

/** The loop-IR kernel that simulates `k` (parameters: k's, then shared arrays, locals, shuffle temporaries). */
export function simulationKernel(k: GpuKernel): LoopKernel {
  const B = blockThreads(k);
  const np = k.params.length, ns = k.shared.length;
  const localBase = np + ns;
  const params: KernelParam[] = [
    ...k.params,
    ...k.shared.map((a) => ({ name: `shared.${a.name}`, dtype: a.dtype, size: a.size, role: 'scratch' as const })),
    ...k.locals.map((a) => ({ name: `local.${a.name}`, dtype: a.dtype, size: a.size * B, role: 'scratch' as const })),
  ];
  const tmpOf = new Map<DType, number>();
  const tmp = (d: DType): number => {
    let i = tmpOf.get(d);
    if (i === undefined) {
      i = params.length;
      params.push({ name: `shuffle.${d}`, dtype: d, size: B, role: 'scratch' });
      tmpOf.set(d, i);
    }
    return i;
  };
  const tid = ix.v(THREAD_VAR);
  const localSize = (buf: number) => k.locals[buf - localBase]!.size;
  const isLocal = (buf: number) => buf >= localBase && buf < localBase + k.locals.length;

  const expr = (e: Expr): Expr => {
    switch (e.k) {
      case 'const':
      case 'var':
        return e;
      case 'load':
        return { ...e, idx: isLocal(e.buf) ? ix.add(ix.mul(tid, localSize(e.buf)), expr(e.idx)) : expr(e.idx) };
      case 'unary':
      case 'cast':
        return { ...e, a: expr(e.a) };
      case 'binary':
        return { ...e, a: expr(e.a), b: expr(e.b) };
      case 'select':
        return { ...e, c: expr(e.c), a: expr(e.a), b: expr(e.b) };
      case 'threefry':
        return { ...e, k0: expr(e.k0), k1: expr(e.k1), ctr: expr(e.ctr) };
      default:
        return e satisfies never;
    }
  };
  const stmt = (s: Stmt): Stmt => {
    switch (s.k) {
      case 'for':
        if (s.parallel) throw new KilnError(`gpu kernel ${k.name}: parallel loop ${s.v} inside a thread section`);
        return { ...s, n: expr(s.n), body: s.body.map(stmt) };
      case 'let':
      case 'assign':
        return { ...s, e: expr(s.e) };
      case 'decl':
        return { ...s, init: expr(s.init) };
      case 'store':
        return { ...s, idx: isLocal(s.buf) ? ix.add(ix.mul(tid, localSize(s.buf)), expr(s.idx)) : expr(s.idx), e: expr(s.e) };
      case 'if':
        return { ...s, c: expr(s.c), then: s.then.map(stmt), else: s.else.map(stmt) };
      case 'matmul':
      case 'sort':
        throw new KilnError(`gpu kernel ${k.name}: ${s.k} statement inside a thread section`);
      default:
        return s satisfies never;
    }
  };
  /** for every thread (last first): body */
  const threads = (body: readonly Stmt[]): Stmt => ({
    k: 'for', v: 'gpu.t', n: idxConst(B),
    body: [{ k: 'let', name: THREAD_VAR, e: ix.sub(idxConst(B - 1), ix.v('gpu.t')) }, ...body],
  });
  const block = (ss: readonly BlockStmt[]): Stmt[] =>
    ss.flatMap((s): Stmt[] => {
      switch (s.k) {
        case 'threads':
          return [threads(s.body.map(stmt))];
        case 'barrier':
          return [];
        case 'for':
          return [{ k: 'for', v: s.v, n: s.n, body: block(s.body) }];
        case 'shuffle': {
          if (B % WARP !== 0) throw new KilnError(`gpu kernel ${k.name}: shuffle in a block of ${B} threads`);
          if (s.mask <= 0 || s.mask >= WARP || (s.mask & (s.mask - 1)) !== 0) throw new KilnError(`gpu kernel ${k.name}: shuffle mask ${s.mask}`);
          const src = localBase + s.src, dst = localBase + s.dst;
          const d = k.locals[s.src]!.dtype;
          if (k.locals[s.dst]!.dtype !== d) throw new KilnError(`gpu kernel ${k.name}: shuffle between locals of different dtypes`);
          const t = tmp(d);
          // partner = tid XOR mask = tid + mask - 2·mask·((tid / mask) mod 2)
          const partner = ix.sub(ix.add(tid, idxConst(s.mask)), ix.mul(ix.mod(ix.div(tid, s.mask), 2), 2 * s.mask));
          const read: Expr = { k: 'load', t: d, buf: src, idx: ix.add(ix.mul(partner, localSize(src)), idxConst(s.srcIdx)) };
          return [
            threads([{ k: 'store', buf: t, idx: tid, e: read }]),
            threads([{ k: 'store', buf: dst, idx: ix.add(ix.mul(tid, localSize(dst)), idxConst(s.dstIdx)), e: { k: 'load', t: d, buf: t, idx: tid } }]),
          ];
        }
        default:
          return s satisfies never;
      }
    });
  // Poison shared memory and locals at the start of each block.
  const fills: Stmt[] = params.slice(np).map((p, i) => ({
    k: 'for', v: `gpu.fill${i}`, n: idxConst(p.size),
    body: [{ k: 'store', buf: np + i, idx: ix.v(`gpu.fill${i}`), e: constOf(p.dtype, poison(p.dtype)) }],
  }));
  const [gx, gy, gz] = k.launch.grid;
  const body: Stmt = {
    k: 'for', v: BLOCK_VARS[0], n: idxConst(gx), parallel: true,
    body: [{
      k: 'for', v: BLOCK_VARS[1], n: idxConst(gy),
      body: [{ k: 'for', v: BLOCK_VARS[2], n: idxConst(gz), body: [...fills, ...block(k.body)] }],
    }],
  };
  return { name: `${k.name}.sim`, params, body: [body] };
}

/**
 * Runs `k` on the CPU simulator with one buffer per parameter (outputs written in place);
 * scratch parameters missing at the end of `buffers` get fresh poisoned buffers.
 */
export function simulateGpuKernel(k: GpuKernel, buffers: readonly HostArray[]): void {
  const sim = simulationKernel(k);
  const extra = sim.params.slice(buffers.length).map((p) => allocHost(p.dtype, p.size).fill(poison(p.dtype)));
  runLoopKernel(sim, [...buffers, ...extra]);
}

/** Runs consecutive launches (the kernels one loop kernel became) on the same buffers; scratch
 * parameters missing at the end of `buffers` are allocated once for all of them. */
export function simulateGpuKernels(ks: readonly GpuKernel[], buffers: readonly HostArray[]): void {
  const all = [...buffers];
  const params = ks[0]?.params ?? [];
  for (let i = all.length; i < params.length; i++) all.push(allocHost(params[i]!.dtype, params[i]!.size).fill(poison(params[i]!.dtype)));
  for (const k of ks) simulateGpuKernel(k, all);
}
