// GPU mappings run on the CPU simulator against the loop-IR interpreter, on random inputs: every
// kernel of a set of functions covering the kernel kinds (elementwise, broadcasts and views,
// reductions of each shape, matmul, sort, cumsum, scatter, random bits), small and large.
import { describe, expect, it } from 'vitest';
import * as k from '../../index.ts';
import { checkMapping, loopKernelsOf } from './harness.ts';

type T = k.Tensor;
const S = (shape: number[], dtype: k.DType = 'f32') => k.shapeDtype(shape, dtype);

const cases: [string, () => ReturnType<typeof loopKernelsOf>][] = [
  ['elementwise small', () => loopKernelsOf((a: T, b: T) => a.mul(b).add(1).exp(), S([3, 5]), S([3, 5]))],
  ['elementwise large (parallel, several blocks)', () => loopKernelsOf((a: T, b: T) => a.mul(b).tanh(), S([300, 200]), S([300, 200]))],
  ['broadcast and transpose', () => loopKernelsOf((a: T, b: T) => a.T.add(b).relu(), S([64, 600]), S([64]))],
  ['reduction rows', () => loopKernelsOf((a: T) => a.sum({ axis: 1 }), S([40, 1000]))],
  ['reduction columns', () => loopKernelsOf((a: T) => a.max({ axis: 0 }), S([1000, 40]))],
  ['reduction all', () => loopKernelsOf((a: T) => a.sum(), S([70000]))],
  ['argmax', () => loopKernelsOf((a: T) => k.argmax(a, { axis: 1 }), S([300, 130]))],
  ['softmax', () => loopKernelsOf((a: T) => a.sub(a.max({ axis: 1, keepdims: true })).exp().div(a.exp().sum({ axis: 1, keepdims: true })), S([200, 300]))],
  ['matmul', () => loopKernelsOf((a: T, b: T) => a.matmul(b).add(1), S([33, 17]), S([17, 29]))],
  ['batched matmul i32', () => loopKernelsOf((a: T, b: T) => a.matmul(b), S([2, 5, 7], 'i32'), S([2, 7, 3], 'i32'))],
  ['matmul f16', () => loopKernelsOf((a: T, b: T) => a.matmul(b), S([6, 9], 'f16'), S([9, 4], 'f16'))],
  ['sort', () => loopKernelsOf((a: T) => k.sort(a), S([7, 13]))],
  ['argsort axis 0', () => loopKernelsOf((a: T) => k.argsort(a, 0), S([9, 5]))],
  ['cumsum', () => loopKernelsOf((a: T) => k.cumsum(a, 1), S([50, 800]))],
  ['random bits', () => loopKernelsOf((a: T) => k.random.uniform(k.random.key(3), [300, 200]).add(a), S([300, 200]))],
  ['gather', () => loopKernelsOf((a: T, i: T) => k.take(a, i, 0), S([20, 8]), S([30], 'i32'))],
];

describe('GPU mappings agree with the loop interpreter (CPU simulator)', () => {
  for (const [name, kernels] of cases) {
    it(name, () => {
      for (const lk of kernels()) checkMapping(lk, 7, { rtol: 1e-4 });
    });
  }
  it('flat elementwise launches take 4 consecutive items per thread (vector accesses), loads before stores', () => {
    const [lk] = loopKernelsOf((a: T, b: T) => a.mul(b).tanh(), S([300, 200]), S([300, 200]));
    const [g] = checkMapping(lk!, 5, {}, { block: 64, maxBlocks: 7 });
    expect(g!.vector).toBe(4);
    expect(g!.launch.grid[0]).toBe(7); // 15000 groups on 7 blocks of 64: grid-stride
    const [odd] = loopKernelsOf((a: T) => a.exp(), S([301]));
    expect(checkMapping(odd!, 5)[0]!.vector).toBeUndefined();
  });
  it('grid-stride launches (few blocks) and small blocks', () => {
    for (const lk of loopKernelsOf((a: T) => a.mul(2).sin(), S([70, 90]))) checkMapping(lk, 3, {}, { block: 64, maxBlocks: 3 });
  });
});
