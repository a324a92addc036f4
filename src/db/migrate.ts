// Applies the provider's migrations (prisma/migrations for SQLite, prisma/postgres/migrations for
// PostgreSQL) in name order, once each, recording what was applied. One process at a time: SQLite
// runs under its write lock (BEGIN IMMEDIATE), PostgreSQL under an advisory lock, so instances
// starting together wait for each other instead of applying a file twice.
import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { ROOT } from '../paths.ts';
import { providerOf, sqlitePath, type Provider } from './client.ts';

const PRISMA_DIR = path.join(ROOT, 'prisma');
export const MIGRATION_DIRS: Record<Provider, string> = {
  sqlite: path.join(PRISMA_DIR, 'migrations'),
  postgresql: path.join(PRISMA_DIR, 'postgres/migrations'),
};
const TABLE = 'hookwarden_migrations';
const LOCK_KEY = 7_301_977; // any constant: the advisory lock that serializes migrations

export function migrationNames(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && fs.existsSync(path.join(dir, entry.name, 'migration.sql')))
    .map((entry) => entry.name)
    .sort();
}

const sqlOf = (dir: string, name: string) => fs.readFileSync(path.join(dir, name, 'migration.sql'), 'utf8');

function migrateSqlite(file: string, dir: string): string[] {
  // The first start creates the database, and its folder (./data by default).
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = new BetterSqlite3(file, { timeout: 30_000 });
  try {
    db.pragma('journal_mode = WAL');
    db.exec(`CREATE TABLE IF NOT EXISTS ${TABLE} (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)`);
    const applied: string[] = [];
    db.exec('BEGIN IMMEDIATE');
    try {
      const done = new Set(db.prepare(`SELECT name FROM ${TABLE}`).pluck().all() as string[]);
      for (const name of migrationNames(dir).filter((n) => !done.has(n))) {
        db.exec(sqlOf(dir, name));
        db.prepare(`INSERT INTO ${TABLE} (name, applied_at) VALUES (?, ?)`).run(name, new Date().toISOString());
        applied.push(name);
      }
      db.exec('COMMIT');
    } catch (error) {
      db.exec('ROLLBACK');
      throw error;
    }
    return applied;
  } finally {
    db.close();
  }
}

async function migratePostgres(url: string, dir: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [LOCK_KEY]);
    await client.query(`CREATE TABLE IF NOT EXISTS ${TABLE} (name TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`);
    const done = new Set((await client.query<{ name: string }>(`SELECT name FROM ${TABLE}`)).rows.map((row) => row.name));
    const applied: string[] = [];
    for (const name of migrationNames(dir).filter((n) => !done.has(n))) {
      await client.query('BEGIN');
      try {
        await client.query(sqlOf(dir, name));
        await client.query(`INSERT INTO ${TABLE} (name) VALUES ($1)`, [name]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      }
      applied.push(name);
    }
    return applied;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY]).catch(() => {});
    await client.end();
  }
}

/** Applies what is missing; returns the names applied by this call. */
export async function migrate(databaseUrl: string): Promise<string[]> {
  const provider = providerOf(databaseUrl);
  const dir = MIGRATION_DIRS[provider];
  return provider === 'sqlite' ? migrateSqlite(sqlitePath(databaseUrl), dir) : migratePostgres(databaseUrl, dir);
}
