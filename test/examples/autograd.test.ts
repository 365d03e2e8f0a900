// Runs the section 2.5 example as a user would (`npx tsx examples/ch02/autograd.ts`) and
// checks what it prints.
import { describe, expect, it } from 'vitest';
import { after, runExample } from './run.ts';

const TIMEOUT_MS = 60_000;


/** A printed boolean array of four trues, however it is spaced. */
const ALL_TRUE = /^\[\s*(True\s+){3}True\s*\]$/;
const numbers = (s: string) => (s.match(/-?\d+(\.\d*)?(e[-+]\d+)?/g) ?? []).map(Number);

describe('examples/ch02/autograd.ts (2.5)', { timeout: TIMEOUT_MS + 10_000 }, () => {
  it('runs and prints the gradients of the section', () => {
    const out = runExample('ch02/autograd.ts', { timeoutMs: TIMEOUT_MS });

    // 2.5.1: y = 2 x^T x at x = [0, 1, 2, 3]; its gradient is 4x.
    expect(numbers(after(out, 'x'))).toEqual([0, 1, 2, 3]);
    expect(numbers(after(out, 'y = 2 * dot(x, x)'))).toEqual([28]);
    expect(numbers(after(out, 'gradient of y'))).toEqual([0, 4, 8, 12]);
    expect(after(out, 'gradient of y == 4 * x')).toMatch(ALL_TRUE);
    expect(numbers(after(out, 'gradient of sum(x)'))).toEqual([1, 1, 1, 1]);

    // 2.5.2: a vector output with a cotangent of ones, and the same through sum.
    expect(numbers(after(out, 'y = x * x'))).toEqual([0, 1, 4, 9]);
    expect(numbers(after(out, 'vjp of x * x with a cotangent of ones'))).toEqual([0, 2, 4, 6]);
    expect(numbers(after(out, 'gradient of sum(x * x)'))).toEqual([0, 2, 4, 6]);

    // 2.5.3: detaching.
    expect(numbers(after(out, 'gradient of sum(u * x) with u stopped'))).toEqual([0, 1, 4, 9]);
    expect(after(out, 'gradient == u')).toMatch(ALL_TRUE);
    expect(after(out, 'gradient of sum(x * x) == 2 * x')).toMatch(ALL_TRUE);

    // 2.5.4: control flow. f(a) = m a with m = 2^n (or 100 * 2^n for a negative sum), and
    // |f(a)| >= 1000 > |f(a)| / 2 on the doubling path.
    const [a] = numbers(after(out, 'a'));
    const [fa] = numbers(after(out, 'f(a)'));
    const [g] = numbers(after(out, 'gradient of f at a'));
    expect(g).toBeCloseTo(fa! / a!, 2);
    const m = a! > 0 ? g! : g! / 100;
    expect(Math.log2(m)).toBe(Math.round(Math.log2(m)));
    expect(Math.abs(a! * m)).toBeGreaterThanOrEqual(1000);
    expect(Math.abs(a! * m)).toBeLessThan(2000);
    expect(after(out, 'gradient == f(a) / a')).toBe('true');
  });
});
