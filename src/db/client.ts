// Opens the database the URL names: a SQLite file (the embedded default; created with its folder
// on first start) or PostgreSQL (postgres:// or postgresql://).
import fs from 'node:fs';
import path from 'node:path';
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import type BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { PrismaClient, type Prisma } from '../generated/prisma/client.ts';
import { PrismaClient as PostgresPrismaClient } from '../generated/prisma-pg/client.ts';
import { backgroundCheckpoints, type BackgroundCheckpoints } from './checkpoints.ts';
import { createPostgresSql, createSqliteSql, prismaRunner, TransactionGate, type RawQueries, type Sql, type SqlRunner } from './sql.ts';

export type Provider = 'sqlite' | 'postgresql';

export interface Database {
  /** Typed by the SQLite client; both clients are generated from the same models (see scripts/postgres-schema.mjs). */
  prisma: PrismaClient;
  /** Prepared statements on Prisma's own connection(s), for the hot paths (see sql.ts). */
  sql: Sql;
  /** The same statements inside one of Prisma's interactive transactions. */
  sqlIn(tx: RawQueries): SqlRunner;
  provider: Provider;
  url: string;
  /** A description without credentials, for the start-up line. */
  describe: string;
  /**
   * Holds a row until the transaction ends, so that read-compare-write sequences (an issue update
   * and its event) never interleave. SQLite's transactions already run one at a time.
   */
  lockRow(tx: Prisma.TransactionClient, table: LockableTable, id: string): Promise<void>;
  /**
   * SQLite: checkpoints a helper thread can take over (the service's sender thread does); until one
   * does, SQLite checkpoints as it commits. Null for PostgreSQL.
   */
  backgroundCheckpoints: BackgroundCheckpoints | null;
  close(): Promise<void>;
}

export type LockableTable = 'Issue' | 'Webhook';

export function providerOf(databaseUrl: string): Provider {
  if (databaseUrl.startsWith('file:')) return 'sqlite';
  if (/^postgres(ql)?:\/\//.test(databaseUrl)) return 'postgresql';
  throw new Error(`DATABASE_URL must be file:… (SQLite) or postgresql://… (PostgreSQL); got scheme "${databaseUrl.split(':')[0]}"`);
}

export function sqlitePath(databaseUrl: string): string {
  return path.resolve(databaseUrl.slice('file:'.length));
}

/** The URL without its password. */
export function redactUrl(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return databaseUrl.replace(/:[^:@/]*@/, ':***@');
  }
}

type Adapter = Awaited<ReturnType<PrismaBetterSQLite3['connect']>>;

/**
 * The better-sqlite3 adapter, with its one connection handed to us and its transactions taken
 * through our gate (sql.ts), so that Prisma's and ours never interleave on that connection.
 * Prisma's transactions begin IMMEDIATE, as ours do: a deferred one that reads first and then
 * writes fails at once (SQLITE_BUSY, no waiting) when another process (the CLI) wrote meanwhile.
 */
class GatedSqliteAdapter extends PrismaBetterSQLite3 {
  readonly gate = new TransactionGate();
  connection: BetterSqlite3.Database | null = null;

  override async connect(): Promise<Adapter> {
    const adapter = await super.connect();
    const gate = this.gate;
    const connection = (adapter as unknown as { client: BetterSqlite3.Database }).client;
    this.connection = connection;
    const begin = connection.prepare('BEGIN IMMEDIATE');
    const queryRaw = adapter.queryRaw.bind(adapter);
    const executeRaw = adapter.executeRaw.bind(adapter);
    adapter.startTransaction = async () => {
      const release = await gate.acquire('prisma');
      try {
        begin.run();
      } catch (error) {
        release();
        throw error;
      }
      // Prisma sends COMMIT or ROLLBACK itself (usePhantomQuery: false), then calls these.
      return {
        provider: adapter.provider,
        adapterName: adapter.adapterName,
        options: { usePhantomQuery: false },
        queryRaw,
        executeRaw,
        commit: async () => release(),
        rollback: async () => release(),
      };
    };
    adapter.queryRaw = async (query) => {
      await gate.outsideOurTransaction();
      return queryRaw(query);
    };
    adapter.executeRaw = async (query) => {
      await gate.outsideOurTransaction();
      return executeRaw(query);
    };
    return adapter;
  }
}

export interface OpenOptions {
  /** PostgreSQL: how long a statement, a connection and a silent server may take (POSTGRES_TIMEOUTS). */
  postgresTimeouts?: PostgresTimeouts;
}

export interface PostgresTimeouts {
  /** The server cancels a statement that runs (or waits for a lock) longer, releasing its locks. */
  statementMs: number;
  /** We give up on an answer that has not come (a hung server or network): longer than statementMs. */
  answerMs: number;
  /** Opening a connection, or waiting for a free one of the pool. */
  connectMs: number;
}

/**
 * Nothing we run takes seconds: a statement still running after 30 s waits for something that
 * will not come, and without a limit a hung connection would stall the dispatcher for good.
 */
export const POSTGRES_TIMEOUTS: PostgresTimeouts = { statementMs: 30_000, answerMs: 35_000, connectMs: 10_000 };

async function openSqlite(databaseUrl: string): Promise<Database> {
  const file = sqlitePath(databaseUrl);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  // Dates as epoch milliseconds: compact, and compared as numbers by the queue's raw SQL.
  const adapter = new GatedSqliteAdapter({ url: `file:${file}`, timeout: 10_000 }, { timestampFormat: 'unixepoch-ms' });
  const prisma = new PrismaClient({ adapter });
  // WAL lets readers run beside the writer; NORMAL sync is durable across process crashes.
  await prisma.$queryRawUnsafe('PRAGMA journal_mode = WAL');
  await prisma.$executeRawUnsafe('PRAGMA synchronous = NORMAL');
  await prisma.$executeRawUnsafe('PRAGMA foreign_keys = ON');
  if (!adapter.connection) throw new Error('the SQLite adapter did not connect');
  const sql = createSqliteSql(adapter.connection, adapter.gate);
  return {
    prisma,
    sql,
    // Prisma's transaction is on the same connection: our statements join it directly, at the
    // cost of a prepared statement instead of a millisecond of Prisma's per statement.
    sqlIn: () => sql.held,
    provider: 'sqlite',
    url: databaseUrl,
    describe: `SQLite ${file}`,
    lockRow: async () => {},
    backgroundCheckpoints: backgroundCheckpoints(adapter.connection, file),
    close: () => prisma.$disconnect(),
  };
}

async function openPostgres(databaseUrl: string, timeouts: PostgresTimeouts): Promise<Database> {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: 20,
    statement_timeout: timeouts.statementMs,
    // A transaction left open by a client that stopped talking ends on the server too.
    idle_in_transaction_session_timeout: timeouts.answerMs,
    query_timeout: timeouts.answerMs,
    connectionTimeoutMillis: timeouts.connectMs,
    keepAlive: true,
  });
  // An idle connection the server closed (a restart, a terminated backend) is dropped by the pool,
  // and the next query opens a new one: nothing to do but not crash.
  pool.on('error', () => {});
  const client = new PostgresPrismaClient({ adapter: new PrismaPg(pool) });
  await client.$connect();
  // The two generated clients expose the same model API; only their nominal types differ.
  const prisma = client as unknown as PrismaClient;
  return {
    prisma,
    sql: createPostgresSql(pool),
    sqlIn: (tx) => prismaRunner(tx),
    provider: 'postgresql',
    url: databaseUrl,
    describe: `PostgreSQL ${redactUrl(databaseUrl)}`,
    lockRow: async (tx, table, id) => {
      await tx.$queryRawUnsafe(`SELECT 1 FROM "${table}" WHERE "id" = $1 FOR UPDATE`, id);
    },
    backgroundCheckpoints: null,
    async close() {
      await client.$disconnect();
      await pool.end();
    },
  };
}

export function openDatabase(databaseUrl: string, options: OpenOptions = {}): Promise<Database> {
  return providerOf(databaseUrl) === 'sqlite' ? openSqlite(databaseUrl) : openPostgres(databaseUrl, options.postgresTimeouts ?? POSTGRES_TIMEOUTS);
}
