// The dispatcher: claims due deliveries in batches, sends them concurrently (bounded globally and
// per webhook, so one slow receiver never holds up the others), and writes the attempts back in
// batches. It is woken when a transaction commits new deliveries, when an attempt's result is
// written, and when the earliest scheduled retry falls due; the poll interval only bounds how
// long work left by another process (an expired lease, another instance) can wait.
//
// New deliveries of this process skip the claim when it has room for them (app.handoff): the
// writer reserves room first, writes them leased to this process, and hands them over once
// committed. The room is the free slots plus a queue of leased deliveries waiting for a slot
// (`ready`, per webhook, oldest first; bounded in number and in body bytes), so that one event to
// many webhooks needs no claim at all. Room is promised only while no due work waits in the
// database, so new work never passes older work; a process that dies before sending them leaves
// leases that run out as any claim's. Claims fill the same queue ahead of the slots (CLAIM_AHEAD),
// and are made once a good part of that room is free, so that each carries many deliveries.
import type { App, Handoff, Reservation } from '../app.ts';
import type { AttemptRecord, ClaimedDelivery, DeliveryQueue, WebhookRow } from '../db/queue.ts';
import { judge, isSuccess } from './retry-policy.ts';
import type { WebhookUpdate } from '../pubsub.ts';
import type { Sender } from './sender.ts';
import { signingKey, type SigningKey } from './signing.ts';

/** A webhook as the dispatcher needs it, secrets decrypted and decoded once per version of the row. */
interface Target {
  version: number;
  url: string;
  timeoutMs: number;
  retryCount: number;
  enabled: boolean;
  deleted: boolean;
  keys: SigningKey[];
  previousSecretExpiresAt: number | null;
  headers: Array<{ name: string; value: string; masked: string }>;
}

/** Attempts written per transaction: bounded so that a burst never makes one long transaction. */
const MAX_WRITE_BATCH = 256;
/** How long a write waits for more attempts to finish while others are in flight. */
const WRITE_GATHER_MS = 5;

const BASE_HEADER_NAMES = ['content-type', 'user-agent', 'webhook-id', 'x-hookwarden-event'];

/**
 * Claims lease ahead of the free slots: up to this many times `concurrency` held here (in flight
 * and waiting), and this many times the per-webhook cap per webhook, so that each claim carries
 * many deliveries (a claim costs about the same whatever its size). What waits is sent in order.
 */
const CLAIM_AHEAD = 2;

/** Promised counts for a webhook when they do not matter to the answer. */
const NONE_PROMISED: ReadonlyMap<string, number> = new Map();

/** How long room promised to a write is held for it: far longer than any write takes. */
const RESERVATION_MS = 5_000;
/** Leased deliveries waiting here for a slot, at most: this many times `concurrency`… */
const READY_FACTOR = 16;
/** …and this many times the per-webhook cap for one webhook (in flight, waiting and promised)… */
const READY_PER_WEBHOOK_FACTOR = 4;
/** …and bodies of this many bytes (waiting and promised), whatever their number. */
const READY_MAX_BYTES = 16 * 1024 * 1024;

/** A leased delivery waiting for a slot; leasedAt is when its lease began (epoch ms). */
interface Ready {
  delivery: ClaimedDelivery;
  target: Target;
  leasedAt: number;
}

/** Room promised to deliveries being written, per webhook. */
interface Promised {
  perWebhook: Map<string, number>;
  total: number;
  bytes: number;
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
  /** Room (in claim-ahead terms) worth a claim: smaller claims cost as much and carry less. */
  const refillAt = Math.max(1, Math.floor((concurrency * CLAIM_AHEAD) / 4));
  const claimCap = perWebhook * CLAIM_AHEAD;
  const log = app.log.child({ component: 'dispatcher' });
  const targets = new Map<string, Target>();
  const inFlight = new Map<string, { delivery: ClaimedDelivery; done: Promise<void> }>();
  const perWebhookCount = new Map<string, number>();
  /** Leased here, waiting for a slot: per webhook, oldest first. */
  const ready = new Map<string, Ready[]>();
  let readyCount = 0;
  let readyBytes = 0;
  const results: AttemptRecord[] = [];
  /** Results in the write under way. */
  let writing = 0;
  /** Attempts cut short by shutdown: their leases are given back, no attempt is recorded. */
  const abandoned: string[] = [];
  /** Stopping cut attempts short: what they return is not an attempt to record. */
  let aborted = false;
  let running = false;
  let loop: Promise<void> | null = null;
  let wakeUp: (() => void) | null = null;
  let woken = false;
  /** The last pass had more due work than free slots: finished attempts should wake the loop. */
  let slotBound = false;
  /** Due work waits in the database (a claim came back full, or new work was written PENDING): new deliveries wait their turn. */
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
    const keys = [signingKey(app.cipher.decrypt(row.secret))];
    if (row.previousSecret) keys.push(signingKey(app.cipher.decrypt(row.previousSecret)));
    const headers: Array<{ name: string; value: string }> = row.headers ? JSON.parse(app.cipher.decrypt(row.headers)) : [];
    const masks: Array<{ name: string; valueMasked: string }> = row.headerMasks ? JSON.parse(row.headerMasks) : [];
    return {
      version: row.updatedAt,
      url: row.url,
      timeoutMs: row.timeoutMs,
      retryCount: row.retryCount,
      enabled: row.enabled,
      deleted: row.deleted,
      keys,
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

  function signerKeys(target: Target, now: number): SigningKey[] {
    const overlapping = target.previousSecretExpiresAt !== null && target.previousSecretExpiresAt > now;
    return overlapping ? target.keys : target.keys.slice(0, 1);
  }

  async function attempt(delivery: ClaimedDelivery, target: Target): Promise<void> {
    const stored = JSON.parse(delivery.requestHeaders) as Record<string, string>;
    const base: Record<string, string> = {};
    for (const name of BASE_HEADER_NAMES) if (stored[name] !== undefined) base[name] = stored[name];
    const sent = { ...base };
    for (const header of target.headers) sent[header.name] = header.value;
    const signer = { keys: signerKeys(target, Date.now()) };
    const result = await sender.send({ url: target.url, headers: sent, body: delivery.requestBody, timeoutMs: target.timeoutMs, signer });
    // What the attempt shows: the signatures it carried, custom headers masked.
    const shown = { ...base, ...result.signatures };
    for (const header of target.headers) shown[header.name] = header.masked;
    if (aborted && result.statusCode === null && !result.blocked) {
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
        launchReady();
        // When work waits in the database: wake for a webhook that dropped a cap's worth below
        // what claims may hold of it, or once a quarter of the claim room is free (fewer would
        // make many small claims; the written batch wakes the loop anyway).
        if (slotBound && (heldFor(delivery.webhookId, NONE_PROMISED) === claimCap - perWebhook || claimRoom(0) >= refillAt)) wake();
      });
    inFlight.set(delivery.id, { delivery, done });
  }

  /**
   * Fills free slots from the deliveries waiting here, oldest first per webhook, within each
   * webhook's cap. One that waited so long that its lease could run out during its attempt is
   * given back instead, for the next claim.
   */
  function launchReady(): void {
    if (!running) return;
    const now = Date.now();
    const stale: string[] = [];
    for (const [webhookId, waiting] of ready) {
      if (slotsTaken() >= concurrency) break;
      while (waiting.length > 0 && slotsTaken() < concurrency && (perWebhookCount.get(webhookId) ?? 0) < perWebhook) {
        const next = waiting.shift()!;
        readyCount -= 1;
        readyBytes -= next.delivery.requestBody.length;
        if (now - next.leasedAt > leaseMarginMs / 2) stale.push(next.delivery.id);
        else launch(next.delivery, next.target);
      }
      if (waiting.length === 0) ready.delete(webhookId);
    }
    if (stale.length) {
      queue.release(stale).then(wake, (error) => log.error({ err: error }, 'releasing leases failed'));
    }
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
          // The breaker or a 410 disabled these (and cancelled their open deliveries): none of theirs waiting here goes out.
          for (const webhook of outcome.webhooks) if (webhook.breaker?.disabledReason) changed(webhook.webhookId);
          retrying ||= outcome.deliveries.some((update) => update.status === 'RETRYING');
        } catch (error) {
          // The leases expire and the deliveries are tried again: at least once, never lost.
          log.error({ err: error, deliveries: batch.map((r) => r.delivery.id) }, 'could not record attempts');
        } finally {
          writing = 0;
        }
        // Written results free the slots they held beyond `concurrency`.
        launchReady();
      }
      flushing = null;
      // Freed room matters only when work was left waiting for it, and only once a claim is worth
      // it; a retry may fall due before the loop's next planned look. Otherwise a wake here would
      // only find nothing to claim.
      if ((slotBound && claimRoom(0) >= refillAt) || retrying) wake();
    })();
  }

  /** Room promised to writes not yet handed over; lapsed promises (a failed write) are dropped. */
  function promisedCounts(): { total: number; bytes: number; perWebhook: Map<string, number> } {
    const now = performance.now();
    const counts = { total: 0, bytes: 0, perWebhook: new Map<string, number>() };
    for (const promise of promised) {
      if (promise.lapsesAt <= now) {
        promised.delete(promise);
        continue;
      }
      counts.total += promise.total;
      counts.bytes += promise.bytes;
      for (const [id, count] of promise.perWebhook) counts.perWebhook.set(id, (counts.perWebhook.get(id) ?? 0) + count);
    }
    return counts;
  }

  /** Slots free for new work: none taken, none owed to deliveries waiting here or promised. */
  function freeSlots(promisedTotal: number): number {
    return concurrency - slotsTaken() - readyCount - promisedTotal;
  }

  /** How many deliveries a claim may take: the free slots and the claim-ahead room. */
  function claimRoom(promisedTotal: number): number {
    return freeSlots(promisedTotal) + concurrency * (CLAIM_AHEAD - 1);
  }

  /**
   * A finished attempt frees its slot before its result is written (its lease stays ours until
   * then, so no claim takes it again), as long as unwritten results stay within another
   * `concurrency`: a killed process has then sent at most twice that without recording it.
   */
  function slotsTaken(): number {
    return inFlight.size + Math.max(0, results.length + writing - concurrency);
  }

  /** A webhook's attempts in flight here, waiting here and promised. */
  function heldFor(id: string, promisedPerWebhook: ReadonlyMap<string, number>): number {
    return (perWebhookCount.get(id) ?? 0) + (ready.get(id)?.length ?? 0) + (promisedPerWebhook.get(id) ?? 0);
  }

  /** Webhooks with as many attempts in flight here (or waiting, or promised) as claims may give them. */
  function saturatedWebhooks(promisedPerWebhook: ReadonlyMap<string, number> = promisedCounts().perWebhook): string[] {
    const ids = new Set([...perWebhookCount.keys(), ...ready.keys(), ...promisedPerWebhook.keys()]);
    return [...ids].filter((id) => heldFor(id, promisedPerWebhook) >= claimCap);
  }

  function reserve(wanted: ReadonlyArray<{ webhookId: string; bytes: number }>): Reservation | null {
    if (!running || backlogged) return null;
    const counts = promisedCounts();
    let room = freeSlots(counts.total) + concurrency * READY_FACTOR;
    let bytesLeft = READY_MAX_BYTES - readyBytes - counts.bytes;
    const promise: Promised = { perWebhook: new Map(), total: 0, bytes: 0, lapsesAt: performance.now() + RESERVATION_MS };
    const taken = wanted.map(({ webhookId: id, bytes }) => {
      const count = heldFor(id, counts.perWebhook) + (promise.perWebhook.get(id) ?? 0);
      if (room <= 0 || bytes > bytesLeft || count >= perWebhook * READY_PER_WEBHOOK_FACTOR) return false;
      room -= 1;
      bytesLeft -= bytes;
      promise.total += 1;
      promise.bytes += bytes;
      promise.perWebhook.set(id, (promise.perWebhook.get(id) ?? 0) + 1);
      return true;
    });
    // What was not taken is written PENDING: until a claim has caught up with it, newer work waits too.
    if (promise.total < wanted.length) backlogged = true;
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

  /**
   * Webhook changes made by other instances (heard through Redis, as subscriptions hear them) reach
   * what waits here too. Ours are also heard, after changed() was called directly: it runs twice.
   * Breaker counts move with every failed attempt; only a breaker that disabled one matters here.
   */
  let webhookChanges: AsyncIterator<WebhookUpdate> | null = null;
  async function followWebhookChanges(): Promise<void> {
    const updates = app.pubsub.subscribe('webhook-updated')[Symbol.asyncIterator]();
    webhookChanges = updates;
    for (let next = await updates.next(); !next.done; next = await updates.next()) {
      const { webhookId, breaker } = next.value;
      if (!breaker || breaker.disabledReason) changed(webhookId);
    }
  }

  /** Waiting deliveries of a webhook that changed go through its new state: sent as it now says, or cancelled. */
  function changed(webhookId: string): void {
    targets.delete(webhookId);
    const waiting = ready.get(webhookId);
    if (!waiting) return;
    ready.delete(webhookId);
    readyCount -= waiting.length;
    for (const entry of waiting) readyBytes -= entry.delivery.requestBody.length;
    launchLeased(waiting).catch((error) => log.error({ err: error, webhookId }, 'checking waiting deliveries again failed'));
  }

  /** Deliveries written leased to this process: sent like claimed ones (their leases run out if not). */
  async function takeOver(deliveries: readonly ClaimedDelivery[]): Promise<void> {
    if (!running) {
      // Stopping: give them to the next claim at once rather than when their leases run out.
      await queue.release(deliveries.map((d) => d.id));
      return;
    }
    await launchLeased(deliveries.map((delivery) => ({ delivery, leasedAt: new Date(delivery.createdAt).getTime() })));
  }

  async function claimAndLaunch(now: number, room: number, saturated: string[]): Promise<number> {
    const claimed = await queue.claim({ now, limit: room, perWebhook: claimCap, saturated, leaseMarginMs });
    if (claimed.length === 0) return 0;
    await launchLeased(claimed.map((delivery) => ({ delivery, leasedAt: now })));
    return claimed.length;
  }

  /** Queues leased deliveries for slots (claimed ones fit the free slots at once) and fills the slots. */
  async function launchLeased(leased: ReadonlyArray<Pick<Ready, 'delivery' | 'leasedAt'>>): Promise<void> {
    await loadTargets(leased.map((entry) => entry.delivery));
    const unsendable: ClaimedDelivery[] = [];
    for (const { delivery, leasedAt } of leased) {
      // Its lease ran out while its attempt is still in flight here: the new lease is ours, the attempt goes on.
      if (inFlight.has(delivery.id)) continue;
      const target = targets.get(delivery.webhookId);
      // A disabled webhook still gets its test events: that is how one checks it before re-enabling.
      if (!target || target.deleted || (!target.enabled && !delivery.test)) {
        unsendable.push(delivery);
        continue;
      }
      const waiting = ready.get(delivery.webhookId);
      const entry = { delivery, target, leasedAt };
      if (waiting) waiting.push(entry);
      else ready.set(delivery.webhookId, [entry]);
      readyCount += 1;
      readyBytes += delivery.requestBody.length;
    }
    launchReady();
    if (unsendable.length) for (const update of await queue.cancel(unsendable)) app.pubsub.publish('delivery-updated', update);
  }

  async function run(): Promise<void> {
    while (running) {
      woken = false;
      const counts = promisedCounts();
      const room = claimRoom(counts.total);
      // A claim costs about the same whatever it carries: one is made when a good part of the
      // room is free, or when slots would otherwise stand idle. Until then attempts finishing wake
      // the loop (slotBound).
      const claiming = room >= refillAt || (readyCount === 0 && freeSlots(counts.total) > 0);
      const now = Date.now();
      let claimed = 0;
      try {
        if (claiming) claimed = await claimAndLaunch(now, room, saturatedWebhooks(counts.perWebhook));
      } catch (error) {
        log.error({ err: error }, 'claiming deliveries failed');
      }
      if (!running) break;
      // Work may be waiting for room: all of ours, or that of a webhook at its claim cap.
      const capped = saturatedWebhooks().length > 0;
      // Only a claim tells whether due work waits in the database. Without one (work handed over
      // here may hold all the room), what was known stays.
      if (claiming) backlogged = claimed === room;
      slotBound = !claiming || claimed === room || capped;
      if (woken || (claiming && claimed === room)) continue;
      let delay = pollIntervalMs;
      if (claiming && room > claimed) {
        try {
          // What was due at the claim and not taken is in flight, or of capped webhooks, whose
          // finished attempts wake the loop: only what falls due after it needs a timer.
          const due = await queue.nextDueAt(now);
          const wait = due === null ? Infinity : due - Date.now();
          delay = Math.min(delay, Math.max(0, wait));
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
      followWebhookChanges().catch((error) => log.error({ err: error }, 'hearing webhook changes failed'));
    },
    wake,
    reserve,
    changed,
    async stop(graceMs = 10_000) {
      running = false;
      wakeUp?.();
      await webhookChanges?.return?.();
      await loop;
      const pending = [...inFlight.values()];
      const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), graceMs).unref());
      if ((await Promise.race([Promise.all(pending.map((p) => p.done)), timer])) === 'timeout') {
        aborted = true;
        sender.abortAll();
        await Promise.all(pending.map((p) => p.done));
      }
      while (flushing) await flushing;
      // Leased here but never started: the next claim may take them at once.
      for (const waiting of ready.values()) abandoned.push(...waiting.map((entry) => entry.delivery.id));
      ready.clear();
      readyCount = 0;
      readyBytes = 0;
      await queue.release(abandoned).catch((error) => log.error({ err: error }, 'releasing leases failed'));
      await sender.close();
    },
  };
}
