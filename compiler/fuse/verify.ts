// The verifier of fused programs: what lowering may assume of `fuse`'s result. Checks that
// every kernel func verifies and keeps to its kind's contract (program.ts), that the steps
// bind values of the right types, that every value is written once before it is read (the
// steps are in a topological order), that the outputs are written, and the same for the
// programs of control steps' regions.
import { VerifyError } from '../ir/errors.ts';
import { avalToString, sameAval, type Func, type Var } from '../ir/ir.ts';
import { regionsOf } from '../ir/param-schema.ts';
import { verifyFunc } from '../ir/verify.ts';
import { isPointwise, MATMUL_VIEWS, roleOf } from './classify.ts';
import { bytesOf, type MemoryPlan } from './memory.ts';
import type { FusedProgram, Kernel } from './program.ts';

function kernelProblem(k: Kernel): string | undefined {
  const fn = k.func;
  const roles = fn.eqns.map((e) => roleOf(e.primitive));
  const heavy = fn.eqns.filter((_, i) => roles[i] !== 'ew');
  const isInput = new Set<Var>(fn.inputs);
  switch (k.kind) {
    case 'elementwise': {
      if (heavy.length) return `contains ${heavy[0]!.primitive}`;
      const s = fn.outputs[0]?.aval.shape ?? [];
      if (fn.outputs.some((o) => !sameAval({ shape: s, dtype: o.aval.dtype }, o.aval))) return 'has outputs of different shapes';
      return undefined;
    }
    case 'reduce':
    case 'matmul': {
      if (heavy.length !== 1 || roleOf(heavy[0]!.primitive) !== k.kind) return `must hold exactly one ${k.kind} root, holds ${heavy.map((e) => e.primitive).join(', ') || 'none'}`;
      const root = heavy[0]!;
      if (k.kind === 'matmul' && !root.inputs.every((v) => isViewOf(fn, v, isInput))) return 'dot_general operands must be kernel inputs or views (reshape, transpose, broadcast) of them';
      // Epilogue: everything after the root that depends on it is pointwise at its shape.
      const tainted = new Set<Var>(root.outputs);
      for (const e of fn.eqns.slice(fn.eqns.indexOf(root) + 1)) {
        if (!e.inputs.some((v) => tainted.has(v))) continue;
        if (!isPointwise(e.primitive)) return `epilogue contains ${e.primitive}`;
        e.outputs.forEach((o) => tainted.add(o));
      }
      if (fn.outputs.length !== 1 || !tainted.has(fn.outputs[0]!)) return 'must write exactly its root or its epilogue result';
      return undefined;
    }
    case 'scatter':
    case 'cumsum':
    case 'sort':
      if (fn.eqns.length !== 1 || roles[0] !== k.kind) return `must be exactly one ${k.kind} equation`;
      if (!fn.eqns[0]!.inputs.every((v) => isInput.has(v))) return 'operands must be kernel inputs';
      return undefined;
    default:
      return k.kind satisfies never;
  }
}

/** Throws a VerifyError naming the program, step and fault. */
/** Whether v is a kernel input, or reshapes/transposes/broadcasts of one (strides, not copies). */
function isViewOf(fn: Func, v: Var, isInput: ReadonlySet<Var>): boolean {
  for (let u: Var | undefined = v; u; ) {
    if (isInput.has(u)) return true;
    const e = fn.eqns.find((q) => q.outputs.includes(u!));
    if (!e || !MATMUL_VIEWS.has(e.primitive)) return false;
    u = e.inputs[0];
  }
  return false;
}

export function verifyFused(p: FusedProgram, where = `fused @${p.name}`): void {
  const written = new Set<Var>(p.inputs);
  const names = new Set<string>();
  const fail = (msg: string): never => {
    throw new VerifyError(`${where}: ${msg}`);
  };
  const bind = (what: string, outer: readonly Var[], inner: readonly Var[]) => {
    if (outer.length !== inner.length) fail(`${what}: binds ${outer.length} value(s) to ${inner.length}`);
    outer.forEach((v, i) => sameAval(v.aval, inner[i]!.aval) || fail(`${what}: value ${i} is ${avalToString(v.aval)}, expected ${avalToString(inner[i]!.aval)}`));
  };
  const reads = (what: string, vs: readonly Var[]) => vs.forEach((v, i) => written.has(v) || fail(`${what} reads value ${i} (Var #${v.id}) before it is written`));
  const writes = (what: string, vs: readonly Var[]) =>
    vs.forEach((v) => {
      if (written.has(v)) fail(`${what} writes Var #${v.id} a second time`);
      written.add(v);
    });
  p.steps.forEach((s, i) => {
    if (s.kind === 'kernel') {
      const k = s.kernel;
      const what = `step ${i} (${k.name})`;
      if (names.has(k.name)) fail(`${what}: kernel name repeats`);
      names.add(k.name);
      if (k.func.name !== k.name || !k.name.endsWith(`_${k.kind}`)) fail(`${what}: name does not match its func or kind`);
      try {
        verifyFunc(k.func);
      } catch (e) {
        fail(`${what}: ${e instanceof Error ? e.message : String(e)}`);
      }
      const bad = kernelProblem(k);
      if (bad) fail(`${what}: ${k.kind} kernel ${bad}`);
      bind(`${what} inputs`, s.inputs, k.func.inputs);
      bind(`${what} outputs`, s.outputs, k.func.outputs);
      reads(what, s.inputs);
      writes(what, s.outputs);
    } else {
      const what = `step ${i} (${s.eqn.primitive})`;
      const regions = regionsOf(s.eqn.primitive, s.eqn.params);
      if (regions.length !== s.regions.length) fail(`${what}: has ${s.regions.length} region programs for ${regions.length} regions`);
      regions.forEach((r, j) => {
        const rp = s.regions[j]!;
        bind(`${what} region ${j} inputs`, rp.inputs, r.func.inputs);
        bind(`${what} region ${j} outputs`, rp.outputs, r.func.outputs);
        verifyFused(rp, `${where} ${what} region ${r.param}${r.index === undefined ? '' : `[${r.index}]`}`);
      });
      reads(what, s.eqn.inputs);
      writes(what, s.eqn.outputs);
    }
  });
  reads('the program output', p.outputs);
}

/**
 * Checks a memory plan against its program: every value has a place, arena values are
 * aligned and inside the arena, two arena values whose lifetimes overlap do not overlap in
 * the arena, and an output in a donated input's buffer is written no earlier than the
 * input's last read. Region plans are checked against their programs.
 */
export function verifyMemoryPlan(p: FusedProgram, plan: MemoryPlan, where = `memory plan of @${p.name}`): void {
  const fail = (msg: string): never => {
    throw new VerifyError(`${where}: ${msg}`);
  };
  // Lifetimes recomputed from the steps, not taken from the plan.
  const lives = new Map<Var, { def: number; last: number }>(p.inputs.map((v) => [v, { def: -1, last: -1 }]));
  p.steps.forEach((s, i) => {
    for (const v of s.kind === 'kernel' ? s.inputs : s.eqn.inputs) lives.get(v)!.last = i;
    for (const v of s.kind === 'kernel' ? s.outputs : s.eqn.outputs) lives.set(v, { def: i, last: i });
  });
  const arena: { v: Var; offset: number; bytes: number; def: number; last: number }[] = [];
  for (const [v, life] of lives) {
    const pl = plan.placements.get(v) ?? fail(`Var #${v.id} has no place`);
    if (pl.kind === 'arena') {
      if (pl.offset % plan.alignment || pl.bytes % plan.alignment) fail(`Var #${v.id} is not aligned`);
      if (pl.bytes < bytesOf(v) || pl.offset + pl.bytes > plan.arenaBytes) fail(`Var #${v.id} does not fit its slot`);
      arena.push({ v, offset: pl.offset, bytes: pl.bytes, ...life });
    } else if (pl.kind === 'donated') {
      const x = p.inputs[pl.input] ?? fail(`Var #${v.id} is placed in a missing input`);
      const lx = lives.get(x)!;
      if (lx.last > life.def || (lx.last === life.def) !== pl.inPlace) fail(`Var #${v.id} is written over input ${pl.input} while it is still read`);
      if (bytesOf(x) !== bytesOf(v) || x.aval.dtype !== v.aval.dtype) fail(`Var #${v.id} does not fit input ${pl.input}`);
    }
  }
  arena.sort((a, b) => a.offset - b.offset);
  arena.forEach((a, i) => {
    for (const b of arena.slice(i + 1)) {
      if (b.offset >= a.offset + a.bytes) break;
      if (a.def <= b.last && b.def <= a.last && a.bytes > 0 && b.bytes > 0) fail(`Var #${a.v.id} and Var #${b.v.id} are live at once in overlapping slots`);
    }
  });
  p.steps.forEach((s, i) => {
    if (s.kind === 'control') s.regions.forEach((r, j) => verifyMemoryPlan(r, plan.regions.get(i)![j]!, `${where} step ${i} region ${j}`));
  });
}
