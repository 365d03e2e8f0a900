// compiler/aot's reading of entry signatures with ts-morph (types to abstract inputs), the
// `--args` syntax, and the planning of abstract arguments from types, overrides and weights.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatSigType, parseOverrides, planEntry, readModelSignatures, type EntrySig, type ModelSignatures } from '../../compiler/aot/index.ts';
import { checkOverridesUsed, overridesFor } from '../../compiler/aot/entries.ts';
import { MODELS } from './compile-helpers.ts';

const TYPES = path.join(MODELS, 'types.ts');
let cached: ModelSignatures | undefined;
/** The fixture's signatures (read once: the type checker takes a second or two). */
const model = () => (cached ??= readModelSignatures(TYPES));
const entry = (name: string): EntrySig => model().entries.get(name)!;
const show = (name: string) =>
  entry(name).params.map((p) => `${p.name}: ${formatSigType(p.type)}${p.default !== undefined ? ` = ${JSON.stringify(p.default)}` : ''}`);

describe('reading entry signatures', { timeout: 60_000 }, () => {
  it('finds the exported functions (declarations and arrow functions) without type errors', () => {
    expect(model().errors).toEqual([]);
    expect([...model().entries.keys()]).toEqual(['aliases', 'trees', 'statics', 'open', 'donating', 'withCallback', 'deepBad']);
    expect(entry('trees').pos).toEqual({ file: TYPES, line: expect.any(Number), col: 1 });
  });

  it('follows aliases and generic aliases; the dtype defaults to f32; choices stay open', () => {
    expect(show('aliases')).toMatchInlineSnapshot(`
      [
        "x: f32[?,784]",
        "v: f32[5]",
        "s: bool[]",
        "h: (f16|bf16)[4]",
      ]
    `);
  });

  it('reads interfaces, tuples, arrays, nested objects and empty slots as trees', () => {
    expect(show('trees')).toMatchInlineSnapshot(`
      [
        "p: {a: f64[2,3], b: i32[3]}",
        "t: [f32[2], i32[3]]",
        "list: f32[4][]",
        "nested: {inner: {w: f32[1,2]}, none: null}",
      ]
    `);
  });

  it('reads static parameters with their literal defaults', () => {
    expect(show('statics')).toMatchInlineSnapshot(`
      [
        "x: f32[2,2]",
        "scale: number = 2",
        "mode: "sum"|"mean" = "mean"",
        "flag: boolean = true",
        "n: number = -1.5",
      ]
    `);
  });

  it('marks unknown ranks and dynamic dims, and what is not a tensor tree', () => {
    expect(show('open')).toEqual(['x: f32[...]', 'y: i32[?,3]', 'z: f32[...]']);
    expect(show('withCallback')).toEqual(['x: f32[2]', 'f: unsupported((v: number) => number)']);
    expect(show('deepBad')).toEqual(['p: {w: f32[2], when: unsupported(Date)}']);
  });

  it('reads @donate from the JSDoc', () => {
    expect(entry('donating').donate).toEqual(['params', 'state']);
    expect(entry('trees').donate).toEqual([]);
  });
});

describe('--args', () => {
  it('parses named shapes, dtypes, statics and positional values', () => {
    expect(parseOverrides("predict.x=[1000,784], y=i32[5], lr=0.1, mode='sum', flag=false, kind=mean, s=[]")).toEqual([
      { name: 'predict.x', value: { kind: 'shape', shape: [1000, 784] }, text: 'predict.x=[1000,784]' },
      { name: 'y', value: { kind: 'shape', shape: [5], dtype: 'i32' }, text: 'y=i32[5]' },
      { name: 'lr', value: { kind: 'static', value: 0.1 }, text: 'lr=0.1' },
      { name: 'mode', value: { kind: 'static', value: 'sum' }, text: "mode='sum'" },
      { name: 'flag', value: { kind: 'static', value: false }, text: 'flag=false' },
      { name: 'kind', value: { kind: 'static', value: 'mean' }, text: 'kind=mean' },
      { name: 's', value: { kind: 'shape', shape: [] }, text: 's=[]' },
    ]);
    expect(parseOverrides('f32[2,3],[3],2').map((o) => o.value)).toEqual([
      { kind: 'shape', shape: [2, 3], dtype: 'f32' },
      { kind: 'shape', shape: [3] },
      { kind: 'static', value: 2 },
    ]);
  });

  it('reports malformed values with the item and column', () => {
    expect(() => parseOverrides('x=[2,a]')).toThrow(/--args: 'a' is not a dimension .* in 'x=\[2,a\]' \(column 1/);
    expect(() => parseOverrides('x=[2],u8[3]')).toThrow(/unknown dtype 'u8'/);
    expect(() => parseOverrides('x=[2],[3]')).toThrow(/not a mix/);
    expect(() => parseOverrides('x=')).toThrow(/a missing value/);
  });
});

describe('planning abstract arguments', { timeout: 60_000 }, () => {
  const plan = (name: string, args = '', weights: Record<string, { shape: number[]; dtype: 'f32' | 'i32' }> = {}) =>
    planEntry(entry(name), overridesFor(entry(name), parseOverrides(args), [name]), new Map(Object.entries(weights)));
  const shapes = (p: ReturnType<typeof plan>) => JSON.parse(JSON.stringify(p.args)) as unknown;

  it('takes shapes from the types, --args for dynamic dims and arrays, defaults for statics', () => {
    const a = plan('aliases', 'x=[8,784],h=bf16[4]');
    expect(shapes(a)).toEqual([{ shape: [8, 784], dtype: 'f32' }, { shape: [5], dtype: 'f32' }, { shape: [], dtype: 'bool' }, { shape: [4], dtype: 'bf16' }]);
    const t = plan('trees', 'list.0=[4],list.1=[4]');
    expect(t.leaves.map((l) => l.path)).toEqual(['p.a', 'p.b', 't.0', 't.1', 'list.0', 'list.1', 'nested.inner.w']);
    const s = plan('statics', 'mode=sum');
    expect(s.statics).toEqual({ scale: 2, mode: 'sum', flag: true, n: -1.5 });
  });

  it('binds leaves named by the weights, and params as a whole by its inner paths', () => {
    const byFull = plan('donating', '', { 'params.w': { shape: [2], dtype: 'f32' } });
    expect(byFull.leaves).toEqual([{ path: 'params.w', weight: 'params.w' }, { path: 'state' }, { path: 'x' }]);
    const whole = plan('donating', '', { w: { shape: [2], dtype: 'f32' } });
    expect(whole.leaves[0]).toEqual({ path: 'params.w', weight: 'w' });
    // The array's length comes from the weights too.
    expect(plan('trees', '', { 'list.0': { shape: [4], dtype: 'f32' } }).leaves.filter((l) => l.weight)).toEqual([{ path: 'list.0', weight: 'list.0' }]);
  });

  it('names the parameter, entry and file:line when something is missing or wrong', () => {
    const at = (name: string, param: string) => {
      const p = entry(name).params.find((x) => x.name === param)!;
      return `${p.pos.file}:${p.pos.line}:${p.pos.col}`.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    };
    expect(() => plan('aliases')).toThrow(new RegExp(`dimension 0 of parameter 'x' of aliases \\(${at('aliases', 'x')}\\) is dynamic \\(Batch\\); give its shape with --args aliases\\.x=\\[N,784\\]`));
    expect(() => plan('aliases', 'x=[8,784]')).toThrow(/parameter 'h' of aliases .* may be f16 or bf16; choose with --args aliases\.h=f16\[\.\.\.\]/);
    expect(() => plan('aliases', 'x=[8,785],h=f16[4]')).toThrow(/the shape must be 2 dims \[N,784\]/);
    expect(() => plan('trees')).toThrow(/'list' in parameter 'list' of trees|parameter 'list' of trees .* is an array of unknown length \(f32\[4\]\[\]\)/);
    expect(() => plan('withCallback')).toThrow(new RegExp(`parameter 'f' of withCallback \\(${at('withCallback', 'f')}\\) has type \\(v: number\\) => number, which is neither a tensor tree`));
    expect(() => plan('deepBad')).toThrow(/parameter 'p' of deepBad .* whose 'p\.when' is Date, which is neither a tensor tree/);
    expect(() => plan('donating', '', { 'params.w': { shape: [3], dtype: 'f32' } })).toThrow(/the weight 'params\.w' is f32\[3\], but 'params\.w' in parameter 'params' of donating .* is f32\[2\]/);
    expect(() => plan('statics', 'mode=max')).toThrow(/must be one of "sum", "mean", got "max"/);
    expect(() => checkOverridesUsed(parseOverrides('nope=1'), [entry('statics')])).toThrow(/--args nope=1: no parameter 'nope' in the entries compiled: statics\(x, scale, mode, flag, n\)/);
    expect(() => plan('statics', 'x.y=[2]')).toThrow(/statics has no tensor or static leaf 'x\.y'/);
  });
});
