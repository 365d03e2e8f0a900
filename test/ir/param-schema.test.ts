// The param schema must mirror PrimitiveParams: same names, and the same key order, because the
// printer prints params in schema order and promises the interface's order.
import { fileURLToPath } from 'node:url';
import { Node, Project } from 'ts-morph';
import { describe, expect, it } from 'vitest';
import { checkParams, describeKind, fitsKind, PARAM_SCHEMA, paramNames, type ParamSchema } from '../../compiler/ir/param-schema.ts';
import { Primitive } from '../../compiler/ir/primitives.ts';

/** Param names per primitive, in declaration order, read from the PrimitiveParams interface. */
function interfaceKeyOrder(): Map<string, string[]> {
  const project = new Project({ skipAddingFilesFromTsConfig: true });
  const file = project.addSourceFileAtPath(fileURLToPath(new URL('../../compiler/ir/primitives.ts', import.meta.url)));
  const out = new Map<string, string[]>();
  for (const prop of file.getInterfaceOrThrow('PrimitiveParams').getProperties()) {
    // Keys are written `[Primitive.Name]`; map the member name to the enum's string value.
    const member = /^\[Primitive\.(\w+)\]$/.exec(prop.getName())?.[1];
    const prim = member && (Primitive as Record<string, string>)[member];
    if (!prim) throw new Error(`unexpected key ${prop.getName()} in PrimitiveParams`);
    const type = prop.getTypeNodeOrThrow();
    // A type literal lists its params; anything else (NoParams) has none.
    const keys = Node.isTypeLiteral(type) ? type.getProperties().map((p) => p.getName()) : [];
    out.set(prim, keys);
  }
  return out;
}

describe('PARAM_SCHEMA', () => {
  it('has the names and key order of PrimitiveParams', () => {
    const fromInterface = interfaceKeyOrder();
    expect([...fromInterface.keys()].sort()).toEqual(Object.values(Primitive).sort());
    for (const p of Object.values(Primitive)) {
      expect(paramNames(p), p).toEqual(fromInterface.get(p));
      expect(Object.keys(PARAM_SCHEMA[p])).toEqual(fromInterface.get(p));
    }
  });

  it('is typed against PrimitiveParams (checked by tsc, which includes test/)', () => {
    // @ts-expect-error: axis is a number, so 'ints' does not fit.
    const wrongKind: ParamSchema[Primitive.Cumsum] = { axis: 'ints', reverse: 'bool' };
    // @ts-expect-error: every param of the interface needs a kind.
    const missing: ParamSchema[Primitive.Cumsum] = { axis: 'int' };
    // @ts-expect-error: an enum kind may only list members of the param's union.
    const badEnum: ParamSchema[Primitive.Scatter] = { mode: ['add', 'mul'] };
    expect([wrongKind, missing, badEnum]).toHaveLength(3);
  });

  it('checks values by kind', () => {
    expect(fitsKind('int', 3)).toBe(true);
    expect(fitsKind('int', 3.5)).toBe(false);
    expect(fitsKind('int', 2 ** 53)).toBe(false);
    expect(fitsKind('ints', [1, -2])).toBe(true);
    expect(fitsKind('ints', [1, '2'])).toBe(false);
    expect(fitsKind('number', NaN)).toBe(true);
    expect(fitsKind('numbers', [Infinity, -0])).toBe(true);
    expect(fitsKind('bool', 0)).toBe(false);
    expect(fitsKind('dtype', 'bf16')).toBe(true);
    expect(fitsKind('dtype', 'f8')).toBe(false);
    expect(fitsKind(['add', 'set'], 'set')).toBe(true);
    expect(fitsKind(['add', 'set'], 'mul')).toBe(false);
    expect(describeKind(['add', 'set'])).toBe('one of add, set');
  });

  it('reports every problem of a params object', () => {
    expect(checkParams(Primitive.Slice, { start: [0], limit: [1], strides: [1] })).toEqual([]);
    expect(checkParams(Primitive.Slice, { start: [0], limit: 1, stride: [1] })).toEqual([
      "param 'limit' expects a list of integers",
      "missing param 'strides'",
      "unknown param 'stride'",
    ]);
    expect(checkParams(Primitive.Neg, null)).toEqual(['params must be an object']);
  });
});
