// scatter, cumsum and sort: each reads its operands from buffers (materialised by an
// elementwise nest when the kernel computes them) and writes its results to their output
// parameters (scratch when a result is not an output).
import { sizeOf, type EqnOf, type Var } from '../ir/ir.ts';
import { Primitive } from '../ir/primitives.ts';
import { CHUNK, LoweringContext, PARALLEL_MIN_WORK } from './context.ts';
import { castTo } from './elementwise.ts';
import { bin, constOf, idxConst } from './index-exprs.ts';
import type { Expr } from './loop-ir.ts';

/**
 * scatter: out = x (an elementwise copy, parallel when large), then one sequential loop over
 * the index rows in row-major order; row b adds / writes its S = prod(x.shape[k:]) updates at
 * offset Σ_j clamp(indices[b, j], 0, x.shape[j]-1)·stride_j. The inner loop over the S
 * elements of a row is independent (it vectorises); rows are not (duplicates), so 'set'
 * lets the later row win and 'add' accumulates in row order, rounding to the dtype after
 * every addition exactly as the interpreter (logical or for bool).
 */
export function lowerScatter(ctx: LoweringContext, eqn: EqnOf<Primitive.Scatter>): void {
  const { em, ix } = ctx;
  const [x, ind, upd] = eqn.inputs as [Var, Var, Var];
  const s = eqn.outputs[0]!;
  const xs = x.aval.shape, is = ind.aval.shape;
  const k = is[is.length - 1]!;
  const rows = sizeOf(is.slice(0, -1)), S = sizeOf(xs.slice(k));
  const out = ctx.resultBuffer(s);
  ctx.elementwise([{ v: x, buf: out }], xs);
  ctx.bufOf.set(s, out);
  if (xs.slice(0, k).some((d) => d === 0) || rows === 0 || S === 0) return;
  const ib = ctx.bufferOf(ind), ub = ctx.bufferOf(upd);
  const dt = x.aval.dtype;
  let stride = S;
  const strides = new Array<number>(k);
  for (let j = k - 1; j >= 0; j--) {
    strides[j] = stride;
    stride *= xs[j]!;
  }
  em.loop(rows, false, (b) => {
    let off: Expr = idxConst(0);
    for (let j = 0; j < k; j++) {
      const raw = castTo(ctx.load(ib, ix.add(ix.mul(b, k), idxConst(j))), 'index');
      off = ix.add(off, ix.mul(ix.clamp(raw, 0, xs[j]! - 1), strides[j]!));
    }
    const base = em.bind(off);
    em.loop(S, false, (e) => {
      const at = ix.add(base, e);
      const u = ctx.load(ub, ix.add(ix.mul(b, S), e));
      const v = eqn.params.mode === 'set' ? u : bin(dt === 'bool' ? Primitive.Or : Primitive.Add, dt, ctx.load(out, at), u);
      em.emit({ k: 'store', buf: out, idx: at, e: v });
    });
  });
}

/**
 * cumsum along an axis, viewing the operand as [outer, len, inner]:
 *  - inner = 1: for each outer row (parallel when large), a scalar accumulator runs along
 *    the axis;
 *  - inner > 1: rows of `inner` contiguous elements: the first row is copied, then row j is
 *    row j-1 (read back from the output) plus the input row j, so the inner loop
 *    vectorises; parallel over outer, or over chunks of the inner axis when outer is 1.
 * The running sum is rounded to the dtype after every addition and starts at 0 (so -0
 * becomes +0), exactly as the interpreter; `reverse` runs from the end.
 */
export function lowerCumsum(ctx: LoweringContext, eqn: EqnOf<Primitive.Cumsum>): void {
  const { em, ix } = ctx;
  const x = eqn.inputs[0]!, y = eqn.outputs[0]!;
  const shape = x.aval.shape, axis = eqn.params.axis, rev = eqn.params.reverse;
  const outer = sizeOf(shape.slice(0, axis)), len = shape[axis]!, inner = sizeOf(shape.slice(axis + 1));
  const xb = ctx.bufferOf(x);
  const yb = ctx.resultBuffer(y);
  ctx.bufOf.set(y, yb);
  const dt = x.aval.dtype;
  const total = outer * len * inner;
  if (total === 0) return;
  const par = total >= PARALLEL_MIN_WORK;
  const zero = constOf(dt, 0);
  const pos = (o: Expr, j: Expr, i: Expr) => ix.add(ix.add(ix.mul(o, len * inner), ix.mul(j, inner)), i);
  const step = (j: Expr) => (rev ? ix.sub(idxConst(len - 1), j) : j);
  if (inner === 1) {
    em.loop(outer, par, (o) => {
      const acc = em.decl(dt, zero);
      em.loop(len, false, (j) => {
        const at = em.bind(pos(o, step(j), idxConst(0)));
        em.assign(acc, bin(Primitive.Add, dt, acc, ctx.load(xb, at)));
        em.emit({ k: 'store', buf: yb, idx: at, e: acc });
      });
    });
    return;
  }
  const rowsOf = (o: Expr, iLoop: (body: (i: Expr) => void) => void) => {
    iLoop((i) => {
      const at = pos(o, step(idxConst(0)), i);
      em.emit({ k: 'store', buf: yb, idx: at, e: bin(Primitive.Add, dt, zero, ctx.load(xb, at)) });
    });
    em.loop(len - 1, false, (j1) => {
      const j = step(ix.add(j1, idxConst(1))), prev = step(j1);
      iLoop((i) => {
        const at = pos(o, j, i);
        em.emit({ k: 'store', buf: yb, idx: at, e: bin(Primitive.Add, dt, ctx.load(yb, pos(o, prev, i)), ctx.load(xb, at)) });
      });
    });
  };
  if (outer === 1 && par && inner >= 2 * CHUNK) {
    em.loop(Math.ceil(inner / CHUNK), true, (c) => {
      const start = ix.mul(c, CHUNK);
      const n = ix.min(idxConst(CHUNK), ix.sub(idxConst(inner), start));
      rowsOf(idxConst(0), (body) => em.loop(n, false, (ii) => body(ix.add(start, ii))));
    });
    return;
  }
  em.loop(outer, par, (o) => rowsOf(o, (body) => em.loop(inner, false, body)));
}

/**
 * sort: one SortStmt over the operands' buffers into the results' buffers, [outer, len,
 * inner] around the axis.
 */
export function lowerSort(ctx: LoweringContext, eqn: EqnOf<Primitive.Sort>): void {
  const shape = eqn.inputs[0]!.aval.shape, axis = eqn.params.axis;
  const inputs = eqn.inputs.map((v) => ctx.bufferOf(v));
  const outputs = eqn.outputs.map((v) => {
    const b = ctx.resultBuffer(v);
    ctx.bufOf.set(v, b);
    return b;
  });
  ctx.em.emit({
    k: 'sort',
    inputs,
    outputs,
    numKeys: eqn.params.numKeys,
    outer: sizeOf(shape.slice(0, axis)),
    len: shape[axis]!,
    inner: sizeOf(shape.slice(axis + 1)),
  });
}
