// Dive into Deep Learning, section 2.5 (Automatic Differentiation), with Kiln.
//
// Kiln differentiates functions, as JAX does, rather than recording operations on tensors as
// PyTorch does: `k.grad(f)` is a new function that returns the gradient of f at its argument.
// So there is no requires_grad flag, no backward() call and no .grad field that accumulates
// and has to be zeroed between uses; every call computes a fresh gradient.
// Run: npx tsx examples/ch02/autograd.ts
import * as k from 'kiln';

type T = k.Tensor;

/** Prints a labelled value; tensors print NumPy-style, multi-line ones below their label. */
function show(label: string, value: unknown): void {
  const text = value instanceof k.Tensor ? String(value) : typeof value === 'string' ? value : JSON.stringify(value);
  console.log(text.includes('\n') ? `${label}:\n${text}` : `${label}: ${text}`);
}

// ---- 2.5.1 A simple function
// The function y = 2 x^T x of the vector x = [0, 1, 2, 3], and its gradient 4x.
const x = k.arange(4, { dtype: 'f32' });
show('x', x);
const twiceSquaredNorm = (v: T) => k.mul(2, k.dot(v, v));
show('y = 2 * dot(x, x)', twiceSquaredNorm(x));
const xGrad = k.grad(twiceSquaredNorm)(x) as T;
show('gradient of y', xGrad);
show('gradient of y == 4 * x', xGrad.equal(x.mul(4)));
// A second function of the same x: its gradient is computed on its own (nothing to reset).
show('gradient of sum(x)', k.grad((v: T) => v.sum())(x));

// ---- 2.5.2 Backward for non-scalar variables
// grad needs a scalar output. For a vector output y = x * x, reverse mode takes a cotangent,
// a vector saying how to weigh each output: vjp returns y and a pullback that maps a cotangent
// to the gradient. A cotangent of ones gives the gradient of sum(y), here 2x.
const square = (v: T) => v.mul(v);
const [ySquared, pullback] = k.vjp(square, x);
show('y = x * x', ySquared);
const [viaPullback] = pullback(k.onesLike(ySquared as T)) as T[];
show('vjp of x * x with a cotangent of ones', viaPullback);
show('gradient of sum(x * x)', k.grad((v: T) => square(v).sum())(x));

// ---- 2.5.3 Detaching computation
// stopGradient(v) has v's value but counts as a constant when differentiating. With
// u = stopGradient(x * x) and z = u * x, the gradient of sum(z) is u, not 3 x^2.
const zGrad = k.grad((v: T) => {
  const u = k.stopGradient(v.mul(v));
  const z = u.mul(v);
  return z.sum();
})(x) as T;
const u = x.mul(x);
show('u = x * x', u);
show('gradient of sum(u * x) with u stopped', zGrad);
show('gradient == u', zGrad.equal(u));
// The stop applies only to the path through u: x * x itself still differentiates to 2x.
show('gradient of sum(x * x) == 2 * x', (k.grad((v: T) => v.mul(v).sum())(x) as T).equal(x.mul(2)));

// ---- 2.5.4 Gradients and JavaScript control flow
// Eager differentiation follows the path that JS control flow takes for the given value: the
// while loop's trip count and the branch are decided by the values of this call. (Traced
// abstractly, e.g. by k.makeIR, values are unknown and the function would have to use k.cond
// and k.whileLoop / k.forLoop instead.)
function f(a: T): T {
  let b = a.mul(2);
  while (k.norm(b).item() < 1000) b = b.mul(2);
  const c = b.sum().item() > 0 ? b : b.mul(100);
  return c;
}
// f is linear in a along the path taken (f(a) = m a for some constant m), so its gradient is
// f(a) / a.
const a = k.random.normal(k.random.key(2), []);
const d = f(a);
const aGrad = k.grad(f)(a) as T;
show('a', a);
show('f(a)', d);
show('gradient of f at a', aGrad);
show('f(a) / a', d.div(a));
show('gradient == f(a) / a', k.allclose(aGrad, d.div(a)));
