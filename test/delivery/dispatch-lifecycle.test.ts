// A webhook's life around its deliveries: the circuit breaker, enabling again, testWebhook,
// redeliver, cancelling open deliveries on delete and disable. Isolation between webhooks and
// exactly-once arrival under load are in dispatch-load.test.ts. Real service, real receivers on 127.0.0.1.
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver, waitUntil, type Receiver, type ReceivedRequest } from '../support/receiver.ts';
import { createIssue, createWebhook, deliveriesOf, DELIVERY_FIELDS, newOrg, type Admin } from '../support/ops.ts';
import { startTestService, type TestService } from '../support/service.ts';

async function delivery(admin: Admin, id: string): Promise<any> {
  const { delivery } = await admin.must(`query ($id: ID!) { delivery(id: $id) { ${DELIVERY_FIELDS} } }`, { id });
  return delivery;
}

async function webhookState(admin: Admin, id: string): Promise<any> {
  const { webhook } = await admin.must(`query ($id: ID!) { webhook(id: $id) { id enabled disabledReason consecutiveFailures } }`, { id });
  return webhook;
}

async function updateWebhook(admin: Admin, id: string, input: Record<string, unknown>): Promise<any> {
  const { updateWebhook } = await admin.must(
    `mutation ($id: ID!, $input: UpdateWebhookInput!) { updateWebhook(id: $id, input: $input) { id enabled disabledReason consecutiveFailures } }`,
    { id, input },
  );
  return updateWebhook;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function standardHeaders(r: ReceivedRequest): Record<string, string> {
  return {
    'webhook-id': String(r.headers['webhook-id']),
    'webhook-timestamp': String(r.headers['webhook-timestamp']),
    'webhook-signature': String(r.headers['webhook-signature']),
  };
}

describe('circuit breaker (HOOKWARDEN_CIRCUIT_BREAKER_THRESHOLD=3)', () => {
  let hw: TestService;
  let receiver: Receiver;
  beforeAll(async () => {
    hw = await startTestService({ HOOKWARDEN_CIRCUIT_BREAKER_THRESHOLD: '3' });
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await hw?.stop();
    await receiver?.close();
  });

  it('disables the webhook after 3 failed attempts, cancels the delivery, sends no 4th request; enabling again resets it and deliveries flow', async () => {
    const admin = await newOrg(hw, 'Lifecycle');
    const path = '/breaker/always-500';
    receiver.script(path, [{ status: 500 }]);
    const { id: webhookId } = await createWebhook(admin, { url: receiver.url(path), retryCount: 10 });
    await createIssue(admin);

    const [first] = await waitUntil(async () => {
      const list = await deliveriesOf(admin, webhookId);
      return list[0]?.status === 'CANCELLED' ? list : null;
    }, 'the delivery to be CANCELLED by the breaker');
    expect(first.attemptCount).toBe(3);
    expect(first.attempts.map((a: any) => [a.number, a.statusCode])).toEqual([
      [1, 500],
      [2, 500],
      [3, 500],
    ]);
    expect(first.nextAttemptAt).toBeNull();
    const disabled = await webhookState(admin, webhookId);
    expect(disabled.enabled).toBe(false);
    expect(disabled.disabledReason).toBeTruthy();
    expect(disabled.consecutiveFailures).toBeGreaterThanOrEqual(3);
    expect(receiver.on(path)).toHaveLength(3);
    await sleep(300);
    expect(receiver.on(path)).toHaveLength(3);

    // Disabled: a new event makes no delivery for it.
    await createIssue(admin);
    await sleep(300);
    expect(await deliveriesOf(admin, webhookId)).toHaveLength(1);
    expect(receiver.on(path)).toHaveLength(3);

    // Enabling again resets the counter and the reason, and deliveries flow.
    const enabled = await updateWebhook(admin, webhookId, { enabled: true });
    expect(enabled).toMatchObject({ enabled: true, disabledReason: null, consecutiveFailures: 0 });
    expect(await webhookState(admin, webhookId)).toMatchObject({ enabled: true, disabledReason: null, consecutiveFailures: 0 });
    receiver.script(path, [{ status: 200 }]);
    await createIssue(admin);
    await receiver.waitFor(path, 4);
    const flowing = await waitUntil(async () => (await deliveriesOf(admin, webhookId, 'SUCCEEDED'))[0], 'a SUCCEEDED delivery after enabling');
    expect(flowing.attemptCount).toBe(1);
    expect((await webhookState(admin, webhookId)).consecutiveFailures).toBe(0);
  });

  it('the attempt reaching the threshold on its last retry leaves its delivery FAILED (not CANCELLED), and the webhook disabled', async () => {
    const admin = await newOrg(hw, 'Lifecycle');
    const path = '/breaker/last-retry';
    receiver.script(path, [{ status: 503 }]);
    const { id: webhookId } = await createWebhook(admin, { url: receiver.url(path), retryCount: 2 });
    await createIssue(admin);
    const [only] = await waitUntil(async () => {
      const list = await deliveriesOf(admin, webhookId);
      return list[0] && !['PENDING', 'RETRYING'].includes(list[0].status) ? list : null;
    }, 'the delivery to be final');
    expect(only.status).toBe('FAILED');
    expect(only.attemptCount).toBe(3);
    expect(await webhookState(admin, webhookId)).toMatchObject({ enabled: false, consecutiveFailures: 3 });
    expect((await webhookState(admin, webhookId)).disabledReason).toBeTruthy();
  });

  it('tripping the breaker cancels every open delivery of the webhook', async () => {
    const admin = await newOrg(hw, 'Lifecycle');
    const path = '/breaker/many-open';
    receiver.script(path, [{ status: 500 }]);
    const { id: webhookId } = await createWebhook(admin, { url: receiver.url(path), retryCount: 10 });
    await createIssue(admin);
    await createIssue(admin);
    await createIssue(admin);
    const list = await waitUntil(async () => {
      const all = await deliveriesOf(admin, webhookId);
      return all.length === 3 && all.every((d) => d.status === 'CANCELLED') ? all : null;
    }, 'all three deliveries CANCELLED');
    expect(list.map((d) => d.nextAttemptAt)).toEqual([null, null, null]);
    expect((await webhookState(admin, webhookId)).enabled).toBe(false);
    const seen = receiver.on(path).length;
    await sleep(400);
    expect(receiver.on(path).length).toBe(seen);
  });

  it('a success resets consecutiveFailures', async () => {
    const admin = await newOrg(hw, 'Lifecycle');
    const path = '/breaker/reset-on-success';
    receiver.script(path, [{ status: 400 }]);
    const { id: webhookId } = await createWebhook(admin, { url: receiver.url(path) });
    // Two non-retried failures: two failed attempts in a row, under the threshold.
    await createIssue(admin);
    await waitUntil(async () => (await deliveriesOf(admin, webhookId, 'FAILED')).length === 1, 'the first FAILED delivery');
    await createIssue(admin);
    await waitUntil(async () => (await deliveriesOf(admin, webhookId, 'FAILED')).length === 2, 'the second FAILED delivery');
    expect(await webhookState(admin, webhookId)).toMatchObject({ enabled: true, consecutiveFailures: 2 });

    receiver.script(path, [{ status: 200 }]);
    await createIssue(admin);
    await waitUntil(async () => (await deliveriesOf(admin, webhookId, 'SUCCEEDED')).length === 1, 'a SUCCEEDED delivery');
    expect(await webhookState(admin, webhookId)).toMatchObject({ enabled: true, consecutiveFailures: 0 });

    // The counter really starts again: two more failures do not reach the threshold of 3.
    receiver.script(path, [{ status: 400 }]);
    await createIssue(admin);
    await createIssue(admin);
    await waitUntil(async () => (await deliveriesOf(admin, webhookId, 'FAILED')).length === 4, 'two more FAILED deliveries');
    expect(await webhookState(admin, webhookId)).toMatchObject({ enabled: true, consecutiveFailures: 2, disabledReason: null });
  });
});

describe('deliveries of one webhook', () => {
  let hw: TestService;
  let receiver: Receiver;
  beforeAll(async () => {
    hw = await startTestService();
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await hw?.stop();
    await receiver?.close();
  });

  it('testWebhook sends a signed webhook.test event now, logged as a test delivery', async () => {
    const admin = await newOrg(hw, 'Lifecycle');
    const path = '/lifecycle/test-webhook';
    const { id: webhookId, secret } = await createWebhook(admin, { url: receiver.url(path) });
    const { testWebhook } = await admin.must(`mutation ($id: ID!) { testWebhook(id: $id) { ${DELIVERY_FIELDS} } }`, { id: webhookId });
    expect(testWebhook).toMatchObject({ webhookId, eventType: 'webhook.test', test: true });
    expect(testWebhook.eventId).toMatch(/^evt_/);
    const [request] = await receiver.waitFor(path, 1, 2000);
    expect(request.headers['x-hookwarden-event']).toBe('webhook.test');
    expect(request.webhookId).toBe(testWebhook.eventId);
    expect(() => new StandardWebhook(secret).verify(request.body, standardHeaders(request))).not.toThrow();
    expect(JSON.parse(request.body.toString()).type).toBe('webhook.test');
    const done = await waitUntil(async () => {
      const d = await delivery(admin, testWebhook.id);
      return d.status === 'SUCCEEDED' ? d : null;
    }, 'the test delivery SUCCEEDED');
    expect(done).toMatchObject({ test: true, eventType: 'webhook.test', attemptCount: 1 });
    expect(Buffer.from(done.requestBody).equals(request.body)).toBe(true);
  });

  it('testWebhook reaches a webhook whose events filter would not match webhook.test', async () => {
    const admin = await newOrg(hw, 'Lifecycle');
    const path = '/lifecycle/test-webhook-filtered';
    const { id: webhookId } = await createWebhook(admin, { url: receiver.url(path), events: ['issue.comment_added'], severities: ['CRITICAL'] });
    const { testWebhook } = await admin.must(`mutation ($id: ID!) { testWebhook(id: $id) { id eventType test } }`, { id: webhookId });
    expect(testWebhook).toMatchObject({ eventType: 'webhook.test', test: true });
    const [request] = await receiver.waitFor(path, 1, 2000);
    expect(request.headers['x-hookwarden-event']).toBe('webhook.test');
    // The filter itself still holds for real events.
    await createIssue(admin);
    await sleep(300);
    expect(receiver.on(path)).toHaveLength(1);
  });

  it('redeliver makes a new delivery of the same event: new id, attempts from 1, the same webhook-id', async () => {
    const admin = await newOrg(hw, 'Lifecycle');
    const path = '/lifecycle/redeliver';
    receiver.script(path, [{ status: 500 }, { status: 200 }]);
    const { id: webhookId } = await createWebhook(admin, { url: receiver.url(path) });
    await createIssue(admin);
    const original = await waitUntil(async () => (await deliveriesOf(admin, webhookId, 'SUCCEEDED'))[0], 'the original delivery SUCCEEDED');
    expect(original.attemptCount).toBe(2);

    const { redeliver } = await admin.must(`mutation ($id: ID!) { redeliver(deliveryId: $id) { ${DELIVERY_FIELDS} } }`, { id: original.id });
    expect(redeliver.id).not.toBe(original.id);
    expect(redeliver.eventId).toBe(original.eventId);
    expect(redeliver.webhookId).toBe(webhookId);
    expect(redeliver.attemptCount).toBe(0);
    expect(redeliver.attempts).toEqual([]);
    const again = await waitUntil(async () => {
      const d = await delivery(admin, redeliver.id);
      return d.status === 'SUCCEEDED' ? d : null;
    }, 'the redelivery SUCCEEDED');
    expect(again.attempts.map((a: any) => a.number)).toEqual([1]);
    expect(again.requestBody).toBe(original.requestBody);
    // Three requests for one event (500, 200, then the redelivery), all with its id.
    const requests = receiver.on(path);
    expect(requests).toHaveLength(3);
    expect(new Set(requests.map((r) => r.webhookId))).toEqual(new Set([original.eventId]));
    // The original is untouched.
    expect(await delivery(admin, original.id)).toMatchObject({ status: 'SUCCEEDED', attemptCount: 2 });
    expect(await deliveriesOf(admin, webhookId)).toHaveLength(2);
  });

  async function retryingDelivery(admin: Admin, path: string): Promise<{ webhookId: string; deliveryId: string }> {
    receiver.script(path, [{ status: 500, delayMs: 300 }]);
    const { id: webhookId } = await createWebhook(admin, { url: receiver.url(path), retryCount: 10 });
    await createIssue(admin);
    const open = await waitUntil(async () => (await deliveriesOf(admin, webhookId, 'RETRYING'))[0], 'a RETRYING delivery');
    return { webhookId, deliveryId: open.id };
  }

  it('deleteWebhook cancels a RETRYING delivery: at most one more request arrives', async () => {
    const admin = await newOrg(hw, 'Lifecycle');
    const path = '/lifecycle/delete-while-retrying';
    const { webhookId, deliveryId } = await retryingDelivery(admin, path);
    const { deleteWebhook } = await admin.must('mutation ($id: ID!) { deleteWebhook(id: $id) }', { id: webhookId });
    expect(deleteWebhook).toBe(webhookId);
    const seen = receiver.on(path).length;
    expect((await delivery(admin, deliveryId)).status).toBe('CANCELLED');
    await sleep(700);
    expect(receiver.on(path).length).toBeLessThanOrEqual(seen + 1);
    const final = await delivery(admin, deliveryId);
    expect(final.status).toBe('CANCELLED');
    expect(final.nextAttemptAt).toBeNull();
  });

  it('updateWebhook enabled:false cancels open deliveries: at most one more request arrives', async () => {
    const admin = await newOrg(hw, 'Lifecycle');
    const path = '/lifecycle/disable-while-retrying';
    const { webhookId, deliveryId } = await retryingDelivery(admin, path);
    const updated = await updateWebhook(admin, webhookId, { enabled: false });
    expect(updated.enabled).toBe(false);
    const seen = receiver.on(path).length;
    expect((await delivery(admin, deliveryId)).status).toBe('CANCELLED');
    await sleep(700);
    expect(receiver.on(path).length).toBeLessThanOrEqual(seen + 1);
    const final = await delivery(admin, deliveryId);
    expect(final.status).toBe('CANCELLED');
    expect(final.nextAttemptAt).toBeNull();
  });
});
