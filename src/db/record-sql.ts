// Recording events: the statements that write an event, its deliveries and (for createIssue) the
// issue, in each database's dialect. They run in the caller's transaction, whether that is one of
// ours (sql.ts) or Prisma's (prismaRunner). Times are epoch milliseconds in SQLite and
// timestamptz in PostgreSQL, as in queue-sql.ts.
import type { Provider } from './client.ts';

export interface RecordDialect {
  time(ms: number): number | string;
  bool(value: boolean): number | boolean;
  sql: Record<'insertIssue' | 'insertEvent' | 'receivingCandidates' | 'insertDeliveries', string>;
}

const ISSUE_COLUMNS = `"id", "organizationId", "pluginId", "status", "severity", "teamId", "targetId", "providerId", "weakness", "createdAt", "updatedAt"`;
const EVENT_COLUMNS = `"id", "organizationId", "type", "teamId", "severity", "data", "metadata", "idempotencyKey", "createdAt"`;
const DELIVERY_COLUMNS = `"id", "organizationId", "webhookId", "eventId", "eventType", "status", "test", "attemptCount", "nextAttemptAt", "requestHeaders", "requestBody", "createdAt", "updatedAt"`;
/** Enabled, not deleted webhooks of the organization; the event's filters are applied by the caller. */
const RECEIVING_CANDIDATES = `
SELECT "id", "format", "headerMasks", "events", "teamId", "severities" FROM "Webhook"
WHERE "organizationId" = :organizationId AND "deletedAt" IS NULL AND "enabled" = TRUE ORDER BY "id"`;

const sqlite: RecordDialect = {
  time: (ms) => ms,
  bool: (value) => (value ? 1 : 0),
  sql: {
    insertIssue: `INSERT INTO "Issue" (${ISSUE_COLUMNS})
VALUES (:id, :organizationId, :pluginId, :status, :severity, :teamId, :targetId, :providerId, :weakness, :createdAt, :updatedAt)`,
    insertEvent: `INSERT INTO "Event" (${EVENT_COLUMNS})
VALUES (:id, :organizationId, :type, :teamId, :severity, :data, :metadata, :idempotencyKey, :createdAt)`,
    receivingCandidates: RECEIVING_CANDIDATES,
    insertDeliveries: `INSERT INTO "Delivery" (${DELIVERY_COLUMNS})
SELECT json_extract("v"."value", '$.id'), :organizationId, json_extract("v"."value", '$.webhookId'), :eventId, :eventType, 'PENDING', :test, 0,
  json_extract("v"."value", '$.at'), json_extract("v"."value", '$.headers'), json_extract("v"."value", '$.body'),
  json_extract("v"."value", '$.at'), json_extract("v"."value", '$.at')
FROM json_each(:rows) AS "v"`,
  },
};

const postgresql: RecordDialect = {
  time: (ms) => new Date(ms).toISOString(),
  bool: (value) => value,
  sql: {
    insertIssue: `INSERT INTO "Issue" (${ISSUE_COLUMNS})
VALUES (:id, :organizationId, :pluginId, :status, :severity, :teamId, :targetId, :providerId, :weakness, :createdAt::timestamptz, :updatedAt::timestamptz)`,
    insertEvent: `INSERT INTO "Event" (${EVENT_COLUMNS})
VALUES (:id, :organizationId, :type, :teamId, :severity, :data, :metadata, :idempotencyKey, :createdAt::timestamptz)`,
    receivingCandidates: RECEIVING_CANDIDATES,
    insertDeliveries: `INSERT INTO "Delivery" (${DELIVERY_COLUMNS})
SELECT "v"."id", :organizationId, "v"."webhookId", :eventId, :eventType, 'PENDING', :test::boolean, 0, "v"."at", "v"."headers", "v"."body", "v"."at", "v"."at"
FROM jsonb_to_recordset(:rows::jsonb) AS "v"("id" text, "webhookId" text, "at" timestamptz, "headers" text, "body" text)`,
  },
};

export const RECORD_DIALECTS: Record<Provider, RecordDialect> = { sqlite, postgresql };
