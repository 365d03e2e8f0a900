// The fused-program verifier rejects what lowering could not run.
import { describe, expect, it } from 'vitest';
import { Builder } from '../../compiler/ir/builder.ts';
import { aval, Var, type Func } from '../../compiler/ir/ir.ts';
import { Primitive } from '../../compiler/ir/primitives.ts';
import { fuse, type FusedProgram, type Step } from '../../compiler/fuse/index.ts';
import { verifyFused } from '../../compiler/fuse/verify.ts';

function softmaxLike(): Func {
  const b = new Builder();
  const x = new Var(aval([2, 3], 'f32'));
  const m = b.emit1(Primitive.ReduceMax, { axes: [1] }, x);
  const e = b.unary(Primitive.Exp, b.sub(x, b.broadcast(m, [2, 3], [0])));
  return b.func('f', [x], [b.div(e, b.broadcast(b.reduceSum(e, [1]), [2, 3], [0]))]);
}

const withSteps = (p: FusedProgram, steps: Step[]): FusedProgram => ({ ...p, steps });

describe('verifyFused', () => {
  it('accepts what fuse makes', () => {
    expect(() => verifyFused(fuse(softmaxLike()))).not.toThrow();
  });

  it('rejects steps out of order, repeated writes and missing outputs', () => {
    const p = fuse(softmaxLike());
    expect(() => verifyFused(withSteps(p, [...p.steps].reverse()))).toThrow(/before it is written/);
    expect(() => verifyFused(withSteps(p, [...p.steps, p.steps[2]!]))).toThrow(/name repeats|second time/);
    expect(() => verifyFused(withSteps(p, p.steps.slice(0, 2)))).toThrow(/program output/);
  });

  it('rejects a kernel that breaks its kind', () => {
    const p = fuse(softmaxLike());
    const s = p.steps[0]!;
    if (s.kind !== 'kernel') throw new Error('expected a kernel');
    const asElementwise: Step = { ...s, kernel: { ...s.kernel, kind: 'elementwise', name: 'k0_elementwise', func: { ...s.kernel.func, name: 'k0_elementwise' } } };
    expect(() => verifyFused(withSteps(p, [asElementwise, ...p.steps.slice(1)]))).toThrow(/elementwise kernel contains reduce_max/);
  });
});
