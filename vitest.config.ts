import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: files run in parallel, but servers and receivers of one file share a process.
    pool: 'forks',
    maxWorkers: 2,
  },
});
