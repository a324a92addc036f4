// Recording an event: the event row and one PENDING delivery per receiving webhook, with each body
// formatted once, here, for that webhook. These run for every event, so they are our own prepared
// statements (src/db/sql.ts, src/db/record-sql.ts), not Prisma's.
import type { App, Reservation } from '../app.ts';
import type { ClaimedDelivery } from '../db/queue.ts';
import { formatFor, type WebhookFormat } from '../delivery/formats/index.ts';
import { baseHeaders } from '../delivery/signing.ts';
import { RECORD_DIALECTS } from '../db/record-sql.ts';
import { epochMs, timeParam, type SqlRunner } from '../db/sql.ts';
import type { Prisma } from '../generated/prisma/client.ts';
import { deliveryUpdate, type DeliveryUpdate } from '../pubsub.ts';
import { envelopeFor, type EventRecord, type IssueRow } from './envelope.ts';
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
  /** Deliveries written leased to this process's dispatcher: announceDeliveries hands them over. */
  handoff?: HandedOff;
}

/** Deliveries this process's dispatcher reserved room for, to start once committed. */
export interface HandedOff {
  count: number;
  start(): void;
}

export interface WebhookForDelivery {
  id: string;
  format: string;
  headerMasks: string | null;
}

/** A webhook an event goes to, as recordEvent reads it. */
interface Receiving extends WebhookForDelivery {
  timeoutMs: number;
  /** Its updatedAt (epoch ms): tells the dispatcher whether what it holds of it is current. */
  version: number;
}

type DeliveryRow = {
  id: string;
  organizationId: string;
  webhookId: string;
  eventId: string;
  eventType: string;
  test: boolean;
  at: Date;
  headers: string;
  body: string;
  /** Leased to this process's dispatcher until then (epoch ms), or null: PENDING for any claim. */
  lease: number | null;
};

/** What one write stores: any of an issue (createIssue), an event and deliveries. */
interface Write {
  issue?: IssueRow;
  event?: { record: EventRecord; spec: EventSpec };
  deliveries: readonly DeliveryRow[];
}

/** One statement on PostgreSQL, one per part on SQLite (record-sql.ts). */
async function write(tx: SqlRunner, app: App, parts: Write): Promise<void> {
  const { write: statements, bool } = RECORD_DIALECTS[app.db.provider];
  const time = (ms: number) => timeParam(app.db.provider, ms);
  const issues = parts.issue ? [{ ...parts.issue, createdAt: time(parts.issue.createdAt.getTime()), updatedAt: time(parts.issue.updatedAt.getTime()) }] : [];
  const events = parts.event
    ? [
        {
          id: parts.event.record.id,
          organizationId: parts.event.spec.organizationId,
          type: parts.event.spec.type,
          teamId: parts.event.spec.teamId,
          severity: parts.event.spec.severity,
          data: JSON.stringify(parts.event.spec.data),
          metadata: parts.event.spec.metadata ? JSON.stringify(parts.event.spec.metadata) : null,
          idempotencyKey: parts.event.spec.idempotencyKey ?? null,
          createdAt: time(parts.event.record.createdAt.getTime()),
        },
      ]
    : [];
  const deliveries = parts.deliveries.map((row) => ({
    ...row,
    test: bool(row.test),
    at: time(row.at.getTime()),
    lease: row.lease === null ? null : time(row.lease),
  }));
  if ('statement' in statements) {
    await tx.query(statements.statement, { issues: JSON.stringify(issues), events: JSON.stringify(events), deliveries: JSON.stringify(deliveries) });
    return;
  }
  if (issues.length) await tx.query(statements.issues, { issues: JSON.stringify(issues) });
  if (events.length) await tx.query(statements.events, { events: JSON.stringify(events) });
  if (deliveries.length) await tx.query(statements.deliveries, { deliveries: JSON.stringify(deliveries) });
}

/** A PENDING delivery of the event to each webhook, its body formatted once, here, for that webhook. */
function deliveryRows(app: App, event: EventRecord, webhooks: readonly WebhookForDelivery[], test: boolean): DeliveryRow[] {
  return webhooks.map((webhook) => {
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
      test,
      at,
      headers: JSON.stringify(headers),
      body,
      lease: null,
    };
  });
}

function announced(rows: readonly DeliveryRow[]): DeliveryUpdate[] {
  return rows.map((row) =>
    deliveryUpdate(
      { ...row, createdAt: row.at },
      { status: 'PENDING', attemptCount: 0, nextAttemptAt: row.at, lastStatusCode: null, updatedAt: row.at },
    ),
  );
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
  const deliveries = deliveryRows(app, event, webhooks, options.test ?? false);
  await write(tx, app, { deliveries });
  return announced(deliveries);
}

function eventRecord(spec: EventSpec): EventRecord {
  const { id, at } = newIdAt('evt');
  return { id, type: spec.type, organizationId: spec.organizationId, teamId: spec.teamId, createdAt: at, data: spec.data, metadata: spec.metadata ?? null };
}

async function receivingWebhooks(tx: SqlRunner, app: App, spec: EventSpec): Promise<Receiving[]> {
  const candidates = await tx.query(RECORD_DIALECTS[app.db.provider].receivingCandidates, { organizationId: spec.organizationId });
  const facts = { type: spec.type, teamId: spec.teamId, severity: spec.severity };
  const receiving: Receiving[] = [];
  for (const row of candidates) {
    const webhook = {
      enabled: true,
      events: JSON.parse(String(row.events)),
      teamId: row.teamId === null ? null : String(row.teamId),
      severities: row.severities ? JSON.parse(String(row.severities)) : null,
    };
    if (webhookReceives(webhook, facts)) {
      receiving.push({
        id: String(row.id),
        format: String(row.format),
        headerMasks: row.headerMasks === null ? null : String(row.headerMasks),
        timeoutMs: Number(row.timeoutMs),
        version: epochMs(row.updatedAt)!,
      });
    }
  }
  return receiving;
}

/**
 * Records the event and a delivery to every enabled webhook of the organization that receives it,
 * and the issue it is about when that is new (createIssue). `tx` is one of our transactions
 * (db.sql), Prisma's (db.sqlIn(tx)), or on PostgreSQL db.sql itself: the webhooks are read first
 * and everything is written by one statement, which is atomic on its own.
 */
export async function recordEvent(tx: SqlRunner, app: App, spec: EventSpec, extra: { issue?: IssueRow } = {}): Promise<RecordedEvent> {
  const webhooks = await receivingWebhooks(tx, app, spec);
  const event = eventRecord(spec);
  const deliveries = deliveryRows(app, event, webhooks, false);
  const reservation = webhooks.length ? app.handoff.reserve(webhooks.map((webhook) => webhook.id)) : null;
  if (reservation) leaseTaken(app, deliveries, webhooks, reservation);
  await write(tx, app, { issue: extra.issue, event: { record: event, spec }, deliveries });
  return { event, deliveries: announced(deliveries), ...(reservation ? { handoff: handedOff(deliveries, webhooks, reservation) } : {}) };
}

/** The deliveries the dispatcher took are written leased to it, as its claims lease them. */
function leaseTaken(app: App, deliveries: DeliveryRow[], webhooks: readonly Receiving[], reservation: Reservation): void {
  deliveries.forEach((row, i) => {
    if (reservation.taken[i]) row.lease = row.at.getTime() + webhooks[i].timeoutMs + app.config.dispatch.leaseMarginMs;
  });
}

function handedOff(deliveries: readonly DeliveryRow[], webhooks: readonly Receiving[], reservation: Reservation): HandedOff {
  const claimed: ClaimedDelivery[] = [];
  deliveries.forEach((row, i) => {
    if (!reservation.taken[i]) return;
    claimed.push({
      id: row.id,
      organizationId: row.organizationId,
      webhookId: row.webhookId,
      eventId: row.eventId,
      eventType: row.eventType,
      test: row.test,
      createdAt: row.at,
      webhookVersion: webhooks[i].version,
      attemptCount: 0,
      lastStatusCode: null,
      requestHeaders: row.headers,
      requestBody: row.body,
    });
  });
  return { count: claimed.length, start: () => reservation.start(claimed) };
}

/** Records the event and a delivery to exactly these webhooks, whatever their filters (webhook.test). */
export async function recordEventFor(
  tx: SqlRunner,
  app: App,
  { spec, webhooks, test }: { spec: EventSpec; webhooks: readonly WebhookForDelivery[]; test?: boolean },
): Promise<RecordedEvent> {
  const event = eventRecord(spec);
  const deliveries = deliveryRows(app, event, webhooks, test ?? false);
  await write(tx, app, { event: { record: event, spec }, deliveries });
  return { event, deliveries: announced(deliveries) };
}

/**
 * After the transaction that recorded deliveries has committed: tell subscribers, hand the
 * dispatcher what it took, and wake it (and on PostgreSQL the other instances) for the rest.
 */
export function announceDeliveries(app: App, deliveries: readonly DeliveryUpdate[], handoff?: HandedOff): void {
  if (deliveries.length === 0) return;
  for (const update of deliveries) app.pubsub.publish('delivery-updated', update);
  handoff?.start();
  if ((handoff?.count ?? 0) < deliveries.length) app.wakeDispatcher();
}
