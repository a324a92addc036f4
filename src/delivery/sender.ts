// One HTTP POST per attempt, through one keep-alive pool per origin: the webhook's timeout covers
// the whole exchange, redirects are never followed, and at most 4 KiB of the answer is read.
//
// Attempts go through undici's dispatch with a handler of our own, not request(): no URL parsed
// again, no AbortSignal and no response stream per attempt. That halved the CPU an attempt costs
// here (about 170 against 75 µs on these machines, the same as a bare undici Pool loop).
import { createRequire } from 'node:module';
import net from 'node:net';
import type { Agent as UndiciAgent, Dispatcher } from 'undici';
import { signatureHeaders, type Signer } from './signing.ts';
import { assertPublic, BlockedTargetError, guardedLookup } from './ssrf.ts';

export const MAX_RESPONSE_BYTES = 4096;

// undici's Agent alone: its index also loads fetch, WebSocket, caches and mocks, which take about
// 8 MB more of the thread that sends (this path has held since undici 6; if it moves, every test
// that sends fails).
const Agent = createRequire(import.meta.url)('undici/lib/dispatcher/agent.js') as typeof UndiciAgent;

export interface SendRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  /** Signs the attempt as it starts (headers must hold webhook-id): on the sender's thread, not the caller's. */
  signer?: Signer;
}

export interface SendResult {
  startedAt: Date;
  durationMs: number;
  statusCode: number | null;
  retryAfter: string | null;
  responseBody: string | null;
  /** Human-readable, for the attempt log: "timeout after 5000 ms", "connection refused", "blocked: …". */
  error: string | null;
  blocked: boolean;
  /** The headers signing added (see SendRequest.signer), or null. */
  signatures: Record<string, string> | null;
}

export interface Sender {
  send(req: SendRequest): Promise<SendResult>;
  /** Ends every attempt in flight, and any started later, as "aborted" (shutdown). */
  abortAll(): void;
  close(): Promise<void>;
}

function describeError(error: unknown, host: string): string {
  const err = error as { name?: string; code?: string; message?: string; cause?: { code?: string; message?: string } };
  // undici's parser errors carry no code when the answer is not HTTP at all.
  if (err.name === 'HTTPParserError') return `invalid HTTP response${err.code ? ` (${err.code})` : ''}`;
  const code = err.code ?? err.cause?.code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
      return `DNS lookup failed for ${host}`;
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
      return 'connection reset by the receiver';
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'connect timeout';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
    case 'UND_ERR_HEADERS_OVERFLOW':
      return 'response headers too large';
    default:
      if (code?.startsWith('HPE_')) return `invalid HTTP response (${code})`;
      return `request failed: ${(err.message ?? String(error)).slice(0, 200)}`;
  }
}

/** The answer as stored: at most MAX_RESPONSE_BYTES, NUL shown as U+FFFD (a PostgreSQL text column cannot hold it). */
function responseText(chunks: readonly Buffer[]): string {
  return Buffer.concat(chunks).subarray(0, MAX_RESPONSE_BYTES).toString('utf8').replaceAll('\0', '\uFFFD');
}

function blockedBy(error: unknown): BlockedTargetError | null {
  if (error instanceof BlockedTargetError) return error;
  const cause = (error as { cause?: unknown } | null)?.cause;
  return cause instanceof BlockedTargetError ? cause : null;
}

export interface SenderOptions {
  /** Lifts the SSRF guard (development and tests only). */
  allowInsecureTargets: boolean;
  /** The most sockets kept per origin. */
  connectionsPerOrigin?: number;
  lookup?: ReturnType<typeof guardedLookup>;
}

export function createSender(options: SenderOptions): Sender {
  const agent = new Agent({
    keepAliveTimeout: 10_000,
    connections: options.connectionsPerOrigin ?? 64,
    // net.connect's lookup type wants Node's exact callback overloads; guardedLookup answers in both shapes.
    connect: options.allowInsecureTargets ? {} : { lookup: (options.lookup ?? guardedLookup()) as never },
  });

  /** How to end each attempt in flight early, for abortAll. */
  const inFlight = new Set<() => void>();
  let aborting = false;

  function send(req: SendRequest): Promise<SendResult> {
    const startedAt = new Date();
    const started = performance.now();
    const signatures = req.signer ? signatureHeaders(req.signer, req.headers['webhook-id'], req.body, startedAt.getTime()) : null;
    const headers = signatures ? { ...req.headers, ...signatures } : req.headers;
    const done = (fields: Partial<SendResult>): SendResult => ({
      startedAt,
      durationMs: Math.round(performance.now() - started),
      statusCode: null,
      retryAfter: null,
      responseBody: null,
      error: null,
      blocked: false,
      signatures,
      ...fields,
    });
    const url = new URL(req.url);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    // A literal IP never reaches the lookup, so it is checked here.
    if (!options.allowInsecureTargets && net.isIP(host)) {
      try {
        assertPublic([host]);
      } catch (error) {
        const blocked = blockedBy(error);
        return Promise.resolve(done(blocked ? { error: blocked.message, blocked: true } : { error: describeError(error, host) }));
      }
    }
    return new Promise((resolve) => {
      let controller: Dispatcher.DispatchController | null = null;
      let settled = false;
      let statusCode = 0;
      let retryAfter: string | null = null;
      const chunks: Buffer[] = [];
      let size = 0;
      const finish = (fields: Partial<SendResult>) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        inFlight.delete(stop);
        controller?.abort(new Error('attempt ended'));
        resolve(done(fields));
      };
      const answered = () => ({ statusCode, retryAfter, responseBody: responseText(chunks) });
      // Ends the exchange wherever it is; a connection not yet made is dropped when it is.
      const timer = setTimeout(() => finish({ error: `timeout after ${req.timeoutMs} ms` }), req.timeoutMs);
      const stop = () => finish({ error: 'aborted: Hookwarden was shutting down' });
      inFlight.add(stop);
      const handler: Dispatcher.DispatchHandler = {
        onRequestStart(started) {
          if (settled) started.abort(new Error('attempt ended'));
          else controller = started;
        },
        onResponseStart(_controller, code, headers) {
          statusCode = code;
          const header = headers['retry-after'];
          retryAfter = typeof header === 'string' ? header : null;
        },
        onResponseData(_controller, chunk) {
          chunks.push(chunk);
          size += chunk.length;
          // Enough read: the rest is not wanted, and the connection is closed rather than drained.
          if (size >= MAX_RESPONSE_BYTES) finish(answered());
        },
        onResponseEnd() {
          // The connection goes back to the pool: nothing to abort.
          controller = null;
          finish(answered());
        },
        onResponseError(_controller, error) {
          controller = null;
          const blocked = blockedBy(error);
          finish(blocked ? { error: blocked.message, blocked: true } : { error: describeError(error, host) });
        },
      };
      try {
        agent.dispatch({ origin: url.origin, path: `${url.pathname}${url.search}`, method: 'POST', headers, body: req.body }, handler);
      } catch (error) {
        finish({ error: describeError(error, host) });
      }
      if (aborting) stop();
    });
  }

  function abortAll(): void {
    aborting = true;
    for (const stop of inFlight) stop();
  }

  return { send, abortAll, close: () => agent.close() };
}
