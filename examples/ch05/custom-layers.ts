// Dive into Deep Learning, section 5.4 (Custom Layers), with Kiln.
//
// A layer is a module like any other: subclass nn.Module and implement forward. A layer
// without parameters is just that; a layer with parameters registers them in its constructor
// with `this.param(name, initialiser, shape)` and reads them as `this.<name>` in forward
// (`declare readonly weight: k.Tensor` gives the property its type). Custom layers mix freely
// with the built-in ones inside nn.Sequential.
// Run: npx tsx examples/ch05/custom-layers.ts
import * as k from 'kiln';
import { nn } from 'kiln';

type T = k.Tensor;

/** Prints a labelled value; tensors print NumPy-style, multi-line ones below their label. */
function show(label: string, value: unknown): void {
  const text = value instanceof k.Tensor ? String(value) : typeof value === 'string' ? value : JSON.stringify(value);
  console.log(text.includes('\n') ? `${label}:\n${text}` : `${label}: ${text}`);
}

nn.manualSeed(0);

// ---- 5.4.1 Layers without parameters
// Subtracts the mean of its input, so its output has mean zero.
class CenteredLayer extends nn.Module {
  override forward(x: T): T {
    return x.sub(x.mean());
  }
}

const centered = new CenteredLayer();
show('CenteredLayer([1, 2, 3, 4, 5])', centered.call(k.array([1, 2, 3, 4, 5], { dtype: 'f32' })));
show('CenteredLayer parameter count', centered.paramCount());

// Inside a network: after a Linear layer, the output's mean is zero up to rounding.
const centeredNet = new nn.Sequential(new nn.Linear(8, 128), new CenteredLayer());
const Y = centeredNet.call(k.random.uniform(k.random.key(1), [4, 8]));
show('centred network output shape', Y.shape);
show('|mean of the centred output| < 1e-6', Math.abs(Y.mean().item()) < 1e-6);

// ---- 5.4.2 Layers with parameters
// A fully connected layer with a ReLU, written by hand: weight of shape [in, units] (the
// book's layout, x W rather than Linear's x Wᵀ) and bias of shape [units], drawn from N(0, 1).
class MyLinear extends nn.Module {
  declare readonly weight: T;
  declare readonly bias: T;

  constructor(inUnits: number, units: number) {
    super();
    this.param('weight', nn.init.normal(1), [inUnits, units]);
    this.param('bias', nn.init.normal(1), [units]);
  }

  override forward(x: T): T {
    return k.relu(x.matmul(this.weight).add(this.bias));
  }

  /** What toString shows between the parentheses. */
  protected override extraRepr(): string {
    return `in=${this.weight.shape[0]}, units=${this.weight.shape[1]}`;
  }
}

const linear = new MyLinear(5, 3);
show('MyLinear parameter paths', Object.keys(linear.params()));
show('MyLinear weight', linear.weight);
show('MyLinear weight shape', linear.weight.shape);
show('MyLinear parameter count', linear.paramCount());

// Forward computation directly with the layer.
const X = k.random.uniform(k.random.key(2), [2, 5]);
const out = linear.call(X);
show('MyLinear(X)', out);
show('MyLinear(X) == relu(X @ weight + bias)', k.allclose(out, k.relu(X.matmul(linear.weight).add(linear.bias))));

// Custom layers inside Sequential, with gradients flowing to their parameters as usual.
const net = new nn.Sequential(new MyLinear(64, 8), new MyLinear(8, 1));
const X64 = k.random.uniform(k.random.key(3), [2, 64]);
show('Sequential of MyLinear output shape', net.call(X64).shape);
show('Sequential of MyLinear parameter paths', Object.keys(net.params()));
show('Sequential of MyLinear parameter count', net.paramCount());
const grads = k.grad((p: nn.ParamTree) => net.apply(p, X64).sum())(net.paramTree()) as Record<string, { weight: T; bias: T }>;
show('gradient of 0.weight shape', grads['0']!.weight.shape);
show('gradient of 1.bias shape', grads['1']!.bias.shape);

// A parameterless and a parameterised custom layer together with built-in ones.
const mixed = new nn.Sequential(new MyLinear(5, 16), new CenteredLayer(), new nn.Linear(16, 2));
show('mixed network structure', mixed.toString());
show('mixed network output shape', mixed.call(X).shape);
show('mixed network parameter paths', Object.keys(mixed.params()));
