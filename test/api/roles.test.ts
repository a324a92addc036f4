// The role and organization matrix: who may do what, what each role sees, and that organizations
// never see each other (another org's id answers like an id that does not exist).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '../../src/schema/index.ts';
import { errorCode, type GraphQLClient } from '../support/graphql.ts';
import { startReceiver, type Receiver } from '../support/receiver.ts';
import { startTestService, type TestService } from '../support/service.ts';

type Role = 'ADMIN' | 'MEMBER' | 'VIEWER';

let hw: TestService;
let receiver: Receiver;
let clients: Record<Role, GraphQLClient>;
let other: GraphQLClient;
/** Acme's fixtures. */
const acme = { teamId: '', webhookId: '', issueId: '', deliveryId: '', eventId: '', orgId: '' };
/** Other's fixtures. */
const oth = { teamId: '', webhookId: '', issueId: '', deliveryId: '' };

const WEBHOOK_FIELDS = `id name url events teamId severities enabled disabledReason format retryCount timeoutMs
  headers { name valueMasked } consecutiveFailures createdAt updatedAt`;

beforeAll(async () => {
  [hw, receiver] = await Promise.all([startTestService(), startReceiver()]);
  const admin = await hw.admin('Acme', 'admin@acme.test');
  const tokens: Partial<Record<Role, string>> = { ADMIN: admin.token };
  for (const role of ['MEMBER', 'VIEWER'] as const) {
    const { createApiToken } = await admin.must('mutation ($role: Role!) { createApiToken(name: "t", role: $role) { token } }', { role });
    tokens[role] = createApiToken.token;
  }
  clients = { ADMIN: admin, MEMBER: hw.client(tokens.MEMBER), VIEWER: hw.client(tokens.VIEWER) };
  acme.orgId = (await admin.must('{ viewer { organization { id } } }')).viewer.organization.id;
  acme.teamId = (await admin.must('mutation { createTeam(name: "Acme Blue") { id } }')).createTeam.id;
  await admin.must('mutation { createEventType(name: "scan.completed", description: "A scan finished") { name } }');
  acme.webhookId = (
    await admin.must(
      `mutation ($url: String!, $teamId: ID) { createWebhook(input: { name: "Acme hook", url: $url, events: ["*"], teamId: $teamId,
        severities: [HIGH, CRITICAL], format: SLACK, retryCount: 2, timeoutMs: 4000,
        headers: [{ name: "Authorization", value: "Bearer acme-very-secret-value" }] }) { webhook { id } } }`,
      { url: receiver.url('/acme'), teamId: acme.teamId },
    )
  ).createWebhook.webhook.id;
  acme.issueId = (
    await admin.must('mutation ($teamId: ID) { createIssue(input: { pluginId: "xss", severity: HIGH, weakness: "XSS", teamId: $teamId }) { id } }', {
      teamId: acme.teamId,
    })
  ).createIssue.id;
  const { deliveries } = await admin.must('query ($id: ID) { deliveries(webhookId: $id) { edges { node { id eventId } } } }', { id: acme.webhookId });
  expect(deliveries.edges).toHaveLength(1);
  acme.deliveryId = deliveries.edges[0].node.id;
  acme.eventId = deliveries.edges[0].node.eventId;

  other = await hw.admin('Other', 'admin@other.test');
  oth.teamId = (await other.must('mutation { createTeam(name: "Other Blue") { id } }')).createTeam.id;
  oth.webhookId = (
    await other.must('mutation ($url: String!) { createWebhook(input: { name: "Other hook", url: $url, events: ["*"] }) { webhook { id } } }', {
      url: receiver.url('/other'),
    })
  ).createWebhook.webhook.id;
  oth.issueId = (await other.must('mutation { createIssue(input: { pluginId: "sqli", severity: LOW, weakness: "SQLi" }) { id } }')).createIssue.id;
  oth.deliveryId = (await other.must('{ deliveries { edges { node { id } } } }')).deliveries.edges[0].node.id;
});
afterAll(async () => {
  await Promise.all([hw?.stop(), receiver?.close()]);
});

/** Everything a mutation could write, so "writes nothing" is a real comparison of the database. */
async function fingerprint() {
  const p = hw.service.app.db.prisma;
  // Attempts and failure counters of deliveries made earlier may still change meanwhile; they are not the mutation's writes.
  const [orgs, teams, users, tokens, eventTypes, events, deliveries, issues, history, comments, webhooks] = await Promise.all([
    p.organization.count(),
    p.team.count(),
    p.user.count(),
    p.apiToken.count(),
    p.eventType.count(),
    p.event.count(),
    p.delivery.findMany({ select: { id: true }, orderBy: { id: 'asc' } }),
    p.issue.findMany({ orderBy: { id: 'asc' } }),
    p.issueHistory.count(),
    p.issueComment.count(),
    p.webhook.findMany({ orderBy: { id: 'asc' } }),
  ]);
  return {
    orgs,
    teams,
    users,
    tokens,
    eventTypes,
    events,
    deliveries: deliveries.map((d) => d.id),
    issues,
    history,
    comments,
    webhooks: webhooks.map(({ consecutiveFailures: _c, disabledReason: _d, ...rest }) => rest),
  };
}

/** Every mutation, with valid arguments against Acme's fixtures, and the roles that may run it. */
function mutations(): Array<{ name: string; doc: string; vars: () => Record<string, unknown>; allowed: Role[] }> {
  const adminOnly: Role[] = ['ADMIN'];
  const workers: Role[] = ['ADMIN', 'MEMBER'];
  return [
    {
      name: 'createWebhook',
      doc: 'mutation ($url: String!) { createWebhook(input: { name: "New", url: $url }) { secret } }',
      vars: () => ({ url: receiver.url('/new') }),
      allowed: adminOnly,
    },
    { name: 'updateWebhook', doc: 'mutation ($id: ID!) { updateWebhook(id: $id, input: { name: "Renamed" }) { id } }', vars: () => ({ id: acme.webhookId }), allowed: adminOnly },
    { name: 'deleteWebhook', doc: 'mutation ($id: ID!) { deleteWebhook(id: $id) }', vars: () => ({ id: acme.webhookId }), allowed: adminOnly },
    { name: 'rotateWebhookSecret', doc: 'mutation ($id: ID!) { rotateWebhookSecret(id: $id) { secret } }', vars: () => ({ id: acme.webhookId }), allowed: adminOnly },
    { name: 'testWebhook', doc: 'mutation ($id: ID!) { testWebhook(id: $id) { id } }', vars: () => ({ id: acme.webhookId }), allowed: adminOnly },
    { name: 'redeliver', doc: 'mutation ($id: ID!) { redeliver(deliveryId: $id) { id } }', vars: () => ({ id: acme.deliveryId }), allowed: adminOnly },
    { name: 'createApiToken', doc: 'mutation { createApiToken(name: "sneaky", role: ADMIN) { token } }', vars: () => ({}), allowed: adminOnly },
    { name: 'createTeam', doc: 'mutation { createTeam(name: "Sneaky team") { id } }', vars: () => ({}), allowed: adminOnly },
    { name: 'createEventType', doc: 'mutation { createEventType(name: "sneaky.type", description: "d") { name } }', vars: () => ({}), allowed: adminOnly },
    { name: 'createIssue', doc: 'mutation { createIssue(input: { pluginId: "p", severity: LOW, weakness: "W" }) { id } }', vars: () => ({}), allowed: workers },
    { name: 'updateIssue', doc: 'mutation ($id: ID!) { updateIssue(id: $id, input: { status: FIXED }) { id } }', vars: () => ({ id: acme.issueId }), allowed: workers },
    { name: 'addIssueComment', doc: 'mutation ($id: ID!) { addIssueComment(issueId: $id, body: "hello") { id } }', vars: () => ({ id: acme.issueId }), allowed: workers },
    {
      name: 'retryFailedDeliveries',
      doc: 'mutation ($id: ID!) { retryFailedDeliveries(webhookId: $id, since: "2020-01-01T00:00:00Z") { queued } }',
      vars: () => ({ id: acme.webhookId }),
      allowed: adminOnly,
    },
    {
      name: 'publishEvent',
      doc: 'mutation { publishEvent(input: { type: "scan.completed", data: { ok: true } }) { id } }',
      vars: () => ({}),
      allowed: workers,
    },
  ];
}

const forbiddenCases = (['MEMBER', 'VIEWER'] as const).flatMap((role) =>
  mutations()
    .filter((m) => !m.allowed.includes(role))
    .map((m) => [role, m.name] as const),
);

describe('FORBIDDEN mutations write nothing', () => {
  it.each(forbiddenCases)('%s: %s is FORBIDDEN', async (role, name) => {
    const m = mutations().find((x) => x.name === name)!;
    const before = await fingerprint();
    const result = await clients[role].query(m.doc, m.vars());
    expect(errorCode(result)).toBe('FORBIDDEN');
    expect(result.data?.[name] ?? null).toBeNull();
    expect(await fingerprint()).toEqual(before);
  });

  it('the matrix covers every mutation of the schema (a new one needs an entry)', () => {
    expect(mutations().map((m) => m.name).sort()).toEqual(Object.keys(schema.getMutationType()!.getFields()).sort());
  });
});

describe('allowed mutations succeed', () => {
  // Run non-destructive ones for MEMBER; the admin's are covered everywhere else (deleteWebhook last would break fixtures).
  it.each(['createIssue', 'updateIssue', 'addIssueComment', 'publishEvent'])('MEMBER may run %s', async (name) => {
    const m = mutations().find((x) => x.name === name)!;
    const result = await clients.MEMBER.query(m.doc, m.vars());
    expect(result.errors).toBeUndefined();
    expect(result.data?.[name]).toBeTruthy();
  });

  it('ADMIN may run createIssue, addIssueComment and publishEvent', async () => {
    for (const name of ['createIssue', 'addIssueComment', 'publishEvent']) {
      const m = mutations().find((x) => x.name === name)!;
      const result = await clients.ADMIN.query(m.doc, m.vars());
      expect(result.errors, name).toBeUndefined();
    }
  });
});

describe('what MEMBER and VIEWER see', () => {
  it.each(['MEMBER', 'VIEWER'] as const)('%s sees webhooks with url and headers null and every other field as the admin does', async (role) => {
    const query = `query ($id: ID!) { webhook(id: $id) { ${WEBHOOK_FIELDS} } webhooks(first: 100) { edges { cursor node { ${WEBHOOK_FIELDS} } } pageInfo { hasNextPage endCursor } } }`;
    const asAdmin = await clients.ADMIN.must(query, { id: acme.webhookId });
    const asRole = await clients[role].must(query, { id: acme.webhookId });
    expect(asAdmin.webhook.url).toBe(receiver.url('/acme'));
    expect(asAdmin.webhook.headers).toHaveLength(1);
    expect(asRole.webhook).toEqual({ ...asAdmin.webhook, url: null, headers: null });
    expect(asRole.webhooks.pageInfo).toEqual(asAdmin.webhooks.pageInfo);
    expect(asRole.webhooks.edges).toEqual(
      asAdmin.webhooks.edges.map((e: any) => ({ cursor: e.cursor, node: { ...e.node, url: null, headers: null } })),
    );
    expect(JSON.stringify(asRole)).not.toContain('acme-very-secret');
    expect(JSON.stringify(asRole)).not.toContain('/acme');
  });

  it.each(['MEMBER', 'VIEWER'] as const)('%s: Webhook.deliveries, deliveries and delivery(id) are FORBIDDEN', async (role) => {
    const nested = await clients[role].query('query ($id: ID!) { webhook(id: $id) { id deliveries { edges { node { id } } } } }', { id: acme.webhookId });
    expect(errorCode(nested)).toBe('FORBIDDEN');
    expect(nested.data?.webhook?.deliveries ?? null).toBeNull();
    const listed = await clients[role].query('{ webhooks { edges { node { id deliveries { edges { node { id requestBody } } } } } } }');
    expect(errorCode(listed)).toBe('FORBIDDEN');
    expect(JSON.stringify(listed.data ?? {})).not.toContain('requestBody');
    const all = await clients[role].query('{ deliveries { edges { node { id } } } }');
    expect(errorCode(all)).toBe('FORBIDDEN');
    expect(all.data).toBeNull();
    const byWebhook = await clients[role].query('query ($id: ID) { deliveries(webhookId: $id) { edges { node { id } } } }', { id: acme.webhookId });
    expect(errorCode(byWebhook)).toBe('FORBIDDEN');
    const one = await clients[role].query('query ($id: ID!) { delivery(id: $id) { id requestBody } }', { id: acme.deliveryId });
    expect(errorCode(one)).toBe('FORBIDDEN');
    expect(one.data?.delivery ?? null).toBeNull();
  });

  it.each(['MEMBER', 'VIEWER'] as const)('%s can read issues, event types and the viewer', async (role) => {
    const { issue, issues, webhookEventTypes, viewer } = await clients[role].must(
      'query ($id: ID!) { issue(id: $id) { id weakness } issues(first: 100) { edges { node { id } } } webhookEventTypes { name } viewer { user { role } organization { id } } }',
      { id: acme.issueId },
    );
    expect(issue).toEqual({ id: acme.issueId, weakness: 'XSS' });
    expect(issues.edges.map((e: any) => e.node.id)).toContain(acme.issueId);
    expect(webhookEventTypes.map((t: any) => t.name)).toContain('scan.completed');
    expect(viewer).toEqual({ user: { role }, organization: { id: acme.orgId } });
  });
});

describe("another organization's ids answer like ids that do not exist", () => {
  it('webhook(id), issue(id) and delivery(id) of Acme are null for the Other admin, with no error', async () => {
    const result = await other.query(
      'query ($w: ID!, $i: ID!, $d: ID!) { webhook(id: $w) { id } issue(id: $i) { id } delivery(id: $d) { id } }',
      { w: acme.webhookId, i: acme.issueId, d: acme.deliveryId },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({ webhook: null, issue: null, delivery: null });
  });

  it('the same answer as for ids that never existed', async () => {
    const missing = await other.query('{ webhook(id: "whk_nope") { id } issue(id: "iss_nope") { id } delivery(id: "dlv_nope") { id } }');
    expect(missing.errors).toBeUndefined();
    expect(missing.data).toEqual({ webhook: null, issue: null, delivery: null });
  });

  it.each(['MEMBER', 'VIEWER'] as const)('Acme %s reading Other ids gets null too', async (role) => {
    const result = await clients[role].query('query ($w: ID!, $i: ID!) { webhook(id: $w) { id } issue(id: $i) { id } }', { w: oth.webhookId, i: oth.issueId });
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({ webhook: null, issue: null });
  });

  const crossOrg: Array<[string, string, () => Record<string, unknown>]> = [
    ['updateWebhook', 'mutation ($id: ID!) { updateWebhook(id: $id, input: { name: "Hijacked", enabled: false }) { id } }', () => ({ id: acme.webhookId })],
    ['deleteWebhook', 'mutation ($id: ID!) { deleteWebhook(id: $id) }', () => ({ id: acme.webhookId })],
    ['rotateWebhookSecret', 'mutation ($id: ID!) { rotateWebhookSecret(id: $id) { secret } }', () => ({ id: acme.webhookId })],
    ['testWebhook', 'mutation ($id: ID!) { testWebhook(id: $id) { id } }', () => ({ id: acme.webhookId })],
    ['updateIssue', 'mutation ($id: ID!) { updateIssue(id: $id, input: { status: IGNORED, weakness: "Hijacked" }) { id } }', () => ({ id: acme.issueId })],
    ['addIssueComment', 'mutation ($id: ID!) { addIssueComment(issueId: $id, body: "hijack") { id } }', () => ({ id: acme.issueId })],
    ['redeliver', 'mutation ($id: ID!) { redeliver(deliveryId: $id) { id } }', () => ({ id: acme.deliveryId })],
  ];

  it.each(crossOrg)('%s with an Acme id is NOT_FOUND for the Other admin and changes nothing', async (name, doc, vars) => {
    const before = await fingerprint();
    const received = receiver.on('/acme').length;
    const result = await other.query(doc, vars());
    expect(errorCode(result)).toBe('NOT_FOUND');
    expect(result.data?.[name] ?? null).toBeNull();
    expect(await fingerprint()).toEqual(before);
    // Nothing was sent to Acme's receiver because of it.
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(receiver.on('/acme').length).toBe(received);
  });

  it.each(crossOrg)('%s with an Acme id answers exactly like a made-up id', async (name, doc) => {
    const fake = name === 'redeliver' ? 'dlv_madeup' : name.includes('Issue') ? 'iss_madeup' : 'whk_madeup';
    const result = await other.query(doc, { id: fake });
    expect(errorCode(result)).toBe('NOT_FOUND');
  });

  it("lists never contain the other organization's rows", async () => {
    const lists = `{ webhooks(first: 100) { edges { node { id name } } } issues(first: 100) { edges { node { id organizationId } } }
      deliveries(first: 100) { edges { node { id webhookId eventId } } } webhookEventTypes { name builtIn } viewer { teams { id } } }`;
    const mine = await other.must(lists);
    const text = JSON.stringify(mine);
    for (const id of [acme.webhookId, acme.issueId, acme.deliveryId, acme.eventId, acme.teamId, acme.orgId]) expect(text).not.toContain(id);
    expect(text).not.toContain('Acme hook');
    expect(mine.webhookEventTypes.map((t: any) => t.name)).not.toContain('scan.completed');
    expect(mine.webhooks.edges.map((e: any) => e.node.id)).toEqual([oth.webhookId]);
    expect(mine.issues.edges.map((e: any) => e.node.id)).toEqual([oth.issueId]);
    expect(mine.deliveries.edges.map((e: any) => e.node.webhookId)).toEqual([oth.webhookId]);
    expect(mine.viewer.teams).toEqual([{ id: oth.teamId }]);

    const theirs = await clients.ADMIN.must(lists);
    const theirText = JSON.stringify(theirs);
    for (const id of [oth.webhookId, oth.issueId, oth.deliveryId, oth.teamId]) expect(theirText).not.toContain(id);
  });

  it("Acme's events never reach Other's webhooks, and Other's never reach Acme's", async () => {
    const { createIssue } = await clients.ADMIN.must(
      'mutation ($t: ID) { createIssue(input: { pluginId: "iso", severity: CRITICAL, weakness: "Isolation", teamId: $t }) { id } }',
      { t: acme.teamId },
    );
    const { deliveries } = await other.must('query ($id: ID) { deliveries(webhookId: $id, first: 100) { edges { node { requestBody } } } }', { id: oth.webhookId });
    expect(JSON.stringify(deliveries)).not.toContain(createIssue.id);
    const theirIssue = (await other.must('mutation { createIssue(input: { pluginId: "iso2", severity: CRITICAL, weakness: "Isolation" }) { id } }')).createIssue;
    const mine = await clients.ADMIN.must('{ deliveries(first: 100) { edges { node { requestBody } } } }');
    expect(JSON.stringify(mine)).not.toContain(theirIssue.id);
  });

  it("the Other admin cannot attach Acme's team to its own webhook or issue", async () => {
    const hook = await other.query('mutation ($url: String!, $t: ID) { createWebhook(input: { name: "x", url: $url, teamId: $t }) { secret } }', {
      url: receiver.url('/x'),
      t: acme.teamId,
    });
    expect(errorCode(hook)).toBe('BAD_USER_INPUT');
    expect(hook.errors?.[0].extensions?.field).toBe('teamId');
    const issue = await other.query('mutation ($t: ID) { createIssue(input: { pluginId: "p", severity: LOW, weakness: "W", teamId: $t }) { id } }', { t: acme.teamId });
    expect(errorCode(issue)).toBe('BAD_USER_INPUT');
    expect(issue.errors?.[0].extensions?.field).toBe('teamId');
    await other.must('mutation { createEventType(name: "other.ping", description: "Other org only") { name } }');
    const events = await hw.service.app.db.prisma.event.count();
    const publish = await other.query('mutation ($t: ID) { publishEvent(input: { type: "other.ping", data: {}, teamId: $t }) { id } }', { t: acme.teamId });
    expect(errorCode(publish)).toBe('BAD_USER_INPUT');
    expect(publish.errors?.[0].extensions?.field).toBe('teamId');
    expect(await hw.service.app.db.prisma.event.count()).toBe(events);
  });
});
