// SQLite and PostgreSQL stay in step: the PostgreSQL schema is derived from the SQLite one, both
// migration folders hold the same steps, and the migrations of each build every model and field.
import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { MIGRATION_DIRS, migrate, migrationNames } from '../../src/db/migrate.ts';
import { getDatamodel } from '../../src/generated/pothos-types.ts';
// @ts-expect-error: a plain ESM script without type declarations
import { POSTGRES_SCHEMA, postgresSchema, SQLITE_SCHEMA } from '../../scripts/postgres-schema.mjs';
import { createTestDatabase, tempDir } from '../support/service.ts';

/** Every model's scalar columns, from the generated datamodel. */
function expectedColumns(): Record<string, string[]> {
  const { datamodel } = getDatamodel();
  return Object.fromEntries(
    Object.entries(datamodel.models).map(([name, model]) => [
      name,
      model.fields.filter((field) => field.kind !== 'object').map((field) => field.name).sort(),
    ]),
  );
}

describe('database schemas', () => {
  it('prisma/postgres/schema.prisma is derived from prisma/schema.prisma (run node scripts/postgres-schema.mjs)', () => {
    expect(fs.readFileSync(POSTGRES_SCHEMA, 'utf8')).toBe(postgresSchema(fs.readFileSync(SQLITE_SCHEMA, 'utf8')));
  });

  it('both providers have the same migration steps', () => {
    expect(migrationNames(MIGRATION_DIRS.postgresql)).toEqual(migrationNames(MIGRATION_DIRS.sqlite));
  });

  const dir = tempDir();
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('the SQLite migrations build every model and field', async () => {
    const file = path.join(dir, 'schema.db');
    await migrate(`file:${file}`);
    const db = new BetterSqlite3(file, { readonly: true });
    try {
      const actual = Object.fromEntries(
        Object.keys(expectedColumns()).map((table) => [
          table,
          (db.prepare(`SELECT name FROM pragma_table_info(?)`).pluck().all(table) as string[]).sort(),
        ]),
      );
      expect(actual).toEqual(expectedColumns());
    } finally {
      db.close();
    }
  });

  it('the PostgreSQL migrations build every model and field, and applying them twice changes nothing', async () => {
    const database = await createTestDatabase(dir, 'postgres');
    const url = database.env.DATABASE_URL;
    try {
      expect(await migrate(url)).toEqual(migrationNames(MIGRATION_DIRS.postgresql));
      expect(await migrate(url)).toEqual([]);
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        const { rows } = await client.query<{ table: string; column: string }>(
          `SELECT table_name::text AS "table", column_name::text AS "column" FROM information_schema.columns WHERE table_schema = 'public'`,
        );
        const actual = Object.fromEntries(
          Object.keys(expectedColumns()).map((table) => [table, rows.filter((row) => row.table === table).map((row) => row.column).sort()]),
        );
        expect(actual).toEqual(expectedColumns());
      } finally {
        await client.end();
      }
    } finally {
      await database.drop();
    }
  });
});
