// The service's own JSON logs, as `npm start` writes them: one line per HTTP request with its
// request id, method, path, status and duration; an unexpected error with the id of the request
// it failed; never a token, a query string or a body; and a clean stop on SIGTERM.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bootstrapToken, killChildren, startChild, type Child } from '../support/processes.ts';
import { createTestDatabase, postgresStatement, tempDir, type TestDatabase } from '../support/service.ts';

let dir: string;
let database: TestDatabase;
let child: Child;

beforeAll(async () => {
  dir = tempDir('hookwarden-logs-');
  database = await createTestDatabase(dir);
  child = await startChild({ ...database.env, HOOKWARDEN_KEY_FILE: path.join(dir, 'encryption.key'), LOG_LEVEL: 'debug' });
}, 60_000);

afterAll(async () => {
  killChildren();
  await database?.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

function logLines(): LogLine[] {
  return child.output
    .join('')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}

/** Runs a statement on the service's database behind its back. */
async function alter(sql: string): Promise<void> {
  const url = database.env.DATABASE_URL;
  if (url.startsWith('file:')) {
    const db = new Database(url.slice('file:'.length));
    try {
      db.exec(sql);
    } finally {
      db.close();
    }
    return;
  }
  await postgresStatement(url, sql);
}

it('logs an unexpected error with the id of the request it failed', async () => {
  const token = await bootstrapToken(database.env, 'Logs', 'admin@logs.test');
  // A table the service expects is gone: its query fails inside the resolver.
  await alter('ALTER TABLE "AuditEntry" RENAME TO "AuditEntryGone"');
  try {
    const response = await fetch(child.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'x-request-id': 'log-test-broken' },
      body: JSON.stringify({ query: '{ webhookAuditLog { edges { node { id } } } }' }),
    });
    const body = (await response.json()) as { errors?: Array<{ message: string; extensions?: { code?: string } }> };
    expect(body.errors?.[0]).toMatchObject({ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } });
  } finally {
    await alter('ALTER TABLE "AuditEntryGone" RENAME TO "AuditEntry"');
  }
  await new Promise((resolve) => setTimeout(resolve, 100));
  const logged = logLines().filter((line) => line.msg === 'unexpected error while resolving');
  expect(logged).toHaveLength(1);
  expect(logged[0]).toMatchObject({ level: 50, requestId: 'log-test-broken' });
  expect(JSON.stringify(logged[0])).not.toContain(token);
});

it('logs each request once with its id, and nothing a request carried', async () => {
  const origin = new URL(child.url).origin;
  const response = await fetch(`${child.url}?access_token=hw_in-the-query-string`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer hw_in-the-header', 'x-request-id': 'log-test-1' },
    body: JSON.stringify({ query: 'query ($v: String) { __typename }', variables: { v: 'whsec_in-the-body' } }),
  });
  expect(response.status).toBe(200);
  const probe = await fetch(`${origin}/healthz`);
  const probeId = probe.headers.get('x-request-id');

  child.process.kill('SIGTERM');
  expect(await child.exited).toEqual({ code: 0, signal: null });

  const lines = logLines();
  const requests = lines.filter((line) => line.msg === 'request');
  const api = requests.filter((line) => line.requestId === 'log-test-1');
  expect(api).toHaveLength(1);
  expect(api[0]).toMatchObject({ level: 30, service: 'hookwarden', method: 'POST', path: '/graphql', status: 200 });
  expect(api[0].durationMs).toEqual(expect.any(Number));
  // Probes are logged at debug, so that LOG_LEVEL=info leaves them out.
  expect(requests.find((line) => line.requestId === probeId)).toMatchObject({ level: 20, path: '/healthz', status: 200 });

  const everything = child.output.join('');
  for (const secret of ['hw_in-the-query-string', 'hw_in-the-header', 'whsec_in-the-body', 'access_token']) expect(everything).not.toContain(secret);
  expect(lines.some((line) => line.msg === 'stopped cleanly')).toBe(true);
  expect(everything).toContain('/healthz');
});
