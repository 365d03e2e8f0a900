// Differential testing of lowering: lower a function as one kernel, run it with the loop
// interpreter and compare with the graph interpreter (evalFunc) on random inputs.
import { expect } from 'vitest';
import { allocHost, isFloat, type DType, type HostArray } from '../../compiler/ir/dtype.ts';
import { sizeOf, type AVal, type Func } from '../../compiler/ir/ir.ts';
import { convertValue } from '../../compiler/ir/numeric.ts';
import type { Kernel, KernelKind } from '../../compiler/fuse/program.ts';
import { lowerKernel } from '../../compiler/lower/lower.ts';
import { runLoweredKernel } from '../../compiler/lower/interpret.ts';
import { verifyLoopKernel } from '../../compiler/lower/verify.ts';
import type { Expr, LoopKernel, Stmt } from '../../compiler/lower/loop-ir.ts';
import { IndexBuilder } from '../../compiler/lower/index-exprs.ts';
import { printExpr, printLoopKernel } from '../../compiler/lower/print.ts';
import { evalFunc, type HostTensor } from '../../runtime/interp/index.ts';
import { mulberry32 as rng } from '../../bench/rng.ts';

/** The seeded generator of random inputs (mulberry32): uniform floats in [0, 1). */
export { rng };

export interface InputOpts {
  /** Mix in NaN, ±inf, ±0 (floats). */
  special?: boolean;
  /** Integer range for i32 inputs (default [-50, 50]). */
  intRange?: [number, number];
  /** Float range (default [-3, 3]). */
  floatRange?: [number, number];
}

const SPECIAL = [NaN, Infinity, -Infinity, 0, -0, 1, -1, 0.5, -2.5, 2.5];

export function randomData(a: AVal, r: () => number, o: InputOpts = {}): HostArray {
  const n = sizeOf(a.shape);
  const data = allocHost(a.dtype, n);
  const [lo, hi] = o.floatRange ?? [-3, 3];
  const [ilo, ihi] = o.intRange ?? [-50, 50];
  for (let i = 0; i < n; i++) {
    let v: number;
    if (a.dtype === 'bool') v = r() < 0.5 ? 1 : 0;
    else if (a.dtype === 'i32') v = ilo + Math.floor(r() * (ihi - ilo + 1));
    else if (o.special && r() < 0.2) v = SPECIAL[Math.floor(r() * SPECIAL.length)]!;
    else v = lo + r() * (hi - lo);
    data[i] = convertValue(v, a.dtype);
  }
  return data;
}

export function kernelOf(func: Func, kind: KernelKind = 'elementwise', name = 'k0'): Kernel {
  return { name, kind, func };
}

export interface CheckOpts extends InputOpts {
  kind?: KernelKind;
  seed?: number;
  /** Given inputs (else random). */
  inputs?: HostArray[];
  /** Per-input options (else the shared ones). */
  inputOpts?: (InputOpts | undefined)[];
  /** Compare floats with a tolerance (else exactly, NaN equal to NaN, -0 distinct from +0). */
  rtol?: number;
  atol?: number;
  /** Print the kernel (debugging). */
  print?: boolean;
}

function close(a: number, b: number, rtol: number, atol: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (!Number.isFinite(a) || !Number.isFinite(b)) return a === b;
  return Math.abs(a - b) <= atol + rtol * Math.abs(b);
}

/**
 * Checks what lowering promises beyond verifyLoopKernel: names are unique within the kernel,
 * and every idiv / imod has a non-negative dividend (by interval analysis over the loop
 * bounds) and a positive constant divisor, so backends may use unsigned / truncating division.
 */
export function checkLoweringInvariants(lk: LoopKernel): void {
  const ix = new IndexBuilder();
  const names = new Set<string>();
  const name = (n: string) => {
    if (names.has(n)) throw new Error(`${lk.name}: name ${n} defined twice`);
    names.add(n);
  };
  const ex = (e: Expr): void => {
    switch (e.k) {
      case 'const': case 'var': return;
      case 'load': return ex(e.idx);
      case 'unary': case 'cast': return ex(e.a);
      case 'select': ex(e.c); ex(e.a); return ex(e.b);
      case 'threefry': ex(e.k0); ex(e.k1); return ex(e.ctr);
      case 'binary':
        if ((e.op === 'idiv' || e.op === 'imod') && e.t === 'index') {
          const lo = ix.range(e.a)[0];
          if (!(lo >= 0) || e.b.k !== 'const' || !(e.b.v > 0)) throw new Error(`${lk.name}: ${e.op} of ${printExpr(e.a, [])} (from ${lo}) by ${printExpr(e.b, [])}`);
        }
        ex(e.a);
        return ex(e.b);
    }
  };
  const st = (s: Stmt): void => {
    switch (s.k) {
      case 'for':
        name(s.v);
        ex(s.n);
        ix.setRange(s.v, 0, ix.range(s.n)[1] - 1);
        return s.body.forEach(st);
      case 'let':
        name(s.name);
        ex(s.e);
        if (s.e.t === 'index') ix.setRange(s.name, ...ix.range(s.e));
        return;
      case 'decl': name(s.name); return ex(s.init);
      case 'assign': return ex(s.e);
      case 'store': ex(s.idx); return ex(s.e);
      case 'if': ex(s.c); s.then.forEach(st); return s.else.forEach(st);
      default: return;
    }
  };
  lk.body.forEach(st);
}

/** Lowers `func`, checks the kernel, runs both interpreters and compares; returns the kernel. */
export function check(func: Func, o: CheckOpts = {}): LoopKernel {
  const lk = lowerKernel(kernelOf(func, o.kind));
  verifyLoopKernel(lk);
  checkLoweringInvariants(lk);
  if (o.print) console.log(printLoopKernel(lk));
  const r = rng(o.seed ?? 1);
  const inputs = o.inputs ?? func.inputs.map((v, i) => randomData(v.aval, r, { ...o, ...(o.inputOpts?.[i] ?? {}) }));
  const expected = evalFunc(func, func.inputs.map((v, i): HostTensor => ({ aval: v.aval, data: inputs[i]! })));
  for (const order of ['reverse', 'forward'] as const) {
    const got = runLoweredKernel(lk, inputs, { parallelOrder: order });
    expected.forEach((e, j) => {
      const g = got[j]!;
      expect(g.length).toBe(e.data.length);
      const tol = o.rtol !== undefined && isFloat(e.aval.dtype);
      for (let i = 0; i < g.length; i++) {
        const a = g[i]!, b = e.data[i]!;
        const ok = tol ? close(a, b, o.rtol!, o.atol ?? 1e-6) : Object.is(a, b);
        if (!ok) {
          throw new Error(`output ${j} (${e.aval.dtype}[${e.aval.shape}]) element ${i}: got ${a}, expected ${b}\n${printLoopKernel(lk)}`);
        }
      }
    });
  }
  return lk;
}

/** Every statement of a kernel, depth first. */
export function allStmts(ss: readonly Stmt[]): Stmt[] {
  const out: Stmt[] = [];
  const walk = (s: Stmt) => {
    out.push(s);
    if (s.k === 'for') s.body.forEach(walk);
    if (s.k === 'if') { s.then.forEach(walk); s.else.forEach(walk); }
  };
  ss.forEach(walk);
  return out;
}

/** Loop nesting depth of the deepest loop. */
export function loopDepth(ss: readonly Stmt[]): number {
  let m = 0;
  for (const s of ss) if (s.k === 'for') m = Math.max(m, 1 + loopDepth(s.body));
  return m;
}

export type { DType };
