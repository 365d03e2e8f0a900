// Vitest configuration. Test discovery is vitest's default (every *.test.ts / *.spec.ts, i.e.
// the files under test/); the setup file registers Kiln's custom matchers (toBeAllclose).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    setupFiles: ['./test/setup.ts'],
    // Eager ops default to the interpreter in tests (fast, and the oracle); tests of the
    // compiled backends choose their device explicitly.
    env: { KILN_BACKEND: process.env.KILN_BACKEND ?? 'interp' },
  },
});
