// The tiled matrix product on the CPU simulator against the loop interpreter: edges in every
// dimension, transposed operands (strides), batches, both tile sizes, f64; and its launch shape.
import { describe, expect, it } from 'vitest';
import * as k from '../../index.ts';
import { mapLoopKernel } from '../../compiler/gpu/index.ts';
import { TILE_LARGE, tiledMatmul } from '../../compiler/gpu/matmul.ts';
import { Names } from '../../compiler/gpu/expand.ts';
import { checkKernels, checkMapping, loopKernelsOf } from './harness.ts';

type T = k.Tensor;
const S = (shape: number[], dtype: k.DType = 'f32') => k.shapeDtype(shape, dtype);

const cases: [string, () => ReturnType<typeof loopKernelsOf>][] = [
  ['edges in m, n and k', () => loopKernelsOf((a: T, b: T) => a.matmul(b), S([70, 21]), S([21, 45]))],
  ['exact tiles', () => loopKernelsOf((a: T, b: T) => a.matmul(b), S([64, 16]), S([16, 64]))],
  ['A transposed', () => loopKernelsOf((a: T, b: T) => a.T.matmul(b), S([19, 66]), S([19, 40]))],
  ['B transposed, with epilogue', () => loopKernelsOf((a: T, b: T) => a.matmul(b.T).add(1), S([40, 9]), S([33, 9]))],
  ['batched', () => loopKernelsOf((a: T, b: T) => a.matmul(b), S([3, 40, 12]), S([3, 12, 35]))],
  ['f64', () => loopKernelsOf((a: T, b: T) => a.matmul(b), S([33, 10], 'f64'), S([10, 65], 'f64'))],
];

describe('tiled matmul agrees with the interpreter (CPU simulator)', () => {
  for (const [name, kernels] of cases) {
    it(name, () => {
      for (const lk of kernels()) {
        const gks = checkMapping(lk, 4, { rtol: 1e-5 });
        expect(gks.some((g) => g.shared.length === 2)).toBe(true);
      }
    });
  }
  it('large tile (128x128, 256 threads, 8x8 per thread) with edges', () => {
    const [lk] = loopKernelsOf((a: T, b: T) => a.matmul(b), S([2, 130, 12]), S([2, 12, 140]));
    const s = lk!.body[0]!;
    if (s.k !== 'matmul') throw new Error('expected a matmul statement');
    const [g] = checkKernels(lk!, [tiledMatmul(lk!.name, lk!.params, s, TILE_LARGE, new Names())], 2, { rtol: 1e-5 });
    expect(g!.launch).toMatchObject({ grid: [2, 2, 2], block: [256, 1, 1] });
    expect(g!.locals.find((l) => l.name === 'acc')!.size).toBe(64);
  });
  it('launch shapes: batch on grid.z; small or integer products stay one thread per element', () => {
    const [big] = loopKernelsOf((a: T, b: T) => a.matmul(b), S([4, 512, 256]), S([4, 256, 512]));
    expect(mapLoopKernel(big!)[0]!.launch).toMatchObject({ grid: [8, 8, 4], block: [256, 1, 1] }); // 64x64 tiles: 128x128 would leave SMs idle
    const [huge] = loopKernelsOf((a: T, b: T) => a.matmul(b), S([4096, 4096]), S([4096, 4096]));
    expect(mapLoopKernel(huge!)[0]!.launch).toMatchObject({ grid: [32, 32, 1], block: [256, 1, 1] });
    const [small] = loopKernelsOf((a: T, b: T) => a.matmul(b), S([8, 17]), S([17, 8]));
    expect(mapLoopKernel(small!)[0]!.shared).toEqual([]);
    const [int] = loopKernelsOf((a: T, b: T) => a.matmul(b), S([64, 64], 'i32'), S([64, 64], 'i32'));
    expect(mapLoopKernel(int!)[0]!.shared).toEqual([]);
  });
});
