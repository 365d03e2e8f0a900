// Dive into Deep Learning, section 5.1 (Layers and Modules), with Kiln.
//
// A module (nn.Module) is anything that maps inputs to outputs and may own parameters: a
// single layer, a block of layers, or a whole network. A subclass implements `forward`;
// `net.call(x)` runs it with the module's own parameters. Children are registered either
// explicitly (`this.child(name, m)`) or simply by holding modules in properties, and their
// parameters show up under dotted paths ('hidden.weight', '0.bias', ...).
// Run: npx tsx examples/ch05/layers-and-modules.ts
import * as k from 'kiln';
import { nn } from 'kiln';

type T = k.Tensor;

/** Prints a labelled value; tensors print NumPy-style, multi-line ones below their label. */
function show(label: string, value: unknown): void {
  const text = value instanceof k.Tensor ? String(value) : typeof value === 'string' ? value : JSON.stringify(value);
  console.log(text.includes('\n') ? `${label}:\n${text}` : `${label}: ${text}`);
}

nn.manualSeed(0); // parameters drawn from the global key source are reproducible

// A batch of two examples with 20 features each.
const X = k.random.uniform(k.random.key(1), [2, 20]);

// ---- The built-in Sequential: 20 -> 256 -> ReLU -> 10
const seq = new nn.Sequential(new nn.Linear(20, 256), new nn.ReLU(), new nn.Linear(256, 10));
show('Sequential output shape', seq.call(X).shape);
show('Sequential parameter paths', Object.keys(seq.params()));

// ---- 5.1.1 A custom module
// The same network as a class. The two layers are plain properties; the base class finds
// them and registers them as children named after the properties.
class MLP extends nn.Module {
  hidden = new nn.Linear(20, 256);
  out = new nn.Linear(256, 10);

  override forward(x: T): T {
    return this.out.call(k.relu(this.hidden.call(x)));
  }
}

const mlp = new MLP();
const mlpOut = mlp.call(X);
show('MLP output shape', mlpOut.shape);
show('MLP output row 0 (first 4)', mlpOut.slice(0, [0, 4]));
show('MLP parameter paths', Object.keys(mlp.params()));
show('MLP parameter count', mlp.paramCount());

// ---- 5.1.2 A hand-written Sequential
// Layers are registered in order under the names '0', '1', ... (PyTorch's add_module), and
// forward feeds each child the previous one's output; namedChildren() lists them in
// registration order. Registering them is what makes their parameters visible to params(),
// k.grad and the optimisers.
class MySequential extends nn.Module {
  constructor(...layers: nn.AnyModule[]) {
    super();
    layers.forEach((layer, i) => this.child(String(i), layer));
  }

  override forward(x: T): T {
    let y = x;
    for (const [, layer] of this.namedChildren()) y = layer.call(y) as T;
    return y;
  }
}

const mySeq = new MySequential(new nn.Linear(20, 256), new nn.ReLU(), new nn.Linear(256, 10));
show('MySequential output shape', mySeq.call(X).shape);
show('MySequential parameter paths', Object.keys(mySeq.params()));
// With the same parameters it computes exactly what nn.Sequential computes.
mySeq.setParams(seq.params());
show('MySequential == Sequential with the same parameters', k.allclose(mySeq.call(X), seq.call(X)));

// ---- 5.1.3 Code in forward: control flow and constant parameters
// forward is ordinary TypeScript: it can hold a constant tensor that is not a parameter
// (never trained, never listed), reuse a layer (the same weights twice), and loop on values.
class FixedHiddenMLP extends nn.Module {
  /** A fixed random matrix: a plain tensor field, so not a parameter. */
  readonly randWeight = k.random.uniform(k.random.key(2), [20, 20]);
  linear = new nn.Linear(20, 20);

  override forward(x: T): T {
    let h = this.linear.call(x);
    h = k.relu(h.matmul(this.randWeight).add(1));
    h = this.linear.call(h); // the same layer again: its parameters are shared by both uses
    // JS control flow on values: halve until the L1 norm is at most 1.
    while (h.abs().sum().item() > 1) h = h.div(2);
    return h.sum();
  }
}

const fixed = new FixedHiddenMLP();
const fixedOut = fixed.call(X);
show('FixedHiddenMLP output', fixedOut);
show('FixedHiddenMLP output shape', fixedOut.shape);
show('FixedHiddenMLP parameter paths (the constant is not one)', Object.keys(fixed.params()));
// Gradients reach only the parameters: the tree has `linear` and nothing for randWeight.
const fixedGrads = k.grad((p: nn.ParamTree) => fixed.apply(p, X))(fixed.paramTree()) as { linear: { weight: T; bias: T } };
show('FixedHiddenMLP gradient tree keys', Object.keys(fixedGrads));
show('gradient of linear.weight has shape', fixedGrads.linear.weight.shape);

// ---- Nesting modules
// Modules compose freely: a block holding a Sequential and a layer, inside another
// Sequential together with the FixedHiddenMLP above.
class NestMLP extends nn.Module {
  net = new nn.Sequential(new nn.Linear(20, 64), new nn.ReLU(), new nn.Linear(64, 32), new nn.ReLU());
  linear = new nn.Linear(32, 16);

  override forward(x: T): T {
    return this.linear.call(this.net.call(x));
  }
}

const chimera = new nn.Sequential(new NestMLP(), new nn.Linear(16, 20), new FixedHiddenMLP());
const chimeraOut = chimera.call(X);
show('chimera output', chimeraOut);
show('chimera output shape', chimeraOut.shape);
show('chimera structure', chimera.toString());
show('chimera parameter paths', Object.keys(chimera.params()));
show('chimera parameter count', chimera.paramCount());
