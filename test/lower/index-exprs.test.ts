// The index simplifier: targeted identities, and a property test that every simplification
// preserves the value for all assignments of the variables within their ranges.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Primitive } from '../../compiler/ir/primitives.ts';
import { IndexBuilder, idxConst, keyOf, varOf } from '../../compiler/lower/index-exprs.ts';
import type { Expr } from '../../compiler/lower/loop-ir.ts';
import { printExpr } from '../../compiler/lower/print.ts';

/** Evaluates an index / bool expression for the given variable values. */
function evalIndex(e: Expr, env: Record<string, number>): number {
  switch (e.k) {
    case 'const': return e.v;
    case 'var': return env[e.name]!;
    case 'binary': {
      const a = evalIndex(e.a, env), b = evalIndex(e.b, env);
      switch (e.op) {
        case Primitive.Add: return a + b;
        case Primitive.Sub: return a - b;
        case Primitive.Mul: return a * b;
        case 'idiv': return Math.floor(a / b);
        case 'imod': return a - Math.floor(a / b) * b;
        case Primitive.Min: return Math.min(a, b);
        case Primitive.Max: return Math.max(a, b);
        case Primitive.Lt: return +(a < b);
        case Primitive.Le: return +(a <= b);
        case Primitive.Gt: return +(a > b);
        case Primitive.Ge: return +(a >= b);
        case Primitive.Eq: return +(a === b);
        case Primitive.Ne: return +(a !== b);
        case Primitive.And: return a & b;
        case Primitive.Or: return a | b;
        default: throw new Error(`op ${e.op}`);
      }
    }
    case 'select': return evalIndex(e.c, env) ? evalIndex(e.a, env) : evalIndex(e.b, env);
    default: throw new Error(`kind ${e.k}`);
  }
}

const str = (e: Expr) => printExpr(e, []);

describe('index simplification', () => {
  const ix = new IndexBuilder();
  ix.setRange('i', 0, 5);
  ix.setRange('j', 0, 3);
  ix.setRange('g', 0, 23);
  const i = varOf('i', 'index'), j = varOf('j', 'index'), g = varOf('g', 'index');

  it('folds constants and trivial identities', () => {
    expect(str(ix.add(ix.mul(i, 1), idxConst(0)))).toBe('i');
    expect(str(ix.idiv(i, 1))).toBe('i');
    expect(str(ix.imod(i, 1))).toBe('0');
    expect(str(ix.add(idxConst(3), idxConst(4)))).toBe('7');
    expect(str(ix.sub(ix.add(i, j), i))).toBe('j');
    expect(str(ix.mul(ix.add(i, idxConst(2)), 3))).toBe('i * 3 + 6');
  });

  it('uses ranges', () => {
    expect(str(ix.imod(i, 6))).toBe('i');
    expect(str(ix.idiv(j, 4))).toBe('0');
    expect(str(ix.clamp(i, 0, 5))).toBe('i');
    expect(str(ix.clamp(i, 0, 4))).toBe('min(i, 4)');
    expect(str(ix.cmp(Primitive.Lt, i, idxConst(6)))).toBe('true');
    expect(str(ix.cmp(Primitive.Ge, ix.sub(i, idxConst(1)), idxConst(0)))).toBe('i >= 1');
  });

  it('splitting a linearised index gives the loop variables back', () => {
    // [6, 4] -> [2, 3, 4]: merged axes split again
    const parts = ix.delinearise(ix.linearise([i, j], [6, 4]), [2, 3, 4]);
    expect(parts.map(str)).toEqual(['i / 3', 'i % 3', 'j']);
    // and merging them back is the original offset
    expect(str(ix.linearise(parts, [2, 3, 4]))).toBe('i * 4 + j');
  });

  it('delinearise then linearise is the identity', () => {
    for (const shape of [[24], [2, 12], [2, 3, 4], [4, 1, 6], [1, 24, 1]]) {
      expect(keyOf(ix.linearise(ix.delinearise(g, shape), shape))).toBe(keyOf(g));
    }
  });

  it('nested divisions combine', () => {
    expect(str(ix.idiv(ix.idiv(g, 2), 3))).toBe('g / 6');
    expect(str(ix.idiv(ix.imod(g, 12), 4))).toBe('g / 4 % 3');
    expect(str(ix.imod(ix.imod(g, 12), 4))).toBe('g % 4');
    expect(str(ix.idiv(ix.add(ix.mul(i, 4), j), 12))).toBe('i / 3');
  });

  it('preserves values (property)', () => {
    type Node =
      | { k: 'v'; n: number }
      | { k: 'c'; v: number }
      | { k: 'add' | 'sub' | 'min' | 'max'; a: Node; b: Node }
      | { k: 'mul'; a: Node; c: number }
      | { k: 'div' | 'mod'; a: Node; d: number }
      | { k: 'lin'; shape: number[]; parts: Node[] }
      | { k: 'clamp'; a: Node; lo: number; hi: number };
    const ranges = [6, 4, 24, 1];
    const node: fc.Memo<Node> = fc.memo((depth) => {
      const leaf = fc.oneof(
        fc.integer({ min: 0, max: 3 }).map((n): Node => ({ k: 'v', n })),
        fc.integer({ min: -5, max: 9 }).map((v): Node => ({ k: 'c', v })),
      );
      if (depth <= 1) return leaf;
      const sub = node(depth - 1);
      return fc.oneof(
        leaf,
        fc.tuple(fc.constantFrom('add' as const, 'sub' as const, 'min' as const, 'max' as const), sub, sub).map(([k, a, b]): Node => ({ k, a, b })),
        fc.tuple(sub, fc.integer({ min: -3, max: 6 })).map(([a, c]): Node => ({ k: 'mul', a, c })),
        fc.tuple(fc.constantFrom('div' as const, 'mod' as const), sub, fc.integer({ min: 1, max: 12 })).map(([k, a, d]): Node => ({ k, a, d })),
        fc.tuple(sub, fc.integer({ min: -2, max: 5 }), fc.integer({ min: 0, max: 6 })).map(([a, lo, w]): Node => ({ k: 'clamp', a, lo, hi: lo + w })),
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }).chain((shape) =>
          fc.tuple(fc.constant(shape), fc.array(sub, { minLength: shape.length, maxLength: shape.length })),
        ).map(([shape, parts]): Node => ({ k: 'lin', shape, parts })),
      );
    });
    const ref = (n: Node, env: number[]): number => {
      switch (n.k) {
        case 'v': return env[n.n]!;
        case 'c': return n.v;
        case 'add': return ref(n.a, env) + ref(n.b, env);
        case 'sub': return ref(n.a, env) - ref(n.b, env);
        case 'min': return Math.min(ref(n.a, env), ref(n.b, env));
        case 'max': return Math.max(ref(n.a, env), ref(n.b, env));
        case 'mul': return ref(n.a, env) * n.c;
        case 'div': return Math.floor(ref(n.a, env) / n.d);
        case 'mod': { const x = ref(n.a, env); return x - Math.floor(x / n.d) * n.d; }
        case 'clamp': return Math.min(Math.max(ref(n.a, env), n.lo), n.hi);
        case 'lin': {
          // row-major offset of the parts, each clamped into its axis
          let f = 0;
          n.parts.forEach((p, i) => (f = f * n.shape[i]! + Math.min(Math.max(ref(p, env), 0), n.shape[i]! - 1)));
          return f;
        }
      }
    };
    fc.assert(
      fc.property(node(5), fc.array(fc.nat(), { minLength: 4, maxLength: 4 }), (n, seeds) => {
        const b = new IndexBuilder();
        const vars = ranges.map((r, i) => {
          b.setRange(`v${i}`, 0, r - 1);
          return varOf(`v${i}`, 'index');
        });
        const build = (m: Node): Expr => {
          switch (m.k) {
            case 'v': return vars[m.n]!;
            case 'c': return idxConst(m.v);
            case 'add': return b.add(build(m.a), build(m.b));
            case 'sub': return b.sub(build(m.a), build(m.b));
            case 'min': return b.min(build(m.a), build(m.b));
            case 'max': return b.max(build(m.a), build(m.b));
            case 'mul': return b.mul(build(m.a), m.c);
            case 'div': return b.idiv(build(m.a), m.d);
            case 'mod': return b.imod(build(m.a), m.d);
            case 'clamp': return b.clamp(build(m.a), m.lo, m.hi);
            case 'lin': return b.linearise(m.parts.map((p, i) => b.clamp(build(p), 0, m.shape[i]! - 1)), m.shape);
          }
        };
        const e = build(n);
        const env = ranges.map((r, i) => seeds[i]! % r);
        const named = Object.fromEntries(env.map((v, i) => [`v${i}`, v]));
        expect(evalIndex(e, named) + 0).toBe(ref(n, env) + 0);
        // delinearising a value in range and linearising back is the identity
        const shape = [2, 3, 4];
        const flat = b.imod(e, 24);
        const back = b.linearise(b.delinearise(flat, shape), shape);
        expect(evalIndex(back, named) + 0).toBe(((ref(n, env) % 24) + 24) % 24);
      }),
      { numRuns: 400 },
    );
  });
});
