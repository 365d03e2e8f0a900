// Dive into Deep Learning, section 2.3 (Linear Algebra), with Kiln tensors.
// Run: npx tsx examples/ch02/linear-algebra.ts
import * as k from 'kiln';

/** Prints a labelled value; tensors print NumPy-style, multi-line ones below their label. */
function show(label: string, value: unknown): void {
  const text = value instanceof k.Tensor ? String(value) : typeof value === 'string' ? value : JSON.stringify(value);
  console.log(text.includes('\n') ? `${label}:\n${text}` : `${label}: ${text}`);
}

// ---- 2.3.1 Scalars
// Zero-dimensional tensors and the four arithmetic operations (plus exponentiation).
const s = k.array(3.0);
const t = k.array(2.0);
show('s + t', s.add(t));
show('s * t', s.mul(t));
show('s / t', s.div(t));
show('s ** t', s.pow(t));

// ---- 2.3.2 Vectors
// A vector is a one-dimensional tensor; its length is its only dimension.
const x = k.arange(3);
show('x', x);
show('x[2]', x.slice(2));
show('length of x', x.shape[0]);
show('x.shape', x.shape);

// ---- 2.3.3 Matrices
// Rows and columns; the transpose swaps them.
const A = k.arange(6).reshape([3, 2]);
show('A', A);
show('A.T', A.T);
// A symmetric matrix equals its transpose.
const S = k.array([[1, 2, 3], [2, 0, 4], [3, 4, 5]]);
show('S == S.T', S.equal(S.T));
// Kiln has no all(); the minimum of a boolean tensor is true only when every element is.
show('S is symmetric', Boolean(S.equal(S.T).min().item()));

// ---- 2.3.4 Tensors
// Higher-order tensors, e.g. channels x height x width.
show('arange(24).reshape([2, 3, 4])', k.arange(24).reshape([2, 3, 4]));

// ---- 2.3.5 Basic properties of tensor arithmetic
// Elementwise operations keep the shape.
const M = k.arange(6).astype('f32').reshape([2, 3]);
const N = M; // tensors are immutable, so sharing one is as good as a copy
show('M', M);
show('M + N', M.add(N));
// The elementwise (Hadamard) product.
show('M * N (Hadamard)', M.mul(N));
// Adding or multiplying by a scalar touches every element and keeps the shape.
const a = 2;
const X = k.arange(24).reshape([2, 3, 4]);
show('a + X', X.add(a));
show('(a * X).shape', X.mul(a).shape);

// ---- 2.3.6 Reduction
// The sum of all elements.
const v = k.arange(3).astype('f32');
show('v', v);
show('v.sum()', v.sum());
show('M.shape', M.shape);
show('M.sum()', M.sum());
// Reducing along one axis removes that axis from the shape.
show('M.sum(axis 0)', M.sum({ axis: 0 }));
show('M.sum(axis 0).shape', M.sum({ axis: 0 }).shape);
show('M.sum(axis 1)', M.sum({ axis: 1 }));
show('M.sum(axis 1).shape', M.sum({ axis: 1 }).shape);
// Reducing along both axes is the same as summing everything.
show('M.sum(axes [0, 1]) == M.sum()', M.sum({ axis: [0, 1] }).equal(M.sum()));
// The mean, directly and as sum divided by count.
show('M.mean()', M.mean());
show('M.sum() / M.size', M.sum().div(M.size));
show('M.mean(axis 0)', M.mean({ axis: 0 }));
show('M.sum(axis 0) / M.shape[0]', M.sum({ axis: 0 }).div(M.shape[0]!));

// ---- 2.3.7 Non-reduction sum
// keepdims keeps the reduced axis with size 1, so the result broadcasts against the input.
const rowSums = M.sum({ axis: 1, keepdims: true });
show('M.sum(axis 1, keepdims)', rowSums);
show('its shape', rowSums.shape);
show('M / M.sum(axis 1, keepdims) (rows sum to 1)', M.div(rowSums));
// The running sum down the rows.
show('M.cumsum(axis 0)', M.cumsum(0));

// ---- 2.3.8 Dot products
const y = k.ones([3]);
show('v', v);
show('y', y);
show('dot(v, y)', k.dot(v, y));
// The same as summing the elementwise product.
show('sum(v * y)', v.mul(y).sum());

// ---- 2.3.9 Matrix-vector products
// M has shape [2, 3], v has shape [3]: the product has shape [2].
show('M.shape, v.shape', [M.shape, v.shape]);
show('matmul(M, v)', k.matmul(M, v));
show('M.matmul(v) (the @ operator)', M.matmul(v));

// ---- 2.3.10 Matrix-matrix multiplication
const B = k.ones([3, 4]);
show('matmul(M, B)', k.matmul(M, B));
show('M.matmul(B) (the @ operator)', M.matmul(B));

// ---- 2.3.11 Norms
const u = k.array([3.0, -4.0]);
// The L2 norm: square root of the sum of squares.
show('L2 norm of u', k.norm(u));
// The L1 norm: sum of absolute values.
show('L1 norm of u', u.abs().sum());
show('L1 norm of u (ord 1)', k.norm(u, { ord: 1 }));
// The Frobenius norm of a matrix: the L2 norm of all its elements.
show('Frobenius norm of ones([4, 9])', k.norm(k.ones([4, 9])));
