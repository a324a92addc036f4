// The claim looks past a saturated webhook's backlog: the first step reads a bounded window of the
// queue in due order, and when saturated webhooks fill it, the second finds the other webhooks'
// due work through the (webhookId, nextAttemptAt, id) index. Driven by hand (openApp: no
// dispatcher), on both databases.
import fs from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createQueue, type DeliveryQueue } from '../../src/db/queue.ts';
import { actorForToken, bootstrap } from '../../src/domain/accounts.ts';
import { createWebhook, testWebhook } from '../../src/domain/webhooks.ts';
import { openApp, type OpenedApp } from '../../src/service.ts';
import { createTestDatabase, TEST_ENV, tempDir, type TestDatabase } from '../support/service.ts';

const dir = tempDir('hookwarden-claim-');
let database: TestDatabase;
let opened: OpenedApp;
let queue: DeliveryQueue;
let busy: string;
let quiet: string;
let quietDelivery: string;
const busyDeliveries: string[] = [];

beforeAll(async () => {
  database = await createTestDatabase(dir);
  opened = await openApp(loadConfig({ ...TEST_ENV, ...database.env, PORT: '0', HOST: '127.0.0.1' }));
  const { app } = opened;
  const actor = (await actorForToken(app, await bootstrap(app, 'Claims', 'ops@claims.test')))!;
  const webhook = (name: string) => createWebhook(app, actor, { name, url: `http://127.0.0.1:9/${name}`, events: ['issue.created'] });
  busy = (await webhook('busy')).webhook.id;
  quiet = (await webhook('quiet')).webhook.id;
  // The busy webhook's backlog is older than the quiet webhook's one delivery.
  const created = async (deliveryId: string) => deliveryId;
  for (let i = 0; i < 40; i += 1) busyDeliveries.push(await testWebhook(app, actor, busy, created));
  quietDelivery = await testWebhook(app, actor, quiet, created);
  queue = createQueue(app.db);
});

afterAll(async () => {
  await opened?.close();
  await database?.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const claim = (request: { limit: number; perWebhook: number; saturated: string[] }) =>
  queue.claim({ now: Date.now() + 1000, leaseMarginMs: 60_000, ...request });

it("a saturated webhook's backlog, longer than the claim's window, does not hide another webhook's due delivery", async () => {
  // limit 2: a window of 8 candidates, all of the busy webhook.
  const claimed = await claim({ limit: 2, perWebhook: 4, saturated: [busy] });
  expect(claimed.map((d) => d.id)).toEqual([quietDelivery]);
});

it('without saturation the oldest due work comes first, at most perWebhook of a webhook', async () => {
  const claimed = await claim({ limit: 3, perWebhook: 3, saturated: [] });
  expect(claimed.map((d) => d.id)).toEqual(busyDeliveries.slice(0, 3));
  // Leased now: the next claim takes the next ones.
  expect((await claim({ limit: 2, perWebhook: 10, saturated: [] })).map((d) => d.id)).toEqual(busyDeliveries.slice(3, 5));
});

it('the next due time is the earliest open delivery due after the given time; finished ones do not count', async () => {
  const rows = await opened.app.db.prisma.delivery.findMany({ where: { id: { in: [...busyDeliveries, quietDelivery] } }, select: { id: true, nextAttemptAt: true } });
  const due = rows.map((row) => row.nextAttemptAt!.getTime()).sort((a, b) => a - b);
  expect(await queue.nextDueAt(due[0] - 1)).toBe(due[0]);
  expect(await queue.nextDueAt(due.at(-1)!)).toBeNull();
  // Leases do not matter (the claims above leased some): only what falls due after the time does.
  const earliest = rows.find((row) => row.nextAttemptAt!.getTime() === due[0])!;
  await opened.app.db.prisma.delivery.update({ where: { id: earliest.id }, data: { status: 'SUCCEEDED', nextAttemptAt: null } });
  const left = due.slice(1);
  expect(await queue.nextDueAt(due[0] - 1)).toBe(left.length ? left[0] : null);
});
