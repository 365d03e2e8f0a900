// A short tour of Kiln: tensors, a few operations, and tracing a function to IR.
// Run: npx tsx examples/ch02/quickstart.ts
import * as k from 'kiln';

// Tensors from ranges and nested arrays; shapes follow NumPy.
const x = k.arange(6).astype('f32').reshape([2, 3]);
const w = k.array([[1, 0], [0, 1], [1, 1]]);
console.log(`x, shape [${x.shape}]:\n${x}`);

// Elementwise math with broadcasting, reductions, and a matrix product.
console.log(`x * 10 + 1:\n${x.mul(10).add(1)}`);
console.log(`column sums: ${x.sum({ axis: 0 })}, row means: ${x.mean({ axis: 1 })}`);
console.log(`x @ w:\n${x.matmul(w)}`);

// Random numbers come from explicit keys, as in JAX.
const [k1, k2] = k.random.split(k.random.key(0), 2);
console.log(`uniform samples: ${k.random.uniform(k1, [4])}`);
console.log(`normal samples: ${k.random.normal(k2, [4])}`);

// Trace a function to IR: only the arguments' shapes and dtypes matter, not their values.
const predict = (w: k.Tensor, b: k.Tensor, inputs: k.Tensor) => k.tanh(inputs.matmul(w).add(b));
const ir = k.makeIR(predict)(w, k.zeros([2]), x);
console.log(String(ir));

console.log('quickstart ok');
