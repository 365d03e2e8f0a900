// Eager ops on CPU tensors (each a compiled single-op program) against the same ops on
// interpreter tensors: results agree, stay on the CPU device (committed, so later ops follow
// them), and mixing a CPU tensor with an interpreter tensor placed explicitly is a
// DeviceMismatchError naming both devices.
import { describe, expect, it } from 'vitest';
import * as k from '../../index.ts';
import { cpuPresent, expectClose, expectOnDevice, rand, rng, useColdCache } from './helpers.ts';

useColdCache();

type T = k.Tensor;

/** A spread of eager ops (one compiled program per distinct primitive, params and types). */
function ops(x: T, y: T, i: T, v: T) {
  return {
    add: x.add(y), mulB: x.mul(v), div: x.div(y.abs().add(1)), exp: x.exp(), tanh: x.tanh(), max: x.maximum(y), cmp: x.less(y),
    where: k.where(x.greater(0), x, y), sum: x.sum({ axis: 1 }), mean: x.mean(), maxR: x.max({ axis: 0, keepdims: true }), argmax: x.argmax({ axis: 1 }),
    cumsum: x.cumsum(0), lse: x.logsumexp({ axis: 1 }), matmul: x.matmul(y.T), T: x.T, reshape: x.reshape([4, 3]), slice: x.slice([null, null, -1], [1, 3]),
    take: x.take(i, 1), cat: k.concatenate([x, y], 0), pad: k.pad(x, 1), flip: x.flip(1), astype: x.astype('i32'), iAdd: i.add(1), sort: k.sort(x.slice(0)),
    atAdd: v.at(i).add(1), bcast: v.broadcastTo([3, 4]), stack: k.stack([v, v]),
  };
}

describe.runIf(cpuPresent)('eager ops on CPU tensors equal the interpreter', () => {
  const r = rng(41);
  const x0 = rand(r, [3, 4]), y0 = rand(r, [3, 4]), i0 = k.array([0, 3, 1, -1], { dtype: 'i32' }), v0 = rand(r, [4]);

  it('a spread of ops: same values, results on cpu:0', () => {
    const [x, y, i, v] = [x0, y0, i0, v0].map((t) => t.to('cpu')) as [T, T, T, T];
    for (const t of [x, y, i, v]) expect(t.device.toString()).toBe('cpu:0');
    const cpu = ops(x, y, i, v);
    const interp = ops(...([x0, y0, i0, v0].map((t) => t.to('interp')) as [T, T, T, T]));
    expectClose(cpu, interp, { scale: 4 });
    expectOnDevice(cpu, 'cpu:0');
    expectOnDevice(interp, 'interp:0');
  });

  it('uncommitted operands (made on the default device) follow a CPU tensor; chains stay on the CPU', () => {
    const x = x0.to('cpu');
    const z = x.add(k.array([1, 2, 3, 4])).mul(2).sum();
    expect(z.device.toString()).toBe('cpu:0');
    expect(z.item()).toBeCloseTo(x0.add(k.array([1, 2, 3, 4])).mul(2).sum().item(), 4);
    expect(k.add(k.array(5), x).device.toString()).toBe('cpu:0');
  });

  it('random numbers drawn eagerly from a CPU key equal the interpreter bit for bit', () => {
    const key = k.random.key(3);
    const f = (kk: T) => ({ u: k.random.uniform(kk, [5]), b: k.random.bits(kk, [4]), p: k.random.permutation(kk, 6) });
    const cpu = f(key.to('cpu')), interp = f(key.to('interp'));
    expectClose(cpu, interp, { rtol: 0, atol: 0 });
    expectOnDevice(cpu, 'cpu:0');
  });

  it('x.to moves between devices and back without changing values', () => {
    const x = x0.to('cpu');
    const back = x.exp().to('interp');
    expect(back.device.toString()).toBe('interp:0');
    expectClose(back, x0.exp(), { rtol: 1e-6 });
    expect(x.to('interp').toArray()).toEqual(x0.toArray());
    expect(x.to('cpu')).toBe(x); // already there, committed
  });

  it('a CPU tensor meeting an interpreter tensor placed explicitly is a DeviceMismatchError naming both devices', () => {
    const a = x0.to('cpu'), b = y0.to('interp');
    for (const op of [() => a.add(b), () => b.mul(a), () => k.concatenate([a, b]), () => a.matmul(b.T), () => k.where(a.greater(0), a, b)]) {
      let err: unknown;
      try {
        op();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(k.DeviceMismatchError);
      expect((err as Error).message).toMatch(/cpu:0/);
      expect((err as Error).message).toMatch(/interp:0/);
    }
  });

  it('a jitted CPU function given an interpreter tensor placed explicitly is a DeviceMismatchError', () => {
    const f = k.jit((a: T, b: T) => a.add(b), { device: 'cpu' });
    expect(f(x0.to('cpu'), y0).device.toString()).toBe('cpu:0');
    expect(() => f(x0.to('cpu'), y0.to('interp'))).toThrow(k.DeviceMismatchError);
    expect(() => f(x0.to('cpu'), y0.to('interp'))).toThrow(/interp:0.*cpu:0|cpu:0.*interp:0/);
  });
});
