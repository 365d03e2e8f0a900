// Trees of tensors: nested plain objects and arrays with tensors (or other values) as leaves,
// flattened to a list of leaves and a structure that rebuilds them.
import { Tensor } from './tensor.ts';

/** A nested structure of tensors, as taken and returned by transformed functions. */
export type Tree<L = Tensor> = L | readonly Tree<L>[] | { readonly [key: string]: Tree<L> };

/** The structure of a tree without its leaves, as treeFlatten returns it. */
export type TreeDef =
  | { readonly kind: 'leaf' }
  | { readonly kind: 'none' }
  | { readonly kind: 'array'; readonly children: readonly TreeDef[] }
  | { readonly kind: 'object'; readonly keys: readonly string[]; readonly children: readonly TreeDef[] };

function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (x === null || typeof x !== 'object' || x instanceof Tensor) return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

/** The leaves of a tree in a fixed order (object keys sorted, as JAX does) and its structure. */
export function treeFlatten(tree: unknown): { leaves: unknown[]; def: TreeDef } {
  const leaves: unknown[] = [];
  const walk = (t: unknown): TreeDef => {
    // null and undefined are empty trees, as None is in JAX.
    if (t === null || t === undefined) return { kind: 'none' };
    if (Array.isArray(t)) return { kind: 'array', children: t.map(walk) };
    if (isPlainObject(t)) {
      const keys = Object.keys(t).sort();
      return { kind: 'object', keys, children: keys.map((k) => walk(t[k])) };
    }
    leaves.push(t);
    return { kind: 'leaf' };
  };
  const def = walk(tree);
  return { leaves, def };
}

/** Rebuilds a tree of the given structure from leaves. */
export function treeUnflatten<T = unknown>(def: TreeDef, leaves: readonly unknown[]): T {
  let i = 0;
  const build = (d: TreeDef): unknown => {
    switch (d.kind) {
      case 'none':
        return null;
      case 'leaf':
        if (i >= leaves.length) throw new Error(`treeUnflatten: too few leaves (${leaves.length})`);
        return leaves[i++];
      case 'array':
        return d.children.map(build);
      case 'object':
        return Object.fromEntries(d.keys.map((k, j) => [k, build(d.children[j]!)]));
      default:
        return d satisfies never;
    }
  };
  const out = build(def);
  if (i !== leaves.length) throw new Error(`treeUnflatten: ${leaves.length} leaves for a structure of ${i}`);
  return out as T;
}

/** Applies f to every leaf, keeping the structure. */
export function treeMap<T>(f: (leaf: unknown, i: number) => unknown, tree: unknown): T {
  const { leaves, def } = treeFlatten(tree);
  return treeUnflatten<T>(def, leaves.map(f));
}

export function treeDefEqual(a: TreeDef, b: TreeDef): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'leaf' || a.kind === 'none') return true;
  const bc = (b as Extract<TreeDef, { children: unknown }>).children;
  if (a.children.length !== bc.length) return false;
  if (a.kind === 'object' && (b.kind !== 'object' || a.keys.some((k, i) => k !== b.keys[i]))) return false;
  return a.children.every((c, i) => treeDefEqual(c, bc[i]!));
}
