// prisma/schema.prisma (SQLite) is the one place models are written; the PostgreSQL schema is
// derived from it: another datasource and client output, and DateTime columns as timestamptz.
// `node scripts/postgres-schema.mjs` rewrites prisma/postgres/schema.prisma; a test fails on drift.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

const HEADER = `// GENERATED from prisma/schema.prisma by scripts/postgres-schema.mjs: edit that file, then run the script.

generator client {
  provider     = "prisma-client"
  output       = "../../src/generated/prisma-pg"
  engineType   = "client"
  moduleFormat = "esm"
}

datasource db {
  provider = "postgresql"
  url      = env("DATABASE_URL")
}
`;

export function postgresSchema(sqliteSchema) {
  const firstModel = sqliteSchema.indexOf('\nmodel ');
  if (firstModel < 0) throw new Error('no model in prisma/schema.prisma');
  const models = sqliteSchema
    .slice(firstModel + 1)
    .replace(/^([ \t]+\w+[ \t]+DateTime\??)([ \t]+.*)?$/gm, (_line, field, rest = '') => `${field} @db.Timestamptz(3)${rest}`);
  return `${HEADER}\n${models}`;
}

export const SQLITE_SCHEMA = fileURLToPath(new URL('../prisma/schema.prisma', import.meta.url));
export const POSTGRES_SCHEMA = fileURLToPath(new URL('../prisma/postgres/schema.prisma', import.meta.url));

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  fs.writeFileSync(POSTGRES_SCHEMA, postgresSchema(fs.readFileSync(SQLITE_SCHEMA, 'utf8')));
  process.stderr.write(`wrote ${POSTGRES_SCHEMA}\n`);
}
