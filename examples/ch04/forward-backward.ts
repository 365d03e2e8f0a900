// Dive into Deep Learning, section 4.7 (5.3 in the newer edition): forward propagation,
// backward propagation and computational graphs. A one-hidden-layer network without biases
// and with an L2 penalty, for a minibatch X of n examples (rows):
//
//   forward:  Z = X W1,  H = φ(Z) (ReLU),  O = H W2,
//             L = mean cross-entropy(O, y),  s = λ/2 (‖W1‖² + ‖W2‖²),  J = L + s
//   backward: ∂J/∂O  = (softmax(O) - onehot(y)) / n
//             ∂J/∂W2 = Hᵀ ∂J/∂O + λ W2
//             ∂J/∂H  = ∂J/∂O W2ᵀ
//             ∂J/∂Z  = ∂J/∂H ⊙ φ'(Z)
//             ∂J/∂W1 = Xᵀ ∂J/∂Z + λ W1
//
// (The book writes column vectors, W1 x; with examples as rows the products turn around.)
// The backward pass reuses Z, H and softmax(O) from the forward pass: that is why training
// keeps the intermediate values and needs more memory than prediction. The gradients worked
// out by hand are checked against k.grad, which derives the same backward pass from the
// forward code.
// Run: npx tsx examples/ch04/forward-backward.ts
import * as k from 'kiln';
import { options } from './common.ts';

type T = k.Tensor;
interface Params {
  W1: T;
  W2: T;
}

const opts = options();
const n = 8, d = 5, h = 4, q = 3, lambda = 0.1;
const [kx, ky, k1, k2] = k.random.split(k.random.key(opts.seed), 4) as [T, T, T, T];
const X = k.random.normal(kx, [n, d]);
const y = k.random.randint(ky, [n], 0, q);
const params: Params = { W1: k.random.normal(k1, [d, h], { std: 0.5 }), W2: k.random.normal(k2, [h, q], { std: 0.5 }) };

// ---- Forward propagation, keeping the intermediate values.
function forward(p: Params) {
  const Z = X.matmul(p.W1);
  const H = k.relu(Z);
  const O = H.matmul(p.W2);
  const L = k.losses.crossEntropy(O, y);
  const s = k.sum(p.W1.mul(p.W1)).add(k.sum(p.W2.mul(p.W2))).mul(lambda / 2);
  return { Z, H, O, L, s, J: L.add(s) };
}
const fw = forward(params);
console.log(`X: [${X.shape}], labels: ${y}`);
console.log(`intermediates kept for the backward pass: Z [${fw.Z.shape}], H [${fw.H.shape}], O [${fw.O.shape}]`);
console.log(`loss L: ${fw.L.item().toFixed(6)}, penalty s: ${fw.s.item().toFixed(6)}, objective J: ${fw.J.item().toFixed(6)}`);

// ---- Backward propagation by hand, from the output towards the input.
function backward(p: Params, f: ReturnType<typeof forward>): Params {
  const probs = k.nn.softmax(f.O);
  const dO = probs.sub(k.oneHot(y, q)).div(n);
  const dW2 = f.H.transpose().matmul(dO).add(p.W2.mul(lambda));
  const dH = dO.matmul(p.W2.transpose());
  const dZ = dH.mul(f.Z.greater(0).astype('f32'));
  const dW1 = X.transpose().matmul(dZ).add(p.W1.mul(lambda));
  return { W1: dW1, W2: dW2 };
}
const byHand = backward(params, fw);

// ---- The same gradient by automatic differentiation.
const auto = k.grad((p: Params) => forward(p).J)(params) as Params;
console.log(`\ndJ/dW2 by hand:\n${byHand.W2}`);
console.log(`dJ/dW2 by k.grad:\n${auto.W2}`);
for (const name of ['W1', 'W2'] as const) {
  const diff = k.max(k.abs(byHand[name].sub(auto[name]))).item();
  console.log(`${name}: max |by hand - k.grad| = ${diff.toExponential(2)}, allclose: ${k.allclose(byHand[name], auto[name], { rtol: 1e-5, atol: 1e-6 })}`);
}

// ---- What k.grad builds: one traced function holding the forward equations, then the
// backward ones. Its matrix products (dot_general) are the two of the forward pass and the
// three of the backward pass above: with Hᵀ (for ∂J/∂W2), with W2ᵀ (for ∂J/∂H) and with Xᵀ
// (for ∂J/∂W1).
const ir = k.makeIR((p: Params) => k.grad((r: Params) => forward(r).J)(p))(params);
const lines = String(ir).split('\n').filter((l) => /^\s+%\d+ = /.test(l));
console.log(`\nthe gradient function as IR: ${lines.length} equations; its matrix products:`);
for (const l of lines.filter((l) => l.includes('dot_general'))) console.log(l.replace(/\s+loc\(.*\)$/, ''));
