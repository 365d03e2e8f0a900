// Property tests: random values round-trip exactly, and mangled text only ever fails with a
// positioned ParseError (never a TypeError or a raw chevrotain error).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DType } from '../../compiler/ir/dtype.ts';
import { ParseError } from '../../compiler/ir/errors.ts';
import { aval, makeEqn, Var, type Eqn, type Func } from '../../compiler/ir/ir.ts';
import { parseFunc, parseModule } from '../../compiler/ir/parse.ts';
import { printFunc, printModule } from '../../compiler/ir/print.ts';
import { Primitive, type PrimitiveParams } from '../../compiler/ir/primitives.ts';
import { inferAvals } from '../../compiler/ir/shape-rules.ts';

const SAMPLE = `func @softmax(%0: f32[2,3]) -> (f32[2,3]) {
  %1 = reduce_max %0 {axes=[1]} : f32[2]  loc("model.ts":4:11)
  %2 = broadcast_in_dim %1 {shape=[2,3], dims=[0]} : f32[2,3]
  %3 = sub %0, %2 : f32[2,3]
  %4 = exp %3 : f32[2,3]
  %5 = reduce_sum %4 {axes=[1]} : f32[2]
  %6 = broadcast_in_dim %5 {shape=[2,3], dims=[0]} : f32[2,3]
  %7 = div %4, %6 : f32[2,3]
  return %7
}

func @misc(%0: f32[4], %1: i32[4]) -> (f32[5], f32[], i32[4]) {
  %2, %3 = sort %0, %1 {axis=0, numKeys=2} : f32[4], i32[4]
  %4 = constant {shape=[], dtype=f32, data=[-0]} : f32[]
  %5 = pad %2 {lo=[0], hi=[1], interior=[0], value=nan} : f32[5]  loc("a \\"b\\".ts":1:2)
  %6 = cumsum %5 {axis=0, reverse=false} : f32[5]
  %7 = reshape %3 {shape=[4,1]} : i32[4,1]
  %8 = gather %6, %7 : f32[4]
  %9 = scatter %6, %7, %8 {mode=set} : f32[5]
  %10 = convert %9 {dtype=f64} : f64[5]
  return %9, %4, %1
}

func @control(%0: i32[], %1: f32[4], %2: f32[3,4]) -> (f32[4], f32[3,4]) {
  %3 = cond %0, %1 {branches=[func @neg(%0: f32[4]) -> (f32[4]) {
    %1 = neg %0 : f32[4]
    return %1
  }, func @id(%0: f32[4]) -> (f32[4]) {
    return %0
  }]} : f32[4]
  %4, %5 = scan %3, %2 {length=3, reverse=true, numConsts=0, numCarry=1, body=func @body(%0: f32[4], %1: f32[4]) -> (f32[4], f32[4]) {
    %2 = add %0, %1 : f32[4]
    return %2, %0
  }} : f32[4], f32[3,4]
  return %4, %5
}
`;

// Pieces of the syntax, so that insertions make near-miss programs rather than only noise.
const FRAGMENTS = [
  '%', '%0', '%99', '@', '@f', '=', ',', ':', '{', '}', '[', ']', '(', ')', '->', '"', '\\', 'func', 'return',
  'loc', 'true', 'nan', '-inf', '1.5', '-1', '1e400', 'f32', 'i32[]', 'neg', 'add', 'axes', '\n', ' ', '//', '&',
  'body=', 'func @g() -> () { return }', '}}', '}]}',
  '\u0000', '🔥',
];

type Mutation = (s: string) => string;
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.tuple(fc.nat(), fc.nat({ max: 40 })).map(([at, n]): Mutation => (s) => {
    const i = at % (s.length + 1);
    return s.slice(0, i) + s.slice(i + n);
  }),
  fc.tuple(fc.nat(), fc.constantFrom(...FRAGMENTS)).map(([at, f]): Mutation => (s) => {
    const i = at % (s.length + 1);
    return s.slice(0, i) + f + s.slice(i);
  }),
  fc.tuple(fc.nat(), fc.nat({ max: 60 }), fc.nat()).map(([from, n, to]): Mutation => (s) => {
    const i = from % (s.length + 1);
    const j = to % (s.length + 1);
    return s.slice(0, j) + s.slice(i, i + n) + s.slice(j);
  }),
  fc.nat().map((at): Mutation => (s) => s.slice(0, at % (s.length + 1))),
);

describe('mangled input', () => {
  it('parses or fails with a positioned ParseError', () => {
    const lines = SAMPLE.split('\n').length;
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (ms) => {
        const text = ms.reduce((s, m) => m(s), SAMPLE);
        let fns: Func[];
        try {
          fns = parseModule(text, 'fuzz.kir');
        } catch (e) {
          expect(e).toBeInstanceOf(ParseError);
          const pe = e as ParseError;
          expect(pe.message.startsWith(`fuzz.kir:${pe.line}:${pe.col}: `)).toBe(true);
          expect(pe.line).toBeGreaterThanOrEqual(1);
          expect(pe.col).toBeGreaterThanOrEqual(1);
          expect(pe.line).toBeLessThanOrEqual(text.split(/\r\n|\r|\n/).length + lines);
          // Signs of a JS error leaking through a message.
          expect(pe.message).not.toMatch(/Cannot read|is not a function|internal parser error|\bNaN\b|'undefined'/);
          return;
        }
        // Whatever still parses must print canonically.
        const printed = printModule(fns);
        expect(printModule(parseModule(printed))).toBe(printed);
      }),
      { numRuns: 600 },
    );
  });

  it('survives arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
        try {
          parseModule(text);
        } catch (e) {
          expect(e).toBeInstanceOf(ParseError);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('random values round-trip', () => {
  const constant = (data: number[], dtype: DType): Func => {
    const out = new Var(aval([data.length], dtype));
    return { name: 'c', inputs: [], eqns: [makeEqn(Primitive.Constant, { shape: [data.length], dtype, data }, [], [out])], outputs: [out] };
  };
  const dataOf = (f: Func) => (f.eqns[0]!.params as PrimitiveParams[Primitive.Constant]).data;

  it('doubles, bit-exactly', () => {
    fc.assert(
      fc.property(fc.array(fc.double(), { minLength: 1, maxLength: 20 }), (data) => {
        const text = printFunc(constant(data, 'f64'));
        const back = dataOf(parseFunc(text));
        back.forEach((x, k) => expect(Object.is(x, data[k])).toBe(true));
        expect(printFunc(parseFunc(text))).toBe(text);
      }),
      { numRuns: 300 },
    );
  });

  it('f32 values, bit-exactly', () => {
    fc.assert(
      fc.property(fc.array(fc.float(), { minLength: 1, maxLength: 20 }), (data) => {
        const back = dataOf(parseFunc(printFunc(constant(data, 'f32'))));
        back.forEach((x, k) => expect(Object.is(x, data[k])).toBe(true));
      }),
      { numRuns: 300 },
    );
  });

  it('file names and func names', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), fc.nat(), fc.nat(), (name, file, line, col) => {
        const x = new Var(aval([], 'f32'));
        const y = new Var(aval([], 'f32'));
        const f: Func = { name, inputs: [x], eqns: [makeEqn(Primitive.Neg, {}, [x], [y], { file, line, col })], outputs: [y] };
        const back = parseFunc(printFunc(f));
        expect(back.name).toBe(name);
        expect(back.eqns[0]!.loc).toEqual({ file, line, col });
      }),
      { numRuns: 300 },
    );
  });

  it('random elementwise/reduction programs', () => {
    // A program is a list of steps, each applied to an earlier value picked by index.
    const step = fc.tuple(fc.constantFrom('exp', 'add', 'mul', 'reduce', 'transpose', 'bcast'), fc.nat(), fc.nat());
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }), fc.array(step, { maxLength: 25 }), (shape, steps) => {
        const x = new Var(aval(shape, 'f32'));
        const vals: Var[] = [x];
        const eqns: Eqn[] = [];
        const emit = <P extends Primitive>(p: P, params: PrimitiveParams[P], ins: Var[]) => {
          const outs = inferAvals(p, params, ins.map((v) => v.aval)).map((a) => new Var(a));
          eqns.push(makeEqn(p, params, ins, outs));
          vals.push(...outs);
        };
        for (const [kind, i, j] of steps) {
          const a = vals[i % vals.length]!;
          const r = a.aval.shape.length;
          const same = vals.filter((v) => v.aval.shape.join() === a.aval.shape.join());
          const b = same[j % same.length]!;
          if (kind === 'exp') emit(Primitive.Exp, {}, [a]);
          else if (kind === 'add') emit(Primitive.Add, {}, [a, b]);
          else if (kind === 'mul') emit(Primitive.Mul, {}, [a, b]);
          else if (kind === 'reduce' && r > 0) emit(Primitive.ReduceSum, { axes: [j % r] }, [a]);
          else if (kind === 'transpose') emit(Primitive.Transpose, { perm: [...Array(r).keys()].reverse() }, [a]);
          else if (kind === 'bcast') emit(Primitive.BroadcastInDim, { shape: [2, ...a.aval.shape], dims: [...Array(r).keys()].map((d) => d + 1) }, [a]);
        }
        const f: Func = { name: 'rand', inputs: [x], eqns, outputs: [vals.at(-1)!, x] };
        const text = printFunc(f);
        expect(printFunc(parseFunc(text))).toBe(text);
      }),
      { numRuns: 200 },
    );
  });
});
