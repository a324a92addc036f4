// delivery.md "Circuit breaker" and 410 Gone, as tables over settle (and judge → settle together).
import { describe, expect, it } from 'vitest';
import { judge, type AttemptOutcome, type Verdict } from '../../src/delivery/retry-policy.ts';
import { breakerReason, GONE_REASON, settle, type Settlement } from '../../src/delivery/settle.ts';

const T = 20; // the default HOOKWARDEN_CIRCUIT_BREAKER_THRESHOLD
const retry: Verdict = { kind: 'retry', delayMs: 100 };
const failed: Verdict = { kind: 'failed' };
const gone: Verdict = { kind: 'gone' };
const succeeded: Verdict = { kind: 'succeeded' };

describe('settle', () => {
  it.each<[string, Verdict, number, boolean, Settlement]>([
    ['success → SUCCEEDED', succeeded, 0, true, { status: 'SUCCEEDED', disableReason: null }],
    ['success on a disabled webhook (a test event) → SUCCEEDED', succeeded, 0, false, { status: 'SUCCEEDED', disableReason: null }],
    ['retry below the threshold → RETRYING', retry, 1, true, { status: 'RETRYING', disableReason: null }],
    ['retry one below the threshold → RETRYING', retry, T - 1, true, { status: 'RETRYING', disableReason: null }],
    ['threshold reached on a retry → CANCELLED, webhook disabled', retry, T, true, { status: 'CANCELLED', disableReason: breakerReason(T) }],
    ['beyond the threshold on a retry (threshold lowered) → CANCELLED', retry, T + 5, true, { status: 'CANCELLED', disableReason: breakerReason(T + 5) }],
    ['failed below the threshold → FAILED, webhook kept', failed, T - 1, true, { status: 'FAILED', disableReason: null }],
    ['threshold reached on the last retry → FAILED, webhook disabled', failed, T, true, { status: 'FAILED', disableReason: breakerReason(T) }],
    ['410 Gone → FAILED, webhook disabled with the 410 reason', gone, 1, true, { status: 'FAILED', disableReason: GONE_REASON }],
    ['410 Gone at the threshold → the 410 reason wins', gone, T, true, { status: 'FAILED', disableReason: GONE_REASON }],
    ['already disabled, 410 → FAILED, not disabled again', gone, 1, false, { status: 'FAILED', disableReason: null }],
    ['already disabled, failed at the threshold → not disabled again', failed, T, false, { status: 'FAILED', disableReason: null }],
    ['already disabled, failed far beyond → not disabled again', failed, 500, false, { status: 'FAILED', disableReason: null }],
    ['already disabled, retry at the threshold → not disabled again', retry, T, false, { status: 'RETRYING', disableReason: null }],
  ])('%s', (_label, verdict, failures, enabled, expected) => {
    expect(settle(verdict, failures, enabled, T)).toEqual(expected);
  });

  it('the reasons read as the contract says', () => {
    expect(GONE_REASON).toBe('receiver answered 410 Gone');
    expect(breakerReason(20)).toMatch(/circuit breaker/);
    expect(breakerReason(20)).toContain('20');
  });

  it.each([1, 2, 5, 20, 100])('with threshold %d the breaker trips at exactly that many failures', (threshold) => {
    expect(settle(retry, threshold - 1, true, threshold).disableReason).toBeNull();
    expect(settle(retry, threshold, true, threshold).disableReason).toBe(breakerReason(threshold));
    expect(settle(failed, threshold - 1, true, threshold).disableReason).toBeNull();
    expect(settle(failed, threshold, true, threshold).disableReason).toBe(breakerReason(threshold));
  });
});

describe('judge → settle for one webhook with retryCount 3', () => {
  const schedule = { baseMs: 20, maxMs: 100 };
  const now = Date.now();
  const outcome = (statusCode: number | null, blocked = false): AttemptOutcome => ({ statusCode, blocked, retryAfter: null });
  const run = (attempt: AttemptOutcome, number: number, failures: number, enabled = true) =>
    settle(judge(attempt, number, 3, schedule, now, () => 0.5), failures, enabled, T);

  it.each<[string, AttemptOutcome, number, number, boolean, Settlement]>([
    ['500 on attempt 1, breaker not reached → RETRYING', outcome(500), 1, 5, true, { status: 'RETRYING', disableReason: null }],
    ['500 on attempt 2 reaching the threshold (retries left) → CANCELLED', outcome(500), 2, T, true, { status: 'CANCELLED', disableReason: breakerReason(T) }],
    ['500 on attempt 4 (the last retry) reaching the threshold → FAILED', outcome(500), 4, T, true, { status: 'FAILED', disableReason: breakerReason(T) }],
    ['500 on attempt 4, breaker not reached → FAILED, webhook kept', outcome(500), 4, 3, true, { status: 'FAILED', disableReason: null }],
    ['blocked reaching the threshold → FAILED and disabled (blocked counts for the breaker)', outcome(null, true), 1, T, true, { status: 'FAILED', disableReason: breakerReason(T) }],
    ['404 → FAILED at once', outcome(404), 1, 1, true, { status: 'FAILED', disableReason: null }],
    ['410 on attempt 1 → FAILED with GONE_REASON', outcome(410), 1, 1, true, { status: 'FAILED', disableReason: GONE_REASON }],
    ['410 on an already disabled webhook → FAILED only', outcome(410), 1, 1, false, { status: 'FAILED', disableReason: null }],
    ['200 → SUCCEEDED', outcome(200), 3, 0, true, { status: 'SUCCEEDED', disableReason: null }],
  ])('%s', (_label, attempt, number, failures, enabled, expected) => {
    expect(run(attempt, number, failures, enabled)).toEqual(expected);
  });
});
