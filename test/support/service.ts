// A real Hookwarden for tests: its own SQLite file in a temp folder, a real HTTP server on port 0,
// the real dispatcher. Nothing is mocked.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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

export async function startTestService(env: Record<string, string> = {}): Promise<TestService> {
  const dir = tempDir();
  const config = loadConfig({ ...TEST_ENV, DATABASE_URL: `file:${path.join(dir, 'test.db')}`, PORT: '0', HOST: '127.0.0.1', ...env });
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
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
