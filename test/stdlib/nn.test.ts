// nn.Module: parameter paths and trees, apply (substituted parameters, under k.grad and k.jit)
// against call (own parameters), deferred initialisation (section 5.3), tied parameters
// (gradient = sum of both uses, checked by finite differences), custom layers with and
// without parameters (section 5.4), modes, setParams / getParam, descriptions and errors.
import { describe, expect, it } from 'vitest';
import * as k from '../../index.ts';
import { losses, nn } from '../../stdlib/index.ts';

type T = k.Tensor;
const f64 = (x: Parameters<typeof k.array>[0]) => k.array(x, { dtype: 'f64' });
const vals = (t: T) => Array.from(t.data(), Number);
const shapes = (r: Record<string, T>) => Object.fromEntries(Object.entries(r).map(([p, t]) => [p, t.shape]));

/** Central finite differences of a scalar function of one tensor (f64). */
function numericGrad(f: (w: T) => number, w: T, eps = 1e-6): number[] {
  const base = vals(w);
  return base.map((_, i) => {
    const plus = base.slice(), minus = base.slice();
    plus[i]! += eps;
    minus[i]! -= eps;
    const at = (v: number[]) => f(k.array(v, { dtype: 'f64', shape: w.shape }));
    return (at(plus) - at(minus)) / (2 * eps);
  });
}

/** The book's CenteredLayer (section 5.4.1): no parameters. */
class CenteredLayer extends nn.Module {
  override forward(x: T): T {
    return x.sub(x.mean());
  }
}

/** The book's MyLinear (section 5.4.2): weight [in, units], bias [units], ReLU. */
class MyLinear extends nn.Module {
  declare readonly weight: T;
  declare readonly bias: T;
  constructor(inUnits: number, units: number, opts: nn.ModuleOptions = {}) {
    super(opts);
    this.param('weight', nn.init.normal(1), [inUnits, units]);
    this.param('bias', nn.init.normal(1), [units]);
  }
  override forward(x: T): T {
    return k.relu(x.matmul(this.weight).add(this.bias));
  }
}

/** A block whose children are properties and whose parameter is a class field (the book's FixedHiddenMLP shape). */
class FieldBlock extends nn.Module {
  hidden = new nn.Linear(4, 3, { dtype: 'f64' });
  out = new nn.Linear(3, 2, { dtype: 'f64' });
  scale = this.param('scale', f64([2]));
  override forward(x: T): T {
    return this.out.call(k.tanh(this.hidden.call(x))).mul(this.scale);
  }
}

describe('parameters: paths, trees, access', () => {
  nn.manualSeed(0);
  const net = new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Linear(8, 1));

  it('params() is flat by path, paramTree() nested; both in registration order', () => {
    expect(Object.keys(net.params())).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
    expect(shapes(net.params())).toEqual({ '0.weight': [8, 4], '0.bias': [8], '2.weight': [1, 8], '2.bias': [1] });
    const tree = net.paramTree();
    expect(Object.keys(tree)).toEqual(['0', '2']);
    expect(Object.keys(tree['0']!)).toEqual(['weight', 'bias']);
    expect((tree['2'] as nn.ParamTree).weight).toBe(net.params()['2.weight']);
    expect(net.paramCount()).toBe(8 * 4 + 8 + 8 + 1);
  });

  it('access by path, by layer and by iteration over named parameters', () => {
    const l2 = net.at(2) as nn.Linear;
    expect(net.getParam('2.bias')).toBe(l2.bias);
    expect(net.getModule('2')).toBe(l2);
    expect(net.at(-1)).toBe(l2);
    expect(l2.weight.shape).toEqual([1, 8]);
    expect(net.namedParams().map(([p]) => p)).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
    expect(net.namedModules().map(([p, m]) => [p, m.constructor.name])).toEqual([
      ['', 'Sequential'], ['0', 'Linear'], ['1', 'ReLU'], ['2', 'Linear'],
    ]);
    expect(() => net.getParam('2.kernel')).toThrow(/no parameter '2.kernel'.*0\.weight/);
    expect(() => net.getModule('7')).toThrow(/no module '7'/);
  });

  it('toString describes the tree as PyTorch prints it', () => {
    expect(String(net)).toBe(
      'Sequential(\n  (0): Linear(in=4, out=8, bias=true)\n  (1): ReLU()\n  (2): Linear(in=8, out=1, bias=true)\n)',
    );
  });

  it('setParams takes a tree or a flat record, a subset, and rejects unknown paths and shape changes', () => {
    const m = new nn.Sequential(new nn.Linear(2, 2), new nn.Linear(2, 1, { bias: false }));
    const w = k.array([[1, 2], [3, 4]]);
    m.setParams({ '0': { weight: w } });
    expect(m.getParam('0.weight')).toBe(w);
    m.setParams({ '1.weight': k.array([[5, 6]]) });
    expect((m.at(1) as nn.Linear).weight.toArray()).toEqual([[5, 6]]);
    expect((m.at(1) as nn.Linear).bias).toBeUndefined();
    expect(() => m.setParams({ '1.bias': k.array([0]) })).toThrow(/'1\.bias' is not a parameter path/);
    expect(() => m.setParams({ '0.weight': k.zeros([3, 2]) })).toThrow(/has shape \[2, 2\], got \[3, 2\]/);
    // Round trip: a tree from one network into another of the same architecture.
    const m2 = new nn.Sequential(new nn.Linear(2, 2), new nn.Linear(2, 1, { bias: false }));
    m2.setParams(m.paramTree());
    expect(m2.call(k.array([[1, -1]]))).toBeAllclose(m.call(k.array([[1, -1]])));
  });

  it('the same seed gives the same parameters; explicit keys are independent of the global source', () => {
    nn.manualSeed(42);
    const a = new nn.Linear(3, 2);
    nn.manualSeed(42);
    const b = new nn.Linear(3, 2);
    const c = new nn.Linear(3, 2);
    expect(a.weight.toArray()).toEqual(b.weight.toArray());
    expect(a.weight.toArray()).not.toEqual(c.weight.toArray());
    const key = k.random.key(7);
    nn.manualSeed(1);
    const d = new nn.Linear(3, 2, { key });
    nn.manualSeed(2);
    const e = new nn.Linear(3, 2, { key });
    expect(d.weight.toArray()).toEqual(e.weight.toArray());
    expect(d.bias!.toArray()).not.toEqual(d.weight.toArray());
  });
});

describe('apply and call', () => {
  nn.manualSeed(1);
  const net = new nn.Sequential(new nn.Linear(3, 4, { dtype: 'f64' }), new nn.Tanh(), new nn.Linear(4, 2, { dtype: 'f64' }));
  const x = f64([[0.5, -1, 2], [1, 0, -0.5]]);

  it('apply with the own parameters equals call; with other parameters it uses those, and restores its own', () => {
    expect(net.apply(net.paramTree(), x)).toBeAllclose(net.call(x));
    expect(net.apply(net.params(), x)).toBeAllclose(net.call(x));
    const zero = k.treeMap<nn.ParamTree>((t) => k.zerosLike(t as T), net.paramTree());
    expect(net.apply(zero, x)).toBeAllclose([[0, 0], [0, 0]]);
    expect(net.forward(x)).toBeAllclose(net.call(x));
    expect(net.call(x)).not.toBeAllclose([[0, 0], [0, 0]]);
  });

  it('apply equals a hand-written forward pass, and k.grad through apply gives its gradient', () => {
    const p = net.paramTree() as { '0': { weight: T; bias: T }; '2': { weight: T; bias: T } };
    const manual = (q: typeof p) => k.tanh(x.matmul(q['0'].weight.T).add(q['0'].bias)).matmul(q['2'].weight.T).add(q['2'].bias);
    expect(net.apply(p, x)).toBeAllclose(manual(p), { rtol: 1e-12 });
    const g = k.grad((q: nn.ParamTree) => net.apply(q, x).sum())(p) as typeof p;
    const gm = k.grad((q: typeof p) => manual(q).sum())(p) as typeof p;
    expect(g['0'].weight).toBeAllclose(gm['0'].weight, { rtol: 1e-12 });
    expect(g['2'].bias).toBeAllclose(gm['2'].bias, { rtol: 1e-12 });
  });

  it('apply under k.jit with the parameters as an argument (compiled on the CPU in optim.test.ts)', () => {
    const f = k.jit((q: nn.ParamTree, xb: T) => net.apply(q, xb), { device: 'interp' });
    expect(f(net.paramTree(), x)).toBeAllclose(net.call(x), { rtol: 1e-12 });
    const other = k.treeMap<nn.ParamTree>((t) => (t as T).mul(2), net.paramTree());
    expect(f(other, x)).toBeAllclose(net.apply(other, x), { rtol: 1e-12 });
    expect(f.stats().compiles).toBe(1);
  });

  it('apply needs every parameter and rejects unknown ones', () => {
    const p = net.params();
    const { ['2.bias']: _dropped, ...missing } = p;
    expect(() => net.apply(missing, x)).toThrow(/lack '2\.bias'.*f64\[2\]/);
    expect(() => net.apply({ ...p, '3.weight': p['2.weight']! }, x)).toThrow(/'3\.weight' is not a parameter path/);
    // The own parameters are back after a failed apply.
    expect(net.getParam('2.bias')).toBe(p['2.bias']);
  });
});

describe('deferred initialisation (section 5.3)', () => {
  it('LazyLinear has no parameters before the first call, and says so; the call infers the input size', () => {
    nn.manualSeed(3);
    const net = new nn.Sequential(new nn.LazyLinear(256), new nn.ReLU(), new nn.LazyLinear(10));
    expect(net.initialized).toBe(false);
    expect(() => net.params()).toThrow(/parameter '0\.weight' of LazyLinear is not initialised yet.*first call/);
    expect(() => net.paramTree()).toThrow(/not initialised yet/);
    expect(() => (net.at(0) as nn.Linear).weight).toThrow(/not initialised yet/);
    expect((net.at(0) as nn.Linear).inFeatures).toBeNull();
    expect(String(net.at(0))).toBe('LazyLinear(in=?, out=256, bias=true)');
    const y = net.call(k.zeros([2, 20]));
    expect(y.shape).toEqual([2, 10]);
    expect(net.initialized).toBe(true);
    expect(shapes(net.params())).toEqual({ '0.weight': [256, 20], '0.bias': [256], '2.weight': [10, 256], '2.bias': [10] });
    expect((net.at(0) as nn.Linear).inFeatures).toBe(20);
    // LazyLinear is a Linear (as PyTorch's becomes one), with PyTorch's default bounds.
    expect(net.at(0)).toBeInstanceOf(nn.Linear);
    expect(Math.max(...vals(net.getParam('0.weight')).map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(20));
  });

  it('initialize(shape) creates the parameters by tracing only; the values do not depend on when they are created', () => {
    nn.manualSeed(4);
    const a = new nn.Sequential(new nn.LazyLinear(5), new nn.Dropout(0.5), new nn.LazyLinear(2));
    nn.manualSeed(4);
    const b = new nn.Sequential(new nn.LazyLinear(5), new nn.Dropout(0.5), new nn.LazyLinear(2));
    a.initialize(k.shapeDtype([1, 7]));
    // b is created later, by its first call inside k.grad (a trace): parameters are concrete.
    const x = k.random.normal(k.random.key(0), [3, 7]);
    k.grad((xx: T) => b.call(xx, { training: false }).sum())(x);
    expect(shapes(a.params())).toEqual(shapes(b.params()));
    for (const [p, t] of Object.entries(a.params())) expect(b.getParam(p).toArray()).toEqual(t.toArray());
    expect(b.getParam('0.weight').isTraced).toBe(false);
  });

  it('apply may supply the parameters of a deferred layer (e.g. loaded from a file)', () => {
    const net = new nn.Sequential(new nn.LazyLinear(2, { bias: false }));
    const w = k.array([[1, 0, 0], [0, 1, 1]]);
    expect(net.apply({ '0.weight': w }, k.array([[1, 2, 3]]))).toBeAllclose([[1, 5]]);
    expect(net.initialized).toBe(false);
    net.setParams({ '0.weight': w });
    expect(net.initialized).toBe(true);
    expect(net.call(k.array([[1, 2, 3]]))).toBeAllclose([[1, 5]]);
    expect((net.at(0) as nn.Linear).inFeatures).toBe(3);
  });

  it('a first call under k.jit creates concrete parameters too', () => {
    nn.manualSeed(5);
    const net = new nn.Sequential(new nn.LazyLinear(3));
    const f = k.jit((x: T) => net.call(x), { device: 'interp' });
    const y = f(k.ones([2, 4]));
    expect(y.shape).toEqual([2, 3]);
    expect(net.getParam('0.weight').isTraced).toBe(false);
    expect(y).toBeAllclose(net.call(k.ones([2, 4])));
  });
});

describe('tied parameters', () => {
  const build = (tied: boolean) => {
    nn.manualSeed(6);
    const shared = new nn.Linear(3, 3, { dtype: 'f64' });
    const other = new nn.Linear(3, 3, { dtype: 'f64' });
    const net = new nn.Sequential(
      new nn.Linear(2, 3, { dtype: 'f64' }), new nn.Tanh(), shared, new nn.Tanh(), tied ? shared : other, new nn.Tanh(), new nn.Linear(3, 1, { dtype: 'f64' }),
    );
    if (!tied) other.setParams(shared.params());
    return net;
  };
  const x = f64([[0.3, -0.8], [1.1, 0.4], [-0.5, 0.9]]);
  const y = f64([[0.5], [-1], [2]]);

  it('appear once in params() (under the first path) and answer under both indices', () => {
    const net = build(true);
    expect(Object.keys(net.params())).toEqual(['0.weight', '0.bias', '2.weight', '2.bias', '6.weight', '6.bias']);
    expect(net.at(2)).toBe(net.at(4));
    expect(net.getParam('4.weight')).toBe(net.getParam('2.weight'));
    expect(net.namedModules().map(([p]) => p)).toEqual(['', '0', '1', '2', '3', '5', '6']);
    expect(() => net.apply({ ...net.params(), '4.weight': net.getParam('2.weight') }, x)).toThrow(/shared module's parameters appear once/);
  });

  it('the gradient of a tied weight is the sum of the gradients of its two uses, and matches finite differences', () => {
    const tied = build(true), untied = build(false);
    const loss = (net: nn.Sequential) => (p: nn.ParamTree) => losses.mseLoss(net.apply(p, x), y);
    expect(loss(tied)(tied.paramTree())).toBeAllclose(loss(untied)(untied.paramTree()), { rtol: 1e-12 });
    const g = k.grad(loss(tied))(tied.paramTree()) as Record<string, { weight: T; bias: T }>;
    const gu = k.grad(loss(untied))(untied.paramTree()) as Record<string, { weight: T; bias: T }>;
    expect(Object.keys(g)).toEqual(['0', '2', '6']);
    expect(g['2']!.weight).toBeAllclose(gu['2']!.weight.add(gu['4']!.weight), { rtol: 1e-10 });
    expect(g['2']!.bias).toBeAllclose(gu['2']!.bias.add(gu['4']!.bias), { rtol: 1e-10 });
    // Finite differences: perturbing the one shared weight moves both uses.
    const w = tied.getParam('2.weight');
    const fd = numericGrad((wv) => loss(tied)({ ...tied.params(), '2.weight': wv }).item(), w);
    expect(g['2']!.weight).toBeAllclose(k.array(fd, { dtype: 'f64', shape: [3, 3] }), { rtol: 1e-5, atol: 1e-8 });
  });
});

describe('custom layers (section 5.4)', () => {
  it('a layer without parameters: CenteredLayer', () => {
    const layer = new CenteredLayer();
    expect(layer.call(k.array([1, 2, 3, 4, 5]))).toBeAllclose([-2, -1, 0, 1, 2]);
    expect(layer.params()).toEqual({});
    expect(layer.paramTree()).toEqual({});
    const net = new nn.Sequential(new nn.Linear(8, 128), new CenteredLayer());
    const y = net.call(k.random.uniform(k.random.key(0), [4, 8]));
    expect(Math.abs(y.mean().item())).toBeLessThan(1e-5);
    expect(Object.keys(net.params())).toEqual(['0.weight', '0.bias']);
  });

  it('a layer with parameters: MyLinear, read as this.weight, substituted by apply', () => {
    nn.manualSeed(8);
    const linear = new MyLinear(5, 3);
    expect(shapes(linear.params())).toEqual({ weight: [5, 3], bias: [3] });
    const x = k.random.uniform(k.random.key(1), [2, 5]);
    expect(linear.call(x)).toBeAllclose(k.relu(x.matmul(linear.weight).add(linear.bias)));
    const p = { weight: k.ones([5, 3]), bias: k.zeros([3]) };
    expect(linear.apply(p, x)).toBeAllclose(k.relu(x.sum({ axis: 1, keepdims: true }).broadcastTo([2, 3])));
    const net = new nn.Sequential(new MyLinear(64, 8), new MyLinear(8, 1));
    expect(net.call(k.random.uniform(k.random.key(2), [2, 64])).shape).toEqual([2, 1]);
    expect(Object.keys(net.params())).toEqual(['0.weight', '0.bias', '1.weight', '1.bias']);
  });

  it('children as properties and a parameter as a class field are found, substituted and differentiated', () => {
    nn.manualSeed(9);
    const block = new FieldBlock();
    expect(Object.keys(block.params())).toEqual(['scale', 'hidden.weight', 'hidden.bias', 'out.weight', 'out.bias']);
    const x = f64([[1, 2, 3, 4]]);
    const p = block.paramTree();
    expect(block.apply({ ...p, scale: f64([0]) }, x)).toBeAllclose([[0, 0]]);
    expect(block.call(x)).toBeAllclose(block.apply(p, x));
    const g = k.grad((q: nn.ParamTree) => block.apply(q, x).sum())(p) as { scale: T };
    expect(g.scale).toBeAllclose(block.apply(p, x).sum().div(2).reshape([1]), { rtol: 1e-12 });
    // Assigning the field replaces the parameter.
    block.scale = f64([3]);
    expect(block.getParam('scale').toArray()).toEqual([3]);
  });

  it('children given as a record to the constructor, or registered with child()', () => {
    class Block extends nn.Module {
      constructor() {
        super({ children: { encoder: new nn.Linear(3, 2), act: new nn.ReLU() } });
        this.child('head', new nn.Linear(2, 1));
      }
      override forward(x: T): T {
        const [enc, act, head] = ['encoder', 'act', 'head'].map((n) => this.getModule(n));
        return head!.call(act!.call(enc!.call(x)));
      }
    }
    const b = new Block();
    expect(b.namedChildren().map(([n]) => n)).toEqual(['encoder', 'act', 'head']);
    expect(Object.keys(b.params())).toEqual(['encoder.weight', 'encoder.bias', 'head.weight', 'head.bias']);
    expect(b.apply(b.paramTree(), k.ones([4, 3]))).toBeAllclose(b.call(k.ones([4, 3])));
    expect(() => b.child('a.b', new nn.ReLU())).toThrow(/contain no '\.'/);
  });

  it('blocks nest: paths join with dots and trees nest', () => {
    nn.manualSeed(10);
    const inner = () => new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Linear(8, 4), new nn.ReLU());
    const net = new nn.Sequential(inner(), inner(), new nn.Linear(4, 1));
    expect(Object.keys(net.params())).toContain('1.2.bias');
    expect(((net.paramTree()['1'] as nn.ParamTree)['2'] as nn.ParamTree).bias).toBe(net.getParam('1.2.bias'));
    expect(net.call(k.ones([2, 4])).shape).toEqual([2, 1]);
  });

  it('initParam re-draws a parameter, as the book initialises Linear layers by type', () => {
    nn.manualSeed(11);
    const net = new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Linear(8, 1));
    for (const [, m] of net.namedModules()) {
      if (m instanceof nn.Linear) {
        m.initParam('weight', nn.init.constant(1));
        m.initParam('bias', nn.init.zeros);
      }
    }
    expect(net.getParam('0.weight').toArray()).toEqual(Array.from({ length: 8 }, () => [1, 1, 1, 1]));
    expect(net.getParam('2.bias').toArray()).toEqual([0]);
    expect(() => (net.at(0) as nn.Linear).initParam('kernel', nn.init.zeros)).toThrow(/no parameter 'kernel'/);
  });
});

describe('devices', () => {
  it('to(device) moves every parameter and returns the module', () => {
    const net = new nn.Sequential(new nn.Linear(2, 2), new nn.ReLU(), new nn.Linear(2, 1));
    expect(net.to('interp')).toBe(net);
    for (const [, t] of net.namedParams()) expect(t.device.kind).toBe('interp');
    expect(net.call(k.ones([1, 2])).shape).toEqual([1, 1]);
  });
});

describe('modes', () => {
  it('train() and eval() switch the mode recursively; call options override it for one call', () => {
    const inner = new nn.Sequential(new nn.Dropout(0.5));
    const net = new nn.Sequential(new nn.Linear(2, 2), inner);
    expect(net.training && inner.training && inner.at(0).training).toBe(true);
    expect(net.eval()).toBe(net);
    expect([net.training, inner.training, inner.at(0).training]).toEqual([false, false, false]);
    const x = k.ones([1, 1000]);
    const d = inner.at(0) as nn.Dropout;
    expect(d.call(x)).toBe(x);
    expect(d.call(x, { training: true })).not.toBeAllclose(x);
    net.train();
    expect(inner.at(0).training).toBe(true);
    expect(d.call(x, { training: false })).toBe(x);
  });
});
