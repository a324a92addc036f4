// Live state from subscriptions, folded as events arrive: every event counts, none is lost to
// React batching renders together.
import { useEffect, useRef } from 'react';
import { useSubscription } from 'urql';
import { graphql } from '../gql';
import type { DeliveryRowFragment, WebhookFieldsFragment } from '../gql/graphql';
import { WebhookChangesSubscription } from './documents.ts';

const LiveDeliveriesSubscription = graphql(`
  subscription LiveDeliveries($webhookId: ID) {
    deliveryUpdated(webhookId: $webhookId) { ...DeliveryRow }
  }
`);

export interface LiveRows<T> {
  /** The latest state of each row seen, by id. */
  rows: ReadonlyMap<string, T>;
  /** How many events arrived. */
  changes: number;
}

const NONE: LiveRows<never> = { rows: new Map<string, never>(), changes: 0 };

function fold<T extends { id: string }>(prev: LiveRows<T> | undefined, row: T): LiveRows<T> {
  const rows = new Map(prev?.rows);
  rows.set(row.id, row);
  return { rows, changes: (prev?.changes ?? 0) + 1 };
}

/** Deliveries of one webhook (or the whole organization) as they change. Admins only: paused otherwise. */
export function useLiveDeliveries(webhookId: string | null, pause: boolean): LiveRows<DeliveryRowFragment> {
  const [{ data }] = useSubscription({ query: LiveDeliveriesSubscription, variables: { webhookId }, pause }, (prev: LiveRows<DeliveryRowFragment> | undefined, event) =>
    fold(prev, event.deliveryUpdated),
  );
  return data ?? NONE;
}

/** Webhooks of the organization as they change (the breaker, another admin). Admins only: paused otherwise. */
export function useLiveWebhooks(pause: boolean): LiveRows<WebhookFieldsFragment> {
  const [{ data }] = useSubscription({ query: WebhookChangesSubscription, pause }, (prev: LiveRows<WebhookFieldsFragment> | undefined, event) =>
    fold(prev, event.webhookUpdated),
  );
  return data ?? NONE;
}

/** The fresher of a fetched row and its live version (by updatedAt; the live one on a tie). */
export function fresher<T extends { updatedAt: string }>(fetched: T, live: T | undefined): T {
  if (!live) return fetched;
  return Date.parse(live.updatedAt) >= Date.parse(fetched.updatedAt) ? live : fetched;
}

/**
 * Calls `refresh` at most every `ms` while `changes` keeps growing: for figures computed on the
 * server (counts, health) that live events tell us are out of date.
 */
export function useRefreshAfterChanges(changes: number, refresh: () => void, ms = 2_000): void {
  const latest = useRef(refresh);
  latest.current = refresh;
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(() => {
    if (changes === 0 || timer.current) return;
    timer.current = setTimeout(() => {
      timer.current = null;
      latest.current();
    }, ms);
  }, [changes, ms]);
  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current);
    },
    [],
  );
}
