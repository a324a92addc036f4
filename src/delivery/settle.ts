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
