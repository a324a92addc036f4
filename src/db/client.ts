// Opens the database the URL names: a SQLite file (the embedded default; created with its folder
// on first start) or PostgreSQL (postgres:// or postgresql://).
import fs from 'node:fs';
import path from 'node:path';
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient, type Prisma } from '../generated/prisma/client.ts';
import { PrismaClient as PostgresPrismaClient } from '../generated/prisma-pg/client.ts';

export type Provider = 'sqlite' | 'postgresql';

export interface Database {
  /** Typed by the SQLite client; both clients are generated from the same models (see scripts/postgres-schema.mjs). */
  prisma: PrismaClient;
  provider: Provider;
  url: string;
  /** A description without credentials, for the start-up line. */
  describe: string;
  /**
   * Holds a row until the transaction ends, so that read-compare-write sequences (an issue update
   * and its event) never interleave. SQLite's transactions already run one at a time.
   */
  lockRow(tx: Prisma.TransactionClient, table: LockableTable, id: string): Promise<void>;
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

async function openSqlite(databaseUrl: string): Promise<Database> {
  const file = sqlitePath(databaseUrl);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  // Dates as epoch milliseconds: compact, and compared as numbers by the queue's raw SQL.
  const adapter = new PrismaBetterSQLite3({ url: `file:${file}`, timeout: 10_000 }, { timestampFormat: 'unixepoch-ms' });
  const prisma = new PrismaClient({ adapter });
  // WAL lets readers run beside the writer; NORMAL sync is durable across process crashes.
  await prisma.$queryRawUnsafe('PRAGMA journal_mode = WAL');
  await prisma.$executeRawUnsafe('PRAGMA synchronous = NORMAL');
  await prisma.$executeRawUnsafe('PRAGMA foreign_keys = ON');
  return {
    prisma,
    provider: 'sqlite',
    url: databaseUrl,
    describe: `SQLite ${file}`,
    lockRow: async () => {},
    close: () => prisma.$disconnect(),
  };
}

async function openPostgres(databaseUrl: string): Promise<Database> {
  const client = new PostgresPrismaClient({ adapter: new PrismaPg({ connectionString: databaseUrl, max: 20 }) });
  await client.$connect();
  // The two generated clients expose the same model API; only their nominal types differ.
  const prisma = client as unknown as PrismaClient;
  return {
    prisma,
    provider: 'postgresql',
    url: databaseUrl,
    describe: `PostgreSQL ${redactUrl(databaseUrl)}`,
    lockRow: async (tx, table, id) => {
      await tx.$queryRawUnsafe(`SELECT 1 FROM "${table}" WHERE "id" = $1 FOR UPDATE`, id);
    },
    close: () => client.$disconnect(),
  };
}

export function openDatabase(databaseUrl: string): Promise<Database> {
  return providerOf(databaseUrl) === 'sqlite' ? openSqlite(databaseUrl) : openPostgres(databaseUrl);
}
