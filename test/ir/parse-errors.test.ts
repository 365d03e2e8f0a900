// Parse errors: every failure is a ParseError naming line:col, what was found and what was
// expected; never a raw chevrotain error or a TypeError.
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../compiler/ir/errors.ts';
import { parseFunc, parseModule } from '../../compiler/ir/parse.ts';

const BASE = `func @softmax(%0: f32[2,3]) -> (f32[2,3]) {
  %1 = reduce_max %0 {axes=[1]} : f32[2]  loc("model.ts":4:11)
  %2 = broadcast_in_dim %1 {shape=[2,3], dims=[0]} : f32[2,3]
  %3 = sub %0, %2 : f32[2,3]
  return %3
}
`;

/** BASE with one exact substring replaced (fails loudly if the edit does not apply). */
function edit(from: string, to: string, text = BASE): string {
  expect(text, `edit '${from}'`).toContain(from);
  return text.replace(from, to);
}

/** The ParseError that parsing `text` throws. */
function parseError(text: string, run: (t: string) => unknown = (t) => parseModule(t, 'model.kir')): ParseError {
  try {
    run(text);
  } catch (e) {
    expect(e).toBeInstanceOf(ParseError);
    return e as ParseError;
  }
  throw new Error('expected a ParseError, but parsing succeeded');
}

/** Asserts the whole message, and that line/col fields agree with it. */
function expectError(text: string, message: string): void {
  const e = parseError(text);
  expect(e.message).toBe(message);
  const [, line, col] = /^model\.kir:(\d+):(\d+): /.exec(message)!;
  expect([e.line, e.col]).toEqual([Number(line), Number(col)]);
  expect(e.source).toBe('model.kir');
}

const fn1 = (body: string, args = '%0: f32[2]') => `func @f(${args}) -> () {\n${body}\n  return\n}`;

it('parses the base program', () => {
  expect(parseModule(BASE)).toHaveLength(1);
});

describe('grammar errors', () => {
  it.each([
    ['missing colon after operands', edit('%0, %2 :', '%0, %2 %4 :'), "model.kir:4:19: expected ':' after operands, found '%4'"],
    ['missing colon after params', edit('{axes=[1]} :', '{axes=[1]} f32[2]'), "model.kir:2:33: expected ':' after params, found 'f32'"],
    ['missing colon after the primitive', fn1('  %1 = iota f32[]'), "model.kir:2:13: expected ':' after the primitive name, found 'f32'"],
    ['trailing garbage after a func', BASE + '}\n', "model.kir:7:1: expected 'func' or end of input, found '}'"],
    ['garbage in a body', edit('  return', '  foo bar\n  return'), "model.kir:5:3: expected an equation '%n = ...' or 'return', found 'foo'"],
    ['input ending in a body', BASE.slice(0, BASE.indexOf('%3 = sub')), "model.kir:4:3: expected an equation '%n = ...' or 'return', found end of input"],
    ['input ending before the closing brace', BASE.slice(0, -3), "model.kir:5:12: expected '}' after the return values, found end of input"],
    ['missing arrow', edit(' -> ', ' '), "model.kir:1:29: expected '->' and the result types, found '('"],
    ['missing param value', edit('axes=[1]', 'axes='), "model.kir:2:28: expected a param value (a number, true, false, a name, a [list] or a func region), found '}'"],
    ['incomplete loc', edit('"model.ts":4:11', '"model.ts":4'), "model.kir:2:59: expected ':' and a column number in loc(...), found ')'"],
    ['operand missing after a comma', edit('sub %0, %2', 'sub %0,'), "model.kir:4:16: expected a value name like %0, found ':'"],
    ['missing =', edit('%3 = sub', '%3 sub'), "model.kir:4:6: expected '=' after the result names, found 'sub'"],
    ['missing primitive', edit('%3 = sub', '%3 = %0'), "model.kir:4:8: expected a primitive name after '=', found '%0'"],
    ['missing func name', edit('@softmax', ''), "model.kir:1:6: expected a function name like @main after 'func', found '('"],
    ['missing result type', edit(': f32[2,3]\n  return', ':\n  return'), "model.kir:5:3: expected a result type, found 'return'"],
    ['type without shape', edit(': f32[2,3]\n  return', ': f32\n  return'), "model.kir:5:3: expected '[' and a shape after the dtype, found 'return'"],
    ['unclosed list', edit('dims=[0]}', 'dims=[0}'), "model.kir:3:49: expected ',' or ']' in the list, found '}'"],
    ['unclosed params', edit('{axes=[1]} :', '{axes=[1] :'), "model.kir:2:32: expected ',' or '}' in the params, found ':'"],
  ])('%s', (_, text, message) => expectError(text, message));
});

describe('lexical errors', () => {
  it.each([
    ['stray character', edit('sub %0', 'sub & %0'), "model.kir:4:12: unexpected character '&'"],
    ['% without a name', edit('sub %0', 'sub % 0'), "model.kir:4:12: expected a value name like %0, found '% '"],
    ['@ without a name', edit('@softmax', '@ softmax'), "model.kir:1:6: expected a function name like @main, found '@ '"],
    ['unterminated string', edit('"model.ts"', '"model.ts'), 'model.kir:2:47: unterminated string (missing closing \'"\' on this line)'],
    ['unknown escape', edit('"model.ts"', '"mo\\qdel.ts"'), 'model.kir:2:47: unknown escape \'\\q\' in string (expected \\\\, \\", \\n, \\r, \\t or \\u{hex})'],
    ['bad \\u escape', edit('"model.ts"', '"a\\u{110000}"'), "model.kir:2:47: bad escape '\\u{110000}' in string (expected \\u{hex})"],
    ['too deeply nested', edit('axes=[1]', 'axes=' + '['.repeat(300) + ']'.repeat(300)), 'model.kir:2:282: brackets nested more than 256 deep'],
  ])('%s', (_, text, message) => expectError(text, message));
});

describe('name errors', () => {
  it.each([
    ['undefined value', edit('sub %0, %2', 'sub %0, %7'), 'model.kir:4:16: use of undefined value %7'],
    ['use before definition', edit('sub %0, %2', 'sub %0, %3'), 'model.kir:4:16: %3 is used before its definition at 4:3'],
    ['undefined return value', edit('return %3', 'return %9'), 'model.kir:5:10: use of undefined value %9'],
    ['redefinition of an argument', edit('%2 = broadcast', '%0 = broadcast'), 'model.kir:3:3: redefinition of %0 (first defined at 1:15)'],
    ['duplicate argument', edit('(%0: f32[2,3])', '(%0: f32[2,3], %0: f32[2])'), 'model.kir:1:29: redefinition of %0 (first defined at 1:15)'],
    ['redefinition of a result', edit('%3 = sub', '%1 = sub'), 'model.kir:4:3: redefinition of %1 (first defined at 2:3)'],
    ['duplicate func', BASE + BASE, 'model.kir:7:6: redefinition of func @softmax (first defined at 1:6)'],
    ['unknown primitive, with suggestion', edit('reduce_max', 'reduce_mx'), "model.kir:2:8: unknown primitive 'reduce_mx' (did you mean 'reduce_max'?)"],
    ['unknown primitive, suggestion by case', edit('reduce_max', 'Reduce_Max'), "model.kir:2:8: unknown primitive 'Reduce_Max' (did you mean 'reduce_max'?)"],
    ['unknown primitive, nothing close', edit('sub %0', 'frobnicate %0'), "model.kir:4:8: unknown primitive 'frobnicate'"],
  ])('%s', (_, text, message) => expectError(text, message));
});

describe('type errors', () => {
  it.each([
    ['unknown dtype, with suggestion', edit(': f32[2] ', ': f23[2] '), "model.kir:2:35: unknown dtype 'f23' (did you mean 'f32'?); expected one of f32, f64, i32, bool, f16, bf16"],
    ['unknown dtype', edit('%0: f32', '%0: float32'), "model.kir:1:19: unknown dtype 'float32'; expected one of f32, f64, i32, bool, f16, bf16"],
    ['negative dimension', edit('%0: f32[2,3]', '%0: f32[-2,3]'), "model.kir:1:23: expected a non-negative integer dimension, found '-2'"],
    ['minus zero dimension', edit('%0: f32[2,3]', '%0: f32[-0,3]'), "model.kir:1:23: expected a non-negative integer dimension, found '-0'"],
    ['fractional dimension', edit('%0: f32[2,3]', '%0: f32[2.5,3]'), "model.kir:1:23: expected a non-negative integer dimension, found '2.5'"],
    ['non-finite dimension', edit('%0: f32[2,3]', '%0: f32[inf,3]'), "model.kir:1:23: expected a dimension or ']', found 'inf'"],
    ['name as a later dimension', edit('%0: f32[2,3]', '%0: f32[2,n]'), "model.kir:1:25: expected a dimension, found 'n'"],
    ['unclosed shape', edit('%0: f32[2,3]', '%0: f32[2,3'), "model.kir:1:26: expected ',' or ']' in the shape, found ')'"],
    ['negative loc line', edit('4:11', '-4:11'), "model.kir:2:58: expected a non-negative integer line number, found '-4'"],
    ['more result names than types', edit('%3 = sub', '%3, %4 = sub'), 'model.kir:4:23: 2 result name(s) but 1 result type(s)'],
    ['wrong number of returned values', edit('return %3', 'return %3, %0'), 'model.kir:5:3: func @softmax declares 1 result(s) but returns 2'],
    ['returned value of the wrong type', edit('return %3', 'return %1'), 'model.kir:5:10: %1 has type f32[2] but result 0 of @softmax is declared f32[2,3]'],
  ])('%s', (_, text, message) => expectError(text, message));
});

describe('param errors', () => {
  it.each([
    ['unknown param', edit('axes=[1]', 'axis=[1]'), "model.kir:2:23: unknown param 'axis' for reduce_max (did you mean 'axes'?); its params are axes"],
    ['param on a primitive without params', edit('sub %0, %2', 'sub %0, %2 {axes=[1]}'), "model.kir:4:20: unknown param 'axes' for sub; it takes no params"],
    ['missing param', edit(', dims=[0]', ''), "model.kir:3:28: broadcast_in_dim is missing param 'dims' (a list of integers)"],
    ['missing params block', edit(' {axes=[1]}', ''), "model.kir:2:8: reduce_max is missing param 'axes' (a list of integers)"],
    ['duplicate param', edit('dims=[0]', 'dims=[0], shape=[2,3]'), "model.kir:3:52: param 'shape' of broadcast_in_dim given twice"],
    ['int where a list is expected', edit('axes=[1]', 'axes=1'), "model.kir:2:28: param 'axes' of reduce_max expects a list of integers, found '1'"],
    ['float in an int list', edit('axes=[1]', 'axes=[0, 1.5]'), "model.kir:2:32: param 'axes' of reduce_max expects an integer, found '1.5'"],
    ['exponent in an int list', edit('axes=[1]', 'axes=[1e0]'), "model.kir:2:29: param 'axes' of reduce_max expects an integer, found '1e0'"],
    ['name in an int list', edit('axes=[1]', 'axes=[x]'), "model.kir:2:29: param 'axes' of reduce_max expects an integer, found 'x'"],
    ['nested list', edit('axes=[1]', 'axes=[[1]]'), "model.kir:2:29: param 'axes' of reduce_max expects an integer, found a list"],
    ['unsafe integer', edit('axes=[1]', 'axes=[99999999999999999999]'), "model.kir:2:29: param 'axes' of reduce_max expects an integer, found '99999999999999999999'"],
    ['bad enum member', fn1('  %3 = scatter %0, %1, %2 {mode=mul} : f32[2]', '%0: f32[2], %1: i32[2,1], %2: f32[2]'), "model.kir:2:33: param 'mode' of scatter expects one of add, set, found 'mul'"],
    ['quoted enum member', fn1('  %3 = scatter %0, %1, %2 {mode="add"} : f32[2]', '%0: f32[2], %1: i32[2,1], %2: f32[2]'), "model.kir:2:33: param 'mode' of scatter expects one of add, set, found '\"add\"'"],
    ['int for a bool', fn1('  %1 = cumsum %0 {axis=0, reverse=1} : f32[2]'), "model.kir:2:35: param 'reverse' of cumsum expects true or false, found '1'"],
    ['bad dtype param', fn1('  %1 = convert %0 {dtype=f33} : f32[2]'), "model.kir:2:26: param 'dtype' of convert expects a dtype (f32, f64, i32, bool, f16, bf16), found 'f33'"],
    ['list for a number', fn1('  %1 = pad %0 {lo=[0], hi=[0], interior=[0], value=[1]} : f32[2]'), "model.kir:2:52: param 'value' of pad expects a number, found a list"],
    ['bool for a number', fn1('  %1 = pad %0 {lo=[0], hi=[0], interior=[0], value=true} : f32[2]'), "model.kir:2:52: param 'value' of pad expects a number, found 'true'"],
    ['name in a number list', fn1('  %1 = constant {shape=[], dtype=f32, data=[nan, infinity]} : f32[]', ''), "model.kir:2:50: param 'data' of constant expects a number, found 'infinity'"],
  ])('%s', (_, text, message) => expectError(text, message));
});

describe('verifier errors point at the equation', () => {
  it.each([
    ['wrong recorded shape', edit(': f32[2] ', ': f32[3] '), 'model.kir:2:35: func @softmax: eqn 0 (reduce_max at model.ts:4:11): result 0 is recorded as f32[3] but reduce_max gives f32[2]'],
    ['wrong recorded dtype', edit('-> (f32[2,3])', '-> (f64[2,3])', edit('%3 = sub %0, %2 : f32[2,3]', '%3 = sub %0, %2 : f64[2,3]')), 'model.kir:4:21: func @softmax: eqn 2 (sub): result 0 is recorded as f64[2,3] but sub gives f32[2,3]'],
    ['shape rule failure', edit('sub %0, %2', 'sub %0, %1'), 'model.kir:4:3: func @softmax: eqn 2 (sub): operand shapes differ: f32[2,3], f32[2] (broadcast them first)'],
    ['shape rule failure from params', edit('axes=[1]', 'axes=[2]'), 'model.kir:2:3: func @softmax: eqn 0 (reduce_max at model.ts:4:11): axis 2 out of range for rank 2'],
    ['too few results', fn1('  %2 = sort %0, %1 {axis=0, numKeys=1} : f32[2]', '%0: f32[2], %1: i32[2]'), 'model.kir:2:3: func @f: eqn 0 (sort): has 1 result(s) but sort produces 2'],
    ['too many results', fn1('  %1, %2 = neg %0 : f32[2], f32[2]'), 'model.kir:2:3: func @f: eqn 0 (neg): has 2 result(s) but neg produces 1'],
  ])('%s', (_, text, message) => expectError(text, message));
});

describe('parseFunc', () => {
  it('wants exactly one func', () => {
    const one = (t: string) => parseFunc(t, 'model.kir');
    expect(parseError('', one).message).toBe('model.kir:1:1: expected a func, found end of input');
    expect(parseError('// nothing\n', one).message).toBe('model.kir:2:1: expected a func, found end of input');
    const two = 'func @a() -> () { return }\nfunc @b() -> () { return }';
    expect(parseError(two, one).message).toBe('model.kir:2:6: expected exactly one func, found a second one, @b');
  });

  it("names '<ir>' when no source name is given", () => {
    expect(parseError('func', (t) => parseFunc(t)).message).toBe("<ir>:1:5: expected a function name like @main after 'func', found end of input");
    expect(parseError('}', (t) => parseModule(t)).message).toBe("<ir>:1:1: expected 'func' or end of input, found '}'");
  });

  it('counts columns from 1 and lines across \\r\\n', () => {
    const e = parseError(BASE.replace(/\n/g, '\r\n').replace('sub %0, %2', 'sub %0, %7'));
    expect([e.line, e.col]).toEqual([4, 16]);
  });
});
