// Property tests on random graphs of elementwise, broadcast, view, reduction and heavy ops:
// every fused program verifies (kernel funcs verify and keep to their kinds, every value is
// written once before it is read, every output is written), and running it kernel by kernel
// gives exactly the results of the source function, also on its memory plan with freed
// arena slots poisoned.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Builder } from '../../compiler/ir/builder.ts';
import { aval, sizeOf, Var, type Func } from '../../compiler/ir/ir.ts';
import { Primitive, type BinaryOp, type UnaryOp } from '../../compiler/ir/primitives.ts';
import { verifyFunc } from '../../compiler/ir/verify.ts';
import { optimize } from '../../compiler/passes/index.ts';
import { evalFunc, hostTensor, type HostTensor } from '../../runtime/interp/index.ts';
import { executeFused, fuse, planMemory, type FuseOptions } from '../../compiler/fuse/index.ts';
import { verifyFused, verifyMemoryPlan } from '../../compiler/fuse/verify.ts';

const UNARY: UnaryOp[] = [Primitive.Neg, Primitive.Sin, Primitive.Tanh, Primitive.Abs, Primitive.Exp];
const BINARY: BinaryOp[] = [Primitive.Add, Primitive.Sub, Primitive.Mul, Primitive.Max, Primitive.Min];
const SHAPES = [[3], [2, 3], [4, 2, 3], [6]];
const MAX_ELEMS = 256;

type Op = [number, number, number];

/** Builds a function from op codes; an op that does not apply to its operands is skipped. */
function buildGraph(inShapes: number[][], ops: readonly Op[], outPicks: readonly number[]): Func {
  const b = new Builder();
  const inputs = inShapes.map((s) => new Var(aval(s, 'f32')));
  const pool: Var[] = [...inputs];
  const pick = (i: number) => pool[i % pool.length]!;
  // The main operand is one of the latest values, so that ops chain and stay live.
  const recent = (i: number) => pool[pool.length - 1 - (i % Math.min(3, pool.length))]!;
  /** y brought to x's shape: itself, or its sum broadcast. */
  const like = (y: Var, x: Var) =>
    y.aval.shape.join() === x.aval.shape.join() ? y : b.broadcast(b.reduceSum(y, y.aval.shape.map((_, i) => i)), x.aval.shape, []);
  for (const [code, a, c] of ops) {
    const x = recent(a);
    const s = x.aval.shape;
    const r = s.length;
    let v: Var | undefined;
    switch (code % 12) {
      case 0:
        v = b.unary(UNARY[c % UNARY.length]!, x);
        break;
      case 1:
        v = b.binary(BINARY[c % BINARY.length]!, x, like(pick(c), x));
        break;
      case 2:
        if (r < 3) {
          const at = c % (r + 1);
          const shape = [...s.slice(0, at), 2 + (c % 2), ...s.slice(at)];
          v = b.broadcast(x, shape, s.map((_, i) => (i < at ? i : i + 1)));
        }
        break;
      case 3:
        if (r >= 2) v = b.transpose(x, c % 2 ? [...s.keys()].reverse() : [...s.keys()].map((i) => (i + 1) % r));
        break;
      case 4:
        if (r > 1) v = b.reshape(x, [sizeOf(s)]);
        else if (r === 1 && s[0]! % 2 === 0) v = b.reshape(x, [2, s[0]! / 2]);
        break;
      case 5:
        if (r >= 1 && s[0]! >= 2) v = b.emit1(Primitive.Slice, { start: s.map((_, i) => (i === 0 ? 1 : 0)), limit: [...s], strides: s.map((_, i) => (i === 0 ? 1 + (c % 2) : 1)) }, x);
        break;
      case 6:
        if (r >= 1) v = b.emit1(c % 2 ? Primitive.ReduceMax : Primitive.ReduceSum, { axes: [c % r] }, x);
        break;
      case 7: {
        const y = like(pick(c), x);
        v = b.select(b.binary(Primitive.Gt, x, y), x, y);
        break;
      }
      case 8:
        if (r >= 1) {
          if (c % 3 === 0) v = b.emit1(Primitive.Rev, { axes: [0] }, x);
          else if (c % 3 === 1) v = b.emit1(Primitive.Pad, { lo: s.map((_, i) => (i === 0 ? 1 : 0)), hi: s.map(() => 0), interior: s.map(() => 0), value: 0.5 }, x);
          else v = b.emit1(Primitive.Concatenate, { axis: 0 }, x, x);
        }
        break;
      case 9:
        if (r === 1 || r === 2) v = b.emit1(Primitive.DotGeneral, { lhsContract: [r - 1], rhsContract: [r - 1], lhsBatch: [], rhsBatch: [] }, x, x);
        break;
      case 10:
        if (r >= 1) v = b.emit1(Primitive.Cumsum, { axis: c % r, reverse: c % 2 === 1 }, x);
        break;
      case 11:
        if (r >= 1) v = b.convert(b.emit1(Primitive.Argmax, { axis: c % r }, x), 'f32');
        break;
    }
    if (v && sizeOf(v.aval.shape) <= MAX_ELEMS && v.aval.shape.length <= 4) pool.push(v);
  }
  const outs = [pool[pool.length - 1]!, ...outPicks.map(pick)];
  return b.func('random', inputs, outs);
}

/** A scan of 5 steps whose body is `body` (its inputs as consts, its outputs stacked). */
function scanOf(body: Func): Func {
  const b = new Builder();
  const inputs = body.inputs.map((v) => new Var(v.aval));
  const outs = b.emit(Primitive.Scan, { body, length: 5, reverse: false, numConsts: inputs.length, numCarry: 0 }, inputs);
  return b.func('scan', inputs, outs);
}

const graphArb = fc.record({
  shapes: fc.array(fc.constantFrom(...SHAPES), { minLength: 1, maxLength: 3 }),
  ops: fc.array(fc.tuple(fc.nat(), fc.nat(), fc.nat()), { minLength: 4, maxLength: 40, size: 'max' }),
  outs: fc.array(fc.nat(), { maxLength: 3 }),
  seed: fc.integer(),
  optimized: fc.boolean(),
  inScan: fc.boolean(),
  opts: fc.constantFrom<FuseOptions>({}, { multiOutput: false }, { maxRecomputeCost: 1 }, { maxRecomputeCost: 0, multiOutput: false }),
});

function inputsFor(fn: Func, seed: number): HostTensor[] {
  return fn.inputs.map((v, j) => hostTensor(v.aval.shape, 'f32', Array.from({ length: sizeOf(v.aval.shape) }, (_, i) => Math.sin(seed + i * 12.9898 + j * 78.233) * 2)));
}

const data = (ts: readonly HostTensor[]) => ts.map((t) => Array.from(t.data));

describe('fusion of random graphs', () => {
  it('verifies, and executes kernel by kernel exactly like the source function', () => {
    fc.assert(
      fc.property(graphArb, ({ shapes, ops, outs, seed, optimized, inScan, opts }) => {
        let fn = buildGraph(shapes, ops, outs);
        if (inScan) fn = scanOf(fn);
        verifyFunc(fn);
        if (optimized) fn = optimize(fn);
        const p = fuse(fn, opts);
        verifyFused(p);
        expect(p.outputs).toEqual(fn.outputs);
        // Every output is an input or written by exactly one step.
        const written = p.steps.flatMap((s) => (s.kind === 'kernel' ? s.outputs : s.eqn.outputs));
        for (const o of fn.outputs) expect(written.filter((w) => w === o).length + Number(fn.inputs.includes(o))).toBe(1);
        const ins = inputsFor(fn, seed);
        const want = data(evalFunc(fn, ins));
        expect(data(executeFused(p, ins))).toEqual(want);
        // On its memory plan, freed slots poisoned; donating every input.
        const plan = planMemory(p, { donated: fn.inputs.map(() => true) });
        verifyMemoryPlan(p, plan);
        const copies = ins.map((t) => ({ aval: t.aval, data: t.data.slice() }));
        expect(data(executeFused(p, copies, { plan, poison: true }))).toEqual(want);
      }),
      { numRuns: 300 },
    );
  }, 30_000);

  it('fuses a long random graph quickly', () => {
    const ops: Op[] = Array.from({ length: 3000 }, (_, i) => [(i * 7919) % 97, (i * 104729) % 1009, (i * 1299709) % 1013]);
    const fn = buildGraph([[4, 2, 3], [6]], ops, [5, 77, 1500]);
    const t0 = performance.now();
    const p = fuse(fn);
    const ms = performance.now() - t0;
    verifyFused(p);
    expect(ms).toBeLessThan(5000);
  });
});
