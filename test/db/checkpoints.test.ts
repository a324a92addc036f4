// SQLite checkpoints on their own thread (src/db/checkpoints.ts): the thread copies the log into the
// database file, the connection that commits does so itself only when the log grew past a bound
// (a writer faster than the thread), and if the thread fails it checkpoints as it commits again.
import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { checkpointInBackground } from '../../src/db/checkpoints.ts';
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

describe.runIf(TEST_DATABASE === 'sqlite')('SQLite checkpoints', () => {
  it('commits only append to the log; the thread copies it into the database file', async () => {
    const file = path.join(dir, 'background.db');
    const connection = openWal(file);
    const errors: unknown[] = [];
    const checkpoints = checkpointInBackground(connection, file, (error) => errors.push(error));
    try {
      // The connection checkpoints itself only past 64 MiB of log.
      expect(autocheckpoint(connection)).toBe(16_384);
      const before = fs.statSync(file).size;
      // About 2,500 pages of 4 KiB in 50 commits: SQLite alone would checkpoint twice on the way.
      const insert = connection.prepare('INSERT INTO "t" ("body") VALUES (?)');
      const body = 'x'.repeat(4000);
      const commit = connection.transaction(() => {
        for (let i = 0; i < 50; i += 1) insert.run(body);
      });
      for (let n = 0; n < 50; n += 1) commit();
      // The database file grows only when a checkpoint copies pages into it.
      expect(await until(() => fs.statSync(file).size > before + 2_000 * 4096, 5_000)).toBe(true);
      expect(connection.prepare('SELECT COUNT(*) AS "n" FROM "t"').get()).toEqual({ n: 2_500 });
      expect(errors).toEqual([]);
    } finally {
      await checkpoints.stop();
      connection.close();
    }
  });

  it('a writer that outpaces the thread keeps the log bounded: past the bound the connection checkpoints itself', async () => {
    const file = path.join(dir, 'outpaced.db');
    const connection = openWal(file);
    // A bound of 256 pages (1 MiB), and 24 MiB written as fast as the connection can.
    const checkpoints = checkpointInBackground(connection, file, () => {}, 256);
    try {
      const insert = connection.prepare('INSERT INTO "t" ("body") VALUES (?)');
      const body = 'x'.repeat(4000);
      const commit = connection.transaction(() => {
        for (let i = 0; i < 20; i += 1) insert.run(body);
      });
      let largest = 0;
      for (let n = 0; n < 300; n += 1) {
        commit();
        largest = Math.max(largest, fs.statSync(`${file}-wal`).size);
      }
      // Left to the thread alone the log holds all 24 MiB; bounded, it starts over past about 1 MiB.
      expect(largest).toBeLessThan(8 * 1024 * 1024);
    } finally {
      await checkpoints.stop();
      connection.close();
    }
  });

  it('when the thread fails, the connection checkpoints as it commits again, and the failure is told', async () => {
    const connection = openWal(path.join(dir, 'failing.db'));
    const errors: unknown[] = [];
    // A file the thread cannot open: its first statement throws.
    const checkpoints = checkpointInBackground(connection, path.join(dir, 'missing', 'folder', 'x.db'), (error) => errors.push(error));
    try {
      expect(await until(() => errors.length > 0, 5_000)).toBe(true);
      expect(String(errors[0])).toMatch(/unable to open database file|directory does not exist/);
      expect(autocheckpoint(connection)).toBe(1000);
    } finally {
      await checkpoints.stop();
      connection.close();
    }
  });
});
