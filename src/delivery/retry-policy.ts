// When an attempt's outcome means "try again", and when: delivery.md's "Retries", as pure functions.

export interface AttemptOutcome {
  /** HTTP status, or null when no response arrived (timeout, refused, DNS, reset). */
  statusCode: number | null;
  /** The SSRF guard refused the target: never retried, still a failure for the breaker. */
  blocked: boolean;
  /** The Retry-After header of the response, if any. */
  retryAfter: string | null;
}

export type Verdict =
  | { kind: 'succeeded' }
  | { kind: 'retry'; delayMs: number }
  | { kind: 'failed' }
  /** 410 Gone: the receiver is gone for good; the webhook is disabled at once. */
  | { kind: 'gone' };

export interface RetrySchedule {
  baseMs: number;
  maxMs: number;
}

export const RETRY_AFTER_CAP_MS = 60 * 60 * 1000;

export function isSuccess(statusCode: number | null): boolean {
  return statusCode !== null && statusCode >= 200 && statusCode < 300;
}

/** Network errors, timeouts, 5xx, 408 and 429 are worth another try; other answers are final. */
export function isRetryable(outcome: AttemptOutcome): boolean {
  if (outcome.blocked) return false;
  const { statusCode } = outcome;
  return statusCode === null || statusCode >= 500 || statusCode === 408 || statusCode === 429;
}

/** Exponential backoff with full jitter: uniform in [0, min(max, base · 2^(retry-1))]. */
export function backoffMs(retryNumber: number, schedule: RetrySchedule, random: () => number = Math.random): number {
  const ceiling = Math.min(schedule.maxMs, schedule.baseMs * 2 ** Math.max(0, retryNumber - 1));
  return Math.floor(random() * ceiling);
}

/** Retry-After as seconds or an HTTP date, in ms from now, capped at one hour; null when absent or unreadable. */
export function retryAfterMs(header: string | null, now: number): number | null {
  if (header === null) return null;
  const text = header.trim();
  let ms: number;
  if (/^\d+$/.test(text)) ms = Number(text) * 1000;
  else {
    // An HTTP date names its day and month ("Sun, 06 Nov 1994 08:49:37 GMT"); Date.parse alone
    // would also read "1.5" or "-5" as dates in the past and retry at once.
    if (!/^[A-Za-z]{3},? /.test(text)) return null;
    const at = Date.parse(text);
    if (Number.isNaN(at)) return null;
    ms = at - now;
  }
  return Math.min(Math.max(0, ms), RETRY_AFTER_CAP_MS);
}

/**
 * The verdict on attempt number `attempt` (1-based) of a webhook allowing `retryCount` retries.
 * Retry-After, when the receiver sent one, replaces the backoff.
 */
export function judge(
  outcome: AttemptOutcome,
  attempt: number,
  retryCount: number,
  schedule: RetrySchedule,
  now: number,
  random: () => number = Math.random,
): Verdict {
  if (isSuccess(outcome.statusCode)) return { kind: 'succeeded' };
  if (outcome.statusCode === 410) return { kind: 'gone' };
  if (!isRetryable(outcome) || attempt > retryCount) return { kind: 'failed' };
  const asked = retryAfterMs(outcome.retryAfter, now);
  return { kind: 'retry', delayMs: asked ?? backoffMs(attempt, schedule, random) };
}
