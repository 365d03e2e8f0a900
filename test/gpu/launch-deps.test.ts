// Launch shapes (grid, block, grid-stride, index width, shared bytes), the dependence analysis
// that decides which loops get a thread per iteration, and the simulator catching mapping bugs.
import { describe, expect, it } from 'vitest';
import { Primitive as P } from '../../compiler/ir/primitives.ts';
import type { Expr, LoopKernel, Stmt } from '../../compiler/lower/loop-ir.ts';
import { indexWidth, linearLaunch, mapLoopKernel, MAX_BLOCKS, sharedBytes, simulateGpuKernel, WARP, type GpuKernel } from '../../compiler/gpu/index.ts';
import { independent } from '../../compiler/gpu/deps.ts';
import { checkMapping } from './harness.ts';

const I = (v: number): Expr => ({ k: 'const', t: 'index', v });
const V = (name: string): Expr => ({ k: 'var', t: 'index', name });
const add = (a: Expr, b: Expr): Expr => ({ k: 'binary', t: 'index', op: P.Add, a, b });
const mul = (a: Expr, c: number): Expr => ({ k: 'binary', t: 'index', op: P.Mul, a, b: I(c) });
const ld = (buf: number, idx: Expr): Expr => ({ k: 'load', t: 'f32', buf, idx });
const st = (buf: number, idx: Expr, e: Expr): Stmt => ({ k: 'store', buf, idx, e });
const fadd = (a: Expr, b: Expr): Expr => ({ k: 'binary', t: 'f32', op: P.Add, a, b });
const loop = (v: string, n: number, body: Stmt[]): Stmt => ({ k: 'for', v, n: I(n), body });
const kernel = (body: Stmt[], n = 64): LoopKernel => ({
  name: 'k',
  params: [{ name: 'x', dtype: 'f32', size: n, role: 'in' }, { name: 'y', dtype: 'f32', size: n, role: 'out' }],
  body,
});

describe('launch shapes', () => {
  it('cover every item once: blocks of at most 256 threads (a warp multiple), grid-stride beyond MAX_BLOCKS', () => {
    for (const n of [0, 1, 31, 32, 33, 255, 256, 257, 1000, 65536 * 256, 65536 * 256 + 1, 3e9]) {
      const l = linearLaunch(n);
      const [gx, gy, gz] = l.launch.grid, [bx, by, bz] = l.launch.block;
      expect([gy, gz, by, bz]).toEqual([1, 1, 1, 1]);
      expect(bx % WARP === 0 && bx <= 256 && bx >= 32).toBe(true);
      expect(gx).toBeLessThanOrEqual(MAX_BLOCKS);
      expect(l.threads).toBe(gx * bx);
      expect(l.threads * l.iterations).toBeGreaterThanOrEqual(n);
      expect(l.threads * (l.iterations - 1)).toBeLessThan(Math.max(n, 1));
      if (n <= 256) expect(gx).toBe(1);
    }
    expect(linearLaunch(100, 64, 1)).toEqual({ launch: { grid: [1, 1, 1], block: [64, 1, 1], sharedBytes: 0 }, threads: 64, iterations: 2 });
  });
  it('index is i32 below 2^31 and i64 from there', () => {
    expect(indexWidth([10, 2 ** 31 - 1])).toBe('i32');
    expect(indexWidth([10, 2 ** 31])).toBe('i64');
    const [g] = mapLoopKernel({ ...kernel([loop('i', 2 ** 31 + 5, [])]), params: [{ name: 'y', dtype: 'f32', size: 2 ** 31 + 5, role: 'out' }] });
    expect(g!.index).toBe('i64');
  });
  it('shared bytes count each shared array in its dtype', () => {
    const g: GpuKernel = { ...mapLoopKernel(kernel([]))[0]!, shared: [{ name: 'a', dtype: 'f32', size: 128 }, { name: 'b', dtype: 'f64', size: 8 }, { name: 'c', dtype: 'bool', size: 3 }] };
    expect(sharedBytes(g)).toBe(128 * 4 + 64 + 3);
  });
});

describe('dependence analysis', () => {
  it('disjoint windows per iteration are independent; overlaps, carried locals and shifted reads are not', () => {
    expect(independent('i', [st(1, V('i'), ld(0, V('i')))])).toBe(true);
    expect(independent('i', [loop('j', 8, [st(1, add(mul(V('i'), 8), V('j')), ld(0, V('j')))])])).toBe(true);
    expect(independent('i', [loop('j', 9, [st(1, add(mul(V('i'), 8), V('j')), ld(0, V('j')))])])).toBe(false); // windows overlap
    expect(independent('i', [st(1, add(V('i'), I(1)), ld(1, V('i')))])).toBe(false); // reads the previous iteration's store
    expect(independent('i', [st(1, I(0), ld(0, V('i')))])).toBe(false); // every iteration writes y[0]
    expect(independent('i', [{ k: 'assign', name: 'acc', e: ld(0, V('i')) }])).toBe(false); // a local of the enclosing code
  });
  it('loops not marked parallel still get one thread per iteration when independent, and nests flatten', () => {
    const k = kernel([loop('i', 8, [loop('j', 8, [st(1, add(mul(V('i'), 8), V('j')), fadd(ld(0, V('j')), ld(0, V('i'))))])])]);
    const [g] = checkMapping(k);
    expect(g!.launch.grid[0] * g!.launch.block[0]).toBeGreaterThanOrEqual(64);
  });
  it('a dependent loop stays on one thread and still computes the right result', () => {
    const k = kernel([st(1, I(0), ld(0, I(0))), loop('i', 63, [st(1, add(V('i'), I(1)), fadd(ld(1, V('i')), ld(0, add(V('i'), I(1)))))])]);
    const gs = checkMapping(k);
    expect(gs.map((g) => g.launch.block[0])).toEqual([1]);
  });
});

describe('the simulator catches mapping bugs', () => {
  it('a missing bound check reads out of bounds; a wrong index gives wrong results', () => {
    const k = kernel([{ k: 'for', v: 'i', n: I(50), parallel: true, body: [st(1, V('i'), ld(0, V('i')))] }], 50);
    const [g] = mapLoopKernel(k);
    const threads = g!.body[0] as Extract<GpuKernel['body'][number], { k: 'threads' }>;
    const unguarded: GpuKernel = { ...g!, body: [{ k: 'threads', body: [threads.body[0]!, st(1, V(threads.body[0]!.k === 'let' ? threads.body[0]!.name : ''), ld(0, V('gpu.tid')))] }] };
    expect(() => simulateGpuKernel(unguarded, [new Float32Array(50), new Float32Array(50)])).toThrow(/out of bounds/);
    const x = Float32Array.from({ length: 50 }, (_, i) => i), y = new Float32Array(50);
    simulateGpuKernel(g!, [x, y]);
    expect(Array.from(y)).toEqual(Array.from(x));
  });
});
