// SQLite checkpoints on the sender thread (src/db/checkpoints.ts, src/delivery/threaded-sender.ts):
// the thread copies the log into the database file, the connection that commits does so itself
// only when the log grew past a bound (a writer faster than the thread), and whenever no thread
// checkpoints (none started, it failed, it ended) the connection checkpoints as it commits again.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.ts';
import { backgroundCheckpoints } from '../../src/db/checkpoints.ts';
import { createThreadedSender, type ThreadedSender } from '../../src/delivery/threaded-sender.ts';
import { TEST_DATABASE, tempDir } from '../support/service.ts';

const dir = tempDir('hookwarden-checkpoints-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function openWal(file: string): BetterSqlite3.Database {
  const connection = new BetterSqlite3(file);
  connection.pragma('journal_mode = WAL');
  connection.pragma('synchronous = NORMAL');
  connection.exec('CREATE TABLE IF NOT EXISTS "t" ("id" INTEGER PRIMARY KEY, "body" TEXT NOT NULL)');
  return connection;
}

const autocheckpoint = (connection: BetterSqlite3.Database) => connection.pragma('wal_autocheckpoint', { simple: true });

async function until(condition: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!condition() && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 10));
  return condition();
}

/** 20 rows of 4,000 bytes (about 20 pages) per commit. */
function writer(connection: BetterSqlite3.Database): () => void {
  const insert = connection.prepare('INSERT INTO "t" ("body") VALUES (?)');
  const body = 'x'.repeat(4000);
  return connection.transaction(() => {
    for (let i = 0; i < 20; i += 1) insert.run(body);
  });
}

/** A sender whose thread checkpoints `file` (the connection's, unless told otherwise), and the failures it tells. */
function hosting(connection: BetterSqlite3.Database, file: string, maxLogPages?: number) {
  const stopped: Error[] = [];
  const sender = createThreadedSender({
    allowInsecureTargets: true,
    checkpoints: backgroundCheckpoints(connection, file, maxLogPages),
    onCheckpointsStopped: (error) => stopped.push(error),
  });
  return { sender, stopped };
}

describe.runIf(TEST_DATABASE === 'sqlite')('SQLite checkpoints', () => {
  it('with no thread to run them, the connection checkpoints as it commits (SQLite default)', async () => {
    const db = await openDatabase(`file:${path.join(dir, 'alone.db')}`);
    try {
      expect(await db.sql.query('PRAGMA wal_autocheckpoint')).toEqual([{ wal_autocheckpoint: 1000 }]);
      expect(db.backgroundCheckpoints?.job.file).toBe(path.join(dir, 'alone.db'));
    } finally {
      await db.close();
    }
  });

  it('the sender thread copies the log into the database file; commits only append, until the sender closes', async () => {
    const file = path.join(dir, 'background.db');
    const connection = openWal(file);
    const { sender, stopped } = hosting(connection, file);
    try {
      // Once the thread runs them, the connection checkpoints itself only past 64 MiB of log.
      expect(await until(() => autocheckpoint(connection) === 16_384, 10_000)).toBe(true);
      const before = fs.statSync(file).size;
      // About 2,500 pages in 125 commits: SQLite alone would checkpoint twice on the way.
      const commit = writer(connection);
      for (let n = 0; n < 125; n += 1) commit();
      // The database file grows only when a checkpoint copies pages into it.
      expect(await until(() => fs.statSync(file).size > before + 2_000 * 4096, 5_000)).toBe(true);
      expect(connection.prepare('SELECT COUNT(*) AS "n" FROM "t"').get()).toEqual({ n: 2_500 });
    } finally {
      await sender.close();
    }
    expect(autocheckpoint(connection)).toBe(1000);
    // Closing is not a failure.
    expect(stopped).toEqual([]);
    connection.close();
  });

  it('a writer that outpaces the thread keeps the log bounded: past the bound the connection checkpoints itself', async () => {
    const file = path.join(dir, 'outpaced.db');
    const connection = openWal(file);
    // A bound of 256 pages (1 MiB), and 24 MiB written as fast as the connection can.
    const { sender } = hosting(connection, file, 256);
    try {
      expect(await until(() => autocheckpoint(connection) === 256, 10_000)).toBe(true);
      const commit = writer(connection);
      let largest = 0;
      for (let n = 0; n < 300; n += 1) {
        commit();
        largest = Math.max(largest, fs.statSync(`${file}-wal`).size);
      }
      // Left to the thread alone the log holds all 24 MiB; bounded, it starts over past about 1 MiB.
      expect(largest).toBeLessThan(8 * 1024 * 1024);
    } finally {
      await sender.close();
      connection.close();
    }
  });

  describe('when the thread cannot checkpoint or ends', () => {
    const receiver = http.createServer((_request, response) => response.end('ok'));
    let url = '';
    afterAll(() => new Promise((resolve) => receiver.close(resolve)));
    const send = async (sender: ThreadedSender) => {
      if (!url) {
        await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
        url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`;
      }
      return sender.send({ url, headers: { 'content-type': 'application/json' }, body: '{}', timeoutMs: 5_000 });
    };

    it('a database the thread cannot open: the failure is told, the connection checkpoints itself, attempts still go', async () => {
      const connection = openWal(path.join(dir, 'failing.db'));
      const { sender, stopped } = hosting(connection, path.join(dir, 'missing', 'folder', 'x.db'));
      try {
        expect(await until(() => stopped.length > 0, 10_000)).toBe(true);
        expect(stopped[0].message).toMatch(/^the sender thread cannot checkpoint: .*(unable to open database file|directory does not exist)/);
        expect(autocheckpoint(connection)).toBe(1000);
        expect((await send(sender)).statusCode).toBe(200);
      } finally {
        await sender.close();
        connection.close();
      }
    });

    it('a thread that ends: the connection checkpoints itself and the failure is told; the next attempt starts a thread that takes them back', async () => {
      const file = path.join(dir, 'ended.db');
      const connection = openWal(file);
      const { sender, stopped } = hosting(connection, file);
      try {
        expect(await until(() => autocheckpoint(connection) === 16_384, 10_000)).toBe(true);
        await sender.thread!.terminate();
        expect(await until(() => stopped.length === 1, 5_000)).toBe(true);
        expect(stopped[0].message).toBe('the sender thread stopped');
        expect(autocheckpoint(connection)).toBe(1000);
        expect(sender.thread).toBeNull();
        expect((await send(sender)).statusCode).toBe(200);
        expect(await until(() => autocheckpoint(connection) === 16_384, 10_000)).toBe(true);
      } finally {
        await sender.close();
        connection.close();
      }
    });
  });
});
