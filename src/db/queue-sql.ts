// The queue's statements in each database's dialect. Parameters are named (:now) and bound by
// queue.ts; times are epoch milliseconds in SQLite and timestamptz in PostgreSQL.
import type { Provider } from './client.ts';

export interface Dialect {
  /**
   * How a claim runs. First the oldest due work, from a bounded window of the queue in due order
   * (never a scan of a saturated webhook's backlog); then, only when that window was taken up by
   * saturated or capped webhooks, the others' oldest due work, webhook by webhook through the
   * (webhookId, nextAttemptAt, id) index. PostgreSQL: one statement each (one round trip).
   * SQLite: plain statements in one transaction, the caps applied in between (a window function
   * costs more there than the statements together).
   */
  claim:
    | { window: string; others: string }
    | { candidates: string; heads: string; ofWebhook: string; lease: string };
  /**
   * lockWebhooks reads (on PostgreSQL: locks) the counters a batch of attempts (:ids) may change:
   * those of webhooks with a failed attempt in it (:failing), and those with failures to reset. A
   * webhook with only successes and no failures counted keeps its counter, so it is neither read
   * nor locked: in a fan-out every attempt is to a different webhook, nearly all of them succeed,
   * and locking each row would write it. Should another instance count a failure meanwhile, it
   * stays counted, as if that attempt had come after this batch.
   */
  sql: Record<'lockWebhooks' | 'updateWebhooks' | 'cancelOpen' | 'cancelDeliveries' | 'release' | 'nextDue' | 'webhooks', string>;
  /** Recording a batch of attempts: one row per attempt (id, deliveryId, startedAt, durationMs, statusCode, success, error, responseBody). */
  insertAttempts: RowsStatement;
  /** Settling their deliveries (id, status, next, statusCode, headers; and :now), returning what they publish. */
  settleDeliveries: RowsStatement;
}

/**
 * A statement over many rows. PostgreSQL: one statement, the rows a JSON array (:rows), one round
 * trip. SQLite: a prepared statement run per row, the row's fields its parameters (no round trip
 * to save, and a bound parameter costs less than a field extracted from JSON: measured alone, a
 * settled attempt's two statements took ~12 µs so against ~31 µs through json_each; in the
 * service, with the commit and the rest of the batch, the gain is a few percent of its CPU).
 */
export type RowsStatement = { json: string } | { each: string };

const OPEN = `('PENDING', 'RETRYING')`;
/** What a settled or cancelled delivery publishes. */
const RETURNED = ['id', 'organizationId', 'webhookId', 'eventId', 'eventType', 'test', 'createdAt', 'status', 'attemptCount', 'nextAttemptAt', 'lastStatusCode']
  .map((column) => `"${column}"`)
  .join(', ');
/** What the dispatcher needs of a webhook to send to it. */
const WEBHOOK_COLUMNS = ['id', 'url', 'timeoutMs', 'retryCount', 'enabled', 'deletedAt', 'secret', 'previousSecret', 'previousSecretExpiresAt', 'headers', 'headerMasks', 'updatedAt']
  .map((column) => `"${column}"`)
  .join(', ');
const RETURNED_PG = RETURNED.split(', ').map((column) => `"d".${column}`).join(', ');

/** Not leased, or its lease ran out. */
const FREE = (column: string) => `(${column} IS NULL OR ${column} <= :now)`;
const FREE_PG = (column: string) => `(${column} IS NULL OR ${column} <= :now::timestamptz)`;

/**
 * Claiming: the oldest due, unleased deliveries not of a saturated webhook, at most :perWebhook
 * of each webhook, leased for that webhook's timeout plus :margin.
 */
const sqlite: Dialect = {
  claim: {
    candidates: `
SELECT "id", "webhookId" FROM "Delivery"
WHERE "nextAttemptAt" <= :now AND "status" IN ${OPEN} AND ${FREE('"leaseExpiresAt"')}
ORDER BY "nextAttemptAt", "id" LIMIT :candidates`,
    heads: `
SELECT "id" FROM (
  SELECT "w"."id", (
    SELECT "d"."nextAttemptAt" FROM "Delivery" AS "d"
    WHERE "d"."webhookId" = "w"."id" AND "d"."nextAttemptAt" <= :now AND "d"."status" IN ${OPEN} AND ${FREE('"d"."leaseExpiresAt"')}
    ORDER BY "d"."nextAttemptAt", "d"."id" LIMIT 1
  ) AS "due"
  FROM "Webhook" AS "w" WHERE "w"."id" NOT IN (SELECT "value" FROM json_each(:exclude))
) WHERE "due" IS NOT NULL ORDER BY "due", "id" LIMIT :limit`,
    ofWebhook: `
SELECT "id", "webhookId" FROM "Delivery"
WHERE "webhookId" = :webhookId AND "nextAttemptAt" <= :now AND "status" IN ${OPEN} AND ${FREE('"leaseExpiresAt"')}
ORDER BY "nextAttemptAt", "id" LIMIT :perWebhook`,
    lease: `
UPDATE "Delivery"
SET "leaseExpiresAt" = :now + :margin + COALESCE((SELECT "timeoutMs" FROM "Webhook" WHERE "Webhook"."id" = "Delivery"."webhookId"), 30000)
WHERE "id" IN (SELECT "value" FROM json_each(:ids))
RETURNING "id", "organizationId", "webhookId", "eventId", "eventType", "test", "createdAt", "attemptCount", "lastStatusCode", "requestHeaders", "requestBody",
  (SELECT "updatedAt" FROM "Webhook" WHERE "Webhook"."id" = "Delivery"."webhookId") AS "webhookVersion"`,
  },
  sql: {
    lockWebhooks: `
SELECT "id", "consecutiveFailures", "enabled" FROM "Webhook"
WHERE "id" IN (SELECT "value" FROM json_each(:ids)) AND ("consecutiveFailures" <> 0 OR "id" IN (SELECT "value" FROM json_each(:failing)))`,
    updateWebhooks: `
UPDATE "Webhook" SET
  "consecutiveFailures" = json_extract("v"."value", '$.failures'),
  "enabled" = CASE WHEN json_extract("v"."value", '$.reason') IS NULL THEN "enabled" ELSE 0 END,
  "disabledReason" = COALESCE(json_extract("v"."value", '$.reason'), "disabledReason"),
  "updatedAt" = CASE WHEN json_extract("v"."value", '$.reason') IS NULL THEN "updatedAt" ELSE :now END
FROM json_each(:rows) AS "v"
WHERE "Webhook"."id" = json_extract("v"."value", '$.id')`,
    cancelOpen: `
UPDATE "Delivery" SET "status" = 'CANCELLED', "nextAttemptAt" = NULL, "updatedAt" = :now
WHERE "webhookId" IN (SELECT "value" FROM json_each(:ids)) AND "nextAttemptAt" IS NOT NULL AND "status" IN ${OPEN}
RETURNING ${RETURNED}`,
    cancelDeliveries: `
UPDATE "Delivery" SET "status" = 'CANCELLED', "nextAttemptAt" = NULL, "leaseExpiresAt" = NULL, "updatedAt" = :now
WHERE "id" IN (SELECT "value" FROM json_each(:ids)) AND "status" IN ${OPEN}`,
    release: `UPDATE "Delivery" SET "leaseExpiresAt" = NULL WHERE "id" IN (SELECT "value" FROM json_each(:ids))`,
    webhooks: `SELECT ${WEBHOOK_COLUMNS} FROM "Webhook" WHERE "id" IN (SELECT "value" FROM json_each(:ids))`,
    nextDue: `SELECT MIN("nextAttemptAt") AS "due" FROM "Delivery" WHERE "nextAttemptAt" > :after`,
  },
  insertAttempts: {
    each: `
INSERT INTO "DeliveryAttempt" ("id", "deliveryId", "number", "startedAt", "durationMs", "statusCode", "success", "error", "responseBody")
SELECT :id, "id", "attemptCount" + 1, :startedAt, :durationMs, :statusCode, :success, :error, :responseBody FROM "Delivery" WHERE "id" = :deliveryId`,
  },
  settleDeliveries: {
    each: `
UPDATE "Delivery" SET
  "status" = CASE WHEN "status" IN ${OPEN} THEN :status ELSE "status" END,
  "nextAttemptAt" = CASE WHEN "status" IN ${OPEN} AND :status = 'RETRYING' THEN :next ELSE NULL END,
  "attemptCount" = "attemptCount" + 1,
  "lastStatusCode" = :statusCode,
  "requestHeaders" = :headers,
  "leaseExpiresAt" = NULL,
  "updatedAt" = :now
WHERE "id" = :id
RETURNING ${RETURNED}`,
  },
};

/** Leases the "chosen" deliveries for their webhook's timeout plus :margin. */
const PG_LEASE = `UPDATE "Delivery" AS "d"
SET "leaseExpiresAt" = :now::timestamptz + (:margin::int + "w"."timeoutMs") * interval '1 millisecond'
FROM "chosen", "Webhook" AS "w"
WHERE "d"."id" = "chosen"."id" AND "w"."id" = "d"."webhookId"
RETURNING "d"."id", "d"."organizationId", "d"."webhookId", "d"."eventId", "d"."eventType", "d"."test", "d"."createdAt", "d"."attemptCount", "d"."lastStatusCode", "d"."requestHeaders", "d"."requestBody",
  "w"."updatedAt" AS "webhookVersion"`;

/** The same statements; the claim locks its candidates with SKIP LOCKED so instances never wait for or share one. */
const postgresql: Dialect = {
  claim: {
    window: `
WITH "candidates" AS (
  SELECT "id", "webhookId", "nextAttemptAt" FROM "Delivery"
  WHERE "nextAttemptAt" <= :now::timestamptz AND "status" IN ${OPEN} AND ${FREE_PG('"leaseExpiresAt"')}
  ORDER BY "nextAttemptAt", "id" LIMIT :candidates::int
  FOR UPDATE SKIP LOCKED
), "chosen" AS (
  SELECT "id" FROM (
    SELECT "id", "webhookId", "nextAttemptAt", ROW_NUMBER() OVER (PARTITION BY "webhookId" ORDER BY "nextAttemptAt", "id") AS "rank" FROM "candidates"
  ) AS "ranked"
  WHERE "rank" <= :perWebhook::int AND "webhookId" NOT IN (SELECT jsonb_array_elements_text(:saturated::jsonb))
  ORDER BY "nextAttemptAt", "id" LIMIT :limit::int
)
${PG_LEASE}`,
    others: `
WITH "heads" AS (
  SELECT "w"."id", "h"."due" FROM "Webhook" AS "w"
  CROSS JOIN LATERAL (
    SELECT "d"."nextAttemptAt" AS "due" FROM "Delivery" AS "d"
    WHERE "d"."webhookId" = "w"."id" AND "d"."nextAttemptAt" <= :now::timestamptz AND "d"."status" IN ${OPEN} AND ${FREE_PG('"d"."leaseExpiresAt"')}
    ORDER BY "d"."nextAttemptAt", "d"."id" LIMIT 1
  ) AS "h"
  WHERE "w"."id" NOT IN (SELECT jsonb_array_elements_text(:exclude::jsonb))
  ORDER BY "h"."due", "w"."id" LIMIT :limit::int
), "chosen" AS (
  SELECT "c"."id" FROM "heads"
  CROSS JOIN LATERAL (
    SELECT "d"."id", "d"."nextAttemptAt" FROM "Delivery" AS "d"
    WHERE "d"."webhookId" = "heads"."id" AND "d"."nextAttemptAt" <= :now::timestamptz AND "d"."status" IN ${OPEN} AND ${FREE_PG('"d"."leaseExpiresAt"')}
    ORDER BY "d"."nextAttemptAt", "d"."id" LIMIT :perWebhook::int
    FOR UPDATE SKIP LOCKED
  ) AS "c"
  ORDER BY "c"."nextAttemptAt", "c"."id" LIMIT :limit::int
)
${PG_LEASE}`,
  },
  sql: {
    // NO KEY UPDATE, the lock an UPDATE of these columns takes: it serializes instances settling the
    // same webhook, but not the foreign-key checks of new deliveries (FOR UPDATE made every
    // createIssue wait for the settling transaction of its webhooks). Rows the WHERE leaves out
    // are not locked (see `sql` in Dialect).
    lockWebhooks: `
SELECT "id", "consecutiveFailures", "enabled" FROM "Webhook"
WHERE "id" IN (SELECT jsonb_array_elements_text(:ids::jsonb))
  AND ("consecutiveFailures" <> 0 OR "id" IN (SELECT jsonb_array_elements_text(:failing::jsonb)))
ORDER BY "id" FOR NO KEY UPDATE`,
    updateWebhooks: `
UPDATE "Webhook" AS "w" SET
  "consecutiveFailures" = "v"."failures",
  "enabled" = CASE WHEN "v"."reason" IS NULL THEN "w"."enabled" ELSE false END,
  "disabledReason" = COALESCE("v"."reason", "w"."disabledReason"),
  "updatedAt" = CASE WHEN "v"."reason" IS NULL THEN "w"."updatedAt" ELSE :now::timestamptz END
FROM jsonb_to_recordset(:rows::jsonb) AS "v"("id" text, "failures" int, "reason" text)
WHERE "w"."id" = "v"."id"`,
    cancelOpen: `
UPDATE "Delivery" SET "status" = 'CANCELLED', "nextAttemptAt" = NULL, "updatedAt" = :now::timestamptz
WHERE "webhookId" IN (SELECT jsonb_array_elements_text(:ids::jsonb)) AND "nextAttemptAt" IS NOT NULL AND "status" IN ${OPEN}
RETURNING ${RETURNED}`,
    cancelDeliveries: `
UPDATE "Delivery" SET "status" = 'CANCELLED', "nextAttemptAt" = NULL, "leaseExpiresAt" = NULL, "updatedAt" = :now::timestamptz
WHERE "id" IN (SELECT jsonb_array_elements_text(:ids::jsonb)) AND "status" IN ${OPEN}`,
    release: `UPDATE "Delivery" SET "leaseExpiresAt" = NULL WHERE "id" IN (SELECT jsonb_array_elements_text(:ids::jsonb))`,
    webhooks: `SELECT ${WEBHOOK_COLUMNS} FROM "Webhook" WHERE "id" IN (SELECT jsonb_array_elements_text(:ids::jsonb))`,
    nextDue: `SELECT MIN("nextAttemptAt") AS "due" FROM "Delivery" WHERE "nextAttemptAt" > :after::timestamptz`,
  },
  insertAttempts: {
    json: `
INSERT INTO "DeliveryAttempt" ("id", "deliveryId", "number", "startedAt", "durationMs", "statusCode", "success", "error", "responseBody")
SELECT "v"."id", "d"."id", "d"."attemptCount" + 1, "v"."startedAt", "v"."durationMs", "v"."statusCode", "v"."success", "v"."error", "v"."responseBody"
FROM jsonb_to_recordset(:rows::jsonb) AS "v"("id" text, "deliveryId" text, "startedAt" timestamptz, "durationMs" int, "statusCode" int, "success" boolean, "error" text, "responseBody" text)
JOIN "Delivery" AS "d" ON "d"."id" = "v"."deliveryId"`,
  },
  settleDeliveries: {
    json: `
UPDATE "Delivery" AS "d" SET
  "status" = CASE WHEN "d"."status" IN ${OPEN} THEN "v"."status" ELSE "d"."status" END,
  "nextAttemptAt" = CASE WHEN "d"."status" IN ${OPEN} AND "v"."status" = 'RETRYING' THEN "v"."next" ELSE NULL END,
  "attemptCount" = "d"."attemptCount" + 1,
  "lastStatusCode" = "v"."statusCode",
  "requestHeaders" = "v"."headers",
  "leaseExpiresAt" = NULL,
  "updatedAt" = :now::timestamptz
FROM jsonb_to_recordset(:rows::jsonb) AS "v"("id" text, "status" text, "next" timestamptz, "statusCode" int, "headers" text)
WHERE "d"."id" = "v"."id"
RETURNING ${RETURNED_PG}`,
  },
};

export const DIALECTS: Record<Provider, Dialect> = { sqlite, postgresql };
