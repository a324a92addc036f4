// Secrets at rest and in transit (issue 7, "Must hold" 2): a full scenario against the real service
// as a child process (`node --import tsx src/main.ts`, LOG_LEVEL=debug so every log line is kept),
// with the CLI's bootstrap for the first admin token. The scenario creates webhooks with a chosen
// and with a generated secret and with custom headers (Authorization: Splunk <value>), rotates
// secrets, sends test events, creates and updates issues, redelivers, fails against a 500
// receiver, listens over graphql-ws, and makes invalid requests (bad secret formats, bad header
// values, bad tokens). Every GraphQL response (HTTP bodies and headers, every WebSocket frame) and
// every line the service and the CLI wrote are kept. Then:
//
//   - no webhook secret (chosen, generated, rotated: old and new), no custom header value (current,
//     replaced or refused) and no API token appears in any log line;
//   - a secret or token appears in exactly one GraphQL response: the one that created it
//     (createWebhook.secret, rotateWebhookSecret.secret, createApiToken.token); header values and
//     refused values in none;
//   - the SQLite file (read directly, read-only) holds Webhook.secret, previousSecret and headers
//     encrypted, ApiToken.tokenHash is not the token, and no plaintext secret is anywhere in the file.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, killChildren, REPO, startChild, type Child } from '../support/processes.ts';
import { startReceiver, waitUntil, type Receiver } from '../support/receiver.ts';
import { tempDir } from '../support/service.ts';
import { bearer, codesOf, post, sleep, wsSubscribe, type RawResult, type WsCapture } from './support.ts';

let dir: string;
let dbFile: string;
let child: Child;
let receiver: Receiver;
let env: Record<string, string>;

/** Every response the scenario got, by label: HTTP status line, headers and body; WebSocket frames. */
const responses: Array<{ label: string; text: string }> = [];
/** What the CLI wrote on stderr (its log lines); its stdout is the token it created. */
let cliStderr = '';
const subscriptions: Array<{ label: string; capture: WsCapture }> = [];

/** A value that must not leak, and the one response allowed to show it (null: none). */
interface Sensitive {
  what: string;
  value: string;
  createdBy: string | null;
}
const sensitive: Sensitive[] = [];

/** The secret and the forms a careless log could print it in: without its prefix, and its key bytes as hex. */
function secretForms(what: string, secret: string, createdBy: string | null): Sensitive[] {
  const base64 = secret.slice('whsec_'.length);
  return [
    { what, value: secret, createdBy },
    { what: `${what} (base64 part)`, value: base64, createdBy },
    { what: `${what} (key as hex)`, value: Buffer.from(base64, 'base64').toString('hex'), createdBy: null },
  ];
}

function tokenForms(what: string, token: string, createdBy: string | null): Sensitive[] {
  return [
    { what, value: token, createdBy },
    { what: `${what} (without hw_)`, value: token.replace(/^hw_/, ''), createdBy },
  ];
}

const random = (bytes = 18) => randomBytes(bytes).toString('base64url');

async function gql(label: string, token: string | null, query: string, variables: Record<string, unknown> = {}): Promise<RawResult> {
  const result = await post(child.url, bearer(token), { query, variables });
  responses.push({ label, text: `HTTP ${result.status}\n${result.headerText}\n\n${result.text}` });
  return result;
}

/** gql, and the data, failing on any error. */
async function must(label: string, token: string | null, query: string, variables: Record<string, unknown> = {}): Promise<Record<string, any>> {
  const result = await gql(label, token, query, variables);
  if (!result.json?.data || result.json.errors?.length) throw new Error(`${label}: ${result.text}`);
  return result.json.data;
}

function listen(label: string, token: string | null, query: string, variables: Record<string, unknown> = {}): WsCapture {
  const capture = wsSubscribe(child.wsUrl, token ? { authorization: `Bearer ${token}` } : {}, query, variables);
  subscriptions.push({ label, capture });
  return capture;
}

/** `npm run cli -- bootstrap` as a child process, keeping its stderr (its log lines) as well. */
function cliBootstrap(org: string, email: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli.ts', 'bootstrap', '--org', org, '--email', email],
      { cwd: REPO, env: { ...cleanEnv(), ...env }, timeout: 30_000 },
      (error, stdout, stderr) => {
        cliStderr += stderr;
        if (error) return reject(new Error(`bootstrap failed: ${error.message}\n${stderr}`));
        const token = stdout.trim();
        if (!/^hw_\S+$/.test(token)) return reject(new Error(`bootstrap printed ${JSON.stringify(stdout)}`));
        resolve(token);
      },
    );
  });
}

const DELIVERY_FIELDS = `id webhookId eventId eventType status test attemptCount lastStatusCode requestHeaders requestBody
  attempts { number statusCode success error responseBody }`;
const WEBHOOK_FIELDS = 'id name url events enabled format headers { name valueMasked } consecutiveFailures';

const ids = { hookA: '', hookB: '', issue: '' };
const values = {
  chosenSecret: '',
  generatedSecret: '',
  rotatedA: '',
  rotatedB: '',
  splunkA: '',
  apiKeyA: '',
  splunkA2: '',
  splunkB: '',
  adminToken: '',
  memberToken: '',
  viewerToken: '',
};

beforeAll(async () => {
  dir = tempDir('hookwarden-secrets-');
  dbFile = path.join(dir, 'secrets.db');
  env = {
    DATABASE_URL: `file:${dbFile}`,
    HOOKWARDEN_KEY_FILE: path.join(dir, 'encryption.key'),
    HOOKWARDEN_ALLOW_INSECURE_TARGETS: 'true',
    HOOKWARDEN_RETRY_BASE_MS: '20',
    HOOKWARDEN_RETRY_MAX_MS: '100',
    HOOKWARDEN_POLL_INTERVAL_MS: '200',
    LOG_LEVEL: 'debug',
  };
  receiver = await startReceiver();
  receiver.script('/failing', [{ status: 500, body: 'receiver says no' }]);
  child = await startChild(env);

  // Tokens: the first admin from the CLI, a MEMBER and a VIEWER from createApiToken.
  values.adminToken = await cliBootstrap('Secrets Org', 'admin@secrets.test');
  sensitive.push(...tokenForms('the admin token (CLI)', values.adminToken, null));
  const admin = values.adminToken;
  for (const role of ['MEMBER', 'VIEWER'] as const) {
    const label = `createApiToken ${role}`;
    const data = await must(label, admin, 'mutation ($role: Role!) { createApiToken(name: "scenario", role: $role) { token user { id role } } }', { role });
    const token = data.createApiToken.token as string;
    if (role === 'MEMBER') values.memberToken = token;
    else values.viewerToken = token;
    sensitive.push(...tokenForms(`the ${role} token`, token, label));
  }

  // Live updates, for the admin (everything) and for a MEMBER (refused).
  const deliveriesLive = listen('ws deliveryUpdated (admin)', admin, `subscription { deliveryUpdated { ${DELIVERY_FIELDS} } }`);
  const webhooksLive = listen('ws webhookUpdated (admin)', admin, `subscription { webhookUpdated { ${WEBHOOK_FIELDS} } }`);
  listen('ws deliveryUpdated (member)', values.memberToken, `subscription { deliveryUpdated { id requestHeaders } }`);
  listen('ws webhookUpdated (bad token)', `hw_${random(32)}`, `subscription { webhookUpdated { id } }`);
  await Promise.all(subscriptions.map((s) => s.capture.settled));
  await sleep(300);

  await must('createEventType', admin, 'mutation { createEventType(name: "scan.completed", description: "A scan finished") { name } }');

  // Webhook A: a caller-chosen secret and two custom headers.
  values.chosenSecret = `whsec_${randomBytes(32).toString('base64')}`;
  values.splunkA = `Splunk ${random()}`;
  values.apiKeyA = `key-${random()}`;
  sensitive.push(...secretForms("webhook A's chosen secret", values.chosenSecret, 'createWebhook A'));
  sensitive.push({ what: "webhook A's Authorization header value", value: values.splunkA, createdBy: null });
  sensitive.push({ what: "webhook A's Authorization token", value: values.splunkA.slice('Splunk '.length), createdBy: null });
  sensitive.push({ what: "webhook A's X-Api-Key value", value: values.apiKeyA, createdBy: null });
  const a = await must('createWebhook A', admin, `mutation ($input: CreateWebhookInput!) { createWebhook(input: $input) { secret webhook { ${WEBHOOK_FIELDS} } } }`, {
    input: {
      name: 'Splunk A',
      url: receiver.url('/ok'),
      events: ['*'],
      format: 'SPLUNK_HEC',
      secret: values.chosenSecret,
      headers: [
        { name: 'Authorization', value: values.splunkA },
        { name: 'X-Api-Key', value: values.apiKeyA },
      ],
    },
  });
  ids.hookA = a.createWebhook.webhook.id;
  expect(a.createWebhook.secret).toBe(values.chosenSecret);

  // Webhook B: a generated secret, a header, and a receiver that always answers 500.
  values.splunkB = `Splunk ${random()}`;
  sensitive.push({ what: "webhook B's Authorization header value", value: values.splunkB, createdBy: null });
  const b = await must('createWebhook B', admin, `mutation ($input: CreateWebhookInput!) { createWebhook(input: $input) { secret webhook { ${WEBHOOK_FIELDS} } } }`, {
    input: { name: 'Failing B', url: receiver.url('/failing'), events: ['*'], retryCount: 1, headers: [{ name: 'Authorization', value: values.splunkB }] },
  });
  ids.hookB = b.createWebhook.webhook.id;
  values.generatedSecret = b.createWebhook.secret;
  expect(values.generatedSecret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
  sensitive.push(...secretForms("webhook B's generated secret", values.generatedSecret, 'createWebhook B'));

  // Work: issues (as the MEMBER), a custom event, test events.
  const member = values.memberToken;
  ids.issue = (await must('createIssue', member, 'mutation { createIssue(input: { pluginId: "sqli", severity: CRITICAL, weakness: "SQL Injection", targetId: "https://app.example" }) { id } }')).createIssue.id;
  await must('updateIssue', member, 'mutation ($id: ID!) { updateIssue(id: $id, input: { status: FIXED }) { id status } }', { id: ids.issue });
  await must('addIssueComment', member, 'mutation ($id: ID!) { addIssueComment(issueId: $id, body: "fixed in 1.2.3") { id } }', { id: ids.issue });
  await must('publishEvent', member, 'mutation { publishEvent(input: { type: "scan.completed", data: { findings: 3 } }) { id } }');
  await must('testWebhook A', admin, 'mutation ($id: ID!) { testWebhook(id: $id) { id status requestHeaders } }', { id: ids.hookA });
  await must('testWebhook B', admin, 'mutation ($id: ID!) { testWebhook(id: $id) { id status requestHeaders } }', { id: ids.hookB });

  // Rotations: the old secret keeps signing during the overlap; the new one is shown once.
  const rotateA = await must('rotateWebhookSecret A', admin, `mutation ($id: ID!) { rotateWebhookSecret(id: $id, overlapSeconds: 3600) { secret oldSecretExpiresAt webhook { ${WEBHOOK_FIELDS} } } }`, {
    id: ids.hookA,
  });
  values.rotatedA = rotateA.rotateWebhookSecret.secret;
  sensitive.push(...secretForms("webhook A's rotated secret", values.rotatedA, 'rotateWebhookSecret A'));
  const rotateB = await must('rotateWebhookSecret B', admin, 'mutation ($id: ID!) { rotateWebhookSecret(id: $id) { secret webhook { id } } }', { id: ids.hookB });
  values.rotatedB = rotateB.rotateWebhookSecret.secret;
  sensitive.push(...secretForms("webhook B's rotated secret", values.rotatedB, 'rotateWebhookSecret B'));

  // New header values for A: the old ones are gone, the new one is as secret.
  values.splunkA2 = `Splunk ${random()}`;
  sensitive.push({ what: "webhook A's replaced Authorization header value", value: values.splunkA2, createdBy: null });
  await must('updateWebhook A headers', admin, `mutation ($id: ID!, $h: [WebhookHeaderInput!]) { updateWebhook(id: $id, input: { headers: $h }) { ${WEBHOOK_FIELDS} } }`, {
    id: ids.hookA,
    h: [{ name: 'Authorization', value: values.splunkA2 }],
  });
  await must('testWebhook A after rotation', admin, 'mutation ($id: ID!) { testWebhook(id: $id) { id } }', { id: ids.hookA });
  await must('updateIssue again', member, 'mutation ($id: ID!) { updateIssue(id: $id, input: { severity: LOW }) { id } }', { id: ids.issue });

  // Invalid requests: bad secret formats, bad header values, bad tokens, bad ids.
  const refusedSecrets = [
    `whsec_${randomBytes(8).toString('base64')}`,
    `whsec_${randomBytes(65).toString('base64')}`,
    randomBytes(32).toString('base64'),
    `whsec_${random(30)}!`,
    `secret-${random()}`,
  ];
  for (const [i, secret] of refusedSecrets.entries()) {
    sensitive.push({ what: `refused secret #${i}`, value: secret, createdBy: null });
    const result = await gql(`createWebhook with bad secret #${i}`, admin, 'mutation ($input: CreateWebhookInput!) { createWebhook(input: $input) { secret } }', {
      input: { name: 'bad', url: receiver.url('/ok'), secret },
    });
    expect(codesOf(result.json)).toEqual(['BAD_USER_INPUT']);
  }
  const refusedHeader = `Splunk ${random()}`;
  sensitive.push({ what: 'a refused header value', value: refusedHeader, createdBy: null });
  for (const [i, value] of [`${refusedHeader}\r\nX-Injected: 1`, `${refusedHeader}\u0000`, `${refusedHeader}${'x'.repeat(5000)}`].entries()) {
    const result = await gql(`createWebhook with bad header value #${i}`, admin, 'mutation ($input: CreateWebhookInput!) { createWebhook(input: $input) { secret } }', {
      input: { name: 'bad', url: receiver.url('/ok'), headers: [{ name: 'Authorization', value }] },
    });
    expect(codesOf(result.json)).toEqual(['BAD_USER_INPUT']);
  }
  for (const [i, token] of [`hw_${random(32)}`, random(32), `${values.memberToken}x`].entries()) {
    sensitive.push({ what: `a refused token #${i}`, value: token, createdBy: null });
    const result = await gql(`a request with a bad token #${i}`, token, '{ viewer { user { id } } }');
    expect(codesOf(result.json)).toEqual(['UNAUTHENTICATED']);
  }
  // Refused on the way in: a secret and a header value of the wrong GraphQL type, and a webhook
  // whose name the database cannot store (a lone surrogate) carrying a secret and a header value.
  const wrongTypedSecret = `whsec_${randomBytes(32).toString('base64')}`;
  const wrongTypedHeader = `Splunk ${random()}`;
  const unstorableSecret = `whsec_${randomBytes(32).toString('base64')}`;
  const unstorableHeader = `Splunk ${random()}`;
  sensitive.push(...secretForms('a secret sent as an object', wrongTypedSecret, null));
  sensitive.push({ what: 'a header value sent as a list', value: wrongTypedHeader, createdBy: null });
  sensitive.push(...secretForms('the secret of a webhook that could not be stored', unstorableSecret, null));
  sensitive.push({ what: 'the header value of a webhook that could not be stored', value: unstorableHeader, createdBy: null });
  const createBad = 'mutation ($input: CreateWebhookInput!) { createWebhook(input: $input) { secret } }';
  await gql('createWebhook with a wrong-typed secret', admin, createBad, { input: { name: 'bad', url: receiver.url('/ok'), secret: { value: wrongTypedSecret } } });
  await gql('createWebhook with a wrong-typed header value', admin, createBad, {
    input: { name: 'bad', url: receiver.url('/ok'), headers: [{ name: 'Authorization', value: [wrongTypedHeader] }] },
  });
  await gql('createWebhook that cannot be stored', admin, createBad, {
    input: { name: 'lone \ud800 surrogate', url: receiver.url('/ok'), secret: unstorableSecret, headers: [{ name: 'Authorization', value: unstorableHeader }] },
  });
  await gql('rotate with a bad overlap', admin, 'mutation ($id: ID!) { rotateWebhookSecret(id: $id, overlapSeconds: -5) { secret } }', { id: ids.hookA });
  await gql('createApiToken as a MEMBER', member, 'mutation { createApiToken(name: "escalate", role: ADMIN) { token } }');
  await gql('rotate as a VIEWER', values.viewerToken, 'mutation ($id: ID!) { rotateWebhookSecret(id: $id) { secret } }', { id: ids.hookA });
  await gql('a syntax error', admin, '{ webhook(id: ');
  await gql('an unknown field', admin, '{ webhook(id: "x") { secret previousSecret } }');

  // Wait until A got everything and B's deliveries failed, then redeliver one of each.
  await waitUntil(async () => {
    const data = await must('poll deliveries', admin, `{ deliveries(first: 100) { edges { node { id webhookId status } } } }`);
    const nodes = data.deliveries.edges.map((e: any) => e.node);
    return nodes.length >= 13 && nodes.every((n: any) => n.status === 'SUCCEEDED' || n.status === 'FAILED') ? nodes : null;
  }, 'every delivery to be final', 15_000);
  const all = (await must('deliveries before redeliver', admin, `{ deliveries(first: 100) { edges { node { id webhookId status } } } }`)).deliveries.edges.map((e: any) => e.node);
  const failedB = all.find((d: any) => d.webhookId === ids.hookB && d.status === 'FAILED');
  const doneA = all.find((d: any) => d.webhookId === ids.hookA && d.status === 'SUCCEEDED');
  expect(failedB).toBeDefined();
  expect(doneA).toBeDefined();
  await must('redeliver A', admin, `mutation ($id: ID!) { redeliver(deliveryId: $id) { ${DELIVERY_FIELDS} } }`, { id: doneA.id });
  await must('redeliver B', admin, `mutation ($id: ID!) { redeliver(deliveryId: $id) { ${DELIVERY_FIELDS} } }`, { id: failedB.id });
  await must('retryFailedDeliveries B', admin, 'mutation ($id: ID!, $s: DateTime!) { retryFailedDeliveries(webhookId: $id, since: $s) { queued } }', {
    id: ids.hookB,
    s: new Date(Date.now() - 60 * 60 * 1000).toISOString(),
  });
  await receiver.waitFor('/ok', 1, 10_000, (r) => r.headers.authorization === values.splunkA2);

  // Everything an admin, a MEMBER and a VIEWER can read.
  const reads = `query ($a: ID!, $b: ID!) {
    viewer { user { id name email role } organization { id name } teams { id } }
    webhooks(first: 100) { edges { node { ${WEBHOOK_FIELDS} } } }
    a: webhook(id: $a) { ${WEBHOOK_FIELDS} }
    b: webhook(id: $b) { ${WEBHOOK_FIELDS} }
    issues { edges { node { id history { changes } comments { body } } } }
  }`;
  const adminReads = `query ($a: ID!, $d: ID!) {
    deliveries(first: 100) { edges { node { ${DELIVERY_FIELDS} } } }
    delivery(id: $d) { ${DELIVERY_FIELDS} }
    deliveryLog(first: 100) { edges { node { ${DELIVERY_FIELDS} } } }
    webhookAuditLog(first: 100) { edges { node { action changes userId webhookId } } }
    a: webhook(id: $a) { deliveries(first: 100) { edges { node { ${DELIVERY_FIELDS} } } } health { attempts successRate } }
  }`;
  for (const [who, token] of [
    ['admin', admin],
    ['member', member],
    ['viewer', values.viewerToken],
  ] as const) {
    await gql(`reads as ${who}`, token, reads, { a: ids.hookA, b: ids.hookB });
    await gql(`admin reads as ${who}`, token, adminReads, { a: ids.hookA, d: failedB.id });
  }

  // A probe, which the service logs at debug level.
  expect((await fetch(new URL('/healthz', child.url))).status).toBe(200);

  // Let the redeliveries finish, close the subscriptions, stop the service (its last log lines too).
  await sleep(500);
  expect(deliveriesLive.nexts.length, 'the admin heard deliveries over graphql-ws').toBeGreaterThan(0);
  expect(webhooksLive.nexts.length, 'the admin heard webhook changes over graphql-ws').toBeGreaterThan(0);
  for (const { label, capture } of subscriptions) {
    await capture.close().catch(() => {});
    responses.push({ label, text: capture.raw.join('\n') });
  }
  child.process.kill('SIGTERM');
  await child.exited;
}, 60_000);

afterAll(async () => {
  killChildren();
  await receiver?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** Every line the service (stdout and stderr) and the CLI (stderr) wrote. */
const logs = () => `${child.output.join('')}\n${cliStderr}`;

describe('the scenario itself', () => {
  it('ran: secrets signed, custom headers were sent, the 500 receiver failed, and the service logged at debug', () => {
    const received = receiver.on('/ok');
    expect(received.some((r) => r.headers.authorization === values.splunkA && r.headers['x-api-key'] === values.apiKeyA)).toBe(true);
    expect(received.some((r) => r.headers.authorization === values.splunkA2)).toBe(true);
    expect(received.every((r) => typeof r.headers['webhook-signature'] === 'string')).toBe(true);
    // During the overlap, a delivery of A is signed with the new and the old secret.
    expect(received.some((r) => String(r.headers['webhook-signature']).split(' ').length >= 2)).toBe(true);
    expect(receiver.on('/failing').some((r) => r.headers.authorization === values.splunkB)).toBe(true);
    expect(responses.length).toBeGreaterThan(40);
    expect(logs()).toContain('"level":20'); // debug lines are there
    expect(logs()).toContain('"msg":"request"');
  });

  it('every value that must not leak is distinct and long enough to be found', () => {
    for (const s of sensitive) expect(s.value.length, s.what).toBeGreaterThanOrEqual(16);
    expect(new Set(sensitive.map((s) => s.value)).size).toBe(sensitive.length);
  });
});

describe('logs', () => {
  const refused = (s: Sensitive) => /refused|sent as|could not be stored/.test(s.what);

  it('hold no webhook secret, custom header value or API token (old, new, rotated, replaced)', () => {
    const text = logs();
    const leaked = sensitive.filter((s) => !refused(s) && text.includes(s.value)).map((s) => s.what);
    expect(leaked).toEqual([]);
  });

  it('hold no secret, header value or token that was refused, whatever the reason (bad format, wrong GraphQL type, unstorable)', () => {
    const text = logs();
    const leaked = sensitive.filter((s) => refused(s) && text.includes(s.value)).map((s) => s.what);
    expect(leaked).toEqual([]);
  });

  it('hold no Authorization header or connectionParams at all', () => {
    const text = logs();
    expect(text).not.toMatch(/Bearer hw_/);
    expect(text).not.toMatch(/"authorization":"(?!\[redacted\])/i);
  });
});

describe('GraphQL responses (HTTP and WebSocket)', () => {
  it('show a secret or token only in the one response that created it', () => {
    const wrong: string[] = [];
    for (const s of sensitive) {
      const shownIn = responses.filter((r) => r.text.includes(s.value)).map((r) => r.label);
      const expected = s.createdBy ? [s.createdBy] : [];
      if (JSON.stringify(shownIn) !== JSON.stringify(expected)) wrong.push(`${s.what}: shown in ${JSON.stringify(shownIn)}, expected ${JSON.stringify(expected)}`);
    }
    expect(wrong).toEqual([]);
  });

  it('never show a header value, only its mask', () => {
    const masks = responses.filter((r) => r.text.includes('valueMasked'));
    expect(masks.length).toBeGreaterThan(0);
    for (const value of [values.splunkA, values.splunkA2, values.splunkB, values.apiKeyA]) {
      expect(responses.filter((r) => r.text.includes(value)).map((r) => r.label)).toEqual([]);
    }
  });

  it('error messages of refused requests do not repeat what was refused', () => {
    const refused = responses.filter((r) => /^(createWebhook with bad (secret|header)|a request with a bad token)/.test(r.label));
    expect(refused.length).toBe(11);
    for (const r of refused) for (const s of sensitive) expect(r.text, `${r.label} / ${s.what}`).not.toContain(s.value);
  });
});

describe('the SQLite file, read directly', () => {
  function rows<T>(sql: string): T[] {
    const db = new Database(dbFile, { readonly: true, fileMustExist: true });
    try {
      return db.prepare(sql).all() as T[];
    } finally {
      db.close();
    }
  }

  it('Webhook.secret, previousSecret and headers are ciphertext, never the plaintext', () => {
    const hooks = rows<{ id: string; secret: string; previousSecret: string | null; headers: string | null; headerMasks: string | null }>(
      'SELECT id, secret, previousSecret, headers, headerMasks FROM "Webhook"',
    );
    expect(hooks.map((h) => h.id).sort()).toEqual([ids.hookA, ids.hookB].sort());
    const plaintexts = sensitive.map((s) => s.value);
    for (const hook of hooks) {
      expect(hook.previousSecret, 'rotated, so the old secret is kept, encrypted').not.toBeNull();
      expect(hook.headers).not.toBeNull();
      for (const column of ['secret', 'previousSecret', 'headers'] as const) {
        const stored = hook[column]!;
        expect(stored.startsWith('whsec_'), `${hook.id}.${column}`).toBe(false);
        expect(stored).not.toMatch(/Splunk|Authorization/);
        for (const value of plaintexts) expect(stored, `${hook.id}.${column}`).not.toContain(value);
      }
      for (const value of plaintexts) expect(hook.headerMasks ?? '', `${hook.id}.headerMasks`).not.toContain(value);
    }
  });

  it('ApiToken.tokenHash is not the token', () => {
    const tokens = rows<{ tokenHash: string }>('SELECT tokenHash FROM "ApiToken"');
    expect(tokens.length).toBe(3);
    for (const { tokenHash } of tokens) {
      for (const token of [values.adminToken, values.memberToken, values.viewerToken]) {
        expect(tokenHash).not.toBe(token);
        expect(tokenHash).not.toContain(token);
        expect(tokenHash).not.toContain(token.replace(/^hw_/, ''));
      }
    }
  });

  it('no secret, header value or token is anywhere in the database files, in any column or page', () => {
    const files = [dbFile, `${dbFile}-wal`, `${dbFile}-journal`].filter((file) => fs.existsSync(file));
    const bytes = Buffer.concat(files.map((file) => fs.readFileSync(file)));
    const found = sensitive.filter((s) => bytes.includes(Buffer.from(s.value, 'utf8'))).map((s) => s.what);
    expect(found).toEqual([]);
  });
});
