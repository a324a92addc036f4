// Recording an event: the event row and one PENDING delivery per receiving webhook, written in the
// caller's transaction, with each body formatted once, here, for that webhook. These run for every
// event, so they are our own prepared statements (src/db/sql.ts), not Prisma's.
import type { App } from '../app.ts';
import { formatFor, type WebhookFormat } from '../delivery/formats/index.ts';
import { baseHeaders } from '../delivery/signing.ts';
import { RECORD_DIALECTS } from '../db/record-sql.ts';
import type { SqlRunner } from '../db/sql.ts';
import type { Prisma } from '../generated/prisma/client.ts';
import { deliveryUpdate, type DeliveryUpdate } from '../pubsub.ts';
import { envelopeFor, type EventRecord } from './envelope.ts';
import { newIdAt } from './ids.ts';
import { webhookReceives } from './matching.ts';

export type Tx = Prisma.TransactionClient;

export interface EventSpec {
  organizationId: string;
  type: string;
  teamId: string | null;
  /** Upper-case severity of an issue event, for the webhooks' severity filters. */
  severity: string | null;
  data: Record<string, unknown>;
  metadata?: Record<string, unknown> | null;
  idempotencyKey?: string | null;
}

export interface RecordedEvent {
  event: EventRecord;
  /** What to publish once the transaction has committed. */
  deliveries: DeliveryUpdate[];
}

export interface WebhookForDelivery {
  id: string;
  format: string;
  headerMasks: string | null;
}

/** Writes PENDING deliveries of an already recorded event to the given webhooks. */
export async function createDeliveries(
  tx: SqlRunner,
  app: App,
  event: EventRecord,
  webhooks: readonly WebhookForDelivery[],
  options: { test?: boolean } = {},
): Promise<DeliveryUpdate[]> {
  if (webhooks.length === 0) return [];
  const { sql, time, bool } = RECORD_DIALECTS[app.db.provider];
  const test = options.test ?? false;
  const rows = webhooks.map((webhook) => {
    const { body, contentType } = formatFor(webhook.format as WebhookFormat)(envelopeFor(event, webhook.id), app.format);
    const masks: Array<{ name: string; valueMasked: string }> = webhook.headerMasks ? JSON.parse(webhook.headerMasks) : [];
    const headers = baseHeaders({
      eventId: event.id,
      eventType: event.type,
      contentType,
      custom: masks.map((mask) => ({ name: mask.name, value: mask.valueMasked })),
    });
    const { id, at } = newIdAt('dlv');
    return { id, webhookId: webhook.id, at, headers: JSON.stringify(headers), body };
  });
  await tx.query(sql.insertDeliveries, {
    organizationId: event.organizationId,
    eventId: event.id,
    eventType: event.type,
    test: bool(test),
    rows: JSON.stringify(rows.map((row) => ({ ...row, at: time(row.at.getTime()) }))),
  });
  return rows.map((row) =>
    deliveryUpdate(
      { id: row.id, organizationId: event.organizationId, webhookId: row.webhookId, eventId: event.id, eventType: event.type, test, createdAt: row.at },
      { status: 'PENDING', attemptCount: 0, nextAttemptAt: row.at, lastStatusCode: null, updatedAt: row.at },
    ),
  );
}

function eventRecord(spec: EventSpec): EventRecord {
  const { id, at } = newIdAt('evt');
  return { id, type: spec.type, organizationId: spec.organizationId, teamId: spec.teamId, createdAt: at, data: spec.data, metadata: spec.metadata ?? null };
}

async function insertEvent(tx: SqlRunner, app: App, spec: EventSpec): Promise<EventRecord> {
  const { sql, time } = RECORD_DIALECTS[app.db.provider];
  const event = eventRecord(spec);
  await tx.query(sql.insertEvent, {
    id: event.id,
    organizationId: spec.organizationId,
    type: spec.type,
    teamId: spec.teamId,
    severity: spec.severity,
    data: JSON.stringify(spec.data),
    metadata: spec.metadata ? JSON.stringify(spec.metadata) : null,
    idempotencyKey: spec.idempotencyKey ?? null,
    createdAt: time(event.createdAt.getTime()),
  });
  return event;
}

async function receivingWebhooks(tx: SqlRunner, app: App, spec: EventSpec): Promise<WebhookForDelivery[]> {
  const candidates = await tx.query(RECORD_DIALECTS[app.db.provider].sql.receivingCandidates, { organizationId: spec.organizationId });
  const facts = { type: spec.type, teamId: spec.teamId, severity: spec.severity };
  const receiving: WebhookForDelivery[] = [];
  for (const row of candidates) {
    const webhook = {
      enabled: true,
      events: JSON.parse(String(row.events)),
      teamId: row.teamId === null ? null : String(row.teamId),
      severities: row.severities ? JSON.parse(String(row.severities)) : null,
    };
    if (webhookReceives(webhook, facts)) {
      receiving.push({ id: String(row.id), format: String(row.format), headerMasks: row.headerMasks === null ? null : String(row.headerMasks) });
    }
  }
  return receiving;
}

/**
 * Records the event and a delivery to every enabled webhook of the organization that receives it.
 * `tx` is one of our transactions (db.sql) or Prisma's (db.sqlIn(tx)).
 */
export async function recordEvent(tx: SqlRunner, app: App, spec: EventSpec): Promise<RecordedEvent> {
  const event = await insertEvent(tx, app, spec);
  return { event, deliveries: await createDeliveries(tx, app, event, await receivingWebhooks(tx, app, spec)) };
}

/** Records the event and a delivery to exactly these webhooks, whatever their filters (webhook.test). */
export async function recordEventFor(
  tx: SqlRunner,
  app: App,
  { spec, webhooks, test }: { spec: EventSpec; webhooks: readonly WebhookForDelivery[]; test?: boolean },
): Promise<RecordedEvent> {
  const event = await insertEvent(tx, app, spec);
  return { event, deliveries: await createDeliveries(tx, app, event, webhooks, { test }) };
}

/** After the transaction that recorded deliveries has committed: tell subscribers and the dispatcher. */
export function announceDeliveries(app: App, deliveries: readonly DeliveryUpdate[]): void {
  if (deliveries.length === 0) return;
  app.wakeDispatcher();
  for (const update of deliveries) app.pubsub.publish('delivery-updated', update);
}
