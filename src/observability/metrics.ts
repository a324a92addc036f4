// Prometheus metrics for /metrics. The dispatcher's observer feeds the counters and the latency
// histogram as it works; the queue's gauges are read from the database when scraped. Only
// aggregates over every organization: no label ever carries an organization, webhook or URL.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DeliveryObserver } from '../app.ts';
import type { Database } from '../db/client.ts';
import { GONE_REASON } from '../delivery/settle.ts';

const OPEN_STATUSES = ['PENDING', 'RETRYING'];
const FINAL_STATUSES = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

/** A scrape reads the queue at most this often: many scrapers (or a fast one) cost one query. */
export const QUEUE_CACHE_MS = 2_000;

export interface Metrics {
  registry: Registry;
  observer: DeliveryObserver;
  /** The Prometheus text exposition. */
  render(): Promise<string>;
  contentType: string;
}

interface QueueState {
  depth: number;
  /** When the oldest due delivery not being attempted fell due (epoch ms), or null. */
  oldestDueAt: number | null;
}

/** Open deliveries, and how long the oldest one that is due and not being attempted has waited. */
async function readQueue(db: Database, now: number): Promise<QueueState> {
  const open = { status: { in: OPEN_STATUSES }, nextAttemptAt: { not: null } };
  const [depth, oldest] = await Promise.all([
    db.prisma.delivery.count({ where: open }),
    // Not aggregate({ _min }): with SQLite's epoch-millisecond dates Prisma answers null for it.
    db.prisma.delivery.findFirst({
      where: {
        status: { in: OPEN_STATUSES },
        nextAttemptAt: { lte: new Date(now) },
        OR: [{ leaseExpiresAt: null }, { leaseExpiresAt: { lte: new Date(now) } }],
      },
      orderBy: { nextAttemptAt: 'asc' },
      select: { nextAttemptAt: true },
    }),
  ]);
  return { depth, oldestDueAt: oldest?.nextAttemptAt?.getTime() ?? null };
}

export interface MetricsOptions {
  cacheMs?: number;
  /** A failed queue read: its gauges show NaN for that scrape, the other metrics are still served. */
  onError?: (error: unknown) => void;
}

export function createMetrics(db: Database, options: MetricsOptions = {}): Metrics {
  const cacheMs = options.cacheMs ?? QUEUE_CACHE_MS;
  const onError = options.onError ?? (() => {});
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const deliveries = new Counter({
    name: 'hookwarden_deliveries_total',
    help: 'Deliveries this process settled in a final status after an attempt, by that status (CANCELLED: by the breaker)',
    labelNames: ['status'] as const,
    registers: [registry],
  });
  const attempts = new Counter({
    name: 'hookwarden_delivery_attempts_total',
    help: 'Delivery attempts made, by whether the receiver answered 2xx in time',
    labelNames: ['success'] as const,
    registers: [registry],
  });
  const attemptDuration = new Histogram({
    name: 'hookwarden_delivery_attempt_duration_seconds',
    help: 'How long delivery attempts took, from sending to the end of the response or the error',
    labelNames: ['success'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const breakerTrips = new Counter({
    name: 'hookwarden_breaker_trips_total',
    help: 'Webhooks the dispatcher disabled, by why: consecutive_failures (the circuit breaker) or gone (a 410 answer)',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  for (const status of FINAL_STATUSES) deliveries.inc({ status }, 0);
  for (const success of ['true', 'false']) attempts.inc({ success }, 0);
  for (const reason of ['consecutive_failures', 'gone']) breakerTrips.inc({ reason }, 0);

  // One query for both gauges, shared by concurrent scrapes and reused for cacheMs.
  let cached: { at: number; state: Promise<QueueState | null> } | null = null;
  function queue(): Promise<QueueState | null> {
    const now = Date.now();
    if (!cached || now - cached.at >= cacheMs) {
      const state: Promise<QueueState | null> = readQueue(db, now).catch((error) => {
        onError(error);
        // A failed read is not kept: the next scrape asks again.
        if (cached?.state === state) cached = null;
        return null;
      });
      cached = { at: now, state };
    }
    return cached.state;
  }
  new Gauge({
    name: 'hookwarden_queue_depth',
    help: 'Open deliveries (PENDING or RETRYING), due or scheduled',
    registers: [registry],
    async collect() {
      this.set((await queue())?.depth ?? NaN);
    },
  });
  new Gauge({
    name: 'hookwarden_queue_oldest_due_age_seconds',
    help: 'How long the oldest due delivery not being attempted has been waiting; 0 when none is waiting',
    registers: [registry],
    async collect() {
      const state = await queue();
      // Aged at each scrape, not when it was read: a cached read would freeze the wait it shows.
      if (!state) this.set(NaN);
      else this.set(state.oldestDueAt === null ? 0 : Math.max(0, (Date.now() - state.oldestDueAt) / 1000));
    },
  });

  // The series of each outcome, looked up once: an observation per attempt then hashes no labels.
  const attemptSeries = new Map(
    [true, false].map((success) => [success, { count: attempts.labels(String(success)), duration: attemptDuration.labels(String(success)) }]),
  );
  const observer: DeliveryObserver = {
    attempted(attempt) {
      const series = attemptSeries.get(attempt.success)!;
      series.count.inc();
      series.duration.observe(attempt.durationMs / 1000);
    },
    recorded(outcome) {
      for (const update of outcome.deliveries) if (FINAL_STATUSES.has(update.status)) deliveries.inc({ status: update.status });
      for (const webhook of outcome.webhooks) {
        const reason = webhook.breaker?.disabledReason;
        if (reason) breakerTrips.inc({ reason: reason === GONE_REASON ? 'gone' : 'consecutive_failures' });
      }
    },
  };

  return { registry, observer, render: () => registry.metrics(), contentType: registry.contentType };
}
