// Dive into Deep Learning, section 5.3 (Deferred Initialization), with Kiln.
//
// nn.LazyLinear(out) is a Linear layer that does not know its input size yet. Its weight and
// bias are declared but have no value until the layer sees its first input; then their shapes
// follow from that input's last axis. So a network can be written without working out each
// layer's input size by hand, and `net.initialize(k.shapeDtype(shape))` creates everything
// from an input shape alone, computing nothing else.
// Run: npx tsx examples/ch05/deferred-init.ts
import * as k from 'kiln';
import { nn } from 'kiln';


/** Prints a labelled value; tensors print NumPy-style, multi-line ones below their label. */
function show(label: string, value: unknown): void {
  const text = value instanceof k.Tensor ? String(value) : typeof value === 'string' ? value : JSON.stringify(value);
  console.log(text.includes('\n') ? `${label}:\n${text}` : `${label}: ${text}`);
}

nn.manualSeed(0);

// Only the output sizes are given: 256 hidden units, then 10 outputs.
const net = new nn.Sequential(new nn.LazyLinear(256), new nn.ReLU(), new nn.LazyLinear(10));

// ---- Before the first call: the parameters exist only as names.
show('initialized before the first call', net.initialized);
show('structure before the first call', net.toString());
try {
  net.getParam('0.weight');
} catch (err) {
  show('reading 0.weight before the first call', `${(err as Error).name}: ${(err as Error).message}`);
}

// ---- The first call: the input has 20 features, so the first layer's weight is [256, 20]
// and the second layer, seeing 256 features, gets [10, 256].
const X = k.random.uniform(k.random.key(1), [2, 20]);
const Y = net.call(X);
show('output shape', Y.shape);
show('initialized after the first call', net.initialized);
for (const [path, t] of net.namedParams()) show(`param ${path}`, t.shape);
show('structure after the first call', net.toString());
show('parameter count', net.paramCount());

// The shapes are now fixed: a later call with another batch size is fine, another feature
// count is an error.
show('output shape for a batch of 5', net.call(k.ones([5, 20])).shape);
try {
  net.call(k.ones([2, 7]));
} catch (err) {
  show('calling with 7 features', `${(err as Error).name}: ${(err as Error).message}`);
}

// ---- Initialising from a shape alone
// initialize() traces one call on an abstract input: no data needed, nothing computed but
// the parameters.
const lazy = new nn.Sequential(new nn.LazyLinear(64), new nn.ReLU(), new nn.LazyLinear(3));
lazy.initialize(k.shapeDtype([1, 12]));
for (const [path, t] of lazy.namedParams()) show(`initialize: param ${path}`, t.shape);

// ---- Custom initialisers work the same way: they run when the shape becomes known.
const custom = new nn.Sequential(new nn.LazyLinear(4, { weightInit: nn.init.constant(0.5), biasInit: nn.init.zeros }));
show('custom init output', custom.call(k.ones([1, 3])));
show('custom init weight shape', custom.getParam('0.weight').shape);
