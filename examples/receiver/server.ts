// A minimal webhook receiver for Hookwarden with node:http: verifies the signature (both schemes,
// each in its own function, so copy the one you need), answers 401 to a bad one, and processes each
// event once, however often it arrives (retries and redeliveries repeat the webhook-id).
//
//   WEBHOOK_SECRET=whsec_… PORT=8080 npx tsx examples/receiver/server.ts
//
// Prints one JSON line per request on stdout: {"outcome":"processed"|"duplicate"|"rejected", …}.
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import { Webhook } from 'standardwebhooks';

const secret = process.env.WEBHOOK_SECRET;
if (!secret?.startsWith('whsec_')) {
  process.stderr.write('usage: WEBHOOK_SECRET=whsec_… [PORT=8080] [HOST=127.0.0.1] npx tsx examples/receiver/server.ts\n');
  process.exit(2);
}
const port = Number(process.env.PORT ?? 8080);
const host = process.env.HOST ?? '127.0.0.1';
const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature), with the official package:
 * it checks the signature over "<id>.<timestamp>.<body>" with the base64-decoded part of the secret,
 * accepts any of several signatures (a secret rotation sends two), and refuses a timestamp more than
 * five minutes away, so a captured request cannot be replayed later.
 */
function verifyStandard(body: Buffer, headers: http.IncomingHttpHeaders): boolean {
  const pick = (name: string) => (typeof headers[name] === 'string' ? (headers[name] as string) : '');
  try {
    new Webhook(secret!).verify(body.toString('utf8'), {
      'webhook-id': pick('webhook-id'),
      'webhook-timestamp': pick('webhook-timestamp'),
      'webhook-signature': pick('webhook-signature'),
    });
    return true;
  } catch {
    return false;
  }
}

/**
 * X-Hookwarden-Signature with node:crypto only: lowercase hex HMAC-SHA256 of the raw body, keyed by
 * the whole secret string ("whsec_…" included). Compared in constant time.
 */
function verifyHex(body: Buffer, headers: http.IncomingHttpHeaders): boolean {
  const given = headers['x-hookwarden-signature'];
  if (typeof given !== 'string') return false;
  const expected = Buffer.from(createHmac('sha256', secret!).update(body).digest('hex'));
  const actual = Buffer.from(given);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/**
 * Event ids already processed. In memory for the example; a real receiver keeps them where every
 * instance sees them and survives restarts (a table with a unique key, Redis SET NX), for at least as
 * long as Hookwarden may retry (hours) or someone may redeliver.
 */
const processed = new Set<string>();

function log(entry: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(entry)}\n`);
}

function answer(res: http.ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(`${text}\n`);
}

/** Your work goes here. Throwing makes the receiver answer 500, and Hookwarden retries. */
function processEvent(event: { id: string; type: string; data: unknown }): void {
  log({ outcome: 'processed', id: event.id, type: event.type });
}

const server = http.createServer((req, res) => {
  if (req.method !== 'POST') return answer(res, 405, 'POST only');
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk);
  });
  req.on('end', () => {
    if (size > MAX_BODY_BYTES) return answer(res, 413, 'body too large');
    // Verify the raw bytes as received, before parsing: re-serialized JSON would not match.
    const body = Buffer.concat(chunks);
    const webhookId = req.headers['webhook-id'];
    if (!verifyStandard(body, req.headers) || !verifyHex(body, req.headers) || typeof webhookId !== 'string') {
      log({ outcome: 'rejected', reason: 'bad signature', id: typeof webhookId === 'string' ? webhookId : null });
      return answer(res, 401, 'bad signature');
    }
    // A repeat of an event already processed: acknowledge it so that Hookwarden stops, do nothing.
    // (processEvent is synchronous here; if yours awaits, also remember the ids in progress.)
    if (processed.has(webhookId)) {
      log({ outcome: 'duplicate', id: webhookId });
      return answer(res, 200, 'already processed');
    }
    try {
      const envelope = JSON.parse(body.toString('utf8')) as { type: string; data: unknown };
      processEvent({ id: webhookId, type: envelope.type, data: envelope.data });
      processed.add(webhookId);
      answer(res, 200, 'ok');
    } catch (error) {
      log({ outcome: 'failed', id: webhookId, error: (error as Error).message });
      answer(res, 500, 'processing failed');
    }
  });
});

server.listen(port, host, () => {
  const address = server.address();
  const actual = typeof address === 'object' && address ? address.port : port;
  process.stderr.write(`receiver listening on http://${host}:${actual}/\n`);
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
process.on('SIGINT', () => server.close(() => process.exit(0)));
