// Recording an event: the event row and one PENDING delivery per receiving webhook, written in the
// caller's transaction, with each body formatted once, here, for that webhook.
import type { App } from '../app.ts';
import { formatFor, type WebhookFormat } from '../delivery/formats/index.ts';
import { baseHeaders } from '../delivery/signing.ts';
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
  tx: Tx,
  app: App,
  event: EventRecord,
  webhooks: readonly WebhookForDelivery[],
  options: { test?: boolean } = {},
): Promise<DeliveryUpdate[]> {
  if (webhooks.length === 0) return [];
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
    return {
      id,
      organizationId: event.organizationId,
      webhookId: webhook.id,
      eventId: event.id,
      eventType: event.type,
      status: 'PENDING',
      test: options.test ?? false,
      attemptCount: 0,
      nextAttemptAt: at,
      requestHeaders: JSON.stringify(headers),
      requestBody: body,
      createdAt: at,
      updatedAt: at,
    };
  });
  await tx.delivery.createMany({ data: rows });
  return rows.map((row) => deliveryUpdate(row, { ...row, lastStatusCode: null }));
}

function eventRecord(spec: EventSpec): EventRecord {
  const { id, at } = newIdAt('evt');
  return { id, type: spec.type, organizationId: spec.organizationId, teamId: spec.teamId, createdAt: at, data: spec.data, metadata: spec.metadata ?? null };
}

async function insertEvent(tx: Tx, spec: EventSpec): Promise<EventRecord> {
  const event = eventRecord(spec);
  await tx.event.create({
    data: {
      id: event.id,
      organizationId: spec.organizationId,
      type: spec.type,
      teamId: spec.teamId,
      severity: spec.severity,
      data: JSON.stringify(spec.data),
      metadata: spec.metadata ? JSON.stringify(spec.metadata) : null,
      idempotencyKey: spec.idempotencyKey ?? null,
      createdAt: event.createdAt,
    },
  });
  return event;
}

async function receivingWebhooks(tx: Tx, spec: EventSpec): Promise<WebhookForDelivery[]> {
  const candidates = await tx.webhook.findMany({
    where: { organizationId: spec.organizationId, enabled: true, deletedAt: null },
    select: { id: true, format: true, headerMasks: true, events: true, teamId: true, severities: true, enabled: true },
    orderBy: { id: 'asc' },
  });
  const facts = { type: spec.type, teamId: spec.teamId, severity: spec.severity };
  return candidates.filter((webhook) =>
    webhookReceives(
      {
        enabled: webhook.enabled,
        events: JSON.parse(webhook.events),
        teamId: webhook.teamId,
        severities: webhook.severities ? JSON.parse(webhook.severities) : null,
      },
      facts,
    ),
  );
}

/** Records the event and a delivery to every enabled webhook of the organization that receives it. */
export async function recordEvent(tx: Tx, app: App, spec: EventSpec): Promise<RecordedEvent> {
  const event = await insertEvent(tx, spec);
  return { event, deliveries: await createDeliveries(tx, app, event, await receivingWebhooks(tx, spec)) };
}

/** Records the event and a delivery to exactly these webhooks, whatever their filters (webhook.test). */
export async function recordEventFor(
  tx: Tx,
  app: App,
  { spec, webhooks, test }: { spec: EventSpec; webhooks: readonly WebhookForDelivery[]; test?: boolean },
): Promise<RecordedEvent> {
  const event = await insertEvent(tx, spec);
  return { event, deliveries: await createDeliveries(tx, app, event, webhooks, { test }) };
}

/** After the transaction that recorded deliveries has committed: tell subscribers and the dispatcher. */
export function announceDeliveries(app: App, deliveries: readonly DeliveryUpdate[]): void {
  if (deliveries.length === 0) return;
  app.wakeDispatcher();
  for (const update of deliveries) app.pubsub.publish('delivery-updated', update);
}
