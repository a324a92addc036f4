// New deliveries go straight to this process's dispatcher when it has room for them (app.handoff):
// the writer reserves room, writes them leased to this process and hands them over once committed,
// with no claim in between. Real service, real receiver on 127.0.0.1, real database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { epochMs } from '../../src/db/sql.ts';
import { createIssue, createWebhook, deliveriesOf, newOrg } from '../support/ops.ts';
import { startReceiver, waitUntil, type Receiver } from '../support/receiver.ts';
import { startTestService, type TestService } from '../support/service.ts';

const MARGIN_MS = 7_000;

describe('handing new deliveries to the dispatcher (3 slots, 2 per webhook)', () => {
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

  it('promises no more room than its free slots, nor more to a webhook than its cap; a started reservation frees its room', () => {
    const { dispatcher } = hw.service;
    const first = dispatcher.reserve(['wh_a', 'wh_a', 'wh_a', 'wh_b', 'wh_c']);
    expect(first?.taken).toEqual([true, true, false, true, false]);
    expect(dispatcher.reserve(['wh_d'])).toBeNull();
    first!.start([]);
    const second = dispatcher.reserve(['wh_d']);
    expect(second?.taken).toEqual([true]);
    second!.start([]);
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

  it('writes what is beyond its room PENDING and unleased, and a claim sends it after', async () => {
    const admin = await newOrg(hw, 'Handoff');
    const path = '/handoff/beyond';
    receiver.script(path, [{ status: 200, delayMs: 400 }]);
    const { id: webhookId } = await createWebhook(admin, { url: receiver.url(path) });
    const issues = [await createIssue(admin), await createIssue(admin), await createIssue(admin)];
    const rows = await hw.service.app.db.sql.query(`SELECT "createdAt", "leaseExpiresAt" FROM "Delivery" WHERE "webhookId" = :webhookId ORDER BY "id"`, {
      webhookId,
    });
    // Two per webhook, leased from their creation (the default timeout is 5 s): the third waits for a claim.
    const leasedFor = rows.map((row) => (row.leaseExpiresAt === null ? null : epochMs(row.leaseExpiresAt)! - epochMs(row.createdAt)!));
    expect(leasedFor).toEqual([5000 + MARGIN_MS, 5000 + MARGIN_MS, null]);
    await receiver.waitFor(path, 3);
    const arrived = receiver.on(path).map((r) => JSON.parse(r.body.toString()).data.issue.id);
    expect(arrived.slice(2)).toEqual([issues[2]]);
    await waitUntil(async () => {
      const list = await deliveriesOf(admin, webhookId, 'SUCCEEDED');
      return list.length === 3 ? list : null;
    }, 'all three to succeed');
  });
});
