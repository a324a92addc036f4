// Typed topics for subscriptions. In memory by default; with REDIS_URL every instance publishes to
// and hears from Redis, so a client subscribed on one instance sees deliveries sent by another.
import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { createPubSub } from 'graphql-yoga';
import { Redis } from 'ioredis';

/** A delivery's state at the moment it changed: subscribers see every step, not only the latest. */
export interface DeliveryUpdate {
  organizationId: string;
  webhookId: string;
  deliveryId: string;
  status: string;
  attemptCount: number;
  nextAttemptAt: string | null;
  lastStatusCode: number | null;
  updatedAt: string;
}

export interface WebhookUpdate {
  organizationId: string;
  webhookId: string;
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

function typed(inner: Untyped, prefix: string, close: () => Promise<void>): PubSub {
  return {
    publish: (topic, payload) => inner.publish(`${prefix}${topic}`, payload),
    subscribe: <K extends keyof Topics>(topic: K) => inner.subscribe(`${prefix}${topic}`) as AsyncIterable<Topics[K]>,
    close,
  };
}

export function createInMemoryPubSub(): PubSub {
  return typed(createPubSub(), '', async () => {});
}

/** Channels are `<prefix><topic>`, so several deployments (or test runs) can share one Redis. */
export function createRedisPubSub(url: string, prefix: string): PubSub {
  const publishClient = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 3 });
  const subscribeClient = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 3 });
  const eventTarget = createRedisEventTarget({ publishClient, subscribeClient });
  return typed(createPubSub({ eventTarget }), prefix, async () => {
    publishClient.disconnect();
    subscribeClient.disconnect();
  });
}
