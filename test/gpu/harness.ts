// Differential testing of GPU mappings without a GPU: every kernel of a function is lowered to
// loop IR, mapped to GPU kernels, run on the CPU simulator (compiler/gpu/simulate.ts) and
// compared with the loop-IR interpreter on the same random inputs.
import { expect } from 'vitest';
import * as k from '../../index.ts';
import type { AbstractArgs } from '../../dsl/make-ir.ts';
import { allocHost, type HostArray } from '../../compiler/ir/dtype.ts';
import { fuse } from '../../compiler/fuse/index.ts';
import { optimize } from '../../compiler/passes/index.ts';
import { lowerProgram } from '../../compiler/lower/lower.ts';
import { runLoopKernel } from '../../compiler/lower/interpret.ts';
import type { LoopKernel } from '../../compiler/lower/loop-ir.ts';
import { mapLoopKernel, simulateGpuKernels, type GpuKernel, type MapOptions } from '../../compiler/gpu/index.ts';
import { randomData, rng } from '../lower/harness.ts';

/** The loop kernels of `f` traced on `args` (shapes and dtypes), as compileForCpu lowers them. */
export function loopKernelsOf<A extends unknown[]>(f: (...args: A) => unknown, ...args: AbstractArgs<A>): LoopKernel[] {
  const func = k.makeIR(f)(...args).func;
  return lowerProgram(fuse(optimize(func)));
}

/** Relative tolerance for float outputs (summation order may differ in a mapping). */
export interface SimTol {
  readonly rtol?: number;
}

/**
 * Runs `lk` on the interpreter and its mapping on the simulator on the same random inputs and
 * checks that every written buffer agrees (i32 / bool exactly, floats within rtol, NaN with
 * NaN). Returns the GPU kernels.
 */
export function checkMapping(lk: LoopKernel, seed = 1, tol: SimTol = {}, opts: MapOptions = {}): GpuKernel[] {
  return checkKernels(lk, mapLoopKernel(lk, opts), seed, tol);
}

/** As checkMapping, for GPU kernels made otherwise (`gks` compute `lk`). */
export function checkKernels(lk: LoopKernel, gks: GpuKernel[], seed = 1, tol: SimTol = {}): GpuKernel[] {
  const r = rng(seed);
  const init = lk.params.map((p): HostArray => {
    if (p.role === 'in' || p.role === 'inout') return randomData({ shape: [p.size], dtype: p.dtype }, r);
    const b = allocHost(p.dtype, p.size);
    b.fill(p.dtype === 'i32' ? 0x7f7f7f7f : p.dtype === 'bool' ? 1 : NaN);
    return b;
  });
  const want = init.map((b) => b.slice());
  runLoopKernel(lk, want);
  const got = init.map((b) => b.slice());
  simulateGpuKernels(gks, got);
  const rtol = tol.rtol ?? 0;
  lk.params.forEach((p, i) => {
    if (p.role !== 'out' && p.role !== 'inout') return;
    const g = got[i]!, w = want[i]!;
    const r = p.dtype === 'i32' || p.dtype === 'bool' ? 0 : rtol;
    const bad: string[] = [];
    for (let j = 0; j < w.length; j++) {
      const a = g[j]!, b = w[j]!;
      const ok = Number.isNaN(b) ? Number.isNaN(a) : a === b || Math.abs(a - b) <= r * Math.max(1, Math.abs(b));
      if (!ok && bad.length < 5) bad.push(`[${j}] gpu ${a} vs interp ${b}`);
    }
    expect(bad, `${lk.name} ${p.name}`).toEqual([]);
  });
  return gks;
}
