// What an attempt's verdict does to its delivery and its webhook, given the circuit breaker
// (delivery.md, "Circuit breaker" and 410 Gone). Pure, so the rules have table tests.
import type { Verdict } from './retry-policy.ts';

export type FinalStatus = 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
export type DeliveryStatus = 'PENDING' | 'RETRYING' | FinalStatus;

export interface Settlement {
  status: 'RETRYING' | FinalStatus;
  /** Set when this attempt disables the webhook; its other open deliveries are then CANCELLED. */
  disableReason: string | null;
}

export const GONE_REASON = 'receiver answered 410 Gone';

export function breakerReason(failures: number): string {
  return `circuit breaker: ${failures} consecutive failed attempts`;
}

/**
 * `consecutiveFailures` is the webhook's count including this attempt; `enabled` is whether the
 * webhook was enabled before it.
 */
export function settle(verdict: Verdict, consecutiveFailures: number, enabled: boolean, threshold: number): Settlement {
  switch (verdict.kind) {
    case 'succeeded':
      return { status: 'SUCCEEDED', disableReason: null };
    case 'gone':
      return { status: 'FAILED', disableReason: enabled ? GONE_REASON : null };
    case 'failed':
      return { status: 'FAILED', disableReason: enabled && consecutiveFailures >= threshold ? breakerReason(consecutiveFailures) : null };
    case 'retry':
      if (enabled && consecutiveFailures >= threshold) return { status: 'CANCELLED', disableReason: breakerReason(consecutiveFailures) };
      return { status: 'RETRYING', disableReason: null };
  }
}

export interface WebhookCounter {
  consecutiveFailures: number;
  enabled: boolean;
}

export interface BatchOutcome {
  /** One per record, in the records' order. */
  settlements: Settlement[];
  /** Each webhook's counter after the batch, whether it changed, and why it was disabled (if it was). */
  webhooks: Map<string, WebhookCounter & { changed: boolean; disableReason: string | null }>;
}

/**
 * Settles a batch of attempts in order, carrying each webhook's failure count from one attempt to
 * the next as if they had been written one by one. Once the batch disables a webhook, its later
 * attempts that would have been retried are CANCELLED like its other open deliveries.
 */
export function settleBatch(
  records: ReadonlyArray<{ webhookId: string; verdict: Verdict }>,
  counters: ReadonlyMap<string, WebhookCounter>,
  threshold: number,
): BatchOutcome {
  const webhooks: BatchOutcome['webhooks'] = new Map();
  const settlements = records.map(({ webhookId, verdict }) => {
    const state = webhooks.get(webhookId) ?? { ...(counters.get(webhookId) ?? { consecutiveFailures: 0, enabled: false }), changed: false, disableReason: null };
    webhooks.set(webhookId, state);
    const before = state.consecutiveFailures;
    state.consecutiveFailures = verdict.kind === 'succeeded' ? 0 : before + 1;
    state.changed ||= state.consecutiveFailures !== before;
    if (state.disableReason && verdict.kind === 'retry') return { status: 'CANCELLED' as const, disableReason: null };
    const settlement = settle(verdict, state.consecutiveFailures, state.enabled, threshold);
    if (settlement.disableReason) {
      state.enabled = false;
      state.disableReason = settlement.disableReason;
    }
    return settlement;
  });
  return { settlements, webhooks };
}
