// PostgreSQL: createIssue calls that arrive while earlier ones are under way share the read of
// their webhooks and the write of their rows (recordEventTogether); when the shared write fails,
// each is written alone, so a bad one fails by itself. Real service, real receiver, real PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { announceDeliveries, recordEventTogether, type EventSpec } from '../../src/domain/events.ts';
import { newIdAt } from '../../src/domain/ids.ts';
import { createWebhook, newOrg } from '../support/ops.ts';
import { startReceiver, type Receiver } from '../support/receiver.ts';
import { startTestService, TEST_DATABASE, type TestService } from '../support/service.ts';

describe.runIf(TEST_DATABASE === 'postgres')('recording events together (PostgreSQL)', () => {
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

  const spec = (organizationId: string, n: number): EventSpec => ({
    organizationId,
    type: 'issue.created',
    teamId: null,
    severity: 'HIGH',
    data: { n },
  });

  it('each recording of one moment gets its own event and deliveries; one that cannot be written fails alone', async () => {
    const admin = await newOrg(hw, 'Together');
    const { id: webhookId } = await createWebhook(admin, { url: receiver.url('/together') });
    const [{ organizationId }] = await hw.service.app.db.sql.query(`SELECT "organizationId" FROM "Webhook" WHERE "id" = :webhookId`, { webhookId });
    const { app } = hw.service;
    // Started at once: the first two go out alone, the rest wait and share a read and (as their
    // reads return together) a write. The fourth names no organization that exists, so its event
    // breaks a foreign key and fails whatever it shares.
    const numbers = [1, 2, 3, 4, 5, 6];
    const outcomes = await Promise.allSettled(
      numbers.map((n) => recordEventTogether(app, spec(n === 4 ? newIdAt('org').id : String(organizationId), n))),
    );
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    for (const outcome of outcomes) if (outcome.status === 'fulfilled') announceDeliveries(app, outcome.value.deliveries, outcome.value.handoff);

    const events = await app.db.sql.query(`SELECT "data" FROM "Event" WHERE "organizationId" = :organizationId`, { organizationId });
    expect(events.map((row) => JSON.parse(String(row.data)).n).sort()).toEqual([1, 2, 3, 5, 6]);
    const arrived = await receiver.waitFor('/together', 5);
    expect(arrived.map((r) => JSON.parse(r.body.toString()).data.n).sort()).toEqual([1, 2, 3, 5, 6]);
  });
});
