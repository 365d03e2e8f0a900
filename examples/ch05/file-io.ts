// Dive into Deep Learning, section 5.5 (File I/O), with Kiln.
//
// k.io reads and writes safetensors files: a single tensor, a list or a dict of tensors, or a
// module's parameters (by path, '0.weight', ...). `k.io.save(file, value)` writes atomically;
// `k.io.load(file)` gives back what was saved (a tensor, a list, a dict); and
// `k.io.loadInto(file, net)` checks every parameter's name, shape and dtype and installs them
// into a model built the same way. Only parameters are saved, not the code: the model's
// architecture is rebuilt in TypeScript and then given the stored values.
// Run: npx tsx examples/ch05/file-io.ts
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as k from 'kiln';
import { nn } from 'kiln';

type T = k.Tensor;

/** Prints a labelled value; tensors print NumPy-style, multi-line ones below their label. */
function show(label: string, value: unknown): void {
  const text = value instanceof k.Tensor ? String(value) : typeof value === 'string' ? value : JSON.stringify(value);
  console.log(text.includes('\n') ? `${label}:\n${text}` : `${label}: ${text}`);
}

// Everything goes into a fresh temporary folder, removed at the end.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-ch05-io-'));
try {
  // ---- 5.5.1 Loading and saving tensors
  // A single tensor.
  const x = k.arange(4, { dtype: 'f32' });
  k.io.save(path.join(dir, 'x-file.safetensors'), x);
  const x2 = k.io.load<T>(path.join(dir, 'x-file.safetensors'));
  show('x', x);
  show('loaded x', x2);
  show('loaded x equals x', k.arrayEqual(x2, x));
  show('loaded x dtype, shape', `${x2.dtype} [${x2.shape}]`);

  // A list of tensors comes back as a list.
  const y = k.zeros([4]);
  k.io.save(path.join(dir, 'x-files.safetensors'), [x, y]);
  const [xl, yl] = k.io.load<T[]>(path.join(dir, 'x-files.safetensors'));
  show('loaded list', `[${xl}, ${yl}]`);
  show('loaded list equals [x, y]', k.arrayEqual(xl!, x) && k.arrayEqual(yl!, y));

  // A dict of tensors, by name.
  const mydict = { x, y };
  k.io.save(path.join(dir, 'mydict.safetensors'), mydict);
  const dict2 = k.io.load<Record<string, T>>(path.join(dir, 'mydict.safetensors'));
  show('loaded dict keys', Object.keys(dict2).sort());
  show('loaded dict equals {x, y}', k.arrayEqual(dict2.x!, x) && k.arrayEqual(dict2.y!, y));

  // ---- 5.5.2 Loading and saving model parameters
  class MLP extends nn.Module {
    hidden = new nn.Linear(20, 256);
    output = new nn.Linear(256, 10);

    override forward(x: T): T {
      return this.output.call(k.relu(this.hidden.call(x)));
    }
  }

  nn.manualSeed(0);
  const net = new MLP();
  const X = k.random.normal(k.random.key(1), [2, 20]);
  const Y = net.call(X);

  const file = path.join(dir, 'mlp.params.safetensors');
  k.io.save(file, net);
  show('mlp.params file size (bytes)', fs.statSync(file).size);

  // The file holds one tensor per parameter path.
  const stored = k.io.loadFlat(file);
  show('stored tensors', Object.entries(stored).map(([name, t]) => `${name} ${t.dtype}[${t.shape}]`));

  // A fresh model of the same architecture starts with other parameters (another seed) ...
  nn.manualSeed(123);
  const clone = new MLP();
  show('fresh clone matches the original before loading', k.allclose(clone.call(X), Y));

  // ... until the stored ones are loaded into it.
  k.io.loadInto(file, clone);
  show('every parameter equal after loading', net.namedParams().every(([p, t]) => k.arrayEqual(clone.getParam(p), t)));
  const Yclone = clone.call(X);
  show('clone(X) == net(X)', k.arrayEqual(Yclone, Y));
  show('clone(X) row 0 (first 4)', Yclone.slice(0, [0, 4]));

  // loadInto refuses a model the file does not fit, naming the problem.
  class WiderMLP extends nn.Module {
    hidden = new nn.Linear(20, 512);
    output = new nn.Linear(512, 10);

    override forward(x: T): T {
      return this.output.call(k.relu(this.hidden.call(x)));
    }
  }
  try {
    k.io.loadInto(file, new WiderMLP());
  } catch (err) {
    show('loading into a wider MLP', `${(err as Error).name}: ${(err as Error).message.replace(dir, '<tmp>')}`);
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
