// Issues and the issue event rules of delivery.md, checked through the deliveries that were recorded
// (their requestBody is the exact JSON envelope) and through what a real receiver got.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode, type GraphQLClient } from '../support/graphql.ts';
import { startReceiver, type Receiver } from '../support/receiver.ts';
import { startTestService, type TestService } from '../support/service.ts';

let hw: TestService;
let receiver: Receiver;
let admin: GraphQLClient & { token: string };
let member: GraphQLClient;
let adminUserId: string;
let memberUserId: string;
let orgId: string;
let teamA: string;
let teamB: string;
let allHook: string; // events ["*"], pointed at receiver /all
let otherAdmin: GraphQLClient;
let otherTeam: string;

const ISSUE_FIELDS = `id pluginId status severity organizationId teamId targetId providerId weakness
  history { at userId changes } comments { id userId body createdAt } createdAt updatedAt`;
const CREATE_ISSUE = `mutation ($input: CreateIssueInput!) { createIssue(input: $input) { ${ISSUE_FIELDS} } }`;
const UPDATE_ISSUE = `mutation ($id: ID!, $input: UpdateIssueInput!) { updateIssue(id: $id, input: $input) { ${ISSUE_FIELDS} } }`;
const GET_ISSUE = `query ($id: ID!) { issue(id: $id) { ${ISSUE_FIELDS} } }`;
const ISSUE_PAYLOAD_KEYS = ['createdAt', 'history', 'id', 'organizationId', 'pluginId', 'providerId', 'severity', 'status', 'targetId', 'teamId', 'updatedAt', 'weakness'];

beforeAll(async () => {
  [hw, receiver] = await Promise.all([startTestService(), startReceiver()]);
  admin = await hw.admin('Acme', 'admin@acme.test');
  const viewer = (await admin.must('{ viewer { user { id } organization { id } } }')).viewer;
  adminUserId = viewer.user.id;
  orgId = viewer.organization.id;
  const { createApiToken } = await admin.must('mutation { createApiToken(name: "worker", role: MEMBER) { token user { id } } }');
  member = hw.client(createApiToken.token);
  memberUserId = createApiToken.user.id;
  teamA = (await admin.must('mutation { createTeam(name: "A") { id } }')).createTeam.id;
  teamB = (await admin.must('mutation { createTeam(name: "B") { id } }')).createTeam.id;
  allHook = (await admin.must('mutation ($url: String!) { createWebhook(input: { name: "all", url: $url, events: ["*"] }) { webhook { id } } }', { url: receiver.url('/all') }))
    .createWebhook.webhook.id;
  otherAdmin = await hw.admin('Other', 'admin@other.test');
  otherTeam = (await otherAdmin.must('mutation { createTeam(name: "Other A") { id } }')).createTeam.id;
});
afterAll(async () => {
  await Promise.all([hw?.stop(), receiver?.close()]);
});

interface Recorded {
  delivery: { id: string; eventId: string; eventType: string; requestBody: string; webhookId: string };
  env: any;
}

/** The deliveries recorded for a webhook, oldest first, optionally only those about one issue. */
async function recorded(client: GraphQLClient, webhookId: string, issueId?: string): Promise<Recorded[]> {
  const { deliveries } = await client.must(
    'query ($id: ID) { deliveries(webhookId: $id, first: 100) { edges { node { id eventId eventType requestBody webhookId } } } }',
    { id: webhookId },
  );
  return deliveries.edges
    .map((e: any) => ({ delivery: e.node, env: JSON.parse(e.node.requestBody) }))
    .reverse()
    .filter((r: Recorded) => !issueId || r.env.data?.issue?.id === issueId);
}

async function newIssue(input: Record<string, unknown> = {}, client: GraphQLClient = admin) {
  return (await client.must(CREATE_ISSUE, { input: { pluginId: 'xss-reflected', severity: 'HIGH', weakness: 'Reflected XSS', ...input } })).createIssue;
}

describe('createIssue', () => {
  it('returns an OPEN issue echoing its fields, with empty history and comments', async () => {
    const input = { pluginId: 'sqli', severity: 'CRITICAL', weakness: 'SQL injection', teamId: teamA, targetId: 'https://app.example.com', providerId: 'zap' };
    const issue = await newIssue(input);
    expect(issue).toMatchObject({ ...input, status: 'OPEN', organizationId: orgId, history: [], comments: [] });
    expect(issue.id).toEqual(expect.any(String));
    expect(issue.createdAt).toBe(issue.updatedAt);
    expect(new Date(issue.createdAt).toISOString()).toBe(issue.createdAt);
    expect((await admin.must(GET_ISSUE, { id: issue.id })).issue).toEqual(issue);
  });

  it('optional fields default to null', async () => {
    const issue = await newIssue();
    expect(issue).toMatchObject({ teamId: null, targetId: null, providerId: null, status: 'OPEN', severity: 'HIGH' });
  });

  it('emits exactly one issue.created with eventData {} to a "*" webhook', async () => {
    const issue = await newIssue({ severity: 'LOW' });
    const events = await recorded(admin, allHook, issue.id);
    expect(events.map((e) => e.delivery.eventType)).toEqual(['issue.created']);
    expect(events[0].env.data.eventData).toEqual({});
    expect(events[0].env.data.issue).toMatchObject({ id: issue.id, status: 'open', severity: 'low', history: [] });
  });

  const invalid: Array<[string, Record<string, unknown>, string]> = [
    ['empty pluginId', { pluginId: '' }, 'pluginId'],
    ['blank pluginId', { pluginId: '   ' }, 'pluginId'],
    ['empty weakness', { weakness: '' }, 'weakness'],
    ['blank weakness', { weakness: ' \t ' }, 'weakness'],
    ['a teamId that does not exist', { teamId: 'team_nope' }, 'teamId'],
  ];
  it.each(invalid)('%s is BAD_USER_INPUT on that field and writes neither issue nor event', async (_label, bad, field) => {
    const prisma = hw.service.app.db.prisma;
    const [issues, events] = [await prisma.issue.count(), await prisma.event.count()];
    const result = await admin.query(CREATE_ISSUE, { input: { pluginId: 'p', severity: 'LOW', weakness: 'W', ...bad } });
    expect(errorCode(result)).toBe('BAD_USER_INPUT');
    expect(result.errors?.[0].extensions?.field).toBe(field);
    expect(await prisma.issue.count()).toBe(issues);
    expect(await prisma.event.count()).toBe(events);
  });

  it('a teamId of another organization is BAD_USER_INPUT on teamId and writes nothing', async () => {
    const prisma = hw.service.app.db.prisma;
    const [issues, events] = [await prisma.issue.count(), await prisma.event.count()];
    const result = await admin.query(CREATE_ISSUE, { input: { pluginId: 'p', severity: 'LOW', weakness: 'W', teamId: otherTeam } });
    expect(errorCode(result)).toBe('BAD_USER_INPUT');
    expect(result.errors?.[0].extensions?.field).toBe('teamId');
    expect(await prisma.issue.count()).toBe(issues);
    expect(await prisma.event.count()).toBe(events);
  });
});

describe('the JSON envelope of an issue event', () => {
  it('has evt_ id, event == type, an ISO timestamp, data {issue, eventData, userId} and metadata {organizationId, teamId, webhookId}', async () => {
    const issue = await newIssue({ teamId: teamA, targetId: 'tgt-1', providerId: 'prov-1', severity: 'MEDIUM' });
    const updated = (await admin.must(UPDATE_ISSUE, { id: issue.id, input: { status: 'FALSE_POSITIVE' } })).updateIssue;
    const events = await recorded(admin, allHook, issue.id);
    expect(events.map((e) => e.delivery.eventType)).toEqual(['issue.created', 'issue.status_changed']);

    for (const [index, { delivery, env }] of events.entries()) {
      const at = index === 0 ? issue : updated;
      expect(Object.keys(env).sort()).toEqual(['data', 'event', 'id', 'metadata', 'timestamp', 'type']);
      expect(env.id).toMatch(/^evt_/);
      expect(env.id).toBe(delivery.eventId);
      expect(env.event).toBe(delivery.eventType);
      expect(env.type).toBe(env.event);
      expect(new Date(env.timestamp).toISOString()).toBe(env.timestamp);
      expect(Object.keys(env.data).sort()).toEqual(['eventData', 'issue', 'userId']);
      expect(env.data.userId).toBe(adminUserId);
      expect(Object.keys(env.data.issue).sort()).toEqual(ISSUE_PAYLOAD_KEYS);
      expect(env.data.issue).toMatchObject({
        id: issue.id,
        pluginId: issue.pluginId,
        status: at.status.toLowerCase(),
        severity: 'medium',
        organizationId: orgId,
        teamId: teamA,
        targetId: 'tgt-1',
        providerId: 'prov-1',
        weakness: issue.weakness,
        createdAt: issue.createdAt,
        updatedAt: at.updatedAt,
      });
      expect(env.metadata).toEqual({ organizationId: orgId, teamId: teamA, webhookId: allHook });
    }
    expect(events[1].env.data.issue.status).toBe('false_positive');
    expect(events[1].env.data.issue.history).toEqual([{ at: updated.history[0].at, userId: adminUserId, changes: ['status changed to false_positive'] }]);
    expect(events[0].env.id).not.toBe(events[1].env.id);

    // The receiver got exactly those bytes, with webhook-id = the envelope's id.
    for (const { delivery, env } of events) {
      const [request] = await receiver.waitFor('/all', 1, 10_000, (r) => r.webhookId === env.id);
      expect(request.body.toString()).toBe(delivery.requestBody);
      expect(request.headers['x-hookwarden-event']).toBe(env.type);
      expect(request.headers['content-type']).toMatch(/^application\/json/);
    }
  });

  it('metadata.teamId is null for an issue without a team', async () => {
    const issue = await newIssue();
    const [{ env }] = await recorded(admin, allHook, issue.id);
    expect(env.metadata).toEqual({ organizationId: orgId, teamId: null, webhookId: allHook });
    expect(env.data.issue.teamId).toBeNull();
  });
});

describe('updateIssue follows the issue event rules', () => {
  type Case = [string, Record<string, unknown>, () => Record<string, unknown>, string, () => Record<string, unknown>];
  const base = { pluginId: 'p', severity: 'HIGH', weakness: 'Weak', targetId: 't0', providerId: 'pr0' };
  const cases: Case[] = [
    ['status only', base, () => ({ status: 'FIXED' }), 'issue.status_changed', () => ({ from: 'open', to: 'fixed', changes: ['status changed to fixed'] })],
    ['status to FALSE_POSITIVE', base, () => ({ status: 'FALSE_POSITIVE' }), 'issue.status_changed', () => ({ from: 'open', to: 'false_positive', changes: ['status changed to false_positive'] })],
    ['severity only', base, () => ({ severity: 'LOW' }), 'issue.severity_changed', () => ({ from: 'high', to: 'low', changes: ['severity changed to low'] })],
    [
      'status plus an unchanged severity and weakness (equal values are not changes)',
      base,
      () => ({ status: 'IGNORED', severity: 'HIGH', weakness: 'Weak' }),
      'issue.status_changed',
      () => ({ from: 'open', to: 'ignored', changes: ['status changed to ignored'] }),
    ],
    [
      'severity plus an unchanged status and targetId',
      base,
      () => ({ severity: 'CRITICAL', status: 'OPEN', targetId: 't0' }),
      'issue.severity_changed',
      () => ({ from: 'high', to: 'critical', changes: ['severity changed to critical'] }),
    ],
    ['status and severity', base, () => ({ severity: 'CRITICAL', status: 'IGNORED' }), 'issue.updated', () => ({ changes: ['status changed to ignored', 'severity changed to critical'] })],
    ['weakness only', base, () => ({ weakness: 'Stored XSS' }), 'issue.updated', () => ({ changes: ['weakness changed to Stored XSS'] })],
    ['teamId only', base, () => ({ teamId: teamA }), 'issue.updated', () => ({ changes: [`teamId changed to ${teamA}`] })],
    ['targetId only', base, () => ({ targetId: 'https://t.example' }), 'issue.updated', () => ({ changes: ['targetId changed to https://t.example'] })],
    ['providerId only', base, () => ({ providerId: 'burp' }), 'issue.updated', () => ({ changes: ['providerId changed to burp'] })],
    [
      'all six fields, given in reverse order',
      base,
      () => ({ providerId: 'p2', targetId: 't2', teamId: teamB, weakness: 'W2', severity: 'MEDIUM', status: 'FIXED' }),
      'issue.updated',
      () => ({
        changes: ['status changed to fixed', 'severity changed to medium', 'weakness changed to W2', `teamId changed to ${teamB}`, 'targetId changed to t2', 'providerId changed to p2'],
      }),
    ],
    [
      'teamId and providerId',
      { ...base, teamId: 'A' },
      () => ({ providerId: 'p3', teamId: teamB }),
      'issue.updated',
      () => ({ changes: [`teamId changed to ${teamB}`, 'providerId changed to p3'] }),
    ],
  ];

  it.each(cases)('%s', async (_label, createInput, updateInput, type, eventData) => {
    const create = { ...createInput, ...(createInput.teamId === 'A' ? { teamId: teamA } : {}) };
    const issue = await newIssue(create);
    const input = updateInput();
    const updated = (await admin.must(UPDATE_ISSUE, { id: issue.id, input })).updateIssue;
    for (const [field, value] of Object.entries(input)) expect(updated[field], field).toBe(value);

    const events = await recorded(admin, allHook, issue.id);
    expect(events.map((e) => e.delivery.eventType)).toEqual(['issue.created', type]);
    const { env } = events[1];
    expect(env.type).toBe(type);
    expect(env.event).toBe(type);
    expect(env.data.eventData).toEqual(eventData());
    expect(env.data.userId).toBe(adminUserId);
    expect(env.data.issue.status).toBe(updated.status.toLowerCase());
    expect(env.data.issue.severity).toBe(updated.severity.toLowerCase());
    expect(env.data.issue.updatedAt).toBe(updated.updatedAt);

    // One history entry, with the same changes in the same order, by the acting user.
    const changes = (eventData() as { changes: string[] }).changes;
    expect(updated.history).toEqual([{ at: expect.any(String), userId: adminUserId, changes }]);
    expect(env.data.issue.history).toEqual(updated.history);
    expect((await admin.must(GET_ISSUE, { id: issue.id })).issue).toEqual(updated);
  });

  it('identical values produce no event, no history entry and no change', async () => {
    const issue = await newIssue({ teamId: teamA, targetId: 'same-target', providerId: 'same-provider' });
    const same = { status: 'OPEN', severity: 'HIGH', weakness: issue.weakness, teamId: teamA, targetId: 'same-target', providerId: 'same-provider' };
    const events = await hw.service.app.db.prisma.event.count();
    const updated = (await admin.must(UPDATE_ISSUE, { id: issue.id, input: same })).updateIssue;
    expect(updated).toEqual(issue);
    const empty = (await admin.must(UPDATE_ISSUE, { id: issue.id, input: {} })).updateIssue;
    expect(empty).toEqual(issue);
    expect((await admin.must(GET_ISSUE, { id: issue.id })).issue).toEqual(issue);
    expect(await hw.service.app.db.prisma.event.count()).toBe(events);
    expect((await recorded(admin, allHook, issue.id)).map((e) => e.delivery.eventType)).toEqual(['issue.created']);
  });

  it('clearing an optional field is a change; clearing it again is not', async () => {
    const issue = await newIssue({ targetId: 'to-clear' });
    const cleared = (await admin.must(UPDATE_ISSUE, { id: issue.id, input: { targetId: null } })).updateIssue;
    expect(cleared.targetId).toBeNull();
    expect(cleared.history).toHaveLength(1);
    expect(cleared.history[0].changes).toHaveLength(1);
    expect(cleared.history[0].changes[0]).toMatch(/^targetId changed to /);
    const again = (await admin.must(UPDATE_ISSUE, { id: issue.id, input: { targetId: null } })).updateIssue;
    expect(again.history).toHaveLength(1);
    expect((await recorded(admin, allHook, issue.id)).map((e) => e.delivery.eventType)).toEqual(['issue.created', 'issue.updated']);
  });

  it('history gets one entry per update, in order, with the acting user; data.userId is the actor', async () => {
    const issue = await newIssue();
    await admin.must(UPDATE_ISSUE, { id: issue.id, input: { status: 'FIXED' } });
    await admin.must(UPDATE_ISSUE, { id: issue.id, input: { status: 'FIXED' } }); // no change
    await member.must(UPDATE_ISSUE, { id: issue.id, input: { severity: 'LOW', weakness: 'Renamed' } });
    const last = (await member.must(UPDATE_ISSUE, { id: issue.id, input: { status: 'OPEN' } })).updateIssue;
    expect(last.history.map((h: any) => ({ userId: h.userId, changes: h.changes }))).toEqual([
      { userId: adminUserId, changes: ['status changed to fixed'] },
      { userId: memberUserId, changes: ['severity changed to low', 'weakness changed to Renamed'] },
      { userId: memberUserId, changes: ['status changed to open'] },
    ]);
    const ats = last.history.map((h: any) => Date.parse(h.at));
    expect([...ats].sort((a, b) => a - b)).toEqual(ats);
    const events = await recorded(admin, allHook, issue.id);
    expect(events.map((e) => [e.delivery.eventType, e.env.data.userId])).toEqual([
      ['issue.created', adminUserId],
      ['issue.status_changed', adminUserId],
      ['issue.updated', memberUserId],
      ['issue.status_changed', memberUserId],
    ]);
    expect(events[3].env.data.eventData).toEqual({ from: 'fixed', to: 'open', changes: ['status changed to open'] });
    expect(events[3].env.data.issue.history).toHaveLength(3);
  });

  it('concurrent identical updates: one change, one history entry, one event', async () => {
    const issue = await newIssue();
    const results = await Promise.all(Array.from({ length: 10 }, () => admin.query(UPDATE_ISSUE, { id: issue.id, input: { status: 'FIXED' } })));
    for (const result of results) expect(result.errors).toBeUndefined();
    const read = (await admin.must(GET_ISSUE, { id: issue.id })).issue;
    expect(read.status).toBe('FIXED');
    expect(read.history.map((h: any) => h.changes)).toEqual([['status changed to fixed']]);
    expect((await recorded(admin, allHook, issue.id)).map((e) => e.delivery.eventType)).toEqual(['issue.created', 'issue.status_changed']);
  });

  it('concurrent different updates: history and events form one consistent chain (each from is the previous to)', async () => {
    const issue = await newIssue();
    const statuses = ['FIXED', 'IGNORED', 'FALSE_POSITIVE', 'OPEN', 'FIXED', 'IGNORED', 'FALSE_POSITIVE', 'OPEN'];
    const results = await Promise.all(statuses.map((status) => admin.query(UPDATE_ISSUE, { id: issue.id, input: { status } })));
    for (const result of results) expect(result.errors).toBeUndefined();
    const read = (await admin.must(GET_ISSUE, { id: issue.id })).issue;
    const events = (await recorded(admin, allHook, issue.id)).slice(1);
    expect(events.length).toBe(read.history.length);
    let current = 'open';
    for (const [index, { env }] of events.entries()) {
      expect(env.type).toBe('issue.status_changed');
      expect(env.data.eventData.from, `event ${index}`).toBe(current);
      expect(env.data.eventData.to).not.toBe(current);
      expect(read.history[index].changes).toEqual([`status changed to ${env.data.eventData.to}`]);
      current = env.data.eventData.to;
    }
    expect(read.status.toLowerCase()).toBe(current);
  });

  it('invalid updates are BAD_USER_INPUT on the field and change nothing', async () => {
    const issue = await newIssue();
    const events = await hw.service.app.db.prisma.event.count();
    for (const [input, field] of [
      [{ weakness: '' }, 'weakness'],
      [{ weakness: '   ', status: 'FIXED' }, 'weakness'],
      [{ teamId: otherTeam, status: 'FIXED' }, 'teamId'],
      [{ teamId: 'team_nope' }, 'teamId'],
    ] as const) {
      const result = await admin.query(UPDATE_ISSUE, { id: issue.id, input });
      expect(errorCode(result), JSON.stringify(input)).toBe('BAD_USER_INPUT');
      expect(result.errors?.[0].extensions?.field).toBe(field);
    }
    expect((await admin.must(GET_ISSUE, { id: issue.id })).issue).toEqual(issue);
    expect(await hw.service.app.db.prisma.event.count()).toBe(events);
  });

  it('an unknown issue id is NOT_FOUND', async () => {
    const result = await admin.query(UPDATE_ISSUE, { id: 'iss_nope', input: { status: 'FIXED' } });
    expect(errorCode(result)).toBe('NOT_FOUND');
  });
});

describe('addIssueComment', () => {
  it('returns the comment, lists it on the issue and emits issue.comment_added with eventData.comment', async () => {
    const issue = await newIssue({ severity: 'LOW' });
    const { addIssueComment: comment } = await member.must('mutation ($id: ID!, $body: String!) { addIssueComment(issueId: $id, body: $body) { id userId body createdAt } }', {
      id: issue.id,
      body: 'Confirmed on staging.',
    });
    expect(comment).toEqual({ id: expect.any(String), userId: memberUserId, body: 'Confirmed on staging.', createdAt: expect.any(String) });
    const read = (await admin.must(GET_ISSUE, { id: issue.id })).issue;
    expect(read.comments).toEqual([comment]);
    expect(read.history).toEqual([]);

    const events = await recorded(admin, allHook, issue.id);
    expect(events.map((e) => e.delivery.eventType)).toEqual(['issue.created', 'issue.comment_added']);
    const { env } = events[1];
    expect(env.data.eventData).toEqual({ comment: { id: comment.id, body: comment.body, userId: memberUserId, createdAt: comment.createdAt } });
    expect(env.data.userId).toBe(memberUserId);
    expect(env.data.issue).toMatchObject({ id: issue.id, status: 'open', severity: 'low' });
    expect(Object.keys(env.data.issue).sort()).toEqual(ISSUE_PAYLOAD_KEYS);
  });

  it('comments are listed oldest first', async () => {
    const issue = await newIssue();
    for (const body of ['one', 'two', 'three']) await admin.must('mutation ($id: ID!, $b: String!) { addIssueComment(issueId: $id, body: $b) { id } }', { id: issue.id, b: body });
    const read = (await admin.must(GET_ISSUE, { id: issue.id })).issue;
    expect(read.comments.map((c: any) => c.body)).toEqual(['one', 'two', 'three']);
  });

  it.each([[''], ['   '], ['\n\t']])('body %j is BAD_USER_INPUT on body and writes neither comment nor event', async (body) => {
    const issue = await newIssue();
    const prisma = hw.service.app.db.prisma;
    const [comments, events] = [await prisma.issueComment.count(), await prisma.event.count()];
    const result = await admin.query('mutation ($id: ID!, $b: String!) { addIssueComment(issueId: $id, body: $b) { id } }', { id: issue.id, b: body });
    expect(errorCode(result)).toBe('BAD_USER_INPUT');
    expect(result.errors?.[0].extensions?.field).toBe('body');
    expect(await prisma.issueComment.count()).toBe(comments);
    expect(await prisma.event.count()).toBe(events);
  });

  it('on an unknown issue is NOT_FOUND', async () => {
    const result = await admin.query('mutation { addIssueComment(issueId: "iss_nope", body: "hi") { id } }');
    expect(errorCode(result)).toBe('NOT_FOUND');
  });
});

describe('which webhooks receive issue events', () => {
  it('filters by event name, prefix wildcard, severities, team and enabled', async () => {
    const org = await hw.admin('Filters', 'admin@filters.test');
    const team = (await org.must('mutation { createTeam(name: "Red") { id } }')).createTeam.id;
    const hook = async (name: string, input: Record<string, unknown>) =>
      (await org.must('mutation ($input: CreateWebhookInput!) { createWebhook(input: $input) { webhook { id } } }', { input: { name, url: receiver.url(`/f-${name}`), ...input } }))
        .createWebhook.webhook.id as string;
    const hooks = {
      created: await hook('created', { events: ['issue.created'] }),
      prefix: await hook('prefix', { events: ['issue.*'] }),
      critical: await hook('critical', { events: ['*'], severities: ['CRITICAL'] }),
      team: await hook('team', { events: ['*'], teamId: team }),
      disabled: await hook('disabled', { events: ['*'], enabled: false }),
      defaults: await hook('defaults', {}),
      statusOnly: await hook('statusOnly', { events: ['issue.status_changed', 'issue.comment_added'] }),
    };

    const low = (await org.must(CREATE_ISSUE, { input: { pluginId: 'a', severity: 'LOW', weakness: 'Low one' } })).createIssue.id;
    const crit = (await org.must(CREATE_ISSUE, { input: { pluginId: 'b', severity: 'CRITICAL', weakness: 'Critical one', teamId: team } })).createIssue.id;
    await org.must(UPDATE_ISSUE, { id: low, input: { status: 'FIXED' } }); // status_changed, LOW, no team
    await org.must(UPDATE_ISSUE, { id: crit, input: { weakness: 'Critical renamed' } }); // updated, CRITICAL, team
    await org.must('mutation ($id: ID!) { addIssueComment(issueId: $id, body: "c") { id } }', { id: crit }); // comment_added, CRITICAL, team
    await org.must(UPDATE_ISSUE, { id: low, input: { severity: 'CRITICAL' } }); // severity_changed, now CRITICAL, no team

    const seen = async (id: string) => (await recorded(org, id)).map((r) => `${r.env.data.issue.id === low ? 'low' : 'crit'}:${r.delivery.eventType}`);
    const all = ['low:issue.created', 'crit:issue.created', 'low:issue.status_changed', 'crit:issue.updated', 'crit:issue.comment_added', 'low:issue.severity_changed'];
    expect(await seen(hooks.prefix)).toEqual(all);
    expect(await seen(hooks.created)).toEqual(['low:issue.created', 'crit:issue.created']);
    expect(await seen(hooks.critical)).toEqual(['crit:issue.created', 'crit:issue.updated', 'crit:issue.comment_added', 'low:issue.severity_changed']);
    expect(await seen(hooks.team)).toEqual(['crit:issue.created', 'crit:issue.updated', 'crit:issue.comment_added']);
    expect(await seen(hooks.disabled)).toEqual([]);
    expect(await seen(hooks.defaults)).toEqual(['low:issue.created', 'crit:issue.created', 'crit:issue.updated']);
    expect(await seen(hooks.statusOnly)).toEqual(['low:issue.status_changed', 'crit:issue.comment_added']);

    // The receivers got what was recorded (and the disabled one nothing).
    await receiver.waitFor('/f-prefix', all.length);
    await receiver.waitFor('/f-team', 3);
    expect(receiver.on('/f-disabled')).toEqual([]);

    // Enabled again, it gets new events only.
    await org.must('mutation ($id: ID!) { updateWebhook(id: $id, input: { enabled: true }) { id } }', { id: hooks.disabled });
    const later = (await org.must(CREATE_ISSUE, { input: { pluginId: 'c', severity: 'MEDIUM', weakness: 'Later' } })).createIssue.id;
    const afterEnable = await recorded(org, hooks.disabled);
    expect(afterEnable.map((r) => [r.env.data.issue.id, r.delivery.eventType])).toEqual([[later, 'issue.created']]);
  });
});

describe('issues list', () => {
  const LIST = `query ($status: IssueStatus, $severity: Severity, $first: Int, $after: String) {
    issues(status: $status, severity: $severity, first: $first, after: $after) { edges { cursor node { id status severity } } pageInfo { hasNextPage endCursor } } }`;

  let lister: GraphQLClient;
  const ids: string[] = [];
  beforeAll(async () => {
    lister = await hw.admin('Lists', 'admin@lists.test');
    const severities = ['LOW', 'HIGH', 'LOW', 'CRITICAL', 'HIGH', 'LOW'];
    for (const [i, severity] of severities.entries()) {
      ids.push((await lister.must(CREATE_ISSUE, { input: { pluginId: `p${i}`, severity, weakness: `W${i}` } })).createIssue.id);
    }
    await lister.must(UPDATE_ISSUE, { id: ids[1], input: { status: 'FIXED' } });
    await lister.must(UPDATE_ISSUE, { id: ids[4], input: { status: 'FIXED' } });
    await lister.must(UPDATE_ISSUE, { id: ids[2], input: { status: 'IGNORED' } });
  });
  const idsOf = (page: any) => page.issues.edges.map((e: any) => e.node.id);

  it('lists every issue of the org, newest first', async () => {
    const page = await lister.must(LIST);
    expect(idsOf(page)).toEqual([...ids].reverse());
    expect(page.issues.pageInfo.hasNextPage).toBe(false);
  });

  it.each([
    ['status FIXED', { status: 'FIXED' }, [4, 1]],
    ['status OPEN', { status: 'OPEN' }, [5, 3, 0]],
    ['status FALSE_POSITIVE', { status: 'FALSE_POSITIVE' }, []],
    ['severity LOW', { severity: 'LOW' }, [5, 2, 0]],
    ['severity HIGH', { severity: 'HIGH' }, [4, 1]],
    ['status OPEN and severity LOW', { status: 'OPEN', severity: 'LOW' }, [5, 0]],
    ['status FIXED and severity LOW', { status: 'FIXED', severity: 'LOW' }, []],
  ])('filter %s', async (_label, filter, expected) => {
    const page = await lister.must(LIST, filter);
    expect(idsOf(page)).toEqual(expected.map((i) => ids[i]));
    for (const edge of page.issues.edges) expect(edge.node).toMatchObject(filter);
  });

  it('pages of 2 with endCursor, no overlap, newest first', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    const hasNext: boolean[] = [];
    for (let i = 0; i < 3; i += 1) {
      const page: any = await lister.must(LIST, { first: 2, after });
      expect(page.issues.edges).toHaveLength(2);
      seen.push(...idsOf(page));
      hasNext.push(page.issues.pageInfo.hasNextPage);
      expect(page.issues.pageInfo.endCursor).toBe(page.issues.edges[1].cursor);
      after = page.issues.pageInfo.endCursor;
    }
    expect(hasNext).toEqual([true, true, false]);
    expect(seen).toEqual([...ids].reverse());
  });

  it('paging combines with a filter', async () => {
    const first: any = await lister.must(LIST, { severity: 'LOW', first: 2 });
    expect(idsOf(first)).toEqual([ids[5], ids[2]]);
    expect(first.issues.pageInfo.hasNextPage).toBe(true);
    const second: any = await lister.must(LIST, { severity: 'LOW', first: 2, after: first.issues.pageInfo.endCursor });
    expect(idsOf(second)).toEqual([ids[0]]);
    expect(second.issues.pageInfo.hasNextPage).toBe(false);
  });

  it.each([[0], [101]])('first: %i is BAD_USER_INPUT on first', async (first) => {
    const result = await lister.query(LIST, { first });
    expect(errorCode(result)).toBe('BAD_USER_INPUT');
    expect(result.errors?.[0].extensions?.field).toBe('first');
  });

  it("issue(id) of another organization is null and its list does not show them", async () => {
    const theirs = await otherAdmin.query(GET_ISSUE, { id: ids[0] });
    expect(theirs.errors).toBeUndefined();
    expect(theirs.data).toEqual({ issue: null });
    const list = await otherAdmin.must(LIST, { first: 100 });
    for (const id of ids) expect(idsOf(list)).not.toContain(id);
  });
});
