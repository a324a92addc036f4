// Several instances on one PostgreSQL database and one Redis (issue 6): three services as child
// processes share the queue; one is SIGKILLed midway. Every delivery must end SUCCEEDED, a
// receiver may see a request twice only for an attempt the killed instance never got to record,
// and a subscription on a surviving instance sees every delivery's final status.
import fs from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, expect, it, onTestFailed } from 'vitest';
import { graphqlClient, subscribe, type Subscription } from '../support/graphql.ts';
import { bootstrapToken, killChildren, startChild, type Child } from '../support/processes.ts';
import { startReceiver, waitUntil, type Receiver } from '../support/receiver.ts';
import { createTestDatabase, instancesEnv, tempDir, type TestDatabase } from '../support/service.ts';

const WEBHOOKS = 10;
const ISSUES = 300; // × 10 webhooks = 3,000 deliveries
const CONCURRENCY = 16; // per instance
// What the killed instance can have sent without recording: its attempts in flight, plus one
// batch of finished attempts whose write was under way.
const UNRECORDED_AT_MOST = 2 * CONCURRENCY;

const dir = tempDir();
let database: TestDatabase;
let receiver: Receiver;
let env: Record<string, string>;
const instances: Child[] = [];
let watcher: Subscription<{ deliveryUpdated: { id: string; status: string } }> | null = null;

beforeAll(async () => {
  database = await createTestDatabase(dir, 'postgres');
  receiver = await startReceiver();
  env = instancesEnv(database, {
    HOOKWARDEN_RETRY_BASE_MS: '20',
    HOOKWARDEN_RETRY_MAX_MS: '100',
    // Long enough that a loaded machine never lets a live instance's lease lapse: only the killed one's do.
    HOOKWARDEN_LEASE_MARGIN_MS: '5000',
    HOOKWARDEN_POLL_INTERVAL_MS: '250',
    HOOKWARDEN_CONCURRENCY: String(CONCURRENCY),
  });
  for (let i = 0; i < 3; i += 1) instances.push(await startChild(env));
}, 90_000);

afterAll(async () => {
  await watcher?.close();
  killChildren();
  await receiver?.close();
  await database?.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function statusCounts(): Promise<Record<string, number>> {
  const client = new pg.Client({ connectionString: env.DATABASE_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ status: string; n: string }>('SELECT "status", COUNT(*) AS n FROM "Delivery" GROUP BY "status"');
    return Object.fromEntries(rows.map((row) => [row.status, Number(row.n)]));
  } finally {
    await client.end();
  }
}

async function attemptsPerDelivery(): Promise<Map<string, { webhookId: string; eventId: string; attempts: number }>> {
  const client = new pg.Client({ connectionString: env.DATABASE_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: string; webhookId: string; eventId: string; attempts: string }>(
      `SELECT d."id", d."webhookId", d."eventId", COUNT(a."id") AS attempts
       FROM "Delivery" d LEFT JOIN "DeliveryAttempt" a ON a."deliveryId" = d."id" GROUP BY d."id"`,
    );
    return new Map(rows.map((row) => [row.id, { webhookId: row.webhookId, eventId: row.eventId, attempts: Number(row.attempts) }]));
  } finally {
    await client.end();
  }
}

it('three instances deliver 3,000 deliveries with one SIGKILLed midway', async () => {
  onTestFailed(() => instances.forEach((instance, n) => console.error(`instance ${n} said:\n${instance.output.join('').slice(-4000)}`)));
  const token = await bootstrapToken(env, 'Scale', 'ops@scale.test');
  const [a, b, c] = instances.map((instance) => graphqlClient(instance.url, token));
  watcher = subscribe(instances[2].wsUrl, token, 'subscription { deliveryUpdated { id status } }');
  await watcher.connected;

  const paths = new Map<string, string>();
  for (let i = 0; i < WEBHOOKS; i += 1) {
    const path = `/scale-${i}`;
    receiver.script(path, [{ status: 200, delayMs: 5 }]);
    const { createWebhook } = await a.must('mutation ($input: CreateWebhookInput!) { createWebhook(input: $input) { webhook { id } } }', {
      input: { name: `scale ${i}`, url: receiver.url(path), events: ['issue.created'], retryCount: 10, timeoutMs: 2000 },
    });
    paths.set(createWebhook.webhook.id, path);
  }

  // Issues go in through all three instances, 10 at a time.
  const clients = [a, b, c];
  let killed = false;
  for (let done = 0; done < ISSUES; done += 10) {
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        clients[(done + i) % 3].must('mutation ($w: String!) { createIssue(input: { pluginId: "scale", severity: LOW, weakness: $w }) { id } }', {
          w: `W${done + i}`,
        }),
      ),
    );
    if (!killed && receiver.requests.length >= 600) {
      instances[1].process.kill('SIGKILL');
      await instances[1].exited;
      killed = true;
      clients[1] = clients[0];
    }
  }
  if (!killed) {
    instances[1].process.kill('SIGKILL');
    await instances[1].exited;
  }

  await waitUntil(async () => (await statusCounts()).SUCCEEDED === ISSUES * WEBHOOKS, 'every delivery SUCCEEDED', 90_000);
  expect(await statusCounts()).toEqual({ SUCCEEDED: ISSUES * WEBHOOKS });

  // Receiver side: every (webhook, event) arrived; an extra arrival is an attempt nobody recorded.
  const deliveries = await attemptsPerDelivery();
  const received = new Map<string, number>();
  for (const request of receiver.requests) {
    const key = `${request.path} ${request.webhookId}`;
    received.set(key, (received.get(key) ?? 0) + 1);
  }
  let duplicates = 0;
  for (const delivery of deliveries.values()) {
    const count = received.get(`${paths.get(delivery.webhookId)} ${delivery.eventId}`) ?? 0;
    expect(count, `requests for ${delivery.eventId} on ${paths.get(delivery.webhookId)}`).toBeGreaterThanOrEqual(1);
    expect(count - delivery.attempts, 'unrecorded attempts of one delivery').toBeLessThanOrEqual(1);
    duplicates += count - delivery.attempts;
  }
  expect(duplicates).toBeLessThanOrEqual(UNRECORDED_AT_MOST);

  // The surviving instance's subscriber heard every delivery end, whichever instance sent it.
  await waitUntil(
    () => new Set(watcher!.items.filter((item) => item.deliveryUpdated.status === 'SUCCEEDED').map((item) => item.deliveryUpdated.id)).size === deliveries.size,
    'a SUCCEEDED update for every delivery on the subscription',
    20_000,
  );
}, 180_000);
