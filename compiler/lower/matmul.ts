// dot_general → one MatmulStmt over flat buffers, then the elementwise epilogue.
//
// Operands: each operand's axes are grouped as (batch, free, contracting) for the lhs and
// (batch, contracting, free) for the rhs, and each group must collapse into one uniform
// stride (row-major over the group's axes in the dot's order; size-1 axes are ignored). An
// operand held in a buffer, or a view of one through transpose, broadcast_in_dim (stride 0)
// or a reshape of a contiguous value, is used in place with those strides; so a transposed
// operand costs nothing. An explicit transposing copy into a scratch parameter (laid out
// [batch, m, k] / [batch, k, n]) happens when
//   - the operand is computed by the kernel (not a buffer or such a view of one), or
//   - its batch axes, free axes or contracting axes are not uniformly strided: e.g. free
//     axes that are not adjacent in the operand, batch axes out of memory order, a slice or
//     rev view.
//
// Result and epilogue: the MatmulStmt writes the dot's result C, [batch, m, n] row-major,
// which is exactly the dot_general result's row-major layout. When the dot is the kernel's
// last heavy equation and every output still to be written has as many elements as C:
//   - C is the dot's own output parameter if the dot result is an output; else an output of
//     the same dtype, overwritten in place by the epilogue (each element reads C[f] into a
//     let before any store of that iteration); else a scratch parameter;
//   - one loop nest over the result shape then computes every output from C[f] (read back
//     from the buffer) and the other inputs.
// If the epilogue reads C at another position (a transposing epilogue), or outputs differ in
// size, C goes to the dot's output parameter or scratch and finishOutputs computes the rest.
import { sizeOf, type EqnOf, type Var } from '../ir/ir.ts';
import { Primitive } from '../ir/primitives.ts';
import { FuseFail, LoweringContext, PARALLEL_MIN_WORK, type Target } from './context.ts';
import { epilogueTargets, fusedEpilogue } from './reduce.ts';
import type { MatmulStmt } from './loop-ir.ts';
import { sameAval, stridesOf } from '../ir/ir.ts';


/** If `v` is a buffer or a zero-offset strided view of one: the buffer and v's axis strides. */
function stridedView(ctx: LoweringContext, v: Var): { buf: number; strides: number[] } | null {
  const buf = ctx.bufOf.get(v);
  if (buf !== undefined) return { buf, strides: stridesOf(v.aval.shape) };
  if (ctx.hooks.has(v)) return null;
  const e = ctx.producer.get(v);
  if (!e) return null;
  switch (e.primitive) {
    case Primitive.StopGradient:
      return stridedView(ctx, e.inputs[0]!);
    case Primitive.Transpose: {
      const u = stridedView(ctx, e.inputs[0]!);
      return u && { buf: u.buf, strides: e.params.perm.map((a) => u.strides[a]!) };
    }
    case Primitive.BroadcastInDim: {
      const u = stridedView(ctx, e.inputs[0]!);
      if (!u) return null;
      const st = new Array<number>(v.aval.shape.length).fill(0);
      const xs = e.inputs[0]!.aval.shape;
      e.params.dims.forEach((d, i) => (st[d] = xs[i] === 1 ? 0 : u.strides[i]!));
      return { buf: u.buf, strides: st };
    }
    case Primitive.Reshape: {
      const x = e.inputs[0]!;
      const u = stridedView(ctx, x);
      if (!u) return null;
      const rm = stridesOf(x.aval.shape);
      const contiguous = x.aval.shape.every((d, i) => d === 1 || u.strides[i] === rm[i]);
      return contiguous ? { buf: u.buf, strides: stridesOf(v.aval.shape) } : null;
    }
    default:
      return null;
  }
}

/** The single stride of a group of axes (row-major in the given order), or null. */
function collapse(axes: readonly number[], shape: readonly number[], st: readonly number[]): number | null {
  if (axes.some((a) => shape[a] === 0)) return 0;
  const nu = axes.filter((a) => shape[a] !== 1);
  if (nu.length === 0) return 0;
  for (let j = 0; j + 1 < nu.length; j++) {
    if (st[nu[j]!] !== st[nu[j + 1]!]! * shape[nu[j + 1]!]!) return null;
  }
  return st[nu[nu.length - 1]!]!;
}

/** The operand's buffer and (batch, row, column) strides, copying it when necessary. */
function operand(ctx: LoweringContext, v: Var, groups: readonly (readonly number[])[]): { buf: number; strides: [number, number, number] } {
  const shape = v.aval.shape;
  const view = stridedView(ctx, v);
  if (view) {
    const s = groups.map((g) => collapse(g, shape, view.strides));
    if (s.every((x) => x !== null)) return { buf: view.buf, strides: s as [number, number, number] };
  }
  const order = groups.flat();
  const dims = order.map((a) => shape[a]!);
  const sizes = groups.map((g) => sizeOf(g.map((a) => shape[a]!)));
  const buf = ctx.scratch(v.aval.dtype, sizeOf(shape));
  const par = sizeOf(shape) >= PARALLEL_MIN_WORK;
  ctx.chooseGroups([dims], ([g]) =>
    ctx.nest(dims, g!, par, (idx) => {
      const src = new Array(shape.length);
      order.forEach((a, i) => (src[a] = idx[i]!));
      ctx.em.emit({ k: 'store', buf, idx: ctx.ix.linearise(idx, dims), e: ctx.valueAt(v, src) });
    }),
  );
  return { buf, strides: [sizes[1]! * sizes[2]!, sizes[2]!, 1] };
}

export function lowerDot(ctx: LoweringContext, eqn: EqnOf<Primitive.DotGeneral>, fuse: boolean): void {
  const [l, r] = eqn.inputs as [Var, Var];
  const d = eqn.outputs[0]!;
  const p = eqn.params;
  const ls = l.aval.shape, rs = r.aval.shape, D = d.aval.shape;
  const lFree = ls.map((_, i) => i).filter((i) => !p.lhsContract.includes(i) && !p.lhsBatch.includes(i));
  const rFree = rs.map((_, i) => i).filter((i) => !p.rhsContract.includes(i) && !p.rhsBatch.includes(i));
  const dims = (s: readonly number[], axes: readonly number[]) => sizeOf(axes.map((a) => s[a]!));
  const a = operand(ctx, l, [p.lhsBatch, lFree, p.lhsContract]);
  const b = operand(ctx, r, [p.rhsBatch, p.rhsContract, rFree]);
  const stmt = (c: number): MatmulStmt => ({
    k: 'matmul',
    dtype: d.aval.dtype,
    a: a.buf,
    b: b.buf,
    c,
    batch: dims(ls, p.lhsBatch),
    m: dims(ls, lFree),
    n: dims(rs, rFree),
    kdim: dims(ls, p.lhsContract),
    aStrides: a.strides,
    bStrides: b.strides,
  });

  const epi = fuse ? epilogueTargets(ctx, sizeOf(D)) : null;
  if (epi) {
    const mark = ctx.params.length;
    try {
      const own = epi.find((t) => ctx.isFlatAlias(t.v, d));
      // The product may go into an epilogue output first, unless that output could share its
      // buffer with an input the epilogue still reads (a donated weight updated in place).
      const inPlace = epi.find((t) => t.v.aval.dtype === d.aval.dtype && !ctx.func.inputs.some((v) => sameAval(v.aval, t.v.aval)));
      const c = own?.buf ?? inPlace?.buf ?? ctx.scratch(d.aval.dtype, sizeOf(D));
      const rest: Target[] = epi.filter((t) => t !== own);
      const par = sizeOf(D) >= PARALLEL_MIN_WORK;
      const t = ctx.em.trial(() => {
        ctx.em.emit(stmt(c));
        if (rest.length === 0) return;
        ctx.chooseGroups([D], ([g]) =>
          ctx.nest(D, g!, par, (idx) => fusedEpilogue(ctx, d, idx, ctx.load(c, ctx.ix.linearise(idx, D)), rest)),
        );
      });
      ctx.em.commit(t);
      for (const tg of epi) ctx.fill(tg.pos!, tg.v);
      if (own?.v === d) ctx.bufOf.set(d, c);
      return;
    } catch (e) {
      if (!(e instanceof FuseFail)) throw e;
      ctx.params.length = mark;
    }
  }
  const c = ctx.resultBuffer(d);
  ctx.em.emit(stmt(c));
  ctx.bufOf.set(d, c);
}
