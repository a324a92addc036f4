// Authentication, the viewer, bootstrap, API tokens and teams, over real HTTP against a real service.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '../../src/schema/index.ts';
import { errorCode, type GraphQLClient, type GraphQLResult } from '../support/graphql.ts';
import { startTestService, type TestService } from '../support/service.ts';


let hw: TestService;
let admin: GraphQLClient & { token: string };

beforeAll(async () => {
  hw = await startTestService();
  admin = await hw.admin('Acme', 'admin@acme.test');
});
afterAll(async () => {
  await hw?.stop();
});

/** A POST with exactly this Authorization header (or none), for the malformed cases the client helper cannot send. */
async function rawQuery(authorization: string | null, query: string, variables: Record<string, unknown> = {}): Promise<GraphQLResult> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (authorization !== null) headers.authorization = authorization;
  const response = await fetch(hw.url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  const json = (await response.json()) as { data?: Record<string, any> | null; errors?: GraphQLResult['errors'] };
  return { status: response.status, data: json.data ?? null, errors: json.errors };
}

const VIEWER = '{ viewer { user { id name email role } organization { id name } teams { id name } } }';

describe('requests without a valid token', () => {
  const cases: Array<[string, string | null]> = [
    ['no Authorization header', null],
    ['an unknown token', 'Bearer hw_thisTokenWasNeverIssuedByAnyone0000000000000'],
    ['a Basic scheme', 'Basic YWRtaW46cGFzc3dvcmQ='],
    ['"Bearer" with no token', 'Bearer'],
    ['"Bearer " with only spaces', 'Bearer    '],
    ['a token without the Bearer scheme', 'hw_abcdef'],
    ['two tokens after Bearer', 'Bearer hw_a hw_b'],
    ['an empty header', ''],
  ];

  it.each(cases)('viewer with %s is UNAUTHENTICATED', async (_label, authorization) => {
    const result = await rawQuery(authorization, VIEWER);
    expect(errorCode(result)).toBe('UNAUTHENTICATED');
    expect(result.data?.viewer ?? null).toBeNull();
  });

  it.each(cases)('a mutation with %s is UNAUTHENTICATED and writes nothing', async (_label, authorization) => {
    const teamsBefore = await hw.service.app.db.prisma.team.count();
    const result = await rawQuery(authorization, 'mutation { createTeam(name: "Intruders") { id } }');
    expect(errorCode(result)).toBe('UNAUTHENTICATED');
    expect(result.data?.createTeam ?? null).toBeNull();
    expect(await hw.service.app.db.prisma.team.count()).toBe(teamsBefore);
  });

  // Every root field, with arguments that would be valid for a signed-in admin.
  const ROOT_FIELDS: Array<[string, string]> = [
    ['viewer', '{ viewer { user { id } } }'],
    ['webhooks', '{ webhooks { edges { node { id } } } }'],
    ['webhook', '{ webhook(id: "whk_x") { id } }'],
    ['webhookEventTypes', '{ webhookEventTypes { name } }'],
    ['deliveries', '{ deliveries { edges { node { id } } } }'],
    ['delivery', '{ delivery(id: "dlv_x") { id } }'],
    ['issues', '{ issues { edges { node { id } } } }'],
    ['issue', '{ issue(id: "iss_x") { id } }'],
    ['createWebhook', 'mutation { createWebhook(input: { name: "n", url: "https://hooks.example.com" }) { secret } }'],
    ['updateWebhook', 'mutation { updateWebhook(id: "whk_x", input: { name: "n" }) { id } }'],
    ['deleteWebhook', 'mutation { deleteWebhook(id: "whk_x") }'],
    ['rotateWebhookSecret', 'mutation { rotateWebhookSecret(id: "whk_x") { secret } }'],
    ['testWebhook', 'mutation { testWebhook(id: "whk_x") { id } }'],
    ['redeliver', 'mutation { redeliver(deliveryId: "dlv_x") { id } }'],
    ['createEventType', 'mutation { createEventType(name: "a.b", description: "d") { name } }'],
    ['publishEvent', 'mutation { publishEvent(input: { type: "a.b", data: {} }) { id } }'],
    ['createIssue', 'mutation { createIssue(input: { pluginId: "p", severity: LOW, weakness: "w" }) { id } }'],
    ['updateIssue', 'mutation { updateIssue(id: "iss_x", input: { status: FIXED }) { id } }'],
    ['addIssueComment', 'mutation { addIssueComment(issueId: "iss_x", body: "b") { id } }'],
    ['createApiToken', 'mutation { createApiToken(name: "n", role: ADMIN) { token } }'],
    ['createTeam', 'mutation { createTeam(name: "n") { id } }'],
    ['deliveryLog', '{ deliveryLog { edges { node { id } } } }'],
    ['deliveryStats', '{ deliveryStats(since: "2026-01-01T00:00:00Z") { bucketMinutes } }'],
    ['webhookAuditLog', '{ webhookAuditLog { edges { node { id } } } }'],
    ['retryFailedDeliveries', 'mutation { retryFailedDeliveries(webhookId: "whk_x", since: "2026-01-01T00:00:00Z") { queued } }'],
  ];

  it.each(ROOT_FIELDS)('%s without a token is UNAUTHENTICATED (before any other check)', async (field, document) => {
    const result = await rawQuery(null, document);
    expect(result.errors?.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);
    expect(result.data?.[field] ?? null).toBeNull();
  });

  it('that table covers every Query and Mutation field of the schema (a new one needs an entry)', () => {
    const fields = [...Object.keys(schema.getQueryType()!.getFields()), ...Object.keys(schema.getMutationType()!.getFields())].sort();
    expect(ROOT_FIELDS.map(([name]) => name).sort()).toEqual(fields);
  });

  it('a real token with a lower-case "bearer" scheme still works (the scheme is case-insensitive)', async () => {
    const result = await rawQuery(`bearer ${admin.token}`, '{ viewer { user { role } } }');
    expect(result.errors).toBeUndefined();
    expect(result.data?.viewer.user.role).toBe('ADMIN');
  });

  it('__typename answers without a token', async () => {
    const result = await rawQuery(null, '{ __typename }');
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({ __typename: 'Query' });
  });

  it('mutation { __typename } and introspection answer without a token', async () => {
    const mutation = await rawQuery(null, 'mutation { __typename }');
    expect(mutation.errors).toBeUndefined();
    expect(mutation.data).toEqual({ __typename: 'Mutation' });
    const introspection = await rawQuery(null, '{ __schema { queryType { name } mutationType { name } } }');
    expect(introspection.errors).toBeUndefined();
    expect(introspection.data).toEqual({ __schema: { queryType: { name: 'Query' }, mutationType: { name: 'Mutation' } } });
  });

  it('__typename answers with a wrong token too, but a field next to it does not', async () => {
    const alone = await rawQuery('Bearer hw_wrong', '{ __typename }');
    expect(alone.errors).toBeUndefined();
    expect(alone.data).toEqual({ __typename: 'Query' });
    const mixed = await rawQuery('Bearer hw_wrong', '{ __typename webhookEventTypes { name } }');
    expect(errorCode(mixed)).toBe('UNAUTHENTICATED');
  });
});

describe('viewer', () => {
  it('returns the user (email, role ADMIN), the organization and its teams', async () => {
    const org = await hw.admin('Viewer Org', 'Boss@Viewer.Test');
    const before = await org.must(VIEWER);
    expect(before.viewer.user).toMatchObject({ email: 'boss@viewer.test', role: 'ADMIN' });
    expect(before.viewer.user.id).toEqual(expect.any(String));
    expect(before.viewer.user.name).toEqual(expect.any(String));
    expect(before.viewer.organization).toEqual({ id: expect.any(String), name: 'Viewer Org' });
    expect(before.viewer.teams).toEqual([]);

    const { createTeam: red } = await org.must('mutation { createTeam(name: "Red") { id name } }');
    const { createTeam: blue } = await org.must('mutation { createTeam(name: "Blue") { id name } }');
    const after = await org.must(VIEWER);
    expect(after.viewer.teams).toHaveLength(2);
    expect(after.viewer.teams).toEqual(expect.arrayContaining([red, blue]));
    expect(after.viewer.user).toEqual(before.viewer.user);
    expect(after.viewer.organization).toEqual(before.viewer.organization);
  });

  it("does not list another organization's teams", async () => {
    const a = await hw.admin('Teams A', 'a@teams.test');
    const b = await hw.admin('Teams B', 'b@teams.test');
    await a.must('mutation { createTeam(name: "Only In A") { id } }');
    const { viewer } = await b.must(VIEWER);
    expect(viewer.teams).toEqual([]);
  });
});

describe('bootstrap', () => {
  it('twice for the same org and email reuses the org and the user and gives a different working token', async () => {
    const first = await hw.admin('Twice Org', 'twice@org.test');
    const second = await hw.admin('Twice Org', 'twice@org.test');
    expect(second.token).not.toBe(first.token);
    const a = await first.must(VIEWER);
    const b = await second.must(VIEWER);
    expect(b.viewer.user.id).toBe(a.viewer.user.id);
    expect(b.viewer.organization.id).toBe(a.viewer.organization.id);
    expect(b.viewer.user.role).toBe('ADMIN');
    // Both tokens keep working: the second did not replace the first.
    expect((await first.must('{ viewer { user { id } } }')).viewer.user.id).toBe(a.viewer.user.id);
    const prisma = hw.service.app.db.prisma;
    expect(await prisma.organization.count({ where: { name: 'Twice Org' } })).toBe(1);
    expect(await prisma.user.count({ where: { organizationId: a.viewer.organization.id } })).toBe(1);
  });

  it('a different email in the same org is a second admin of the same org', async () => {
    const one = await hw.admin('Two Admins', 'one@two.test');
    const two = await hw.admin('Two Admins', 'two@two.test');
    const a = (await one.must(VIEWER)).viewer;
    const b = (await two.must(VIEWER)).viewer;
    expect(b.organization.id).toBe(a.organization.id);
    expect(b.user.id).not.toBe(a.user.id);
    expect(b.user).toMatchObject({ email: 'two@two.test', role: 'ADMIN' });
  });
});

describe('createApiToken', () => {
  it.each(['ADMIN', 'MEMBER', 'VIEWER'] as const)('for role %s returns a working token whose viewer has that role and no email', async (role) => {
    const adminViewer = (await admin.must(VIEWER)).viewer;
    const { createApiToken } = await admin.must(
      `mutation ($name: String!, $role: Role!) { createApiToken(name: $name, role: $role) { token user { id name email role } } }`,
      { name: `ci-${role.toLowerCase()}`, role },
    );
    expect(createApiToken.token).toEqual(expect.any(String));
    expect(createApiToken.token.length).toBeGreaterThanOrEqual(20);
    expect(createApiToken.token).not.toBe(admin.token);
    expect(createApiToken.user).toMatchObject({ name: `ci-${role.toLowerCase()}`, email: null, role });

    const { viewer } = await hw.client(createApiToken.token).must(VIEWER);
    expect(viewer.user).toEqual(createApiToken.user);
    expect(viewer.organization).toEqual(adminViewer.organization);
    // The token must not be stored as plain text.
    const stored = await hw.service.app.db.prisma.apiToken.findMany({ where: { userId: createApiToken.user.id } });
    expect(stored).toHaveLength(1);
    expect(JSON.stringify(stored)).not.toContain(createApiToken.token);
  });

  it('an empty name is BAD_USER_INPUT on name and creates no user', async () => {
    const users = await hw.service.app.db.prisma.user.count();
    const result = await admin.query('mutation { createApiToken(name: "  ", role: VIEWER) { token } }');
    expect(errorCode(result)).toBe('BAD_USER_INPUT');
    expect(result.errors?.[0].extensions?.field).toBe('name');
    expect(await hw.service.app.db.prisma.user.count()).toBe(users);
  });

  it.each(['MEMBER', 'VIEWER'] as const)('by a %s is FORBIDDEN and creates no user or token', async (role) => {
    const { createApiToken } = await admin.must(`mutation ($role: Role!) { createApiToken(name: "limited", role: $role) { token } }`, { role });
    const limited = hw.client(createApiToken.token);
    const prisma = hw.service.app.db.prisma;
    const [users, tokens] = [await prisma.user.count(), await prisma.apiToken.count()];
    for (const wanted of ['ADMIN', 'MEMBER', 'VIEWER']) {
      const result = await limited.query(`mutation ($role: Role!) { createApiToken(name: "escalate", role: $role) { token } }`, { role: wanted });
      expect(errorCode(result)).toBe('FORBIDDEN');
      expect(result.data?.createApiToken ?? null).toBeNull();
    }
    expect(await prisma.user.count()).toBe(users);
    expect(await prisma.apiToken.count()).toBe(tokens);
  });
});

describe('createTeam', () => {
  it('an admin creates a team; it is listed by viewer.teams', async () => {
    const { createTeam } = await admin.must('mutation { createTeam(name: "Platform") { id name } }');
    expect(createTeam).toEqual({ id: expect.any(String), name: 'Platform' });
    const { viewer } = await admin.must('{ viewer { teams { id name } } }');
    expect(viewer.teams).toContainEqual(createTeam);
  });

  it('a duplicate name is CONFLICT on field name and creates nothing', async () => {
    await admin.must('mutation { createTeam(name: "Dup Team") { id } }');
    const before = await hw.service.app.db.prisma.team.count();
    for (const name of ['Dup Team', '  Dup Team  ']) {
      const result = await admin.query('mutation ($name: String!) { createTeam(name: $name) { id } }', { name });
      expect(errorCode(result)).toBe('CONFLICT');
      expect(result.errors?.[0].extensions?.field).toBe('name');
    }
    expect(await hw.service.app.db.prisma.team.count()).toBe(before);
  });

  it('concurrent creates of one name: exactly one team, every other answer CONFLICT', async () => {
    // Several rounds, each a burst of 10 creates of one new name: a check-then-insert race shows in some round.
    for (let round = 0; round < 5; round += 1) {
      const name = `Race Team ${round}`;
      const results = await Promise.all(Array.from({ length: 10 }, () => admin.query('mutation ($name: String!) { createTeam(name: $name) { id name } }', { name })));
      const codes = results.map((r) => errorCode(r) ?? 'OK').sort();
      expect(codes, name).toEqual([...Array(9).fill('CONFLICT'), 'OK']);
      for (const r of results.filter((x) => errorCode(x))) expect(r.errors?.[0].extensions?.field).toBe('name');
      const { viewer } = await admin.must('{ viewer { teams { name } } }');
      expect(viewer.teams.filter((t: any) => t.name === name)).toHaveLength(1);
    }
  });

  it('the same name in another organization is fine (unique per org)', async () => {
    await admin.must('mutation { createTeam(name: "Shared Name") { id } }');
    const other = await hw.admin('Other Team Org', 'admin@otherteam.test');
    const { createTeam } = await other.must('mutation { createTeam(name: "Shared Name") { id name } }');
    expect(createTeam.name).toBe('Shared Name');
  });

  it.each([[''], ['   ']])('name %j is BAD_USER_INPUT on field name and creates nothing', async (name) => {
    const before = await hw.service.app.db.prisma.team.count();
    const result = await admin.query('mutation ($name: String!) { createTeam(name: $name) { id } }', { name });
    expect(errorCode(result)).toBe('BAD_USER_INPUT');
    expect(result.errors?.[0].extensions?.field).toBe('name');
    expect(await hw.service.app.db.prisma.team.count()).toBe(before);
  });
});
