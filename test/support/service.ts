// A real Hookwarden for tests: its own SQLite file in a temp folder, a real HTTP server on port 0,
// the real dispatcher. Nothing is mocked.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { loadConfig } from '../../src/config.ts';
import { bootstrap } from '../../src/domain/accounts.ts';
import { createLogger } from '../../src/log.ts';
import { startService, type Service } from '../../src/service.ts';
import { graphqlClient, type GraphQLClient } from './graphql.ts';

export interface TestService {
  service: Service;
  url: string;
  wsUrl: string;
  dir: string;
  /** A client for the token of a new or existing organization's admin. */
  admin(org?: string, email?: string): Promise<GraphQLClient & { token: string }>;
  client(token?: string): GraphQLClient;
  stop(): Promise<void>;
}

export const TEST_ENV = {
  HOOKWARDEN_ALLOW_INSECURE_TARGETS: 'true',
  HOOKWARDEN_RETRY_BASE_MS: '20',
  HOOKWARDEN_RETRY_MAX_MS: '100',
  HOOKWARDEN_POLL_INTERVAL_MS: '200',
  LOG_LEVEL: 'silent',
};

export function tempDir(label = 'hookwarden-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), label));
}

/** Which database this test run uses: the vitest project sets it (see vitest.config.ts). */
export const TEST_DATABASE = process.env.HOOKWARDEN_TEST_DATABASE === 'postgres' ? 'postgres' : 'sqlite';
const POSTGRES_ADMIN_URL = process.env.HOOKWARDEN_TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.HOOKWARDEN_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Runs one statement on the PostgreSQL database at `url`, on a connection of its own. */
export async function postgresStatement(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export interface TestDatabase {
  /** DATABASE_URL, plus REDIS_URL and a unique prefix on PostgreSQL runs. */
  env: Record<string, string>;
  drop(): Promise<void>;
}

/** A database of its own for one test file: a SQLite file in `dir`, or a new PostgreSQL database. */
export async function createTestDatabase(dir: string, kind: 'sqlite' | 'postgres' = TEST_DATABASE): Promise<TestDatabase> {
  if (kind === 'sqlite') return { env: { DATABASE_URL: `file:${path.join(dir, 'test.db')}` }, drop: async () => {} };
  const name = `hookwarden_test_${randomBytes(6).toString('hex')}`;
  await postgresStatement(POSTGRES_ADMIN_URL, `CREATE DATABASE ${name}`);
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    env: { DATABASE_URL: url.toString(), REDIS_URL: TEST_REDIS_URL, HOOKWARDEN_REDIS_PREFIX: `${name}:` },
    drop: () => postgresStatement(POSTGRES_ADMIN_URL, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

/** For instances that share `database`: one encryption key, insecure targets allowed, warnings logged; plus `extra`. */
export function instancesEnv(database: TestDatabase, extra: Record<string, string>): Record<string, string> {
  return {
    ...database.env,
    HOOKWARDEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    HOOKWARDEN_ALLOW_INSECURE_TARGETS: 'true',
    LOG_LEVEL: 'warn',
    ...extra,
  };
}

export async function startTestService(env: Record<string, string> = {}): Promise<TestService> {
  const dir = tempDir();
  const database = await createTestDatabase(dir);
  const config = loadConfig({ ...TEST_ENV, ...database.env, HOOKWARDEN_KEY_FILE: path.join(dir, 'encryption.key'), PORT: '0', HOST: '127.0.0.1', ...env });
  const service = await startService(config, createLogger(config.logLevel));
  const url = service.url;
  return {
    service,
    url,
    wsUrl: url.replace(/^http/, 'ws'),
    dir,
    async admin(org = 'Acme', email = 'admin@acme.test') {
      const token = await bootstrap(service.app, org, email);
      return Object.assign(graphqlClient(url, token), { token });
    },
    client: (token) => graphqlClient(url, token),
    async stop() {
      await service.stop();
      await database.drop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
