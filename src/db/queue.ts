// The delivery queue lives in the Delivery table. A claim leases due deliveries in one statement;
// an expired lease (the process died mid-attempt) makes a delivery claimable again, so nothing is
// lost and only in-flight attempts can be repeated. The claim takes the oldest due work, at most
// `perWebhook` per webhook and none of the webhooks the caller says are saturated: the same shape
// would give "one in flight per webhook, oldest first" by passing 1 and every busy webhook.
import type { PrismaClient } from '../generated/prisma/client.ts';
import type { DeliveryUpdate } from '../pubsub.ts';
import type { Verdict } from '../delivery/retry-policy.ts';
import { settle } from '../delivery/settle.ts';
import { newIdAt } from '../domain/ids.ts';

export interface ClaimedDelivery {
  id: string;
  organizationId: string;
  webhookId: string;
  eventId: string;
  eventType: string;
  attemptCount: number;
  requestHeaders: string;
  requestBody: string;
  test: boolean;
}

export interface ClaimRequest {
  now: number;
  limit: number;
  perWebhook: number;
  /** Webhooks with as many attempts in flight here as they may have. */
  saturated: readonly string[];
  /** Added to each webhook's timeout to make the lease. */
  leaseMarginMs: number;
}

export interface AttemptRecord {
  delivery: ClaimedDelivery;
  number: number;
  startedAt: Date;
  durationMs: number;
  statusCode: number | null;
  success: boolean;
  error: string | null;
  responseBody: string | null;
  /** What was sent, custom header values masked. */
  requestHeaders: Record<string, string>;
  verdict: Verdict;
}

export interface CompletionOutcome {
  deliveries: DeliveryUpdate[];
  /** Webhooks whose state changed (failure counter, breaker, 410): publish webhookUpdated. */
  webhooks: Array<{ organizationId: string; webhookId: string }>;
}

export interface DeliveryQueue {
  claim(request: ClaimRequest): Promise<ClaimedDelivery[]>;
  /** Records attempts and their consequences, all in one transaction. */
  complete(records: readonly AttemptRecord[], breakerThreshold: number): Promise<CompletionOutcome>;
  /** Ends deliveries without an attempt (their webhook was deleted or disabled meanwhile). */
  cancel(deliveries: readonly ClaimedDelivery[]): Promise<DeliveryUpdate[]>;
  /** Gives leases back without recording an attempt (shutdown). */
  release(ids: readonly string[]): Promise<void>;
  /** When the earliest unleased open delivery is due (epoch ms), or null when none is open. */
  nextDueAt(): Promise<number | null>;
}

const OPEN = `('PENDING', 'RETRYING')`;

const CLAIM_SQLITE = `
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
RETURNING "id", "organizationId", "webhookId", "eventId", "eventType", "attemptCount", "requestHeaders", "requestBody", "test"`;

const INSERT_ATTEMPT = `
INSERT INTO "DeliveryAttempt" ("id", "deliveryId", "number", "startedAt", "durationMs", "statusCode", "success", "error", "responseBody")
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`;

const COUNT_FAILURE = `
UPDATE "Webhook" SET "consecutiveFailures" = CASE WHEN :success THEN 0 ELSE "consecutiveFailures" + 1 END
WHERE "id" = :webhookId
RETURNING "consecutiveFailures", "enabled"`;

const SETTLE_DELIVERY = `
UPDATE "Delivery" SET
  "status" = CASE WHEN "status" IN ${OPEN} THEN :status ELSE "status" END,
  "nextAttemptAt" = CASE WHEN "status" IN ${OPEN} AND :status = 'RETRYING' THEN :next ELSE NULL END,
  "attemptCount" = :number, "lastStatusCode" = :code, "requestHeaders" = :headers, "leaseExpiresAt" = NULL, "updatedAt" = :now
WHERE "id" = :id
RETURNING "status", "nextAttemptAt"`;

const DISABLE_WEBHOOK = `UPDATE "Webhook" SET "enabled" = 0, "disabledReason" = :reason, "updatedAt" = :now WHERE "id" = :webhookId AND "enabled" = 1`;

const CANCEL_OPEN = `
UPDATE "Delivery" SET "status" = 'CANCELLED', "nextAttemptAt" = NULL, "updatedAt" = :now
WHERE "webhookId" = :webhookId AND "status" IN ${OPEN}
RETURNING "id", "organizationId", "attemptCount", "lastStatusCode"`;

type Row = Record<string, unknown>;

/** Our statements name their parameters (:now); the driver takes them positionally (?). */
export function bind(template: string, params: Record<string, unknown>): [string, ...unknown[]] {
  const values: unknown[] = [];
  const text = template.replace(/:([A-Za-z]\w*)/g, (_match, name: string) => {
    if (!(name in params)) throw new Error(`no value for :${name}`);
    values.push(params[name]);
    return '?';
  });
  return [text, ...values];
}

function toMs(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.getTime();
  return Number(value);
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

export function createSqliteQueue(prisma: PrismaClient): DeliveryQueue {
  return {
    async claim(request) {
      const rows = await prisma.$transaction((tx) =>
        tx.$queryRawUnsafe<Row[]>(
          ...bind(CLAIM_SQLITE, {
            now: request.now,
            limit: request.limit,
            candidates: request.limit * 4,
            perWebhook: request.perWebhook,
            saturated: JSON.stringify(request.saturated),
            margin: request.leaseMarginMs,
          }),
        ),
      );
      return rows.map((row) => ({
        id: String(row.id),
        organizationId: String(row.organizationId),
        webhookId: String(row.webhookId),
        eventId: String(row.eventId),
        eventType: String(row.eventType),
        attemptCount: Number(row.attemptCount),
        requestHeaders: String(row.requestHeaders),
        requestBody: String(row.requestBody),
        test: Boolean(Number(row.test)),
      }));
    },

    async complete(records, threshold) {
      const now = Date.now();
      const nowIso = new Date(now).toISOString();
      return prisma.$transaction(async (tx) => {
        const deliveries: DeliveryUpdate[] = [];
        const webhooks = new Map<string, string>();
        for (const record of records) {
          const { delivery } = record;
          await tx.$executeRawUnsafe(
            INSERT_ATTEMPT,
            newIdAt('att').id,
            delivery.id,
            record.number,
            record.startedAt.getTime(),
            record.durationMs,
            record.statusCode,
            record.success ? 1 : 0,
            record.error,
            record.responseBody,
          );
          const [counter] = await tx.$queryRawUnsafe<Row[]>(...bind(COUNT_FAILURE, { success: record.success ? 1 : 0, webhookId: delivery.webhookId }));
          const failures = Number(counter?.consecutiveFailures ?? 0);
          const enabled = Boolean(Number(counter?.enabled ?? 0));
          const settlement = settle(record.verdict, failures, enabled, threshold);
          const nextAttemptAt = record.verdict.kind === 'retry' ? now + record.verdict.delayMs : null;
          const [settled] = await tx.$queryRawUnsafe<Row[]>(
            ...bind(SETTLE_DELIVERY, {
              status: settlement.status,
              next: nextAttemptAt,
              number: record.number,
              code: record.statusCode,
              headers: JSON.stringify(record.requestHeaders),
              now,
              id: delivery.id,
            }),
          );
          deliveries.push({
            organizationId: delivery.organizationId,
            webhookId: delivery.webhookId,
            deliveryId: delivery.id,
            status: String(settled?.status ?? settlement.status),
            attemptCount: record.number,
            nextAttemptAt: iso(toMs(settled?.nextAttemptAt)),
            lastStatusCode: record.statusCode,
            updatedAt: nowIso,
          });
          if (!record.success || failures !== 0) webhooks.set(delivery.webhookId, delivery.organizationId);
          if (settlement.disableReason) {
            await tx.$executeRawUnsafe(...bind(DISABLE_WEBHOOK, { reason: settlement.disableReason, now, webhookId: delivery.webhookId }));
            const cancelled = await tx.$queryRawUnsafe<Row[]>(...bind(CANCEL_OPEN, { now, webhookId: delivery.webhookId }));
            for (const row of cancelled) {
              deliveries.push({
                organizationId: String(row.organizationId),
                webhookId: delivery.webhookId,
                deliveryId: String(row.id),
                status: 'CANCELLED',
                attemptCount: Number(row.attemptCount),
                nextAttemptAt: null,
                lastStatusCode: row.lastStatusCode === null ? null : Number(row.lastStatusCode),
                updatedAt: nowIso,
              });
            }
          }
        }
        return { deliveries, webhooks: [...webhooks].map(([webhookId, organizationId]) => ({ organizationId, webhookId })) };
      });
    },

    async cancel(claimed) {
      if (claimed.length === 0) return [];
      const now = Date.now();
      await prisma.$transaction((tx) =>
        tx.delivery.updateMany({
          where: { id: { in: claimed.map((d) => d.id) }, status: { in: ['PENDING', 'RETRYING'] } },
          data: { status: 'CANCELLED', nextAttemptAt: null, leaseExpiresAt: null, updatedAt: new Date(now) },
        }),
      );
      return claimed.map((d) => ({
        organizationId: d.organizationId,
        webhookId: d.webhookId,
        deliveryId: d.id,
        status: 'CANCELLED',
        attemptCount: d.attemptCount,
        nextAttemptAt: null,
        lastStatusCode: null,
        updatedAt: new Date(now).toISOString(),
      }));
    },

    async release(ids) {
      if (ids.length === 0) return;
      await prisma.$transaction((tx) => tx.delivery.updateMany({ where: { id: { in: [...ids] } }, data: { leaseExpiresAt: null } }));
    },

    async nextDueAt() {
      const [row] = await prisma.$queryRawUnsafe<Row[]>(
        `SELECT MIN("nextAttemptAt") AS "due" FROM "Delivery" WHERE "nextAttemptAt" IS NOT NULL AND "status" IN ${OPEN} AND "leaseExpiresAt" IS NULL`,
      );
      return toMs(row?.due);
    },
  };
}
