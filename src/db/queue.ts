// The delivery queue lives in the Delivery table. A claim leases due deliveries (each step one
// statement on PostgreSQL, the whole claim one transaction on SQLite; queue-sql.ts says how); an
// expired lease (the process died mid-attempt) makes a delivery claimable again, so nothing is
// lost and only attempts in flight or not yet recorded can be repeated. The claim takes the oldest
// due work, at most `perWebhook` per webhook and none of the webhooks the caller says are
// saturated: the same shape would give "one in flight per webhook, oldest first" by passing 1 and
// every busy webhook.
import type { Database } from './client.ts';
import { DIALECTS, type RowsStatement } from './queue-sql.ts';
import { epochMs, timeParam, type Row, type SqlRunner } from './sql.ts';
import { deliveryUpdate, type DeliveryIdentity, type DeliveryUpdate, type WebhookUpdate } from '../pubsub.ts';
import type { Verdict } from '../delivery/retry-policy.ts';
import { settleBatch } from '../delivery/settle.ts';
import { newIdAt } from '../domain/ids.ts';

export interface ClaimedDelivery extends DeliveryIdentity {
  /** The webhook's updatedAt (epoch ms) when claimed: a dispatcher re-reads only webhooks that changed. */
  webhookVersion: number | null;
  attemptCount: number;
  lastStatusCode: number | null;
  requestHeaders: string;
  requestBody: string;
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
  webhooks: WebhookUpdate[];
}

/** A webhook as the dispatcher reads it; times in epoch milliseconds. */
export interface WebhookRow {
  id: string;
  url: string;
  timeoutMs: number;
  retryCount: number;
  enabled: boolean;
  deleted: boolean;
  /** Encrypted, as stored. */
  secret: string;
  previousSecret: string | null;
  previousSecretExpiresAt: number | null;
  headers: string | null;
  headerMasks: string | null;
  updatedAt: number;
}

export interface DeliveryQueue {
  claim(request: ClaimRequest): Promise<ClaimedDelivery[]>;
  /**
   * Records attempts and their consequences, all in one transaction. `beforeCommit` sees the
   * outcome inside it: a process killed right after committing has then already announced it.
   */
  complete(records: readonly AttemptRecord[], breakerThreshold: number, beforeCommit: (outcome: CompletionOutcome) => void): Promise<CompletionOutcome>;
  /** Ends deliveries without an attempt (their webhook was deleted or disabled meanwhile). */
  cancel(deliveries: readonly ClaimedDelivery[]): Promise<DeliveryUpdate[]>;
  /** Gives leases back without recording an attempt (shutdown). */
  release(ids: readonly string[]): Promise<void>;
  /**
   * When the earliest open delivery due after `after` (epoch ms) is due, or null when none is.
   * One range of the open-work index: no other condition, so that no planner, with or without
   * statistics, reads the table for it.
   */
  nextDueAt(after: number): Promise<number | null>;
  /** The webhooks of claimed deliveries, deleted ones included. */
  webhooks(ids: readonly string[]): Promise<WebhookRow[]>;
}

/** PostgreSQL's deadlock and serialization failures: the transaction did nothing and may simply run again. */
const CONFLICT_CODES = ['40P01', '40001'];

export async function retryOnConflict<T>(run: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await run();
    } catch (error) {
      const text = String((error as Error)?.message ?? error);
      if (attempt >= attempts || !CONFLICT_CODES.some((code) => text.includes(code))) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * attempt));
    }
  }
}

function nullableNumber(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}

function nullableString(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}

function identityOf(row: Row): DeliveryIdentity {
  return {
    id: String(row.id),
    organizationId: String(row.organizationId),
    webhookId: String(row.webhookId),
    eventId: String(row.eventId),
    eventType: String(row.eventType),
    test: Boolean(Number(row.test)),
    createdAt: row.createdAt as DeliveryIdentity['createdAt'],
  };
}

const cancelledState = (now: number) => ({ status: 'CANCELLED', nextAttemptAt: null, updatedAt: now });

/** The oldest first, at most `perWebhook` of each webhook and `limit` in all (candidates come oldest first). */
export function claimable(candidates: readonly Row[], perWebhook: number, limit: number): string[] {
  const chosen: string[] = [];
  const counts = new Map<string, number>();
  for (const row of candidates) {
    if (chosen.length >= limit) break;
    const webhookId = String(row.webhookId);
    const count = counts.get(webhookId) ?? 0;
    if (count >= perWebhook) continue;
    counts.set(webhookId, count + 1);
    chosen.push(String(row.id));
  }
  return chosen;
}

/** A statement over many rows, as its dialect runs it: once over a JSON array, or once per row. */
function runRows(tx: SqlRunner, statement: RowsStatement, rows: readonly Row[], shared: Row): Promise<Row[]> {
  return 'json' in statement ? tx.query(statement.json, { ...shared, rows: JSON.stringify(rows) }) : tx.queryEach(statement.each, rows, shared);
}

export function createQueue(db: Database): DeliveryQueue {
  const { sql, claim, insertAttempts, settleDeliveries } = DIALECTS[db.provider];
  const time = (ms: number) => timeParam(db.provider, ms);

  /** Webhooks the second step leaves out: the saturated ones, and those the first step served (their caps hold). */
  function served(rows: readonly Row[], request: ClaimRequest): string[] {
    return [...new Set([...request.saturated, ...rows.map((row) => String(row.webhookId))])];
  }

  async function lease(request: ClaimRequest): Promise<Row[]> {
    const params = {
      now: time(request.now),
      limit: request.limit,
      candidates: request.limit * 4,
      perWebhook: request.perWebhook,
      saturated: JSON.stringify(request.saturated),
      margin: request.leaseMarginMs,
    };
    if ('window' in claim) {
      const first = await db.sql.query(claim.window, params);
      // Short of the limit with nothing saturated: no more work is due, or a webhook reached its
      // cap in this claim; saturated by the next claim, it is looked past then.
      if (first.length >= request.limit || request.saturated.length === 0) return first;
      const exclude = served(first, request);
      const others = await db.sql.query(claim.others, { ...params, limit: request.limit - first.length, exclude: JSON.stringify(exclude) });
      return [...first, ...others];
    }
    return db.sql.transaction(async (tx) => {
      const window = await tx.query(claim.candidates, params);
      const saturated = new Set(request.saturated);
      let ids = claimable(window.filter((row) => !saturated.has(String(row.webhookId))), request.perWebhook, request.limit);
      // The window was taken up by webhooks that may not have more: look past it, webhook by webhook.
      if (ids.length < request.limit && window.length === params.candidates) {
        const chosen = new Set(ids);
        const exclude = served(window.filter((row) => chosen.has(String(row.id))), request);
        const heads = await tx.query(claim.heads, { ...params, limit: request.limit - ids.length, exclude: JSON.stringify(exclude) });
        for (const head of heads) {
          const rows = await tx.query(claim.ofWebhook, { ...params, webhookId: String(head.id) });
          ids.push(...rows.map((row) => String(row.id)));
        }
        ids = ids.slice(0, request.limit);
      }
      if (ids.length === 0) return [];
      const order = new Map(ids.map((id, i) => [id, i]));
      const rows = await tx.query(claim.lease, { ...params, ids: JSON.stringify(ids) });
      return rows.sort((x, y) => order.get(String(x.id))! - order.get(String(y.id))!);
    });
  }

  return {
    async claim(request) {
      const rows = await lease(request);
      return rows.map((row) => ({
        ...identityOf(row),
        webhookVersion: epochMs(row.webhookVersion),
        attemptCount: Number(row.attemptCount),
        lastStatusCode: nullableNumber(row.lastStatusCode),
        requestHeaders: String(row.requestHeaders),
        requestBody: String(row.requestBody),
      }));
    },

    async complete(unordered, threshold, beforeCommit) {
      if (unordered.length === 0) return { deliveries: [], webhooks: [] };
      // Two attempts of one delivery (its lease lapsed while the first was in flight) are written
      // one after the other, so each gets its own number.
      const seen = new Set<string>();
      const later = unordered.filter((r) => seen.has(r.delivery.id) || !seen.add(r.delivery.id));
      if (later.length) {
        const first = await this.complete(unordered.filter((r) => !later.includes(r)), threshold, beforeCommit);
        const rest = await this.complete(later, threshold, beforeCommit);
        return { deliveries: [...first.deliveries, ...rest.deliveries], webhooks: [...first.webhooks, ...rest.webhooks] };
      }
      const now = Date.now();
      // Rows are locked webhooks first, then deliveries, each in id order, so that instances
      // completing batches at the same time never wait for each other in a cycle.
      const records = [...unordered].sort(
        (x, y) => x.delivery.webhookId.localeCompare(y.delivery.webhookId) || x.delivery.id.localeCompare(y.delivery.id),
      );
      const webhookIds = [...new Set(records.map((r) => r.delivery.webhookId))];
      // The webhooks whose counters this batch moves up; settleBatch reads the rest as no failures.
      const failing = [...new Set(records.filter((r) => r.verdict.kind !== 'succeeded').map((r) => r.delivery.webhookId))];
      return retryOnConflict(() =>
        db.sql.transaction(async (tx) => {
          const run = (template: string, params: Record<string, unknown>) => tx.query(template, params);
          const counters = new Map(
            (await run(sql.lockWebhooks, { ids: JSON.stringify(webhookIds), failing: JSON.stringify(failing) })).map((row) => [
              String(row.id),
              { consecutiveFailures: Number(row.consecutiveFailures), enabled: Boolean(Number(row.enabled)) },
            ]),
          );
          const batch = settleBatch(
            records.map((r) => ({ webhookId: r.delivery.webhookId, verdict: r.verdict })),
            counters,
            threshold,
          );
          const changedWebhooks = [...batch.webhooks].filter(([, state]) => state.changed || state.disableReason);
          if (changedWebhooks.length) {
            const rows = changedWebhooks.map(([id, state]) => ({ id, failures: state.consecutiveFailures, reason: state.disableReason }));
            await run(sql.updateWebhooks, { rows: JSON.stringify(rows), now: time(now) });
          }
          const attempts = records.map((r) => ({
            id: newIdAt('att').id,
            deliveryId: r.delivery.id,
            startedAt: time(r.startedAt.getTime()),
            durationMs: r.durationMs,
            statusCode: r.statusCode,
            success: r.success,
            error: r.error,
            responseBody: r.responseBody,
          }));
          await runRows(tx, insertAttempts, attempts, {});
          const settlements = records.map((r, i) => ({
            id: r.delivery.id,
            status: batch.settlements[i].status,
            next: r.verdict.kind === 'retry' && batch.settlements[i].status === 'RETRYING' ? time(now + r.verdict.delayMs) : null,
            statusCode: r.statusCode,
            headers: JSON.stringify(r.requestHeaders),
          }));
          const settled = await runRows(tx, settleDeliveries, settlements, { now: time(now) });
          const disabled = changedWebhooks.filter(([, state]) => state.disableReason).map(([id]) => id);
          const cancelled = disabled.length ? await run(sql.cancelOpen, { ids: JSON.stringify(disabled), now: time(now) }) : [];
          const deliveries = [...settled, ...cancelled].map((row) =>
            deliveryUpdate(identityOf(row), {
              status: String(row.status),
              attemptCount: Number(row.attemptCount),
              nextAttemptAt: epochMs(row.nextAttemptAt),
              lastStatusCode: nullableNumber(row.lastStatusCode),
              updatedAt: now,
            }),
          );
          const organizations = new Map(records.map((r) => [r.delivery.webhookId, r.delivery.organizationId]));
          const outcome = {
            deliveries,
            webhooks: changedWebhooks.map(([webhookId, state]) => ({
              webhookId,
              organizationId: organizations.get(webhookId)!,
              breaker: {
                consecutiveFailures: state.consecutiveFailures,
                enabled: state.enabled,
                ...(state.disableReason ? { disabledReason: state.disableReason } : {}),
              },
            })),
          };
          beforeCommit(outcome);
          return outcome;
        }, { lazyCommit: true, planEachTime: true }),
      );
    },

    async cancel(claimed) {
      if (claimed.length === 0) return [];
      const now = Date.now();
      await db.sql.query(sql.cancelDeliveries, { ids: JSON.stringify(claimed.map((d) => d.id)), now: time(now) });
      return claimed.map((d) => deliveryUpdate(d, { ...cancelledState(now), attemptCount: d.attemptCount, lastStatusCode: d.lastStatusCode }));
    },

    async release(ids) {
      if (ids.length === 0) return;
      await db.sql.query(sql.release, { ids: JSON.stringify(ids) });
    },

    async nextDueAt(after) {
      const [row] = await db.sql.query(sql.nextDue, { after: time(after) });
      return epochMs(row?.due);
    },

    async webhooks(ids) {
      const rows = await db.sql.query(sql.webhooks, { ids: JSON.stringify(ids) });
      return rows.map((row) => ({
        id: String(row.id),
        url: String(row.url),
        timeoutMs: Number(row.timeoutMs),
        retryCount: Number(row.retryCount),
        enabled: Boolean(Number(row.enabled)),
        deleted: row.deletedAt !== null,
        secret: String(row.secret),
        previousSecret: nullableString(row.previousSecret),
        previousSecretExpiresAt: epochMs(row.previousSecretExpiresAt),
        headers: nullableString(row.headers),
        headerMasks: nullableString(row.headerMasks),
        updatedAt: epochMs(row.updatedAt)!,
      }));
    },
  };
}
