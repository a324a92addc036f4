// Recording events: the statements that write an issue (createIssue), an event and its deliveries,
// in each database's dialect. Every part is a JSON array of rows (possibly empty). PostgreSQL
// writes all three in one statement (one round trip, atomic without a transaction around it);
// SQLite, which has no data-modifying WITH, runs one statement per part in the caller's
// transaction. Time parameters come from timeParam (sql.ts).
import type { Provider } from './client.ts';

export interface RecordDialect {
  bool(value: boolean): number | boolean;
  /** Params :issues, :events and :deliveries, each a JSON array of rows. */
  write: { statement: string } | { issues: string; events: string; deliveries: string };
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

const sqliteFields = (param: string, fields: string[]) => `SELECT ${fields.map((f) => `json_extract("v"."value", '$.${f}')`).join(', ')} FROM json_each(:${param}) AS "v"`;

const sqlite: RecordDialect = {
  bool: (value) => (value ? 1 : 0),
  write: {
    issues: `INSERT INTO "Issue" (${quoted(ISSUE)}) ${sqliteFields('issues', ISSUE)}`,
    events: `INSERT INTO "Event" (${quoted(EVENT)}) ${sqliteFields('events', EVENT)}`,
    deliveries: `INSERT INTO "Delivery" (${DELIVERY_COLUMNS})
SELECT json_extract("v"."value", '$.id'), json_extract("v"."value", '$.organizationId'), json_extract("v"."value", '$.webhookId'),
  json_extract("v"."value", '$.eventId'), json_extract("v"."value", '$.eventType'), 'PENDING', json_extract("v"."value", '$.test'), 0,
  json_extract("v"."value", '$.at'), json_extract("v"."value", '$.headers'), json_extract("v"."value", '$.body'),
  json_extract("v"."value", '$.at'), json_extract("v"."value", '$.at'), json_extract("v"."value", '$.lease')
FROM json_each(:deliveries) AS "v"`,
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
