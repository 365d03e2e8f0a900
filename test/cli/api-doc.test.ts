// The public API as `kiln doc` reads it from index.ts, and the rule that all of it is documented.
import { beforeAll, describe, expect, it } from 'vitest';
import { firstSentence, loadApi, type ApiEntry } from '../../cli/api-doc.ts';

let api: ApiEntry[];
beforeAll(() => {
  api = loadApi();
}, 60_000);

const byName = (n: string) => api.find((e) => e.name === n);

describe('loadApi', () => {
  it('follows re-exports to declarations, namespaces and class members', () => {
    expect(byName('makeIR')).toMatchObject({ kind: 'function', file: 'dsl/make-ir.ts' });
    expect(byName('Tensor')).toMatchObject({ kind: 'class', file: 'dsl/tensor.ts' });
    expect(byName('DType')).toMatchObject({ kind: 'type' });
    expect(byName('random')).toMatchObject({ kind: 'namespace', file: 'dsl/random.ts' });
    expect(byName('random.uniform')).toMatchObject({ kind: 'function', parent: 'random' });
    expect(byName('Tensor.sum')).toMatchObject({ kind: 'method', parent: 'Tensor' });
    expect(byName('Tensor.shape')).toMatchObject({ kind: 'property', parent: 'Tensor' });
    // Renamed exports keep the exported name and record the declared one.
    expect(byName('var')).toMatchObject({ kind: 'function', declaredAs: 'variance' });
    expect(byName('var')!.signatures[0]).toMatch(/^function var\(/);
    // Functions made by `export const f = ...` are functions too, with a signature from the checker.
    expect(byName('exp')).toMatchObject({ kind: 'function' });
    expect(byName('exp')!.signatures[0]).toMatch(/^function exp[<(]x/);
    // Internal members stay out.
    for (const hidden of ['Tensor._value', 'Tensor._wrap', 'Tensor.__shape']) expect(byName(hidden)).toBeUndefined();
  });

  it('summarises with the first sentence', () => {
    expect(firstSentence('Sums. More text.')).toBe('Sums.');
    expect(firstSentence('The shape, e.g. [2, 3]. More.')).toBe('The shape, e.g. [2, 3].');
    expect(firstSentence('Like jax.make_jaxpr: traces f.\nSecond line.')).toBe('Like jax.make_jaxpr: traces f.');
    expect(firstSentence('No full stop\nacross lines')).toBe('No full stop across lines');
    expect(firstSentence('Text.\n@param x the input. It is.')).toBe('Text.');
    expect(firstSentence('')).toBe('');
  });
});

/** "name (file:line)" lines of the entries without a comment, for failure messages. */
function missing(entries: readonly ApiEntry[]): string {
  return entries.map((e) => `  ${e.name} (${e.kind}, ${e.file}:${e.line})`).join('\n');
}

describe('the public API is documented', () => {
  it('every exported function, namespace function and method has a TSDoc comment', () => {
    const undocumented = api.filter((e) => (e.kind === 'function' || e.kind === 'method') && !e.doc);
    expect(undocumented.map((e) => e.name), `${undocumented.length} functions and methods lack a /** TSDoc */ comment:\n${missing(undocumented)}\n`).toEqual([]);
  });

  it('every exported class, type, namespace and public property has a TSDoc comment', () => {
    const undocumented = api.filter((e) => e.kind !== 'function' && e.kind !== 'method' && !e.doc);
    expect(undocumented.map((e) => e.name), `${undocumented.length} classes, types and properties lack a /** TSDoc */ comment:\n${missing(undocumented)}\n`).toEqual([]);
  });
});
