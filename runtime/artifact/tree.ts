// Trees of inputs and outputs as artifacts store them: the structure that dsl/tree.ts's
// treeFlatten returns (same shape, same leaf order: arrays in order, object keys sorted), kept
// here as plain data so that the runtime rebuilds trees without importing the DSL.

/** A serialisable tree structure; structurally the same as dsl/tree.ts's TreeDef. */
export type TreeDesc =
  | { readonly kind: 'leaf' }
  | { readonly kind: 'none' }
  | { readonly kind: 'array'; readonly children: readonly TreeDesc[] }
  | { readonly kind: 'object'; readonly keys: readonly string[]; readonly children: readonly TreeDesc[] };

export function countLeaves(d: TreeDesc): number {
  switch (d.kind) {
    case 'leaf':
      return 1;
    case 'none':
      return 0;
    case 'array':
    case 'object':
      return d.children.reduce((n, c) => n + countLeaves(c), 0);
    default:
      return d satisfies never;
  }
}

/**
 * The path name of every leaf, in leaf order: keys and indices joined by '.', e.g.
 * `params.W1`, `x`, `0.w`. Children of a root array are named by `rootNames` where given;
 * a tree that is a single leaf is named `single`.
 */
export function leafPaths(d: TreeDesc, rootNames: readonly string[] = [], single = '0'): string[] {
  const out: string[] = [];
  const walk = (t: TreeDesc, path: string): void => {
    switch (t.kind) {
      case 'leaf':
        out.push(path);
        return;
      case 'none':
        return;
      case 'array':
        t.children.forEach((c, i) => walk(c, path === '' ? (rootNames[i] ?? String(i)) : `${path}.${i}`));
        return;
      case 'object':
        t.children.forEach((c, i) => walk(c, path === '' ? t.keys[i]! : `${path}.${t.keys[i]!}`));
        return;
      default:
        return t satisfies never;
    }
  };
  if (d.kind === 'leaf') return [single];
  walk(d, '');
  return out;
}

/**
 * The leaves of `value` at the leaf positions of `d`, in leaf order (undefined where the value
 * has nothing). Subtrees are matched by position and key; values at leaf positions are taken
 * whole, so a leaf may be any object (a typed array, `{ dtype, shape, data }`, a tensor).
 * `where` names the value in errors thrown through `fail`.
 */
export function leavesByDesc(d: TreeDesc, value: unknown, fail: (msg: string) => Error): unknown[] {
  const out: unknown[] = [];
  const walk = (t: TreeDesc, v: unknown, path: string): void => {
    switch (t.kind) {
      case 'leaf':
        out.push(v ?? undefined);
        return;
      case 'none':
        return;
      case 'array':
        if (v !== undefined && v !== null && !Array.isArray(v)) throw fail(`${path || 'the inputs'}: expected an array of ${t.children.length}, got ${typeof v}`);
        if (Array.isArray(v) && v.length > t.children.length) throw fail(`${path || 'the inputs'}: expected at most ${t.children.length} elements, got ${v.length}`);
        t.children.forEach((c, i) => walk(c, (v as unknown[] | null | undefined)?.[i], path === '' ? String(i) : `${path}.${i}`));
        return;
      case 'object': {
        if (v !== undefined && v !== null && (typeof v !== 'object' || Array.isArray(v))) throw fail(`${path || 'the inputs'}: expected an object with keys ${t.keys.join(', ')}`);
        const o = (v ?? {}) as Record<string, unknown>;
        const extra = Object.keys(o).filter((k) => !t.keys.includes(k));
        if (extra.length) throw fail(`${path || 'the inputs'}: unexpected key${extra.length > 1 ? 's' : ''} ${extra.join(', ')} (keys: ${t.keys.join(', ')})`);
        t.children.forEach((c, i) => walk(c, o[t.keys[i]!], path === '' ? t.keys[i]! : `${path}.${t.keys[i]!}`));
        return;
      }
      default:
        return t satisfies never;
    }
  };
  walk(d, value, '');
  return out;
}

/** Rebuilds a tree of structure `d` from its leaves (as many as the structure has). */
export function buildTree(d: TreeDesc, leaves: readonly unknown[]): unknown {
  let i = 0;
  const build = (t: TreeDesc): unknown => {
    switch (t.kind) {
      case 'leaf':
        return leaves[i++];
      case 'none':
        return null;
      case 'array':
        return t.children.map(build);
      case 'object':
        return Object.fromEntries(t.keys.map((k, j) => [k, build(t.children[j]!)]));
      default:
        return t satisfies never;
    }
  };
  return build(d);
}

/** `d` with leaf i replaced by `none` where `keep[i]` is false (static leaves of a trace). */
export function pruneTree(d: TreeDesc, keep: readonly boolean[]): TreeDesc {
  let i = 0;
  const walk = (t: TreeDesc): TreeDesc => {
    switch (t.kind) {
      case 'leaf':
        return keep[i++] ? t : { kind: 'none' };
      case 'none':
        return t;
      case 'array':
        return { kind: 'array', children: t.children.map(walk) };
      case 'object':
        return { kind: 'object', keys: t.keys, children: t.children.map(walk) };
      default:
        return t satisfies never;
    }
  };
  return walk(d);
}
