// The text of fused programs (`kiln ir --stage fused`): kernels with their kinds, the buffers
// they read and write named as in the printed source function, their funcs, and control
// steps with their regions' programs nested.
import { describe, expect, it } from 'vitest';
import * as k from '../../index.ts';
import { optimize } from '../../compiler/passes/index.ts';
import { fuse, planMemory, printFused } from '../../compiler/fuse/index.ts';
import { irText } from '../helpers/ir.ts';

type T = k.Tensor;

describe('printFused', () => {
  it('prints softmax', () => {
    const softmax = (x: T) => {
      const e = k.exp(k.sub(x, k.max(x, { axis: -1, keepdims: true })));
      return k.div(e, k.sum(e, { axis: -1, keepdims: true }));
    };
    const fn = optimize(k.makeIR(softmax)(k.shapeDtype([2, 3])).func);
    const text = printFused(fuse(fn));
    expect(printFused(fuse(fn))).toBe(text);
    expect(irText(text)).toMatchInlineSnapshot(`
      "fused @softmax(%0: f32[2,3]) {
        k0_reduce reduce reads(%0) writes(%1)
          func @k0_reduce(%0: f32[2,3]) -> (f32[2]) {
            %1 = reduce_max %0 {axes=[1]} : f32[2]  loc("test/fuse/print.test.ts":L:C)
            return %1
          }
        k1_reduce reduce reads(%1, %0) writes(%6)
          func @k1_reduce(%0: f32[2], %1: f32[2,3]) -> (f32[2]) {
            %2 = reshape %0 {shape=[2,1]} : f32[2,1]  loc("test/fuse/print.test.ts":L:C)
            %3 = broadcast_in_dim %2 {shape=[2,3], dims=[0,1]} : f32[2,3]  loc("test/fuse/print.test.ts":L:C)
            %4 = sub %1, %3 : f32[2,3]  loc("test/fuse/print.test.ts":L:C)
            %5 = exp %4 : f32[2,3]  loc("test/fuse/print.test.ts":L:C)
            %6 = reduce_sum %5 {axes=[1]} : f32[2]  loc("test/fuse/print.test.ts":L:C)
            return %6
          }
        k2_elementwise elementwise reads(%1, %0, %6) writes(%9)
          func @k2_elementwise(%0: f32[2], %1: f32[2,3], %2: f32[2]) -> (f32[2,3]) {
            %3 = reshape %0 {shape=[2,1]} : f32[2,1]  loc("test/fuse/print.test.ts":L:C)
            %4 = broadcast_in_dim %3 {shape=[2,3], dims=[0,1]} : f32[2,3]  loc("test/fuse/print.test.ts":L:C)
            %5 = sub %1, %4 : f32[2,3]  loc("test/fuse/print.test.ts":L:C)
            %6 = exp %5 : f32[2,3]  loc("test/fuse/print.test.ts":L:C)
            %7 = reshape %2 {shape=[2,1]} : f32[2,1]  loc("test/fuse/print.test.ts":L:C)
            %8 = broadcast_in_dim %7 {shape=[2,3], dims=[0,1]} : f32[2,3]  loc("test/fuse/print.test.ts":L:C)
            %9 = div %6, %8 : f32[2,3]  loc("test/fuse/print.test.ts":L:C)
            return %9
          }
        return %9
      }
      "
    `);
  });

  it('nests the programs of control-flow regions', () => {
    const f = (xs: T) => k.scan((c: T, x: T): [T, T] => [k.add(c, k.sum(x)), k.exp(x)], k.zeros([]), xs);
    const fn = optimize(k.makeIR(f)(k.shapeDtype([6, 2])).func);
    expect(irText(printFused(fuse(fn)))).toMatchInlineSnapshot(`
      "fused @f(%0: f32[6,2]) {
        k0_elementwise elementwise reads() writes(%1)
          func @k0_elementwise() -> (f32[]) {
            %0 = constant {shape=[], dtype=f32, data=[0]} : f32[]  loc("test/fuse/print.test.ts":L:C)
            return %0
          }
        control scan reads(%1, %0) writes(%2, %3)
          region body:
          fused @body(%0: f32[], %1: f32[2]) {
            k0_reduce reduce reads(%1, %0) writes(%3)
              func @k0_reduce(%0: f32[2], %1: f32[]) -> (f32[]) {
                %2 = reduce_sum %0 {axes=[0]} : f32[]  loc("test/fuse/print.test.ts":L:C)
                %3 = add %1, %2 : f32[]  loc("test/fuse/print.test.ts":L:C)
                return %3
              }
            k1_elementwise elementwise reads(%1) writes(%4)
              func @k1_elementwise(%0: f32[2]) -> (f32[2]) {
                %1 = exp %0 : f32[2]  loc("test/fuse/print.test.ts":L:C)
                return %1
              }
            return %3, %4
          }
        return %2, %3
      }
      "
    `);
  });
});

describe('printFused with a memory plan', () => {
  it('ends each level with the places of its buffers', () => {
    const f = (x: T, w: T) => k.cumsum(k.sin(k.cumsum(k.exp(k.matmul(x, w)), 0)), 0);
    const fn = optimize(k.makeIR(f)(k.shapeDtype([4, 3]), k.shapeDtype([3, 2])).func);
    const p = fuse(fn);
    const text = printFused(p, planMemory(p, {}));
    expect(text.slice(text.lastIndexOf('\n  return ') + 1)).toMatchInlineSnapshot(`
      "  return %6
        memory: arena 128 bytes, peak 232 bytes
          %3: arena [0, 64)
          %4: arena [64, 128)
          %5: arena [0, 64)
          %6: output 0
      }
      "
    `);
  });
});
