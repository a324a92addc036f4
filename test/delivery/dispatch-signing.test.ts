// What a receiver can check on every delivery (delivery.md, "Every delivery"): both signature
// schemes verified with code we did not write (the official standardwebhooks package) or the seed
// platforms' own snippet, the fixed headers, the exact body, masking of custom header values, and
// secret rotation. Real service, real HTTP receiver on 127.0.0.1.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newOrg as newOrgOf, type Admin } from '../support/ops.ts';
import { startReceiver, waitUntil, type Receiver, type ReceivedRequest } from '../support/receiver.ts';
import { startTestService, type TestService } from '../support/service.ts';

const PACKAGE_VERSION = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version as string;

let hw: TestService;
let receiver: Receiver;

beforeAll(async () => {
  hw = await startTestService();
  receiver = await startReceiver();
});
afterAll(async () => {
  await hw?.stop();
  await receiver?.close();
});

/** Each test gets its own organization, so its issues reach only its own webhooks. */
const newOrg = () => newOrgOf(hw, 'Signing');

const CREATE_WEBHOOK = `mutation ($input: CreateWebhookInput!) {
  createWebhook(input: $input) { secret webhook { id headers { name valueMasked } } }
}`;

async function createWebhook(admin: Admin, input: Record<string, unknown>): Promise<{ id: string; secret: string; headers: any[] }> {
  const { createWebhook } = await admin.must(CREATE_WEBHOOK, { input: { name: 'signed', ...input } });
  return { id: createWebhook.webhook.id, secret: createWebhook.secret, headers: createWebhook.webhook.headers };
}

async function createIssue(admin: Admin, weakness = 'Prompt injection'): Promise<string> {
  const { createIssue } = await admin.must(
    `mutation ($w: String!) { createIssue(input: { pluginId: "prompt-injection", severity: HIGH, weakness: $w }) { id } }`,
    { w: weakness },
  );
  return createIssue.id;
}

const DELIVERY_FIELDS = `id webhookId eventId eventType status test attemptCount requestHeaders requestBody
  attempts { number statusCode success error }`;

async function deliveriesOf(admin: Admin, webhookId: string): Promise<any[]> {
  const { deliveries } = await admin.must(`query ($w: ID!) { deliveries(webhookId: $w, first: 100) { edges { node { ${DELIVERY_FIELDS} } } } }`, {
    w: webhookId,
  });
  return deliveries.edges.map((e: any) => e.node);
}

/** The webhook's delivery of that event once it has SUCCEEDED. */
async function succeeded(admin: Admin, webhookId: string, eventId: string): Promise<any> {
  return waitUntil(async () => (await deliveriesOf(admin, webhookId)).find((d) => d.eventId === eventId && d.status === 'SUCCEEDED'), `delivery of ${eventId} SUCCEEDED`);
}

function header(request: ReceivedRequest, name: string): string {
  const value = request.headers[name.toLowerCase()];
  if (typeof value !== 'string') throw new Error(`request has no single ${name} header (got ${JSON.stringify(value)})`);
  return value;
}

/** requestHeaders looked up case-insensitively. */
function shown(requestHeaders: Record<string, string>, name: string): string | undefined {
  const key = Object.keys(requestHeaders).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : requestHeaders[key];
}

function standardHeaders(request: ReceivedRequest): Record<string, string> {
  return {
    'webhook-id': header(request, 'webhook-id'),
    'webhook-timestamp': header(request, 'webhook-timestamp'),
    'webhook-signature': header(request, 'webhook-signature'),
  };
}

/** The seed platforms' receiver snippet, verbatim in spirit: hex HMAC of the raw body, compared in constant time. */
function seedVerifies(secret: string, rawBody: Buffer, signatureHeader: string): boolean {
  const expected = Buffer.from(createHmac('sha256', secret).update(rawBody).digest('hex'));
  const given = Buffer.from(signatureHeader);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

function newSecret(bytes = 32): string {
  return `whsec_${randomBytes(bytes).toString('base64')}`;
}

describe('a delivered request', () => {
  it('verifies with standardwebhooks and the seed snippet, carries the contract headers, and matches the stored delivery byte for byte', async () => {
    const admin = await newOrg();
    const path = '/signing/basic';
    const { id: webhookId, secret } = await createWebhook(admin, { url: receiver.url(path) });
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+={0,2}$/);
    // Non-ASCII text makes "the exact bytes" matter: a re-encoding on the way would break the HMACs.
    const issueId = await createIssue(admin, 'Ünïcødé "quoted" \\ back 漢字 🚀 </script>');
    const [request] = await receiver.waitFor(path, 1);

    // Both signature schemes, verified over the raw bytes as a receiver would.
    const raw = request.body;
    expect(() => new StandardWebhook(secret).verify(raw.toString('utf8'), standardHeaders(request))).not.toThrow();
    expect(() => new StandardWebhook(secret).verify(raw, standardHeaders(request))).not.toThrow();
    expect(header(request, 'x-hookwarden-signature')).toMatch(/^[0-9a-f]{64}$/);
    expect(seedVerifies(secret, raw, header(request, 'x-hookwarden-signature'))).toBe(true);
    // Negative controls: the verifiers used here do reject a wrong secret and a changed body.
    expect(() => new StandardWebhook(newSecret()).verify(raw, standardHeaders(request))).toThrow();
    expect(seedVerifies(newSecret(), raw, header(request, 'x-hookwarden-signature'))).toBe(false);
    expect(() => new StandardWebhook(secret).verify(Buffer.concat([raw, Buffer.from(' ')]), standardHeaders(request))).toThrow();

    // One v1 signature (no rotation), webhook-id is the envelope's id.
    expect(header(request, 'webhook-signature').split(' ')).toHaveLength(1);
    expect(header(request, 'webhook-signature')).toMatch(/^v1,[A-Za-z0-9+/]+={0,2}$/);
    const envelope = JSON.parse(raw.toString('utf8'));
    expect(envelope.id).toMatch(/^evt_/);
    expect(header(request, 'webhook-id')).toBe(envelope.id);
    expect(envelope.type).toBe('issue.created');
    expect(envelope.data.issue.id).toBe(issueId);
    expect(header(request, 'x-hookwarden-event')).toBe('issue.created');
    expect(header(request, 'user-agent')).toBe(`Hookwarden/${PACKAGE_VERSION}`);
    expect(header(request, 'content-type')).toMatch(/^application\/json\b/);
    const timestamp = Number(header(request, 'webhook-timestamp'));
    expect(header(request, 'webhook-timestamp')).toMatch(/^\d{10}$/);
    expect(Math.abs(timestamp * 1000 - request.at)).toBeLessThan(3000);

    // The delivery record: same event id, exactly the bytes received, and the headers that were sent.
    const delivery = await succeeded(admin, webhookId, envelope.id);
    expect(delivery.eventId).toBe(envelope.id);
    expect(delivery.eventType).toBe('issue.created');
    expect(delivery.test).toBe(false);
    expect(Buffer.from(delivery.requestBody, 'utf8').equals(raw)).toBe(true);
    for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature', 'x-hookwarden-signature', 'x-hookwarden-event', 'user-agent', 'content-type']) {
      expect(shown(delivery.requestHeaders, name), name).toBe(header(request, name));
    }
    expect(receiver.on(path)).toHaveLength(1);
  });

  it('is signed with a secret the caller chose', async () => {
    const admin = await newOrg();
    const path = '/signing/chosen';
    const chosen = newSecret(48);
    const { id: webhookId, secret } = await createWebhook(admin, { url: receiver.url(path), secret: chosen });
    expect(secret).toBe(chosen);
    await createIssue(admin);
    const [request] = await receiver.waitFor(path, 1);
    expect(() => new StandardWebhook(chosen).verify(request.body, standardHeaders(request))).not.toThrow();
    expect(seedVerifies(chosen, request.body, header(request, 'x-hookwarden-signature'))).toBe(true);
    // The standard scheme keys with the base64-decoded bytes, the seed scheme with the whole string.
    const id = header(request, 'webhook-id');
    const ts = header(request, 'webhook-timestamp');
    const key = Buffer.from(chosen.slice('whsec_'.length), 'base64');
    const expected = createHmac('sha256', key).update(`${id}.${ts}.`).update(request.body).digest('base64');
    expect(header(request, 'webhook-signature')).toBe(`v1,${expected}`);
    await succeeded(admin, webhookId, id);
  });

  it('carries custom headers unmasked to the receiver, but shows them masked in requestHeaders and headers { valueMasked }', async () => {
    const admin = await newOrg();
    const path = '/signing/custom-headers';
    const token = 'Splunk abc123secret';
    const other = 'tenant-7f3a9c-private';
    const { id: webhookId, secret, headers } = await createWebhook(admin, {
      url: receiver.url(path),
      headers: [
        { name: 'Authorization', value: token },
        { name: 'X-Tenant-Key', value: other },
      ],
    });
    // What the API shows: the names, values masked (never the secret part).
    expect(headers.map((h: any) => h.name.toLowerCase())).toEqual(['authorization', 'x-tenant-key']);
    for (const h of headers) {
      expect(h.valueMasked).not.toContain('abc123secret');
      expect(h.valueMasked).not.toContain('7f3a9c');
      expect(h.valueMasked).not.toBe(token);
      expect(h.valueMasked).not.toBe(other);
    }
    const { webhook } = await admin.must(`query ($id: ID!) { webhook(id: $id) { headers { name valueMasked } } }`, { id: webhookId });
    expect(webhook.headers).toEqual(headers);

    await createIssue(admin);
    const [request] = await receiver.waitFor(path, 1);
    expect(header(request, 'authorization')).toBe(token);
    expect(header(request, 'x-tenant-key')).toBe(other);
    expect(() => new StandardWebhook(secret).verify(request.body, standardHeaders(request))).not.toThrow();

    const delivery = await succeeded(admin, webhookId, header(request, 'webhook-id'));
    const sentHeaders = JSON.stringify(delivery.requestHeaders);
    expect(sentHeaders).not.toContain('abc123secret');
    expect(sentHeaders).not.toContain(other);
    const masks = new Map(headers.map((h: any) => [h.name.toLowerCase(), h.valueMasked]));
    expect(shown(delivery.requestHeaders, 'authorization')).toBe(masks.get('authorization'));
    expect(shown(delivery.requestHeaders, 'x-tenant-key')).toBe(masks.get('x-tenant-key'));
    // The signed headers are still shown as sent.
    expect(shown(delivery.requestHeaders, 'webhook-signature')).toBe(header(request, 'webhook-signature'));
  });
});

describe('rotateWebhookSecret', () => {
  const ROTATE = `mutation ($id: ID!, $overlap: Int) {
    rotateWebhookSecret(id: $id, overlapSeconds: $overlap) { secret oldSecretExpiresAt webhook { id } }
  }`;

  it('with overlapSeconds 60 signs the next delivery with the new and the old secret (new first); the hex signature uses the new one', async () => {
    const admin = await newOrg();
    const path = '/signing/rotate-overlap';
    const { id: webhookId, secret: oldSecret } = await createWebhook(admin, { url: receiver.url(path) });
    await createIssue(admin);
    const [before] = await receiver.waitFor(path, 1);
    expect(() => new StandardWebhook(oldSecret).verify(before.body, standardHeaders(before))).not.toThrow();

    const rotatedAt = Date.now();
    const { rotateWebhookSecret } = await admin.must(ROTATE, { id: webhookId, overlap: 60 });
    const newSecret = rotateWebhookSecret.secret as string;
    expect(newSecret).toMatch(/^whsec_/);
    expect(newSecret).not.toBe(oldSecret);
    const expiresAt = Date.parse(rotateWebhookSecret.oldSecretExpiresAt);
    expect(Math.abs(expiresAt - (rotatedAt + 60_000))).toBeLessThan(5000);

    await createIssue(admin);
    const [, after] = await receiver.waitFor(path, 2);
    const signatures = header(after, 'webhook-signature').split(' ');
    expect(signatures).toHaveLength(2);
    const id = header(after, 'webhook-id');
    const at = new Date(Number(header(after, 'webhook-timestamp')) * 1000);
    expect(signatures[0]).toBe(new StandardWebhook(newSecret).sign(id, at, after.body.toString('utf8')));
    expect(signatures[1]).toBe(new StandardWebhook(oldSecret).sign(id, at, after.body.toString('utf8')));
    // Receivers holding either secret accept it.
    expect(() => new StandardWebhook(newSecret).verify(after.body, standardHeaders(after))).not.toThrow();
    expect(() => new StandardWebhook(oldSecret).verify(after.body, standardHeaders(after))).not.toThrow();
    // The seed scheme carries the current secret only.
    expect(seedVerifies(newSecret, after.body, header(after, 'x-hookwarden-signature'))).toBe(true);
    expect(seedVerifies(oldSecret, after.body, header(after, 'x-hookwarden-signature'))).toBe(false);
  });

  it('with overlapSeconds 0 signs the next delivery with the new secret only', async () => {
    const admin = await newOrg();
    const path = '/signing/rotate-no-overlap';
    const { id: webhookId, secret: oldSecret } = await createWebhook(admin, { url: receiver.url(path) });
    await createIssue(admin);
    await receiver.waitFor(path, 1);

    const { rotateWebhookSecret } = await admin.must(ROTATE, { id: webhookId, overlap: 0 });
    const newSecret = rotateWebhookSecret.secret as string;
    await createIssue(admin);
    const [, after] = await receiver.waitFor(path, 2);
    const signatures = header(after, 'webhook-signature').split(' ');
    expect(signatures).toHaveLength(1);
    expect(() => new StandardWebhook(newSecret).verify(after.body, standardHeaders(after))).not.toThrow();
    expect(() => new StandardWebhook(oldSecret).verify(after.body, standardHeaders(after))).toThrow();
    expect(seedVerifies(newSecret, after.body, header(after, 'x-hookwarden-signature'))).toBe(true);
    expect(seedVerifies(oldSecret, after.body, header(after, 'x-hookwarden-signature'))).toBe(false);
  });
});
