// Recording an event: the event row and one PENDING delivery per receiving webhook, with each body
// formatted once, here, for that webhook. These run for every event, so they are our own prepared
// statements (src/db/sql.ts, src/db/record-sql.ts), not Prisma's.
import type { App, Reservation } from '../app.ts';
import type { ClaimedDelivery } from '../db/queue.ts';
import { formatFor, type WebhookFormat } from '../delivery/formats/index.ts';
import { baseHeaders } from '../delivery/signing.ts';
import { PG_RECEIVING_CANDIDATES_OF, RECORD_DIALECTS } from '../db/record-sql.ts';
import { epochMs, timeParam, type Row, type SqlRunner } from '../db/sql.ts';
import { together, type Outcome } from '../db/together.ts';
import type { Prisma } from '../generated/prisma/client.ts';
import { deliveryUpdate, type DeliveryIdentity, type DeliveryUpdate } from '../pubsub.ts';
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

type DeliveryRow = Omit<DeliveryIdentity, 'createdAt'> & {
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

/** One statement on PostgreSQL, one per row on SQLite (record-sql.ts), for any number of writes. */
async function write(tx: SqlRunner, app: App, writes: readonly Write[]): Promise<void> {
  const { write: statements, bool } = RECORD_DIALECTS[app.db.provider];
  const time = (ms: number) => timeParam(app.db.provider, ms);
  const issues = writes.flatMap(({ issue }) =>
    issue ? [{ ...issue, createdAt: time(issue.createdAt.getTime()), updatedAt: time(issue.updatedAt.getTime()) }] : [],
  );
  const events = writes.flatMap(({ event }) =>
    event
      ? [
          {
            id: event.record.id,
            organizationId: event.spec.organizationId,
            type: event.spec.type,
            teamId: event.spec.teamId,
            severity: event.spec.severity,
            data: JSON.stringify(event.spec.data),
            metadata: event.spec.metadata ? JSON.stringify(event.spec.metadata) : null,
            idempotencyKey: event.spec.idempotencyKey ?? null,
            createdAt: time(event.record.createdAt.getTime()),
          },
        ]
      : [],
  );
  const deliveries = writes.flatMap((parts) =>
    parts.deliveries.map((row) => ({ ...row, test: bool(row.test), at: time(row.at.getTime()), lease: row.lease === null ? null : time(row.lease) })),
  );
  if ('statement' in statements) {
    await tx.query(statements.statement, { issues: JSON.stringify(issues), events: JSON.stringify(events), deliveries: JSON.stringify(deliveries) });
    return;
  }
  await tx.queryEach(statements.issue, issues);
  await tx.queryEach(statements.event, events);
  await tx.queryEach(statements.delivery, deliveries);
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
  await write(tx, app, [{ deliveries }]);
  return announced(deliveries);
}

function eventRecord(spec: EventSpec): EventRecord {
  const { id, at } = newIdAt('evt');
  return { id, type: spec.type, organizationId: spec.organizationId, teamId: spec.teamId, createdAt: at, data: spec.data, metadata: spec.metadata ?? null };
}

/** Which of the organization's enabled webhooks (RECORD_DIALECTS' receivingCandidates) receive the event. */
function receivingOf(spec: EventSpec, candidates: readonly Row[]): Receiving[] {
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

/** How one recording reads its webhooks and writes its rows. */
interface Recorder {
  candidates(organizationId: string): Promise<Row[]>;
  write(parts: Write): Promise<void>;
}

async function record(app: App, recorder: Recorder, spec: EventSpec, extra: { issue?: IssueRow }): Promise<RecordedEvent> {
  const webhooks = receivingOf(spec, await recorder.candidates(spec.organizationId));
  const event = eventRecord(spec);
  const deliveries = deliveryRows(app, event, webhooks, false);
  const reservation = deliveries.length ? app.handoff.reserve(deliveries.map((row) => ({ webhookId: row.webhookId, bytes: row.body.length }))) : null;
  if (reservation) leaseTaken(app, deliveries, webhooks, reservation);
  await recorder.write({ issue: extra.issue, event: { record: event, spec }, deliveries });
  return { event, deliveries: announced(deliveries), ...(reservation ? { handoff: handedOff(deliveries, webhooks, reservation) } : {}) };
}

/**
 * Records the event and a delivery to every enabled webhook of the organization that receives it,
 * and the issue it is about when that is new (createIssue), in `tx`: one of our transactions
 * (db.sql) or Prisma's (db.sqlIn(tx)).
 */
export function recordEvent(tx: SqlRunner, app: App, spec: EventSpec, extra: { issue?: IssueRow } = {}): Promise<RecordedEvent> {
  const recorder: Recorder = {
    candidates: (organizationId) => tx.query(RECORD_DIALECTS[app.db.provider].receivingCandidates, { organizationId }),
    write: (parts) => write(tx, app, [parts]),
  };
  return record(app, recorder, spec, extra);
}

/**
 * The same without a transaction, on PostgreSQL: the webhooks are read first, then everything is
 * written by one statement, atomic on its own. Recordings that arrive while earlier ones are under
 * way share both round trips (together.ts); when their shared write fails, each is written alone,
 * so that one bad row fails only its own recording.
 */
export function recordEventTogether(app: App, spec: EventSpec, extra: { issue?: IssueRow } = {}): Promise<RecordedEvent> {
  let recorder = recorders.get(app);
  if (!recorder) {
    recorder = sharedRecorder(app);
    recorders.set(app, recorder);
  }
  return record(app, recorder, spec, extra);
}

const recorders = new WeakMap<App, Recorder>();

function sharedRecorder(app: App): Recorder {
  const candidates = together(async (organizationIds: string[]): Promise<Array<Outcome<Row[]>>> => {
    const rows = await app.db.sql.query(PG_RECEIVING_CANDIDATES_OF, { organizationIds: JSON.stringify([...new Set(organizationIds)]) });
    return organizationIds.map((id) => ({ ok: true, value: rows.filter((row) => row.organizationId === id) }));
  });
  const written = together(async (writes: Write[]): Promise<Array<Outcome<void>>> => {
    try {
      await write(app.db.sql, app, writes);
      return writes.map(() => ({ ok: true, value: undefined }));
    } catch (error) {
      if (writes.length === 1) return [{ ok: false, error }];
      return Promise.all(
        writes.map((parts) =>
          write(app.db.sql, app, [parts]).then(
            (): Outcome<void> => ({ ok: true, value: undefined }),
            (alone: unknown): Outcome<void> => ({ ok: false, error: alone }),
          ),
        ),
      );
    }
  });
  return { candidates, write: written };
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
  await write(tx, app, [{ event: { record: event, spec }, deliveries }]);
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
