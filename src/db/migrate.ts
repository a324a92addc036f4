// Applies prisma/migrations/*/migration.sql in name order, once each, recording what was applied.
// One process at a time: the whole run holds SQLite's write lock (BEGIN IMMEDIATE), so instances
// starting together wait for each other instead of applying a file twice.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';

export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../prisma/migrations');

export function migrationNames(dir = MIGRATIONS_DIR): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && fs.existsSync(path.join(dir, entry.name, 'migration.sql')))
    .map((entry) => entry.name)
    .sort();
}

/** Returns the names applied by this call. */
export function migrateSqlite(file: string, dir = MIGRATIONS_DIR): string[] {
  const db = new BetterSqlite3(file, { timeout: 30_000 });
  try {
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE IF NOT EXISTS hookwarden_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)');
    const applied = [];
    db.exec('BEGIN IMMEDIATE');
    try {
      const done = new Set(db.prepare('SELECT name FROM hookwarden_migrations').pluck().all() as string[]);
      for (const name of migrationNames(dir)) {
        if (done.has(name)) continue;
        db.exec(fs.readFileSync(path.join(dir, name, 'migration.sql'), 'utf8'));
        db.prepare('INSERT INTO hookwarden_migrations (name, applied_at) VALUES (?, ?)').run(name, new Date().toISOString());
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

/** Names in the folder that the database has not applied (for readiness checks). */
export function pendingSqlite(file: string, dir = MIGRATIONS_DIR): string[] {
  const db = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
  try {
    const done = new Set(db.prepare('SELECT name FROM hookwarden_migrations').pluck().all() as string[]);
    return migrationNames(dir).filter((name) => !done.has(name));
  } finally {
    db.close();
  }
}
