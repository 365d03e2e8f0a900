// Runs the chapter-2 examples as a user would (`npx tsx examples/ch02/<name>.ts`) and checks
// that they succeed and print the key values of their sections.
import { describe, expect, it } from 'vitest';
import { after, runExample as run } from './run.ts';

const TIMEOUT_MS = 60_000;
const runExample = (name: string) => run(`ch02/${name}.ts`, { timeoutMs: TIMEOUT_MS });


const numbers = (s: string) => (s.match(/-?\d+(\.\d*)?(e[-+]\d+)?/g) ?? []).map(Number);

// Each test spawns one script; allow it the full spawn timeout plus a margin.
describe('examples/ch02', { timeout: TIMEOUT_MS + 10_000 }, () => {
  it('data-manipulation.ts (2.1)', () => {
    const out = runExample('data-manipulation');
    expect(after(out, 'x')).toBe('[ 0.  1.  2.  3.  4.  5.  6.  7.  8.  9. 10. 11.]');
    expect(after(out, 'x.size (number of elements)')).toBe('12');
    expect(after(out, 'x.reshape([-1, 4]) has shape')).toBe('[3,4]');
    expect(after(out, 'zeros([2, 3, 4])')).toContain('[[[0. 0. 0. 0.]');
    expect(after(out, 'X[-1] (last row)')).toBe('[ 8.  9. 10. 11.]');
    expect(after(out, 'X with X[1, 2] = 17')).toContain('[ 4.  5. 17.  7.]');
    expect(after(out, 'then X[:2, :] = 12')).toBe('[[12. 12. 12. 12.]\n [12. 12. 12. 12.]\n [ 8.  9. 10. 11.]]');
    expect(after(out, 'u ** v')).toBe('[ 1.  4. 16. 64.]');
    expect(numbers(after(out, 'exp(x)'))[1]).toBeCloseTo(Math.E, 5);
    expect(after(out, 'concatenate([A, B], axis 0)').split('\n')).toHaveLength(6);
    expect(after(out, 'concatenate([A, B], axis 1)').split('\n')[0]).toBe('[[ 0.  1.  2.  3.  2.  1.  4.  3.]');
    expect(after(out, 'A == B').split('\n')[0]).toMatch(/^\[\[False\s+True\s+False\s+True\]$/);
    expect(after(out, 'A.sum()')).toBe('66.0');
    expect(after(out, 'col + row')).toBe('[[0 1]\n [1 2]\n [2 3]]');
    expect(after(out, 'A.toArray()')).toBe('[[0,1,2,3],[4,5,6,7],[8,9,10,11]]');
    expect(after(out, 'a.item()')).toBe('3.5');
    expect(after(out, 'Math.trunc(a.item())')).toBe('3');
  });

  it('preprocessing.ts (2.2)', () => {
    const out = runExample('preprocessing');
    // The raw table, the one-hot columns with a separate missing-value category, the filled mean.
    expect(out).toMatch(/NumRooms\s+RoofType\s+Price/);
    expect(out).toMatch(/NumRooms\s+RoofType_Slate\s+RoofType_nan/);
    expect(out).toMatch(/^2\s+4\.0\s+True\s+False$/m);
    expect(out).toMatch(/^0\s+3\.0\s+False\s+True$/m);
    expect(out).toContain('mean of the known NumRooms values: 3.');
    expect(after(out, 'X')).toBe('[[3. 0. 1.]\n [2. 0. 1.]\n [4. 1. 0.]\n [3. 0. 1.]]');
    expect(after(out, 'y')).toBe('[127500. 106000. 178100. 140000.]');
  });

  it('linear-algebra.ts (2.3)', () => {
    const out = runExample('linear-algebra');
    expect(after(out, 's ** t')).toBe('9.0');
    expect(after(out, 'A.T')).toBe('[[0 2 4]\n [1 3 5]]');
    expect(after(out, 'S is symmetric')).toBe('true');
    expect(after(out, 'M * N (Hadamard)')).toBe('[[ 0.  1.  4.]\n [ 9. 16. 25.]]');
    expect(after(out, '(a * X).shape')).toBe('[2,3,4]');
    expect(after(out, 'M.sum(axis 0)')).toBe('[3. 5. 7.]');
    expect(after(out, 'M.sum(axis 1, keepdims)')).toBe('[[ 3.]\n [12.]]');
    expect(after(out, 'M.cumsum(axis 0)')).toBe('[[0. 1. 2.]\n [3. 5. 7.]]');
    expect(after(out, 'dot(v, y)')).toBe('3.0');
    expect(after(out, 'matmul(M, v)')).toBe('[ 5. 14.]');
    expect(after(out, 'matmul(M, B)')).toBe('[[ 3.  3.  3.  3.]\n [12. 12. 12. 12.]]');
    expect(after(out, 'L2 norm of u')).toBe('5.0');
    expect(after(out, 'L1 norm of u')).toBe('7.0');
    expect(after(out, 'Frobenius norm of ones([4, 9])')).toBe('6.0');
  });

  it('probability.ts (2.6)', () => {
    const out = runExample('probability');
    const [heads, tails] = numbers(after(out, 'heads, tails after 100 tosses'));
    expect(heads! + tails!).toBe(100);
    const coin = numbers(after(out, 'estimated probabilities from 10000 tosses'));
    expect(coin).toHaveLength(2);
    for (const p of coin) expect(Math.abs(p - 0.5)).toBeLessThan(0.03);
    const counts = numbers(after(out, 'counts of 1000 rolls'));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(1000);
    // The last row of the die's running estimates: every face near 1/6.
    const dieRow = out.split('\n').find((l) => /^\s*10000(\s+\d\.\d{4}){6}\s*$/.test(l));
    expect(dieRow, 'no 10000-roll row of six estimates').toBeDefined();
    const estimates = numbers(dieRow!).slice(1);
    expect(estimates.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 3);
    for (const p of estimates) expect(Math.abs(p - 1 / 6)).toBeLessThan(0.02);
  });

  it('quickstart.ts', () => {
    const out = runExample('quickstart');
    expect(out).toContain('x @ w:\n[[2. 3.]\n [8. 9.]]');
    expect(out).toMatch(/^func @predict\(%0: f32\[3,2\], %1: f32\[2\], %2: f32\[2,3\]\) -> \(f32\[2,2\]\)/m);
    expect(out).toContain('tanh');
    expect(out.trimEnd().endsWith('quickstart ok')).toBe(true);
  });
});
