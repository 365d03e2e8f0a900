// The one seeded generator of host-side random numbers, shared by the benchmarks' input recipes
// and the tests' random inputs: mulberry32, small and fast, the same stream for a seed on every
// machine (so a GPU machine remakes a benchmark's inputs from the seed alone).

/** A deterministic PRNG (mulberry32) seeded by a 32-bit integer: uniform floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
