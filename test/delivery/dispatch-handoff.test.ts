// New deliveries go straight to this process's dispatcher when it has room for them (app.handoff):
// the writer reserves room, writes them leased to this process and hands them over once committed,
// with no claim in between. Real service, real receiver on 127.0.0.1, real database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { epochMs } from '../../src/db/sql.ts';
import { createIssue, createWebhook, deliveriesOf, newOrg } from '../support/ops.ts';
import { startReceiver, waitUntil, type Receiver } from '../support/receiver.ts';
import { startTestService, type TestService } from '../support/service.ts';

const MARGIN_MS = 7_000;

describe('handing new deliveries to the dispatcher (3 slots, 2 per webhook in flight)', () => {
  let hw: TestService;
  let receiver: Receiver;
  beforeAll(async () => {
    hw = await startTestService({ HOOKWARDEN_CONCURRENCY: '3', HOOKWARDEN_WEBHOOK_CONCURRENCY: '2', HOOKWARDEN_LEASE_MARGIN_MS: String(MARGIN_MS) });
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await hw?.stop();
    await receiver?.close();
  });

  it('promises a webhook up to four times its cap; what it declines makes it promise nothing until a claim has caught up', async () => {
    const { dispatcher } = hw.service;
    const of = (...ids: string[]) => ids.map((webhookId) => ({ webhookId, bytes: 1000 }));
    const first = dispatcher.reserve(of(...Array(9).fill('wh_a'), 'wh_b'));
    expect(first?.taken).toEqual([...Array(8).fill(true), false, true]);
    // The ninth is written PENDING: nothing newer may pass it.
    expect(dispatcher.reserve(of('wh_c'))).toBeNull();
    first!.start([]);
    // The claim loop's next look (every 200 ms here) finds no due work: new work is taken again.
    const second = await waitUntil(() => dispatcher.reserve(of('wh_c')), 'the dispatcher to take new work again');
    expect(second.taken).toEqual([true]);
    second.start([]);
  });

  it('promises bodies of at most 16 MiB in all, however few', async () => {
    const { dispatcher } = hw.service;
    const mib = 1024 * 1024;
    const big = dispatcher.reserve(['wh_d', 'wh_e', 'wh_f'].map((webhookId) => ({ webhookId, bytes: 7 * mib })));
    expect(big?.taken).toEqual([true, true, false]);
    big!.start([]);
    // The third was written PENDING: wait for the claim loop to catch up before the next test.
    await waitUntil(() => {
      const probe = dispatcher.reserve([{ webhookId: 'wh_g', bytes: 1 }]);
      probe?.start([]);
      return probe;
    }, 'the dispatcher to take new work again');
  });

  it('writes a new delivery leased to this process for its webhook timeout plus the margin, and sends it', async () => {
    const admin = await newOrg(hw, 'Handoff');
    const path = '/handoff/held';
    // The receiver holds the request, so the delivery is read while its attempt is in flight.
    receiver.script(path, [{ status: 200, delayMs: 400 }]);
    const { id: webhookId } = await createWebhook(admin, { url: receiver.url(path), timeoutMs: 3000 });
    await createIssue(admin);
    const [row] = await hw.service.app.db.sql.query(
      `SELECT "status", "attemptCount", "createdAt", "leaseExpiresAt" FROM "Delivery" WHERE "webhookId" = :webhookId`,
      { webhookId },
    );
    expect(row.status).toBe('PENDING');
    expect(Number(row.attemptCount)).toBe(0);
    // A claim would lease it from the moment it ran; written leased, the lease counts from its creation.
    expect(epochMs(row.leaseExpiresAt)).toBe(epochMs(row.createdAt)! + 3000 + MARGIN_MS);
    await receiver.waitFor(path);
    const [done] = await waitUntil(async () => {
      const list = await deliveriesOf(admin, webhookId);
      return list[0]?.status === 'SUCCEEDED' ? list : null;
    }, 'the delivery to succeed');
    expect(done.attempts.map((a: any) => [a.number, a.statusCode])).toEqual([[1, 200]]);
    expect(receiver.on(path)).toHaveLength(1);
  });

  it('writes what is beyond its room PENDING and unleased, and a claim sends it after the rest', async () => {
    const admin = await newOrg(hw, 'Handoff');
    const path = '/handoff/beyond';
    // Held a second: the nine are written before the first two answers free room.
    receiver.script(path, [{ status: 200, delayMs: 1000 }]);
    const { id: webhookId } = await createWebhook(admin, { url: receiver.url(path) });
    const issues: string[] = [];
    const leasedFor: Array<number | null> = [];
    for (let i = 0; i < 9; i += 1) {
      issues.push(await createIssue(admin));
      // Read at once, while its attempt is in flight or waits for a slot (a settled one has no lease).
      const [row] = await hw.service.app.db.sql.query(
        `SELECT "createdAt", "leaseExpiresAt" FROM "Delivery" WHERE "webhookId" = :webhookId ORDER BY "id" DESC LIMIT 1`,
        { webhookId },
      );
      leasedFor.push(row.leaseExpiresAt === null ? null : epochMs(row.leaseExpiresAt)! - epochMs(row.createdAt)!);
    }
    // Eight (four times the cap of 2) leased from their creation (the default timeout is 5 s);
    // the ninth waits for a claim.
    expect(leasedFor).toEqual([...Array(8).fill(5000 + MARGIN_MS), null]);
    await receiver.waitFor(path, 9);
    const arrived = receiver.on(path).map((r) => JSON.parse(r.body.toString()).data.issue.id);
    expect(arrived.at(-1)).toEqual(issues[8]);
    await waitUntil(async () => {
      const list = await deliveriesOf(admin, webhookId, 'SUCCEEDED');
      return list.length === 9 ? list : null;
    }, 'all nine to succeed');
  });

  it('sends what waits here for a slot as the webhook now is: to its new URL after an update, nowhere after a delete', async () => {
    const admin = await newOrg(hw, 'Handoff');
    const [before, after, deleted] = ['/handoff/before', '/handoff/after', '/handoff/deleted'];
    // Held 1.5 s: the events, the update and the delete all happen while the first attempts are in flight.
    for (const path of [before, after, deleted]) receiver.script(path, [{ status: 200, delayMs: 1500 }]);
    const moved = await createWebhook(admin, { url: receiver.url(before) });
    const gone = await createWebhook(admin, { url: receiver.url(deleted) });
    // Five events: three slots, so two deliveries of the first webhook (its cap) and one of the
    // second in flight; the other seven wait here.
    for (let i = 0; i < 5; i += 1) await createIssue(admin);
    await admin.must('mutation ($id: ID!, $input: UpdateWebhookInput!) { updateWebhook(id: $id, input: $input) { id } }', {
      id: moved.id,
      input: { url: receiver.url(after) },
    });
    await admin.must('mutation ($id: ID!) { deleteWebhook(id: $id) }', { id: gone.id });
    // The second of the three to the new URL goes out when a first attempt ends, after 1.5 s; any
    // stray one to the deleted webhook would have gone out then too.
    await receiver.waitFor(after, 3, 15_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect([receiver.on(before).length, receiver.on(after).length, receiver.on(deleted).length]).toEqual([2, 3, 1]);
    // All five, the one in flight at the delete included.
    expect(await deliveriesOf(admin, gone.id, 'CANCELLED')).toHaveLength(5);
  });
});

describe('a handed-over delivery that waits longer than half the lease margin (1 slot, margin 1 s)', () => {
  let hw: TestService;
  let receiver: Receiver;
  beforeAll(async () => {
    hw = await startTestService({ HOOKWARDEN_CONCURRENCY: '1', HOOKWARDEN_WEBHOOK_CONCURRENCY: '1', HOOKWARDEN_LEASE_MARGIN_MS: '1000' });
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await hw?.stop();
    await receiver?.close();
  });

  it('is given back for a claim rather than sent on a lease that may run out, and still arrives once', async () => {
    const admin = await newOrg(hw, 'Handoff');
    const path = '/handoff/slow';
    receiver.script(path, [{ status: 200, delayMs: 800 }]);
    const { id: webhookId } = await createWebhook(admin, { url: receiver.url(path), timeoutMs: 5000 });
    await createIssue(admin);
    await createIssue(admin);
    // The second waited 800 ms for the slot, over half the margin: its lease (5 s + 1 s from its
    // creation) is given back and a claim takes it then, not when it runs out.
    await receiver.waitFor(path, 2, 4000);
    await waitUntil(async () => {
      const list = await deliveriesOf(admin, webhookId, 'SUCCEEDED');
      return list.length === 2 ? list : null;
    }, 'both to succeed', 4000);
    expect(receiver.on(path)).toHaveLength(2);
  });
});
