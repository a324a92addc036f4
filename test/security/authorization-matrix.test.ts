// The authorization matrix, generated from the schema itself (issue 7, "Must hold" 3): every Query,
// Mutation and Subscription field, and every field of an object type that is a connection or is
// admin-only, called as anonymous, VIEWER, MEMBER and ADMIN of one organization (Acme) and as the
// ADMIN of another organization (Other), against Acme's fixtures: a webhook with a delivery, an
// issue, a team and a custom event type. The expected outcome of every (field, caller) pair is
// written out in EXPECTED below, derived from the contract (../shared/contract/api.graphql):
//
//   - every field of Query, Mutation and Subscription needs a token;
//   - ADMIN manages webhooks, tokens, teams and event types and alone sees delivery data
//     (deliveries, delivery, the delivery log and stats, Webhook.deliveries and Webhook.health)
//     and a webhook's url and headers (null for the others);
//   - MEMBER changes issues and publishes events; VIEWER reads;
//   - another organization's ids answer exactly like ids that do not exist: null from queries,
//     NOT_FOUND from mutations (BAD_USER_INPUT on the field when the id is an input field such as
//     teamId), nothing from subscriptions, never FORBIDDEN.
//
// A field of the schema without a row in EXPECTED and CALLS fails the coverage test.
import { GraphQLObjectType, getNamedType, type GraphQLField } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '../../src/schema/index.ts';
import type { GraphQLClient } from '../support/graphql.ts';
import { startReceiver, waitUntil, type Receiver } from '../support/receiver.ts';
import { startTestService, type TestService } from '../support/service.ts';
import { at, bearer, codesOf, fingerprint, post, sleep, unexplainedChanges, wsSubscribe, type RawResult, type WsCapture } from './support.ts';

const CALLERS = ['anonymous', 'VIEWER', 'MEMBER', 'ADMIN', 'OTHER_ADMIN'] as const;
type Caller = (typeof CALLERS)[number];

/**
 * data: no error, the value is there (for Acme's callers it shows Acme's fixture; for Other's it
 *       shows none of Acme's rows)
 * null: no error, the value is null
 * nothing: a subscription that is accepted but hears nothing of Acme
 * an error code: exactly that error, and the value is null
 */
type Outcome = 'data' | 'null' | 'nothing' | 'FORBIDDEN' | 'UNAUTHENTICATED' | 'NOT_FOUND' | 'BAD_USER_INPUT';

const U = 'UNAUTHENTICATED';
const F = 'FORBIDDEN';
const NF = 'NOT_FOUND';
const BAD = 'BAD_USER_INPUT';

//                                  anonymous  VIEWER   MEMBER   ADMIN    OTHER_ADMIN
const EXPECTED: Record<string, [Outcome, Outcome, Outcome, Outcome, Outcome]> = {
  // Queries
  'Query.viewer':                   [U,        'data',  'data',  'data',  'data'],
  'Query.webhooks':                 [U,        'data',  'data',  'data',  'data'],
  'Query.webhook':                  [U,        'data',  'data',  'data',  'null'],
  'Query.webhookEventTypes':        [U,        'data',  'data',  'data',  'data'],
  'Query.deliveries':               [U,        F,       F,       'data',  'data'],
  'Query.delivery':                 [U,        F,       F,       'data',  'null'],
  'Query.deliveryLog':              [U,        F,       F,       'data',  'data'],
  'Query.deliveryStats':            [U,        F,       F,       'data',  'data'],
  'Query.issues':                   [U,        'data',  'data',  'data',  'data'],
  'Query.issue':                    [U,        'data',  'data',  'data',  'null'],
  'Query.webhookAuditLog':          [U,        F,       F,       'data',  'data'],
  // Admin-only and connection fields of object types (reached through webhook(id: Acme's))
  'Webhook.url':                    [U,        'null',  'null',  'data',  'null'],
  'Webhook.headers':                [U,        'null',  'null',  'data',  'null'],
  'Webhook.deliveries':             [U,        F,       F,       'data',  'null'],
  'Webhook.health':                 [U,        F,       F,       'data',  'null'],
  // Mutations
  'Mutation.createWebhook':         [U,        F,       F,       'data',  BAD],
  'Mutation.updateWebhook':         [U,        F,       F,       'data',  NF],
  'Mutation.rotateWebhookSecret':   [U,        F,       F,       'data',  NF],
  'Mutation.testWebhook':           [U,        F,       F,       'data',  NF],
  'Mutation.redeliver':             [U,        F,       F,       'data',  NF],
  'Mutation.retryFailedDeliveries': [U,        F,       F,       'data',  NF],
  'Mutation.createEventType':       [U,        F,       F,       'data',  'data'],
  'Mutation.publishEvent':          [U,        F,       'data',  'data',  BAD],
  'Mutation.createIssue':           [U,        F,       'data',  'data',  BAD],
  'Mutation.updateIssue':           [U,        F,       'data',  'data',  NF],
  'Mutation.addIssueComment':       [U,        F,       'data',  'data',  NF],
  'Mutation.createApiToken':        [U,        F,       F,       'data',  'data'],
  'Mutation.createTeam':            [U,        F,       F,       'data',  'data'],
  'Mutation.deleteWebhook':         [U,        F,       F,       'data',  NF],
  // Subscriptions
  'Subscription.deliveryUpdated':   [U,        F,       F,       'data',  'nothing'],
  'Subscription.webhookUpdated':    [U,        F,       F,       'data',  'nothing'],
};

const expected = (key: string, caller: Caller): Outcome => EXPECTED[key][CALLERS.indexOf(caller)];

// ---------------------------------------------------------------------------------------------
// Fixtures

interface Fixtures {
  orgId: string;
  teamId: string;
  webhookId: string;
  /** deleteWebhook's own webhook, so that deleting it breaks no other row of the matrix. */
  doomedWebhookId: string;
  issueId: string;
  deliveryId: string;
  eventId: string;
  eventType: string;
}

let hw: TestService;
let receiver: Receiver;
let acmeAdmin: GraphQLClient & { token: string };
const tokens: Record<Caller, string | null> = { anonymous: null, VIEWER: null, MEMBER: null, ADMIN: null, OTHER_ADMIN: null };
const fx: Fixtures = { orgId: '', teamId: '', webhookId: '', doomedWebhookId: '', issueId: '', deliveryId: '', eventId: '', eventType: 'scan.completed' };
const SECRET_HEADER_VALUE = 'Splunk matrix-header-value-0123456789';

beforeAll(async () => {
  [hw, receiver] = await Promise.all([startTestService(), startReceiver()]);
  acmeAdmin = await hw.admin('Matrix Acme', 'admin@matrix-acme.test');
  tokens.ADMIN = acmeAdmin.token;
  for (const role of ['MEMBER', 'VIEWER'] as const) {
    const { createApiToken } = await acmeAdmin.must('mutation ($role: Role!) { createApiToken(name: "matrix", role: $role) { token } }', { role });
    tokens[role] = createApiToken.token;
  }
  fx.orgId = (await acmeAdmin.must('{ viewer { organization { id } } }')).viewer.organization.id;
  fx.teamId = (await acmeAdmin.must('mutation { createTeam(name: "Matrix Blue") { id } }')).createTeam.id;
  await acmeAdmin.must('mutation ($n: String!) { createEventType(name: $n, description: "A scan finished") { name } }', { n: fx.eventType });
  const hook = `mutation ($input: CreateWebhookInput!) { createWebhook(input: $input) { webhook { id } } }`;
  fx.webhookId = (
    await acmeAdmin.must(hook, {
      input: { name: 'Matrix hook', url: receiver.url('/acme'), events: ['*'], headers: [{ name: 'Authorization', value: SECRET_HEADER_VALUE }] },
    })
  ).createWebhook.webhook.id;
  fx.doomedWebhookId = (await acmeAdmin.must(hook, { input: { name: 'Doomed hook', url: receiver.url('/doomed'), events: ['scan.completed'] } })).createWebhook
    .webhook.id;
  fx.issueId = (
    await acmeAdmin.must('mutation ($t: ID) { createIssue(input: { pluginId: "xss", severity: HIGH, weakness: "XSS", teamId: $t }) { id } }', { t: fx.teamId })
  ).createIssue.id;
  const { deliveries } = await acmeAdmin.must('query ($w: ID) { deliveries(webhookId: $w) { edges { node { id eventId } } } }', { w: fx.webhookId });
  expect(deliveries.edges).toHaveLength(1);
  fx.deliveryId = deliveries.edges[0].node.id;
  fx.eventId = deliveries.edges[0].node.eventId;
  await receiver.waitFor('/acme', 1);

  // Another organization with rows of its own, so that its lists are not trivially empty.
  const other = await hw.admin('Matrix Other', 'admin@matrix-other.test');
  tokens.OTHER_ADMIN = other.token;
  await other.must('mutation ($url: String!) { createWebhook(input: { name: "Other hook", url: $url, events: ["*"] }) { webhook { id } } }', {
    url: receiver.url('/other'),
  });
  await other.must('mutation { createIssue(input: { pluginId: "sqli", severity: LOW, weakness: "SQLi" }) { id } }');
  await receiver.waitFor('/other', 1);
}, 60_000);

afterAll(async () => {
  await Promise.all([hw?.stop(), receiver?.close()]);
});

/** Every Acme id of the fixtures: none may show in what Other is answered. */
function acmeIds(): string[] {
  return [fx.orgId, fx.teamId, fx.webhookId, fx.doomedWebhookId, fx.issueId, fx.deliveryId, fx.eventId];
}

const sinceAnHourAgo = () => new Date(Date.now() - 60 * 60 * 1000).toISOString();
const callerName = (caller: Caller) => caller.toLowerCase();

// ---------------------------------------------------------------------------------------------
// How each field is called. `path` is where its value is in `data`; `shows` is the Acme id an
// Acme caller's `data` must contain.

interface Call {
  doc: string;
  vars?: (caller: Caller) => Record<string, unknown>;
  path: string[];
  shows?: () => string;
}

const WEBHOOK = (selection: string) => `query ($id: ID!) { webhook(id: $id) { id ${selection} } }`;

const CALLS: Record<string, Call> = {
  'Query.viewer': { doc: '{ viewer { user { id role } organization { id name } teams { id name } } }', path: ['viewer'] },
  'Query.webhooks': { doc: '{ webhooks(first: 100) { edges { node { id name } } } }', path: ['webhooks'], shows: () => fx.webhookId },
  'Query.webhook': { doc: WEBHOOK('name'), vars: () => ({ id: fx.webhookId }), path: ['webhook'], shows: () => fx.webhookId },
  'Query.webhookEventTypes': { doc: '{ webhookEventTypes { name builtIn } }', path: ['webhookEventTypes'], shows: () => fx.eventType },
  'Query.deliveries': {
    doc: 'query ($w: ID) { deliveries(webhookId: $w, first: 100) { edges { node { id webhookId eventId } } } }',
    vars: () => ({ w: fx.webhookId }),
    path: ['deliveries'],
    shows: () => fx.deliveryId,
  },
  'Query.delivery': {
    doc: 'query ($id: ID!) { delivery(id: $id) { id webhookId requestBody requestHeaders } }',
    vars: () => ({ id: fx.deliveryId }),
    path: ['delivery'],
    shows: () => fx.deliveryId,
  },
  'Query.deliveryLog': {
    doc: 'query ($w: ID) { deliveryLog(webhookId: $w, first: 100) { edges { node { id webhookId } } } }',
    vars: () => ({ w: fx.webhookId }),
    path: ['deliveryLog'],
    shows: () => fx.deliveryId,
  },
  'Query.deliveryStats': {
    doc: 'query ($w: ID, $since: DateTime!) { deliveryStats(webhookId: $w, since: $since, bucketMinutes: 60) { totals { total } } }',
    vars: () => ({ w: fx.webhookId, since: sinceAnHourAgo() }),
    path: ['deliveryStats'],
  },
  'Query.issues': { doc: '{ issues(first: 100) { edges { node { id organizationId } } } }', path: ['issues'], shows: () => fx.issueId },
  'Query.issue': { doc: 'query ($id: ID!) { issue(id: $id) { id weakness } }', vars: () => ({ id: fx.issueId }), path: ['issue'], shows: () => fx.issueId },
  'Query.webhookAuditLog': {
    doc: 'query ($w: ID) { webhookAuditLog(webhookId: $w, first: 100) { edges { node { id webhookId action } } } }',
    vars: () => ({ w: fx.webhookId }),
    path: ['webhookAuditLog'],
    shows: () => fx.webhookId,
  },

  'Webhook.url': { doc: WEBHOOK('url'), vars: () => ({ id: fx.webhookId }), path: ['webhook', 'url'] },
  'Webhook.headers': { doc: WEBHOOK('headers { name valueMasked }'), vars: () => ({ id: fx.webhookId }), path: ['webhook', 'headers'] },
  'Webhook.deliveries': {
    doc: WEBHOOK('deliveries(first: 100) { edges { node { id requestBody } } }'),
    vars: () => ({ id: fx.webhookId }),
    path: ['webhook', 'deliveries'],
    shows: () => fx.deliveryId,
  },
  'Webhook.health': { doc: WEBHOOK('health { attempts successfulAttempts successRate p95DurationMs }'), vars: () => ({ id: fx.webhookId }), path: ['webhook', 'health'] },

  'Mutation.createWebhook': {
    doc: 'mutation ($input: CreateWebhookInput!) { createWebhook(input: $input) { secret webhook { id } } }',
    vars: (caller) => ({ input: { name: `matrix ${caller}`, url: receiver.url('/created'), events: ['issue.created'], teamId: fx.teamId, enabled: false } }),
    path: ['createWebhook'],
  },
  'Mutation.updateWebhook': {
    doc: 'mutation ($id: ID!, $name: String) { updateWebhook(id: $id, input: { name: $name }) { id name } }',
    vars: (caller) => ({ id: fx.webhookId, name: `Matrix hook (${caller})` }),
    path: ['updateWebhook'],
  },
  'Mutation.rotateWebhookSecret': {
    doc: 'mutation ($id: ID!) { rotateWebhookSecret(id: $id, overlapSeconds: 60) { secret oldSecretExpiresAt webhook { id } } }',
    vars: () => ({ id: fx.webhookId }),
    path: ['rotateWebhookSecret'],
  },
  'Mutation.testWebhook': { doc: 'mutation ($id: ID!) { testWebhook(id: $id) { id webhookId } }', vars: () => ({ id: fx.webhookId }), path: ['testWebhook'] },
  'Mutation.redeliver': { doc: 'mutation ($id: ID!) { redeliver(deliveryId: $id) { id eventId } }', vars: () => ({ id: fx.deliveryId }), path: ['redeliver'] },
  'Mutation.retryFailedDeliveries': {
    doc: 'mutation ($id: ID!, $since: DateTime!) { retryFailedDeliveries(webhookId: $id, since: $since) { queued hasMore } }',
    vars: () => ({ id: fx.webhookId, since: sinceAnHourAgo() }),
    path: ['retryFailedDeliveries'],
  },
  'Mutation.createEventType': {
    doc: 'mutation ($name: String!) { createEventType(name: $name, description: "matrix") { name builtIn } }',
    vars: (caller) => ({ name: `matrix.${callerName(caller)}` }),
    path: ['createEventType'],
  },
  'Mutation.publishEvent': {
    doc: 'mutation ($input: PublishEventInput!) { publishEvent(input: $input) { id type } }',
    vars: (caller) => ({ input: { type: fx.eventType, data: { by: caller }, teamId: fx.teamId } }),
    path: ['publishEvent'],
  },
  'Mutation.createIssue': {
    doc: 'mutation ($input: CreateIssueInput!) { createIssue(input: $input) { id } }',
    vars: (caller) => ({ input: { pluginId: 'matrix', severity: 'LOW', weakness: `By ${caller}`, teamId: fx.teamId } }),
    path: ['createIssue'],
  },
  'Mutation.updateIssue': {
    doc: 'mutation ($id: ID!, $w: String) { updateIssue(id: $id, input: { weakness: $w }) { id weakness } }',
    vars: (caller) => ({ id: fx.issueId, w: `XSS (${caller})` }),
    path: ['updateIssue'],
  },
  'Mutation.addIssueComment': {
    doc: 'mutation ($id: ID!, $body: String!) { addIssueComment(issueId: $id, body: $body) { id } }',
    vars: (caller) => ({ id: fx.issueId, body: `comment by ${caller}` }),
    path: ['addIssueComment'],
  },
  'Mutation.createApiToken': {
    doc: 'mutation ($name: String!) { createApiToken(name: $name, role: VIEWER) { token user { id role } } }',
    vars: (caller) => ({ name: `matrix ${caller}` }),
    path: ['createApiToken'],
  },
  'Mutation.createTeam': { doc: 'mutation ($name: String!) { createTeam(name: $name) { id name } }', vars: (caller) => ({ name: `Matrix ${caller}` }), path: ['createTeam'] },
  'Mutation.deleteWebhook': { doc: 'mutation ($id: ID!) { deleteWebhook(id: $id) }', vars: () => ({ id: fx.doomedWebhookId }), path: ['deleteWebhook'] },

  'Subscription.deliveryUpdated': {
    doc: 'subscription ($w: ID) { deliveryUpdated(webhookId: $w) { id webhookId status requestHeaders } }',
    vars: () => ({ w: fx.webhookId }),
    path: ['deliveryUpdated'],
  },
  'Subscription.webhookUpdated': { doc: 'subscription { webhookUpdated { id name url headers { name valueMasked } } }', path: ['webhookUpdated'] },
};

// ---------------------------------------------------------------------------------------------
// What the schema has, so that a new field without an entry fails.

function rootFieldKeys(): string[] {
  const keys: string[] = [];
  for (const type of [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()]) {
    if (!type) continue;
    for (const name of Object.keys(type.getFields())) keys.push(`${type.name}.${name}`);
  }
  return keys;
}

/** Fields of non-root object types that return a connection, or whose description says they are for admins. */
function guardedObjectFieldKeys(): string[] {
  const roots = new Set([schema.getQueryType()?.name, schema.getMutationType()?.name, schema.getSubscriptionType()?.name]);
  const keys: string[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (!(type instanceof GraphQLObjectType) || type.name.startsWith('__') || roots.has(type.name)) continue;
    for (const field of Object.values(type.getFields()) as Array<GraphQLField<unknown, unknown>>) {
      const isConnection = getNamedType(field.type).name.endsWith('Connection');
      const adminOnly = /admin/i.test(field.description ?? '');
      if (isConnection || adminOnly) keys.push(`${type.name}.${field.name}`);
    }
  }
  return keys;
}

describe('coverage', () => {
  it('every Query, Mutation and Subscription field has an expected outcome per caller and a call', () => {
    const missing = rootFieldKeys().filter((key) => !(key in EXPECTED) || !(key in CALLS));
    expect(missing, 'root fields with no row in EXPECTED/CALLS').toEqual([]);
  });

  it('every connection field and admin-only field of an object type has a row', () => {
    const missing = guardedObjectFieldKeys().filter((key) => !(key in EXPECTED) || !(key in CALLS));
    expect(missing, 'object fields with no row in EXPECTED/CALLS').toEqual([]);
  });

  it('the table has no row for a field the schema does not have', () => {
    const known = new Set([...rootFieldKeys(), ...guardedObjectFieldKeys()]);
    const stale = Object.keys(EXPECTED).filter((key) => !known.has(key));
    expect(stale).toEqual([]);
    expect(Object.keys(CALLS).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it('no other organization is ever told FORBIDDEN, and every field needs a token', () => {
    for (const [key, row] of Object.entries(EXPECTED)) {
      expect(row[CALLERS.indexOf('OTHER_ADMIN')], key).not.toBe('FORBIDDEN');
      expect(row[CALLERS.indexOf('anonymous')], key).toBe('UNAUTHENTICATED');
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Checking one answer against its expected outcome

/** Compares one HTTP answer with the expected outcome; returns what is wrong (empty when right). */
function judge(key: string, caller: Caller, call: Call, result: RawResult): string[] {
  const want = expected(key, caller);
  const problems: string[] = [];
  if (result.status >= 500) problems.push(`HTTP ${result.status}`);
  const json = result.json;
  if (!json) return [...problems, `not JSON: ${result.text.slice(0, 200)}`];
  const value = at(json.data ?? null, call.path);
  const codes = codesOf(json);
  const text = JSON.stringify(json.data ?? null);
  if (want === 'data') {
    if (codes.length) problems.push(`errors ${JSON.stringify(json.errors)}`);
    if (value === null || value === undefined) problems.push(`no value at ${call.path.join('.')}`);
    if (caller !== 'OTHER_ADMIN' && call.shows && !text.includes(call.shows())) problems.push(`does not show Acme's ${call.shows()}`);
  } else if (want === 'null') {
    if (codes.length) problems.push(`errors ${JSON.stringify(json.errors)}`);
    if (value !== null) problems.push(`expected null at ${call.path.join('.')}, got ${JSON.stringify(value)?.slice(0, 200)}`);
  } else {
    if (codes[0] !== want || new Set(codes).size !== 1) problems.push(`expected ${want}, got ${JSON.stringify(json.errors ?? null)}`);
    if (value !== null && value !== undefined) problems.push(`expected no value at ${call.path.join('.')}, got ${JSON.stringify(value).slice(0, 200)}`);
  }
  if (caller === 'OTHER_ADMIN') {
    for (const id of acmeIds()) if (text.includes(id)) problems.push(`Other's answer shows Acme's ${id}`);
    if (text.includes(fx.eventType)) problems.push(`Other's answer shows Acme's event type ${fx.eventType}`);
  }
  if (caller !== 'ADMIN' && text.includes(SECRET_HEADER_VALUE)) problems.push('shows the custom header value');
  return problems;
}

async function call(key: string, caller: Caller, vars?: Record<string, unknown>): Promise<RawResult> {
  const c = CALLS[key];
  return post(hw.url, bearer(tokens[caller]), { query: c.doc, variables: vars ?? c.vars?.(caller) ?? {} });
}

const rows = (prefix: string) =>
  Object.keys(EXPECTED)
    .filter((key) => key.startsWith(prefix))
    .flatMap((key) => CALLERS.map((caller) => [key, caller, expected(key, caller)] as const));

describe('queries', () => {
  it.each(rows('Query.'))('%s as %s: %s', async (key, caller) => {
    expect(judge(key, caller, CALLS[key], await call(key, caller))).toEqual([]);
  });
});

describe('admin-only and connection fields of object types', () => {
  it.each(rows('Webhook.'))('%s as %s: %s', async (key, caller) => {
    const result = await call(key, caller);
    expect(judge(key, caller, CALLS[key], result)).toEqual([]);
    // The parent is there for every caller of Acme, whatever happens to the guarded field.
    if (caller !== 'anonymous' && caller !== 'OTHER_ADMIN') expect(result.json?.data?.webhook?.id).toBe(fx.webhookId);
  });

  it('as ADMIN the header value is masked, never the value itself', async () => {
    const result = await call('Webhook.headers', 'ADMIN');
    expect(result.json?.data?.webhook.headers).toEqual([{ name: 'Authorization', valueMasked: expect.any(String) }]);
    expect(result.text).not.toContain(SECRET_HEADER_VALUE);
    expect(result.text).not.toContain('matrix-header-value');
  });
});

// ---------------------------------------------------------------------------------------------
// Another organization's ids answer exactly like ids that never existed

/** A made-up id of the same kind and length as a real one. */
function madeUp(id: string): string {
  const [prefix, rest] = id.split('_');
  return `${prefix}_${'0'.repeat(rest.length - 6)}zzzzzz`;
}

function swapIds(value: unknown, swaps: Map<string, string>): unknown {
  if (typeof value === 'string') return swaps.get(value) ?? value;
  if (Array.isArray(value)) return value.map((item) => swapIds(item, swaps));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, swapIds(v, swaps)]));
  return value;
}

/** An answer with every id of either kind replaced by a placeholder, so that the two can be compared. */
function normalized(result: RawResult, ids: string[]): unknown {
  let text = result.text;
  for (const id of ids) text = text.split(id).join('<id>');
  const json = JSON.parse(text) as RawResult['json'];
  return {
    status: result.status,
    data: json?.data ?? null,
    errors: (json?.errors ?? []).map((e) => ({ message: e.message, code: e.extensions?.code, field: e.extensions?.field, path: e.path })),
  };
}

describe("another organization's ids answer exactly like ids that do not exist", () => {
  const keys = Object.keys(EXPECTED).filter((key) => !key.startsWith('Subscription.') && CALLS[key].vars);
  it.each(keys)('%s', async (key) => {
    const vars = CALLS[key].vars!('OTHER_ADMIN');
    const swaps = new Map(acmeIds().map((id) => [id, madeUp(id)]));
    const swapped = swapIds(vars, swaps) as Record<string, unknown>;
    if (JSON.stringify(swapped) === JSON.stringify(vars)) return; // no Acme id in this call
    const theirs = await call(key, 'OTHER_ADMIN', vars);
    const missing = await call(key, 'OTHER_ADMIN', swapped);
    const ids = [...swaps.keys(), ...swaps.values()];
    expect(normalized(theirs, ids)).toEqual(normalized(missing, ids));
    expect(codesOf(theirs.json)).not.toContain('FORBIDDEN');
  });
});

// ---------------------------------------------------------------------------------------------
// Subscriptions over graphql-ws, with the token in connectionParams

describe('subscriptions', () => {
  const triggers: Record<string, () => Promise<unknown>> = {
    'Subscription.deliveryUpdated': () => acmeAdmin.must('mutation ($id: ID!) { testWebhook(id: $id) { id } }', { id: fx.webhookId }),
    'Subscription.webhookUpdated': () =>
      acmeAdmin.must('mutation ($id: ID!, $n: String) { updateWebhook(id: $id, input: { name: $n }) { id } }', { id: fx.webhookId, n: `Matrix hook ${Date.now()}` }),
  };
  const keys = Object.keys(EXPECTED).filter((key) => key.startsWith('Subscription.'));
  /** One graphql-ws connection per (subscription, caller), all open at once while Acme's webhook changes. */
  const captures = new Map<string, WsCapture>();
  const id = (key: string, caller: Caller) => `${key} ${caller}`;

  /** Anonymous sends no connectionParams at all (the payload of connection_init is optional). */
  const paramsOf = (caller: Caller) => (tokens[caller] ? { authorization: `Bearer ${tokens[caller]}` } : undefined);

  beforeAll(async () => {
    for (const key of keys) {
      for (const caller of CALLERS) captures.set(id(key, caller), wsSubscribe(hw.wsUrl, paramsOf(caller), CALLS[key].doc, CALLS[key].vars?.(caller) ?? {}));
    }
    await Promise.all([...captures.values()].map((capture) => capture.settled));
    for (const key of keys) {
      const admin = captures.get(id(key, 'ADMIN'))!;
      // graphql-ws acknowledges before the subscription is registered: poke until the admin hears it.
      await waitUntil(
        async () => {
          if (heardAcme(key, admin).length) return true;
          await triggers[key]();
          await sleep(150);
          return heardAcme(key, admin).length > 0;
        },
        `${key} to reach the Acme admin`,
        10_000,
      ).catch(() => {});
      // Once more, and a moment for anything that would reach the wrong subscriber.
      await triggers[key]();
    }
    await sleep(500);
  }, 30_000);

  afterAll(async () => {
    await Promise.all([...captures.values()].map((capture) => capture.close().catch(() => {})));
  });

  /** `next` payloads that carry the subscription's value. */
  function heardAcme(key: string, capture: WsCapture) {
    const field = CALLS[key].path[0];
    return capture.nexts.filter((n) => n.data?.[field]);
  }

  /** The error codes a subscription was answered with, from `next` payloads or an `error` message. */
  function subscriptionCodes(capture: WsCapture): string[] {
    const codes = capture.nexts.flatMap((n) => codesOf(n));
    for (const failure of capture.failures) if (Array.isArray(failure)) codes.push(...failure.map((e) => e?.extensions?.code ?? 'NO_CODE'));
    return codes;
  }

  it.each(rows('Subscription.'))('%s as %s: %s', (key, caller, want) => {
    const capture = captures.get(id(key, caller))!;
    const codes = subscriptionCodes(capture);
    const heard = heardAcme(key, capture);
    const seen = `frames: ${capture.raw.join(' | ')}; close code ${capture.closeCode}`;
    if (want === 'data') {
      expect(codes, seen).toEqual([]);
      expect(heard.length, seen).toBeGreaterThan(0);
      for (const n of heard) expect(JSON.stringify(n.data)).toContain(fx.webhookId);
    } else if (want === 'nothing') {
      expect(codes, seen).toEqual([]);
      expect(capture.failures.length, seen).toBe(0);
      expect(capture.closeCode, seen).toBeNull();
      expect(heard, seen).toEqual([]);
    } else {
      expect(codes[0], seen).toBe(want);
      expect(new Set(codes).size, seen).toBe(1);
      expect(heard, seen).toEqual([]);
    }
    if (caller !== 'ADMIN') expect(capture.raw.join('\n')).not.toContain(SECRET_HEADER_VALUE);
    if (caller === 'OTHER_ADMIN') for (const acmeId of acmeIds()) expect(capture.raw.join('\n')).not.toContain(acmeId);
  });

  it.each([
    ['no connectionParams at all', undefined],
    ['empty connectionParams', {}],
    ['an empty authorization', { authorization: '' }],
    ['a null authorization', { authorization: null }],
  ])('with %s a subscription is UNAUTHENTICATED or refused at connect, never an internal error', async (_label, params) => {
    const capture = wsSubscribe(hw.wsUrl, params, CALLS['Subscription.webhookUpdated'].doc);
    try {
      await capture.settled;
      await waitUntil(() => capture.completed || capture.failures.length > 0 || capture.closeCode !== null, 'an answer', 5_000);
      const seen = `frames: ${capture.raw.join(' | ')}; close code ${capture.closeCode}`;
      expect(capture.closeCode, seen).not.toBe(4500);
      expect(heardAcme('Subscription.webhookUpdated', capture)).toEqual([]);
      if (capture.closeCode !== 4403) expect(subscriptionCodes(capture), seen).toEqual(['UNAUTHENTICATED']);
    } finally {
      await capture.close().catch(() => {});
    }
  });

  it('a wrong token in connectionParams is refused at connect time', async () => {
    const capture = wsSubscribe(hw.wsUrl, { authorization: 'Bearer hw_not-a-real-token-000000000000' }, CALLS['Subscription.webhookUpdated'].doc);
    try {
      expect(await capture.settled).toBe('failed');
      expect(capture.nexts).toEqual([]);
      expect(capture.closeCode).toBe(4403);
    } finally {
      await capture.close().catch(() => {});
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Mutations: rejected ones write nothing; deleteWebhook (on its own webhook) runs last, and
// within each mutation the ADMIN of Acme runs last.

const MUTATION_ORDER: Caller[] = ['anonymous', 'VIEWER', 'MEMBER', 'OTHER_ADMIN', 'ADMIN'];

function mutationRows() {
  const keys = Object.keys(EXPECTED).filter((key) => key.startsWith('Mutation.'));
  keys.sort((a, b) => Number(a === 'Mutation.deleteWebhook') - Number(b === 'Mutation.deleteWebhook'));
  return keys.flatMap((key) => MUTATION_ORDER.map((caller) => [key, caller, expected(key, caller)] as const));
}

/** What a rejected mutation must not have changed, beyond row counts. */
async function fixtureRows() {
  const p = hw.service.app.db.prisma;
  const webhooks = await p.webhook.findMany({
    where: { id: { in: [fx.webhookId, fx.doomedWebhookId] } },
    select: { id: true, name: true, url: true, events: true, teamId: true, enabled: true, secret: true, previousSecret: true, headers: true, deletedAt: true },
    orderBy: { id: 'asc' },
  });
  const issue = await p.issue.findUnique({ where: { id: fx.issueId } });
  return { webhooks, issue };
}

describe('mutations', () => {
  it.each(mutationRows())('%s as %s: %s', async (key, caller, want) => {
    const prisma = hw.service.app.db.prisma;
    const rejected = want !== 'data';
    const [before, rowsBefore] = rejected ? [await fingerprint(prisma), await fixtureRows()] : [null, null];
    const result = await call(key, caller);
    expect(judge(key, caller, CALLS[key], result)).toEqual([]);
    if (rejected) {
      expect(unexplainedChanges(before!, await fingerprint(prisma))).toEqual([]);
      expect(await fixtureRows()).toEqual(rowsBefore);
    }
  });

  it('after the matrix, the deleted webhook is gone for every reader and its delivery history stays', async () => {
    const result = await post(hw.url, bearer(tokens.ADMIN), {
      query: 'query ($id: ID!) { webhook(id: $id) { id } webhookAuditLog(webhookId: $id) { edges { node { action } } } }',
      variables: { id: fx.doomedWebhookId },
    });
    expect(result.json?.errors).toBeUndefined();
    expect(result.json?.data?.webhook).toBeNull();
    expect(result.json?.data?.webhookAuditLog.edges.map((e: any) => e.node.action)).toContain('deleted');
  });
});
