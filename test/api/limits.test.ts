// Hostile clients: deep or huge operations, oversized bodies, batches, and mutation rate limits.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_DEPTH, MAX_FIELDS } from '../../src/limits.ts';
import { MAX_BATCH, MAX_BODY_BYTES } from '../../src/server.ts';
import { errorCode } from '../support/graphql.ts';
import { startTestService, type TestService } from '../support/service.ts';

let hw: TestService;
let limited: TestService;
beforeAll(async () => {
  hw = await startTestService();
  limited = await startTestService({ HOOKWARDEN_RATE_LIMIT_MUTATIONS_PER_MINUTE: '5' });
});
afterAll(async () => {
  await hw?.stop();
  await limited?.stop();
});

const post = (url: string, token: string, body: string) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body });

describe('operation limits', () => {
  it(`refuses an operation nested deeper than ${MAX_DEPTH} levels, and answers the schema's deepest path`, async () => {
    const admin = await hw.admin();
    // Issue → comments → … is not recursive, so depth comes from __type introspection, which nests freely.
    const deep = (levels: number) => `{ __schema { types { ${'fields { type { '.repeat(levels)} name ${'} } '.repeat(levels)} } } }`;
    // The deepest path the schema itself has answers: webhooks → … → attempts is 8 levels.
    const deepest = await admin.query('{ webhooks { edges { node { deliveries { edges { node { attempts { number } } } } } } } }');
    expect(deepest.errors).toBeUndefined();
    const tooDeep = await admin.query(deep(MAX_DEPTH));
    expect(errorCode(tooDeep)).toBe('BAD_USER_INPUT');
    expect(tooDeep.errors?.[0].message).toMatch(/deeper than/);
  });

  it(`refuses an operation selecting more than ${MAX_FIELDS} fields, fragments included`, async () => {
    const admin = await hw.admin();
    const aliases = Array.from({ length: MAX_FIELDS + 1 }, (_, i) => `a${i}: __typename`).join(' ');
    const result = await admin.query(`{ ${aliases} }`);
    expect(errorCode(result)).toBe('BAD_USER_INPUT');
    const viaFragment = await admin.query(`query { ...F } fragment F on Query { ${aliases} }`);
    expect(errorCode(viaFragment)).toBe('BAD_USER_INPUT');
  });

  it('refuses a body over 1 MiB with HTTP 413 and writes nothing', async () => {
    const admin = await hw.admin();
    const weakness = 'x'.repeat(MAX_BODY_BYTES);
    const response = await post(hw.url, admin.token, JSON.stringify({ query: 'mutation ($w: String!) { createIssue(input: { pluginId: "p", severity: LOW, weakness: $w }) { id } }', variables: { w: weakness } }));
    expect(response.status).toBe(413);
    expect(await hw.service.app.db.prisma.issue.count()).toBe(0);
  });

  // No content-length: the body is counted as it is read.
  const postChunked = (url: string, token: string, body: string) =>
    new Promise<{ status: number; json: { data?: unknown; errors?: Array<{ message: string; extensions?: { code?: string } }> } }>((resolve, reject) => {
      const request = http.request(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } }, (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode!, json: JSON.parse(text) }));
      });
      request.on('error', reject);
      for (let at = 0; at < body.length; at += 64 * 1024) request.write(body.slice(at, at + 64 * 1024));
      request.end();
    });

  it('refuses a chunked body over 1 MiB with HTTP 413 and writes nothing, and answers a chunked body under it', async () => {
    const admin = await hw.admin('Chunked', 'ops@chunked.test');
    // A long comment makes the size; the weakness stays within its own limit.
    const create = (padding: number) =>
      JSON.stringify({ query: `# ${'x'.repeat(padding)}\nmutation { createIssue(input: { pluginId: "p", severity: LOW, weakness: "w" }) { id } }` });
    const before = await hw.service.app.db.prisma.issue.count();
    const over = await postChunked(hw.url, admin.token, create(MAX_BODY_BYTES));
    expect(over.status).toBe(413);
    expect(over.json.errors?.[0]).toMatchObject({ message: `request body over ${MAX_BODY_BYTES} bytes`, extensions: { code: 'BAD_USER_INPUT' } });
    expect(await hw.service.app.db.prisma.issue.count()).toBe(before);
    const under = await postChunked(hw.url, admin.token, create(MAX_BODY_BYTES - 1024));
    expect(under.status).toBe(200);
    expect(under.json.errors).toBeUndefined();
    expect(await hw.service.app.db.prisma.issue.count()).toBe(before + 1);
  });

  it(`answers a batch of ${MAX_BATCH} operations and refuses ${MAX_BATCH + 1}`, async () => {
    const admin = await hw.admin();
    const batch = (n: number) => JSON.stringify(Array.from({ length: n }, () => ({ query: '{ viewer { user { id } } }' })));
    const ok = await post(hw.url, admin.token, batch(MAX_BATCH));
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as unknown[]).length).toBe(MAX_BATCH);
    const tooMany = await post(hw.url, admin.token, batch(MAX_BATCH + 1));
    expect(tooMany.status).toBeGreaterThanOrEqual(400);
  });
});

describe('mutation rate limit (HOOKWARDEN_RATE_LIMIT_MUTATIONS_PER_MINUTE=5)', () => {
  it('answers RATE_LIMITED with a retryAfter once a token used its mutations, while queries still answer', async () => {
    const admin = await limited.admin('Limited', 'ops@limited.test');
    const create = () => admin.query('mutation { createTeam(name: "t' + Math.random() + '") { id } }');
    for (let i = 0; i < 5; i += 1) expect((await create()).errors).toBeUndefined();
    const refused = await create();
    expect(errorCode(refused)).toBe('RATE_LIMITED');
    expect(refused.errors?.[0].extensions).toMatchObject({ retryAfter: expect.any(Number) });
    expect(((refused.errors?.[0].extensions as { retryAfter: number }).retryAfter)).toBeGreaterThan(0);
    expect((await admin.query('{ viewer { user { id } } }')).errors).toBeUndefined();
    const other = await limited.admin('Other', 'ops@other.test');
    expect((await other.query('mutation { createTeam(name: "mine") { id } }')).errors).toBeUndefined();
  });

  it('is off by default', async () => {
    const admin = await hw.admin('Unlimited', 'ops@unlimited.test');
    for (let i = 0; i < 20; i += 1) expect((await admin.query(`mutation { createTeam(name: "t${i}") { id } }`)).errors).toBeUndefined();
  });
});
