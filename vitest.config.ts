import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Tests that spawn servers, git remotes and workers compete for two cores.
    maxWorkers: 2,
  },
});
