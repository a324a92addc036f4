// Readiness: the database answers and has every migration this version ships. A probe that fails
// says why in a word, never with the database's own message (it can name hosts and users).
import type { Database } from '../db/client.ts';
import { MIGRATION_DIRS, migrationNames } from '../db/migrate.ts';

/** Where src/db/migrate.ts records what it applied (its TABLE, not exported). */
const MIGRATIONS_TABLE = 'hookwarden_migrations';

export type Readiness = { ready: true } | { ready: false; reason: string; pending?: string[] };

/** A probe that hangs is worse than one that fails: the database gets this long to answer. */
export const READINESS_TIMEOUT_MS = 2_000;

function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** `onError` hears why a check failed (the answer only says it in a word). */
export function createReadinessCheck(db: Database): (onError: (error: unknown) => void) => Promise<Readiness> {
  // The migrations this code needs do not change while it runs.
  const expected = migrationNames(MIGRATION_DIRS[db.provider]);
  return async (onError) => {
    try {
      await within(READINESS_TIMEOUT_MS, db.prisma.$queryRawUnsafe('SELECT 1'));
    } catch (error) {
      onError(error);
      return { ready: false, reason: 'database unreachable' };
    }
    let applied: Set<string>;
    try {
      const rows = await within(READINESS_TIMEOUT_MS, db.prisma.$queryRawUnsafe<Array<{ name: string }>>(`SELECT name FROM ${MIGRATIONS_TABLE}`));
      applied = new Set(rows.map((row) => row.name));
    } catch (error) {
      onError(error);
      return { ready: false, reason: 'migrations table unreadable' };
    }
    const pending = expected.filter((name) => !applied.has(name));
    return pending.length ? { ready: false, reason: 'migrations pending', pending } : { ready: true };
  };
}
