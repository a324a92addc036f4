// The delivery queue lives in the Delivery table. A claim leases due deliveries in one statement;
// an expired lease (the process died mid-attempt) makes a delivery claimable again, so nothing is
// lost and only in-flight attempts can be repeated. The claim takes the oldest due work, at most
// `perWebhook` per webhook and none of the webhooks the caller says are saturated: the same shape
// would give "one in flight per webhook, oldest first" by passing 1 and every busy webhook.
import type { Database } from './client.ts';
import { DIALECTS, type Dialect } from './queue-sql.ts';
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

type Row = Record<string, unknown>;

/**
 * Our statements name their parameters (:now); SQLite takes them positionally (?), PostgreSQL by
 * number ($1, reused for a repeated name). "::type" casts are left alone.
 */
export function bind(dialect: Dialect, template: string, params: Record<string, unknown>): [string, ...unknown[]] {
  const values: unknown[] = [];
  const numbers = new Map<string, number>();
  const text = template.replace(/(?<!:):([A-Za-z]\w*)/g, (_match, name: string) => {
    if (!(name in params)) throw new Error(`no value for :${name}`);
    if (dialect.placeholders === 'question') {
      values.push(params[name]);
      return '?';
    }
    if (!numbers.has(name)) {
      values.push(params[name]);
      numbers.set(name, values.length);
    }
    return `$${numbers.get(name)}`;
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

export function createQueue(db: Database): DeliveryQueue {
  const { prisma } = db;
  const dialect = DIALECTS[db.provider];
  const { sql, time } = dialect;
  const sqlBind = (template: string, params: Record<string, unknown>) => bind(dialect, template, params);
  return {
    async claim(request) {
      const rows = await prisma.$transaction((tx) =>
        tx.$queryRawUnsafe<Row[]>(
          ...sqlBind(sql.claim, {
            now: time(request.now),
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
            ...sqlBind(sql.insertAttempt, {
              id: newIdAt('att').id,
              deliveryId: delivery.id,
              number: record.number,
              startedAt: time(record.startedAt.getTime()),
              durationMs: record.durationMs,
              statusCode: record.statusCode,
              success: record.success,
              error: record.error,
              responseBody: record.responseBody,
            }),
          );
          const [counter] = await tx.$queryRawUnsafe<Row[]>(...sqlBind(sql.countFailure, { success: record.success, webhookId: delivery.webhookId }));
          const failures = Number(counter?.consecutiveFailures ?? 0);
          const enabled = Boolean(Number(counter?.enabled ?? 0));
          const settlement = settle(record.verdict, failures, enabled, threshold);
          const nextAttemptAt = record.verdict.kind === 'retry' ? now + record.verdict.delayMs : null;
          const [settled] = await tx.$queryRawUnsafe<Row[]>(
            ...sqlBind(sql.settleDelivery, {
              status: settlement.status,
              next: nextAttemptAt === null ? null : time(nextAttemptAt),
              number: record.number,
              code: record.statusCode,
              headers: JSON.stringify(record.requestHeaders),
              now: time(now),
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
            await tx.$executeRawUnsafe(...sqlBind(sql.disableWebhook, { reason: settlement.disableReason, now: time(now), webhookId: delivery.webhookId }));
            const cancelled = await tx.$queryRawUnsafe<Row[]>(...sqlBind(sql.cancelOpen, { now: time(now), webhookId: delivery.webhookId }));
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
      const [row] = await prisma.$queryRawUnsafe<Row[]>(sql.nextDue);
      return toMs(row?.due);
    },
  };
}
