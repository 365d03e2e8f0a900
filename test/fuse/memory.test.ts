// Memory planning: the plan verifies (no two live values share bytes), executing on it with
// freed slots poisoned gives the source function's results, reuse keeps the peak well below
// the sum of all buffers, and donation turns an optimiser update into an in-place write.
import { describe, expect, it } from 'vitest';
import * as k from '../../index.ts';
import { Builder } from '../../compiler/ir/builder.ts';
import { aval, sizeOf, Var, type Func } from '../../compiler/ir/ir.ts';
import { Primitive } from '../../compiler/ir/primitives.ts';
import { optimize } from '../../compiler/passes/index.ts';
import { evalFunc, hostTensor, type HostTensor } from '../../runtime/interp/index.ts';
import { bytesOf, executeFused, fuse, planMemory, type FusedProgram, type MemoryPlan } from '../../compiler/fuse/index.ts';
import { verifyFused, verifyMemoryPlan } from '../../compiler/fuse/verify.ts';

type T = k.Tensor;

function inputsFor(fn: Func): HostTensor[] {
  return fn.inputs.map((v, j) => hostTensor(v.aval.shape, v.aval.dtype, Array.from({ length: sizeOf(v.aval.shape) }, (_, i) => Math.cos(i * 0.37 + j) * 0.5)));
}
const data = (ts: readonly HostTensor[]) => ts.map((t) => Array.from(t.data));

/** Fuses and plans fn; checks the plan and runs the program on it with poisoning. */
function planned(fn: Func, donated?: boolean[]): { p: FusedProgram; plan: MemoryPlan } {
  const p = fuse(fn);
  verifyFused(p);
  const plan = planMemory(p, { donated });
  verifyMemoryPlan(p, plan);
  const ins = inputsFor(fn);
  const want = data(evalFunc(fn, ins));
  expect(data(executeFused(p, ins.map((t) => ({ aval: t.aval, data: t.data.slice() })), { plan, poison: true }))).toEqual(want);
  return { p, plan };
}

/** x -> cumsum(sin(x)) n times: every cumsum needs its operand as a buffer. */
function cumsumChain(n: number): Func {
  const b = new Builder();
  const x = new Var(aval([1024], 'f32'));
  let y = x;
  for (let i = 0; i < n; i++) y = b.emit1(Primitive.Cumsum, { axis: 0, reverse: false }, b.unary(Primitive.Sin, y));
  return b.func('chain', [x], [y]);
}

describe('memory plans', () => {
  it('reuse keeps a long chain to two live intermediates', () => {
    const { p, plan } = planned(cumsumChain(12));
    expect(p.steps).toHaveLength(24);
    const noReuse = [...plan.placements.keys()].reduce((s, v) => s + bytesOf(v), 0);
    expect(plan.arenaBytes).toBe(2 * 4096);
    expect(plan.peakBytes).toBe(4 * 4096);
    expect(plan.peakBytes).toBeLessThan(noReuse / 5);
  });

  it('a poisoned executor catches a plan whose slots overlap while live', () => {
    const { p, plan } = planned(cumsumChain(3));
    // Put every intermediate at offset 0: the run must now differ (or fail), and the verifier must object.
    const bad: MemoryPlan = {
      ...plan,
      placements: new Map([...plan.placements].map(([v, pl]) => [v, pl.kind === 'arena' ? { ...pl, offset: 0 } : pl])),
    };
    expect(() => verifyMemoryPlan(p, bad)).toThrow(/overlapping slots/);
    const fn = cumsumChain(3);
    void fn;
    const ins = inputsFor(p.source!);
    const want = data(evalFunc(p.source!, ins));
    expect(data(executeFused(p, ins, { plan: bad, poison: true }))).not.toEqual(want);
  });

  it('an MLP training step runs on its plan', () => {
    type P = { w1: T; b1: T; w2: T; b2: T };
    const loss = (q: P, x: T, y: T) => {
      const h = k.relu(k.add(k.matmul(x, q.w1), q.b1));
      return k.mean(k.logsumexp(k.add(k.matmul(h, q.w2), q.b2), { axis: 1 }));
    };
    const sgd = (q: P, x: T, y: T) => {
      const g = k.grad(loss)(q, x, y) as P;
      const step = (w: T, d: T) => k.sub(w, k.mul(0.1, d));
      return { w1: step(q.w1, g.w1), b1: step(q.b1, g.b1), w2: step(q.w2, g.w2), b2: step(q.b2, g.b2) };
    };
    const params = { w1: k.shapeDtype([20, 16]), b1: k.shapeDtype([16]), w2: k.shapeDtype([16, 4]), b2: k.shapeDtype([4]) };
    const fn = optimize(k.makeIR(sgd)(params as unknown as P, k.shapeDtype([8, 20]), k.shapeDtype([8, 4])).func);
    const { p, plan } = planned(fn, [true, true, true, true, false, false]);
    // Every new weight is written into its old weight's buffer.
    const donated = p.outputs.map((v) => plan.placements.get(v)!);
    expect(donated.map((pl) => pl.kind)).toEqual(['donated', 'donated', 'donated', 'donated']);
    expect(donated.map((pl) => pl.kind === 'donated' && pl.input)).toEqual([0, 1, 2, 3]);
    expect(plan.outputBytes).toBe(0);
  });

  it('a scan runs its body on the body plan', () => {
    const f = (w: T, xs: T) => k.scan((h: T, x: T): [T, T] => [k.tanh(k.add(k.matmul(h, w), x)), k.cumsum(k.exp(h))], k.zeros([3]), xs);
    const fn = optimize(k.makeIR(f)(k.shapeDtype([3, 3]), k.shapeDtype([7, 3])).func);
    const { plan } = planned(fn);
    expect([...plan.regions.values()]).toHaveLength(1);
  });
});

describe('donation', () => {
  const sgd = () => {
    const b = new Builder();
    const [w, g, lr] = [new Var(aval([64, 32], 'f32')), new Var(aval([64, 32], 'f32')), new Var(aval([], 'f32'))];
    return b.func('sgd', [w, g, lr], [b.sub(w, b.mul(b.broadcast(lr, [64, 32], []), g))]);
  };

  it('w - lr * g writes into w when w is donated', () => {
    const fn = sgd();
    const { p, plan } = planned(fn, [true, false, false]);
    expect(p.steps).toHaveLength(1);
    expect(plan.placements.get(fn.outputs[0]!)).toEqual({ kind: 'donated', index: 0, input: 0, inPlace: true });
    expect(plan.arenaBytes).toBe(0);
    expect(plan.peakBytes).toBe(plan.inputBytes);
    // The executor really writes into the caller's buffer.
    const ins = inputsFor(fn);
    const w = ins[0]!.data;
    const want = evalFunc(fn, ins)[0]!.data;
    const [out] = executeFused(p, ins, { plan });
    expect(out!.data).toBe(w);
    expect(Array.from(w)).toEqual(Array.from(want));
  });

  it('without donation the update gets a buffer of its own', () => {
    const fn = sgd();
    const { plan } = planned(fn);
    expect(plan.placements.get(fn.outputs[0]!)).toEqual({ kind: 'output', index: 0 });
    expect(plan.peakBytes).toBe(plan.inputBytes + bytesOf(fn.outputs[0]!));
  });

  it('an input read after the output is written, or at another index, keeps its buffer', () => {
    const b = new Builder();
    const w = new Var(aval([8, 8], 'f32'));
    const early = b.scale(w, 2); // written by the first kernel, w read again by the cumsum
    const late = b.emit1(Primitive.Cumsum, { axis: 0, reverse: false }, w);
    const fn1 = b.func('early', [w], [early, late]);
    const { plan: p1 } = planned(fn1, [true]);
    expect(p1.placements.get(early)!.kind).toBe('output');
    // The cumsum reads w last, but is no elementwise kernel: no in-place write either.
    expect(p1.placements.get(late)!.kind).toBe('output');

    const b2 = new Builder();
    const x = new Var(aval([8, 8], 'f32'));
    const fn2 = b2.func('transposed', [x], [b2.add(b2.transpose(x, [1, 0]), x)]);
    expect(planned(fn2, [true]).plan.placements.get(fn2.outputs[0]!)!.kind).toBe('output');
  });
});
