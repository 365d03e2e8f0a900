// Dotted paths of the leaves of a tree, in the order treeFlatten lists them (object keys
// sorted, arrays in order), so that optimiser options can select parameters by path.
import { Tensor } from '../../dsl/tensor.ts';

function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (x === null || typeof x !== 'object' || x instanceof Tensor) return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

/** The paths of the leaves of `tree` ('0.weight', 'layers.1.bias'), in treeFlatten's order. */
export function leafPaths(tree: unknown): string[] {
  const out: string[] = [];
  const walk = (t: unknown, prefix: string) => {
    if (t === null || t === undefined) return;
    const at = (k: string) => (prefix ? `${prefix}.${k}` : k);
    if (Array.isArray(t)) t.forEach((c, i) => walk(c, at(String(i))));
    else if (isPlainObject(t)) for (const k of Object.keys(t).sort()) walk(t[k], at(k));
    else out.push(prefix);
  };
  walk(tree, '');
  return out;
}
