// Property tests (fast-check) of the movement, reduction and contraction kernels against
// naive definitions written here independently of the interpreter's own index helpers.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DType } from '../../compiler/ir/dtype.ts';
import { Primitive, type PrimitiveParams } from '../../compiler/ir/primitives.ts';
import { evalPrimitive, hostTensor, type HostTensor } from '../../runtime/interp/index.ts';

const ev = <P extends Primitive>(p: P, params: PrimitiveParams[P], ...ins: HostTensor[]) => evalPrimitive(p, params, ins)[0]!;
const vals = (x: HostTensor) => Array.from(x.data);
const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Naive row-major offset of a multi-index. */
function offset(idx: readonly number[], shape: readonly number[]): number {
  let o = 0;
  for (let i = 0; i < shape.length; i++) o = o * shape[i]! + idx[i]!;
  return o;
}
/** Naive multi-index of a row-major offset. */
function multi(o: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let i = shape.length - 1; i >= 0; i--) {
    idx[i] = o % shape[i]!;
    o = Math.floor(o / shape[i]!);
  }
  return idx;
}

const shapeArb = (maxRank = 4, maxDim = 4) => fc.array(fc.integer({ min: 0, max: maxDim }), { maxLength: maxRank });
const f32 = fc.float({ noNaN: true, min: -1e6, max: 1e6 });
const tensorArb = (shape: number[], dtype: DType = 'f32') =>
  (dtype === 'i32' ? fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { minLength: size(shape), maxLength: size(shape) })
    : fc.array(f32, { minLength: size(shape), maxLength: size(shape) })).map((v) => hostTensor(shape, dtype, v));
const permArb = (n: number) => fc.shuffledSubarray(range(n), { minLength: n, maxLength: n });

describe('properties', () => {
  it('transpose by perm then by its inverse is the identity', () => {
    fc.assert(
      fc.property(
        shapeArb().chain((s) => fc.tuple(tensorArb(s), permArb(s.length))),
        ([x, perm]) => {
          const inv = new Array<number>(perm.length);
          perm.forEach((p, i) => (inv[p] = i));
          const y = ev(Primitive.Transpose, { perm }, x);
          // y[i] = x[i permuted by perm]
          for (let o = 0; o < y.data.length; o++) {
            const yi = multi(o, y.aval.shape), xi = new Array<number>(perm.length);
            perm.forEach((p, i) => (xi[p] = yi[i]!));
            expect(y.data[o]).toBe(x.data[offset(xi, x.aval.shape)]);
          }
          const z = ev(Primitive.Transpose, { perm: inv }, y);
          expect(z.aval.shape).toEqual(x.aval.shape);
          expect(vals(z)).toEqual(vals(x));
        },
      ),
    );
  });

  it('reshape preserves row-major order', () => {
    fc.assert(
      fc.property(
        shapeArb().chain((s) => fc.tuple(tensorArb(s, 'i32'), permArb(s.length).map((p) => p.map((i) => s[i]!)))),
        ([x, shape]) => {
          const y = ev(Primitive.Reshape, { shape }, x);
          expect(y.aval.shape).toEqual(shape);
          expect(vals(y)).toEqual(vals(x));
          expect(vals(ev(Primitive.Reshape, { shape: [x.data.length] }, x))).toEqual(vals(x));
        },
      ),
    );
  });

  it('reduce_sum over all axes equals a naive row-major sum', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<DType>('f32', 'f64', 'i32').chain((d) => shapeArb().chain((s) => tensorArb(s, d))),
        (x) => {
          const axes = range(x.aval.shape.length).reverse();
          const r = ev(Primitive.ReduceSum, { axes }, x);
          let s = 0;
          for (const v of x.data) s = x.aval.dtype === 'i32' ? (s + v) | 0 : s + v;
          expect(r.aval.shape).toEqual([]);
          expect(r.data[0]).toBe(x.aval.dtype === 'f32' ? Math.fround(s) : s);
        },
      ),
    );
  });

  it('broadcast_in_dim then reduce_sum over the new axes is x times the broadcast factor', () => {
    // Small integers so that both sides are exact.
    const arb = fc
      .tuple(shapeArb(3), fc.array(fc.tuple(fc.nat(3), fc.integer({ min: 0, max: 3 })), { maxLength: 3 }))
      .chain(([s, inserts]) => {
        const shape = [...s];
        const isNew = s.map(() => false);
        for (const [at, d] of inserts) {
          const pos = at % (shape.length + 1);
          shape.splice(pos, 0, d);
          isNew.splice(pos, 0, true);
        }
        const dims = range(shape.length).filter((i) => !isNew[i]);
        const newAxes = range(shape.length).filter((i) => isNew[i]);
        const data = fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: size(s), maxLength: size(s) });
        return fc.tuple(fc.constant({ s, shape, dims, newAxes }), data, fc.constantFrom<DType>('f32', 'i32'));
      });
    fc.assert(
      fc.property(arb, ([{ s, shape, dims, newAxes }, data, dtype]) => {
        const x = hostTensor(s, dtype, data);
        const b = ev(Primitive.BroadcastInDim, { shape, dims }, x);
        const r = ev(Primitive.ReduceSum, { axes: newAxes }, b);
        const factor = size(newAxes.map((a) => shape[a]!));
        expect(r.aval.shape).toEqual(s);
        expect(vals(r)).toEqual(data.map((v) => v * factor + 0));
      }),
    );
  });

  it('slicing a concatenation recovers its parts', () => {
    const arb = fc
      .tuple(shapeArb(3), fc.nat(2), fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 4 }))
      .filter(([s]) => s.length > 0)
      .chain(([s, a, lens]) => {
        const axis = a % s.length;
        const shapes = lens.map((n) => s.map((d, i) => (i === axis ? n : d)));
        return fc.tuple(fc.constant(axis), fc.tuple(...shapes.map((sh) => tensorArb(sh))));
      });
    fc.assert(
      fc.property(arb, ([axis, parts]) => {
        const c = ev(Primitive.Concatenate, { axis }, ...parts);
        let at = 0;
        for (const p of parts) {
          const shape = c.aval.shape;
          const start = shape.map((_, i) => (i === axis ? at : 0));
          const limit = shape.map((d, i) => (i === axis ? at + p.aval.shape[axis]! : d));
          const sl = ev(Primitive.Slice, { start, limit, strides: shape.map(() => 1) }, c);
          expect(sl.aval.shape).toEqual(p.aval.shape);
          expect(vals(sl)).toEqual(vals(p));
          at += p.aval.shape[axis]!;
        }
      }),
    );
  });

  it('dot_general equals a naive loop over output and contracting indices', () => {
    const dimsArb = (max: number) => fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: max });
    const arb = fc
      .record({ b: dimsArb(2), c: dimsArb(2), lf: dimsArb(2), rf: dimsArb(2), dtype: fc.constantFrom<DType>('f32', 'i32') })
      .chain((cfg) => {
        // roles: batch j, free j, contract j; each operand puts its roles in a random order
        const lRoles = [...cfg.b.map((_, j) => ['b', j] as const), ...cfg.lf.map((_, j) => ['f', j] as const), ...cfg.c.map((_, j) => ['c', j] as const)];
        const rRoles = [...cfg.b.map((_, j) => ['b', j] as const), ...cfg.rf.map((_, j) => ['f', j] as const), ...cfg.c.map((_, j) => ['c', j] as const)];
        return fc.tuple(fc.constant(cfg), fc.shuffledSubarray(lRoles, { minLength: lRoles.length, maxLength: lRoles.length }),
          fc.shuffledSubarray(rRoles, { minLength: rRoles.length, maxLength: rRoles.length }));
      })
      .chain(([cfg, lOrder, rOrder]) => {
        const dimOf = (free: number[]) => ([role, j]: readonly [string, number]) => (role === 'b' ? cfg.b : role === 'c' ? cfg.c : free)[j]!;
        const ls = lOrder.map(dimOf(cfg.lf)), rs = rOrder.map(dimOf(cfg.rf));
        const where = (order: (readonly [string, number])[], role: string, n: number) =>
          range(n).map((j) => order.findIndex(([r, k]) => r === role && k === j));
        const params = {
          lhsBatch: where(lOrder, 'b', cfg.b.length), rhsBatch: where(rOrder, 'b', cfg.b.length),
          lhsContract: where(lOrder, 'c', cfg.c.length), rhsContract: where(rOrder, 'c', cfg.c.length),
        };
        return fc.tuple(fc.constant(params), tensorArb(ls, cfg.dtype), tensorArb(rs, cfg.dtype));
      });
    fc.assert(
      fc.property(arb, ([p, l, r]) => {
        const y = ev(Primitive.DotGeneral, p, l, r);
        const ls = l.aval.shape, rs = r.aval.shape, int = l.aval.dtype === 'i32';
        const lFree = range(ls.length).filter((i) => !p.lhsBatch.includes(i) && !p.lhsContract.includes(i));
        const rFree = range(rs.length).filter((i) => !p.rhsBatch.includes(i) && !p.rhsContract.includes(i));
        const bShape = p.lhsBatch.map((a) => ls[a]!), cShape = p.lhsContract.map((a) => ls[a]!);
        const outShape = [...bShape, ...lFree.map((a) => ls[a]!), ...rFree.map((a) => rs[a]!)];
        expect(y.aval.shape).toEqual(outShape);
        const li = new Array<number>(ls.length), ri = new Array<number>(rs.length);
        for (let o = 0; o < size(outShape); o++) {
          const oi = multi(o, outShape);
          p.lhsBatch.forEach((a, j) => (li[a] = oi[j]!));
          p.rhsBatch.forEach((a, j) => (ri[a] = oi[j]!));
          lFree.forEach((a, j) => (li[a] = oi[bShape.length + j]!));
          rFree.forEach((a, j) => (ri[a] = oi[bShape.length + lFree.length + j]!));
          let s = 0;
          for (let c = 0; c < size(cShape); c++) {
            const ci = multi(c, cShape);
            p.lhsContract.forEach((a, j) => (li[a] = ci[j]!));
            p.rhsContract.forEach((a, j) => (ri[a] = ci[j]!));
            const a = l.data[offset(li, ls)]!, b = r.data[offset(ri, rs)]!;
            s = int ? (s + Math.imul(a, b)) | 0 : s + a * b;
          }
          expect(y.data[o]).toBe(int ? s : Math.fround(s));
        }
      }),
    );
  });
});
