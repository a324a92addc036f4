// Typed topics for subscriptions. In memory by default; the event target can be swapped for a
// Redis one so that every instance sees every other instance's updates.
import { createPubSub } from 'graphql-yoga';

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

export type Topics = {
  'delivery-updated': [DeliveryUpdate];
  'webhook-updated': [WebhookUpdate];
};

export type PubSub = ReturnType<typeof createPubSub<Topics>>;

export function createInMemoryPubSub(): PubSub {
  return createPubSub<Topics>();
}
