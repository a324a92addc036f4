// The console's aggregate reads: counted, bucketed and ranked in the database, never by loading
// deliveries into memory. Each statement exists once per database, because times differ: epoch
// milliseconds in SQLite (client.ts, timestampFormat 'unixepoch-ms'), so bucketing is integer
// arithmetic there, and timestamptz in PostgreSQL, which needs extract(epoch …), casts on every
// parameter and FILTER for conditional counts. A new database needs its own SQL here.
//
// Every statement narrows by a time-ordered id range first (ids start with their creation time,
// src/domain/ids.ts), so it reads one range of the (webhookId, id) or (organizationId, id) index.
import type { Database, Provider } from './client.ts';
import { bind, timeParam, type RawQueries } from './sql.ts';

type Row = Record<string, unknown>;
type Statement = 'countByBucket' | 'countByBucketOfWebhook' | 'attemptsByHour' | 'durationAtRank' | 'latestFailed';

const countByBucket = (sql: { ms: string; byWebhook: boolean; cast: (type: string) => string }) => `
SELECT ${sql.ms} AS "bucket", "status", COUNT(*)${sql.cast('int')} AS "count"
FROM "Delivery"
WHERE ${sql.byWebhook ? `"webhookId" = :webhookId AND ` : ''}"organizationId" = :organizationId
  AND "id" >= :fromId AND "id" < :toId AND "createdAt" >= :since${sql.cast('timestamptz')} AND "createdAt" < :until${sql.cast('timestamptz')}
GROUP BY 1, 2`;

const RECENT_ATTEMPTS = (cast: (type: string) => string) => `
FROM "DeliveryAttempt" AS a JOIN "Delivery" AS d ON d."id" = a."deliveryId"
WHERE d."webhookId" = :webhookId AND d."id" >= :fromId AND d."createdAt" >= :since${cast('timestamptz')}`;

// The latest delivery of each event to the webhook since `fromId`; those still FAILED or CANCELLED
// are what "retry failed" sends again. An event already retried (its newer delivery is the latest)
// is not sent twice.
const LATEST_FAILED = (cast: (type: string) => string) => `
SELECT d."id", d."eventId", d."test"
FROM "Delivery" AS d
JOIN (
  SELECT MAX("id") AS "id" FROM "Delivery" WHERE "webhookId" = :webhookId AND "id" >= :fromId GROUP BY "eventId"
) AS latest ON latest."id" = d."id"
WHERE d."status" IN ('FAILED', 'CANCELLED') AND d."createdAt" >= :since${cast('timestamptz')}
ORDER BY d."id"
LIMIT :limit${cast('int')}`;

const none = () => '';
const pg = (type: string) => `::${type}`;
// The SQLite driver binds every JS number as REAL: without the casts, / would not divide integers.
const SQLITE_BUCKET = `("createdAt" - CAST(:sinceMs AS INTEGER)) / CAST(:bucketMs AS INTEGER)`;
const PG_BUCKET = `floor((extract(epoch from "createdAt") * 1000 - :sinceMs::bigint) / :bucketMs::bigint)::int`;

const SQL: Record<Provider, Record<Statement, string>> = {
  sqlite: {
    countByBucket: countByBucket({ ms: SQLITE_BUCKET, byWebhook: false, cast: none }),
    countByBucketOfWebhook: countByBucket({ ms: SQLITE_BUCKET, byWebhook: true, cast: none }),
    attemptsByHour: `
SELECT MIN(MAX((a."startedAt" - CAST(:sinceMs AS INTEGER)) / 3600000, 0), CAST(:lastHour AS INTEGER)) AS "hour", COUNT(*) AS "attempts", SUM(a."success") AS "succeeded"
${RECENT_ATTEMPTS(none)}
GROUP BY 1`,
    // The nearest-rank percentile: the k-th smallest duration, found by the database's sort.
    durationAtRank: `SELECT a."durationMs" AS "durationMs" ${RECENT_ATTEMPTS(none)} ORDER BY a."durationMs" LIMIT 1 OFFSET CAST(:offset AS INTEGER)`,
    latestFailed: LATEST_FAILED(none),
  },
  postgresql: {
    countByBucket: countByBucket({ ms: PG_BUCKET, byWebhook: false, cast: pg }),
    countByBucketOfWebhook: countByBucket({ ms: PG_BUCKET, byWebhook: true, cast: pg }),
    attemptsByHour: `
SELECT LEAST(GREATEST(floor((extract(epoch from a."startedAt") * 1000 - :sinceMs::bigint) / 3600000)::int, 0), :lastHour::int) AS "hour",
  COUNT(*)::int AS "attempts", (COUNT(*) FILTER (WHERE a."success"))::int AS "succeeded"
${RECENT_ATTEMPTS(pg)}
GROUP BY 1`,
    durationAtRank: `SELECT a."durationMs" AS "durationMs" ${RECENT_ATTEMPTS(pg)} ORDER BY a."durationMs" LIMIT 1 OFFSET :offset::int`,
    latestFailed: LATEST_FAILED(pg),
  },
};

function statement(db: Pick<Database, 'provider'>, name: Statement, params: Record<string, unknown>): [string, ...unknown[]] {
  return bind(db.provider === 'sqlite' ? 'question' : 'numbered', SQL[db.provider][name], params);
}

/** A time as the database's parameter, and as epoch milliseconds for arithmetic. */
function times(db: Pick<Database, 'provider'>, name: string, ms: number): Record<string, unknown> {
  return { [name]: timeParam(db.provider, ms), [`${name}Ms`]: ms };
}

export interface BucketCount {
  /** 0-based index of the bucket from `since`. */
  bucket: number;
  status: string;
  count: number;
}

/** Deliveries created in [since, until), counted per bucket and status. */
export async function countDeliveriesByBucket(
  db: Pick<Database, 'prisma' | 'provider'>,
  range: { organizationId: string; webhookId: string | null; since: number; until: number; bucketMs: number; fromId: string; toId: string },
): Promise<BucketCount[]> {
  const params = { ...range, ...times(db, 'since', range.since), ...times(db, 'until', range.until) };
  const rows = await db.prisma.$queryRawUnsafe<Row[]>(...statement(db, range.webhookId === null ? 'countByBucket' : 'countByBucketOfWebhook', params));
  return rows.map((row) => ({ bucket: Number(row.bucket), status: String(row.status), count: Number(row.count) }));
}

export interface AttemptSummary {
  /** Per hour from `since` (0-based), only hours with attempts. */
  hours: Array<{ hour: number; attempts: number; succeeded: number }>;
  attempts: number;
  succeeded: number;
  /** Nearest-rank 95th percentile of attempt durations; null without attempts. */
  p95DurationMs: number | null;
}

/** The attempts of one webhook's deliveries created since `since`: counts per hour and the p95 duration. */
export async function summarizeAttempts(
  db: Pick<Database, 'prisma' | 'provider'>,
  range: { webhookId: string; since: number; fromId: string; hours: number },
): Promise<AttemptSummary> {
  const params = { webhookId: range.webhookId, fromId: range.fromId, ...times(db, 'since', range.since) };
  const rows = await db.prisma.$queryRawUnsafe<Row[]>(...statement(db, 'attemptsByHour', { ...params, lastHour: range.hours - 1 }));
  const hours = rows.map((row) => ({ hour: Number(row.hour), attempts: Number(row.attempts), succeeded: Number(row.succeeded ?? 0) }));
  const attempts = hours.reduce((sum, h) => sum + h.attempts, 0);
  const succeeded = hours.reduce((sum, h) => sum + h.succeeded, 0);
  if (attempts === 0) return { hours, attempts, succeeded, p95DurationMs: null };
  const [ranked] = await db.prisma.$queryRawUnsafe<Row[]>(...statement(db, 'durationAtRank', { ...params, offset: Math.ceil(0.95 * attempts) - 1 }));
  return { hours, attempts, succeeded, p95DurationMs: ranked ? Number(ranked.durationMs) : null };
}

export interface FailedDelivery {
  id: string;
  eventId: string;
  test: boolean;
}

/** Oldest first, at most `limit`: the deliveries whose event's latest delivery to the webhook failed or was cancelled. */
export async function latestFailedDeliveries(
  db: Pick<Database, 'provider'>,
  client: RawQueries,
  range: { webhookId: string; since: number; fromId: string; limit: number },
): Promise<FailedDelivery[]> {
  const params = { webhookId: range.webhookId, fromId: range.fromId, limit: range.limit, ...times(db, 'since', range.since) };
  const rows = await client.$queryRawUnsafe<Row[]>(...statement(db, 'latestFailed', params));
  return rows.map((row) => ({ id: String(row.id), eventId: String(row.eventId), test: row.test === true || Number(row.test) === 1 }));
}
