// The queue's statements in each database's dialect. Parameters are named (:now) and bound by
// queue.ts; times are epoch milliseconds in SQLite and timestamptz in PostgreSQL.
import type { Provider } from './client.ts';

export interface Dialect {
  placeholders: 'question' | 'numbered';
  /** A time parameter as this database stores it. */
  time(ms: number): number | string;
  sql: Record<'claim' | 'insertAttempt' | 'countFailure' | 'settleDelivery' | 'disableWebhook' | 'cancelOpen' | 'nextDue', string>;
}

const OPEN = `('PENDING', 'RETRYING')`;

/**
 * Claiming: the oldest due, unleased deliveries not of a saturated webhook (a bounded candidate
 * set), at most :perWebhook of each webhook, leased for that webhook's timeout plus :margin.
 */
const sqlite: Dialect = {
  placeholders: 'question',
  time: (ms) => ms,
  sql: {
    claim: `
UPDATE "Delivery"
SET "leaseExpiresAt" = :now + :margin + COALESCE((SELECT "timeoutMs" FROM "Webhook" WHERE "Webhook"."id" = "Delivery"."webhookId"), 30000)
WHERE "id" IN (
  SELECT "id" FROM (
    SELECT "id", "due", ROW_NUMBER() OVER (PARTITION BY "webhookId" ORDER BY "due", "id") AS "rank"
    FROM (
      SELECT "id", "webhookId", "nextAttemptAt" AS "due" FROM "Delivery"
      WHERE "nextAttemptAt" <= :now AND "status" IN ${OPEN}
        AND ("leaseExpiresAt" IS NULL OR "leaseExpiresAt" <= :now)
        AND "webhookId" NOT IN (SELECT "value" FROM json_each(:saturated))
      ORDER BY "nextAttemptAt", "id" LIMIT :candidates
    )
  )
  WHERE "rank" <= :perWebhook ORDER BY "due", "id" LIMIT :limit
)
RETURNING "id", "organizationId", "webhookId", "eventId", "eventType", "attemptCount", "requestHeaders", "requestBody", "test"`,
    insertAttempt: `
INSERT INTO "DeliveryAttempt" ("id", "deliveryId", "number", "startedAt", "durationMs", "statusCode", "success", "error", "responseBody")
VALUES (:id, :deliveryId, :number, :startedAt, :durationMs, :statusCode, :success, :error, :responseBody)`,
    countFailure: `
UPDATE "Webhook" SET "consecutiveFailures" = CASE WHEN :success THEN 0 ELSE "consecutiveFailures" + 1 END
WHERE "id" = :webhookId
RETURNING "consecutiveFailures", "enabled"`,
    settleDelivery: `
UPDATE "Delivery" SET
  "status" = CASE WHEN "status" IN ${OPEN} THEN :status ELSE "status" END,
  "nextAttemptAt" = CASE WHEN "status" IN ${OPEN} AND :status = 'RETRYING' THEN :next ELSE NULL END,
  "attemptCount" = :number, "lastStatusCode" = :code, "requestHeaders" = :headers, "leaseExpiresAt" = NULL, "updatedAt" = :now
WHERE "id" = :id
RETURNING "status", "nextAttemptAt"`,
    disableWebhook: `UPDATE "Webhook" SET "enabled" = 0, "disabledReason" = :reason, "updatedAt" = :now WHERE "id" = :webhookId AND "enabled" = 1`,
    cancelOpen: `
UPDATE "Delivery" SET "status" = 'CANCELLED', "nextAttemptAt" = NULL, "updatedAt" = :now
WHERE "webhookId" = :webhookId AND "status" IN ${OPEN}
RETURNING "id", "organizationId", "attemptCount", "lastStatusCode"`,
    nextDue: `SELECT MIN("nextAttemptAt") AS "due" FROM "Delivery" WHERE "nextAttemptAt" IS NOT NULL AND "status" IN ${OPEN} AND "leaseExpiresAt" IS NULL`,
  },
};

/** The same statements; the claim locks its candidates with SKIP LOCKED so instances never wait for or share one. */
const postgresql: Dialect = {
  placeholders: 'numbered',
  time: (ms) => new Date(ms).toISOString(),
  sql: {
    claim: `
WITH "candidates" AS (
  SELECT "id", "webhookId", "nextAttemptAt" FROM "Delivery"
  WHERE "nextAttemptAt" <= :now::timestamptz AND "status" IN ${OPEN}
    AND ("leaseExpiresAt" IS NULL OR "leaseExpiresAt" <= :now::timestamptz)
    AND "webhookId" NOT IN (SELECT jsonb_array_elements_text(:saturated::jsonb))
  ORDER BY "nextAttemptAt", "id" LIMIT :candidates::int
  FOR UPDATE SKIP LOCKED
), "chosen" AS (
  SELECT "id" FROM (
    SELECT "id", "nextAttemptAt", ROW_NUMBER() OVER (PARTITION BY "webhookId" ORDER BY "nextAttemptAt", "id") AS "rank" FROM "candidates"
  ) AS "ranked"
  WHERE "rank" <= :perWebhook::int ORDER BY "nextAttemptAt", "id" LIMIT :limit::int
)
UPDATE "Delivery" AS "d"
SET "leaseExpiresAt" = :now::timestamptz + (:margin::int + "w"."timeoutMs") * interval '1 millisecond'
FROM "chosen", "Webhook" AS "w"
WHERE "d"."id" = "chosen"."id" AND "w"."id" = "d"."webhookId"
RETURNING "d"."id", "d"."organizationId", "d"."webhookId", "d"."eventId", "d"."eventType", "d"."attemptCount", "d"."requestHeaders", "d"."requestBody", "d"."test"`,
    insertAttempt: `
INSERT INTO "DeliveryAttempt" ("id", "deliveryId", "number", "startedAt", "durationMs", "statusCode", "success", "error", "responseBody")
VALUES (:id, :deliveryId, :number::int, :startedAt::timestamptz, :durationMs::int, :statusCode::int, :success::boolean, :error, :responseBody)`,
    countFailure: `
UPDATE "Webhook" SET "consecutiveFailures" = CASE WHEN :success::boolean THEN 0 ELSE "consecutiveFailures" + 1 END
WHERE "id" = :webhookId
RETURNING "consecutiveFailures", "enabled"`,
    settleDelivery: `
UPDATE "Delivery" SET
  "status" = CASE WHEN "status" IN ${OPEN} THEN :status::text ELSE "status" END,
  "nextAttemptAt" = CASE WHEN "status" IN ${OPEN} AND :status::text = 'RETRYING' THEN :next::timestamptz ELSE NULL END,
  "attemptCount" = :number::int, "lastStatusCode" = :code::int, "requestHeaders" = :headers, "leaseExpiresAt" = NULL, "updatedAt" = :now::timestamptz
WHERE "id" = :id
RETURNING "status", "nextAttemptAt"`,
    disableWebhook: `UPDATE "Webhook" SET "enabled" = false, "disabledReason" = :reason, "updatedAt" = :now::timestamptz WHERE "id" = :webhookId AND "enabled"`,
    cancelOpen: `
UPDATE "Delivery" SET "status" = 'CANCELLED', "nextAttemptAt" = NULL, "updatedAt" = :now::timestamptz
WHERE "webhookId" = :webhookId AND "status" IN ${OPEN}
RETURNING "id", "organizationId", "attemptCount", "lastStatusCode"`,
    nextDue: `SELECT MIN("nextAttemptAt") AS "due" FROM "Delivery" WHERE "nextAttemptAt" IS NOT NULL AND "status" IN ${OPEN} AND "leaseExpiresAt" IS NULL`,
  },
};

export const DIALECTS: Record<Provider, Dialect> = { sqlite, postgresql };
