// What the web console asks beyond the contract: a filtered delivery log, delivery counts per time
// bucket, a webhook's health, and "retry failed". Counting and ranking happen in the database
// (src/db/stats.ts); nothing here loads a webhook's deliveries to count them.
import { eventRecordOf } from './envelope.ts';
import type { App } from '../app.ts';
import { countDeliveriesByBucket, latestFailedDeliveries, summarizeAttempts } from '../db/stats.ts';
import { badInput, conflict } from '../errors.ts';
import type { Delivery, Prisma } from '../generated/prisma/client.ts';
import type { Actor } from './access.ts';
import { announceDeliveries, createDeliveries } from './events.ts';
import type { IdPrefix } from './ids.ts';
import { findWebhook } from './webhooks.ts';

export const DELIVERY_STATUSES = ['PENDING', 'RETRYING', 'SUCCEEDED', 'FAILED', 'CANCELLED'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
/** How far back statistics and "retry failed" may reach. */
export const MAX_LOOKBACK_DAYS = 31;
const MAX_LOOKBACK_MS = MAX_LOOKBACK_DAYS * 24 * HOUR_MS;
/** At most this many buckets in one statistics answer (a day by the minute). */
export const MAX_BUCKETS = 1440;
/** "retry failed" queues at most this many deliveries per call. */
export const MAX_RETRY_FAILED = 1000;
export const HEALTH_HOURS = 24;

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

/**
 * The smallest id made at `ms` (see ids.ts: the prefix, then the time in 9 base-36 digits), so that
 * a time range becomes an id range and reads one range of an (…, id) index. Tested against newIdAt.
 */
export function idAt(prefix: IdPrefix, ms: number): string {
  let time = '';
  let value = Math.max(0, Math.floor(ms));
  for (let i = 0; i < 9; i += 1) {
    time = ALPHABET[value % 36] + time;
    value = Math.floor(value / 36);
  }
  return `${prefix}_${time}`;
}

export interface DeliveryLogFilter {
  webhookId?: string | null;
  status?: string | null;
  eventType?: string | null;
  /** Created at or after. */
  since?: Date | null;
  /** Created before. */
  until?: Date | null;
  /** The last attempt's HTTP status. */
  statusCode?: number | null;
  /** An event id or a delivery id, exactly. */
  search?: string | null;
}

/** The Prisma filter of a delivery log query in the actor's organization; BAD_USER_INPUT names the argument at fault. */
export function deliveryLogWhere(actor: Actor, filter: DeliveryLogFilter): Prisma.DeliveryWhereInput {
  const and: Prisma.DeliveryWhereInput[] = [{ organizationId: actor.organizationId }];
  if (filter.webhookId != null) and.push({ webhookId: filter.webhookId });
  if (filter.status != null) and.push({ status: filter.status });
  if (filter.eventType != null) {
    const eventType = filter.eventType.trim();
    if (eventType.length === 0 || eventType.length > 200) throw badInput('eventType', 'must be 1..200 characters');
    and.push({ eventType });
  }
  if (filter.since && filter.until && filter.since.getTime() > filter.until.getTime()) throw badInput('until', 'must not be before since');
  if (filter.since) and.push({ id: { gte: idAt('dlv', filter.since.getTime()) } }, { createdAt: { gte: filter.since } });
  if (filter.until) and.push({ id: { lt: idAt('dlv', filter.until.getTime()) } }, { createdAt: { lt: filter.until } });
  if (filter.statusCode != null) {
    if (!Number.isInteger(filter.statusCode) || filter.statusCode < 100 || filter.statusCode > 599) {
      throw badInput('statusCode', 'must be an HTTP status code, 100..599');
    }
    and.push({ lastStatusCode: filter.statusCode });
  }
  if (filter.search != null) {
    const search = filter.search.trim().toLowerCase();
    if (search.length > 200) throw badInput('search', 'must be at most 200 characters');
    if (search.length > 0) and.push({ OR: [{ id: search }, { eventId: search }] });
  }
  return { AND: and };
}

/** Newest first: `take` rows below the cursor id, if any. */
export function findDeliveryLog(app: App, actor: Actor, filter: DeliveryLogFilter, page: { take: number; before: string | null }): Promise<Delivery[]> {
  const where = deliveryLogWhere(actor, filter);
  return app.db.prisma.delivery.findMany({
    where: page.before ? { AND: [where, { id: { lt: page.before } }] } : where,
    orderBy: { id: 'desc' },
    take: page.take,
  });
}

export type DeliveryCounts = Record<Lowercase<DeliveryStatus>, number> & { total: number };

function noCounts(): DeliveryCounts {
  return { pending: 0, retrying: 0, succeeded: 0, failed: 0, cancelled: 0, total: 0 };
}

function addCount(counts: DeliveryCounts, status: string, count: number): void {
  const key = status.toLowerCase() as Lowercase<DeliveryStatus>;
  if (key in counts) counts[key] += count;
  counts.total += count;
}

export interface DeliveryStats {
  since: Date;
  until: Date;
  bucketMinutes: number;
  buckets: Array<{ start: Date; counts: DeliveryCounts }>;
  totals: DeliveryCounts;
}

function checkLookback(field: string, since: Date, now: number): void {
  if (Number.isNaN(since.getTime())) throw badInput(field, 'must be a date');
  if (since.getTime() > now) throw badInput(field, 'must not be in the future');
  if (now - since.getTime() > MAX_LOOKBACK_MS) throw badInput(field, `must be at most ${MAX_LOOKBACK_DAYS} days ago`);
}

/**
 * Deliveries created from `since` (rounded down to a bucket boundary) until now, counted per bucket
 * by their current status, for the organization or one of its webhooks. Every bucket is present.
 */
export async function deliveryStats(
  app: App,
  actor: Actor,
  input: { webhookId: string | null; since: Date; bucketMinutes: number | null },
  now = Date.now(),
): Promise<DeliveryStats> {
  const bucketMinutes = input.bucketMinutes ?? 1;
  if (!Number.isInteger(bucketMinutes) || bucketMinutes < 1 || bucketMinutes > 1440) throw badInput('bucketMinutes', 'must be between 1 and 1440');
  checkLookback('since', input.since, now);
  const bucketMs = bucketMinutes * MINUTE_MS;
  const since = Math.floor(input.since.getTime() / bucketMs) * bucketMs;
  const until = now + 1;
  const bucketCount = Math.max(1, Math.ceil((until - since) / bucketMs));
  if (bucketCount > MAX_BUCKETS) {
    throw badInput('bucketMinutes', `gives ${bucketCount} buckets, more than ${MAX_BUCKETS}: use at least ${Math.ceil((until - since) / MAX_BUCKETS / MINUTE_MS)} minutes`);
  }
  const rows = await countDeliveriesByBucket(app.db, {
    organizationId: actor.organizationId,
    webhookId: input.webhookId,
    since,
    until,
    bucketMs,
    fromId: idAt('dlv', since),
    toId: idAt('dlv', until + 1),
  });
  const buckets = Array.from({ length: bucketCount }, (_, i) => ({ start: new Date(since + i * bucketMs), counts: noCounts() }));
  const totals = noCounts();
  for (const row of rows) {
    const bucket = buckets[Math.min(Math.max(row.bucket, 0), bucketCount - 1)];
    addCount(bucket.counts, row.status, row.count);
    addCount(totals, row.status, row.count);
  }
  return { since: new Date(since), until: new Date(now), bucketMinutes, buckets, totals };
}

export interface WebhookHealth {
  since: Date;
  attempts: number;
  successfulAttempts: number;
  /** 0..1; null without attempts. */
  successRate: number | null;
  p95DurationMs: number | null;
  hourly: Array<{ start: Date; attempts: number; successfulAttempts: number }>;
}

/** The attempts of the webhook's deliveries created in the last 24 hours, in 24 one-hour buckets ending now. */
export async function webhookHealth(app: App, webhookId: string, now = Date.now()): Promise<WebhookHealth> {
  const since = now - HEALTH_HOURS * HOUR_MS;
  const summary = await summarizeAttempts(app.db, { webhookId, since, fromId: idAt('dlv', since), hours: HEALTH_HOURS });
  const hourly = Array.from({ length: HEALTH_HOURS }, (_, i) => ({ start: new Date(since + i * HOUR_MS), attempts: 0, successfulAttempts: 0 }));
  for (const hour of summary.hours) {
    hourly[hour.hour].attempts += hour.attempts;
    hourly[hour.hour].successfulAttempts += hour.succeeded;
  }
  return {
    since: new Date(since),
    attempts: summary.attempts,
    successfulAttempts: summary.succeeded,
    successRate: summary.attempts === 0 ? null : summary.succeeded / summary.attempts,
    p95DurationMs: summary.p95DurationMs,
    hourly,
  };
}

export interface RetryFailedResult {
  queued: number;
  /** More than MAX_RETRY_FAILED matched: calling again queues the next ones. */
  hasMore: boolean;
}

/**
 * Queues again, as new deliveries of the same events (same event ids), every event whose latest
 * delivery to this webhook since `since` FAILED or was CANCELLED; oldest first, at most MAX_RETRY_FAILED.
 */
export async function retryFailedDeliveries(app: App, actor: Actor, webhookId: string, since: Date, now = Date.now()): Promise<RetryFailedResult> {
  checkLookback('since', since, now);
  const { deliveries, hasMore } = await app.db.prisma.$transaction(
    async (tx) => {
      const webhook = await findWebhook(tx, actor, webhookId);
      if (!webhook.enabled) throw conflict('webhookId', 'the webhook is disabled; enable it first');
      const failed = await latestFailedDeliveries(app.db, tx, {
        webhookId,
        since: since.getTime(),
        fromId: idAt('dlv', since.getTime()),
        limit: MAX_RETRY_FAILED + 1,
      });
      const chosen = failed.slice(0, MAX_RETRY_FAILED);
      const events = await tx.event.findMany({ where: { id: { in: [...new Set(chosen.map((d) => d.eventId))] } } });
      const byId = new Map(events.map((event) => [event.id, event]));
      const created = [];
      for (const delivery of chosen) {
        const event = byId.get(delivery.eventId);
        if (!event) continue;
        created.push(...(await createDeliveries(app.db.sqlIn(tx), app, eventRecordOf(event), [webhook], { test: delivery.test })));
      }
      return { deliveries: created, hasMore: failed.length > MAX_RETRY_FAILED };
    },
    // A thousand small inserts take a while on a slow disk; the default 5 s would cut them off.
    { timeout: 60_000 },
  );
  announceDeliveries(app, deliveries);
  return { queued: deliveries.length, hasMore };
}
