// The dispatcher: claims due deliveries in batches, sends them concurrently (bounded globally and
// per webhook, so one slow receiver never holds up the others), and writes the attempts back in
// batches. It is woken when a transaction commits new deliveries, when an attempt's result is
// written, and when the earliest scheduled retry falls due; the poll interval only bounds how
// long work left by another process (an expired lease, another instance) can wait.
//
// New deliveries of this process skip the claim when it has room for them (app.handoff): the
// writer reserves room first, writes them leased to this process, and hands them over once
// committed. Room is promised only while no due work waits for slots, so new work never passes
// older work; a process that dies before sending them leaves leases that run out as any claim's.
import { setMaxListeners } from 'node:events';
import type { App, Handoff, Reservation } from '../app.ts';
import type { AttemptRecord, ClaimedDelivery, DeliveryQueue, WebhookRow } from '../db/queue.ts';
import { judge, isSuccess } from './retry-policy.ts';
import type { Sender } from './sender.ts';
import { signedHeaders } from './signing.ts';

/** A webhook as the dispatcher needs it, secrets decrypted once per version of the row. */
interface Target {
  version: number;
  url: string;
  timeoutMs: number;
  retryCount: number;
  enabled: boolean;
  deleted: boolean;
  secrets: string[];
  previousSecretExpiresAt: number | null;
  headers: Array<{ name: string; value: string; masked: string }>;
}

/** Attempts written per transaction: bounded so that a burst never makes one long transaction. */
const MAX_WRITE_BATCH = 256;
/** How long a write waits for more attempts to finish while others are in flight. */
const WRITE_GATHER_MS = 5;

const BASE_HEADER_NAMES = ['content-type', 'user-agent', 'webhook-id', 'x-hookwarden-event'];

/** How long room promised to a write is held for it: far longer than any write takes. */
const RESERVATION_MS = 5_000;

/** Room promised to deliveries being written, per webhook. */
interface Promised {
  perWebhook: Map<string, number>;
  total: number;
  lapsesAt: number;
}

export interface Dispatcher extends Handoff {
  start(): void;
  wake(): void;
  /** Stops claiming, lets attempts in flight finish for up to graceMs, gives the rest back. */
  stop(graceMs?: number): Promise<void>;
}

export function createDispatcher(app: App, queue: DeliveryQueue, sender: Sender): Dispatcher {
  const { concurrency, perWebhook, pollIntervalMs, leaseMarginMs } = app.config.dispatch;
  const refillAt = Math.max(1, Math.floor(concurrency / 4));
  const log = app.log.child({ component: 'dispatcher' });
  const targets = new Map<string, Target>();
  const inFlight = new Map<string, { delivery: ClaimedDelivery; done: Promise<void> }>();
  const perWebhookCount = new Map<string, number>();
  const results: AttemptRecord[] = [];
  /** Results in the write under way. */
  let writing = 0;
  /** Attempts cut short by shutdown: their leases are given back, no attempt is recorded. */
  const abandoned: string[] = [];
  const shutdown = new AbortController();
  // Every attempt in flight listens to it.
  setMaxListeners(concurrency + 16, shutdown.signal);
  let running = false;
  let loop: Promise<void> | null = null;
  let wakeUp: (() => void) | null = null;
  let woken = false;
  /** The last pass had more due work than free slots: finished attempts should wake the loop. */
  let slotBound = false;
  /** The same, for all slots (not a webhook at its cap): new deliveries must wait their turn. */
  let backlogged = false;
  let flushing: Promise<void> | null = null;
  const promised = new Set<Promised>();

  function wake(): void {
    woken = true;
    wakeUp?.();
  }

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wakeUp = null;
        resolve();
      }
      wakeUp = done;
    });
  }

  function toTarget(row: WebhookRow): Target {
    const secrets = [app.cipher.decrypt(row.secret)];
    if (row.previousSecret) secrets.push(app.cipher.decrypt(row.previousSecret));
    const headers: Array<{ name: string; value: string }> = row.headers ? JSON.parse(app.cipher.decrypt(row.headers)) : [];
    const masks: Array<{ name: string; valueMasked: string }> = row.headerMasks ? JSON.parse(row.headerMasks) : [];
    return {
      version: row.updatedAt,
      url: row.url,
      timeoutMs: row.timeoutMs,
      retryCount: row.retryCount,
      enabled: row.enabled,
      deleted: row.deleted,
      secrets,
      previousSecretExpiresAt: row.previousSecretExpiresAt,
      headers: headers.map((h, i) => ({ name: h.name.toLowerCase(), value: h.value, masked: masks[i]?.valueMasked ?? '…' })),
    };
  }

  /** Reads (and decrypts) only webhooks not seen yet or changed since: the claim says each one's version. */
  async function loadTargets(claimed: readonly ClaimedDelivery[]): Promise<void> {
    const stale = claimed.filter((d) => targets.get(d.webhookId)?.version !== d.webhookVersion).map((d) => d.webhookId);
    if (stale.length === 0) return;
    for (const row of await queue.webhooks([...new Set(stale)])) targets.set(row.id, toTarget(row));
  }

  function signerSecrets(target: Target, now: number): string[] {
    const overlapping = target.previousSecretExpiresAt !== null && target.previousSecretExpiresAt > now;
    return overlapping ? target.secrets : target.secrets.slice(0, 1);
  }

  async function attempt(delivery: ClaimedDelivery, target: Target): Promise<void> {
    const stored = JSON.parse(delivery.requestHeaders) as Record<string, string>;
    const base: Record<string, string> = {};
    for (const name of BASE_HEADER_NAMES) if (stored[name] !== undefined) base[name] = stored[name];
    const now = Date.now();
    const signed = signedHeaders(base, { secrets: signerSecrets(target, now) }, delivery.requestBody, now);
    const sent = { ...signed };
    const shown = { ...signed };
    for (const header of target.headers) {
      sent[header.name] = header.value;
      shown[header.name] = header.masked;
    }
    const result = await sender.send({ url: target.url, headers: sent, body: delivery.requestBody, timeoutMs: target.timeoutMs }, shutdown.signal);
    if (shutdown.signal.aborted && result.statusCode === null && !result.blocked) {
      abandoned.push(delivery.id);
      return;
    }
    const number = delivery.attemptCount + 1;
    results.push({
      delivery,
      startedAt: result.startedAt,
      durationMs: result.durationMs,
      statusCode: result.statusCode,
      success: isSuccess(result.statusCode),
      error: result.error,
      responseBody: result.responseBody,
      requestHeaders: shown,
      verdict: judge(result, number, target.retryCount, app.config.retry, Date.now()),
    });
    app.observer.attempted(results[results.length - 1]);
    scheduleFlush();
  }

  function launch(delivery: ClaimedDelivery, target: Target): void {
    perWebhookCount.set(delivery.webhookId, (perWebhookCount.get(delivery.webhookId) ?? 0) + 1);
    const done = attempt(delivery, target)
      .catch((error) => log.error({ err: error, deliveryId: delivery.id, webhookId: delivery.webhookId }, 'attempt failed unexpectedly'))
      .finally(() => {
        inFlight.delete(delivery.id);
        const left = (perWebhookCount.get(delivery.webhookId) ?? 1) - 1;
        if (left === 0) perWebhookCount.delete(delivery.webhookId);
        else perWebhookCount.set(delivery.webhookId, left);
        // Wake for a webhook back under its cap, or when work waits for slots and a quarter are
        // free (fewer would make many small claims; the written batch wakes the loop anyway).
        if (left === perWebhook - 1 || (slotBound && concurrency - inFlight.size >= refillAt)) wake();
      });
    inFlight.set(delivery.id, { delivery, done });
  }

  function scheduleFlush(): void {
    if (flushing) return;
    flushing = (async () => {
      // Every write costs the same few statements whatever its size: while attempts are still
      // finishing, a moment's wait lets one write carry many of them.
      if (inFlight.size > 0 && results.length < MAX_WRITE_BATCH / 4) await new Promise((resolve) => setTimeout(resolve, WRITE_GATHER_MS));
      let retrying = false;
      while (results.length > 0) {
        const batch = results.splice(0, MAX_WRITE_BATCH);
        writing = batch.length;
        try {
          // Published just before the commit: if the commit fails, the attempt is made again and
          // published again, so a subscriber may see an update twice but never misses a final one.
          const outcome = await queue.complete(batch, app.config.breakerThreshold, (settled) => {
            for (const update of settled.deliveries) app.pubsub.publish('delivery-updated', update);
            for (const changed of settled.webhooks) app.pubsub.publish('webhook-updated', changed);
          });
          app.observer.recorded(outcome);
          retrying ||= outcome.deliveries.some((update) => update.status === 'RETRYING');
        } catch (error) {
          // The leases expire and the deliveries are tried again: at least once, never lost.
          log.error({ err: error, deliveries: batch.map((r) => r.delivery.id) }, 'could not record attempts');
        } finally {
          writing = 0;
        }
      }
      flushing = null;
      // Freed slots matter only when work was left waiting for them; a retry may fall due before
      // the loop's next planned look. Otherwise a wake here would only find nothing to claim.
      if (slotBound || retrying) wake();
    })();
  }

  /** Room promised to writes not yet handed over; lapsed promises (a failed write) are dropped. */
  function promisedCounts(): { total: number; perWebhook: Map<string, number> } {
    const now = performance.now();
    const counts = { total: 0, perWebhook: new Map<string, number>() };
    for (const promise of promised) {
      if (promise.lapsesAt <= now) {
        promised.delete(promise);
        continue;
      }
      counts.total += promise.total;
      for (const [id, count] of promise.perWebhook) counts.perWebhook.set(id, (counts.perWebhook.get(id) ?? 0) + count);
    }
    return counts;
  }

  /**
   * Free slots: a finished attempt frees its slot before its result is written (its lease stays
   * ours until then, so no claim takes it again), as long as unwritten results stay within another
   * `concurrency`: a killed process has then sent at most twice that without recording it.
   */
  function freeSlots(promisedTotal: number): number {
    return concurrency - inFlight.size - promisedTotal - Math.max(0, results.length + writing - concurrency);
  }

  /** Webhooks with as many attempts in flight here (or promised) as they may have. */
  function saturatedWebhooks(promisedPerWebhook: ReadonlyMap<string, number> = promisedCounts().perWebhook): string[] {
    const ids = new Set([...perWebhookCount.keys(), ...promisedPerWebhook.keys()]);
    return [...ids].filter((id) => (perWebhookCount.get(id) ?? 0) + (promisedPerWebhook.get(id) ?? 0) >= perWebhook);
  }

  function reserve(webhookIds: readonly string[]): Reservation | null {
    if (!running || backlogged) return null;
    const counts = promisedCounts();
    let room = freeSlots(counts.total);
    if (room <= 0) return null;
    const promise: Promised = { perWebhook: new Map(), total: 0, lapsesAt: performance.now() + RESERVATION_MS };
    const taken = webhookIds.map((id) => {
      const count = (perWebhookCount.get(id) ?? 0) + (counts.perWebhook.get(id) ?? 0) + (promise.perWebhook.get(id) ?? 0);
      if (room <= 0 || count >= perWebhook) return false;
      room -= 1;
      promise.total += 1;
      promise.perWebhook.set(id, (promise.perWebhook.get(id) ?? 0) + 1);
      return true;
    });
    if (promise.total === 0) return null;
    promised.add(promise);
    return {
      taken,
      start(deliveries) {
        promised.delete(promise);
        takeOver(deliveries).catch((error) => log.error({ err: error }, 'starting new deliveries failed'));
      },
    };
  }

  /** Deliveries written leased to this process: sent like claimed ones (their leases run out if not). */
  async function takeOver(deliveries: readonly ClaimedDelivery[]): Promise<void> {
    if (!running) {
      // Stopping: give them to the next claim at once rather than when their leases run out.
      await queue.release(deliveries.map((d) => d.id));
      return;
    }
    await launchClaimed(deliveries);
  }

  async function claimAndLaunch(free: number, saturated: string[]): Promise<number> {
    const claimed = await queue.claim({ now: Date.now(), limit: free, perWebhook, saturated, leaseMarginMs });
    if (claimed.length === 0) return 0;
    await launchClaimed(claimed);
    return claimed.length;
  }

  async function launchClaimed(claimed: readonly ClaimedDelivery[]): Promise<void> {
    await loadTargets(claimed);
    const unsendable: ClaimedDelivery[] = [];
    for (const delivery of claimed) {
      // Its lease ran out while its attempt is still in flight here: the new lease is ours, the attempt goes on.
      if (inFlight.has(delivery.id)) continue;
      const target = targets.get(delivery.webhookId);
      // A disabled webhook still gets its test events: that is how one checks it before re-enabling.
      if (!target || target.deleted || (!target.enabled && !delivery.test)) unsendable.push(delivery);
      else launch(delivery, target);
    }
    if (unsendable.length) for (const update of await queue.cancel(unsendable)) app.pubsub.publish('delivery-updated', update);
  }

  async function run(): Promise<void> {
    while (running) {
      woken = false;
      const counts = promisedCounts();
      const free = freeSlots(counts.total);
      let claimed = 0;
      try {
        if (free > 0) claimed = await claimAndLaunch(free, saturatedWebhooks(counts.perWebhook));
      } catch (error) {
        log.error({ err: error }, 'claiming deliveries failed');
      }
      if (!running) break;
      // Work may be waiting for slots: all of ours, or those of a webhook at its per-webhook cap.
      const capped = saturatedWebhooks().length > 0;
      backlogged = free <= 0 || claimed === free;
      slotBound = backlogged || capped;
      if (woken || (free > 0 && claimed === free)) continue;
      let delay = pollIntervalMs;
      if (free > claimed) {
        try {
          const due = await queue.nextDueAt();
          const wait = due === null ? Infinity : due - Date.now();
          // Due work we did not claim belongs to capped webhooks: their finished attempts wake
          // the loop, so there is nothing to do until then (looking again now would only spin).
          if (wait > 0) delay = Math.min(delay, wait);
          else if (!capped) delay = 0;
        } catch (error) {
          log.error({ err: error }, 'reading the next due time failed');
        }
      }
      if (!woken && running) await sleep(delay);
    }
  }

  return {
    start() {
      if (running) return;
      running = true;
      loop = run();
    },
    wake,
    reserve,
    async stop(graceMs = 10_000) {
      running = false;
      wakeUp?.();
      await loop;
      const pending = [...inFlight.values()];
      const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), graceMs).unref());
      if ((await Promise.race([Promise.all(pending.map((p) => p.done)), timer])) === 'timeout') {
        shutdown.abort();
        await Promise.all(pending.map((p) => p.done));
      }
      while (flushing) await flushing;
      await queue.release(abandoned).catch((error) => log.error({ err: error }, 'releasing leases failed'));
      await sender.close();
    },
  };
}
