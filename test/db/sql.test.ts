// Our own statements beside Prisma's (src/db/sql.ts). On SQLite both share one connection, so the
// gate must keep each side's transaction from swallowing the other's statements: a statement that
// ran inside the other transaction would see (and on rollback lose) its uncommitted rows. Each test
// rolls a transaction back while the other side reads, so a broken gate shows up as a phantom row.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/db/client.ts';
import { migrate } from '../../src/db/migrate.ts';
import { compile } from '../../src/db/sql.ts';
import { createTestDatabase, TEST_DATABASE, tempDir, type TestDatabase } from '../support/service.ts';

describe('compile', () => {
  it('binds :names positionally for SQLite and by number for PostgreSQL, leaving ::casts alone', () => {
    const template = 'SELECT :a::int, :b, :a WHERE x = :b';
    expect(compile(template, 'question')).toEqual({ text: 'SELECT ?::int, ?, ? WHERE x = ?', names: ['a', 'b', 'a', 'b'] });
    expect(compile(template, 'numbered')).toEqual({ text: 'SELECT $1::int, $2, $1 WHERE x = $2', names: ['a', 'b'] });
  });
});

describe('our statements and Prisma transactions', () => {
  const dir = tempDir('hookwarden-sql-');
  let database: TestDatabase;
  let db: Database;
  const orgs = async (name: string) => Number((await db.sql.query(`SELECT COUNT(*) AS "n" FROM "Organization" WHERE "name" = :name`, { name }))[0].n);
  const insertOrg = `INSERT INTO "Organization" ("id", "name", "createdAt") VALUES (:id, :id, :at)`;
  const now = () => (db.provider === 'sqlite' ? Date.now() : new Date().toISOString());
  const later = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  beforeAll(async () => {
    database = await createTestDatabase(dir);
    await migrate(database.env.DATABASE_URL);
    db = await openDatabase(database.env.DATABASE_URL);
    // Prisma's first query compiles its engine: warm, its statements reach the connection at once.
    await db.prisma.organization.findMany({ where: { name: 'warm-up' } });
  });

  afterAll(async () => {
    await db?.close();
    await database?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("a statement of ours sent during a Prisma transaction that rolls back does not see its row", async () => {
    let seen: Promise<number> | null = null;
    const rolledBack = db.prisma.$transaction(async (tx) => {
      await tx.organization.create({ data: { id: 'org_phantom1', name: 'org_phantom1' } });
      seen = orgs('org_phantom1');
      await later(100);
      throw new Error('roll back');
    });
    await expect(rolledBack).rejects.toThrow('roll back');
    expect(await seen!).toBe(0);
    expect(await orgs('org_phantom1')).toBe(0);
  });

  it('a Prisma read sent during one of our transactions that rolls back does not see its row', async () => {
    let seen: Promise<unknown[]> | null = null;
    const rolledBack = db.sql.transaction(async (tx) => {
      await tx.query(insertOrg, { id: 'org_phantom2', at: now() });
      // A Prisma query starts when it is awaited or then'd.
      seen = db.prisma.organization.findMany({ where: { name: 'org_phantom2' } }).then((rows) => rows);
      await later(100);
      throw new Error('roll back');
    });
    await expect(rolledBack).rejects.toThrow('roll back');
    expect(await seen!).toEqual([]);
    expect(await orgs('org_phantom2')).toBe(0);
  });

  it('a Prisma transaction started during one of ours writes only its own rows, and both commit', async () => {
    let prismaTx: Promise<unknown> | null = null;
    await db.sql.transaction(async (tx) => {
      await tx.query(insertOrg, { id: 'org_ours', at: now() });
      prismaTx = db.prisma.$transaction((ptx) => ptx.organization.create({ data: { id: 'org_theirs', name: 'org_theirs' } })).then((row) => row);
      await later(100);
    });
    await prismaTx;
    expect([await orgs('org_ours'), await orgs('org_theirs')]).toEqual([1, 1]);
  });

  it('transactions started together each commit or roll back on their own', async () => {
    const ids = [1, 2, 3, 4, 5].map((n) => `org_group${n}`);
    const order: string[] = [];
    const outcomes = await Promise.allSettled(
      ids.map((id) =>
        db.sql.transaction(async (tx) => {
          order.push(id);
          await tx.query(insertOrg, { id, at: now() });
          if (id === 'org_group3') throw new Error('this one only');
          return id;
        }),
      ),
    );
    expect(order.sort()).toEqual(ids);
    expect(outcomes.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value : (outcome.reason as Error).message))).toEqual([
      'org_group1',
      'org_group2',
      'this one only',
      'org_group4',
      'org_group5',
    ]);
    expect(await Promise.all(ids.map(orgs))).toEqual([1, 1, 0, 1, 1]);
  });

  it("queryEach runs a statement per row, each row's fields before the shared ones, returning what each returns in order", async () => {
    const insertNamed = `INSERT INTO "Organization" ("id", "name", "createdAt") VALUES (:id, :name, :at) RETURNING "id", "name"`;
    const rows = [{ id: 'org_each1', name: 'own name' }, { id: 'org_each2' }];
    expect(await db.sql.queryEach(insertNamed, rows, { name: 'shared name', at: now() })).toEqual([
      { id: 'org_each1', name: 'own name' },
      { id: 'org_each2', name: 'shared name' },
    ]);
    // In our transaction, and in Prisma's: a row that fails rolls back the rows before it.
    const failing = [{ id: 'org_each3', name: 'rolled back' }, { id: 'org_each4' }];
    await expect(db.sql.transaction((tx) => tx.queryEach(insertNamed, failing, { at: now() }))).rejects.toThrow('no value for :name');
    await expect(db.prisma.$transaction((ptx) => db.sqlIn(ptx).queryEach(insertNamed, failing, { at: now() }))).rejects.toThrow('no value for :name');
    expect(await db.sql.transaction((tx) => tx.queryEach(insertNamed, [], { at: now() }))).toEqual([]);
    expect(await Promise.all(['own name', 'shared name', 'rolled back'].map(orgs))).toEqual([1, 1, 0]);
  });

  // Some SQLite errors (a full disk, an I/O error) end the whole transaction, not just a statement:
  // a ROLLBACK inside one member does the same here.
  it.runIf(TEST_DATABASE === 'sqlite')('when SQLite ends a shared transaction, every member of it fails and nothing is written', async () => {
    const outcomes = await Promise.allSettled(
      ['org_ended1', 'org_ended2', 'org_ended3'].map((id) =>
        db.sql.transaction(async (tx) => {
          await tx.query(insertOrg, { id, at: now() });
          if (id === 'org_ended2') await tx.query('ROLLBACK');
          return id;
        }),
      ),
    );
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(await Promise.all(['org_ended1', 'org_ended2', 'org_ended3'].map(orgs))).toEqual([0, 0, 0]);
    // The connection is usable afterwards.
    await db.sql.transaction((tx) => tx.query(insertOrg, { id: 'org_after', at: now() }));
    expect(await orgs('org_after')).toBe(1);
  });

  it.runIf(TEST_DATABASE === 'postgres')('a lazy commit does not wait for the disk and planEachTime plans afresh, in their own transaction only; all commit', async () => {
    const settings = (tx: { query: typeof db.sql.query }) =>
      tx.query('SELECT current_setting(:a) AS "commit", current_setting(:b) AS "plans"', { a: 'synchronous_commit', b: 'plan_cache_mode' }).then((rows) => rows[0]);
    const lazy = await db.sql.transaction(async (tx) => {
      await tx.query(insertOrg, { id: 'org_lazy', at: now() });
      return settings(tx);
    }, { lazyCommit: true });
    const planned = await db.sql.transaction(async (tx) => {
      await tx.query(insertOrg, { id: 'org_planned', at: now() });
      return settings(tx);
    }, { lazyCommit: true, planEachTime: true });
    const plain = await db.sql.transaction(async (tx) => {
      await tx.query(insertOrg, { id: 'org_plain', at: now() });
      return settings(tx);
    });
    expect([lazy, planned, plain]).toEqual([
      { commit: 'off', plans: 'auto' },
      { commit: 'off', plans: 'force_custom_plan' },
      { commit: 'on', plans: 'auto' },
    ]);
    expect([await orgs('org_lazy'), await orgs('org_planned'), await orgs('org_plain')]).toEqual([1, 1, 1]);
  });
});
