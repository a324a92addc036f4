// Load and isolation in the dispatcher: a receiver that never answers must not hold up another
// webhook's delivery, and 200 events to one webhook must each arrive exactly once. Real service,
// real receivers on 127.0.0.1.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GraphQLClient } from '../support/graphql.ts';
import { startReceiver, waitUntil, type Receiver } from '../support/receiver.ts';
import { startTestService, type TestService } from '../support/service.ts';

type Admin = GraphQLClient & { token: string };

let hw: TestService;
let receiver: Receiver;
let orgs = 0;

beforeAll(async () => {
  hw = await startTestService();
  receiver = await startReceiver();
});
afterAll(async () => {
  await hw?.stop();
  await receiver?.close();
});

/** Each test gets its own organization, so its issues reach only its own webhooks. */
async function newOrg(hw: TestService): Promise<Admin> {
  orgs += 1;
  return hw.admin(`Load Org ${orgs}`, `admin${orgs}@load.test`);
}

async function createWebhook(admin: Admin, input: Record<string, unknown>): Promise<{ id: string; secret: string }> {
  const { createWebhook } = await admin.must(`mutation ($input: CreateWebhookInput!) { createWebhook(input: $input) { secret webhook { id } } }`, {
    input: { name: 'load', ...input },
  });
  return { id: createWebhook.webhook.id, secret: createWebhook.secret };
}

async function createIssue(admin: Admin): Promise<string> {
  const { createIssue } = await admin.must('mutation { createIssue(input: { pluginId: "p", severity: MEDIUM, weakness: "W" }) { id } }');
  return createIssue.id;
}

async function deliveriesOf(admin: Admin, webhookId: string, status?: string): Promise<any[]> {
  const all: any[] = [];
  let after: string | null = null;
  for (;;) {
    const { deliveries }: any = await admin.must(
      `query ($w: ID!, $s: DeliveryStatus, $after: String) {
        deliveries(webhookId: $w, status: $s, first: 100, after: $after) { edges { node { id eventId status attemptCount } } pageInfo { hasNextPage endCursor } }
      }`,
      { w: webhookId, s: status ?? null, after },
    );
    all.push(...deliveries.edges.map((e: any) => e.node));
    if (!deliveries.pageInfo.hasNextPage) return all;
    after = deliveries.pageInfo.endCursor;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('dispatcher under load', () => {
  it('a receiver that never answers does not delay another webhook', async () => {
    // Its own receiver, closed at the end so the hanging attempts end with it.
    const local = await startReceiver();
    try {
      const admin = await newOrg(hw);
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
    const admin = await newOrg(hw);
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
