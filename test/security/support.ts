// Helpers shared by the security tests: raw GraphQL over HTTP and graphql-ws that keep every byte
// the server answered, a database fingerprint for "a rejected call wrote nothing", and the
// patterns of a leaked stack trace or SQL statement.
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { Prisma } from '../../src/generated/prisma/client.ts';
import type { PrismaClient } from '../../src/generated/prisma/client.ts';

export interface GqlError {
  message: string;
  path?: Array<string | number>;
  extensions?: { code?: string; field?: string; [key: string]: unknown };
}

export interface RawResult {
  status: number;
  /** The response body exactly as received. */
  text: string;
  /** The response headers as "name: value" lines. */
  headerText: string;
  json: { data?: Record<string, any> | null; errors?: GqlError[] } | null;
}

/** A POST to /graphql with exactly this Authorization header (or none); never throws on GraphQL errors. */
export async function post(url: string, authorization: string | null, body: unknown, extraHeaders: Record<string, string> = {}): Promise<RawResult> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...extraHeaders };
  if (authorization !== null) headers.authorization = authorization;
  const response = await fetch(url, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await response.text();
  let json: RawResult['json'] = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = null;
  }
  const headerText = [...response.headers.entries()].map(([name, value]) => `${name}: ${value}`).join('\n');
  return { status: response.status, text, headerText, json };
}

export const bearer = (token: string | null | undefined) => (token ? `Bearer ${token}` : null);

/** Error codes of a result, in order. */
export function codesOf(result: { errors?: GqlError[] } | null | undefined): string[] {
  return (result?.errors ?? []).map((e) => e.extensions?.code ?? 'NO_CODE');
}

/** The value at a path of a data object; undefined when a step is missing, null when a step is null. */
export function at(data: unknown, path: readonly string[]): unknown {
  let value: unknown = data;
  for (const step of path) {
    if (value === null) return null;
    if (value === undefined || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[step];
  }
  return value;
}

// ---------------------------------------------------------------------------------------------
// graphql-ws

export interface WsCapture {
  /** Every message the server sent on this socket, as text. */
  raw: string[];
  /** Payloads of `next` messages. */
  nexts: Array<{ data?: Record<string, any> | null; errors?: GqlError[] }>;
  /** What the sink's error callback got: GraphQL errors of an `error` message, or the close event. */
  failures: unknown[];
  completed: boolean;
  closeCode: number | null;
  /** Resolves when the server acknowledged the connection, or when the connection failed. */
  settled: Promise<'acked' | 'failed'>;
  close(): Promise<void>;
}

/** A WebSocket class for graphql-ws that copies every received frame into `sink`. */
function recordingWebSocket(sink: string[]) {
  return class RecordingWebSocket extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols);
      this.on('message', (data) => sink.push(data.toString()));
    }
  };
}

/** One subscription on its own graphql-ws connection; connectionParams undefined sends none at all. */
export function wsSubscribe(
  wsUrl: string,
  connectionParams: Record<string, unknown> | undefined,
  query: string,
  variables: Record<string, unknown> = {},
): WsCapture {
  const raw: string[] = [];
  const nexts: WsCapture['nexts'] = [];
  const failures: unknown[] = [];
  let settle: (value: 'acked' | 'failed') => void = () => {};
  const settled = new Promise<'acked' | 'failed'>((resolve) => (settle = resolve));
  const capture: WsCapture = { raw, nexts, failures, completed: false, closeCode: null, settled, close: async () => {} };
  const client = createClient({
    url: wsUrl,
    webSocketImpl: recordingWebSocket(raw),
    connectionParams,
    retryAttempts: 0,
    lazy: false,
    // The close is recorded through on.closed; graphql-ws would also print it to the console.
    onNonLazyError: () => {},
    on: {
      connected: () => settle('acked'),
      closed: (event) => {
        capture.closeCode = (event as { code?: number })?.code ?? null;
        settle('failed');
      },
      error: () => settle('failed'),
    },
  });
  const dispose = client.subscribe(
    { query, variables },
    {
      next: (value) => void nexts.push(value as WsCapture['nexts'][number]),
      error: (error) => {
        failures.push(error);
        settle('failed');
      },
      complete: () => {
        capture.completed = true;
      },
    },
  );
  capture.close = async () => {
    dispose();
    await client.dispose();
  };
  return capture;
}

// ---------------------------------------------------------------------------------------------
// "Wrote nothing"

export const MODELS = Object.values(Prisma.ModelName);

export interface Fingerprint {
  counts: Record<string, number>;
  /** Deliveries still PENDING or RETRYING: the dispatcher may add attempts to them at any time. */
  openDeliveries: number;
}

const lowerFirst = (name: string) => name[0].toLowerCase() + name.slice(1);

/** Row counts of every table of the schema (a new model is counted automatically). */
export async function fingerprint(prisma: PrismaClient): Promise<Fingerprint> {
  const client = prisma as unknown as Record<string, { count(args?: unknown): Promise<number> }>;
  const counts = await Promise.all(MODELS.map((model) => client[lowerFirst(model)].count()));
  const openDeliveries = await prisma.delivery.count({ where: { status: { in: ['PENDING', 'RETRYING'] } } });
  return { counts: Object.fromEntries(MODELS.map((model, i) => [model, counts[i]])), openDeliveries };
}

/**
 * What changed between two fingerprints that the dispatcher cannot explain: attempts may be added
 * only while deliveries were open before the call. Empty when nothing was written.
 */
export function unexplainedChanges(before: Fingerprint, after: Fingerprint): string[] {
  const changes: string[] = [];
  for (const model of MODELS) {
    const [was, is] = [before.counts[model], after.counts[model]];
    if (was === is) continue;
    if (model === 'DeliveryAttempt' && is > was && before.openDeliveries > 0) continue;
    changes.push(`${model}: ${was} -> ${is}`);
  }
  return changes;
}

// ---------------------------------------------------------------------------------------------
// Leaks

const LEAK_PATTERNS: Array<[string, RegExp]> = [
  ['a stack frame', /(\n|\\n)\s+at\s|\bat (async )?[\w$.<>]+ \(?(file:\/\/|\/|node:)/],
  ['a source path', /node_modules|\/src\/[\w/-]+\.ts|\.ts:\d+:\d+|\.js:\d+:\d+/],
  ['Prisma internals', /prisma|PrismaClient|P20\d\d\b|invalid `.*` invocation/i],
  ['SQLite or PostgreSQL internals', /SQLITE_|sqlite3|better-sqlite|\bpg_|duplicate key value|violates (unique|foreign key|not-null) constraint|constraint failed/i],
  ['an SQL statement', /\b(SELECT\s+[\w"*,.\s()]+\s+FROM|INSERT\s+INTO|UPDATE\s+"?\w+"?\s+SET|DELETE\s+FROM)\b/i],
  ['a JavaScript engine error', /\b(TypeError|RangeError|ReferenceError|SyntaxError): |Maximum call stack|Cannot read propert/],
];

/**
 * Which leak patterns a response shows. Strings the request itself sent are cut out first: an
 * error message may quote the caller's input, and a fuzzed input may look like anything.
 */
export function leaksIn(responseText: string, sent: readonly string[] = []): string[] {
  let text = responseText;
  for (const value of [...sent].sort((a, b) => b.length - a.length)) {
    if (value.length < 3) continue;
    const escaped = JSON.stringify(value).slice(1, -1);
    text = text.split(escaped).join('');
    text = text.split(value).join('');
  }
  return LEAK_PATTERNS.filter(([, pattern]) => pattern.test(text)).map(([name]) => name);
}

/** Every string inside a value (for leaksIn's "what the request sent"). */
export function stringsIn(value: unknown, out: string[] = [], depth = 0): string[] {
  if (depth > 64) return out;
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const item of value) stringsIn(item, out, depth + 1);
  else if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      out.push(key);
      stringsIn(item, out, depth + 1);
    }
  }
  return out;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
