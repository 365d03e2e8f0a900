// Dive into Deep Learning, section 2.1 (Data Manipulation), with Kiln tensors.
// Run: npx tsx examples/ch02/data-manipulation.ts
import * as k from 'kiln';

/** Prints a labelled value; tensors print NumPy-style, multi-line ones below their label. */
function show(label: string, value: unknown): void {
  const text = value instanceof k.Tensor ? String(value) : typeof value === 'string' ? value : JSON.stringify(value);
  console.log(text.includes('\n') ? `${label}:\n${text}` : `${label}: ${text}`);
}

// ---- 2.1.1 Getting started
// A vector of the twelve values 0..11, stored as 32-bit floats.
const x = k.arange(12).astype('f32');
show('x', x);
show('x.size (number of elements)', x.size);
show('x.shape', x.shape);

// Reshaping keeps the elements and changes the shape; -1 asks Kiln to infer one dimension.
const X = x.reshape([3, 4]);
show('X = x.reshape([3, 4])', X);
show('x.reshape([-1, 4]) has shape', x.reshape([-1, 4]).shape);
show('x.reshape([3, -1]) has shape', x.reshape([3, -1]).shape);

// Tensors filled with constants, and with random values from a standard normal distribution.
show('zeros([2, 3, 4])', k.zeros([2, 3, 4]));
show('ones([2, 3, 4])', k.ones([2, 3, 4]));
show('random normal [3, 4]', k.random.normal(k.random.key(0), [3, 4]));

// A tensor from nested JS arrays: the outer list holds the rows.
show('from nested lists', k.array([[2, 1, 4, 3], [1, 2, 3, 4], [4, 3, 2, 1]]));

// ---- 2.1.2 Indexing and slicing
// Negative indices count from the end; [start, stop] ranges select a half-open interval.
show('X[-1] (last row)', X.slice(-1));
show('X[1:3] (rows 1 and 2)', X.slice([1, 3]));

// Kiln tensors are immutable: x.at(...).set(v) returns a copy with the indexed part replaced.
const X17 = X.at(1, 2).set(17);
show('X with X[1, 2] = 17', X17);
const X12 = X17.at([null, 2], null).set(12);
show('then X[:2, :] = 12', X12);

// ---- 2.1.3 Operations
// Unary elementwise operations, such as the exponential.
show('exp(x)', k.exp(x));

// Binary elementwise operations on tensors of one shape.
const u = k.array([1.0, 2, 4, 8]);
const v = k.array([2, 2, 2, 2]);
show('u + v', u.add(v));
show('u - v', u.sub(v));
show('u * v', u.mul(v));
show('u / v', u.div(v));
show('u ** v', u.pow(v));

// Concatenation along rows (axis 0) and along columns (axis 1).
const A = k.arange(12).astype('f32').reshape([3, 4]);
const B = k.array([[2.0, 1, 4, 3], [1, 2, 3, 4], [4, 3, 2, 1]]);
show('concatenate([A, B], axis 0)', k.concatenate([A, B], 0));
show('concatenate([A, B], axis 1)', k.concatenate([A, B], 1));

// Elementwise comparison gives a boolean tensor.
show('A == B', A.equal(B));

// Summing every element gives a tensor with a single element.
show('A.sum()', A.sum());

// ---- 2.1.4 Broadcasting
// A 3x1 column and a 1x2 row both stretch to 3x2 before adding.
const col = k.arange(3).reshape([3, 1]);
const row = k.arange(2).reshape([1, 2]);
show('col', col);
show('row', row);
show('col + row', col.add(row));

// ---- 2.1.5 Saving memory
// Each operation makes a new tensor: the old one is untouched and the name now points elsewhere.
let Y = B;
const before = Y;
Y = Y.add(A);
show('after Y = Y + A, is Y the same object as before?', Y === before);
// Writing a result "into" an existing tensor is a functional update of the whole of it.
let Z = k.zerosLike(Y);
Z = Z.at('...').set(A.add(Y));
show('Z after Z[:] = A + Y', Z);

// ---- 2.1.6 Conversion to other JS objects
// Nested JS arrays and back.
const nested = A.toArray();
show('A.toArray()', nested);
// (Kiln has no all(); the minimum of a boolean tensor is true only when every element is.)
show('k.array(A.toArray()) equals A', Boolean(k.array(nested).equal(A).min().item()));
// A flat typed array with the elements in row-major order.
show('A.data()', Array.from(A.data()));
// A one-element tensor converts to a JS number.
const a = k.array([3.5]);
show('a', a);
show('a.item()', a.item());
show('Number(a)', Number(a));
show('Math.trunc(a.item())', Math.trunc(a.item()));
