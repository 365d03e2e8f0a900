// dot_general: contraction with batch axes. Result axes: batch, lhs free, rhs free.
import { isFloat, type HostArray } from '../../compiler/ir/dtype.ts';
import { sizeOf, type AVal } from '../../compiler/ir/ir.ts';
import type { Primitive, PrimitiveParams } from '../../compiler/ir/primitives.ts';
import { permuted } from './indexing.ts';
import { floatResult, type HostTensor } from './tensor.ts';

/**
 * The operands are laid out as lhs [B, M, K] and rhs [B, K, N] (batch, free, contracting;
 * batch, contracting, free; no copy when already in that order, e.g. a plain 2-D matmul),
 * then multiplied with an i-k-j loop into a row accumulator.
 *
 * Accumulation: each output is sum over k = 0..K-1 in ascending order of lhs·rhs, computed
 * in double (products of f32/f16/bf16 values are exact in double) and rounded once to the
 * result dtype at the end. A backend accumulating in f32 differs by rounding error only.
 * i32 products and sums wrap mod 2^32.
 */
export function evalDotGeneral(l: HostTensor, r: HostTensor, p: PrimitiveParams[Primitive.DotGeneral], out: AVal): HostArray {
  const ls = l.aval.shape, rs = r.aval.shape;
  const lFree = ls.map((_, i) => i).filter((i) => !p.lhsContract.includes(i) && !p.lhsBatch.includes(i));
  const rFree = rs.map((_, i) => i).filter((i) => !p.rhsContract.includes(i) && !p.rhsBatch.includes(i));
  const a = permuted(l.data, ls, [...p.lhsBatch, ...lFree, ...p.lhsContract]);
  const b = permuted(r.data, rs, [...p.rhsBatch, ...p.rhsContract, ...rFree]);
  const dims = (s: readonly number[], axes: number[]) => sizeOf(axes.map((i) => s[i]!));
  const B = dims(ls, p.lhsBatch), M = dims(ls, lFree), K = dims(ls, p.lhsContract), N = dims(rs, rFree);
  const d = out.dtype;

  if (isFloat(d)) return floatResult(d, B * M * N, (o) => matmulFloat(a, b, o, B, M, K, N));
  return matmulInt(a, b, B, M, K, N);
}

// The kernels take everything as parameters (not closure variables) so V8 keeps the arrays
// in registers in the inner loop.
function matmulFloat(a: HostArray, b: HostArray, o: Float32Array | Float64Array, B: number, M: number, K: number, N: number): void {
  const acc = new Float64Array(N);
  for (let bt = 0; bt < B; bt++) {
    for (let i = 0; i < M; i++) {
      acc.fill(0);
      const aRow = (bt * M + i) * K;
      for (let k = 0; k < K; k++) {
        const aik = a[aRow + k]!, bRow = (bt * K + k) * N;
        for (let j = 0; j < N; j++) acc[j] += aik * b[bRow + j]!;
      }
      o.set(acc, (bt * M + i) * N);
    }
  }
}

function matmulInt(a: HostArray, b: HostArray, B: number, M: number, K: number, N: number): Int32Array {
  const o = new Int32Array(B * M * N);
  const acc = new Int32Array(N);
  for (let bt = 0; bt < B; bt++) {
    for (let i = 0; i < M; i++) {
      acc.fill(0);
      const aRow = (bt * M + i) * K;
      for (let k = 0; k < K; k++) {
        const aik = a[aRow + k]!, bRow = (bt * K + k) * N;
        for (let j = 0; j < N; j++) acc[j] = (acc[j]! + Math.imul(aik, b[bRow + j]!)) | 0;
      }
      o.set(acc, (bt * M + i) * N);
    }
  }
  return o;
}
