// Fuzzing: random small kernels of elementwise ops and views, optionally ending in a
// reduction with an epilogue, lowered and compared with the graph interpreter.
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { Builder } from '../../compiler/ir/builder.ts';
import { aval, sizeOf, Var, type Func } from '../../compiler/ir/ir.ts';
import { Primitive, type ReduceOp, type UnaryOp } from '../../compiler/ir/primitives.ts';
import { check } from './harness.ts';

const MAX_SIZE = 240;
const UNARY: UnaryOp[] = [Primitive.Neg, Primitive.Exp, Primitive.Tanh, Primitive.Abs, Primitive.Sqrt, Primitive.Floor, Primitive.Sin];
const BINARY = [Primitive.Add, Primitive.Sub, Primitive.Mul, Primitive.Max, Primitive.Div] as const;
const REDUCE: (ReduceOp | Primitive.Argmax | Primitive.Argmin)[] = [
  Primitive.ReduceSum, Primitive.ReduceMax, Primitive.ReduceMin, Primitive.ReduceProd, Primitive.Argmax, Primitive.Argmin,
];

/** Builds a random function from a stream of choices. */
function randomFunc(choices: readonly number[], withReduce: boolean): { func: Func; tolerant: boolean } {
  let at = 0;
  const pick = (n: number) => (n <= 1 ? 0 : choices[at++ % choices.length]! % n);
  const b = new Builder();
  const inputs: Var[] = [];
  const dims = () => Array.from({ length: 1 + pick(3) }, () => 1 + pick(5));
  const input = (shape: number[]) => {
    const v = new Var(aval(shape, 'f32'));
    inputs.push(v);
    return v;
  };
  const vals: Var[] = [input(dims())];
  const shapeOf = (v: Var) => v.aval.shape as number[];
  const steps = 2 + pick(6);
  for (let s = 0; s < steps; s++) {
    const x = vals[pick(vals.length)]!;
    const xs = shapeOf(x), r = xs.length;
    let y: Var | null = null;
    switch (pick(10)) {
      case 0:
        y = b.unary(UNARY[pick(UNARY.length)]!, x);
        break;
      case 1: {
        // binary with a same-shape value, a new input, or a broadcast smaller input
        const same = vals.filter((v) => v.aval.shape.join() === xs.join());
        const kind = pick(3);
        const other = kind === 0 && same.length > 1 ? same[pick(same.length)]! : kind === 1 ? input(xs) : b.broadcast(input(xs.map((d) => (pick(2) ? d : 1))), xs, xs.map((_, i) => i));
        y = b.binary(BINARY[pick(BINARY.length)]!, x, other);
        break;
      }
      case 2: {
        const at2 = pick(r + 1), d = 1 + pick(4);
        const shape = [...xs.slice(0, at2), d, ...xs.slice(at2)];
        if (sizeOf(shape) <= MAX_SIZE) y = b.broadcast(x, shape, xs.map((_, i) => (i < at2 ? i : i + 1)));
        break;
      }
      case 3: {
        // merge two adjacent axes, or split one, or flatten
        const shape = [...xs];
        const m = pick(3);
        if (m === 0 && r >= 2) {
          const i = pick(r - 1);
          shape.splice(i, 2, xs[i]! * xs[i + 1]!);
        } else if (m === 1 && r >= 1) {
          const i = pick(r), d = xs[i]!;
          const f = [2, 3].find((q) => d % q === 0 && d > q);
          if (f) shape.splice(i, 1, f, d / f);
        } else shape.splice(0, r, sizeOf(xs));
        y = b.reshape(x, shape);
        break;
      }
      case 4: {
        const perm = xs.map((_, i) => i);
        for (let i = r - 1; i > 0; i--) {
          const j = pick(i + 1);
          [perm[i], perm[j]] = [perm[j]!, perm[i]!];
        }
        y = b.transpose(x, perm);
        break;
      }
      case 5: {
        const start = xs.map((d) => pick(d));
        const limit = xs.map((d, i) => start[i]! + 1 + pick(d - start[i]!));
        const strides = xs.map(() => 1 + pick(2));
        y = b.emit1(Primitive.Slice, { start, limit, strides }, x);
        break;
      }
      case 6: {
        const lo = xs.map(() => pick(4) - 1), hi = xs.map(() => pick(4) - 1), interior = xs.map(() => pick(2));
        const out = xs.map((d, i) => lo[i]! + hi[i]! + d + (d - 1) * interior[i]!);
        if (out.every((d) => d >= 1) && sizeOf(out) <= MAX_SIZE) y = b.emit1(Primitive.Pad, { lo, hi, interior, value: pick(3) - 1 }, x);
        break;
      }
      case 7:
        y = b.emit1(Primitive.Rev, { axes: xs.map((_, i) => i).filter(() => pick(2) === 1) }, x);
        break;
      case 8: {
        if (r === 0) break;
        const axis = pick(r);
        const other = pick(2) ? x : input(xs.map((d, i) => (i === axis ? 1 + pick(3) : d)));
        const total = sizeOf(xs) + sizeOf(other.aval.shape);
        if (total <= MAX_SIZE) y = b.emit1(Primitive.Concatenate, { axis }, x, other);
        break;
      }
      case 9: {
        const c = b.binary(Primitive.Gt, x, b.fullLike(x, 0));
        y = b.select(c, x, b.unary(Primitive.Neg, b.unary(Primitive.Exp, x)));
        break;
      }
    }
    if (y) vals.push(y);
  }
  const last = vals[vals.length - 1]!;
  const outs: Var[] = [last];
  let tolerant = false;
  if (withReduce && last.aval.shape.length > 0) {
    const ls = shapeOf(last);
    const op = REDUCE[pick(REDUCE.length)]!;
    let red: Var;
    if (op === Primitive.Argmax || op === Primitive.Argmin) red = b.emit1(op, { axis: pick(ls.length) }, last);
    else {
      const axes = ls.map((_, i) => i).filter(() => pick(2) === 1);
      red = b.emit1(op, { axes }, last);
      tolerant = op === Primitive.ReduceSum || op === Primitive.ReduceProd;
    }
    outs.length = 0;
    const epi = pick(3);
    if (epi === 0 || red.aval.dtype !== 'f32') outs.push(red);
    else if (epi === 1) outs.push(b.unary(Primitive.Tanh, red), red);
    else outs.push(b.reshape(b.scale(red, 0.5), [sizeOf(red.aval.shape)]), last);
  }
  return { func: b.func('fuzz', inputs, outs), tolerant };
}

describe('fuzz', () => {
  it('elementwise + views (exact)', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(1000), { minLength: 40, maxLength: 40 }), fc.nat(), (choices, seed) => {
        const { func } = randomFunc(choices, false);
        check(func, { seed, special: seed % 3 === 0 });
      }),
      { numRuns: 250 },
    );
  });

  it('elementwise + views + a reduction with an epilogue', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(1000), { minLength: 40, maxLength: 40 }), fc.nat(), (choices, seed) => {
        const { func, tolerant } = randomFunc(choices, true);
        check(func, { kind: 'reduce', seed, floatRange: [0.5, 1.5], ...(tolerant ? { rtol: 1e-4, atol: 1e-5 } : {}) });
      }),
      { numRuns: 250 },
    );
  });
});
