// Opens the database the URL names. SQLite is the embedded default; its file and folder are
// created on first start.
import fs from 'node:fs';
import path from 'node:path';
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaClient } from '../generated/prisma/client.ts';

export type Provider = 'sqlite';

export interface Database {
  prisma: PrismaClient;
  provider: Provider;
  /** A description without credentials, for the start-up line. */
  describe: string;
  close(): Promise<void>;
}

export function sqlitePath(databaseUrl: string): string {
  return path.resolve(databaseUrl.slice('file:'.length));
}

export async function openDatabase(databaseUrl: string): Promise<Database> {
  if (!databaseUrl.startsWith('file:')) {
    throw new Error(`DATABASE_URL must be a SQLite file URL (file:./data/hookwarden.db); got scheme ${databaseUrl.split(':')[0]}`);
  }
  const file = sqlitePath(databaseUrl);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  // Dates as epoch milliseconds: compact, and compared as numbers by the queue's raw SQL.
  const adapter = new PrismaBetterSQLite3({ url: `file:${file}`, timeout: 10_000 }, { timestampFormat: 'unixepoch-ms' });
  const prisma = new PrismaClient({ adapter });
  // WAL lets readers run beside the writer; NORMAL sync is durable across process crashes.
  await prisma.$queryRawUnsafe('PRAGMA journal_mode = WAL');
  await prisma.$executeRawUnsafe('PRAGMA synchronous = NORMAL');
  await prisma.$executeRawUnsafe('PRAGMA foreign_keys = ON');
  return { prisma, provider: 'sqlite', describe: `SQLite ${file}`, close: () => prisma.$disconnect() };
}
