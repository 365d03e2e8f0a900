// Vitest setup (vitest.config.ts `setupFiles`): registers Kiln's custom matchers.
//
//   expect(k.exp(x)).toBeAllclose([[1, 2.718281828]], { rtol: 1e-6 });
//
// Either side may be a Tensor or nested arrays of numbers/booleans. Shapes must match exactly;
// values are compared with NumPy's allclose rule |a - b| <= atol + rtol * |b| (defaults
// rtol 1e-5, atol 1e-8), NaN equal to NaN only with `equalNan: true`.
import { expect } from 'vitest';
import { allclose, type AllcloseOpts } from './helpers/allclose.ts';

interface AllcloseMatchers<R = unknown> {
  /** Shapes equal and values within NumPy's allclose tolerance. */
  toBeAllclose(expected: unknown, opts?: AllcloseOpts): R;
}

declare module 'vitest' {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  interface Assertion<T = any> extends AllcloseMatchers<T> {}
  interface AsymmetricMatchersContaining extends AllcloseMatchers {}
}

expect.extend({
  toBeAllclose(received: unknown, expected: unknown, opts?: AllcloseOpts) {
    const r = allclose(received, expected, opts);
    return {
      pass: r.pass,
      message: () => (r.pass ? `expected arrays not to be close, but ${r.message}` : r.message),
    };
  },
});
