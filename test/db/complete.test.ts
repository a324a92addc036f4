// Recording attempts reads (on PostgreSQL: locks) only the webhook counters the batch may change:
// those of webhooks with a failed attempt, and those with failures to reset. Driven by hand
// (openApp: no dispatcher), on both databases; the row locks on PostgreSQL.
import fs from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createQueue, type AttemptRecord, type ClaimedDelivery, type DeliveryQueue } from '../../src/db/queue.ts';
import type { Verdict } from '../../src/delivery/retry-policy.ts';
import type { Actor } from '../../src/domain/access.ts';
import { actorForToken, bootstrap } from '../../src/domain/accounts.ts';
import { createWebhook, testWebhook } from '../../src/domain/webhooks.ts';
import { openApp, type OpenedApp } from '../../src/service.ts';
import { createTestDatabase, TEST_DATABASE, TEST_ENV, tempDir, type TestDatabase } from '../support/service.ts';

const THRESHOLD = 5;
const dir = tempDir('hookwarden-complete-');
let database: TestDatabase;
let opened: OpenedApp;
let queue: DeliveryQueue;
let actor: Actor;

beforeAll(async () => {
  database = await createTestDatabase(dir);
  opened = await openApp(loadConfig({ ...TEST_ENV, ...database.env, PORT: '0', HOST: '127.0.0.1' }));
  actor = (await actorForToken(opened.app, await bootstrap(opened.app, 'Complete', 'ops@complete.test')))!;
  queue = createQueue(opened.app.db);
});

afterAll(async () => {
  await opened?.close();
  await database?.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

let webhooks = 0;
/** A webhook with one delivery, claimed: what an attempt of it records. */
async function claimedDelivery(): Promise<ClaimedDelivery> {
  webhooks += 1;
  const { webhook } = await createWebhook(opened.app, actor, { name: `w${webhooks}`, url: `http://127.0.0.1:9/w${webhooks}`, events: ['issue.created'] });
  const deliveryId = await testWebhook(opened.app, actor, webhook.id, async (id) => id);
  const claimed = await queue.claim({ now: Date.now() + 1000, leaseMarginMs: 60_000, limit: 100, perWebhook: 10, saturated: [] });
  return claimed.find((d) => d.id === deliveryId)!;
}

function attempt(delivery: ClaimedDelivery, statusCode: number, verdict: Verdict): AttemptRecord {
  return {
    delivery,
    startedAt: new Date(),
    durationMs: 3,
    statusCode,
    success: statusCode < 300,
    error: null,
    responseBody: 'x',
    requestHeaders: { 'content-type': 'application/json' },
    verdict,
  };
}

const counter = async (webhookId: string) =>
  (await opened.app.db.prisma.webhook.findUniqueOrThrow({ where: { id: webhookId }, select: { consecutiveFailures: true } })).consecutiveFailures;

const complete = (records: AttemptRecord[]) => queue.complete(records, THRESHOLD, () => {});

it('a success to a webhook with no failures counted changes no webhook; one with failures counted resets them', async () => {
  const clean = await claimedDelivery();
  const failing = await claimedDelivery();
  await opened.app.db.prisma.webhook.update({ where: { id: failing.webhookId }, data: { consecutiveFailures: 2 } });
  const outcome = await complete([attempt(clean, 200, { kind: 'succeeded' }), attempt(failing, 204, { kind: 'succeeded' })]);
  expect(outcome.deliveries.map((d) => [d.deliveryId, d.status])).toEqual(
    expect.arrayContaining([
      [clean.id, 'SUCCEEDED'],
      [failing.id, 'SUCCEEDED'],
    ]),
  );
  expect(outcome.webhooks).toEqual([
    { webhookId: failing.webhookId, organizationId: failing.organizationId, breaker: { consecutiveFailures: 0, enabled: true } },
  ]);
  expect([await counter(clean.webhookId), await counter(failing.webhookId)]).toEqual([0, 0]);
});

it('a failure counts from what the webhook has: the batch reaching the threshold disables it', async () => {
  const delivery = await claimedDelivery();
  await opened.app.db.prisma.webhook.update({ where: { id: delivery.webhookId }, data: { consecutiveFailures: THRESHOLD - 1 } });
  const outcome = await complete([attempt(delivery, 400, { kind: 'failed' })]);
  expect(outcome.webhooks).toEqual([
    {
      webhookId: delivery.webhookId,
      organizationId: delivery.organizationId,
      breaker: { consecutiveFailures: THRESHOLD, enabled: false, disabledReason: `circuit breaker: ${THRESHOLD} consecutive failed attempts` },
    },
  ]);
  expect(await counter(delivery.webhookId)).toBe(THRESHOLD);
});

it.runIf(TEST_DATABASE === 'postgres')(
  "on PostgreSQL, successes do not wait for another transaction holding a clean webhook's row; a failure does",
  async () => {
    const succeeding = await claimedDelivery();
    const failing = await claimedDelivery();
    const holder = new pg.Client({ connectionString: database.env.DATABASE_URL });
    await holder.connect();
    try {
      // Another instance settling these webhooks: their rows locked until it commits.
      await holder.query('BEGIN');
      await holder.query(`SELECT "id" FROM "Webhook" WHERE "id" = ANY($1) FOR NO KEY UPDATE`, [[succeeding.webhookId, failing.webhookId]]);
      const state = { failureRecorded: false };
      const failure = complete([attempt(failing, 500, { kind: 'failed' })]).then((outcome) => {
        state.failureRecorded = true;
        return outcome;
      });
      // The success is recorded while the lock is held: its webhook's row was not read for update.
      const success = await complete([attempt(succeeding, 200, { kind: 'succeeded' })]);
      expect(success.deliveries.map((d) => d.status)).toEqual(['SUCCEEDED']);
      // The failure waits for the row: its counter must not be lost to the other instance's write.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(state.failureRecorded).toBe(false);
      await holder.query('COMMIT');
      expect((await failure).webhooks.map((w) => w.breaker?.consecutiveFailures)).toEqual([1]);
    } finally {
      await holder.end();
    }
  },
);
