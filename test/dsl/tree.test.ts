// Trees: treeFlatten / treeUnflatten / treeMap over nested objects and arrays.
import { describe, expect, it } from 'vitest';
import * as k from 'kiln';

describe('treeFlatten', () => {
  it('leaves in order, object keys sorted (as JAX)', () => {
    const { leaves, def } = k.treeFlatten({ b: [1, { d: 2, c: 3 }], a: 4 });
    expect(leaves).toEqual([4, 1, 3, 2]);
    expect(def).toEqual({
      kind: 'object',
      keys: ['a', 'b'],
      children: [
        { kind: 'leaf' },
        { kind: 'array', children: [{ kind: 'leaf' }, { kind: 'object', keys: ['c', 'd'], children: [{ kind: 'leaf' }, { kind: 'leaf' }] }] },
      ],
    });
  });

  it('null and undefined are empty subtrees (as None in JAX), not leaves', () => {
    const { leaves, def } = k.treeFlatten({ a: 1, e: null, u: undefined, l: [null, 2] });
    expect(leaves).toEqual([1, 2]);
    expect(k.treeUnflatten(def, [10, 20])).toEqual({ a: 10, e: null, l: [null, 20], u: null });
  });

  it('insertion order of keys does not matter', () => {
    expect(k.treeFlatten({ x: 1, y: 2 })).toEqual(k.treeFlatten({ y: 2, x: 1 }));
  });

  it('tensors, class instances and primitives are leaves; empty containers have none', () => {
    const t = k.array([1, 2]);
    class Box {
      constructor(readonly v: number) {}
    }
    const box = new Box(1);
    const { leaves } = k.treeFlatten([t, box, 'str', 0, [], {}]);
    expect(leaves).toHaveLength(4);
    expect(leaves[0]).toBe(t);
    expect(leaves[1]).toBe(box);
    expect(leaves.slice(2)).toEqual(['str', 0]);
    expect(k.treeFlatten(5)).toEqual({ leaves: [5], def: { kind: 'leaf' } });
    expect(k.treeFlatten([]).def).toEqual({ kind: 'array', children: [] });
    expect(k.treeFlatten({}).def).toEqual({ kind: 'object', keys: [], children: [] });
  });

  it('objects with a null prototype are plain objects', () => {
    const o = Object.assign(Object.create(null) as Record<string, number>, { b: 1, a: 2 });
    expect(k.treeFlatten(o).leaves).toEqual([2, 1]);
  });
});

describe('treeUnflatten', () => {
  it('rebuilds the structure (with sorted keys) from leaves', () => {
    const { def } = k.treeFlatten({ b: [1, { d: 2, c: 3 }], a: 4 });
    expect(k.treeUnflatten(def, [10, 20, 30, 40])).toEqual({ a: 10, b: [20, { c: 30, d: 40 }] });
  });

  it('round-trips', () => {
    const tree = { params: { w: k.ones([2, 2]), b: k.zeros([2]) }, steps: [1, 2, [3]], name: 'mlp' };
    const { leaves, def } = k.treeFlatten(tree);
    const back = k.treeUnflatten<typeof tree>(def, leaves);
    expect(back.params.w).toBe(tree.params.w);
    expect(back.params.b).toBe(tree.params.b);
    expect(back.steps).toEqual([1, 2, [3]]);
    expect(back.name).toBe('mlp');
  });

  it('checks the leaf count', () => {
    const { def } = k.treeFlatten([1, [2, 3]]);
    expect(() => k.treeUnflatten(def, [1])).toThrow(/too few leaves/);
    expect(() => k.treeUnflatten(def, [1, 2, 3, 4])).toThrow(/4 leaves for a structure of 3/);
  });
});

describe('treeMap', () => {
  it('applies f to every leaf, keeping the structure', () => {
    expect(k.treeMap((x) => (x as number) * 2, { b: [1, 2], a: 3 })).toEqual({ a: 6, b: [2, 4] });
    expect(k.treeMap((_, i) => i, [['a', 'b'], { z: 'c', y: 'd' }])).toEqual([[0, 1], { y: 2, z: 3 }]);
  });

  it('maps tensors', () => {
    const r = k.treeMap<{ w: k.Tensor; b: k.Tensor[] }>((t) => (t as k.Tensor).mul(2), {
      w: k.array([1, 2]),
      b: [k.array([[3]])],
    });
    expect(r.w.toArray()).toEqual([2, 4]);
    expect(r.b[0]!.toArray()).toEqual([[6]]);
  });
});
