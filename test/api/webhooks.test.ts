// Webhook management over the real API: create, defaults, secrets, partial updates, validation,
// paging, delete and masked custom headers.
import { createHmac, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode, type GraphQLClient } from '../support/graphql.ts';
import { startReceiver, type Receiver } from '../support/receiver.ts';
import { startTestService, type TestService } from '../support/service.ts';

let hw: TestService;
let strict: TestService; // HOOKWARDEN_ALLOW_INSECURE_TARGETS=false
let receiver: Receiver;
let admin: GraphQLClient & { token: string };
let otherTeamId: string; // a team of another organization
let teamId: string; // a team of Acme

const WEBHOOK_FIELDS = `id name url events teamId severities enabled disabledReason format retryCount timeoutMs
  headers { name valueMasked } consecutiveFailures createdAt updatedAt`;

const CREATE = `mutation ($input: CreateWebhookInput!) { createWebhook(input: $input) { secret webhook { ${WEBHOOK_FIELDS} } } }`;
const UPDATE = `mutation ($id: ID!, $input: UpdateWebhookInput!) { updateWebhook(id: $id, input: $input) { ${WEBHOOK_FIELDS} } }`;
const GET = `query ($id: ID!) { webhook(id: $id) { ${WEBHOOK_FIELDS} } }`;

beforeAll(async () => {
  [hw, strict, receiver] = await Promise.all([
    startTestService(),
    startTestService({ HOOKWARDEN_ALLOW_INSECURE_TARGETS: 'false' }),
    startReceiver(),
  ]);
  admin = await hw.admin('Acme', 'admin@acme.test');
  teamId = (await admin.must('mutation { createTeam(name: "Acme Red") { id } }')).createTeam.id;
  const other = await hw.admin('Other', 'admin@other.test');
  otherTeamId = (await other.must('mutation { createTeam(name: "Other Red") { id } }')).createTeam.id;
});
afterAll(async () => {
  await Promise.all([hw?.stop(), strict?.stop(), receiver?.close()]);
});

function b64(bytes: number): string {
  return randomBytes(bytes).toString('base64');
}

async function create(client: GraphQLClient, input: Record<string, unknown>) {
  return (await client.must(CREATE, { input })).createWebhook as { secret: string; webhook: any };
}

describe('createWebhook', () => {
  it('returns a whsec_ secret of 24..64 bytes and the documented defaults', async () => {
    const before = Date.now();
    const { secret, webhook } = await create(admin, { name: 'Defaults', url: receiver.url('/defaults') });
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+={0,2}$/);
    const bytes = Buffer.from(secret.slice('whsec_'.length), 'base64').length;
    expect(bytes).toBeGreaterThanOrEqual(24);
    expect(bytes).toBeLessThanOrEqual(64);
    expect(webhook).toMatchObject({
      name: 'Defaults',
      url: receiver.url('/defaults'),
      format: 'JSON',
      retryCount: 3,
      timeoutMs: 5000,
      enabled: true,
      disabledReason: null,
      events: ['issue.created', 'issue.updated'],
      teamId: null,
      severities: null,
      consecutiveFailures: 0,
      headers: [],
    });
    expect(webhook.id).toEqual(expect.any(String));
    expect(Date.parse(webhook.createdAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(webhook.createdAt).toMatch(/Z$/);
    // Reading it back gives the same webhook.
    expect((await admin.must(GET, { id: webhook.id })).webhook).toEqual(webhook);
  });

  it('a 100-character name is accepted (the limit is inclusive)', async () => {
    const { webhook } = await create(admin, { name: 'n'.repeat(100), url: receiver.url('/long-name') });
    expect(webhook.name).toBe('n'.repeat(100));
  });

  it('two webhooks get two different generated secrets', async () => {
    const a = await create(admin, { name: 'S1', url: receiver.url('/s1') });
    const b = await create(admin, { name: 'S2', url: receiver.url('/s2') });
    expect(a.secret).not.toBe(b.secret);
  });

  it('stores every given setting', async () => {
    const input = {
      name: 'Everything',
      url: receiver.url('/everything'),
      events: ['issue.*', 'issue.comment_added'],
      teamId,
      severities: ['CRITICAL', 'HIGH'],
      enabled: false,
      format: 'SLACK',
      retryCount: 0,
      timeoutMs: 30000,
      headers: [{ name: 'X-Tenant', value: 'tenant-0000001' }],
    };
    const { webhook } = await create(admin, input);
    expect(webhook).toMatchObject({ ...input, headers: [{ name: 'X-Tenant', valueMasked: expect.any(String) }] });
  });

  it.each([
    ['24 bytes', 24],
    ['32 bytes', 32],
    ['64 bytes', 64],
  ])('accepts a caller-chosen secret of %s and signs with it', async (_label, size) => {
    const chosen = `whsec_${b64(size)}`;
    const path = `/chosen-${size}`;
    const { secret, webhook } = await create(admin, { name: `Chosen ${size}`, url: receiver.url(path), secret: chosen });
    expect(secret).toBe(chosen);
    const { testWebhook } = await admin.must('mutation ($id: ID!) { testWebhook(id: $id) { id requestBody } }', { id: webhook.id });
    const [request] = await receiver.waitFor(path);
    const body = request.body.toString();
    expect(body).toBe(testWebhook.requestBody);
    expect(request.headers['x-hookwarden-signature']).toBe(createHmac('sha256', chosen).update(body).digest('hex'));
    const id = request.headers['webhook-id'] as string;
    const ts = request.headers['webhook-timestamp'] as string;
    const expected = createHmac('sha256', Buffer.from(chosen.slice(6), 'base64')).update(`${id}.${ts}.${body}`).digest('base64');
    expect(String(request.headers['webhook-signature']).split(' ')).toContain(`v1,${expected}`);
  });
});

describe('the secret is never readable again', () => {
  it('no field of Webhook (or anything reachable from a webhook query) exposes it', async () => {
    const { __type } = await admin.must('{ __type(name: "Webhook") { fields { name type { name kind ofType { name } } } } }');
    const names: string[] = __type.fields.map((f: any) => f.name);
    expect(names.length).toBeGreaterThan(10);
    expect(names.filter((n) => /secret/i.test(n))).toEqual([]);
    const header = await admin.must('{ __type(name: "WebhookHeader") { fields { name } } }');
    expect(header.__type.fields.map((f: any) => f.name).sort()).toEqual(['name', 'valueMasked']);
  });

  it('asking for webhook { secret } is a validation error, not an answer', async () => {
    const { webhook } = await create(admin, { name: 'Secretive', url: receiver.url('/secretive') });
    const result = await admin.query('query ($id: ID!) { webhook(id: $id) { id secret } }', { id: webhook.id });
    expect(result.errors?.length).toBeGreaterThan(0);
    expect(result.data).toBeNull();
  });

  it('neither the GraphQL answers nor the stored row carry the plaintext secret or header value', async () => {
    const headerValue = 'Splunk 0123456789-very-secret-token';
    const { secret, webhook } = await create(admin, {
      name: 'Stored',
      url: receiver.url('/stored'),
      headers: [{ name: 'Authorization', value: headerValue }],
    });
    const encoded = secret.slice('whsec_'.length);
    const read = await admin.query(`query ($id: ID!) { webhook(id: $id) { ${WEBHOOK_FIELDS} } webhooks(first: 100) { edges { node { ${WEBHOOK_FIELDS} } } } }`, {
      id: webhook.id,
    });
    const text = JSON.stringify(read);
    expect(text).not.toContain(encoded);
    expect(text).not.toContain('0123456789-very-secret-token');
    const row = await hw.service.app.db.prisma.webhook.findUniqueOrThrow({ where: { id: webhook.id } });
    expect(row.secret).not.toBe(secret);
    expect(row.secret).not.toContain(encoded);
    expect(row.headers ?? '').not.toContain('0123456789-very-secret-token');
    expect(JSON.stringify(row)).not.toContain(encoded);
    expect(JSON.stringify(row)).not.toContain('0123456789-very-secret-token');
  });
});

describe('updateWebhook is partial', () => {
  const comparable = (w: any) => {
    const { updatedAt: _u, ...rest } = w;
    return rest;
  };

  async function full() {
    return (
      await create(admin, {
        name: 'Partial',
        url: receiver.url('/partial'),
        events: ['issue.created', 'issue.status_changed'],
        teamId,
        severities: ['CRITICAL'],
        format: 'CEF',
        retryCount: 7,
        timeoutMs: 2500,
        headers: [
          { name: 'X-One', value: 'value-number-one' },
          { name: 'X-Two', value: 'value-number-two' },
        ],
      })
    ).webhook;
  }

  it('changing only the name changes nothing else', async () => {
    const original = await full();
    const updated = (await admin.must(UPDATE, { id: original.id, input: { name: 'Renamed' } })).updateWebhook;
    expect(comparable(updated)).toEqual({ ...comparable(original), name: 'Renamed' });
    expect((await admin.must(GET, { id: original.id })).webhook).toEqual(updated);
  });

  it.each([
    ['url', { url: 'https://hooks.example.com/new' }],
    ['events', { events: ['*'] }],
    ['format', { format: 'SYSLOG' }],
    ['retryCount', { retryCount: 10 }],
    ['timeoutMs', { timeoutMs: 1000 }],
    ['severities', { severities: ['LOW', 'MEDIUM'] }],
  ])('changing only %s changes only that field', async (_label, input) => {
    const original = await full();
    const updated = (await admin.must(UPDATE, { id: original.id, input })).updateWebhook;
    expect(comparable(updated)).toEqual({ ...comparable(original), ...input });
  });

  it('an empty input changes nothing', async () => {
    const original = await full();
    const updated = (await admin.must(UPDATE, { id: original.id, input: {} })).updateWebhook;
    expect(comparable(updated)).toEqual(comparable(original));
  });

  it('teamId: null clears the team filter and leaves the rest', async () => {
    const original = await full();
    const updated = (await admin.must(UPDATE, { id: original.id, input: { teamId: null } })).updateWebhook;
    expect(comparable(updated)).toEqual({ ...comparable(original), teamId: null });
  });

  it('severities: null clears the severity filter and leaves the rest', async () => {
    const original = await full();
    const updated = (await admin.must(UPDATE, { id: original.id, input: { severities: null } })).updateWebhook;
    expect(comparable(updated)).toEqual({ ...comparable(original), severities: null });
  });

  it('headers replace the whole list; [] and null remove them', async () => {
    const original = await full();
    expect(original.headers.map((h: any) => h.name)).toEqual(['X-One', 'X-Two']);
    const replaced = (await admin.must(UPDATE, { id: original.id, input: { headers: [{ name: 'X-Three', value: 'value-number-three' }] } })).updateWebhook;
    expect(replaced.headers.map((h: any) => h.name)).toEqual(['X-Three']);
    expect(comparable(replaced)).toEqual({ ...comparable(original), headers: replaced.headers });
    const emptied = (await admin.must(UPDATE, { id: original.id, input: { headers: [] } })).updateWebhook;
    expect(emptied.headers).toEqual([]);
    await admin.must(UPDATE, { id: original.id, input: { headers: [{ name: 'X-Four', value: 'value-number-four' }] } });
    const nulled = (await admin.must(UPDATE, { id: original.id, input: { headers: null } })).updateWebhook;
    expect(nulled.headers).toEqual([]);
  });

  it('replaced headers are what the receiver gets', async () => {
    const { webhook } = await create(admin, { name: 'Header swap', url: receiver.url('/header-swap'), headers: [{ name: 'X-Old', value: 'old-value-123' }] });
    await admin.must(UPDATE, { id: webhook.id, input: { headers: [{ name: 'X-New', value: 'new-value-456' }] } });
    await admin.must('mutation ($id: ID!) { testWebhook(id: $id) { id } }', { id: webhook.id });
    const [request] = await receiver.waitFor('/header-swap');
    expect(request.headers['x-new']).toBe('new-value-456');
    expect(request.headers['x-old']).toBeUndefined();
  });

  it('teamId can be set after creation', async () => {
    const { webhook } = await create(admin, { name: 'Later team', url: receiver.url('/later') });
    const updated = (await admin.must(UPDATE, { id: webhook.id, input: { teamId } })).updateWebhook;
    expect(comparable(updated)).toEqual({ ...comparable(webhook), teamId });
  });

  it('an unknown webhook id is NOT_FOUND', async () => {
    const result = await admin.query(UPDATE, { id: 'whk_doesnotexist', input: { name: 'x' } });
    expect(errorCode(result)).toBe('NOT_FOUND');
  });
});

// [label, input fields that make it invalid, the field the error must name]
const BAD_COMMON: Array<[string, Record<string, unknown>, string]> = [
  ['empty name', { name: '' }, 'name'],
  ['blank name', { name: '   ' }, 'name'],
  ['101-char name', { name: 'n'.repeat(101) }, 'name'],
  ['url "not a url"', { url: 'not a url' }, 'url'],
  ['url "ftp://x"', { url: 'ftp://x' }, 'url'],
  ['url with a javascript: scheme', { url: 'javascript:alert(1)' }, 'url'],
  ['events []', { events: [] }, 'events'],
  ['an unknown event', { events: ['issue.created', 'issue.exploded'] }, 'events'],
  ['retryCount -1', { retryCount: -1 }, 'retryCount'],
  ['retryCount 11', { retryCount: 11 }, 'retryCount'],
  ['timeoutMs 999', { timeoutMs: 999 }, 'timeoutMs'],
  ['timeoutMs 30001', { timeoutMs: 30001 }, 'timeoutMs'],
  ['header Host', { headers: [{ name: 'Host', value: 'evil.example' }] }, 'headers'],
  ['header Content-Length', { headers: [{ name: 'Content-Length', value: '1' }] }, 'headers'],
  ['header webhook-id', { headers: [{ name: 'webhook-id', value: 'evt_forged' }] }, 'headers'],
  ['header X-Hookwarden-Signature', { headers: [{ name: 'X-Hookwarden-Signature', value: 'abc' }] }, 'headers'],
  ['header value with a newline', { headers: [{ name: 'X-Ok', value: 'a\r\nX-Injected: 1' }] }, 'headers'],
  ['header value with a bare \\n', { headers: [{ name: 'X-Ok', value: 'a\nb' }] }, 'headers'],
];
const BAD_CREATE_ONLY: Array<[string, Record<string, unknown>, string]> = [
  ['a secret that is too short (16 bytes)', { secret: `whsec_${b64(16)}` }, 'secret'],
  ['a secret of 23 bytes', { secret: `whsec_${b64(23)}` }, 'secret'],
  ['a secret that is too long (65 bytes)', { secret: `whsec_${b64(65)}` }, 'secret'],
  ['a secret with the wrong prefix', { secret: `sk_live_${b64(32)}` }, 'secret'],
  ['a secret that is not base64', { secret: 'whsec_this is not base64 at all!!!!!!!!!!' }, 'secret'],
  ['an empty secret', { secret: '' }, 'secret'],
];

describe('createWebhook validation: BAD_USER_INPUT naming the field, nothing written', () => {
  it.each([...BAD_COMMON, ...BAD_CREATE_ONLY])('%s', async (_label, bad, field) => {
    const prisma = hw.service.app.db.prisma;
    const before = await prisma.webhook.count();
    const result = await admin.query(CREATE, { input: { name: 'Valid', url: receiver.url('/bad'), ...bad } });
    expect(errorCode(result)).toBe('BAD_USER_INPUT');
    expect(result.errors?.[0].extensions?.field).toContain(field);
    expect(result.data?.createWebhook ?? null).toBeNull();
    expect(await prisma.webhook.count()).toBe(before);
  });

  it("a teamId of another organization is BAD_USER_INPUT on teamId and nothing is written", async () => {
    const before = await hw.service.app.db.prisma.webhook.count();
    const result = await admin.query(CREATE, { input: { name: 'Valid', url: receiver.url('/bad'), teamId: otherTeamId } });
    expect(errorCode(result)).toBe('BAD_USER_INPUT');
    expect(result.errors?.[0].extensions?.field).toContain('teamId');
    expect(await hw.service.app.db.prisma.webhook.count()).toBe(before);
  });

  it('a teamId that does not exist at all is BAD_USER_INPUT on teamId', async () => {
    const result = await admin.query(CREATE, { input: { name: 'Valid', url: receiver.url('/bad'), teamId: 'team_nope' } });
    expect(errorCode(result)).toBe('BAD_USER_INPUT');
    expect(result.errors?.[0].extensions?.field).toContain('teamId');
  });

  it('the header errors point at the header (name or value)', async () => {
    const named = await admin.query(CREATE, { input: { name: 'V', url: receiver.url('/bad'), headers: [{ name: 'X-A', value: 'ok' }, { name: 'Host', value: 'x' }] } });
    expect(named.errors?.[0].extensions?.field).toMatch(/^headers(\[1\])?(\.name)?$/);
    const valued = await admin.query(CREATE, { input: { name: 'V', url: receiver.url('/bad'), headers: [{ name: 'X-A', value: 'line\nbreak' }] } });
    expect(valued.errors?.[0].extensions?.field).toMatch(/^headers(\[0\])?(\.value)?$/);
  });
});

describe('plain http targets when HOOKWARDEN_ALLOW_INSECURE_TARGETS=false', () => {
  it('createWebhook with an http URL is BAD_USER_INPUT on url and writes nothing; https is fine', async () => {
    const strictAdmin = await strict.admin('Strict', 'admin@strict.test');
    const prisma = strict.service.app.db.prisma;
    const result = await strictAdmin.query(CREATE, { input: { name: 'Plain', url: 'http://hooks.example.com/in' } });
    expect(errorCode(result)).toBe('BAD_USER_INPUT');
    expect(result.errors?.[0].extensions?.field).toBe('url');
    expect(await prisma.webhook.count()).toBe(0);
    const ok = await create(strictAdmin, { name: 'Secure', url: 'https://hooks.example.com/in' });
    expect(ok.webhook.url).toBe('https://hooks.example.com/in');
    expect(await prisma.webhook.count()).toBe(1);
  });

  it('updateWebhook to an http URL is BAD_USER_INPUT on url and changes nothing', async () => {
    const strictAdmin = await strict.admin('Strict', 'admin@strict.test');
    const { webhook } = await create(strictAdmin, { name: 'Secure 2', url: 'https://hooks.example.com/two' });
    const rowBefore = await strict.service.app.db.prisma.webhook.findUniqueOrThrow({ where: { id: webhook.id } });
    const result = await strictAdmin.query(UPDATE, { id: webhook.id, input: { url: 'http://hooks.example.com/two' } });
    expect(errorCode(result)).toBe('BAD_USER_INPUT');
    expect(result.errors?.[0].extensions?.field).toBe('url');
    expect(await strict.service.app.db.prisma.webhook.findUniqueOrThrow({ where: { id: webhook.id } })).toEqual(rowBefore);
  });
});

describe('updateWebhook validation: BAD_USER_INPUT naming the field, nothing changed', () => {
  let target: any;
  beforeAll(async () => {
    target = (await create(admin, { name: 'Update target', url: receiver.url('/update-target'), headers: [{ name: 'X-Keep', value: 'keep-this-value' }] })).webhook;
  });

  it.each([...BAD_COMMON, ['a teamId of another organization', { teamId: 'OTHER' }, 'teamId'] as [string, Record<string, unknown>, string]])(
    '%s',
    async (_label, bad, field) => {
      const input = 'teamId' in bad && bad.teamId === 'OTHER' ? { teamId: otherTeamId } : bad;
      const prisma = hw.service.app.db.prisma;
      const rowBefore = await prisma.webhook.findUniqueOrThrow({ where: { id: target.id } });
      const result = await admin.query(UPDATE, { id: target.id, input: { name: 'Changed name', ...input } });
      expect(errorCode(result)).toBe('BAD_USER_INPUT');
      expect(result.errors?.[0].extensions?.field).toContain(field);
      expect(result.data?.updateWebhook ?? null).toBeNull();
      expect(await prisma.webhook.findUniqueOrThrow({ where: { id: target.id } })).toEqual(rowBefore);
    },
  );

  it('UpdateWebhookInput has no secret field (rotation is its own mutation)', async () => {
    const result = await admin.query(UPDATE, { id: target.id, input: { secret: `whsec_${b64(32)}` } });
    expect(result.errors?.length).toBeGreaterThan(0);
    expect(result.data).toBeNull();
  });
});

describe('webhooks list: newest first, Relay cursors', () => {
  const LIST = `query ($first: Int, $after: String) { webhooks(first: $first, after: $after) {
    edges { cursor node { id name } } pageInfo { hasNextPage endCursor } } }`;

  it('25 webhooks: a default page of 20, then the other 5 via endCursor, no overlap, newest first', async () => {
    const pager = await hw.admin('Pager', 'admin@pager.test');
    const created: string[] = [];
    for (let i = 0; i < 25; i += 1) created.push((await create(pager, { name: `page-${i}`, url: receiver.url('/page') })).webhook.id);
    const newestFirst = [...created].reverse();

    const first = (await pager.must(LIST)).webhooks;
    expect(first.edges).toHaveLength(20);
    expect(first.pageInfo.hasNextPage).toBe(true);
    expect(first.edges.map((e: any) => e.node.id)).toEqual(newestFirst.slice(0, 20));
    expect(first.edges.map((e: any) => e.node.name)).toEqual(newestFirst.slice(0, 20).map((id) => `page-${created.indexOf(id)}`));
    expect(first.pageInfo.endCursor).toBe(first.edges[19].cursor);
    for (const edge of first.edges) expect(edge.cursor).toEqual(expect.any(String));

    const rest = (await pager.must(LIST, { after: first.pageInfo.endCursor })).webhooks;
    expect(rest.edges.map((e: any) => e.node.id)).toEqual(newestFirst.slice(20));
    expect(rest.pageInfo.hasNextPage).toBe(false);
    const all = [...first.edges, ...rest.edges].map((e: any) => e.node.id);
    expect(new Set(all).size).toBe(25);

    // Paging by an edge's own cursor continues right after that edge.
    const fromMiddle = (await pager.must(LIST, { first: 3, after: first.edges[4].cursor })).webhooks;
    expect(fromMiddle.edges.map((e: any) => e.node.id)).toEqual(newestFirst.slice(5, 8));
    expect(fromMiddle.pageInfo.hasNextPage).toBe(true);

    // Exactly one page's worth: no next page.
    const exact = (await pager.must(LIST, { first: 25 })).webhooks;
    expect(exact.edges).toHaveLength(25);
    expect(exact.pageInfo.hasNextPage).toBe(false);
    const big = (await pager.must(LIST, { first: 100 })).webhooks;
    expect(big.edges).toHaveLength(25);
  });

  it('an empty list has no next page and no end cursor', async () => {
    const empty = await hw.admin('Empty', 'admin@empty.test');
    const { webhooks } = await empty.must(LIST);
    expect(webhooks).toEqual({ edges: [], pageInfo: { hasNextPage: false, endCursor: null } });
  });

  it.each([[0], [101], [-1]])('first: %i is BAD_USER_INPUT on field first', async (first) => {
    const result = await admin.query(LIST, { first });
    expect(errorCode(result)).toBe('BAD_USER_INPUT');
    expect(result.errors?.[0].extensions?.field).toBe('first');
  });
});

describe('deleteWebhook', () => {
  it('returns the id; afterwards the webhook is gone but its deliveries stay readable', async () => {
    const deleter = await hw.admin('Deleter', 'admin@deleter.test');
    const { webhook } = await create(deleter, { name: 'Doomed', url: receiver.url('/doomed') });
    const { createIssue } = await deleter.must('mutation { createIssue(input: { pluginId: "p", severity: HIGH, weakness: "W" }) { id } }');
    const { deliveries } = await deleter.must('query ($id: ID) { deliveries(webhookId: $id) { edges { node { id webhookId eventType } } } }', { id: webhook.id });
    expect(deliveries.edges).toHaveLength(1);
    const deliveryId = deliveries.edges[0].node.id;
    expect(deliveries.edges[0].node.eventType).toBe('issue.created');

    const { deleteWebhook } = await deleter.must('mutation ($id: ID!) { deleteWebhook(id: $id) }', { id: webhook.id });
    expect(deleteWebhook).toBe(webhook.id);
    expect((await deleter.must(GET, { id: webhook.id })).webhook).toBeNull();
    const { webhooks } = await deleter.must('{ webhooks(first: 100) { edges { node { id } } } }');
    expect(webhooks.edges.map((e: any) => e.node.id)).not.toContain(webhook.id);

    const again = await deleter.query('mutation ($id: ID!) { deleteWebhook(id: $id) }', { id: webhook.id });
    expect(errorCode(again)).toBe('NOT_FOUND');
    const update = await deleter.query(UPDATE, { id: webhook.id, input: { name: 'Zombie' } });
    expect(errorCode(update)).toBe('NOT_FOUND');

    const { delivery } = await deleter.must('query ($id: ID!) { delivery(id: $id) { id webhookId eventType requestBody } }', { id: deliveryId });
    expect(delivery).toMatchObject({ id: deliveryId, webhookId: webhook.id, eventType: 'issue.created' });
    expect(JSON.parse(delivery.requestBody).data.issue.id).toBe(createIssue.id);

    // A deleted webhook receives no new events.
    await deleter.must('mutation { createIssue(input: { pluginId: "p2", severity: HIGH, weakness: "W" }) { id } }');
    const after = await deleter.must('query ($id: ID) { deliveries(webhookId: $id) { edges { node { id } } } }', { id: webhook.id });
    expect(after.deliveries.edges.map((e: any) => e.node.id)).toEqual([deliveryId]);
  });

  const DELIVERIES = 'query ($id: ID) { deliveries(webhookId: $id, first: 100) { edges { node { id status attemptCount nextAttemptAt } } } }';

  it.each([
    ['deleteWebhook', 'mutation ($id: ID!) { deleteWebhook(id: $id) }'],
    ['updateWebhook(enabled: false)', 'mutation ($id: ID!) { updateWebhook(id: $id, input: { enabled: false }) { id enabled } }'],
  ])('%s turns open (PENDING/RETRYING) deliveries CANCELLED and sends nothing more', async (label, doc) => {
    const org = await hw.admin(`Cancel ${label}`, 'admin@cancel.test');
    const path = `/cancel-${label.length}`;
    // Slow failures: eleven attempts take well over a second, so retries cannot run out before the cancel.
    receiver.script(path, [{ status: 503, delayMs: 150 }]);
    const { webhook } = await create(org, { name: 'Failing', url: receiver.url(path), retryCount: 10 });
    await org.must('mutation { createIssue(input: { pluginId: "p", severity: LOW, weakness: "W" }) { id } }');
    // Wait until it has failed at least once and is waiting for a retry.
    await receiver.waitFor(path, 1);
    const retrying = await org.must(DELIVERIES, { id: webhook.id });
    expect(retrying.deliveries.edges).toHaveLength(1);
    expect(['PENDING', 'RETRYING']).toContain(retrying.deliveries.edges[0].node.status);

    await org.must(doc, { id: webhook.id });
    const settled = async () => (await org.must(DELIVERIES, { id: webhook.id })).deliveries.edges[0].node;
    expect((await settled()).status).toBe('CANCELLED');
    await new Promise((resolve) => setTimeout(resolve, 400)); // an attempt in flight may still end
    const count = receiver.on(path).length;
    await new Promise((resolve) => setTimeout(resolve, 400)); // several retry periods (RETRY_MAX_MS is 100)
    expect(receiver.on(path).length).toBe(count);
    const final = await settled();
    expect(final.status).toBe('CANCELLED');
    expect(final.nextAttemptAt).toBeNull();
  });

  it('an unknown id is NOT_FOUND', async () => {
    const result = await admin.query('mutation { deleteWebhook(id: "whk_neverexisted") }');
    expect(errorCode(result)).toBe('NOT_FOUND');
  });
});

describe('custom headers come back only masked', () => {
  it('valueMasked never reveals the value, deliveries show it masked, the receiver gets the real value', async () => {
    const value = 'Splunk abcdef-0123-4567-token';
    const short = 'tiny1';
    const { webhook } = await create(admin, {
      name: 'Masked',
      url: receiver.url('/masked'),
      events: ['*'],
      headers: [
        { name: 'Authorization', value },
        { name: 'X-Short', value: short },
      ],
    });
    expect(webhook.headers).toHaveLength(2);
    const [auth, tiny] = webhook.headers;
    expect(auth.name).toBe('Authorization');
    expect(auth.valueMasked).not.toBe(value);
    expect(auth.valueMasked).not.toContain('abcdef-0123-4567');
    expect(auth.valueMasked.length).toBeLessThan(value.length);
    expect(auth.valueMasked).toMatch(/^Spl.*ken$/);
    expect(tiny.name).toBe('X-Short');
    expect(tiny.valueMasked).not.toContain(short);

    const read = (await admin.must(GET, { id: webhook.id })).webhook;
    expect(read.headers).toEqual(webhook.headers);

    const { testWebhook } = await admin.must('mutation ($id: ID!) { testWebhook(id: $id) { id requestHeaders } }', { id: webhook.id });
    const shown = JSON.stringify(testWebhook.requestHeaders);
    expect(shown).not.toContain('abcdef-0123-4567');
    expect(shown).not.toContain(short);
    const [request] = await receiver.waitFor('/masked');
    expect(request.headers.authorization).toBe(value);
    expect(request.headers['x-short']).toBe(short);
    // After the attempt, what the delivery shows is still masked.
    const { delivery } = await admin.must('query ($id: ID!) { delivery(id: $id) { requestHeaders attemptCount } }', { id: testWebhook.id });
    expect(JSON.stringify(delivery.requestHeaders)).not.toContain('abcdef-0123-4567');
    expect(JSON.stringify(delivery.requestHeaders)).not.toContain(short);
  });
});
