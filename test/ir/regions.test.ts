// Regions: the Func-valued params of cond, while_loop and scan, in the printer, the parser and
// the verifier.
import { describe, expect, it } from 'vitest';
import { FuncBuilder as B } from '../helpers/func-builder.ts';
import type { DType } from '../../compiler/ir/dtype.ts';
import { ParseError, VerifyError } from '../../compiler/ir/errors.ts';
import { aval, makeEqn, Var, type Eqn, type Func } from '../../compiler/ir/ir.ts';
import { checkParams, describeKind, fitsKind, paramNames } from '../../compiler/ir/param-schema.ts';
import { parseFunc, parseModule } from '../../compiler/ir/parse.ts';
import { printFunc, printModule } from '../../compiler/ir/print.ts';
import { Primitive as P, type PrimitiveParams } from '../../compiler/ir/primitives.ts';
import { EqnVerifyError, verifyFunc } from '../../compiler/ir/verify.ts';

type Ty = [number[], DType];


/** A func of the given input types whose body `body` builds. */
function fn(name: string, ins: Ty[], body: (b: B, ...args: Var[]) => Var[]): Func {
  const b = new B();
  const args = ins.map(([s, d]) => b.arg(s, d));
  return b.func(name, body(b, ...args));
}

const f32 = (...shape: number[]): Ty => [shape, 'f32'];
const i32 = (...shape: number[]): Ty => [shape, 'i32'];
const NONE = {};
const MATVEC = { lhsContract: [1], rhsContract: [0], lhsBatch: [], rhsBatch: [] };

/** print → parse → print must give the same text, and the parsed func must verify. */
function roundTrip(f: Func): string {
  const text = printFunc(f);
  const back = parseFunc(text, 'rt.kir');
  expect(printFunc(back)).toBe(text);
  verifyFunc(back);
  return text;
}

/** h = tanh(W h + x), as a scan body (W: const, h: carry, x: scanned), emitting h as y. */
const rnnBody = () =>
  fn('rnn', [f32(4, 4), f32(4), f32(4)], (b, w, h, x) => {
    const wh = b.op(P.DotGeneral, MATVEC, [w!, h!]);
    const h2 = b.op(P.Tanh, NONE, [b.op(P.Add, NONE, [wh, x!])]);
    return [h2, h2];
  });

function rnnScan(): Func {
  return fn('rnn_scan', [f32(4, 4), f32(4), f32(35, 4)], (b, w, h, xs) =>
    b.ops(P.Scan, { body: rnnBody(), length: 35, reverse: false, numConsts: 1, numCarry: 1 }, [w!, h!, xs!]),
  );
}

function condProgram(): Func {
  return fn('pick', [i32(), f32(3)], (b, k, x) => {
    const neg = fn('neg', [f32(3)], (r, a) => [r.op(P.Neg, NONE, [a!], { file: 'branch.ts', line: 2, col: 3 })]);
    const id = fn('id', [f32(3)], (_, a) => [a!]);
    const twice = fn('twice', [f32(3)], (r, a) => [r.op(P.Add, NONE, [a!, a!])]);
    return b.ops(P.Cond, { branches: [neg, id, twice] }, [k!, x!], { file: 'model.ts', line: 9, col: 5 });
  });
}

/** The first power of two that is at least `limit` (a cond const), doubling by a body const. */
function pow2Program(): Func {
  return fn('pow2', [i32(), i32(), i32()], (b, limit, two, start) => {
    const cond = fn('below', [i32(), i32()], (r, l, v) => [r.op(P.Lt, NONE, [v!, l!])]);
    const body = fn('double', [i32(), i32()], (r, t, v) => [r.op(P.Mul, NONE, [v!, t!])]);
    return b.ops(P.WhileLoop, { cond, body, condConsts: 1, bodyConsts: 1 }, [limit!, two!, start!]);
  });
}

/** A scan inside a cond branch inside a while body. */
function nestedProgram(): Func {
  const scanBody = fn('acc', [f32(3), f32(3)], (r, c, x) => {
    const s = r.op(P.Add, NONE, [c!, x!]);
    return [s, s];
  });
  const branch0 = fn('scan_it', [f32(3), f32(5, 3)], (r, c, xs) => {
    const [last] = r.ops(P.Scan, { body: scanBody, length: 5, reverse: false, numConsts: 0, numCarry: 1 }, [c!, xs!]);
    return [last!];
  });
  const branch1 = fn('keep', [f32(3), f32(5, 3)], (_, c) => [c!]);
  const body = fn('body', [f32(5, 3), i32(), f32(3)], (r, xs, i, c) => {
    const one = r.op(P.Constant, { shape: [], dtype: 'i32', data: [1] }, []);
    const [c2] = r.ops(P.Cond, { branches: [branch0, branch1] }, [i!, c!, xs!]);
    return [r.op(P.Add, NONE, [i!, one]), c2!];
  });
  const cond = fn('cond', [i32(), i32(), f32(3)], (r, n, i) => [r.op(P.Lt, NONE, [i!, n!])]);
  return fn('nested', [i32(), f32(5, 3), i32(), f32(3)], (b, n, xs, i, c) =>
    b.ops(P.WhileLoop, { cond, body, condConsts: 1, bodyConsts: 1 }, [n!, xs!, i!, c!]),
  );
}

describe('param schema', () => {
  it('has region kinds for the control-flow primitives', () => {
    expect(paramNames(P.Cond)).toEqual(['branches']);
    expect(paramNames(P.WhileLoop)).toEqual(['cond', 'body', 'condConsts', 'bodyConsts']);
    expect(paramNames(P.Scan)).toEqual(['body', 'length', 'reverse', 'numConsts', 'numCarry']);
    const g = fn('g', [], () => []);
    expect(fitsKind('func', g)).toBe(true);
    expect(fitsKind('func', [g])).toBe(false);
    expect(fitsKind('func', { name: 'g' })).toBe(false);
    expect(fitsKind('func', null)).toBe(false);
    expect(fitsKind('funcs', [g, g])).toBe(true);
    expect(fitsKind('funcs', [])).toBe(true);
    expect(fitsKind('funcs', g)).toBe(false);
    expect(fitsKind('funcs', [g, 1])).toBe(false);
    expect(describeKind('funcs')).toBe('a list of funcs');
    expect(checkParams(P.Scan, { body: 1, length: 2, reverse: false, numConsts: 0, numCarry: 0 })).toEqual([
      `param 'body' expects ${describeKind('func')}`,
    ]);
  });
});

describe('printing regions', () => {
  it('prints a region in the syntax of a func, indented, after the other params', () => {
    expect(printFunc(rnnScan())).toMatchInlineSnapshot(`
      "func @rnn_scan(%0: f32[4,4], %1: f32[4], %2: f32[35,4]) -> (f32[4], f32[35,4]) {
        %3, %4 = scan %0, %1, %2 {length=35, reverse=false, numConsts=1, numCarry=1, body=func @rnn(%0: f32[4,4], %1: f32[4], %2: f32[4]) -> (f32[4], f32[4]) {
          %3 = dot_general %0, %1 {lhsContract=[1], rhsContract=[0], lhsBatch=[], rhsBatch=[]} : f32[4]
          %4 = add %3, %2 : f32[4]
          %5 = tanh %4 : f32[4]
          return %5, %5
        }} : f32[4], f32[35,4]
        return %3, %4
      }
      "
    `);
  });

  it('prints a list of regions, and the loc after the types', () => {
    expect(printFunc(condProgram())).toMatchInlineSnapshot(`
      "func @pick(%0: i32[], %1: f32[3]) -> (f32[3]) {
        %2 = cond %0, %1 {branches=[func @neg(%0: f32[3]) -> (f32[3]) {
          %1 = neg %0 : f32[3]  loc("branch.ts":2:3)
          return %1
        }, func @id(%0: f32[3]) -> (f32[3]) {
          return %0
        }, func @twice(%0: f32[3]) -> (f32[3]) {
          %1 = add %0, %0 : f32[3]
          return %1
        }]} : f32[3]  loc("model.ts":9:5)
        return %2
      }
      "
    `);
  });

  it('indents nested regions one level per region', () => {
    expect(printFunc(nestedProgram())).toMatchInlineSnapshot(`
      "func @nested(%0: i32[], %1: f32[5,3], %2: i32[], %3: f32[3]) -> (i32[], f32[3]) {
        %4, %5 = while_loop %0, %1, %2, %3 {condConsts=1, bodyConsts=1, cond=func @cond(%0: i32[], %1: i32[], %2: f32[3]) -> (bool[]) {
          %3 = lt %1, %0 : bool[]
          return %3
        }, body=func @body(%0: f32[5,3], %1: i32[], %2: f32[3]) -> (i32[], f32[3]) {
          %3 = constant {shape=[], dtype=i32, data=[1]} : i32[]
          %4 = cond %1, %2, %0 {branches=[func @scan_it(%0: f32[3], %1: f32[5,3]) -> (f32[3]) {
            %2, %3 = scan %0, %1 {length=5, reverse=false, numConsts=0, numCarry=1, body=func @acc(%0: f32[3], %1: f32[3]) -> (f32[3], f32[3]) {
              %2 = add %0, %1 : f32[3]
              return %2, %2
            }} : f32[3], f32[5,3]
            return %2
          }, func @keep(%0: f32[3], %1: f32[5,3]) -> (f32[3]) {
            return %0
          }]} : f32[3]
          %5 = add %1, %3 : i32[]
          return %5, %4
        }} : i32[], f32[3]
        return %4, %5
      }
      "
    `);
  });

  it('prints a use of an outer value in a region as undefined, which the parser rejects', () => {
    const b = new B();
    const x = b.arg([2], 'f32');
    const body = fn('leaky', [f32(2)], (r, c) => [r.op(P.Add, NONE, [c!, x])]);
    const [out] = b.ops(P.WhileLoop, { cond: fn('c', [f32(2)], (r) => [r.op(P.Constant, { shape: [], dtype: 'bool', data: [0] }, [])]), body, condConsts: 0, bodyConsts: 0 }, [x]);
    const text = printFunc(b.func('f', [out!]));
    expect(text).toContain(`%1 = add %0, %?${x.id} : f32[2]`);
    expect(() => parseFunc(text)).toThrow(ParseError);
  });
});

describe('print → parse → print with regions', () => {
  it.each([
    ['cond', condProgram],
    ['while_loop', pow2Program],
    ['scan', rnnScan],
    ['a scan in a cond branch in a while body', nestedProgram],
  ])('is the identity on %s', (_, make) => {
    roundTrip(make());
  });

  it('parses regions into closed Funcs with typed params in schema order', () => {
    const back = parseFunc(printFunc(rnnScan()));
    const params = back.eqns[0]!.params as PrimitiveParams[P.Scan];
    expect(Object.keys(params)).toEqual(['body', 'length', 'reverse', 'numConsts', 'numCarry']);
    expect(params).toMatchObject({ length: 35, reverse: false, numConsts: 1, numCarry: 1 });
    expect(params.body.name).toBe('rnn');
    expect(params.body.inputs.map((v) => v.aval)).toEqual([aval([4, 4], 'f32'), aval([4], 'f32'), aval([4], 'f32')]);
    expect(params.body.eqns.map((e) => e.primitive)).toEqual([P.DotGeneral, P.Add, P.Tanh]);
    // Closed: the region's values are its own, none of them the outer func's.
    const outer = new Set([...back.inputs, ...back.eqns.flatMap((e) => e.outputs)]);
    for (const v of [...params.body.inputs, ...params.body.eqns.flatMap((e) => [...e.inputs, ...e.outputs])]) {
      expect(outer.has(v)).toBe(false);
    }
    const branches = (parseFunc(printFunc(condProgram())).eqns[0]!.params as PrimitiveParams[P.Cond]).branches;
    expect(branches.map((f) => f.name)).toEqual(['neg', 'id', 'twice']);
    expect(branches[1]!.outputs[0]).toBe(branches[1]!.inputs[0]);
  });

  it('canonicalizes free-form regions: names, param order, layout, comments', () => {
    const text = `func @f(%x: i32[], %y: f32[2]) -> (f32[2]) {
      %r = cond %x, %y {branches = [
        func @a(%v: f32[2]) -> (f32[2]) { %w = exp %v : f32[2]  return %w },  // first
        func @b(%y: f32[2]) -> (f32[2]) { return %y }
      ]} : f32[2]
      return %r }`;
    expect(printFunc(parseFunc(text))).toBe(
      'func @f(%0: i32[], %1: f32[2]) -> (f32[2]) {\n' +
        '  %2 = cond %0, %1 {branches=[func @a(%0: f32[2]) -> (f32[2]) {\n' +
        '    %1 = exp %0 : f32[2]\n' +
        '    return %1\n' +
        '  }, func @b(%0: f32[2]) -> (f32[2]) {\n' +
        '    return %0\n' +
        '  }]} : f32[2]\n' +
        '  return %2\n' +
        '}\n',
    );
  });

  it('lets a region reuse the names of the enclosing func (its own scope)', () => {
    const text = `func @f(%0: f32[2], %1: f32[2]) -> (f32[2], f32[2]) {
  %2, %3 = scan %0, %1 {length=2, reverse=true, numConsts=0, numCarry=1, body=func @s(%1: f32[2], %0: f32[]) -> (f32[2], f32[]) {
    %2 = neg %0 : f32[]
    return %1, %2
  }} : f32[2], f32[2]
  return %2, %3
}`;
    const f = parseFunc(text);
    const body = (f.eqns[0]!.params as PrimitiveParams[P.Scan]).body;
    expect(body.outputs[0]).toBe(body.inputs[0]);
    expect(printFunc(f)).toContain('body=func @s(%0: f32[2], %1: f32[]) -> (f32[2], f32[]) {\n    %2 = neg %1 : f32[]\n    return %0, %2\n  }}');
  });

  it('round-trips regions nested many levels deep', () => {
    // Each level wraps the previous one in a one-branch cond.
    let inner = fn('leaf', [f32(2)], (r, a) => [r.op(P.Neg, NONE, [a!])]);
    for (let d = 0; d < 40; d++) {
      const prev = inner;
      inner = fn(`level${d}`, [f32(2)], (r, a) => {
        const k = r.op(P.Constant, { shape: [], dtype: 'i32', data: [0] }, []);
        return r.ops(P.Cond, { branches: [prev] }, [k, a!]);
      });
    }
    const text = roundTrip(inner);
    expect(text).toContain(`\n${' '.repeat(2 * 41)}%1 = neg %0 : f32[2]\n`);
  });

  it('round-trips modules whose funcs hold regions', () => {
    const fns = [condProgram(), pow2Program(), nestedProgram()];
    const text = printModule(fns);
    expect(printModule(parseModule(text))).toBe(text);
  });

  it('does not require region names to be unique', () => {
    const same = fn('same', [f32(2)], (_, a) => [a!]);
    roundTrip(fn('f', [i32(), f32(2)], (b, k, x) => b.ops(P.Cond, { branches: [same, same] }, [k!, x!])));
  });
});

describe('parse errors in regions', () => {
  const SCAN = `func @f(%0: f32[4,4], %1: f32[4], %2: f32[3,4]) -> (f32[4], f32[3,4]) {
  %3, %4 = scan %0, %1, %2 {length=3, reverse=false, numConsts=1, numCarry=1, body=func @body(%0: f32[4,4], %1: f32[4], %2: f32[4]) -> (f32[4], f32[4]) {
    %3 = dot_general %0, %1 {lhsContract=[1], rhsContract=[0], lhsBatch=[], rhsBatch=[]} : f32[4]
    %4 = add %3, %2 : f32[4]
    return %4, %4
  }} : f32[4], f32[3,4]
  return %3, %4
}
`;
  const edit = (from: string, to: string) => {
    expect(SCAN).toContain(from);
    return SCAN.replace(from, to);
  };
  const expectError = (text: string, message: string) => {
    let err: unknown;
    try {
      parseModule(text, 'm.kir');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ParseError);
    const pe = err as ParseError;
    expect(pe.message).toBe(message);
    const [, line, col] = /^m\.kir:(\d+):(\d+): /.exec(message)!;
    expect([pe.line, pe.col]).toEqual([Number(line), Number(col)]);
  };

  it('parses the base program', () => {
    expect(printFunc(parseFunc(SCAN))).toBe(SCAN);
  });

  it.each([
    ['grammar error in a region', edit('%4 = add %3, %2 :', '%4 = add %3, %2'), "m.kir:4:21: expected ':' after operands, found 'f32'"],
    ['unclosed region', edit('  }} :', '  } :'), "m.kir:6:5: expected ',' or '}' in the params, found ':'"],
    ['undefined value in a region', edit('add %3, %2', 'add %3, %9'), 'm.kir:4:18: use of undefined value %9'],
    ['use before definition in a region', edit('add %3, %2', 'add %4, %2'), 'm.kir:4:14: %4 is used before its definition at 4:5'],
    ['redefinition in a region', edit('%4 = add', '%3 = add'), 'm.kir:4:5: redefinition of %3 (first defined at 3:5)'],
    ['unknown primitive in a region', edit('= add %3', '= ad %3'), "m.kir:4:10: unknown primitive 'ad' (did you mean 'add'?)"],
    ['unknown dtype in a region', edit('%2: f32[4]) ->', '%2: f33[4]) ->'), "m.kir:2:125: unknown dtype 'f33' (did you mean 'f32'?); expected one of f32, f64, i32, bool, f16, bf16"],
    ['region returning the wrong count', edit('return %4, %4', 'return %4'), 'm.kir:5:5: func @body declares 2 result(s) but returns 1'],
    ['region returning the wrong type', edit('return %4, %4', 'return %4, %0'), 'm.kir:5:16: %0 has type f32[4,4] but result 1 of @body is declared f32[4]'],
    ['a number for a region', edit('body=func @body', 'body=3, bogus=func @body'), "m.kir:2:87: unknown param 'bogus' for scan; its params are body, length, reverse, numConsts, numCarry"],
    ['a func for an integer', edit('length=3', 'length=func @g() -> () { return }'), "m.kir:2:36: param 'length' of scan expects an integer, found a func"],
  ])('%s', (_, text, message) => expectError(text, message));

  it('points kind errors at the value', () => {
    expectError(edit('body=func @body(%0: f32[4,4], %1: f32[4], %2: f32[4]) -> (f32[4], f32[4]) {\n    %3 = dot_general %0, %1 {lhsContract=[1], rhsContract=[0], lhsBatch=[], rhsBatch=[]} : f32[4]\n    %4 = add %3, %2 : f32[4]\n    return %4, %4\n  }', 'body=3'),
      `m.kir:2:84: param 'body' of scan expects ${describeKind('func')}, found '3'`);
    const cond = (branches: string) => `func @f(%0: i32[]) -> () {\n  %1 = cond %0 {branches=${branches}} : f32[]\n  return\n}`;
    expectError(cond('func @a() -> (f32[]) { %0 = constant {shape=[], dtype=f32, data=[1]} : f32[] return %0 }'),
      "m.kir:2:26: param 'branches' of cond expects a list of funcs, found a func");
    expectError(cond('[func @a() -> (f32[]) { %0 = constant {shape=[], dtype=f32, data=[1]} : f32[] return %0 }, 7]'),
      `m.kir:2:117: param 'branches' of cond expects ${describeKind('func')}, found '7'`);
  });

  it('rejects a region that captures an outer value', () => {
    const named = SCAN.replace('func @f(%0: f32[4,4], %1: f32[4], %2: f32[3,4])', 'func @f(%w: f32[4,4], %h: f32[4], %xs: f32[3,4])').replace('scan %0, %1, %2', 'scan %w, %h, %xs');
    expectError(named.replace('add %3, %2', 'add %3, %h'), 'm.kir:4:18: use of %h of an enclosing func: regions cannot capture outer values and must take them as inputs');
    // An outer name that the region does not define, used in its return.
    const text = `func @f(%a: f32[], %b: f32[]) -> (f32[]) {
  %c = cond %k, %a {branches=[func @g(%x: f32[]) -> (f32[]) {
    return %b
  }]} : f32[]
  return %c
}`;
    expectError(text.replace('%k, ', '%a, '), 'm.kir:3:12: use of %b of an enclosing func: regions cannot capture outer values and must take them as inputs');
  });

  it('rejects a capture from two regions out', () => {
    const text = `func @f(%0: i32[], %1: f32[], %zz: f32[]) -> (f32[]) {
  %2 = cond %0, %0, %1 {branches=[func @g(%0: i32[], %1: f32[]) -> (f32[]) {
    %2 = cond %0, %1 {branches=[func @h(%0: f32[]) -> (f32[]) {
      %1 = add %0, %zz : f32[]
      return %1
    }]} : f32[]
    return %2
  }]} : f32[]
  return %2
}`;
    expectError(text, 'm.kir:4:20: use of %zz of an enclosing func: regions cannot capture outer values and must take them as inputs');
  });

  it('points a verifier error inside a region at the region line, naming the path', () => {
    expectError(edit('%4 = add %3, %2 : f32[4]', '%4 = add %3, %2 : f32[4]\n    %5 = reduce_sum %4 {axes=[0]} : f32[4]'),
      'm.kir:5:37: func @f: eqn 0 (scan) body: eqn 2 (reduce_sum): result 0 is recorded as f32[4] but reduce_sum gives f32[]');
    expectError(edit('%4 = add %3, %2', '%4 = add %3, %0'),
      'm.kir:4:5: func @f: eqn 0 (scan) body: eqn 1 (add): operand shapes differ: f32[4], f32[4,4] (broadcast them first)');
  });

  it('points a region signature mismatch at the equation', () => {
    expectError(edit('%2: f32[4]) -> (f32[4], f32[4]) {', '%2: f32[4], %9: f32[]) -> (f32[4], f32[4]) {'),
      'm.kir:2:3: func @f: eqn 0 (scan): body @body takes (f32[4,4], f32[4], f32[4], f32[]), but is given (f32[4,4], f32[4], f32[4])');
    expectError(edit('length=3', 'length=4'), 'm.kir:2:3: func @f: eqn 0 (scan): scanned operand f32[3,4] must have leading axis 4');
  });

  it('follows the path into nested regions and list items', () => {
    const text = printFunc(nestedProgram()).replace('%2 = add %0, %1 : f32[3]\n', '%2 = add %0, %1 : f32[3]\n          %3 = sub %0, %1 : f32[2]\n');
    const e = (() => {
      try {
        parseFunc(text, 'm.kir');
      } catch (err) {
        return err as ParseError;
      }
      throw new Error('parsed');
    })();
    expect(e.message).toBe(
      'm.kir:10:29: func @nested: eqn 0 (while_loop) body: eqn 1 (cond) branches[0]: eqn 0 (scan) body: eqn 1 (sub): result 0 is recorded as f32[2] but sub gives f32[3]',
    );
    expect(text.split('\n')[9]).toBe('          %3 = sub %0, %1 : f32[2]');
  });
});

describe('verifier on regions', () => {
  function verifyError(f: Func): VerifyError {
    try {
      verifyFunc(f);
    } catch (e) {
      expect(e).toBeInstanceOf(VerifyError);
      return e as VerifyError;
    }
    throw new Error('expected a VerifyError, but the func verified');
  }

  it('accepts the sample programs', () => {
    for (const f of [condProgram(), pow2Program(), rnnScan(), nestedProgram()]) verifyFunc(f);
  });

  it('rejects a region signature that does not match the operands', () => {
    const x = new Var(aval([4], 'f32'));
    const body = fn('step', [f32(4), f32(3)], (_, c, s) => [c!, s!]);
    const out = [new Var(aval([4], 'f32')), new Var(aval([2, 3], 'f32'))];
    const xs = new Var(aval([2, 4], 'f32'));
    const f: Func = { name: 'f', inputs: [x, xs], eqns: [makeEqn(P.Scan, { body, length: 2, reverse: false, numConsts: 0, numCarry: 1 }, [x, xs], out)], outputs: out };
    expect(verifyError(f).message).toBe('func @f: eqn 0 (scan): body @step takes (f32[4], f32[3]), but is given (f32[4], f32[4])');
  });

  it('rejects branches with different result types, and a non-bool while cond', () => {
    const k = new Var(aval([], 'i32')), x = new Var(aval([2], 'f32')), out = new Var(aval([2], 'f32'));
    const a = fn('a', [f32(2)], (_, v) => [v!]);
    const c = fn('c', [f32(2)], (r, v) => [r.op(P.Convert, { dtype: 'f64' }, [v!])]);
    const f: Func = { name: 'f', inputs: [k, x], eqns: [makeEqn(P.Cond, { branches: [a, c] }, [k, x], [out])], outputs: [out] };
    expect(verifyError(f).message).toBe('func @f: eqn 0 (cond): branch 1 @c returns (f64[2]), expected (f32[2])');
    const notBool = fn('nb', [f32(2)], (r, v) => [r.op(P.ReduceSum, { axes: [0] }, [v!])]);
    const g: Func = { name: 'g', inputs: [x], eqns: [makeEqn(P.WhileLoop, { cond: notBool, body: a, condConsts: 0, bodyConsts: 0 }, [x], [out])], outputs: [out] };
    expect(verifyError(g).message).toBe('func @g: eqn 0 (while_loop): cond @nb returns (f32[]), expected (bool[])');
  });

  it('verifies a region as a function, naming the path', () => {
    const ghost = new Var(aval([2], 'f32'));
    const bad = fn('bad', [f32(2)], (r, v) => [r.op(P.Neg, NONE, [v!])]);
    // Corrupt the region's second use: the eqn reads a Var defined nowhere.
    (bad.eqns as Eqn[]).push(makeEqn(P.Neg, {}, [ghost], [new Var(aval([2], 'f32'))], { file: 'm.ts', line: 1, col: 2 }));
    const k = new Var(aval([], 'i32')), x = new Var(aval([2], 'f32')), out = new Var(aval([2], 'f32'));
    const ok = fn('ok', [f32(2)], (_, v) => [v!]);
    const f: Func = { name: 'f', inputs: [k, x], eqns: [makeEqn(P.Cond, { branches: [ok, bad] }, [k, x], [out])], outputs: [out] };
    const e = verifyError(f);
    expect(e.message).toBe(`func @f: eqn 0 (cond) branches[1]: eqn 1 (neg at m.ts:1:2): operand 0 (a value of type f32[2] (Var #${ghost.id})) is not defined`);
    expect(e).toBeInstanceOf(EqnVerifyError);
    const ee = e as EqnVerifyError;
    expect(ee.eqnIndex).toBe(0);
    expect(ee.region?.param).toBe('branches');
    expect(ee.region?.index).toBe(1);
    expect((ee.region?.error as EqnVerifyError).eqnIndex).toBe(1);
  });

  it('reports faults of a region outside its equations', () => {
    const x = new Var(aval([2], 'f32')), out = new Var(aval([2], 'f32'));
    const dup = new Var(aval([2], 'f32'));
    const body: Func = { name: 'b', inputs: [dup, dup], eqns: [], outputs: [dup] };
    const cond = fn('c', [f32(2), f32(2)], (r) => [r.op(P.Constant, { shape: [], dtype: 'bool', data: [0] }, [])]);
    const f: Func = { name: 'f', inputs: [x], eqns: [makeEqn(P.WhileLoop, { cond, body, condConsts: 0, bodyConsts: 0 }, [x], [out])], outputs: [out] };
    expect(verifyError(f).message).toBe('func @f: eqn 0 (while_loop) body: input 1 repeats input 0');
  });

  it('rejects a region that captures an outer value', () => {
    const x = new Var(aval([2], 'f32')), k = new Var(aval([], 'i32'));
    const out = new Var(aval([2], 'f32'));
    const uses = fn('uses', [f32(2)], (r, v) => [r.op(P.Add, NONE, [v!, x])]);
    const f: Func = { name: 'f', inputs: [k, x], eqns: [makeEqn(P.Cond, { branches: [uses] }, [k, x], [out])], outputs: [out] };
    expect(verifyError(f).message).toBe(
      'func @f: eqn 0 (cond) branches[0]: eqn 0 (add): operand 1 (f32[2]) is a value of an enclosing func; regions cannot capture outer values and must take them as inputs',
    );
    const returns: Func = { name: 'returns', inputs: [new Var(aval([2], 'f32'))], eqns: [], outputs: [x] };
    const g: Func = { name: 'g', inputs: [k, x], eqns: [makeEqn(P.Cond, { branches: [returns] }, [k, x], [out])], outputs: [out] };
    expect(verifyError(g).message).toBe(
      'func @g: eqn 0 (cond) branches[0]: output 0 (f32[2]) is a value of an enclosing func; regions cannot capture outer values and must take them as inputs',
    );
  });

  it('rejects a capture from two regions out, with the full path', () => {
    const x = new Var(aval([2], 'f32')), k = new Var(aval([], 'i32'));
    const inner = fn('inner', [f32(2)], (r, v) => [r.op(P.Mul, NONE, [x, v!])]);
    const mid = fn('mid', [i32(), f32(2)], (r, kk, v) => r.ops(P.Cond, { branches: [inner] }, [kk!, v!]));
    const out = new Var(aval([2], 'f32'));
    const f: Func = { name: 'f', inputs: [k, x], eqns: [makeEqn(P.Cond, { branches: [mid] }, [k, k, x], [out])], outputs: [out] };
    expect(verifyError(f).message).toBe(
      'func @f: eqn 0 (cond) branches[0]: eqn 0 (cond) branches[0]: eqn 0 (mul): operand 0 (f32[2]) is a value of an enclosing func; regions cannot capture outer values and must take them as inputs',
    );
  });

  it('rejects a region param that is not a func, and a region containing itself', () => {
    const x = new Var(aval([2], 'f32')), out = new Var(aval([2], 'f32'));
    const notFunc = { cond: 'c', body: 'b', condConsts: 0, bodyConsts: 0 } as unknown as PrimitiveParams[P.WhileLoop];
    const f: Func = { name: 'f', inputs: [x], eqns: [makeEqn(P.WhileLoop, notFunc, [x], [out])], outputs: [out] };
    expect(verifyError(f).message).toBe(`func @f: eqn 0 (while_loop): param 'cond' expects ${describeKind('func')}; param 'body' expects ${describeKind('func')}`);
    const k = new Var(aval([], 'i32'));
    const loop = { name: 'loop', inputs: [new Var(aval([], 'i32')), new Var(aval([2], 'f32'))], eqns: [] as Eqn[], outputs: [] as Var[] };
    const o = new Var(aval([2], 'f32'));
    loop.eqns.push(makeEqn(P.Cond, { branches: [loop] }, loop.inputs, [o]));
    loop.outputs.push(o);
    const g: Func = { name: 'g', inputs: [k, x], eqns: [makeEqn(P.Cond, { branches: [loop] }, [k, k, x], [out])], outputs: [out] };
    expect(verifyError(g).message).toBe('func @g: eqn 0 (cond) branches[0]: eqn 0 (cond): branches[0] @loop contains itself');
    expect(printFunc(g)).toContain('<cyclic @loop>');
  });
});
