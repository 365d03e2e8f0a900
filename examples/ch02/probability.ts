// Dive into Deep Learning, section 2.6 (Probability and Statistics), with Kiln's explicit-key
// random numbers: tossing coins and rolling a die, and watching the estimated probabilities
// settle toward the true ones as the number of samples grows.
// Run: npx tsx examples/ch02/probability.ts
import * as k from 'kiln';

/**
 * A multinomial sample: how often each outcome comes up in `n` independent draws with the
 * given probabilities, for each of `batch` experiments (shape [...batch, outcomes]).
 */
function multinomial(key: k.Tensor, n: number, probs: k.Tensor, batch: readonly number[] = []): k.Tensor {
  const outcomes = probs.shape[0]!;
  const logits = k.log(probs).broadcastTo([...batch, n, outcomes]);
  const draws = k.random.categorical(key, logits); // outcome indices, shape [...batch, n]
  return k.oneHot(draws, outcomes).sum({ axis: -2 });
}

/** The running estimate of each outcome's probability after each sample, at a few checkpoints. */
function printRunningEstimates(key: k.Tensor, probs: k.Tensor, total: number, checkpoints: readonly number[], names: readonly string[]): k.Tensor {
  // One draw per row: each row of `counts` is one-hot.
  const counts = multinomial(key, 1, probs, [total]); // [total, outcomes]
  const cumCounts = counts.cumsum(0);
  const estimates = cumCounts.div(cumCounts.sum({ axis: 1, keepdims: true }));
  const picked = estimates.take(k.array(checkpoints.map((c) => c - 1), { dtype: 'i32' }), 0);
  const rows = picked.toArray() as number[][];
  const width = Math.max(8, ...names.map((n) => n.length));
  console.log(['samples'.padStart(8), ...names.map((n) => n.padStart(width))].join(' '));
  rows.forEach((row, i) => {
    console.log([String(checkpoints[i]).padStart(8), ...row.map((p) => p.toFixed(4).padStart(width))].join(' '));
  });
  return picked;
}

// Kiln's random numbers need explicit keys: split one seed key into a key per experiment.
const keys = k.random.split(k.random.key(42), 10);
let keysUsed = 0;
const nextKey = (): k.Tensor => keys[keysUsed++]!;

// ---- 2.6.1 A simple example: tossing coins
// Toss a fair coin 100 times by comparing uniform random numbers with 0.5.
const numTosses = 100;
const heads = k.random.uniform(nextKey(), [numTosses]).greater(0.5).sum().item();
console.log(`heads, tails after ${numTosses} tosses: ${heads}, ${numTosses - heads}`);

// The same experiment as one multinomial sample over the outcomes [heads, tails].
const fairCoin = k.array([0.5, 0.5]);
const coin100 = multinomial(nextKey(), 100, fairCoin);
console.log(`multinomial counts of 100 tosses: ${coin100}`);
console.log(`estimated probabilities: ${coin100.div(100)}`);
// With many more tosses the estimates get much closer to the true 0.5.
const coin10k = multinomial(nextKey(), 10000, fairCoin);
console.log(`estimated probabilities from 10000 tosses: ${coin10k.div(10000)}`);

// The running estimate after every toss (the book plots it; we print a few checkpoints).
console.log('\nrunning estimates of P(heads), P(tails):');
printRunningEstimates(nextKey(), fairCoin, 10000, [1, 10, 100, 1000, 10000], ['heads', 'tails']);

// ---- Rolling a fair die: six outcomes of probability 1/6 each
const fairDie = k.ones([6]).div(6);
console.log(`\none roll as counts per face: ${multinomial(nextKey(), 1, fairDie)}`);
console.log(`ten rolls as counts per face: ${multinomial(nextKey(), 10, fairDie)}`);
const die1000 = multinomial(nextKey(), 1000, fairDie);
console.log(`counts of 1000 rolls: ${die1000}`);
console.log(`relative frequencies (true value ${(1 / 6).toFixed(4)}): ${die1000.div(1000)}`);

// 500 experiments of 10 rolls each: the running estimate after each experiment.
const groups = multinomial(nextKey(), 10, fairDie, [500]); // [500, 6]
const cumGroups = groups.cumsum(0);
const groupEstimates = cumGroups.div(cumGroups.sum({ axis: 1, keepdims: true }));
console.log(`estimates after 500 groups of 10 rolls: ${groupEstimates.slice(-1)}`);

// Running estimates roll by roll, at checkpoints: they approach 1/6 = 0.1667.
console.log('\nrunning estimates of each face of the die:');
const faces = Array.from({ length: 6 }, (_, i) => `face ${i + 1}`);
const picked = printRunningEstimates(nextKey(), fairDie, 10000, [10, 100, 1000, 10000], faces);
const finalError = picked.slice(-1).sub(1 / 6).abs().max().item();
console.log(`largest deviation from 1/6 after 10000 rolls: ${finalError.toFixed(4)}`);
