// Stopping (SIGTERM) answers the requests under way instead of cutting their connections: a client
// whose createIssue was being read when the service was told to stop gets its answer (a cut
// connection would leave it not knowing whether the issue exists, and a retry could make it
// twice), with `connection: close`; new connections are refused meanwhile. `npm start`'s program.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bootstrapToken, killChildren, startChild, type Child } from '../support/processes.ts';
import { createTestDatabase, tempDir, type TestDatabase } from '../support/service.ts';

let dir: string;
let database: TestDatabase;
let child: Child;
let env: Record<string, string>;

beforeAll(async () => {
  dir = tempDir('hookwarden-stop-');
  database = await createTestDatabase(dir);
  env = { ...database.env, HOOKWARDEN_KEY_FILE: path.join(dir, 'encryption.key'), LOG_LEVEL: 'warn' };
  child = await startChild(env);
}, 60_000);

afterAll(async () => {
  killChildren();
  await database?.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

it('answers a request under way when told to stop, then exits', async () => {
  const token = await bootstrapToken(env, 'Stop', 'admin@stop.test');
  const { hostname, port } = new URL(child.url);
  const body = JSON.stringify({
    query: 'mutation ($input: CreateIssueInput!) { createIssue(input: $input) { id } }',
    variables: { input: { pluginId: 'sql-injection', severity: 'HIGH', weakness: 'SQL Injection' } },
  });
  const socket = net.connect(Number(port), hostname);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let received = '';
  socket.on('data', (chunk) => (received += chunk.toString()));
  const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  // Headers and part of the body: the request is under way, its mutation not yet run.
  socket.write(
    `POST /graphql HTTP/1.1\r\nhost: ${hostname}\r\ncontent-type: application/json\r\nauthorization: Bearer ${token}\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, 40)}`,
  );
  await new Promise((resolve) => setTimeout(resolve, 200));

  child.process.kill('SIGTERM');
  await new Promise((resolve) => setTimeout(resolve, 500));
  await expect(fetch(new URL('/healthz', child.url))).rejects.toThrow();
  expect(socket.destroyed).toBe(false);

  socket.write(body.slice(40));
  await ended;
  const [head, answer] = received.split('\r\n\r\n');
  expect(head).toMatch(/^HTTP\/1\.1 200 /);
  expect(head.toLowerCase()).toContain('connection: close');
  expect(answer).toMatch(/"createIssue":\{"id":"iss_/);
  expect(await child.exited).toEqual({ code: 0, signal: null });
});
