// Kernel counts of typical patterns, so that fusion cannot regress silently. Every program is
// also verified (verifyFused) and executed kernel by kernel with the reference interpreter,
// which must give exactly the results of evaluating the optimised function: fusion only
// regroups equations, so even recomputed values are bit-identical.
import { describe, expect, it } from 'vitest';
import * as k from '../../index.ts';
import type { Func } from '../../compiler/ir/ir.ts';
import { Primitive } from '../../compiler/ir/primitives.ts';
import { optimize } from '../../compiler/passes/index.ts';
import { evalFunc, hostTensor, type HostTensor } from '../../runtime/interp/index.ts';
import { executeFused, fuse, type FusedProgram, type KernelKind } from '../../compiler/fuse/index.ts';
import { verifyFused } from '../../compiler/fuse/verify.ts';

type T = k.Tensor;

/** Deterministic inputs in [-2, 2) (integers in [0, 4) for i32). */
function inputsFor(fn: Func, seed = 1): HostTensor[] {
  let s = seed >>> 0;
  const rnd = () => ((s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32);
  return fn.inputs.map((v) => {
    const n = v.aval.shape.reduce((a, b) => a * b, 1);
    const vals = Array.from({ length: n }, () => (v.aval.dtype === 'i32' ? Math.floor(rnd() * 4) : v.aval.dtype === 'bool' ? Number(rnd() < 0.5) : rnd() * 4 - 2));
    return hostTensor(v.aval.shape, v.aval.dtype, vals);
  });
}

/** Fuses fn, verifies the program and checks it computes what fn computes. */
function fuseChecked(fn: Func): FusedProgram {
  const p = fuse(fn);
  verifyFused(p);
  const ins = inputsFor(fn);
  const want = evalFunc(fn, ins).map((t) => Array.from(t.data));
  const got = executeFused(p, ins).map((t) => Array.from(t.data));
  expect(got).toEqual(want);
  return p;
}

function traced(f: (...args: never[]) => unknown, ...args: unknown[]): Func {
  return optimize(k.makeIR(f as (...a: unknown[]) => unknown)(...args).func, { verify: true });
}

const kinds = (p: FusedProgram): (KernelKind | 'control')[] => p.steps.map((s) => (s.kind === 'kernel' ? s.kernel.kind : 'control'));
const kernelsOf = (p: FusedProgram) => p.steps.flatMap((s) => (s.kind === 'kernel' ? [s.kernel] : []));
const prims = (fn: Func) => fn.eqns.map((e) => e.primitive);
const sd = (...shape: number[]) => k.shapeDtype(shape);

describe('kernel counts of typical patterns', () => {
  it('a chain of 10 elementwise ops with broadcasts and transposes is one kernel', () => {
    const f = (x: T, b: T) => {
      let y = k.add(x, b); // broadcast [3] -> [4,3]
      y = k.sin(y);
      y = k.transpose(y); // [3,4]
      y = k.mul(y, 2);
      y = k.exp(y);
      y = k.sub(y, k.reshape(b, [3, 1])); // broadcast along the other axis
      y = k.tanh(y);
      y = k.transpose(y);
      y = k.maximum(y, x);
      y = k.div(y, 3);
      return k.neg(y);
    };
    const p = fuseChecked(traced(f, sd(4, 3), sd(3)));
    expect(kinds(p)).toEqual(['elementwise']);
  });

  it('softmax over the last axis: max-reduce, exp-sum-reduce, normalise', () => {
    const softmax = (x: T) => {
      const e = k.exp(k.sub(x, k.max(x, { axis: -1, keepdims: true })));
      return k.div(e, k.sum(e, { axis: -1, keepdims: true }));
    };
    const p = fuseChecked(traced(softmax, sd(8, 16)));
    expect(kinds(p)).toEqual(['reduce', 'reduce', 'elementwise']);
    // exp is cheap: recomputed by the normalising kernel instead of materialised.
    const [, sum, norm] = kernelsOf(p);
    expect(prims(sum!.func)).toContain(Primitive.Exp);
    expect(prims(norm!.func)).toContain(Primitive.Exp);
  });

  it('layer norm: mean, variance, normalise + scale and shift', () => {
    const layerNorm = (x: T, g: T, b: T) => {
      const mu = k.mean(x, { axis: -1, keepdims: true });
      const xc = k.sub(x, mu);
      const v = k.mean(k.mul(xc, xc), { axis: -1, keepdims: true });
      return k.add(k.mul(k.div(xc, k.sqrt(k.add(v, 1e-5))), g), b);
    };
    const p = fuseChecked(traced(layerNorm, sd(6, 10), sd(10), sd(10)));
    // The sum of x; the sum of squares of x - mean (recomputing the mean's division in its
    // prologue: keepdims reshapes the sum, so the division is no epilogue); everything else.
    expect(kinds(p)).toEqual(['reduce', 'reduce', 'elementwise']);
  });

  it('matmul + bias + relu is one matmul kernel with its epilogue', () => {
    const f = (x: T, w: T, b: T) => k.relu(k.add(k.matmul(x, w), b));
    const p = fuseChecked(traced(f, sd(5, 4), sd(4, 3), sd(3)));
    expect(kinds(p)).toEqual(['matmul']);
    expect(prims(kernelsOf(p)[0]!.func)).toEqual([Primitive.DotGeneral, Primitive.BroadcastInDim, Primitive.Add, Primitive.Constant, Primitive.Max]);
  });

  describe('an MLP 784-256-10 training step (softmax cross-entropy)', () => {
    type P = { w1: T; b1: T; w2: T; b2: T };
    const loss = (p: P, x: T, y: T) => {
      const h = k.relu(k.add(k.matmul(x, p.w1), p.b1));
      const logits = k.add(k.matmul(h, p.w2), p.b2);
      return k.mean(k.sub(k.logsumexp(logits, { axis: 1 }), k.sum(k.mul(logits, y), { axis: 1 })));
    };
    const params = { w1: sd(784, 256), b1: sd(256), w2: sd(256, 10), b2: sd(10) };

    it('loss and gradients: 15 kernels', () => {
      const step = (p: P, x: T, y: T) => k.valueAndGrad(loss)(p, x, y);
      const p = fuseChecked(traced(step, params, sd(32, 784), sd(32, 10)));
      // Forward: x@w1+b1 (matmul, epilogue bias; the pre-activation is kept for relu's
      // derivative), relu (materialised: a matmul operand), h@w2+b2 (matmul + bias), then
      // logsumexp's max (reduce) and sum of exp (reduce, exp in its prologue); the picked logit
      // sum (reduce) whose epilogue also subtracts it from logsumexp; the mean (reduce + /32).
      // Backward: two row sums of logsumexp's derivative (the argmax-tie count of max and the
      // exp-weighted sum, both reduces with prologues and epilogues); the logits' cotangent
      // (elementwise, materialised: a matmul operand); db2 (reduce), dw2 (matmul), dh (matmul),
      // whose epilogue applies relu's derivative (a select on the pre-activation) and so gives
      // the pre-activation cotangent, db1 (reduce), dw1 (matmul; its transpose is folded into
      // swapped operands). 5 matmuls, 8 reduces, 2 elementwise.
      expect(kinds(p).filter((x) => x === 'matmul')).toHaveLength(5);
      expect(kinds(p).filter((x) => x === 'reduce')).toHaveLength(8);
      expect(kinds(p).filter((x) => x === 'elementwise')).toHaveLength(2);
      expect(p.steps).toHaveLength(15);
    });

    it('gradients only: 13 kernels', () => {
      // Without the loss value, the picked-logit sum and the mean are dead.
      const p = fuseChecked(traced((q: P, x: T, y: T) => k.grad(loss)(q, x, y), params, sd(32, 784), sd(32, 10)));
      expect(kinds(p)).toEqual(['matmul', 'elementwise', 'matmul', 'reduce', 'reduce', 'reduce', 'reduce', 'elementwise', 'reduce', 'matmul', 'matmul', 'reduce', 'matmul']);
    });
  });

  it('a scan step: the loop stays on the host, its body is fused', () => {
    const f = (w: T, xs: T) =>
      k.scan(
        (h: T, x: T): [T, T] => {
          const hn = k.tanh(k.add(k.matmul(h, w), x));
          return [hn, k.sum(k.mul(hn, hn))];
        },
        k.zeros([3]),
        xs,
      );
    const p = fuseChecked(traced(f, sd(3, 3), sd(8, 3)));
    const ctl = p.steps.find((s) => s.kind === 'control');
    expect(ctl?.kind === 'control' && ctl.eqn.primitive).toBe(Primitive.Scan);
    const body = ctl!.kind === 'control' ? ctl!.regions[0]! : undefined;
    // h@w with the add and tanh as epilogue, then the sum of squares.
    expect(kinds(body!)).toEqual(['matmul', 'reduce']);
  });

  it('cond and while_loop regions are fused programs too', () => {
    const f = (x: T, i: T) => {
      const y = k.switchCase(i, [(a: T) => k.exp(k.sin(a)), (a: T) => k.mul(k.sum(a, { axis: 0, keepdims: true }), a)], x);
      return k.whileLoop(
        ([c, v]: [T, T]) => k.less(c, 3),
        ([c, v]: [T, T]): [T, T] => [k.add(c, 1), k.tanh(k.mul(v, 2))],
        [k.zeros([], 'i32'), y] as [T, T],
      )[1];
    };
    const fn = traced(f, sd(4, 2), k.shapeDtype([], 'i32'));
    const p = fuseChecked(fn);
    // The loop's initial counter is a constant that must be a buffer.
    expect(kinds(p)).toEqual(['control', 'elementwise', 'control']);
    const [c, , w] = p.steps;
    expect(c!.kind === 'control' && c!.regions.map(kinds)).toEqual([['elementwise'], ['reduce', 'elementwise']]);
    // The body's two carries have different shapes: two elementwise kernels.
    expect(w!.kind === 'control' && w!.regions.map(kinds)).toEqual([['elementwise'], ['elementwise', 'elementwise']]);
  });
});
