// Block-per-row and multi-block reductions on the CPU simulator against the loop interpreter:
// full, row, column and argmax reductions of every combine kind, one launch and two (scratch
// partials).
import { describe, expect, it } from 'vitest';
import * as k from '../../index.ts';
import { mapLoopKernel } from '../../compiler/gpu/index.ts';
import { checkMapping, loopKernelsOf } from './harness.ts';

type T = k.Tensor;
const S = (shape: number[], dtype: k.DType = 'f32') => k.shapeDtype(shape, dtype);

const cases: [string, () => ReturnType<typeof loopKernelsOf>, number][] = [
  ['full sum f32', () => loopKernelsOf((a: T) => a.sum(), S([70001])), 1e-5],
  ['full max and min f32', () => loopKernelsOf((a: T) => [a.max(), a.min()], S([5000])), 0],
  ['full sum i32 (exact)', () => loopKernelsOf((a: T) => a.sum(), S([40000], 'i32')), 0],
  ['full prod i32 (wrapping, exact)', () => loopKernelsOf((a: T) => a.prod(), S([3000], 'i32')), 0],
  ['full sum f16', () => loopKernelsOf((a: T) => a.sum(), S([3000], 'f16')), 1e-2],
  ['full any / all bool', () => loopKernelsOf((a: T) => [a.greater(1.5).any(), a.greater(-3).all()], S([3000])), 0],
  ['row sums, long rows', () => loopKernelsOf((a: T) => a.mul(2).sum({ axis: 1 }).add(1), S([3, 4096])), 1e-5],
  ['row max i32', () => loopKernelsOf((a: T) => a.max({ axis: 1 }), S([5, 700], 'i32')), 0],
  ['argmax rows f32', () => loopKernelsOf((a: T) => k.argmax(a, { axis: 1 }), S([6, 900])), 0],
  ['argmin rows i32 (ties)', () => loopKernelsOf((a: T) => k.argmin(a.div(3), { axis: 1 }), S([4, 800], 'i32')), 0],
  ['argmax full', () => loopKernelsOf((a: T) => k.argmax(a.reshape([-1]), { axis: 0 }), S([100, 100])), 0],
  ['row max, long rows (two launches)', () => loopKernelsOf((a: T) => [a.max({ axis: 1 }), a.sum({ axis: 1 })], S([3, 9000])), 1e-3],
  ['sum over two axes', () => loopKernelsOf((a: T) => a.sum({ axis: [1, 2] }), S([3, 40, 50])), 1e-5],
  ['column sums (edges: 70 columns)', () => loopKernelsOf((a: T) => a.sum({ axis: 0 }), S([3000, 70])), 1e-4],
  ['column mean and max i32', () => loopKernelsOf((a: T, b: T) => [a.mean({ axis: 0 }), b.max({ axis: 0 })], S([900, 40]), S([900, 40], 'i32')), 1e-4],
  ['column sums, kept outer axis, epilogue', () => loopKernelsOf((a: T) => a.sum({ axis: 1 }).mul(3).add(1).abs(), S([3, 2000, 40])), 1e-3],
  ['few long columns f16 and prod', () => loopKernelsOf((a: T) => [a.sum({ axis: 0 }), a.astype('f32').prod({ axis: 0 })], S([5000, 8], 'f16')), 1e-2],
  ['softmax rows', () => loopKernelsOf((a: T) => a.sub(a.max({ axis: 1, keepdims: true })).exp().div(a.exp().sum({ axis: 1, keepdims: true })), S([7, 600])), 1e-5],
];

describe('reductions on blocks of threads agree with the interpreter', () => {
  for (const [name, kernels, rtol] of cases) {
    it(name, () => {
      for (const scratch of [false, true]) for (const lk of kernels()) checkMapping(lk, 11, { rtol }, { scratch });
    });
  }
  it('argmax keeps the first extreme and the first NaN', () => {
    // Integer-valued floats with many ties; NaN handled by randomData? force via log of negatives.
    for (const lk of loopKernelsOf((a: T) => [k.argmax(a.round(), { axis: 1 }), k.argmax(a.log(), { axis: 1 }), k.argmin(a.round(), { axis: 1 })], S([5, 1500]))) {
      for (const scratch of [false, true]) checkMapping(lk, 5, {}, { scratch });
    }
  });
  it('shapes: block per row for long rows, thread per row for short ones, two launches for a long single row', () => {
    const [full] = loopKernelsOf((a: T) => a.sum(), S([1 << 24]));
    const two = mapLoopKernel(full!, { scratch: true });
    expect(two.length).toBe(2);
    expect(two[0]!.launch.grid[0]).toBeGreaterThanOrEqual(512);
    expect(two[0]!.launch.block[0]).toBe(256);
    expect(two[0]!.params.length).toBe(3);
    expect(two[1]!.params).toEqual(two[0]!.params);
    expect(mapLoopKernel(full!).length).toBe(1);
    expect(mapLoopKernel(full!)[0]!.launch.block[0]).toBe(256);
    const [rows] = loopKernelsOf((a: T) => a.sum({ axis: 1 }), S([64, 4096]));
    expect(mapLoopKernel(rows!)[0]!.launch).toMatchObject({ grid: [64, 1, 1], block: [256, 1, 1] });
    const [cols] = loopKernelsOf((a: T) => a.sum({ axis: 0 }), S([4096, 4096]));
    const c2 = mapLoopKernel(cols!, { scratch: true });
    expect(c2.map((g) => g.launch.grid)).toEqual([[128, 8, 1], [16, 1, 1]]);
    expect(mapLoopKernel(cols!).map((g) => g.launch.grid)).toEqual([[128, 1, 1]]);
    const [short] = loopKernelsOf((a: T) => a.sum({ axis: 1 }), S([5000, 10]));
    expect(mapLoopKernel(short!)[0]!.shared.length + mapLoopKernel(short!)[0]!.locals.length).toBe(0);
  });
});
