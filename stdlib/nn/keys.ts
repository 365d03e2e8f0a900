// Randomness for modules: a global, seedable key source for book-like code (`nn.manualSeed`),
// and `computeNow`, which evaluates a small random computation (a parameter initialiser, a
// key split) to concrete values even while a function is being traced, so that parameters
// created on a first call inside `k.grad` or `k.jit` are real arrays, not tracers.
import { makeIR } from '../../dsl/make-ir.ts';
import { fromHost } from '../../dsl/lift.ts';
import { foldIn, key as makeKey, type Key } from '../../dsl/random.ts';
import { treeUnflatten } from '../../dsl/tree.ts';
import { evalFunc } from '../../runtime/interp/index.ts';

export type { Key };

/**
 * Evaluates `f` (pure tensor ops, no inputs) now, with the interpreter, and returns its
 * results as concrete tensors on the default device, whether or not a trace is active.
 * Initialisers run this way: the same bits on every backend, no per-shape compilation.
 */
export function computeNow<T>(f: () => T): T {
  const ir = makeIR(f as () => unknown, { name: 'init' })();
  const outs = evalFunc(ir.func, []);
  return treeUnflatten<T>(ir.outTree, outs.map((h) => fromHost(h.data, h.aval.shape, h.aval.dtype)));
}

let globalKey: Key | undefined;
let globalSeed = 0;
let globalCount = 0;

/**
 * Seeds the global key source that modules built without an explicit `key` draw from (like
 * `torch.manual_seed`): the same seed and the same construction order give the same parameters.
 */
export function manualSeed(seed: number): void {
  if (!Number.isInteger(seed)) throw new TypeError(`manualSeed: the seed must be an integer, got ${seed}`);
  globalSeed = seed;
  globalKey = undefined;
  globalCount = 0;
}

/** A fresh key from the global key source (seed 0 until `manualSeed` is called). */
export function nextKey(): Key {
  const n = globalCount++;
  globalKey ??= makeKey(globalSeed);
  const base = globalKey;
  return computeNow(() => foldIn(base, n));
}
