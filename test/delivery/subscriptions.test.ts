// Live status over graphql-ws on /graphql (delivery.md, "Live status"; api.graphql, Subscription):
// a real graphql-ws client against a real service, deliveries driven by a real HTTP receiver.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subscribe, type Subscription } from '../support/graphql.ts';
import { createIssue, newOrg as newOrgOf, type Admin } from '../support/ops.ts';
import { startReceiver, waitUntil, type Receiver } from '../support/receiver.ts';
import { startTestService, type TestService } from '../support/service.ts';

let hw: TestService;
let receiver: Receiver;
const open: Array<Subscription<any>> = [];

beforeAll(async () => {
  hw = await startTestService({ HOOKWARDEN_CIRCUIT_BREAKER_THRESHOLD: '3' });
  receiver = await startReceiver();
});
afterAll(async () => {
  await Promise.all(open.map((s) => s.close().catch(() => {})));
  await hw?.stop();
  await receiver?.close();
});

const newOrg = (label = 'Subs') => newOrgOf(hw, label);

async function createWebhook(admin: Admin, input: Record<string, unknown>): Promise<string> {
  const { createWebhook } = await admin.must(`mutation ($input: CreateWebhookInput!) { createWebhook(input: $input) { webhook { id } } }`, {
    input: { name: 'live', ...input },
  });
  return createWebhook.webhook.id;
}

const DELIVERY_UPDATED = `subscription ($webhookId: ID) {
  deliveryUpdated(webhookId: $webhookId) { id webhookId eventId eventType status attemptCount nextAttemptAt lastStatusCode test }
}`;
const WEBHOOK_UPDATED = `subscription { webhookUpdated { id name enabled disabledReason consecutiveFailures } }`;

function live<T = any>(token: string | null, document: string, variables: Record<string, unknown> = {}): Subscription<T> {
  const sub = subscribe<T>(hw.wsUrl, token, document, variables);
  open.push(sub);
  return sub;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * graphql-ws acknowledges the connection before the server has registered the subscription, so
 * poke (something that publishes to it) until the subscription shows it is listening.
 */
async function armed(sub: Subscription<any>, poke: () => Promise<unknown>, heard: (item: any) => boolean): Promise<void> {
  await sub.connected;
  expect(sub.errors).toEqual([]);
  for (let i = 0; i < 20; i++) {
    await poke();
    const deadline = Date.now() + 500;
    while (Date.now() < deadline) {
      if (sub.items.some(heard)) return;
      await sleep(10);
    }
  }
  throw new Error(`subscription never heard a poke; errors: ${JSON.stringify(sub.errors)}`);
}

function codes(errors: unknown[]): string[] {
  const out: string[] = [];
  const visit = (e: any) => {
    if (Array.isArray(e)) e.forEach(visit);
    else if (e && typeof e === 'object') {
      if (e.extensions?.code) out.push(e.extensions.code);
      if (e.code !== undefined) out.push(String(e.code));
      if (e.reason) out.push(String(e.reason));
    }
  };
  visit(errors);
  return out;
}

describe('deliveryUpdated', () => {
  it('with webhookId: the new delivery as PENDING (attemptCount 0), then RETRYING after a 500, then SUCCEEDED after the 200, in that order', async () => {
    const admin = await newOrg();
    const path = '/subs/sequence';
    receiver.script(path, [{ status: 500 }, { status: 200 }]);
    const webhookId = await createWebhook(admin, { url: receiver.url(path) });
    // A second webhook of the same organization gets the same event: the filter must leave it out.
    const sibling = await createWebhook(admin, { url: receiver.url('/subs/sequence-sibling') });
    const sub = live(admin.token, DELIVERY_UPDATED, { webhookId });
    await armed(
      sub,
      () => admin.must('mutation ($id: ID!) { testWebhook(id: $id) { id } }', { id: webhookId }),
      (item) => item.deliveryUpdated.eventType === 'webhook.test' && item.deliveryUpdated.status === 'SUCCEEDED',
    );

    await createIssue(admin);
    const real = () => sub.items.map((i) => i.deliveryUpdated).filter((d) => d.eventType === 'issue.created');
    await waitUntil(() => real().some((d) => d.status === 'SUCCEEDED'), 'SUCCEEDED on the subscription');
    await receiver.waitFor('/subs/sequence-sibling', 1);
    await sleep(200);
    expect(sub.items.filter((i) => i.deliveryUpdated.webhookId !== webhookId)).toEqual([]);
    expect(sibling).not.toBe(webhookId);
    const seen = real();
    expect(new Set(seen.map((d) => d.id)).size).toBe(1);
    expect(seen.every((d) => d.webhookId === webhookId && d.test === false)).toBe(true);
    expect(seen.map((d) => [d.status, d.attemptCount, d.lastStatusCode])).toEqual([
      ['PENDING', 0, null],
      ['RETRYING', 1, 500],
      ['SUCCEEDED', 2, 200],
    ]);
    expect(seen[0].nextAttemptAt).not.toBeNull();
    expect(seen[1].nextAttemptAt).not.toBeNull();
    expect(seen[2].nextAttemptAt).toBeNull();
    expect(sub.errors).toEqual([]);
  });

  it("without webhookId: every delivery of the organization's webhooks", async () => {
    const admin = await newOrg();
    const a = await createWebhook(admin, { url: receiver.url('/subs/all-a') });
    const b = await createWebhook(admin, { url: receiver.url('/subs/all-b'), events: ['issue.*'] });
    const sub = live(admin.token, DELIVERY_UPDATED);
    await armed(
      sub,
      () => admin.must('mutation ($id: ID!) { testWebhook(id: $id) { id } }', { id: a }),
      (item) => item.deliveryUpdated.eventType === 'webhook.test',
    );
    await createIssue(admin);
    const forIssue = () => sub.items.map((i) => i.deliveryUpdated).filter((d) => d.eventType === 'issue.created');
    await waitUntil(() => forIssue().filter((d) => d.status === 'SUCCEEDED').length === 2, 'both deliveries SUCCEEDED on the subscription');
    const byWebhook = (id: string) => forIssue().filter((d) => d.webhookId === id).map((d) => d.status);
    expect(byWebhook(a)).toEqual(['PENDING', 'SUCCEEDED']);
    expect(byWebhook(b)).toEqual(['PENDING', 'SUCCEEDED']);
  });

  it("another organization's admin receives none of Acme's deliveries, but does receive its own", async () => {
    const acme = await newOrg('Acme');
    const other = await newOrg('Other');
    const acmeHook = await createWebhook(acme, { url: receiver.url('/subs/acme') });
    const otherHook = await createWebhook(other, { url: receiver.url('/subs/other') });
    const acmeSub = live(acme.token, DELIVERY_UPDATED);
    const otherSub = live(other.token, DELIVERY_UPDATED);
    const isTest = (item: any) => item.deliveryUpdated.eventType === 'webhook.test';
    await armed(acmeSub, () => acme.must('mutation ($id: ID!) { testWebhook(id: $id) { id } }', { id: acmeHook }), isTest);
    await armed(otherSub, () => other.must('mutation ($id: ID!) { testWebhook(id: $id) { id } }', { id: otherHook }), isTest);
    await sleep(200);

    // Acme's delivery goes all the way while the other organization listens...
    await createIssue(acme);
    await waitUntil(
      () => acmeSub.items.some((i) => i.deliveryUpdated.eventType === 'issue.created' && i.deliveryUpdated.status === 'SUCCEEDED'),
      "Acme's own subscription to see its delivery SUCCEEDED",
    );
    // ...then the other organization's own delivery, published after Acme's, reaches it.
    await createIssue(other);
    await waitUntil(
      () => otherSub.items.some((i) => i.deliveryUpdated.eventType === 'issue.created' && i.deliveryUpdated.status === 'SUCCEEDED'),
      'the other organization to see its own delivery',
    );
    await sleep(100);
    const leaked = otherSub.items.map((i) => i.deliveryUpdated).filter((d) => d.webhookId !== otherHook);
    expect(leaked).toEqual([]);
    expect(acmeSub.items.map((i) => i.deliveryUpdated).filter((d) => d.webhookId !== acmeHook)).toEqual([]);
  });
});

describe('who may subscribe', () => {
  /** Proves the subscription got nothing while deliveries of the organization were really published. */
  async function provesSilence(sub: Subscription<any>, admin: Admin, path: string) {
    const watcher = live(admin.token, DELIVERY_UPDATED);
    const webhookId = await createWebhook(admin, { url: receiver.url(path) });
    await armed(watcher, () => admin.must('mutation ($id: ID!) { testWebhook(id: $id) { id } }', { id: webhookId }), () => true);
    await createIssue(admin);
    await waitUntil(() => watcher.items.some((i) => i.deliveryUpdated.eventType === 'issue.created' && i.deliveryUpdated.status === 'SUCCEEDED'), 'the admin watcher');
    await sleep(100);
    expect(sub.items).toEqual([]);
  }

  it('no token: an error and no data', async () => {
    const admin = await newOrg();
    const sub = live(null, DELIVERY_UPDATED);
    await waitUntil(() => sub.errors.length > 0, 'an error for a subscription without a token', 5000);
    await provesSilence(sub, admin, '/subs/no-token');
    // The contract's code for a missing token, not an internal error (nor a 4500 close of the socket).
    expect(codes(sub.errors)).toContain('UNAUTHENTICATED');
    expect(codes(sub.errors)).not.toContain('INTERNAL_SERVER_ERROR');
    expect(codes(sub.errors)).not.toContain('4500');
  });

  it('no token over graphql-ws: __typename still answers (only fields need a token)', async () => {
    const sub = live(null, '{ __typename }');
    await waitUntil(() => sub.items.length > 0 || sub.errors.length > 0, 'an answer to { __typename }', 5000);
    expect(codes(sub.errors)).toEqual([]);
    expect(sub.items).toEqual([{ __typename: 'Query' }]);
  });

  it('a bad token: an error and no data', async () => {
    const admin = await newOrg();
    const sub = live('hw_not-a-real-token', DELIVERY_UPDATED);
    await waitUntil(() => sub.errors.length > 0, 'an error for a bad token', 5000);
    await provesSilence(sub, admin, '/subs/bad-token');
  });

  it('a MEMBER token: FORBIDDEN and no data, for deliveryUpdated and webhookUpdated', async () => {
    const admin = await newOrg();
    const { createApiToken } = await admin.must('mutation { createApiToken(name: "member bot", role: MEMBER) { token user { role } } }');
    expect(createApiToken.user.role).toBe('MEMBER');
    const deliveries = live(createApiToken.token, DELIVERY_UPDATED);
    const webhooks = live(createApiToken.token, WEBHOOK_UPDATED);
    await waitUntil(() => deliveries.errors.length > 0 && webhooks.errors.length > 0, 'FORBIDDEN for the member', 5000);
    expect(codes(deliveries.errors)).toContain('FORBIDDEN');
    expect(codes(webhooks.errors)).toContain('FORBIDDEN');
    await provesSilence(deliveries, admin, '/subs/member');
    expect(webhooks.items).toEqual([]);
  });
});

describe('webhookUpdated', () => {
  async function listening(admin: Admin): Promise<Subscription<any>> {
    const sub = live(admin.token, WEBHOOK_UPDATED);
    const probe = await createWebhook(admin, { url: receiver.url('/subs/probe'), events: ['issue.comment_added'] });
    let n = 0;
    await armed(
      sub,
      () => admin.must('mutation ($id: ID!, $name: String!) { updateWebhook(id: $id, input: { name: $name }) { id } }', { id: probe, name: `probe ${++n}` }),
      (item) => item.webhookUpdated.id === probe,
    );
    return sub;
  }

  /** The first webhookUpdated item matching, or an error listing everything heard. */
  async function heard(sub: Subscription<any>, match: (w: any) => boolean, what: string, timeoutMs = 5000): Promise<any> {
    try {
      return await waitUntil(() => sub.items.map((i) => i.webhookUpdated).find(match), what, timeoutMs);
    } catch {
      throw new Error(`timed out waiting for ${what}; heard ${JSON.stringify(sub.items)}; errors ${JSON.stringify(codes(sub.errors))}`);
    }
  }

  it('publishes the webhook the circuit breaker disabled (threshold 3)', async () => {
    const admin = await newOrg();
    const sub = await listening(admin);
    const path = '/subs/breaker';
    receiver.script(path, [{ status: 500 }]);
    const webhookId = await createWebhook(admin, { url: receiver.url(path), retryCount: 10 });
    await createIssue(admin);
    const disabled = await heard(sub, (w) => w.id === webhookId && w.enabled === false, 'webhookUpdated with the breaker-disabled webhook');
    expect(disabled.disabledReason).toBeTruthy();
    expect(disabled.consecutiveFailures).toBeGreaterThanOrEqual(3);
    expect(receiver.on(path)).toHaveLength(3);
  });

  it('publishes the webhook a 410 disabled', async () => {
    const admin = await newOrg();
    const sub = await listening(admin);
    const path = '/subs/gone';
    receiver.script(path, [{ status: 410 }]);
    const webhookId = await createWebhook(admin, { url: receiver.url(path), retryCount: 10 });
    await createIssue(admin);
    const disabled = await heard(sub, (w) => w.id === webhookId && w.enabled === false, 'webhookUpdated with the 410-disabled webhook');
    expect(disabled.disabledReason).toMatch(/410/);
    expect(receiver.on(path)).toHaveLength(1);
  });

  it('publishes the webhook when a success resets its consecutiveFailures', async () => {
    const admin = await newOrg();
    const sub = await listening(admin);
    const path = '/subs/reset';
    // Retry-After holds the failed state for a second, so the failure's update is read while it lasts.
    receiver.script(path, [{ status: 503, headers: { 'retry-after': '1' } }, { status: 200 }]);
    const webhookId = await createWebhook(admin, { url: receiver.url(path) });
    await createIssue(admin);
    // The failure (counter 1) is published...
    await heard(sub, (w) => w.id === webhookId && w.consecutiveFailures === 1, 'webhookUpdated with consecutiveFailures 1', 5000);
    await receiver.waitFor(path, 2);
    await waitUntil(async () => {
      const { deliveries } = await admin.must('query ($w: ID!) { deliveries(webhookId: $w) { edges { node { status } } } }', { w: webhookId });
      return deliveries.edges[0]?.node.status === 'SUCCEEDED';
    }, 'the delivery SUCCEEDED');
    const { webhook } = await admin.must('query ($id: ID!) { webhook(id: $id) { consecutiveFailures } }', { id: webhookId });
    expect(webhook.consecutiveFailures).toBe(0);
    // ...and so is the reset to 0 by the success: the webhook changed.
    const mine = () => sub.items.map((i) => i.webhookUpdated).filter((w) => w.id === webhookId);
    const failedAt = mine().findIndex((w) => w.consecutiveFailures === 1);
    const published = await waitUntil(() => mine().slice(failedAt + 1).some((w) => w.consecutiveFailures === 0), 'the reset', 3000).catch(() => false);
    expect(published, `published counters: ${JSON.stringify(mine().map((w) => w.consecutiveFailures))}`).toBe(true);
  });
});
