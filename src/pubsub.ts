// Typed topics for subscriptions. In memory by default; with REDIS_URL every instance publishes to
// and hears from Redis, so a client subscribed on one instance sees deliveries sent by another.
import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { createPubSub } from 'graphql-yoga';
import { Redis } from 'ioredis';

/** What identifies a delivery and never changes. */
export interface DeliveryIdentity {
  id: string;
  organizationId: string;
  webhookId: string;
  eventId: string;
  eventType: string;
  test: boolean;
  createdAt: Date | string | number;
}

/** What changes as a delivery goes through its attempts. */
export interface DeliveryState {
  status: string;
  attemptCount: number;
  nextAttemptAt: Date | string | number | null;
  lastStatusCode: number | null;
  updatedAt: Date | string | number;
}

/**
 * A delivery's scalar fields at the moment it changed: subscribers see every step, not only the
 * latest, and most subscriptions are answered from it without reading the database.
 */
export interface DeliveryUpdate {
  organizationId: string;
  webhookId: string;
  deliveryId: string;
  eventId: string;
  eventType: string;
  test: boolean;
  status: string;
  attemptCount: number;
  nextAttemptAt: string | null;
  lastStatusCode: number | null;
  createdAt: string;
  updatedAt: string;
}

const iso = (value: Date | string | number) => new Date(value).toISOString();

export function deliveryUpdate(delivery: DeliveryIdentity, state: DeliveryState): DeliveryUpdate {
  return {
    organizationId: delivery.organizationId,
    webhookId: delivery.webhookId,
    deliveryId: delivery.id,
    eventId: delivery.eventId,
    eventType: delivery.eventType,
    test: delivery.test,
    status: state.status,
    attemptCount: state.attemptCount,
    nextAttemptAt: state.nextAttemptAt === null ? null : iso(state.nextAttemptAt),
    lastStatusCode: state.lastStatusCode,
    createdAt: iso(delivery.createdAt),
    updatedAt: iso(state.updatedAt),
  };
}

export interface WebhookUpdate {
  organizationId: string;
  webhookId: string;
  /**
   * The dispatcher's changes, carried along because it publishes just before its commit: a
   * subscriber reading the row then would still see the old values.
   */
  breaker?: { consecutiveFailures: number; enabled: boolean; disabledReason?: string };
}

export interface Topics {
  'delivery-updated': DeliveryUpdate;
  'webhook-updated': WebhookUpdate;
}

export interface PubSub {
  publish<K extends keyof Topics>(topic: K, payload: Topics[K]): void;
  subscribe<K extends keyof Topics>(topic: K): AsyncIterable<Topics[K]>;
  close(): Promise<void>;
}

type Untyped = ReturnType<typeof createPubSub<Record<string, [unknown]>>>;

/** How far one subscriber may fall behind before its subscription is ended with an error. */
export const MAX_PENDING_UPDATES = 10_000;

/**
 * Drains `source` as fast as it produces into a bounded queue for a consumer that may be slower
 * (a client reading a busy stream). Past `limit` the consumer gets an error instead of the
 * process running out of memory or the publisher failing.
 */
export function bounded<T>(source: AsyncIterable<T>, limit = MAX_PENDING_UPDATES): AsyncIterableIterator<T> {
  const upstream = source[Symbol.asyncIterator]();
  const queue: T[] = [];
  let failure: unknown = null;
  let ended = false;
  let notify: (() => void) | null = null;
  const signal = () => {
    notify?.();
    notify = null;
  };
  void (async () => {
    try {
      while (!ended) {
        const next = await upstream.next();
        if (next.done) break;
        if (queue.length >= limit) {
          failure = new Error(`subscription ended: more than ${limit} updates were waiting to be read`);
          break;
        }
        queue.push(next.value);
        signal();
      }
    } catch (error) {
      failure = error;
    } finally {
      ended = true;
      signal();
      await upstream.return?.();
    }
  })();
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next() {
      for (;;) {
        if (queue.length) return { value: queue.shift() as T, done: false };
        if (failure) throw failure;
        if (ended) return { value: undefined, done: true };
        await new Promise<void>((resolve) => (notify = resolve));
      }
    },
    async return() {
      ended = true;
      queue.length = 0;
      signal();
      await upstream.return?.();
      return { value: undefined, done: true };
    },
  };
}

function typed(inner: Untyped, prefix: string, close: () => Promise<void>): PubSub {
  return {
    publish: (topic, payload) => inner.publish(`${prefix}${topic}`, payload),
    subscribe: <K extends keyof Topics>(topic: K) => bounded(inner.subscribe(`${prefix}${topic}`) as AsyncIterable<Topics[K]>),
    close,
  };
}

export function createInMemoryPubSub(): PubSub {
  return typed(createPubSub(), '', async () => {});
}

/** What a Redis channel carries: the updates of one topic published in the same turn of the event loop. */
const BATCH_SUFFIX = ':batch';
/**
 * Updates per message at most (about 300 bytes each): cancelling a disabled webhook's backlog
 * publishes an update per delivery at once, and one message of them all could pass Redis's output
 * buffer limit for a subscriber (32 MB by default), which disconnects it.
 */
const MAX_BATCH = 1_000;

/**
 * The items of each batch, one by one. Not an async generator: one waiting for the next batch
 * would not end when its subscriber leaves until another batch arrived, and its Redis listener
 * would stay until then.
 */
function itemsOf<T>(batches: AsyncIterable<T[]>): AsyncIterableIterator<T> {
  const upstream = batches[Symbol.asyncIterator]();
  let batch: T[] = [];
  let next = 0;
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next() {
      while (next >= batch.length) {
        const received = await upstream.next();
        if (received.done) return { value: undefined, done: true };
        batch = received.value;
        next = 0;
      }
      return { value: batch[next++], done: false };
    },
    async return() {
      batch = [];
      await upstream.return?.();
      return { value: undefined, done: true };
    },
  };
}

/**
 * Every update of a topic published in one turn of the event loop (a settled batch of attempts,
 * the deliveries of one event) goes out as one Redis message, an array, instead of one message
 * each: every instance parses every message. With Redis, sustained dispatch (bench, SQLite, one
 * instance) was 8% below the same run without it when each update was a message, 4% batched.
 * Subscribers get the updates one by one, in order.
 */
function batched(inner: Untyped, prefix: string, close: () => Promise<void>): PubSub {
  const pending = new Map<string, unknown[]>();
  const flush = () => {
    for (const [channel, items] of pending) inner.publish(channel, items);
    pending.clear();
  };
  return {
    publish: (topic, payload) => {
      const channel = `${prefix}${topic}${BATCH_SUFFIX}`;
      const items = pending.get(channel);
      if (!items) {
        if (pending.size === 0) queueMicrotask(flush);
        pending.set(channel, [payload]);
      } else if (items.push(payload) >= MAX_BATCH) {
        inner.publish(channel, items);
        pending.delete(channel);
      }
    },
    subscribe: <K extends keyof Topics>(topic: K) =>
      bounded(itemsOf(inner.subscribe(`${prefix}${topic}${BATCH_SUFFIX}`) as AsyncIterable<Array<Topics[K]>>)),
    close: async () => {
      flush();
      await close();
    },
  };
}

/**
 * Channels are `<prefix><topic>:batch`, so several deployments (or test runs) can share one Redis.
 * (Before updates were batched they were `<prefix><topic>`: instances of both kinds running at once
 * do not hear each other's updates.)
 */
export function createRedisPubSub(url: string, prefix: string): PubSub {
  const publishClient = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 3 });
  // No ready check (INFO) on the subscriber: the dispatcher subscribes at start, often before the
  // connection is up, and a connection in subscriber mode refuses INFO (ioredis then reports an
  // unhandled error and the subscription is lost).
  const subscribeClient = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 3, enableReadyCheck: false });
  const eventTarget = createRedisEventTarget({ publishClient, subscribeClient });
  return batched(createPubSub({ eventTarget }), prefix, async () => {
    publishClient.disconnect();
    subscribeClient.disconnect();
  });
}
