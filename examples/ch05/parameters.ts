// Dive into Deep Learning, section 5.2 (Parameter Management), with Kiln.
//
// A module's parameters are immutable tensors held by path: `net.params()` is a flat record
// ('0.weight', '0.bias', ...), `net.paramTree()` the same nested ({ '0': { weight, bias } }),
// `net.getParam(path)` one of them. Tensors carry no `.grad` field: gradients come from
// `k.grad` over the parameter tree, as a tree of the same shape. Changing a parameter means
// replacing it: `initParam` re-draws one with an initialiser, `setParams` installs new values.
// Run: npx tsx examples/ch05/parameters.ts
import * as k from 'kiln';
import { nn } from 'kiln';

type T = k.Tensor;
type LinearGrads = { weight: T; bias: T };

/** Prints a labelled value; tensors print NumPy-style, multi-line ones below their label. */
function show(label: string, value: unknown): void {
  const text = value instanceof k.Tensor ? String(value) : typeof value === 'string' ? value : JSON.stringify(value);
  console.log(text.includes('\n') ? `${label}:\n${text}` : `${label}: ${text}`);
}

/** Whether a boolean tensor is true everywhere, as a JS boolean. */
const holds = (t: T): boolean => t.all().item() !== 0;

nn.manualSeed(0);

// A one-hidden-layer MLP on a batch of two examples with four features.
const net = new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Linear(8, 1));
const X = k.random.uniform(k.random.key(1), [2, 4]);
show('net(X) shape', net.call(X).shape);

// ---- 5.2.1 Parameter access
// One layer's parameters, by indexing the Sequential: names are relative to that layer.
const out = net.at(2);
show('params of layer 2', Object.entries(out.params()).map(([name, t]) => `${name} ${t.dtype}[${t.shape}]`));
// One parameter by its full path; it is an ordinary tensor.
const bias2 = net.getParam('2.bias');
show('2.bias', bias2);
show('2.bias is a Tensor', bias2 instanceof k.Tensor);
show('2.bias dtype, shape', `${bias2.dtype} [${bias2.shape}]`);

// A parameter's gradient: differentiate a loss with respect to the whole parameter tree.
// The result is a tree shaped like paramTree(); nothing is stored on the parameters.
const loss = (p: nn.ParamTree) => net.apply(p, X).pow(2).sum();
const grads = k.grad(loss)(net.paramTree()) as Record<string, LinearGrads>;
show('gradient tree keys', Object.keys(grads));
show('gradient of 2.weight shape', grads['2']!.weight.shape);
show('gradient of 2.bias', grads['2']!.bias);
// Check by hand: the loss is sum(y^2) with y = h w + b, so its derivative in b is 2 sum(y).
show('gradient of 2.bias == 2 * sum(net(X))', k.allclose(grads['2']!.bias, net.call(X).sum().mul(2), { atol: 1e-6 }));

// All parameters at once, by iterating.
for (const [path, t] of net.namedParams()) show(`param ${path}`, `${t.dtype}[${t.shape}]`);
show('paramTree() keys', Object.keys(net.paramTree()));
show('parameter count', net.paramCount());

// Parameters of nested blocks get nested paths.
const block = (): nn.Sequential => new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Linear(8, 4), new nn.ReLU());
const blocks = new nn.Sequential();
for (let i = 0; i < 4; i++) blocks.add(block());
const rgnet = new nn.Sequential(blocks, new nn.Linear(4, 1));
show('rgnet(X) shape', rgnet.call(X).shape);
show('rgnet structure', rgnet.toString());
show('rgnet 0.1.0.bias (block 1, first layer)', rgnet.getParam('0.1.0.bias'));
show('rgnet parameter count', rgnet.paramCount());

// ---- 5.2.2 Parameter initialisation
// Built-in initialisers: every Linear weight from N(0, 0.01^2), every bias zero.
// namedModules() walks the whole tree; initParam re-draws one parameter in place.
function initAll(m: nn.AnyModule, weight: nn.Initializer, bias: nn.Initializer): void {
  for (const [, sub] of m.namedModules()) {
    if (sub instanceof nn.Linear) {
      sub.initParam('weight', weight);
      sub.initParam('bias', bias);
    }
  }
}
initAll(net, nn.init.normal(0.01), nn.init.zeros);
const w0 = () => net.getParam('0.weight');
show('normal(0.01): 0.weight row 0', w0().slice(0));
show('normal(0.01): 0.bias', net.getParam('0.bias'));
show('normal(0.01): every |w| < 0.05', holds(w0().abs().less(0.05)));

// Constant initialisation: weights all 1, biases 0.
initAll(net, nn.init.constant(1), nn.init.zeros);
show('constant(1): 0.weight row 0', w0().slice(0));
show('constant(1): 0.bias', net.getParam('0.bias'));

// Different initialisers for different layers: Xavier on the first, the constant 42 on the third.
net.at(0).initParam('weight', nn.init.xavierUniform());
net.at(2).initParam('weight', nn.init.constant(42));
const bound = Math.sqrt(6 / (4 + 8));
show('xavier: 0.weight row 0', w0().slice(0));
show(`xavier: every |w| <= sqrt(6 / (4 + 8)) = ${bound.toFixed(4)}`, holds(w0().abs().lessEqual(bound)));
show('constant(42): 2.weight', net.getParam('2.weight'));

// A custom initialiser is a function (key, shape, dtype) => tensor: here uniform in [-10, 10),
// keeping only the values with |w| >= 5 (the others become 0).
const keepLarge: nn.Initializer = (key, shape, dtype) => {
  const w = k.random.uniform(key, shape, { minval: -10, maxval: 10, dtype });
  return k.where(w.abs().greaterEqual(5), w, 0);
};
for (const [path, sub] of net.namedModules()) {
  if (sub instanceof nn.Linear) {
    show(`init ${path}.weight`, sub.weight.shape);
    sub.initParam('weight', keepLarge);
  }
}
const wc = w0();
show('custom: 0.weight', wc);
show('custom: every entry is 0 or has |w| >= 5', holds(k.logicalOr(wc.equal(0), wc.abs().greaterEqual(5))));

// Setting parameters directly: compute new values, then install them.
const bumped = wc.add(1).at(0, 0).set(42);
net.setParams({ '0.weight': bumped });
show('set: 0.weight row 0 after +1 and [0, 0] = 42', w0().slice(0));

// ---- 5.2.3 Tied parameters
// One Linear module used twice in a Sequential: both uses hold one weight and one bias,
// listed once, under the first index.
nn.manualSeed(1);
const shared = new nn.Linear(8, 8);
const tied = new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), shared, new nn.ReLU(), shared, new nn.ReLU(), new nn.Linear(8, 1));
show('tied net(X) shape', tied.call(X).shape);
show('tied parameter paths', Object.keys(tied.params()));
show('tied: 2.weight is 4.weight (the same tensor)', tied.getParam('2.weight') === tied.getParam('4.weight'));
show('tied: 2.weight[0] == 4.weight[0]', k.arrayEqual(tied.getParam('2.weight').slice(0), tied.getParam('4.weight').slice(0)));

// The gradient of a tied weight accumulates both uses: it equals the sum of the gradients of
// two separate layers holding the same values.
const copy = new nn.Linear(8, 8);
copy.setParams(shared.params());
const untied = new nn.Sequential(tied.at(0), new nn.ReLU(), shared, new nn.ReLU(), copy, new nn.ReLU(), tied.at(6));
const y = k.array([[1], [-1]]);
const mse = (m: nn.Sequential) => (p: nn.ParamTree) => m.apply(p, X).sub(y).pow(2).mean();
const gTied = k.grad(mse(tied))(tied.paramTree()) as Record<string, LinearGrads>;
const gUntied = k.grad(mse(untied))(untied.paramTree()) as Record<string, LinearGrads>;
show('same loss tied and untied', k.allclose(mse(tied)(tied.paramTree()), mse(untied)(untied.paramTree())));
show('tied gradient keys', Object.keys(gTied));
show('tied grad of 2.weight == untied grad 2.weight + grad 4.weight', k.allclose(gTied['2']!.weight, gUntied['2']!.weight.add(gUntied['4']!.weight), { atol: 1e-6 }));
show('tied grad of 2.weight != untied grad of 2.weight alone', !k.allclose(gTied['2']!.weight, gUntied['2']!.weight));
show('tied grad of 2.bias == untied grad 2.bias + grad 4.bias', k.allclose(gTied['2']!.bias, gUntied['2']!.bias.add(gUntied['4']!.bias), { atol: 1e-6 }));

// After an SGD update, the shared weight is still one tensor, seen identically by both uses.
const opt = k.optim.sgd({ lr: 0.1 });
const before = tied.getParam('2.weight');
const { params: updated } = opt.update(gTied as nn.ParamTree, opt.init(tied.paramTree()), tied.paramTree());
tied.setParams(updated);
show('after update: 2.weight changed', !k.arrayEqual(tied.getParam('2.weight'), before));
show('after update: 2.weight is 4.weight', tied.getParam('2.weight') === tied.getParam('4.weight'));
show('after update: 2.weight == 4.weight', k.arrayEqual(tied.getParam('2.weight'), tied.getParam('4.weight')));
