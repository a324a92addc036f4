// Which answers are retried and how (delivery.md, "Retries"), observed from both ends: what a real
// receiver on 127.0.0.1 gets, and what the delivery and its attempts record. The test service runs
// with HOOKWARDEN_RETRY_BASE_MS=20 / MAX 100, so a backoff is at most 100 ms; anything slower is a
// Retry-After or a timeout.
import http from 'node:http';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIssue, createWebhook, newOrg as newOrgOf, type Admin } from '../support/ops.ts';
import { startReceiver, waitUntil, type Receiver, type Step } from '../support/receiver.ts';
import { startTestService, type TestService } from '../support/service.ts';

let hw: TestService;
let receiver: Receiver;
/** Each test gets its own organization, so its issues reach only its own webhook. */
const newOrg = () => newOrgOf(hw, 'Retries');

beforeAll(async () => {
  hw = await startTestService();
  receiver = await startReceiver();
});
afterAll(async () => {
  await hw?.stop();
  await receiver?.close();
});

const DELIVERY_FIELDS = `id eventId status attemptCount nextAttemptAt lastStatusCode
  attempts { number startedAt durationMs statusCode success error responseBody }`;

async function onlyDelivery(admin: Admin, webhookId: string): Promise<any | undefined> {
  const { deliveries } = await admin.must(`query ($w: ID!) { deliveries(webhookId: $w) { edges { node { ${DELIVERY_FIELDS} } } } }`, { w: webhookId });
  expect(deliveries.edges.length).toBeLessThanOrEqual(1);
  return deliveries.edges[0]?.node;
}

async function settled(admin: Admin, webhookId: string, status: string, timeoutMs = 10_000): Promise<any> {
  return waitUntil(
    async () => {
      const delivery = await onlyDelivery(admin, webhookId);
      return delivery?.status === status ? delivery : null;
    },
    `the delivery of ${webhookId} to be ${status}`,
    timeoutMs,
  );
}

async function webhookState(admin: Admin, id: string): Promise<any> {
  const { webhook } = await admin.must(`query ($id: ID!) { webhook(id: $id) { enabled disabledReason consecutiveFailures } }`, { id });
  return webhook;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A webhook on a fresh path of the shared receiver, answering per the script, and one issue for it. */
async function scenario(path: string, steps: Step[], webhook: Record<string, unknown> = {}) {
  receiver.script(path, steps);
  const admin = await newOrg();
  const created = await createWebhook(admin, { url: receiver.url(path), ...webhook });
  await createIssue(admin);
  return { admin, webhookId: created.id, secret: created.secret };
}

describe('retried, then SUCCEEDED', () => {
  it.each([
    { name: '500', first: { status: 500, body: 'boom' } as Step, code: 500 },
    { name: '503', first: { status: 503, body: 'unavailable' } as Step, code: 503 },
    { name: '408', first: { status: 408, body: 'request timeout' } as Step, code: 408 },
    { name: '429', first: { status: 429, body: 'slow down' } as Step, code: 429 },
  ])('$name is retried', async ({ name, first, code }) => {
    const path = `/retry/${name}`;
    const { admin, webhookId } = await scenario(path, [first, { status: 200, body: 'thanks' }]);
    const delivery = await settled(admin, webhookId, 'SUCCEEDED');
    const requests = receiver.on(path);
    expect(requests).toHaveLength(2);
    expect(requests[1].webhookId).toBe(requests[0].webhookId);
    expect(delivery.attemptCount).toBe(2);
    expect(delivery.lastStatusCode).toBe(200);
    expect(delivery.nextAttemptAt).toBeNull();
    expect(delivery.attempts.map((a: any) => [a.number, a.statusCode, a.success])).toEqual([
      [1, code, false],
      [2, 200, true],
    ]);
    expect(delivery.attempts[0].responseBody).toBe(first.body);
    expect(delivery.attempts[1].responseBody).toBe('thanks');
    // The backoff is at most HOOKWARDEN_RETRY_MAX_MS (100 ms) here, plus the dispatcher's own latency.
    expect(requests[1].at - requests[0].at).toBeLessThan(1000);
  });

  it('a response slower than timeoutMs is a timeout, and retried', async () => {
    const path = '/retry/timeout';
    const { admin, webhookId } = await scenario(path, [{ status: 200, delayMs: 2500 }, { status: 200 }], { timeoutMs: 1000 });
    const delivery = await settled(admin, webhookId, 'SUCCEEDED');
    expect(receiver.on(path)).toHaveLength(2);
    const [timedOut, ok] = delivery.attempts;
    expect(timedOut.number).toBe(1);
    expect(timedOut.statusCode).toBeNull();
    expect(timedOut.success).toBe(false);
    expect(timedOut.error).toMatch(/timeout/i);
    expect(timedOut.durationMs).toBeGreaterThanOrEqual(900);
    expect(timedOut.durationMs).toBeLessThan(2400);
    expect(ok).toMatchObject({ number: 2, statusCode: 200, success: true });
  });

  it('connection refused is retried (retryCount 1: two attempts, then FAILED)', async () => {
    // A port that was just open and is now closed: nothing listens there.
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as { port: number };
    await new Promise((resolve) => closed.close(resolve));

    const admin = await newOrg();
    const { id: webhookId } = await createWebhook(admin, { url: `http://127.0.0.1:${port}/nobody-home`, retryCount: 1 });
    await createIssue(admin);
    const delivery = await settled(admin, webhookId, 'FAILED');
    expect(delivery.attemptCount).toBe(2);
    expect(delivery.lastStatusCode).toBeNull();
    expect(delivery.attempts).toHaveLength(2);
    for (const [i, attempt] of delivery.attempts.entries()) {
      expect(attempt.number).toBe(i + 1);
      expect(attempt.statusCode).toBeNull();
      expect(attempt.success).toBe(false);
      expect(attempt.error).toBe('connection refused');
      expect(attempt.responseBody).toBeNull();
    }
  });
});

describe('not retried: FAILED after one attempt', () => {
  it.each([
    { status: 400 },
    { status: 401 },
    { status: 404 },
  ])('$status', async ({ status }) => {
    const path = `/final/${status}`;
    const { admin, webhookId } = await scenario(path, [{ status, body: `answer ${status}` }, { status: 200 }]);
    const delivery = await settled(admin, webhookId, 'FAILED');
    expect(delivery.attemptCount).toBe(1);
    expect(delivery.lastStatusCode).toBe(status);
    expect(delivery.nextAttemptAt).toBeNull();
    expect(delivery.attempts).toEqual([expect.objectContaining({ number: 1, statusCode: status, success: false, responseBody: `answer ${status}` })]);
    // Well past the longest backoff: still one request.
    await sleep(400);
    expect(receiver.on(path)).toHaveLength(1);
    expect((await onlyDelivery(admin, webhookId)).attemptCount).toBe(1);
    // A final failure is not the receiver being gone: the webhook stays enabled.
    expect((await webhookState(admin, webhookId)).enabled).toBe(true);
  });

  it('302: the redirect is not followed', async () => {
    const path = '/final/302';
    const location = '/final/302-moved-here';
    const { admin, webhookId } = await scenario(path, [{ status: 302, headers: { location: receiver.url(location) } }, { status: 200 }]);
    const delivery = await settled(admin, webhookId, 'FAILED');
    expect(delivery.attemptCount).toBe(1);
    expect(delivery.attempts).toEqual([expect.objectContaining({ number: 1, statusCode: 302, success: false })]);
    await sleep(400);
    expect(receiver.on(path)).toHaveLength(1);
    expect(receiver.on(location)).toHaveLength(0);
  });

  it('410 Gone: FAILED after one attempt and the webhook is disabled', async () => {
    const path = '/final/410';
    const { admin, webhookId } = await scenario(path, [{ status: 410, body: 'gone' }, { status: 200 }]);
    const delivery = await settled(admin, webhookId, 'FAILED');
    expect(delivery.attemptCount).toBe(1);
    expect(delivery.attempts).toEqual([expect.objectContaining({ number: 1, statusCode: 410, success: false })]);
    const webhook = await webhookState(admin, webhookId);
    expect(webhook.enabled).toBe(false);
    expect(webhook.disabledReason).toMatch(/410/);
    await sleep(400);
    expect(receiver.on(path)).toHaveLength(1);
    // Disabled: a new event is not delivered to it.
    await createIssue(admin);
    await sleep(400);
    expect(receiver.on(path)).toHaveLength(1);
  });
});

describe('Retry-After', () => {
  it('"Retry-After: 1" delays the retry by a second; nextAttemptAt is set while RETRYING', async () => {
    const path = '/retry-after/seconds';
    const { admin, webhookId } = await scenario(path, [{ status: 503, headers: { 'retry-after': '1' } }, { status: 200 }]);
    const [first] = await receiver.waitFor(path, 1);
    const retrying = await settled(admin, webhookId, 'RETRYING', 900);
    expect(retrying.attemptCount).toBe(1);
    expect(retrying.lastStatusCode).toBe(503);
    expect(retrying.nextAttemptAt).not.toBeNull();
    const due = Date.parse(retrying.nextAttemptAt);
    expect(due - first.at).toBeGreaterThanOrEqual(900);
    expect(due - first.at).toBeLessThan(2000);

    const delivery = await settled(admin, webhookId, 'SUCCEEDED');
    const [a, b] = receiver.on(path);
    expect(b.at - a.at).toBeGreaterThanOrEqual(900);
    expect(b.webhookId).toBe(a.webhookId);
    expect(delivery.nextAttemptAt).toBeNull();
    expect(delivery.attempts.map((x: any) => x.statusCode)).toEqual([503, 200]);
  });

  it('Retry-After as an HTTP date about a second ahead is honoured', async () => {
    const path = '/retry-after/date';
    // HTTP dates have whole seconds: the next full second at least one second from now.
    const target = Math.ceil((Date.now() + 1000) / 1000) * 1000;
    const { admin, webhookId } = await scenario(path, [{ status: 429, headers: { 'retry-after': new Date(target).toUTCString() } }, { status: 200 }]);
    await settled(admin, webhookId, 'SUCCEEDED');
    const [a, b] = receiver.on(path);
    expect(a.at).toBeLessThan(target - 500);
    expect(b.at).toBeGreaterThanOrEqual(target - 50);
    expect(b.at - a.at).toBeGreaterThanOrEqual(500);
  });
  it('a Retry-After beyond one hour is capped at one hour', async () => {
    const path = '/retry-after/capped';
    const { admin, webhookId } = await scenario(path, [{ status: 503, headers: { 'retry-after': '7200' } }, { status: 200 }]);
    const [first] = await receiver.waitFor(path, 1);
    const retrying = await settled(admin, webhookId, 'RETRYING');
    const due = Date.parse(retrying.nextAttemptAt) - first.at;
    expect(due).toBeGreaterThan(3_500_000);
    expect(due).toBeLessThanOrEqual(3_600_000 + 2000);
    await admin.must('mutation ($id: ID!) { deleteWebhook(id: $id) }', { id: webhookId });
  });
});

describe('exhaustion and the attempt log', () => {
  it('retryCount 2 against an always-500 receiver: exactly 3 attempts, FAILED, the same webhook-id each time, then silence', async () => {
    const path = '/exhaust/500';
    const { admin, webhookId, secret } = await scenario(path, [{ status: 500, body: 'still broken' }], { retryCount: 2 });
    const delivery = await settled(admin, webhookId, 'FAILED');
    expect(delivery.attemptCount).toBe(3);
    expect(delivery.lastStatusCode).toBe(500);
    expect(delivery.nextAttemptAt).toBeNull();
    expect(delivery.attempts.map((a: any) => a.number)).toEqual([1, 2, 3]);
    let previousStart = 0;
    for (const attempt of delivery.attempts) {
      expect(attempt.statusCode).toBe(500);
      expect(attempt.success).toBe(false);
      expect(attempt.responseBody).toBe('still broken');
      expect(Number.isInteger(attempt.durationMs)).toBe(true);
      expect(attempt.durationMs).toBeGreaterThanOrEqual(0);
      expect(attempt.durationMs).toBeLessThan(1000);
      const started = Date.parse(attempt.startedAt);
      expect(started).toBeGreaterThanOrEqual(previousStart);
      previousStart = started;
    }
    const requests = receiver.on(path);
    expect(requests).toHaveLength(3);
    // Receivers dedupe on webhook-id: the same on every retry, and the event's id; each attempt is signed afresh.
    expect(new Set(requests.map((r) => r.webhookId))).toEqual(new Set([delivery.eventId]));
    for (const r of requests) {
      const headers = { 'webhook-id': String(r.headers['webhook-id']), 'webhook-timestamp': String(r.headers['webhook-timestamp']), 'webhook-signature': String(r.headers['webhook-signature']) };
      expect(() => new StandardWebhook(secret).verify(r.body, headers)).not.toThrow();
    }
    // The attempts' start times line up with what the receiver saw.
    for (const [i, attempt] of delivery.attempts.entries()) expect(Math.abs(Date.parse(attempt.startedAt) - requests[i].at)).toBeLessThan(1000);
    await sleep(600);
    expect(receiver.on(path)).toHaveLength(3);
    expect((await onlyDelivery(admin, webhookId)).attemptCount).toBe(3);
  });

  it('a 10 KB response body is stored truncated to its first 4096 bytes', async () => {
    const path = '/attempts/big-body';
    const big = '0123456789abcdef'.repeat(640); // 10,240 bytes
    const { admin, webhookId } = await scenario(path, [{ status: 500, body: big }, { status: 200, body: 'ok' }]);
    const delivery = await settled(admin, webhookId, 'SUCCEEDED');
    const stored = delivery.attempts[0].responseBody as string;
    expect(Buffer.byteLength(stored)).toBe(4096);
    expect(stored).toBe(big.slice(0, 4096));
    expect(delivery.attempts[1].responseBody).toBe('ok');
  });
});
