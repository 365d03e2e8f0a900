// Vitest configuration. Test discovery is vitest's default (every *.test.ts / *.spec.ts, i.e.
// the files under test/); the setup file registers Kiln's custom matchers (toBeAllclose).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    setupFiles: ['./test/setup.ts'],
  },
});
