// Found by durability.test.ts under load ("could not record attempts … UNIQUE constraint failed:
// DeliveryAttempt.deliveryId, DeliveryAttempt.number" in the service log). When a delivery's lease
// lapses before its attempt has been recorded (attempt + batch write slower than timeout + lease
// margin), the same process, or another instance, claims it again with the same attemptCount, and
// two attempts of it end up being recorded. The dispatcher writes results in batches, one
// transaction per batch, and only logs when that transaction fails: every other result of the batch
// is thrown away, and those deliveries are sent again once their leases lapse, although they were
// not in flight ("only in-flight attempts can be repeated", src/db/queue.ts). The queue is driven by
// hand here, on a real SQLite file, with no dispatcher running.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createQueue, type AttemptRecord, type ClaimedDelivery, type DeliveryQueue } from '../../src/db/queue.ts';
import { actorForToken, bootstrap } from '../../src/domain/accounts.ts';
import { createIssue } from '../../src/domain/issues.ts';
import { createWebhook } from '../../src/domain/webhooks.ts';
import { openApp, type OpenedApp } from '../../src/service.ts';
import { TEST_ENV, tempDir } from '../support/service.ts';

const dirs: string[] = [];
const apps: OpenedApp[] = [];

afterAll(async () => {
  for (const opened of apps) await opened.close().catch(() => {});
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** A database of its own with one webhook; openApp only, so no dispatcher claims behind the test's back. */
async function fresh() {
  const dir = tempDir('hookwarden-stale-lease-');
  dirs.push(dir);
  const opened = await openApp(loadConfig({ ...TEST_ENV, DATABASE_URL: `file:${path.join(dir, 'db')}`, PORT: '0', HOST: '127.0.0.1' }));
  apps.push(opened);
  const { app } = opened;
  const actor = (await actorForToken(app, await bootstrap(app, 'Stale', 'ops@stale.test')))!;
  await createWebhook(app, actor, { name: 'w', url: 'http://127.0.0.1:9/never-contacted', events: ['issue.created'], timeoutMs: 1000 });
  const queue: DeliveryQueue = createQueue(app.db);
  return {
    prisma: app.db.prisma,
    /** Each issue: one event, one PENDING delivery to the webhook. */
    async newDeliveries(count: number) {
      for (let i = 0; i < count; i += 1) await createIssue(app, actor, { pluginId: 'p', severity: 'HIGH', weakness: `W${i}` });
    },
    claim: (now: number, limit: number) => queue.claim({ now, limit, perWebhook: 10, saturated: [], leaseMarginMs: 1000 }),
    // The third argument (a hook the newest queue takes) is ignored by older ones.
    complete: (records: AttemptRecord[]) => (queue.complete as (...args: unknown[]) => Promise<unknown>)(records, 20, () => {}),
  };
}

/** A 200 answer to `delivery` as the dispatcher records it (older queue versions also took the attempt number). */
function succeeded(delivery: ClaimedDelivery): AttemptRecord {
  const record = {
    delivery,
    number: delivery.attemptCount + 1,
    startedAt: new Date(),
    durationMs: 5,
    statusCode: 200,
    success: true,
    error: null,
    responseBody: 'ok',
    requestHeaders: {},
    verdict: { kind: 'succeeded' },
  };
  return record as unknown as AttemptRecord;
}

it('a stale duplicate record of one delivery does not throw away the other results of its batch', async () => {
  const { newDeliveries, claim, complete, prisma } = await fresh();
  await newDeliveries(2);
  const now = Date.now();
  const first = await claim(now, 10);
  expect(first).toHaveLength(2);
  const [d1, d2] = first;

  // Recording took longer than timeout + margin: the lease of d1 lapsed and d1 is claimed again.
  const again = await claim(now + 60_000, 1);
  expect(again.map((d) => d.id)).toEqual([d1.id]);
  expect(again[0].attemptCount).toBe(d1.attemptCount);

  // The first attempt of d1 is recorded...
  await complete([succeeded(d1)]);
  // ...then a batch holding the stale second attempt of d1 and the one real attempt of d2.
  let error: unknown = null;
  await complete([succeeded(again[0]), succeeded(d2)]).catch((e) => (error = e));

  const stored = await prisma.delivery.findUniqueOrThrow({ where: { id: d2.id } });
  const attempts = await prisma.deliveryAttempt.count({ where: { deliveryId: d2.id } });
  // d2 was answered 200 once and was never in flight twice: its result must be kept.
  const why = `complete() ${error ? `failed: ${String(error).replace(/\s+/g, ' ').slice(-160)}` : 'succeeded'}`;
  expect(stored.status, why).toBe('SUCCEEDED');
  expect(attempts, why).toBe(1);
});

it('two attempts of one delivery in the same batch (its lease lapsed while the first was in flight) do not throw away the batch', async () => {
  const { newDeliveries, claim, complete, prisma } = await fresh();
  await newDeliveries(2);
  const now = Date.now();
  const first = await claim(now, 10);
  expect(first).toHaveLength(2);
  const [e1, e2] = first;
  const again = await claim(now + 60_000, 1);
  expect(again.map((d) => d.id)).toEqual([e1.id]);

  // Both sends of e1 and the one send of e2 finish and are written together.
  let error: unknown = null;
  await complete([succeeded(e1), succeeded(again[0]), succeeded(e2)]).catch((e) => (error = e));

  const why = `complete() ${error ? `failed: ${String(error).replace(/\s+/g, ' ').slice(-160)}` : 'succeeded'}`;
  const [s1, s2] = await Promise.all([e1, e2].map((d) => prisma.delivery.findUniqueOrThrow({ where: { id: d.id } })));
  expect(s2.status, why).toBe('SUCCEEDED');
  expect(await prisma.deliveryAttempt.count({ where: { deliveryId: e2.id } }), why).toBe(1);
  expect(s1.status, why).toBe('SUCCEEDED');
  expect(await prisma.deliveryAttempt.count({ where: { deliveryId: e1.id } }), why).toBeGreaterThanOrEqual(1);
});
