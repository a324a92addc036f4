// Recording events: the statements that write an issue (createIssue), an event and its deliveries,
// in each database's dialect. PostgreSQL writes all three in one statement, each part a JSON array
// of rows (one round trip, atomic without a transaction around it); SQLite, which has no
// data-modifying WITH, runs a prepared insert per row in the caller's transaction.
// Time parameters come from timeParam (sql.ts).
import type { Provider } from './client.ts';

export interface RecordDialect {
  bool(value: boolean): number | boolean;
  /**
   * One statement, params :issues, :events and :deliveries, each a JSON array of rows; or an insert
   * per row of each, the row's fields its parameters (on SQLite a bound parameter costs a fraction
   * of a field extracted from JSON: ~45 against ~60 µs a delivery row in the service, and an
   * insert needs no round trip).
   */
  write: { statement: string } | { issue: string; event: string; delivery: string };
  /** Enabled, not deleted webhooks of :organizationId; the event's filters are applied by the caller. */
  receivingCandidates: string;
}

const ISSUE = ['id', 'organizationId', 'pluginId', 'status', 'severity', 'teamId', 'targetId', 'providerId', 'weakness', 'createdAt', 'updatedAt'];
const EVENT = ['id', 'organizationId', 'type', 'teamId', 'severity', 'data', 'metadata', 'idempotencyKey', 'createdAt'];
const DELIVERY_FIELDS = ['id', 'organizationId', 'webhookId', 'eventId', 'eventType', 'test', 'at', 'headers', 'body', 'lease'];
const DELIVERY_COLUMNS = `"id", "organizationId", "webhookId", "eventId", "eventType", "status", "test", "attemptCount", "nextAttemptAt", "requestHeaders", "requestBody", "createdAt", "updatedAt", "leaseExpiresAt"`;
const TIMES = new Set(['createdAt', 'updatedAt', 'at', 'lease']);

const quoted = (columns: string[]) => columns.map((column) => `"${column}"`).join(', ');
const CANDIDATE_COLUMNS = `"id", "format", "headerMasks", "events", "teamId", "severities", "timeoutMs", "updatedAt"`;
const RECEIVING = `"deletedAt" IS NULL AND "enabled" = TRUE`;
const RECEIVING_CANDIDATES = `
SELECT ${CANDIDATE_COLUMNS} FROM "Webhook" WHERE "organizationId" = :organizationId AND ${RECEIVING} ORDER BY "id"`;

const values = (fields: string[]) => fields.map((field) => `:${field}`).join(', ');

const sqlite: RecordDialect = {
  bool: (value) => (value ? 1 : 0),
  write: {
    issue: `INSERT INTO "Issue" (${quoted(ISSUE)}) VALUES (${values(ISSUE)})`,
    event: `INSERT INTO "Event" (${quoted(EVENT)}) VALUES (${values(EVENT)})`,
    delivery: `INSERT INTO "Delivery" (${DELIVERY_COLUMNS})
VALUES (:id, :organizationId, :webhookId, :eventId, :eventType, 'PENDING', :test, 0, :at, :headers, :body, :at, :at, :lease)`,
  },
  receivingCandidates: RECEIVING_CANDIDATES,
};

const pgRecordset = (param: string, fields: string[], types: Record<string, string> = {}) =>
  `jsonb_to_recordset(:${param}::jsonb) AS "v"(${fields.map((f) => `"${f}" ${types[f] ?? (TIMES.has(f) ? 'timestamptz' : 'text')}`).join(', ')})`;

const postgresql: RecordDialect = {
  bool: (value) => value,
  // The parents are inserted by the WITH parts of the same statement: foreign keys are checked
  // at its end, when they exist.
  write: {
    statement: `
WITH "issues" AS (
  INSERT INTO "Issue" (${quoted(ISSUE)}) SELECT ${quoted(ISSUE)} FROM ${pgRecordset('issues', ISSUE)}
), "events" AS (
  INSERT INTO "Event" (${quoted(EVENT)}) SELECT ${quoted(EVENT)} FROM ${pgRecordset('events', EVENT)}
)
INSERT INTO "Delivery" (${DELIVERY_COLUMNS})
SELECT "v"."id", "v"."organizationId", "v"."webhookId", "v"."eventId", "v"."eventType", 'PENDING', "v"."test", 0, "v"."at", "v"."headers", "v"."body", "v"."at", "v"."at", "v"."lease"
FROM ${pgRecordset('deliveries', DELIVERY_FIELDS, { test: 'boolean' })}`,
  },
  receivingCandidates: RECEIVING_CANDIDATES,
};

/** PostgreSQL: receivingCandidates of several organizations (:organizationIds, a JSON array) at once. */
export const PG_RECEIVING_CANDIDATES_OF = `
SELECT "organizationId", ${CANDIDATE_COLUMNS} FROM "Webhook"
WHERE "organizationId" IN (SELECT jsonb_array_elements_text(:organizationIds::jsonb)) AND ${RECEIVING}
ORDER BY "organizationId", "id"`;

export const RECORD_DIALECTS: Record<Provider, RecordDialect> = { sqlite, postgresql };
