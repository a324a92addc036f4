// delivery.md "Deliveries are durable: a process killed at any moment loses no delivery; after
// restart, everything due is sent. Delivery is at least once." The real service as a child process,
// killed with SIGKILL mid-stream and stopped with SIGTERM mid-stream, restarted on the same SQLite file.
//
// The backlog is made through the real GraphQL API of an in-process server that has no dispatcher
// (openApp + startServer), on the same database file, before the child starts: the child then
// streams a real backlog at full speed, so the kill surely lands with attempts in flight (a
// dispatcher started first keeps up with the mutations, and a kill would find almost nothing open).
import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { bootstrap } from '../../src/domain/accounts.ts';
import { startServer } from '../../src/server.ts';
import { openApp } from '../../src/service.ts';
import { graphqlClient, type GraphQLClient } from '../support/graphql.ts';
import { bootstrapToken, killChildren, spawnChild, type Child } from '../support/processes.ts';
import { startReceiver, waitUntil, type Receiver } from '../support/receiver.ts';
import { tempDir } from '../support/service.ts';

const CONCURRENCY = 64; // HOOKWARDEN_CONCURRENCY's default: the most attempts one process has in flight
// Sent but not yet recorded when the process dies: the attempts in flight, plus one batch of
// finished attempts whose write was under way (the dispatcher keeps sending while it writes).
const UNRECORDED_AT_MOST = 2 * CONCURRENCY;
const t0 = Date.now();
const phase = (name: string) => process.env.DURABILITY_TRACE && console.log(`${((Date.now() - t0) / 1000).toFixed(1)}s ${name}`);

/** Every service child, so the last test can read everything they wrote. */
const spawned: Child[] = [];
const receivers: Receiver[] = [];
const dirs: string[] = [];

afterAll(async () => {
  killChildren();
  await Promise.all(receivers.map((r) => r.close().catch(() => {})));
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** Spawns the service on databaseUrl; returns at once (its dispatcher starts before its HTTP server). */
function spawnService(databaseUrl: string): Promise<Child> {
  return spawnChild({
    DATABASE_URL: databaseUrl,
    HOOKWARDEN_ALLOW_INSECURE_TARGETS: 'true',
    HOOKWARDEN_RETRY_BASE_MS: '20',
    HOOKWARDEN_RETRY_MAX_MS: '100',
    HOOKWARDEN_LEASE_MARGIN_MS: '1000',
    HOOKWARDEN_POLL_INTERVAL_MS: '200', // as TEST_ENV: expired leases are found soon after a restart
    // Not under test here: on a loaded machine a few attempts may time out, and the breaker must
    // not disable a webhook (cancelling its deliveries) in the middle of the stream.
    HOOKWARDEN_CIRCUIT_BREAKER_THRESHOLD: '1000000',
    LOG_LEVEL: 'warn',
  }).then((child) => {
    spawned.push(child);
    return child;
  });
}

/** Reads the service's SQLite file read-only (the service keeps writing it). */
function readDb<T>(databaseUrl: string, read: (db: BetterSqlite3.Database) => T): T {
  const db = new BetterSqlite3(databaseUrl.slice('file:'.length), { readonly: true, fileMustExist: true, timeout: 5_000 });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

function statusCounts(databaseUrl: string): Record<string, number> {
  const rows = readDb(databaseUrl, (db) => db.prepare('SELECT "status", COUNT(*) AS n FROM "Delivery" GROUP BY "status"').all() as Array<{ status: string; n: number }>);
  return Object.fromEntries(rows.map((row) => [row.status, row.n]));
}

async function createWebhooks(admin: GraphQLClient, receiver: Receiver, count: number, prefix: string, timeoutMs: number): Promise<Map<string, string>> {
  const paths = new Map<string, string>();
  for (let i = 0; i < count; i += 1) {
    const path = `/${prefix}-${i}`;
    const { createWebhook } = await admin.must(
      `mutation ($input: CreateWebhookInput!) { createWebhook(input: $input) { webhook { id } } }`,
      { input: { name: `${prefix} ${i}`, url: receiver.url(path), events: ['issue.created'], timeoutMs, retryCount: 10 } },
    );
    paths.set(createWebhook.webhook.id, path);
  }
  return paths;
}

/** `count` createIssue mutations, `batch` at a time; returns when every one has committed. */
async function createIssues(admin: GraphQLClient, count: number, batch: number): Promise<void> {
  for (let done = 0; done < count; done += batch) {
    const size = Math.min(batch, count - done);
    await Promise.all(
      Array.from({ length: size }, (_, i) =>
        admin.must(`mutation ($w: String!) { createIssue(input: { pluginId: "durability", severity: HIGH, weakness: $w }) { id } }`, { w: `W${done + i}` }),
      ),
    );
  }
}

/**
 * A token from the CLI (or, to save a cold start, from the same code in process), then webhooks and
 * issues through the GraphQL API of a server without a dispatcher on the same database file: a
 * backlog of webhooks × issues PENDING deliveries.
 */
async function prepareBacklog(databaseUrl: string, receiver: Receiver, prefix: string, webhooks: number, issues: number, timeoutMs: number, viaCli = true) {
  const opened = await openApp(
    loadConfig({ DATABASE_URL: databaseUrl, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', HOOKWARDEN_ALLOW_INSECURE_TARGETS: 'true' }),
  );
  try {
    const token = viaCli ? await bootstrapToken({ DATABASE_URL: databaseUrl }, 'Durable', 'ops@durable.test') : await bootstrap(opened.app, 'Durable', 'ops@durable.test');
    const http = await startServer(opened.app, 0, '127.0.0.1');
    try {
      const admin = graphqlClient(http.url, token);
      const paths = await createWebhooks(admin, receiver, webhooks, prefix, timeoutMs);
      await createIssues(admin, issues, 50);
      return { token, paths };
    } finally {
      await http.close();
    }
  } finally {
    await opened.close();
  }
}

interface Tally {
  expectedPairs: number;
  /** Requests the receiver got beyond the attempts recorded for their delivery: sends whose outcome was lost. */
  unrecorded: number;
  /** Recorded attempts that failed (timeouts under load, say): legitimate retries, not caused by a crash. */
  failedAttempts: number;
  missing: string[];
  strays: number;
  received: number;
  distinct: number;
  duplicates: number;
}

/** Every (webhook, event) delivery of the database against what the receiver saw on that webhook's path. */
function tally(databaseUrl: string, receiver: Receiver, paths: Map<string, string>): Tally {
  const rows = readDb(
    databaseUrl,
    (db) =>
      db
        .prepare(
          `SELECT d."webhookId", d."eventId", COUNT(a."id") AS "attempts", COALESCE(SUM(CASE WHEN a."success" THEN 0 ELSE 1 END), 0) AS "failed"
           FROM "Delivery" d LEFT JOIN "DeliveryAttempt" a ON a."deliveryId" = d."id" GROUP BY d."id"`,
        )
        .all() as Array<{ webhookId: string; eventId: string; attempts: number; failed: number }>,
  );
  const key = (path: string | undefined, eventId: string | undefined) => `${path} ${eventId}`;
  const expected = new Set(rows.map((row) => key(paths.get(row.webhookId), row.eventId)));
  const ours = receiver.requests.filter((r) => [...paths.values()].includes(r.path));
  const seen = new Set(ours.map((r) => key(r.path, r.webhookId)));
  const receivedPer = new Map<string, number>();
  for (const r of ours) receivedPer.set(key(r.path, r.webhookId), (receivedPer.get(key(r.path, r.webhookId)) ?? 0) + 1);
  let unrecorded = 0;
  for (const row of rows) unrecorded += Math.max(0, (receivedPer.get(key(paths.get(row.webhookId), row.eventId)) ?? 0) - row.attempts);
  return {
    expectedPairs: expected.size,
    unrecorded,
    failedAttempts: rows.reduce((sum, row) => sum + Number(row.failed), 0),
    missing: [...expected].filter((pair) => !seen.has(pair)),
    strays: [...seen].filter((pair) => !expected.has(pair)).length,
    received: ours.length,
    distinct: seen.size,
    duplicates: ours.length - seen.size,
  };
}

async function waitAllSucceeded(databaseUrl: string, total: number, child: Child, timeoutMs: number): Promise<void> {
  await waitUntil(() => (statusCounts(databaseUrl).SUCCEEDED ?? 0) === total, `all ${total} deliveries to be SUCCEEDED`, timeoutMs).catch((error) => {
    throw new Error(`${error.message}: ${JSON.stringify(statusCounts(databaseUrl))}\n${child.output.join('').slice(-2000)}`);
  });
}

it('SIGKILL mid-stream loses no delivery: after a restart every event reaches every webhook, duplicates bounded by what was in flight', async () => {
  const dir = tempDir('hookwarden-durability-');
  dirs.push(dir);
  const databaseUrl = `file:${path.join(dir, 'db')}`;
  const receiver = await startReceiver();
  receivers.push(receiver);
  const WEBHOOKS = 10;
  const ISSUES = 100;
  const total = WEBHOOKS * ISSUES;

  phase('kill: start');
  // A short timeout keeps the leases of the killed process short (timeout + 1 s margin).
  const { token, paths } = await prepareBacklog(databaseUrl, receiver, 'kill', WEBHOOKS, ISSUES, 2000);
  for (const path of paths.values()) receiver.script(path, [{ status: 200, delayMs: 5 }]);
  expect(statusCounts(databaseUrl)).toEqual({ PENDING: total });
  expect(receiver.requests).toHaveLength(0);
  phase('kill: backlog ready');

  const first = await spawnService(databaseUrl);
  // Kill once a part of the stream has arrived: mid-stream, not before and not after.
  await waitUntil(() => receiver.requests.length >= total * 0.2, 'the first deliveries to arrive', 20_000);
  first.process.kill('SIGKILL');
  const { signal } = await first.exited;
  expect(signal).toBe('SIGKILL');
  const atKill = tally(databaseUrl, receiver, paths);
  const statusAtKill = statusCounts(databaseUrl);
  phase(`kill: killed at ${atKill.received} ${JSON.stringify(statusAtKill)}`);

  expect(atKill.expectedPairs).toBe(total);
  expect(atKill.distinct).toBeGreaterThan(0);
  // The precondition of the test: the kill really interrupted the stream.
  expect(atKill.distinct, `all ${total} had arrived before the kill`).toBeLessThan(total);
  expect((statusAtKill.PENDING ?? 0) + (statusAtKill.RETRYING ?? 0)).toBeGreaterThan(0);

  const second = await spawnService(databaseUrl);
  await second.ready;
  phase('kill: restarted');
  await waitAllSucceeded(databaseUrl, total, second, 30_000);
  phase('kill: all succeeded');

  const after = tally(databaseUrl, receiver, paths);
  expect(statusCounts(databaseUrl)).toEqual({ SUCCEEDED: total });
  expect(after.expectedPairs).toBe(total);
  expect(after.missing).toEqual([]);
  expect(after.strays).toBe(0);
  for (const [webhookId, path] of paths) {
    const distinct = new Set(receiver.on(path).map((r) => r.webhookId));
    expect(distinct.size, `distinct webhook-ids on ${webhookId}`).toBe(ISSUES);
  }
  // At least once: only the attempts that were in flight at the kill may be repeated. Sends whose
  // outcome was never recorded are exactly those; recorded failures (a timeout under load) are ordinary retries.
  const context = JSON.stringify({ ...after, missing: after.missing.length, receivedAtKill: atKill.received, statusAtKill });
  phase(`kill: ${context}`);
  expect(after.unrecorded, context).toBeLessThanOrEqual(UNRECORDED_AT_MOST);
  expect(after.duplicates, context).toBeLessThanOrEqual(UNRECORDED_AT_MOST + after.failedAttempts);

  // The restarted service serves the same organization: the CLI's token still works.
  const viewer = await graphqlClient(second.url, token).must('{ viewer { organization { name } } }');
  expect(viewer.viewer.organization.name).toBe('Durable');

  second.process.kill('SIGTERM');
  expect((await second.exited).code).toBe(0);
}, 60_000);

it('SIGTERM mid-stream: the process exits 0 within a few seconds, and after a restart everything is delivered', async () => {
  const dir = tempDir('hookwarden-sigterm-');
  dirs.push(dir);
  const databaseUrl = `file:${path.join(dir, 'db')}`;
  const receiver = await startReceiver();
  receivers.push(receiver);
  const WEBHOOKS = 4;
  const ISSUES = 60;
  const total = WEBHOOKS * ISSUES;

  phase('term: start');
  const { paths } = await prepareBacklog(databaseUrl, receiver, 'term', WEBHOOKS, ISSUES, 10_000, false);
  // Slow answers, so that attempts are surely in flight when the signal comes.
  for (const path of paths.values()) receiver.script(path, [{ status: 200, delayMs: 40 }]);
  phase('term: backlog ready');

  const first = await spawnService(databaseUrl);
  await waitUntil(() => receiver.requests.length >= 40, 'the first deliveries to arrive', 20_000);
  const signalled = Date.now();
  first.process.kill('SIGTERM');
  const exit = await Promise.race([first.exited, new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 8_000))]);
  const stopMs = Date.now() - signalled;
  expect(exit, first.output.join('').slice(-2000)).toEqual({ code: 0, signal: null });
  expect(stopMs).toBeLessThan(5_000);

  const atStop = tally(databaseUrl, receiver, paths);
  phase(`term: stopped in ${stopMs} ms at ${atStop.received}`);
  expect(atStop.expectedPairs).toBe(total);
  expect(atStop.distinct, 'everything arrived before SIGTERM: the test proves nothing').toBeLessThan(total);
  // A clean stop finishes or gives back what it held: no lease is left to expire.
  const leased = readDb(databaseUrl, (db) => (db.prepare('SELECT COUNT(*) AS n FROM "Delivery" WHERE "leaseExpiresAt" IS NOT NULL').get() as { n: number }).n);
  expect(leased).toBe(0);
  // Every request that reached the receiver before the stop has its attempt recorded.
  expect(atStop.unrecorded).toBe(0);

  const second = await spawnService(databaseUrl);
  await waitAllSucceeded(databaseUrl, total, second, 20_000);
  const after = tally(databaseUrl, receiver, paths);
  expect(statusCounts(databaseUrl)).toEqual({ SUCCEEDED: total });
  expect(after.missing).toEqual([]);
  expect(after.strays).toBe(0);
  // Attempts in flight at SIGTERM were finished and recorded: nothing was sent without its outcome being kept.
  const context = JSON.stringify({ ...after, missing: after.missing.length, stopMs });
  phase(`term: ${context}`);
  expect(after.unrecorded, context).toBe(0);
  expect(after.duplicates, context).toBe(after.failedAttempts);

  await second.ready;
  second.process.kill('SIGTERM');
  expect((await second.exited).code).toBe(0);
}, 45_000);

it('under this load the service wrote no Node warnings (MaxListenersExceededWarning: a false "memory leak")', () => {
  const output = spawned.map((child) => child.output.join('')).join('');
  expect(output, 'the tests above must have run').toContain('Hookwarden is running');
  expect(output).not.toMatch(/MaxListenersExceededWarning|Possible EventTarget memory leak/);
});
