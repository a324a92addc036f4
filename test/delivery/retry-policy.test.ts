// delivery.md "Retries" as tables over the pure retry policy.
import { describe, expect, it } from 'vitest';
import { backoffMs, isRetryable, isSuccess, judge, RETRY_AFTER_CAP_MS, retryAfterMs, type AttemptOutcome } from '../../src/delivery/retry-policy.ts';

const outcome = (statusCode: number | null, over: Partial<AttemptOutcome> = {}): AttemptOutcome => ({ statusCode, blocked: false, retryAfter: null, ...over });
const HOUR = 60 * 60 * 1000;

describe('isRetryable', () => {
  it.each<[string, AttemptOutcome, boolean]>([
    ['network error (no status)', outcome(null), true],
    ['408 Request Timeout', outcome(408), true],
    ['429 Too Many Requests', outcome(429), true],
    ['500', outcome(500), true],
    ['502', outcome(502), true],
    ['503', outcome(503), true],
    ['599', outcome(599), true],
    ['400', outcome(400), false],
    ['401', outcome(401), false],
    ['403', outcome(403), false],
    ['404', outcome(404), false],
    ['410 Gone', outcome(410), false],
    ['422', outcome(422), false],
    ['301 (redirects are not followed)', outcome(301), false],
    ['302', outcome(302), false],
    ['307', outcome(307), false],
    ['blocked by the SSRF guard', outcome(null, { blocked: true }), false],
  ])('%s → %s', (_label, attempt, expected) => {
    expect(isRetryable(attempt)).toBe(expected);
  });
});

describe('isSuccess', () => {
  it.each([
    [200, true],
    [201, true],
    [204, true],
    [299, true],
    [199, false],
    [300, false],
    [null, false],
  ])('%s → %s', (status, expected) => {
    expect(isSuccess(status)).toBe(expected);
  });
});

describe('backoffMs', () => {
  const schedule = { baseMs: 100, maxMs: 5_000 };

  it.each([1, 2, 3, 5, 10, 30])('with random() = 0 retry %d waits 0 ms (full jitter)', (retry) => {
    expect(backoffMs(retry, schedule, () => 0)).toBe(0);
  });

  it.each([
    [1, 99],
    [2, 199],
    [3, 399],
    [4, 799],
    [5, 1598],
    [6, 3196],
    [7, 4995], // base·2^6 = 6400 > max: capped at 5000
    [8, 4995],
    [20, 4995],
    [60, 4995],
  ])('with random() = 0.999 retry %d waits %d ms', (retry, expected) => {
    expect(backoffMs(retry, schedule, () => 0.999)).toBe(expected);
  });

  it('doubles per retry until the cap, and never exceeds maxMs', () => {
    const top = (retry: number) => backoffMs(retry, { baseMs: 1_000, maxMs: 1_000_000 }, () => 0.999999);
    for (let retry = 1; retry < 10; retry += 1) {
      const ratio = (top(retry + 1) + 1) / (top(retry) + 1);
      expect(ratio).toBeGreaterThan(1.99);
      expect(ratio).toBeLessThan(2.01);
    }
    for (let retry = 1; retry <= 100; retry += 1) expect(top(retry)).toBeLessThan(1_000_000);
  });

  it('with the real random, every value lies in [0, min(max, base·2^(retry-1)))', () => {
    for (let retry = 1; retry <= 12; retry += 1) {
      const ceiling = Math.min(schedule.maxMs, schedule.baseMs * 2 ** (retry - 1));
      for (let i = 0; i < 200; i += 1) {
        const delay = backoffMs(retry, schedule);
        expect(Number.isInteger(delay)).toBe(true);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThan(ceiling);
      }
    }
  });

  it('the test schedule of TEST_ENV (20 ms base, 100 ms cap) stays in milliseconds', () => {
    for (let retry = 1; retry <= 10; retry += 1) expect(backoffMs(retry, { baseMs: 20, maxMs: 100 }, () => 0.999)).toBeLessThan(100);
  });
});

describe('retryAfterMs', () => {
  const now = Date.parse('2026-03-14T14:22:33.000Z');
  const httpDate = (ms: number) => new Date(ms).toUTCString();

  it.each<[string, string | null, number | null]>([
    ['absent', null, null],
    ['0 seconds', '0', 0],
    ['1 second', '1', 1_000],
    ['120 seconds', '120', 120_000],
    ['seconds with whitespace', '  30 ', 30_000],
    ['exactly one hour', '3600', HOUR],
    ['two hours in seconds → capped at one hour', '7200', HOUR],
    ['a huge number of seconds → capped', '99999999999', HOUR],
    ['HTTP date 30 s ahead', httpDate(now + 30_000), 30_000],
    ['HTTP date 10 min ahead', httpDate(now + 600_000), 600_000],
    ['HTTP date now', httpDate(now), 0],
    ['HTTP date in the past → 0', httpDate(now - 60_000), 0],
    ['HTTP date of 2015 → 0', 'Wed, 21 Oct 2015 07:28:00 GMT', 0],
    ['HTTP date two hours ahead → capped', httpDate(now + 2 * HOUR), HOUR],
    ['garbage word', 'soon', null],
    ['empty', '', null],
    ['seconds with a unit', '120s', null],
    ['hex', '0x10', null],
  ])('%s (%j) → %s', (_label, header, expected) => {
    expect(retryAfterMs(header, now)).toBe(expected);
  });

  // Retry-After is delay-seconds (digits only) or an HTTP-date (RFC 9110 §10.2.3). These are neither,
  // yet JavaScript's lenient Date.parse reads them as dates in 2001, so they come out as "retry now" (0).
  it.each([['1.5'], ['-5'], ['+5'], ['2.0']])('numeric garbage %j is unreadable → null, not "retry now"', (header) => {
    expect(retryAfterMs(header, now)).toBeNull();
  });

  it('the cap is one hour', () => {
    expect(RETRY_AFTER_CAP_MS).toBe(HOUR);
  });
});

describe('judge', () => {
  const schedule = { baseMs: 100, maxMs: 10_000 };
  const now = Date.parse('2026-03-14T14:22:33.000Z');
  const half = () => 0.5;

  it.each<[string, AttemptOutcome, number, number, unknown]>([
    ['200 → succeeded', outcome(200), 1, 3, { kind: 'succeeded' }],
    ['204 on the last attempt → succeeded', outcome(204), 4, 3, { kind: 'succeeded' }],
    ['2xx with Retry-After is still a success', outcome(200, { retryAfter: '60' }), 1, 3, { kind: 'succeeded' }],
    ['500 on attempt 1 of 3 retries → retry with backoff', outcome(500), 1, 3, { kind: 'retry', delayMs: 50 }],
    ['500 on attempt 2 → retry, backoff doubled', outcome(500), 2, 3, { kind: 'retry', delayMs: 100 }],
    ['500 on attempt 3 (retry 2 of 3) → retry', outcome(500), 3, 3, { kind: 'retry', delayMs: 200 }],
    ['500 on attempt 4 (after 3 retries) → failed', outcome(500), 4, 3, { kind: 'failed' }],
    ['network error on attempt 1 → retry', outcome(null), 1, 3, { kind: 'retry', delayMs: 50 }],
    ['network error with retryCount 0 → failed at once', outcome(null), 1, 0, { kind: 'failed' }],
    ['500 with retryCount 1: attempt 1 retries, attempt 2 fails', outcome(500), 2, 1, { kind: 'failed' }],
    ['500 with retryCount 10 on attempt 11 → failed', outcome(500), 11, 10, { kind: 'failed' }],
    ['500 with retryCount 10 on attempt 10 → retry', outcome(500), 10, 10, { kind: 'retry', delayMs: 5_000 }],
    ['408 → retry', outcome(408), 1, 3, { kind: 'retry', delayMs: 50 }],
    ['429 with Retry-After seconds → that delay, not the backoff', outcome(429, { retryAfter: '7' }), 1, 3, { kind: 'retry', delayMs: 7_000 }],
    ['503 with Retry-After HTTP date → that delay', outcome(503, { retryAfter: new Date(now + 90_000).toUTCString() }), 2, 3, { kind: 'retry', delayMs: 90_000 }],
    ['503 with Retry-After 0 → retry at once', outcome(503, { retryAfter: '0' }), 1, 3, { kind: 'retry', delayMs: 0 }],
    ['503 with Retry-After beyond an hour → one hour', outcome(503, { retryAfter: '86400' }), 1, 3, { kind: 'retry', delayMs: HOUR }],
    ['503 with unreadable Retry-After → backoff', outcome(503, { retryAfter: 'later' }), 1, 3, { kind: 'retry', delayMs: 50 }],
    ['429 with Retry-After on the last attempt → failed', outcome(429, { retryAfter: '1' }), 4, 3, { kind: 'failed' }],
    ['400 with Retry-After → failed (not retryable)', outcome(400, { retryAfter: '1' }), 1, 3, { kind: 'failed' }],
    ['400 → failed', outcome(400), 1, 3, { kind: 'failed' }],
    ['404 → failed', outcome(404), 1, 3, { kind: 'failed' }],
    ['301 → failed', outcome(301), 1, 3, { kind: 'failed' }],
    ['blocked → failed', outcome(null, { blocked: true }), 1, 3, { kind: 'failed' }],
    ['410 on attempt 1 → gone', outcome(410), 1, 3, { kind: 'gone' }],
    ['410 after retries are exhausted → still gone', outcome(410), 4, 3, { kind: 'gone' }],
    ['410 with retryCount 0 → gone', outcome(410), 1, 0, { kind: 'gone' }],
  ])('%s', (_label, attempt, number, retryCount, verdict) => {
    expect(judge(attempt, number, retryCount, schedule, now, half)).toEqual(verdict);
  });

  it('an unreadable numeric Retry-After ("1.5") falls back to the backoff instead of retrying at once', () => {
    expect(judge(outcome(503, { retryAfter: '1.5' }), 1, 3, schedule, now, half)).toEqual({ kind: 'retry', delayMs: 50 });
  });

  it('uses the configured schedule: the backoff is capped at maxMs', () => {
    const verdict = judge(outcome(500), 10, 10, { baseMs: 20, maxMs: 100 }, now, () => 0.999);
    expect(verdict).toEqual({ kind: 'retry', delayMs: 99 });
  });
});
