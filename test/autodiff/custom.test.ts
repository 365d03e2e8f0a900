// customJvp / customVjp: user rules replace the derivative, survive tracing, and give clear
// errors where JAX gives them.
import { describe, expect, it } from 'vitest';
import * as k from '../../index.ts';

type T = k.Tensor;
const f64 = (x: number[]) => k.array(x, { dtype: 'f64' });

describe('customJvp', () => {
  // softplus(x) = log(1 + e^x), with derivative sigmoid(x) given by hand.
  const softplus = k.customJvp(
    (x: T) => k.log1p(k.exp(x)),
    ([x], [t]) => [k.log1p(k.exp(x)), t!.mul(k.sigmoid(x!))],
  );
  const x = f64([-2, 0, 3]);

  it('evaluates the function itself', () => {
    expect(softplus(x)).toBeAllclose(k.log1p(k.exp(x)));
  });

  it('gives the rule in forward and reverse mode', () => {
    expect(k.jvp(softplus, [x], [k.onesLike(x)])[1] as T).toBeAllclose(k.sigmoid(x));
    expect(k.grad((v: T) => softplus(v).sum())(x)).toBeAllclose(k.sigmoid(x));
  });

  it('uses the rule, not the body, for the derivative', () => {
    // A deliberately different rule shows which one is used.
    const g = k.customJvp((v: T) => v.mul(v), ([v], [t]) => [v!.mul(v!), t!.mul(7)]);
    expect(k.grad((v: T) => g(v).sum())(x)).toBeAllclose([7, 7, 7]);
  });

  it('composes to second order (hessian of softplus is sigmoid\')', () => {
    const s = k.sigmoid(x);
    const h = k.hessian((v: T) => softplus(v).sum())(x);
    expect(k.sum(h, { axis: 1 })).toBeAllclose(s.mul(k.sub(1, s)), { rtol: 1e-10 });
  });

  it('appears as one equation with regions in the IR', () => {
    const text = String(k.makeIR((v: T) => softplus(v))(k.shapeDtype([3])));
    expect(text).toContain('custom_jvp_call');
    expect(text).toContain('jvp=func @jvp');
    const parsed = k.parseIR(text);
    expect(k.printIR(parsed)).toBe(text);
  });

  it('rejects a rule whose tangent does not match the output', () => {
    const bad = k.customJvp((v: T) => v.sum(), ([v], [t]) => [v!.sum(), t!]);
    expect(() => bad(x)).toThrow(/customJvp: the rule returns f64\[3\] where f returns f64\[\]/);
  });
});

describe('customVjp', () => {
  const x = f64([-3, 0.5, 4]);

  it('clips gradients in the backward pass only', () => {
    const clipGrad = k.customVjp((v: T) => v, (v: T) => [v, null], (_r: null, g: T) => [g.clip(-1, 1)]);
    expect(clipGrad(x)).toBeAllclose(x);
    expect(k.grad((v: T) => clipGrad(v).mul(10).sum())(x)).toBeAllclose([1, 1, 1]);
  });

  it('passes residuals from fwd to bwd, and values bwd closes over', () => {
    const w = f64([2, 3, 4]);
    const scale = k.customVjp(
      (v: T) => v.mul(v),
      (v: T) => [v.mul(v), v],
      (saved: T, g: T) => [g.mul(saved).mul(2).mul(w.div(w))],
    );
    expect(k.grad((v: T) => scale(v).sum())(x)).toBeAllclose(x.mul(2));
  });

  it('works with several arguments, null meaning a zero cotangent', () => {
    const f = k.customVjp((a: T, b: T) => a.mul(b), (a: T, b: T) => [a.mul(b), [a, b]], ([a, b]: T[], g: T) => [g.mul(b!), null]);
    const [ga, gb] = k.grad((a: T, b: T) => f(a, b).sum(), { argnums: [0, 1] })(x, x) as T[];
    expect(ga).toBeAllclose(x);
    expect(gb).toBeAllclose([0, 0, 0]);
  });

  it('forward mode is an error, as in JAX', () => {
    const f = k.customVjp((v: T) => v.sin(), (v: T) => [v.sin(), v], (v: T, g: T) => [g.mul(v.cos())]);
    expect(k.grad((v: T) => f(v).sum())(x)).toBeAllclose(k.cos(x));
    expect(() => k.jvp(f, [x], [k.onesLike(x)])).toThrow(/forward-mode differentiation .* customVjp .* not supported/);
  });
});
