// random_bits: counter-based random numbers from Threefry-2x32 with 20 rounds
// (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11; the generator JAX uses).
//
// Scheme (every backend must reproduce it bit for bit): with key = i32[2] read as the
// unsigned words (k0, k1) = (key[0] >>> 0, key[1] >>> 0), element i of the result (flat
// row-major index) is word 0 of threefry2x32(k0, k1, 0, i), i.e. the counter is the pair
// (c0, c1) = (0, i) — "counter = flat element index" as primitives.ts says — and word 1 is
// discarded. The u32 word is stored as an i32 (two's complement, `| 0`).
import type { HostArray } from '../../compiler/ir/dtype.ts';

/** Rotation amounts of Threefry-2x32, used cyclically, one per round. */
const ROT = [13, 15, 26, 6, 17, 29, 16, 24] as const;
/** The key-schedule parity constant of Threefish/Threefry for 32-bit words. */
const PARITY = 0x1bd11bda;

/**
 * Threefry-2x32-20 of counter (c0, c1) under key (k0, k1); all values are u32 (inputs are
 * coerced with `>>> 0`), the result words are u32.
 *
 * Algorithm: extend the key with a third word k2 = k0 ^ k1 ^ PARITY. Start with
 * x = (c0 + k0, c1 + k1). Each of the 20 rounds does x0 += x1; x1 = rotl(x1, ROT[r % 8]);
 * x1 ^= x0. After every 4th round (s = 1..5 counts the injections) add the key words
 * k[s % 3] to x0 and k[(s+1) % 3] + s to x1. All additions are mod 2^32.
 */
export function threefry2x32(k0: number, k1: number, c0: number, c1: number): [number, number] {
  threefryInto(k0 >>> 0, k1 >>> 0, c0 >>> 0, c1 >>> 0, scratch);
  return [scratch[0]!, scratch[1]!];
}

const scratch = new Uint32Array(2);
const keys = new Uint32Array(3);

/** threefry2x32 writing its two words into `out` (no allocation); inputs already u32. */
function threefryInto(k0: number, k1: number, c0: number, c1: number, out: Uint32Array): void {
  keys[0] = k0;
  keys[1] = k1;
  keys[2] = k0 ^ k1 ^ PARITY;
  let x0 = (c0 + k0) >>> 0;
  let x1 = (c1 + k1) >>> 0;
  for (let r = 0; r < 20; r++) {
    const rot = ROT[r & 7]!;
    x0 = (x0 + x1) >>> 0;
    x1 = ((x1 << rot) | (x1 >>> (32 - rot))) ^ x0;
    if ((r & 3) === 3) {
      const s = (r + 1) >> 2;
      x0 = (x0 + keys[s % 3]!) >>> 0;
      x1 = ((x1 >>> 0) + keys[(s + 1) % 3]! + s) >>> 0;
    }
  }
  out[0] = x0;
  out[1] = x1;
}

/** The result of random_bits for `n` elements from an i32[2] key (see the scheme above). */
export function evalRandomBits(key: HostArray, n: number): Int32Array {
  const k0 = key[0]! >>> 0, k1 = key[1]! >>> 0;
  const o = new Int32Array(n);
  const w = new Uint32Array(2);
  for (let i = 0; i < n; i++) {
    threefryInto(k0, k1, 0, i, w);
    o[i] = w[0]! | 0;
  }
  return o;
}
