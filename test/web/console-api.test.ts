// The API additions the console reads: the filtered delivery log, delivery counts per bucket, a
// webhook's health and "retry failed", through the real server, with their authorization.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idAt } from '../../src/domain/console.ts';
import { newIdAt } from '../../src/domain/ids.ts';
import { errorCode, type GraphQLClient } from '../support/graphql.ts';
import { startReceiver, waitUntil, type Receiver } from '../support/receiver.ts';
import { startTestService, type TestService } from '../support/service.ts';

let hw: TestService;
let receiver: Receiver;
let admin: GraphQLClient;
let member: GraphQLClient;
let viewer: GraphQLClient;
let other: GraphQLClient;
let webhookId = '';
let otherWebhookId = '';
/** Event ids by what happened to their delivery. */
const events = { ok: [] as string[], failed: '', changed: '' };
let startedAt = 0;

const LOG = `query ($webhookId: ID, $status: DeliveryStatus, $eventType: String, $since: DateTime, $until: DateTime,
  $statusCode: Int, $search: String, $first: Int, $after: String) {
  deliveryLog(webhookId: $webhookId, status: $status, eventType: $eventType, since: $since, until: $until,
    statusCode: $statusCode, search: $search, first: $first, after: $after) {
    edges { node { id eventId eventType status lastStatusCode createdAt } }
    pageInfo { hasNextPage endCursor }
  }
}`;

const STATS = `query ($webhookId: ID, $since: DateTime!, $bucketMinutes: Int) {
  deliveryStats(webhookId: $webhookId, since: $since, bucketMinutes: $bucketMinutes) {
    since until bucketMinutes
    buckets { start counts { pending retrying succeeded failed cancelled total } }
    totals { pending retrying succeeded failed cancelled total }
  }
}`;

const HEALTH = `query ($id: ID!) { webhook(id: $id) { id health { since attempts successfulAttempts successRate p95DurationMs hourly { start attempts successfulAttempts } } } }`;

const RETRY = `mutation ($id: ID!, $since: DateTime!) { retryFailedDeliveries(webhookId: $id, since: $since) { queued hasMore } }`;

type Row = { id: string; eventId: string; eventType: string; status: string; lastStatusCode: number | null; createdAt: string };

async function log(client: GraphQLClient, variables: Record<string, unknown>): Promise<Row[]> {
  const { deliveryLog } = await client.must(LOG, { webhookId, ...variables });
  return deliveryLog.edges.map((edge: { node: Row }) => edge.node);
}

async function createIssue(client: GraphQLClient): Promise<string> {
  const { createIssue } = await client.must('mutation { createIssue(input: { pluginId: "p", severity: LOW, weakness: "W" }) { id } }');
  return createIssue.id;
}

/** Waits until every delivery of the webhook is final; returns them newest first. */
async function settled(client: GraphQLClient, id: string, count: number): Promise<Row[]> {
  return waitUntil(async () => {
    const rows = await log(client, { webhookId: id, first: 100 });
    return rows.length === count && rows.every((r) => r.status !== 'PENDING' && r.status !== 'RETRYING') ? rows : null;
  }, `${count} settled deliveries`);
}

beforeAll(async () => {
  [hw, receiver] = await Promise.all([startTestService(), startReceiver()]);
  startedAt = Date.now();
  admin = await hw.admin('Acme', 'admin@acme.test');
  for (const role of ['MEMBER', 'VIEWER'] as const) {
    const { createApiToken } = await admin.must('mutation ($role: Role!) { createApiToken(name: "t", role: $role) { token } }', { role });
    if (role === 'MEMBER') member = hw.client(createApiToken.token);
    else viewer = hw.client(createApiToken.token);
  }
  webhookId = (
    await admin.must('mutation ($url: String!) { createWebhook(input: { name: "log", url: $url, events: ["*"], retryCount: 0 }) { webhook { id } } }', {
      url: receiver.url('/log'),
    })
  ).createWebhook.webhook.id;
  // Two issues delivered, one refused with 400 (FAILED at once), then a status change.
  await createIssue(admin);
  await createIssue(admin);
  await settled(admin, webhookId, 2);
  receiver.script('/log', [{ status: 400, body: 'no' }]);
  await createIssue(admin);
  await settled(admin, webhookId, 3);
  receiver.script('/log', [{ status: 202 }]);
  const [failedIssue] = (await log(admin, {})).filter((r) => r.status === 'FAILED');
  events.failed = failedIssue.eventId;
  const issues = await admin.must('{ issues(first: 1) { edges { node { id } } } }');
  await admin.must('mutation ($id: ID!) { updateIssue(id: $id, input: { status: FIXED }) { id } }', { id: issues.issues.edges[0].node.id });
  const rows = await settled(admin, webhookId, 4);
  events.changed = rows[0].eventId;
  events.ok = rows.filter((r) => r.status === 'SUCCEEDED' && r.eventType === 'issue.created').map((r) => r.eventId);

  other = await hw.admin('Other', 'admin@other.test');
  otherWebhookId = (
    await other.must('mutation ($url: String!) { createWebhook(input: { name: "o", url: $url }) { webhook { id } } }', { url: receiver.url('/other') })
  ).createWebhook.webhook.id;
  await createIssue(other);
  await settled(other, otherWebhookId, 1);
});

afterAll(async () => {
  await hw?.stop();
  await receiver?.close();
});

describe('idAt', () => {
  it('bounds the ids made at a time from below, and those made earlier from above', () => {
    const t = Date.now() + 5_000;
    const made = newIdAt('dlv', t).id;
    expect(idAt('dlv', t) <= made).toBe(true);
    expect(made < idAt('dlv', t + 1)).toBe(true);
    expect(idAt('dlv', t - 1) < idAt('dlv', t)).toBe(true);
  });
});

describe('deliveryLog', () => {
  it('lists newest first and narrows by status, event type, status code and time', async () => {
    const all = await log(admin, {});
    expect(all.map((r) => r.status)).toEqual(['SUCCEEDED', 'FAILED', 'SUCCEEDED', 'SUCCEEDED']);
    expect(all.map((r) => r.id)).toEqual([...all.map((r) => r.id)].sort().reverse());

    expect((await log(admin, { status: 'FAILED' })).map((r) => r.eventId)).toEqual([events.failed]);
    expect((await log(admin, { eventType: 'issue.status_changed' })).map((r) => r.eventId)).toEqual([events.changed]);
    expect((await log(admin, { statusCode: 400 })).map((r) => r.eventId)).toEqual([events.failed]);
    expect(await log(admin, { statusCode: 202 })).toHaveLength(1);
    expect(await log(admin, { status: 'SUCCEEDED', eventType: 'issue.created' })).toHaveLength(2);

    const oldest = all.at(-1)!;
    const newest = all[0];
    expect((await log(admin, { since: newest.createdAt })).map((r) => r.id)).toEqual([newest.id]);
    expect((await log(admin, { until: all[1].createdAt })).map((r) => r.id)).toEqual(all.slice(2).map((r) => r.id));
    expect(await log(admin, { since: oldest.createdAt, until: new Date(Date.now() + 60_000).toISOString() })).toHaveLength(4);
    expect(await log(admin, { since: new Date(Date.now() + 60_000).toISOString() })).toEqual([]);
  });

  it('finds a delivery by its event id or its own id, exactly', async () => {
    const [byEvent] = await log(admin, { search: events.failed });
    expect(byEvent.status).toBe('FAILED');
    expect((await log(admin, { search: ` ${byEvent.id.toUpperCase()} ` })).map((r) => r.id)).toEqual([byEvent.id]);
    expect(await log(admin, { search: events.failed.slice(0, -1) })).toEqual([]);
    expect(await log(admin, { search: '' })).toHaveLength(4);
  });

  it('pages through filtered results', async () => {
    const first = await admin.must(LOG, { webhookId, status: 'SUCCEEDED', first: 2 });
    expect(first.deliveryLog.edges).toHaveLength(2);
    expect(first.deliveryLog.pageInfo.hasNextPage).toBe(true);
    const second = await admin.must(LOG, { webhookId, status: 'SUCCEEDED', first: 2, after: first.deliveryLog.pageInfo.endCursor });
    expect(second.deliveryLog.edges).toHaveLength(1);
    expect(second.deliveryLog.pageInfo.hasNextPage).toBe(false);
  });

  it('refuses bad filters naming the argument', async () => {
    const now = Date.now();
    for (const [variables, field] of [
      [{ statusCode: 42 }, 'statusCode'],
      [{ since: new Date(now).toISOString(), until: new Date(now - 1000).toISOString() }, 'until'],
      [{ search: 'x'.repeat(201) }, 'search'],
      [{ first: 101 }, 'first'],
    ] as const) {
      const result = await admin.query(LOG, { webhookId, ...variables });
      expect(errorCode(result)).toBe('BAD_USER_INPUT');
      expect(result.errors?.[0].extensions?.field).toBe(field);
    }
  });

  it('shows nothing of another organization', async () => {
    expect(await log(other, { webhookId })).toEqual([]);
    expect(await log(other, { webhookId: null, search: events.failed })).toEqual([]);
    const everything = await log(other, { webhookId: null });
    expect(everything).toHaveLength(1);
  });
});

describe('deliveryStats', () => {
  it('counts deliveries per bucket by status, for the organization or one webhook', async () => {
    const since = new Date(startedAt - 60_000).toISOString();
    const { deliveryStats } = await admin.must(STATS, { since });
    expect(deliveryStats.bucketMinutes).toBe(1);
    expect(deliveryStats.totals).toEqual({ pending: 0, retrying: 0, succeeded: 3, failed: 1, cancelled: 0, total: 4 });
    const sum = (key: string) => deliveryStats.buckets.reduce((n: number, b: { counts: Record<string, number> }) => n + b.counts[key], 0);
    expect([sum('succeeded'), sum('failed'), sum('total')]).toEqual([3, 1, 4]);
    expect(Date.parse(deliveryStats.since) % 60_000).toBe(0);
    const starts = deliveryStats.buckets.map((b: { start: string }) => Date.parse(b.start));
    expect(starts.every((start: number, i: number) => i === 0 || start - starts[i - 1] === 60_000)).toBe(true);
    expect(starts.at(-1)).toBeLessThanOrEqual(Date.now());

    const hourly = await admin.must(STATS, { since, bucketMinutes: 60, webhookId });
    expect(hourly.deliveryStats.totals.total).toBe(4);
    expect(hourly.deliveryStats.buckets.length).toBeLessThanOrEqual(2);

    // The asked time is rounded down to a bucket boundary.
    const now = Date.now();
    const latest = await admin.must(STATS, { since: new Date(now).toISOString(), bucketMinutes: 5 });
    expect(Date.parse(latest.deliveryStats.since)).toBe(Math.floor(now / 300_000) * 300_000);
    expect(latest.deliveryStats.buckets.length).toBeLessThanOrEqual(2);
  });

  it("counts nothing of another organization's webhook, and only its own", async () => {
    const since = new Date(startedAt - 60_000).toISOString();
    expect((await other.must(STATS, { since, webhookId })).deliveryStats.totals.total).toBe(0);
    expect((await other.must(STATS, { since })).deliveryStats.totals).toMatchObject({ succeeded: 1, total: 1 });
  });

  it('keeps the window bounded', async () => {
    const now = Date.now();
    for (const [variables, field] of [
      [{ since: new Date(now - 32 * 86_400_000).toISOString() }, 'since'],
      [{ since: new Date(now + 3_600_000).toISOString() }, 'since'],
      [{ since: new Date(now - 2 * 86_400_000).toISOString(), bucketMinutes: 1 }, 'bucketMinutes'],
      [{ since: new Date(now - 60_000).toISOString(), bucketMinutes: 0 }, 'bucketMinutes'],
    ] as const) {
      const result = await admin.query(STATS, variables);
      expect(errorCode(result)).toBe('BAD_USER_INPUT');
      expect(result.errors?.[0].extensions?.field).toBe(field);
    }
  });
});

describe('buckets in the past', () => {
  it('puts each delivery and attempt in the bucket of its time', async () => {
    const client = await hw.admin('Past', 'admin@past.test');
    const { createWebhook } = await client.must(
      'mutation ($url: String!) { createWebhook(input: { name: "past", url: $url, events: ["issue.created"] }) { webhook { id } } }',
      { url: receiver.url('/past') },
    );
    const id = createWebhook.webhook.id;
    const { viewer } = await client.must('{ viewer { organization { id } } }');
    const { prisma } = hw.service.app.db;
    const now = Date.now();
    const at = (minutesAgo: number, n: number) => now - minutesAgo * 60_000 + n;
    // Written directly, with ids of their time, as the service would have written them then.
    const past = [
      { minutesAgo: 30, status: 'FAILED', durationMs: 900, success: false },
      { minutesAgo: 30, status: 'FAILED', durationMs: 800, success: false },
      { minutesAgo: 10, status: 'SUCCEEDED', durationMs: 20, success: true },
      { minutesAgo: 270, status: 'SUCCEEDED', durationMs: 30, success: true },
    ];
    for (const [n, row] of past.entries()) {
      const time = new Date(at(row.minutesAgo, n));
      const eventId = `${idAt('evt', time.getTime())}0000past${n}aa`;
      const deliveryId = `${idAt('dlv', time.getTime())}0000past${n}aa`;
      await prisma.event.create({ data: { id: eventId, organizationId: viewer.organization.id, type: 'issue.created', data: '{}', createdAt: time } });
      await prisma.delivery.create({
        data: {
          id: deliveryId,
          organizationId: viewer.organization.id,
          webhookId: id,
          eventId,
          eventType: 'issue.created',
          status: row.status,
          attemptCount: 1,
          lastStatusCode: row.success ? 200 : 500,
          requestHeaders: '{}',
          requestBody: '{}',
          createdAt: time,
          updatedAt: time,
        },
      });
      await prisma.deliveryAttempt.create({
        data: { id: `${idAt('att', time.getTime())}0000past${n}aa`, deliveryId, number: 1, startedAt: time, durationMs: row.durationMs, statusCode: 200, success: row.success },
      });
    }
    const { deliveryStats } = await client.must(STATS, { since: new Date(now - 3_600_000).toISOString(), webhookId: id });
    const start = Date.parse(deliveryStats.since);
    const counted = deliveryStats.buckets
      .map((b: { start: string; counts: { total: number; failed: number; succeeded: number } }, i: number) => ({ i, start: Date.parse(b.start), ...b.counts }))
      .filter((b: { total: number }) => b.total > 0);
    expect(counted).toEqual([
      expect.objectContaining({ i: Math.floor((at(30, 0) - start) / 60_000), failed: 2, total: 2 }),
      expect.objectContaining({ i: Math.floor((at(10, 2) - start) / 60_000), succeeded: 1, total: 1 }),
    ]);
    expect(deliveryStats.totals).toMatchObject({ failed: 2, succeeded: 1, total: 3 });

    const { webhook } = await client.must(HEALTH, { id });
    const hours = webhook.health.hourly.map((h: { attempts: number }) => h.attempts);
    expect(hours[23]).toBe(3);
    expect(hours[19]).toBe(1);
    expect(hours.reduce((a: number, b: number) => a + b, 0)).toBe(4);
    expect(webhook.health).toMatchObject({ attempts: 4, successfulAttempts: 2, successRate: 0.5, p95DurationMs: 900 });
  });
});

describe('Webhook.health', () => {
  it('gives the success rate and p95 latency of the last 24 hours of attempts', async () => {
    const { createWebhook } = await admin.must(
      'mutation ($url: String!) { createWebhook(input: { name: "health", url: $url, events: ["issue.created"], retryCount: 3 }) { webhook { id } } }',
      { url: receiver.url('/health') },
    );
    const id = createWebhook.webhook.id;
    const empty = await admin.must(HEALTH, { id });
    expect(empty.webhook.health).toMatchObject({ attempts: 0, successRate: null, p95DurationMs: null });
    expect(empty.webhook.health.hourly).toHaveLength(24);

    // Nine quick answers, then a 503 and a 200 that waits 400 ms: the 95th percentile of eleven is the slowest.
    receiver.script('/health', [{ status: 200 }]);
    for (let i = 0; i < 9; i += 1) await createIssue(admin);
    await receiver.waitFor('/health', 9);
    receiver.script('/health', [{ status: 503 }, { status: 200, delayMs: 400 }]);
    await createIssue(admin);
    await waitUntil(async () => (await log(admin, { webhookId: id, status: 'SUCCEEDED' })).length === 10, '10 successes');

    const { webhook } = await admin.must(HEALTH, { id });
    expect(webhook.health.attempts).toBe(11);
    expect(webhook.health.successfulAttempts).toBe(10);
    expect(webhook.health.successRate).toBeCloseTo(10 / 11, 6);
    expect(webhook.health.p95DurationMs).toBeGreaterThanOrEqual(400);
    expect(webhook.health.hourly.at(-1).attempts).toBe(11);
    expect(webhook.health.hourly.reduce((n: number, h: { attempts: number }) => n + h.attempts, 0)).toBe(11);
  });
});

describe('retryFailedDeliveries', () => {
  it('queues again exactly the failed deliveries since a time, with the same event ids, once', async () => {
    const { createWebhook } = await admin.must(
      'mutation ($url: String!) { createWebhook(input: { name: "retry", url: $url, events: ["issue.created"], retryCount: 0 }) { webhook { id } } }',
      { url: receiver.url('/retry') },
    );
    const id = createWebhook.webhook.id;
    // Failed before the chosen time: not queued.
    receiver.script('/retry', [{ status: 503 }]);
    await createIssue(admin);
    await waitUntil(async () => (await log(admin, { webhookId: id, status: 'FAILED' })).length === 1, 'an early failure');
    await new Promise((resolve) => setTimeout(resolve, 20));
    const since = new Date();
    receiver.script('/retry', [{ status: 200 }]);
    await createIssue(admin);
    await waitUntil(async () => (await log(admin, { webhookId: id, status: 'SUCCEEDED' })).length === 1, 'a success');
    receiver.script('/retry', [{ status: 503 }]);
    await createIssue(admin);
    await createIssue(admin);
    await waitUntil(async () => (await log(admin, { webhookId: id, status: 'FAILED' })).length === 3, 'two more failures');
    const failedSince = (await log(admin, { webhookId: id, status: 'FAILED', since: since.toISOString() })).map((r) => r.eventId).sort();
    expect(failedSince).toHaveLength(2);

    receiver.script('/retry', [{ status: 200 }]);
    const { retryFailedDeliveries } = await admin.must(RETRY, { id, since: since.toISOString() });
    expect(retryFailedDeliveries).toEqual({ queued: 2, hasMore: false });
    await waitUntil(async () => (await log(admin, { webhookId: id, status: 'SUCCEEDED' })).length === 3, 'the retried deliveries to succeed');
    const retried = (await log(admin, { webhookId: id, status: 'SUCCEEDED' })).slice(0, 2).map((r) => r.eventId).sort();
    expect(retried).toEqual(failedSince);

    // Their latest deliveries succeeded now: nothing is queued twice.
    expect((await admin.must(RETRY, { id, since: since.toISOString() })).retryFailedDeliveries.queued).toBe(0);
  });

  it('queues at most 1,000 per call, oldest first, and says when more are left', async () => {
    await admin.must('mutation { createEventType(name: "scan.none", description: "Never published") { name } }');
    const { createWebhook } = await admin.must(
      'mutation ($url: String!) { createWebhook(input: { name: "bulk", url: $url, events: ["scan.none"], retryCount: 0 }) { webhook { id } } }',
      { url: receiver.url('/bulk') },
    );
    const id = createWebhook.webhook.id;
    const { prisma } = hw.service.app.db;
    const { viewer } = await admin.must('{ viewer { organization { id } } }');
    const since = new Date(Date.now() - 1000);
    // 1,001 failed deliveries written directly: a thousand issues through the API would take too long.
    const events = Array.from({ length: 1001 }, () => {
      const { id: eventId, at } = newIdAt('evt');
      return { id: eventId, organizationId: viewer.organization.id, type: 'scan.none', data: '{}', createdAt: at };
    });
    await prisma.event.createMany({ data: events });
    await prisma.delivery.createMany({
      data: events.map((event) => {
        const { id: deliveryId, at } = newIdAt('dlv');
        return {
          id: deliveryId,
          organizationId: event.organizationId,
          webhookId: id,
          eventId: event.id,
          eventType: event.type,
          status: 'FAILED',
          attemptCount: 1,
          lastStatusCode: 503,
          requestHeaders: '{}',
          requestBody: '{}',
          createdAt: at,
          updatedAt: at,
        };
      }),
    });
    const newestFailed = (await prisma.delivery.findFirstOrThrow({ where: { webhookId: id }, orderBy: { id: 'desc' } })).id;
    const first = await admin.must(RETRY, { id, since: since.toISOString() });
    expect(first.retryFailedDeliveries).toEqual({ queued: 1000, hasMore: true });
    const queued = await prisma.delivery.findMany({ where: { webhookId: id, id: { gt: newestFailed } }, select: { eventId: true } });
    expect(new Set(queued.map((d) => d.eventId))).toEqual(new Set(events.slice(0, 1000).map((e) => e.id)));
  });

  it('refuses a disabled webhook, another organization, too old a time and other roles', async () => {
    const { createWebhook } = await admin.must(
      'mutation ($url: String!) { createWebhook(input: { name: "off", url: $url, enabled: false }) { webhook { id } } }',
      { url: receiver.url('/off') },
    );
    const since = new Date(Date.now() - 60_000).toISOString();
    const disabled = await admin.query(RETRY, { id: createWebhook.webhook.id, since });
    expect(errorCode(disabled)).toBe('CONFLICT');
    expect(errorCode(await other.query(RETRY, { id: webhookId, since }))).toBe('NOT_FOUND');
    const old = await admin.query(RETRY, { id: webhookId, since: new Date(Date.now() - 40 * 86_400_000).toISOString() });
    expect(old.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'since' });
    expect(errorCode(await member.query(RETRY, { id: webhookId, since }))).toBe('FORBIDDEN');
  });
});

describe('authorization', () => {
  it('gives MEMBER and VIEWER FORBIDDEN for delivery data, and nobody anything without a token', async () => {
    const since = new Date(Date.now() - 60_000).toISOString();
    for (const client of [member, viewer]) {
      expect(errorCode(await client.query(LOG, { webhookId }))).toBe('FORBIDDEN');
      expect(errorCode(await client.query(STATS, { since }))).toBe('FORBIDDEN');
      expect(errorCode(await client.query(RETRY, { id: webhookId, since }))).toBe('FORBIDDEN');
      const health = await client.query(HEALTH, { id: webhookId });
      expect(errorCode(health)).toBe('FORBIDDEN');
      expect(health.data?.webhook).toMatchObject({ id: webhookId, health: null });
    }
    const anonymous = hw.client();
    expect(errorCode(await anonymous.query(LOG, {}))).toBe('UNAUTHENTICATED');
    expect(errorCode(await anonymous.query(STATS, { since }))).toBe('UNAUTHENTICATED');
  });
});
