// Prisma CLI settings: JavaScript engines only (no engine binary can be downloaded here), SQLite schema.
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';
import { defineConfig } from 'prisma/config';

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  adapter: async () => new PrismaBetterSQLite3({ url: process.env.DATABASE_URL ?? 'file:./generate-only.db' }),
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
});
