// SortStmt: a stable sort of every sequence, lexicographic over the first numKeys inputs,
// ascending with NaN last (NaNs tie with each other, -0 ties with +0), as runtime/interp/sort.ts.
//
// Per sequence, a permutation (i64 positions) is sorted rather than the data: insertion sort on
// runs of RUN elements, then bottom-up merges of width RUN, 2·RUN, ... ping-ponging between two
// malloc'd arrays (taking from the right run only when strictly less keeps it stable). Then
// every input is gathered through the permutation into its output. An output that is also an
// input (in place) first has that input's sequence copied to a scratch array.
import llvm from 'llvm-bindings';
import type { DType } from '../../ir/dtype.ts';
import type { SortStmt } from '../../lower/loop-ir.ts';
import { emitFor, emitIf, emitWhile, smin, type LoopHost, type ModuleCg } from './cg.ts';

const RUN = 32;

export interface SortParams {
  /** Typed base pointer of param i. */
  ptr(i: number): llvm.Value;
  dtype(i: number): DType;
}

export function emitSort(m: ModuleCg, h: LoopHost, s: SortStmt, params: SortParams): void {
  const b = h.builder;
  const k = (v: number) => m.constI64(v);
  const { outer, len, inner } = s;
  if (outer <= 0 || len <= 0 || inner <= 0) return;
  const malloc = m.extern('malloc', m.i8p, [m.i64]);
  const free = m.extern('free', m.void, [m.i8p]);
  const i64p = llvm.PointerType.getUnqual(m.i64);
  const alloc = (bytes: number, ty: llvm.Type) => {
    const raw = b.CreateCall(malloc, [k(bytes)]);
    return { raw, p: b.CreateBitCast(raw, llvm.PointerType.getUnqual(ty)) };
  };
  const perm = alloc(len * 8, m.i64);
  const tmp = alloc(len * 8, m.i64);
  const aliased = new Map<number, { raw: llvm.Value; p: llvm.Value }>();
  for (const inp of s.inputs) {
    if (s.outputs.includes(inp) && !aliased.has(inp)) aliased.set(inp, alloc(len * 8, m.memType(params.dtype(inp))));
  }
  const src = h.alloca(i64p, 'sort.src');
  const dst = h.alloca(i64p, 'sort.dst');
  const kv = h.alloca(m.i64, 'sort.k');
  const iv = h.alloca(m.i64, 'sort.i');
  const jv = h.alloca(m.i64, 'sort.j');
  const flag = h.alloca(m.i1, 'sort.flag');
  const width = h.alloca(m.i64, 'sort.width');
  const at = (p: llvm.Value, idx: llvm.Value) => b.CreateInBoundsGEP(m.i64, p, idx);
  const ld = (p: llvm.Value, idx: llvm.Value) => b.CreateLoad(m.i64, at(p, idx));
  const st = (p: llvm.Value, idx: llvm.Value, v: llvm.Value) => b.CreateStore(v, at(p, idx));
  const keys = s.inputs.slice(0, s.numKeys);

  emitFor(h, k(0), k(outer), (o) => {
    emitFor(h, k(0), k(inner), (ii) => {
      const base = b.CreateAdd(b.CreateMul(o, k(len * inner)), ii);
      const elemAt = (pos: llvm.Value) => b.CreateAdd(base, b.CreateMul(pos, k(inner)));
      /** Whether element x sorts strictly before element y (positions in the sequence). */
      const less = (x: llvm.Value, y: llvm.Value): llvm.Value => {
        const cmps = keys.map((p) => compareKey(m, b, params.dtype(p), params.ptr(p), elemAt(x), elemAt(y)));
        let r = cmps[cmps.length - 1]!;
        for (let t = cmps.length - 2; t >= 0; t--) r = b.CreateSelect(b.CreateICmpNE(cmps[t]!, m.constI32(0)), cmps[t]!, r);
        return b.CreateICmpSLT(r, m.constI32(0));
      };
      emitFor(h, k(0), k(len), (j) => st(perm.p, j, j), 'sort.init');
      if (keys.length > 0 && len > 1) {
        // insertion sort of each run [start, min(start + RUN, len))
        emitFor(h, k(0), k(Math.ceil(len / RUN)), (run) => {
          const start = b.CreateMul(run, k(RUN));
          const end = smin(b, b.CreateAdd(start, k(RUN)), k(len));
          emitFor(h, b.CreateAdd(start, k(1)), end, (j) => {
            const v = ld(perm.p, j);
            b.CreateStore(j, kv);
            emitWhile(h, () => {
              b.CreateStore(m.constBool(false), flag);
              const kk = b.CreateLoad(m.i64, kv);
              emitIf(h, b.CreateICmpSGT(kk, start), () => {
                b.CreateStore(less(v, ld(perm.p, b.CreateSub(kk, k(1)))), flag);
              });
              return b.CreateLoad(m.i1, flag);
            }, () => {
              const kk = b.CreateLoad(m.i64, kv);
              const km1 = b.CreateSub(kk, k(1));
              st(perm.p, kk, ld(perm.p, km1));
              b.CreateStore(km1, kv);
            }, 'sort.ins');
            st(perm.p, b.CreateLoad(m.i64, kv), v);
          }, 'sort.ins.j');
        }, 'sort.run');
      }
      b.CreateStore(perm.p, src);
      b.CreateStore(tmp.p, dst);
      if (keys.length > 0 && len > RUN) {
        b.CreateStore(k(RUN), width);
        emitWhile(h, () => b.CreateICmpSLT(b.CreateLoad(m.i64, width), k(len)), () => {
          const w = b.CreateLoad(m.i64, width);
          const w2 = b.CreateMul(w, k(2));
          const sp = b.CreateLoad(i64p, src);
          const dp = b.CreateLoad(i64p, dst);
          const pairs = b.CreateSDiv(b.CreateAdd(k(len - 1), w2), w2);
          emitFor(h, k(0), pairs, (pi) => {
            const lo = b.CreateMul(pi, w2);
            const mid = smin(b, b.CreateAdd(lo, w), k(len));
            const hi = smin(b, b.CreateAdd(lo, w2), k(len));
            b.CreateStore(lo, iv);
            b.CreateStore(mid, jv);
            emitFor(h, lo, hi, (kk) => {
              const i = b.CreateLoad(m.i64, iv);
              const j = b.CreateLoad(m.i64, jv);
              // take the right element iff j < hi && (i >= mid || right < left)
              b.CreateStore(m.constBool(false), flag);
              emitIf(h, b.CreateICmpSLT(j, hi), () => {
                emitIf(h, b.CreateICmpSGE(i, mid), () => b.CreateStore(m.constBool(true), flag), () => {
                  b.CreateStore(less(ld(sp, j), ld(sp, i)), flag);
                });
              });
              emitIf(h, b.CreateLoad(m.i1, flag), () => {
                st(dp, kk, ld(sp, j));
                b.CreateStore(b.CreateAdd(j, k(1)), jv);
              }, () => {
                st(dp, kk, ld(sp, i));
                b.CreateStore(b.CreateAdd(i, k(1)), iv);
              });
            }, 'sort.merge.k');
          }, 'sort.merge');
          b.CreateStore(dp, src);
          b.CreateStore(sp, dst);
          b.CreateStore(w2, width);
        }, 'sort.pass');
      }
      const order = b.CreateLoad(i64p, src);
      // copy in-place inputs aside before any output of this sequence is written
      for (const [p, scratch] of aliased) {
        const ty = m.memType(params.dtype(p));
        emitFor(h, k(0), k(len), (e) => {
          const v = b.CreateLoad(ty, b.CreateInBoundsGEP(ty, params.ptr(p), elemAt(e)));
          b.CreateStore(v, b.CreateInBoundsGEP(ty, scratch.p, e));
        }, 'sort.save');
      }
      s.inputs.forEach((p, t) => {
        const out = s.outputs[t]!;
        const ty = m.memType(params.dtype(p));
        const scratch = aliased.get(p);
        emitFor(h, k(0), k(len), (e) => {
          const from = ld(order, e);
          const v = scratch
            ? b.CreateLoad(ty, b.CreateInBoundsGEP(ty, scratch.p, from))
            : b.CreateLoad(ty, b.CreateInBoundsGEP(ty, params.ptr(p), elemAt(from)));
          b.CreateStore(v, b.CreateInBoundsGEP(ty, params.ptr(out), elemAt(e)));
        }, 'sort.gather');
      });
    }, 'sort.inner');
  }, 'sort.outer');
  b.CreateCall(free, [perm.raw]);
  b.CreateCall(free, [tmp.raw]);
  for (const scratch of aliased.values()) b.CreateCall(free, [scratch.raw]);
}

/** -1, 0 or 1 (i32): the interpreter's compareValues, NaN after every number. */
function compareKey(m: ModuleCg, b: llvm.IRBuilder, d: DType, p: llvm.Value, ix: llvm.Value, iy: llvm.Value): llvm.Value {
  const ty = m.memType(d);
  const x = b.CreateLoad(ty, b.CreateInBoundsGEP(ty, p, ix));
  const y = b.CreateLoad(ty, b.CreateInBoundsGEP(ty, p, iy));
  const one = m.constI32(1), minus = m.constI32(-1), zero = m.constI32(0);
  if (d === 'i32' || d === 'bool') {
    const lt = d === 'i32' ? b.CreateICmpSLT(x, y) : b.CreateICmpULT(x, y);
    const gt = d === 'i32' ? b.CreateICmpSGT(x, y) : b.CreateICmpUGT(x, y);
    return b.CreateSelect(lt, minus, b.CreateSelect(gt, one, zero));
  }
  const lt = b.CreateFCmpOLT(x, y), gt = b.CreateFCmpOGT(x, y);
  const xn = b.CreateFCmpUNE(x, x), yn = b.CreateFCmpUNE(y, y);
  const nanOrder = b.CreateSelect(b.CreateICmpEQ(xn, yn), zero, b.CreateSelect(xn, one, minus));
  return b.CreateSelect(lt, minus, b.CreateSelect(gt, one, nanOrder));
}
