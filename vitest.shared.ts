import { defineConfig } from 'vitest/config';

// Tests spawn compilers, CLIs and kernel programs on a 2-core machine that
// runs several packages' suites at once: give them room, and say so once.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
