// delivery.md "Every delivery": both signature schemes, checked by the official Standard Webhooks
// library and by the seed platforms' own recipe.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { USER_AGENT, VERSION } from '../../src/app.ts';
import { baseHeaders, hexSignature, signatureHeaders, signingKey, standardSignature, type Signer } from '../../src/delivery/signing.ts';
import { newWebhookSecret } from '../../src/domain/secrets.ts';

const EVENT_ID = 'evt_0abcdefgh0000abcdefgh';
const base = () =>
  baseHeaders({ eventId: EVENT_ID, eventType: 'issue.created', contentType: 'application/json', custom: [{ name: 'X-Team', value: 'blue' }] });

/** The headers of an attempt as the sender sends them: the base headers and those signing adds. */
const signedHeaders = (base: Record<string, string>, signer: Signer, body: string, now: number) => ({
  ...base,
  ...signatureHeaders(signer, base['webhook-id'], body, now),
});

const bodies: Array<[string, string]> = [
  ['plain JSON', JSON.stringify({ id: EVENT_ID, type: 'issue.created', data: { n: 1 } })],
  ['unicode JSON', JSON.stringify({ id: EVENT_ID, text: 'Grüße — 世界 🎉', quote: '"\\' })],
  ['JSON with a trailing newline', `${JSON.stringify({ a: [1, 2, 3] })}\n`],
  ['a CEF line (not JSON)', 'CEF:0|Hookwarden|Hookwarden|0.1.0|issue.created|SQL injection|8|rt=1 cs1=a\\=b'],
  ['empty', ''],
];

/** The seed platforms' receiver: hex HMAC of the raw body with the whole secret, compared in constant time. */
function seedVerify(secret: string, rawBody: Buffer, signature: string): boolean {
  const expected = Buffer.from(createHmac('sha256', secret).update(rawBody).digest('hex'));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

describe('baseHeaders', () => {
  it('carries content type, user agent, event id and type, and custom headers lower-cased', () => {
    expect(base()).toEqual({
      'content-type': 'application/json',
      'user-agent': `Hookwarden/${VERSION}`,
      'webhook-id': EVENT_ID,
      'x-hookwarden-event': 'issue.created',
      'x-team': 'blue',
    });
    expect(USER_AGENT).toMatch(/^Hookwarden\/\d+\.\d+\.\d+/);
  });
});

describe('signedHeaders', () => {
  it.each(bodies)('%s: verifies with the official standardwebhooks library', (_label, body) => {
    const secret = newWebhookSecret();
    const now = Date.now();
    const headers = signedHeaders(base(), { keys: [signingKey(secret)] }, body, now);
    expect(headers['webhook-timestamp']).toBe(String(Math.floor(now / 1000)));
    expect(headers['webhook-id']).toBe(EVENT_ID);
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(() => new Webhook(secret).verify(body, headers, { jsonParse: false })).not.toThrow();
    expect(() => new Webhook(secret).verify(Buffer.from(body, 'utf8'), headers, { jsonParse: false })).not.toThrow();
  });

  it.each(bodies)('%s: X-Hookwarden-Signature is the hex HMAC of the body keyed by the whole secret', (_label, body) => {
    const secret = newWebhookSecret();
    const headers = signedHeaders(base(), { keys: [signingKey(secret)] }, body, Date.now());
    expect(headers['x-hookwarden-signature']).toBe(createHmac('sha256', secret).update(body).digest('hex'));
    expect(headers['x-hookwarden-signature']).toMatch(/^[0-9a-f]{64}$/);
    expect(seedVerify(secret, Buffer.from(body, 'utf8'), headers['x-hookwarden-signature'])).toBe(true);
  });

  it('during a rotation both secrets verify, the new one listed first; the hex signature uses the current secret only', () => {
    const current = newWebhookSecret();
    const previous = newWebhookSecret();
    const body = bodies[1][1];
    const now = Date.now();
    const headers = signedHeaders(base(), { keys: [signingKey(current), signingKey(previous)] }, body, now);
    const parts = headers['webhook-signature'].split(' ');
    expect(parts).toHaveLength(2);
    expect(parts[0]).toBe(standardSignature(signingKey(current), EVENT_ID, Math.floor(now / 1000), body));
    expect(parts[1]).toBe(standardSignature(signingKey(previous), EVENT_ID, Math.floor(now / 1000), body));
    expect(() => new Webhook(current).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(previous).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(newWebhookSecret()).verify(body, headers)).toThrow(/No matching signature/);
    expect(headers['x-hookwarden-signature']).toBe(hexSignature(signingKey(current), body));
    expect(seedVerify(previous, Buffer.from(body), headers['x-hookwarden-signature'])).toBe(false);
  });

  it('the standard signature equals the library\'s own signature', () => {
    const secret = newWebhookSecret();
    const body = bodies[0][1];
    const seconds = 1_773_498_153;
    expect(standardSignature(signingKey(secret), EVENT_ID, seconds, body)).toBe(new Webhook(secret).sign(EVENT_ID, new Date(seconds * 1000), body));
  });

  it('a secret of 64 bytes (the maximum) verifies too', () => {
    const secret = `whsec_${randomBytes(64).toString('base64')}`;
    const body = bodies[0][1];
    const headers = signedHeaders(base(), { keys: [signingKey(secret)] }, body, Date.now());
    expect(() => new Webhook(secret).verify(body, headers)).not.toThrow();
  });

  // Flip one byte at a few positions of the raw body: both schemes must reject it.
  it.each([0, 5, 20, -1])('a body changed at byte %d fails both verifications', (position) => {
    const secret = newWebhookSecret();
    const body = bodies[1][1];
    const headers = signedHeaders(base(), { keys: [signingKey(secret)] }, body, Date.now());
    const raw = Buffer.from(body, 'utf8');
    const at = position < 0 ? raw.length + position : position;
    raw[at] ^= 0x01;
    expect(raw.equals(Buffer.from(body, 'utf8'))).toBe(false);
    expect(() => new Webhook(secret).verify(raw, headers, { jsonParse: false })).toThrow(/No matching signature/);
    expect(seedVerify(secret, raw, headers['x-hookwarden-signature'])).toBe(false);
  });

  it.each([
    ['webhook-id', 'evt_other'],
    ['webhook-timestamp', 'shift'],
  ])('a changed %s header fails verification', (name, change) => {
    const secret = newWebhookSecret();
    const body = bodies[0][1];
    const headers = signedHeaders(base(), { keys: [signingKey(secret)] }, body, Date.now());
    const tampered = { ...headers, [name]: change === 'shift' ? String(Number(headers[name]) - 1) : change };
    expect(() => new Webhook(secret).verify(body, tampered)).toThrow(/No matching signature/);
  });

  it('the wrong secret fails both verifications', () => {
    const secret = newWebhookSecret();
    const other = newWebhookSecret();
    const body = bodies[0][1];
    const headers = signedHeaders(base(), { keys: [signingKey(secret)] }, body, Date.now());
    expect(() => new Webhook(other).verify(body, headers)).toThrow(/No matching signature/);
    expect(seedVerify(other, Buffer.from(body), headers['x-hookwarden-signature'])).toBe(false);
  });

  it('keeps every base header and adds only timestamp and the two signatures', () => {
    const headers = signedHeaders(base(), { keys: [signingKey(newWebhookSecret())] }, '{}', Date.now());
    expect(Object.keys(headers).sort()).toEqual(
      [...Object.keys(base()), 'webhook-timestamp', 'webhook-signature', 'x-hookwarden-signature'].sort(),
    );
  });
});

describe('signingKey', () => {
  // Keys travel to the sender thread with every attempt, and posting a Buffer copies all the memory
  // behind it: a view of Node's shared 8 KiB pool would carry the whole pool each time.
  it('holds each key in memory of its own, the size of the key', () => {
    const key = signingKey(newWebhookSecret());
    expect(key.standard.buffer.byteLength).toBe(key.standard.length);
    expect(key.hex.buffer.byteLength).toBe(key.hex.length);
    expect(key.hex.toString('utf8')).toMatch(/^whsec_/);
  });
});
