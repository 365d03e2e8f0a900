// Dive into Deep Learning, section 5.6 (GPUs), with Kiln.
//
// Kiln runs tensors on devices: `interp:0`, the reference interpreter (always present);
// `cpu:0`, compiled native code (when an LLVM toolchain is present); and GPUs where a GPU
// backend is present. `k.devices()` lists what this machine has, best first; new tensors go to
// `k.defaultDevice()` (KILN_BACKEND chooses it, else the best present); `x.to(device)` copies
// a tensor to a device and `net.to(device)` moves a module's parameters.
//
// As in JAX, a tensor that was placed on purpose (by .to(), or computed from such tensors) is
// committed to its device, and an operation on committed tensors of two devices is an error
// rather than a silent copy. Tensors created without a placement follow committed operands.
// Run: npx tsx examples/ch05/devices.ts
import * as k from 'kiln';
import { nn } from 'kiln';

type T = k.Tensor;

/** Prints a labelled value; tensors print NumPy-style, multi-line ones below their label. */
function show(label: string, value: unknown): void {
  const text = value instanceof k.Tensor ? String(value) : typeof value === 'string' ? value : JSON.stringify(value);
  console.log(text.includes('\n') ? `${label}:\n${text}` : `${label}: ${text}`);
}

// ---- 5.6.1 Computing devices
const all = k.devices();
show('devices', all.map(String));
show('default device', String(k.defaultDevice()));
show('the interpreter', String(k.device('interp')));

/** The i-th GPU when there is one, else the default device (the book's try_gpu). */
function tryGpu(i = 0): k.Device {
  const gpus = k.devices().filter((d) => !d.isHost);
  return gpus[i] ?? k.defaultDevice();
}
/** Every GPU, or the default device when there is none (the book's try_all_gpus). */
function tryAllGpus(): k.Device[] {
  const gpus = k.devices().filter((d) => !d.isHost);
  return gpus.length > 0 ? gpus : [k.defaultDevice()];
}
show('number of GPUs', all.filter((d) => !d.isHost).length);
show('tryGpu()', String(tryGpu()));
show('tryGpu(10)', String(tryGpu(10)));
show('tryAllGpus()', tryAllGpus().map(String));

// Naming a device that is not present is a clear error.
try {
  k.device('cuda:7');
} catch (err) {
  show('k.device(\'cuda:7\')', `${(err as Error).name}: ${(err as Error).message}`);
}

// ---- 5.6.2 Tensors and devices
const x = k.array([1, 2, 3], { dtype: 'f32' });
show('x.device (default)', String(x.device));

// Storing on a device: create, then move. `to` returns a copy on that device.
const dev = all[0]!; // the best device present
const X = k.ones([2, 3]).to(dev);
show(`X on ${dev}`, X);
show('X.device', String(X.device));
// Every device present gets a copy.
const copies = all.map((d) => k.random.uniform(k.random.key(0), [2, 3]).to(d));
show('copies on', copies.map((c) => String(c.device)));

// Results live where their operands do.
const Z = X.add(X);
show('X + X device', String(Z.device));
// A tensor made without a placement (uncommitted) follows a committed operand.
show('(X + ones) device', String(X.add(k.ones([2, 3])).device));

// Mixing two devices that were both chosen explicitly is an error, not a silent copy.
if (all.length > 1) {
  const [d0, d1] = [all[0]!, all[1]!];
  const a = k.ones([2, 3]).to(d0);
  const b = k.ones([2, 3]).to(d1);
  try {
    a.add(b);
  } catch (err) {
    show(`mixing ${d0} and ${d1}`, `${(err as Error).name}: ${(err as Error).message}`);
    show('is a DeviceMismatchError', err instanceof k.DeviceMismatchError);
  }
  // Moving one operand first makes it work.
  show(`a + b.to(${d0})`, a.add(b.to(d0)));
} else {
  show('mixing devices', 'only one device present');
}

// ---- 5.6.3 Neural networks and devices
// The same small computation on every device present, with the same inputs and parameters:
// the results agree (up to rounding) whichever device ran them.
nn.manualSeed(0);
const net = new nn.Sequential(new nn.Linear(3, 4), new nn.Tanh(), new nn.Linear(4, 1));
const inputs = k.random.normal(k.random.key(1), [5, 3]);
const outs: T[] = [], grams: T[] = [];
for (const d of all) {
  net.to(d);
  const out = net.call(inputs.to(d));
  show(`net(X) on ${d}`, out.reshape([-1]));
  show(`net(X) on ${d}: output device, weight device`, `${out.device}, ${net.getParam('0.weight').device}`);
  // A plain tensor computation too: the row sums of the Gram matrix X Xᵀ.
  const Xd = inputs.to(d);
  const g = Xd.matmul(Xd.T).sum({ axis: 1 });
  show(`row sums of X Xᵀ on ${d}`, g);
  // Bring the results to one device to compare them.
  outs.push(out.to('interp'));
  grams.push(g.to('interp'));
}
const close = (rs: T[]) => rs.every((r) => k.allclose(r, rs[0]!, { rtol: 1e-5, atol: 1e-6 }));
show(`results agree on all ${all.length} devices`, close(outs) && close(grams));
