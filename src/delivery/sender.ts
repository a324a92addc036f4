// One HTTP POST per attempt, through one keep-alive pool per origin: the webhook's timeout covers
// the whole exchange, redirects are never followed, and at most 4 KiB of the answer is read.
import net from 'node:net';
import { Agent, request } from 'undici';
import { assertPublic, BlockedTargetError, guardedLookup } from './ssrf.ts';

export const MAX_RESPONSE_BYTES = 4096;

export interface SendRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
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
}

export interface Sender {
  send(req: SendRequest, abort?: AbortSignal): Promise<SendResult>;
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

async function readLimited(body: AsyncIterable<Buffer> & { destroy(): unknown }): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= MAX_RESPONSE_BYTES) {
      body.destroy();
      break;
    }
  }
  // NUL cannot be stored in a PostgreSQL text column; it is shown as U+FFFD like any unreadable byte.
  return Buffer.concat(chunks).subarray(0, MAX_RESPONSE_BYTES).toString('utf8').replaceAll('\0', '\uFFFD');
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

  async function send(req: SendRequest, abort?: AbortSignal): Promise<SendResult> {
    const startedAt = new Date();
    const started = performance.now();
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, req.timeoutMs);
    const onAbort = () => controller.abort();
    abort?.addEventListener('abort', onAbort, { once: true });
    const url = new URL(req.url);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const done = (fields: Partial<SendResult>): SendResult => ({
      startedAt,
      durationMs: Math.round(performance.now() - started),
      statusCode: null,
      retryAfter: null,
      responseBody: null,
      error: null,
      blocked: false,
      ...fields,
    });
    try {
      // A literal IP never reaches the lookup, so it is checked here.
      if (!options.allowInsecureTargets && net.isIP(host)) assertPublic([host]);
      const response = await request(url, {
        dispatcher: agent,
        method: 'POST',
        headers: req.headers,
        body: req.body,
        signal: controller.signal,
      });
      const responseBody = await readLimited(response.body);
      const retryAfter = response.headers['retry-after'];
      return done({ statusCode: response.statusCode, responseBody, retryAfter: typeof retryAfter === 'string' ? retryAfter : null });
    } catch (error) {
      if (error instanceof BlockedTargetError || (error as { cause?: unknown }).cause instanceof BlockedTargetError) {
        const blocked = error instanceof BlockedTargetError ? error : ((error as { cause: BlockedTargetError }).cause);
        return done({ error: blocked.message, blocked: true });
      }
      if (timedOut) return done({ error: `timeout after ${req.timeoutMs} ms` });
      if (abort?.aborted) return done({ error: 'aborted: Hookwarden was shutting down' });
      return done({ error: describeError(error, host) });
    } finally {
      clearTimeout(timer);
      abort?.removeEventListener('abort', onAbort);
    }
  }

  return { send, close: () => agent.close() };
}
