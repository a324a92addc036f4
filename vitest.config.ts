import { defineConfig } from 'vitest/config';

export default defineConfig({
  // One graphql-js for everyone: the test files would otherwise get its ESM build while Pothos,
  // loaded by Node, gets the CommonJS one, and graphql-js refuses types from "another realm".
  resolve: { alias: { graphql: 'graphql/index.js' } },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: files run in parallel, but servers and receivers of one file share a process.
    pool: 'forks',
    maxWorkers: 2,
  },
});
