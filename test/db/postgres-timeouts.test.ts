// PostgreSQL: no statement waits forever. The server cancels one that runs or waits for a lock too
// long (statement_timeout), we give up on an answer that does not come (a hung server or network:
// query_timeout) and on a connection that does not open; either way the pool drops the connection
// and the next statement works. Real PostgreSQL, and a TCP relay to it that can go silent.
import net from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.ts';
import { openDatabase, type Database, type PostgresTimeouts } from '../../src/db/client.ts';
import { createTestDatabase, TEST_DATABASE, tempDir, type TestDatabase } from '../support/service.ts';

const TIMEOUTS: PostgresTimeouts = { statementMs: 300, answerMs: 800, connectMs: 500 };

/** Relays TCP to `target`; while silent, it forwards nothing either way (a hung network). */
async function startRelay(target: { host: string; port: number }) {
  const sockets = new Set<net.Socket>();
  let silent = false;
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    sockets.add(client).add(upstream);
    client.on('data', (chunk) => silent || upstream.write(chunk));
    upstream.on('data', (chunk) => silent || client.write(chunk));
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ]) {
      a.on('close', () => b.destroy());
      a.on('error', () => b.destroy());
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    silence: (value: boolean) => (silent = value),
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

async function elapsed<T>(work: Promise<T>): Promise<{ ms: number; error: Error | null }> {
  const started = performance.now();
  try {
    await work;
    return { ms: performance.now() - started, error: null };
  } catch (error) {
    return { ms: performance.now() - started, error: error as Error };
  }
}

describe.runIf(TEST_DATABASE === 'postgres')('PostgreSQL timeouts', () => {
  let database: TestDatabase;
  let url: URL;
  const opened: Database[] = [];

  beforeAll(async () => {
    database = await createTestDatabase(tempDir('hookwarden-pg-timeouts-'), 'postgres');
    url = new URL(database.env.DATABASE_URL);
    await migrate(url.toString());
  });

  afterAll(async () => {
    for (const db of opened) await db.close().catch(() => {});
    await database?.drop();
  });

  async function open(at: URL): Promise<Database> {
    const db = await openDatabase(at.toString(), { postgresTimeouts: TIMEOUTS });
    opened.push(db);
    return db;
  }

  it('the server cancels a statement that waits for a lock too long, and the pool goes on', async () => {
    const db = await open(url);
    const holder = new pg.Client({ connectionString: url.toString() });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE "Webhook" IN ACCESS EXCLUSIVE MODE');
      const outside = await elapsed(db.sql.query('SELECT count(*) AS "n" FROM "Webhook"'));
      expect(outside.error?.message).toMatch(/statement timeout/);
      expect(outside.ms).toBeLessThan(TIMEOUTS.answerMs);
      const inside = await elapsed(db.sql.transaction((tx) => tx.query('SELECT count(*) AS "n" FROM "Webhook"')));
      expect(inside.error?.message).toMatch(/statement timeout/);
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
    expect(await db.sql.query('SELECT count(*) AS "n" FROM "Webhook"')).toEqual([{ n: '0' }]);
    expect(await db.prisma.webhook.count()).toBe(0);
  });

  it('gives up on an answer that does not come, drops that connection and opens another', async () => {
    const relay = await startRelay({ host: url.hostname, port: Number(url.port || 5432) });
    try {
      const through = new URL(url);
      through.hostname = '127.0.0.1';
      through.port = String(relay.port);
      const db = await open(through);
      expect(await db.sql.query('SELECT 1 AS "one"')).toEqual([{ one: 1 }]);
      relay.silence(true);
      const hung = await elapsed(db.sql.query('SELECT 2 AS "two"'));
      expect(hung.error?.message).toMatch(/timeout/i);
      expect(hung.ms).toBeLessThan(TIMEOUTS.answerMs + 1_000);
      const hungTransaction = await elapsed(db.sql.transaction((tx) => tx.query('SELECT 3 AS "three"')));
      expect(hungTransaction.error?.message).toMatch(/timeout/i);
      relay.silence(false);
      expect(await db.sql.query('SELECT 4 AS "four"')).toEqual([{ four: 4 }]);
    } finally {
      await relay.close();
    }
  });

  it('gives up on a server that accepts the connection and never answers', async () => {
    const held = new Set<net.Socket>();
    const mute = net.createServer((socket) => held.add(socket));
    await new Promise<void>((resolve) => mute.listen(0, '127.0.0.1', resolve));
    try {
      const nowhere = new URL(url);
      nowhere.hostname = '127.0.0.1';
      nowhere.port = String((mute.address() as net.AddressInfo).port);
      const attempt = await elapsed(open(nowhere).then((db) => db.sql.query('SELECT 1 AS "one"')));
      expect(attempt.error?.message).toMatch(/timeout/i);
      expect(attempt.ms).toBeLessThan(TIMEOUTS.connectMs * 2 + 1_000);
    } finally {
      for (const socket of held) socket.destroy();
      await new Promise((resolve) => mute.close(resolve));
    }
  });
});
