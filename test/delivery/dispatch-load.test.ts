// Load and isolation in the dispatcher: a receiver that never answers must not hold up another
// webhook's delivery, and 200 events to one webhook must each arrive exactly once. Real service,
// real receivers on 127.0.0.1.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver, waitUntil, type Receiver } from '../support/receiver.ts';
import { createIssue, createWebhook, deliveriesOf, newOrg } from '../support/ops.ts';
import { startTestService, type TestService } from '../support/service.ts';

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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('dispatcher under load', () => {
  it('a receiver that never answers does not delay another webhook', async () => {
    // Its own receiver, closed at the end so the hanging attempts end with it.
    const local = await startReceiver();
    try {
      const admin = await newOrg(hw, 'Load');
      local.script('/hang', [{ status: 200, delayMs: 20_000 }]);
      const { id: stuckId } = await createWebhook(admin, { url: local.url('/hang'), timeoutMs: 5000 });
      for (let i = 0; i < 10; i++) await createIssue(admin);
      // The stuck webhook's attempts are in flight (as many as it may have at once).
      await local.waitFor('/hang', 1, 5000);
      await sleep(200);
      const inFlight = local.on('/hang').length;
      expect(inFlight).toBeGreaterThanOrEqual(1);

      const { id: healthyId } = await createWebhook(admin, { url: local.url('/healthy') });
      const issuedAt = Date.now();
      await createIssue(admin);
      const [request] = await local.waitFor('/healthy', 1, 4000);
      expect(request.at - issuedAt).toBeLessThan(1500); // the stuck one answers only after its 5 s timeout
      await waitUntil(async () => (await deliveriesOf(admin, healthyId, 'SUCCEEDED')).length === 1, 'the healthy delivery SUCCEEDED', 3000);
      // The stuck one really had its deliveries open all along.
      const open = [...(await deliveriesOf(admin, stuckId, 'PENDING')), ...(await deliveriesOf(admin, stuckId, 'RETRYING'))];
      expect(open.length).toBe(11);
      await admin.must('mutation ($id: ID!) { deleteWebhook(id: $id) }', { id: stuckId });
    } finally {
      await local.close();
    }
  });

  it('200 issues to one webhook: each arrives exactly once and every delivery SUCCEEDED', async () => {
    const admin = await newOrg(hw, 'Load');
    const path = '/load/200';
    // The longest timeout: on a starved CI box the one process holding service, receiver and test can
    // stall for seconds, and a timed-out attempt is rightly retried (at least once). With no failed
    // attempt, each event must arrive exactly once.
    const { id: webhookId } = await createWebhook(admin, { url: receiver.url(path), timeoutMs: 30_000 });
    const total = 200;
    // 200 issue.created events, 20 per request (aliased mutations run one after another), two requests at a time.
    const twenty = `mutation { ${Array.from({ length: 20 }, (_, i) => `i${i}: createIssue(input: { pluginId: "p", severity: LOW, weakness: "W" }) { id }`).join(' ')} }`;
    for (let sent = 0; sent < total; sent += 40) await Promise.all([admin.must(twenty), admin.must(twenty)]);
    await receiver.waitFor(path, total, 20_000);
    await waitUntil(async () => (await deliveriesOf(admin, webhookId, 'SUCCEEDED')).length === total, 'all deliveries SUCCEEDED', 10_000);
    await sleep(300);
    const requests = receiver.on(path);
    const perId = new Map<string, number>();
    for (const r of requests) perId.set(String(r.webhookId), (perId.get(String(r.webhookId)) ?? 0) + 1);
    expect(perId.size).toBe(total);
    expect([...perId.values()].filter((n) => n !== 1), 'webhook-ids received more than once').toEqual([]);
    expect(requests).toHaveLength(total);
    const all = await deliveriesOf(admin, webhookId);
    expect(all).toHaveLength(total);
    expect(all.filter((d) => d.status !== 'SUCCEEDED' || d.attemptCount !== 1)).toEqual([]);
    expect(new Set(all.map((d) => d.eventId))).toEqual(new Set(perId.keys()));
  });
});
