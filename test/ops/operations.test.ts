// /healthz, /readyz and /metrics on a real service: no token, aggregates only, and the metrics follow
// real deliveries (a success, failures, a breaker trip, a queue that waits).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GraphQLClient } from '../support/graphql.ts';
import { startReceiver, type Receiver } from '../support/receiver.ts';
import { createWebhook } from '../support/ops.ts';
import { startTestService, type TestService } from '../support/service.ts';
import { deliveryReaches, testWebhook } from './programs.ts';

let hw: TestService;
let receiver: Receiver;
let origin: string;
let admin: GraphQLClient & { token: string };

beforeAll(async () => {
  // One attempt in flight per webhook makes a queue that waits; two failures trip the breaker.
  hw = await startTestService({ HOOKWARDEN_WEBHOOK_CONCURRENCY: '1', HOOKWARDEN_CIRCUIT_BREAKER_THRESHOLD: '2' });
  receiver = await startReceiver();
  origin = new URL(hw.url).origin;
  admin = await hw.admin('Ops Org', 'ops@ops.test');
});

afterAll(async () => {
  await hw?.stop();
  await receiver?.close();
});

/** The value of one sample, e.g. sample(text, 'hookwarden_deliveries_total{status="FAILED"}'). */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function scrape(): Promise<string> {
  const response = await fetch(`${origin}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return response.text();
}

describe('/healthz', () => {
  it('answers 200 ok without a token, with a request id', async () => {
    const response = await fetch(`${origin}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('ok\n');
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('echoes a sane x-request-id and replaces one that is not', async () => {
    const given = await fetch(`${origin}/healthz`, { headers: { 'x-request-id': 'trace-42.abc' } });
    expect(given.headers.get('x-request-id')).toBe('trace-42.abc');
    const odd = await fetch(`${origin}/healthz`, { headers: { 'x-request-id': 'a"b<script>' } });
    expect(odd.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const long = await fetch(`${origin}/healthz`, { headers: { 'x-request-id': 'x'.repeat(200) } });
    expect(long.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('the API and the console carry a request id too', async () => {
    const api = await fetch(hw.url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': 'api-1' }, body: '{"query":"{ __typename }"}' });
    expect(api.headers.get('x-request-id')).toBe('api-1');
    expect((await fetch(`${origin}/`)).headers.get('x-request-id')).toBeTruthy();
  });

  it('refuses other methods than GET and HEAD', async () => {
    const response = await fetch(`${origin}/healthz`, { method: 'POST', body: 'x' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, HEAD');
    expect((await fetch(`${origin}/metrics`, { method: 'HEAD' })).status).toBe(200);
  });
});

describe('/readyz', () => {
  it('is ready when the database answers and every migration is applied', async () => {
    const response = await fetch(`${origin}/readyz`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('ready\n');
  });

  it('answers 503 with the pending migration while one is missing, and is ready again once it is applied', async () => {
    const { prisma, provider } = hw.service.app.db;
    const [last] = await prisma.$queryRaw<Array<{ name: string }>>`SELECT name FROM hookwarden_migrations ORDER BY name DESC LIMIT 1`;
    await prisma.$executeRaw`DELETE FROM hookwarden_migrations WHERE name = ${last.name}`;
    try {
      const response = await fetch(`${origin}/readyz`);
      expect(response.status).toBe(503);
      expect(response.headers.get('content-type')).toBe('application/json');
      expect(await response.json()).toEqual({ status: 'unavailable', reason: 'migrations pending', pending: [last.name] });
    } finally {
      if (provider === 'sqlite') await prisma.$executeRaw`INSERT INTO hookwarden_migrations (name, applied_at) VALUES (${last.name}, ${new Date().toISOString()})`;
      else await prisma.$executeRaw`INSERT INTO hookwarden_migrations (name) VALUES (${last.name})`;
    }
    expect((await fetch(`${origin}/readyz`)).status).toBe(200);
  });
});

describe('/metrics', () => {
  it('counts deliveries by final status, attempts with their latency, and breaker trips', async () => {
    const ok = (await createWebhook(admin, { url: receiver.url('/ok') })).id;
    const rejected = (await createWebhook(admin, { url: receiver.url('/rejected') })).id;
    const down = (await createWebhook(admin, { url: receiver.url('/down'), retryCount: 0 })).id;
    receiver.script('/rejected', [{ status: 400 }]);
    receiver.script('/down', [{ status: 503 }]);

    const succeeded = await testWebhook(admin, ok);
    const failed = await testWebhook(admin, rejected);
    await deliveryReaches(admin, succeeded, 'SUCCEEDED');
    await deliveryReaches(admin, failed, 'FAILED');
    // Two failed attempts in a row: the breaker disables the webhook.
    await deliveryReaches(admin, await testWebhook(admin, down), 'FAILED');
    await deliveryReaches(admin, await testWebhook(admin, down), 'FAILED');

    await expect
      .poll(async () => {
        const text = await scrape();
        return {
          succeeded: sample(text, 'hookwarden_deliveries_total{status="SUCCEEDED"}'),
          failed: sample(text, 'hookwarden_deliveries_total{status="FAILED"}'),
          cancelled: sample(text, 'hookwarden_deliveries_total{status="CANCELLED"}'),
          attemptsOk: sample(text, 'hookwarden_delivery_attempts_total{success="true"}'),
          attemptsFailed: sample(text, 'hookwarden_delivery_attempts_total{success="false"}'),
          latencyOk: sample(text, 'hookwarden_delivery_attempt_duration_seconds_count{success="true"}'),
          latencyFailed: sample(text, 'hookwarden_delivery_attempt_duration_seconds_count{success="false"}'),
          trips: sample(text, 'hookwarden_breaker_trips_total{reason="consecutive_failures"}'),
          gone: sample(text, 'hookwarden_breaker_trips_total{reason="gone"}'),
        };
      }, { timeout: 5_000 })
      .toEqual({ succeeded: 1, failed: 3, cancelled: 0, attemptsOk: 1, attemptsFailed: 3, latencyOk: 1, latencyFailed: 3, trips: 1, gone: 0 });

    const text = await scrape();
    expect(sample(text, 'hookwarden_delivery_attempt_duration_seconds_bucket{le="+Inf",success="true"}')).toBe(1);
    expect(sample(text, 'hookwarden_delivery_attempt_duration_seconds_sum{success="true"}')).toBeGreaterThan(0);
    // Process metrics from prom-client's defaults.
    expect(text).toContain('process_cpu_seconds_total');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
  });

  it('shows the queue depth and how long the oldest due delivery has waited', async () => {
    // One attempt at a time for this webhook, each taking a while: the others wait, due. The third
    // stays unleased until the first attempt ends (the dispatcher leases at most two ahead), longer
    // than the gauges' cache (QUEUE_CACHE_MS), so a fresh read sees it and its wait grows per scrape.
    const slow = (await createWebhook(admin, { url: receiver.url('/slow') })).id;
    receiver.script('/slow', [{ status: 200, delayMs: 3_000 }]);
    for (let i = 0; i < 3; i += 1) await testWebhook(admin, slow);
    await expect
      .poll(
        async () => {
          const text = await scrape();
          return { depth: sample(text, 'hookwarden_queue_depth') ?? NaN, age: sample(text, 'hookwarden_queue_oldest_due_age_seconds') ?? NaN };
        },
        { timeout: 6_000, interval: 200 },
      )
      .toSatisfy(({ depth, age }: { depth: number; age: number }) => depth >= 2 && age >= 0.5);
    const first = sample(await scrape(), 'hookwarden_queue_oldest_due_age_seconds')!;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(sample(await scrape(), 'hookwarden_queue_oldest_due_age_seconds')).toBeGreaterThanOrEqual(first + 0.25);
  });

  it('shows aggregates only: no organization, webhook, delivery, event or receiver in it', async () => {
    const text = await scrape();
    const { viewer } = await admin.must('{ viewer { organization { id } } }');
    for (const secretish of [viewer.organization.id, 'org_', 'whk_', 'dlv_', 'evt_', 'http://', '127.0.0.1', 'Ops Org']) {
      expect(text).not.toContain(secretish);
    }
  });
});
