import { defineConfig } from 'vitest/config';

/** Tests that run against a database: once on SQLite, once on PostgreSQL with Redis pub/sub. */
const DATABASE_TESTS = [
  'test/api/**/*.test.ts',
  'test/delivery/dispatch-*.test.ts',
  'test/delivery/subscriptions.test.ts',
  'test/delivery/formats-e2e.test.ts',
  'test/web/console-api.test.ts',
  'test/ops/**/*.test.ts',
  'test/db/**/*.test.ts',
];

export default defineConfig({
  // One graphql-js for everyone: the test files would otherwise get its ESM build while Pothos,
  // loaded by Node, gets the CommonJS one, and graphql-js refuses types from "another realm".
  resolve: { alias: { graphql: 'graphql/index.js' } },
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: files run in parallel, but servers and receivers of one file share a process.
    pool: 'forks',
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'sqlite', include: ['test/**/*.test.ts'], exclude: ['test/scale-out/**'] } },
      {
        extends: true,
        test: {
          name: 'postgres',
          include: [...DATABASE_TESTS, 'test/scale-out/**/*.test.ts'],
          env: { HOOKWARDEN_TEST_DATABASE: 'postgres' },
        },
      },
    ],
  },
});
