// Load generators: undici keep-alive pools, closed loops bounded in count and time, and a paced
// open loop. Only 127.0.0.1 origins.
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';

export const wallNow = () => performance.timeOrigin + performance.now();

export function assertLoopback(origin: string): void {
  const host = new URL(origin).hostname;
  if (host !== '127.0.0.1' && host !== '[::1]' && host !== 'localhost') throw new Error(`the bench talks to loopback only, not ${origin}`);
}

export function keepAlivePool(origin: string, connections: number): Pool {
  assertLoopback(origin);
  return new Pool(origin, { connections, pipelining: 1, keepAliveTimeout: 30_000, keepAliveMaxTimeout: 60_000 });
}

export interface LoopResult {
  /** Requests that completed (any status). */
  completed: number;
  ok: number;
  errors: number;
  elapsedMs: number;
  perSecond: number;
  /** The time cap ended the loop before its count. */
  capped: boolean;
  firstError?: string;
}

export interface ClosedLoopOptions {
  pool: Pool;
  concurrency: number;
  count: number;
  timeCapMs: number;
  /** The i-th request: path, body and headers. */
  request(i: number): { path: string; body: string; headers: Record<string, string> };
  /** Judges a response body; returns an error text or null. Default: any 2xx is fine. */
  check?(statusCode: number, body: string, i: number): string | null;
  /** Whether the body needs reading as text (else it is dumped). */
  readBody?: boolean;
  progress?(done: number, elapsedMs: number): void;
  progressEveryMs?: number;
}

/** `concurrency` workers each send one request at a time until `count` were sent or the cap passed. */
export async function closedLoop(options: ClosedLoopOptions): Promise<LoopResult> {
  const { pool, concurrency, count, timeCapMs } = options;
  const started = performance.now();
  const deadline = started + timeCapMs;
  let issued = 0;
  let completed = 0;
  let ok = 0;
  let errors = 0;
  let firstError: string | undefined;
  let capped = false;
  const fail = (text: string) => {
    errors += 1;
    firstError ??= text;
  };
  const ticker = options.progress
    ? setInterval(() => options.progress!(completed, performance.now() - started), options.progressEveryMs ?? 2_000)
    : null;
  async function worker(): Promise<void> {
    while (issued < count) {
      if (performance.now() > deadline) {
        capped = true;
        return;
      }
      const i = issued++;
      const { path, body, headers } = options.request(i);
      try {
        const response = await pool.request({ path, method: 'POST', body, headers, headersTimeout: 30_000, bodyTimeout: 30_000 });
        let text = '';
        if (options.readBody || options.check) text = await response.body.text();
        else await response.body.dump();
        completed += 1;
        const problem = options.check
          ? options.check(response.statusCode, text, i)
          : response.statusCode >= 200 && response.statusCode < 300
            ? null
            : `HTTP ${response.statusCode}`;
        if (problem) fail(problem);
        else ok += 1;
      } catch (error) {
        completed += 1;
        fail(String((error as Error).message ?? error));
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  if (ticker) clearInterval(ticker);
  const elapsedMs = performance.now() - started;
  return { completed, ok, errors, elapsedMs, perSecond: (ok / elapsedMs) * 1000, capped, firstError };
}

export interface PacedSample<T> {
  i: number;
  /** When it was due, when it was sent and when its response was read (wall clock, ms). */
  dueAt: number;
  sentAt: number;
  respondedAt: number;
  statusCode: number;
  value: T | null;
  error?: string;
}

/**
 * An open loop: request i is sent at start + i / rate, whether earlier ones answered or not (at
 * most maxOutstanding at once; beyond that a request is skipped and counted).
 */
export async function pacedLoop<T>(options: {
  pool: Pool;
  rate: number;
  count: number;
  maxOutstanding: number;
  request(i: number): { path: string; body: string; headers: Record<string, string> };
  parse(statusCode: number, body: string): { value: T | null; error?: string };
  progress?(sent: number): void;
}): Promise<{ samples: PacedSample<T>[]; skipped: number; elapsedMs: number }> {
  const interval = 1000 / options.rate;
  const samples: PacedSample<T>[] = [];
  const inFlight = new Set<Promise<void>>();
  let skipped = 0;
  const start = performance.now() + 5;
  const ticker = options.progress ? setInterval(() => options.progress!(samples.length), 2_000) : null;
  for (let i = 0; i < options.count; i += 1) {
    const due = start + i * interval;
    const wait = due - performance.now();
    if (wait > 0.5) await sleep(wait);
    if (inFlight.size >= options.maxOutstanding) {
      skipped += 1;
      continue;
    }
    const dueAt = performance.timeOrigin + due;
    const { path, body, headers } = options.request(i);
    const sentAt = wallNow();
    const job = (async () => {
      try {
        const response = await options.pool.request({ path, method: 'POST', body, headers, headersTimeout: 30_000, bodyTimeout: 30_000 });
        const text = await response.body.text();
        const respondedAt = wallNow();
        const parsed = options.parse(response.statusCode, text);
        samples.push({ i, dueAt, sentAt, respondedAt, statusCode: response.statusCode, ...parsed });
      } catch (error) {
        samples.push({ i, dueAt, sentAt, respondedAt: wallNow(), statusCode: 0, value: null, error: String((error as Error).message ?? error) });
      }
    })();
    inFlight.add(job);
    void job.finally(() => inFlight.delete(job));
  }
  await Promise.all(inFlight);
  if (ticker) clearInterval(ticker);
  return { samples, skipped, elapsedMs: performance.now() - start };
}
