// The benchmark's own view of the database: read-only, for "how many deliveries are open" and
// "how did they end". SQLite through better-sqlite3 opened readonly; PostgreSQL through pg in a
// read-only session. Plus creating and dropping the PostgreSQL databases a run uses.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import Database from 'better-sqlite3';
import pg from 'pg';

export interface StatusCounts {
  byStatus: Record<string, number>;
  attempts: number;
  successfulAttempts: number;
}

export interface DbProbe {
  /** Deliveries still PENDING or RETRYING (their nextAttemptAt is set: an index-only count). */
  openCount(): Promise<number>;
  /** How the deliveries of these webhooks ended, and their attempts. */
  statusOf(webhookIds: readonly string[]): Promise<StatusCounts>;
  /** PostgreSQL: the server processes serving this database (not this probe), to count their CPU. */
  backendPids(): Promise<number[]>;
  /** PostgreSQL: the server process serving this probe, whose CPU is the bench's own; null on SQLite. */
  ownPid: number | null;
  close(): Promise<void>;
}

export function sqliteProbe(file: string): DbProbe {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  const open = db.prepare<[], { n: number }>(`SELECT COUNT(*) AS n FROM "Delivery" WHERE "nextAttemptAt" IS NOT NULL`);
  const statuses = db.prepare<[string], { status: string; n: number }>(
    `SELECT "status", COUNT(*) AS n FROM "Delivery" WHERE "webhookId" IN (SELECT "value" FROM json_each(?)) GROUP BY "status"`,
  );
  const attempts = db.prepare<[string], { n: number; ok: number | null }>(
    `SELECT COUNT(*) AS n, SUM("a"."success") AS ok FROM "DeliveryAttempt" AS "a" JOIN "Delivery" AS "d" ON "d"."id" = "a"."deliveryId"
     WHERE "d"."webhookId" IN (SELECT "value" FROM json_each(?))`,
  );
  return {
    openCount: async () => open.get()!.n,
    async statusOf(webhookIds) {
      const ids = JSON.stringify(webhookIds);
      const byStatus = Object.fromEntries(statuses.all(ids).map((row) => [row.status, row.n]));
      const row = attempts.get(ids)!;
      return { byStatus, attempts: row.n, successfulAttempts: row.ok ?? 0 };
    },
    backendPids: async () => [],
    ownPid: null,
    close: async () => void db.close(),
  };
}

export async function postgresProbe(url: string): Promise<DbProbe> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY');
  const { rows: own } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  return {
    async openCount() {
      const { rows } = await client.query<{ n: string }>(`SELECT COUNT(*) AS n FROM "Delivery" WHERE "nextAttemptAt" IS NOT NULL`);
      return Number(rows[0].n);
    },
    async statusOf(webhookIds) {
      const { rows } = await client.query<{ status: string; n: string }>(
        `SELECT "status", COUNT(*) AS n FROM "Delivery" WHERE "webhookId" = ANY($1::text[]) GROUP BY "status"`,
        [webhookIds],
      );
      const { rows: attempt } = await client.query<{ n: string; ok: string | null }>(
        `SELECT COUNT(*) AS n, COUNT(*) FILTER (WHERE "a"."success") AS ok FROM "DeliveryAttempt" AS "a"
         JOIN "Delivery" AS "d" ON "d"."id" = "a"."deliveryId" WHERE "d"."webhookId" = ANY($1::text[])`,
        [webhookIds],
      );
      return {
        byStatus: Object.fromEntries(rows.map((row) => [row.status, Number(row.n)])),
        attempts: Number(attempt[0].n),
        successfulAttempts: Number(attempt[0].ok ?? 0),
      };
    },
    async backendPids() {
      const { rows } = await client.query<{ pid: number }>(
        'SELECT pid FROM pg_stat_activity WHERE datname::text = current_database() AND pid <> pg_backend_pid()',
      );
      return rows.map((row) => Number(row.pid));
    },
    ownPid: Number(own[0].pid),
    close: () => client.end(),
  };
}

export const POSTGRES_SERVER = process.env.HOOKWARDEN_BENCH_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

function withDatabase(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function admin<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_SERVER });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/** Creates an empty database on the local server; returns its URL. */
export async function createPostgresDatabase(name: string): Promise<string> {
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`unsafe database name ${name}`);
  const host = new URL(POSTGRES_SERVER).hostname;
  if (host !== '127.0.0.1' && host !== 'localhost' && host !== '[::1]') throw new Error(`the bench uses a local PostgreSQL only, not ${host}`);
  await admin((client) => client.query(`CREATE DATABASE "${name}"`));
  return withDatabase(POSTGRES_SERVER, name);
}

export async function dropPostgresDatabase(name: string): Promise<void> {
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`unsafe database name ${name}`);
  await admin((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
}

/** The kernel's dirty page cache (kB, /proc/meminfo), or null where there is none to read. */
function dirtyKB(): number | null {
  try {
    const line = /^Dirty:\s+(\d+) kB$/m.exec(fs.readFileSync('/proc/meminfo', 'utf8'));
    return line ? Number(line[1]) : null;
  } catch {
    return null;
  }
}

/**
 * Writes out what the phases so far left in memory, before the next one is timed: PostgreSQL's
 * dirty buffers (CHECKPOINT), then the kernel's dirty pages (sync). Otherwise the kernel writes a
 * burst back about 30 s later, in the middle of the next phase, and every durable commit then waits
 * behind it: after the dispatch phase, ~100 MB written back at once held createIssue for 40–55 ms.
 */
export async function flushWrites(postgres: boolean): Promise<{ ms: number; dirtyKB: number | null }> {
  const started = performance.now();
  const dirty = dirtyKB();
  if (postgres) await admin((client) => client.query('CHECKPOINT'));
  execFileSync('sync');
  return { ms: Math.round(performance.now() - started), dirtyKB: dirty };
}

/** The server's version and the settings that change what the figures mean (autovacuum above all). */
export async function postgresFacts(): Promise<Record<string, string> | null> {
  try {
    return await admin(async (client) => {
      const { rows } = await client.query<{ name: string; setting: string }>(
        `SELECT name::text AS name, setting FROM pg_settings WHERE name IN ('server_version', 'autovacuum', 'shared_buffers', 'synchronous_commit', 'fsync', 'max_connections')`,
      );
      return Object.fromEntries(rows.map((row) => [row.name, row.setting]));
    });
  } catch {
    return null;
  }
}
