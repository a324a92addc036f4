// The two signature schemes of delivery.md and the headers every attempt carries.
import { createHmac } from 'node:crypto';
import { USER_AGENT } from '../app.ts';
import { SECRET_PREFIX } from '../domain/secrets.ts';

/**
 * A secret as both schemes key their HMACs, decoded once (per version of a webhook, not per
 * attempt: decoding and importing the keys was half the cost of signing).
 */
export interface SigningKey {
  /** Standard Webhooks: the base64 after the prefix, decoded. */
  standard: Buffer;
  /** The hex header: the whole secret string. */
  hex: Buffer;
}

export function signingKey(secret: string): SigningKey {
  return { standard: unpooled(Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64')), hex: unpooled(Buffer.from(secret, 'utf8')) };
}

/**
 * The bytes in memory of their own. A small Buffer is a view of Node's shared 8 KiB pool, and a key
 * travels to the sender thread with every attempt: copying a view copies all the memory it views.
 */
function unpooled(bytes: Buffer): Buffer {
  const own = Buffer.allocUnsafeSlow(bytes.length);
  bytes.copy(own);
  return own;
}

/** Standard Webhooks v1: base64 HMAC-SHA256 of "<id>.<timestamp>.<body>", keyed by the decoded secret. */
export function standardSignature(key: SigningKey, messageId: string, timestamp: number, body: string): string {
  return `v1,${createHmac('sha256', key.standard).update(`${messageId}.${timestamp}.`).update(body).digest('base64')}`;
}

/** The seed platforms' scheme: lowercase hex HMAC-SHA256 of the body, keyed by the whole secret string. */
export function hexSignature(key: SigningKey, body: string): string {
  return createHmac('sha256', key.hex).update(body).digest('hex');
}

export interface HeaderInput {
  eventId: string;
  eventType: string;
  contentType: string;
  custom: ReadonlyArray<{ name: string; value: string }>;
}

/** The headers that do not depend on the attempt: what a delivery shows before its first attempt. */
export function baseHeaders(input: HeaderInput): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': input.contentType,
    'user-agent': USER_AGENT,
    'webhook-id': input.eventId,
    'x-hookwarden-event': input.eventType,
  };
  for (const { name, value } of input.custom) headers[name.toLowerCase()] = value;
  return headers;
}

export interface Signer {
  /** Current secret first; during a rotation overlap the previous one follows. */
  keys: readonly SigningKey[];
}

/** The per-attempt headers: the timestamp and both signatures of the body. */
export function signatureHeaders(signer: Signer, messageId: string, body: string, now: number): Record<string, string> {
  const timestamp = Math.floor(now / 1000);
  return {
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signer.keys.map((key) => standardSignature(key, messageId, timestamp, body)).join(' '),
    'x-hookwarden-signature': hexSignature(signer.keys[0], body),
  };
}
