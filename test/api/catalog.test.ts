// The event catalog (built-in and custom event types) and publishEvent: validation, routing,
// the envelope of custom events, idempotency and team scoping.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode, type GraphQLClient } from '../support/graphql.ts';
import { startReceiver, type Receiver } from '../support/receiver.ts';
import { startTestService, type TestService } from '../support/service.ts';

let hw: TestService;
let receiver: Receiver;
let admin: GraphQLClient & { token: string };
let member: GraphQLClient;
let orgId: string;
let other: GraphQLClient & { token: string };

const BUILT_IN = ['issue.created', 'issue.updated', 'issue.status_changed', 'issue.severity_changed', 'issue.comment_added'];
const TYPES = '{ webhookEventTypes { name description builtIn } }';
const CREATE_TYPE = 'mutation ($name: String!, $description: String!) { createEventType(name: $name, description: $description) { name description builtIn } }';
const PUBLISH = `mutation ($input: PublishEventInput!) { publishEvent(input: $input) { id type timestamp teamId data metadata } }`;
const CREATE_HOOK = 'mutation ($input: CreateWebhookInput!) { createWebhook(input: $input) { webhook { id events } } }';

beforeAll(async () => {
  [hw, receiver] = await Promise.all([startTestService(), startReceiver()]);
  admin = await hw.admin('Acme', 'admin@acme.test');
  orgId = (await admin.must('{ viewer { organization { id } } }')).viewer.organization.id;
  const { createApiToken } = await admin.must('mutation { createApiToken(name: "publisher", role: MEMBER) { token } }');
  member = hw.client(createApiToken.token);
  other = await hw.admin('Other', 'admin@other.test');
  for (const [name, description] of [
    ['scan.completed', 'A scan finished'],
    ['scan.started', 'A scan started'],
    ['deploy.finished', 'A deploy finished'],
  ]) {
    await admin.must(CREATE_TYPE, { name, description });
  }
});
afterAll(async () => {
  await Promise.all([hw?.stop(), receiver?.close()]);
});

async function hook(client: GraphQLClient, name: string, input: Record<string, unknown>): Promise<string> {
  return (await client.must(CREATE_HOOK, { input: { name, url: receiver.url(`/${name}`), ...input } })).createWebhook.webhook.id;
}

/** Envelopes recorded for a webhook, oldest first. */
async function envelopes(client: GraphQLClient, webhookId: string): Promise<Array<{ eventId: string; eventType: string; env: any; requestBody: string }>> {
  const { deliveries } = await client.must('query ($id: ID) { deliveries(webhookId: $id, first: 100) { edges { node { eventId eventType requestBody } } } }', { id: webhookId });
  return deliveries.edges.map((e: any) => ({ ...e.node, env: JSON.parse(e.node.requestBody) })).reverse();
}

describe('webhookEventTypes', () => {
  it('lists the five built-ins (builtIn, non-empty descriptions) and the custom ones', async () => {
    const { webhookEventTypes } = await admin.must(TYPES);
    const builtIns = webhookEventTypes.filter((t: any) => t.builtIn);
    expect(builtIns.map((t: any) => t.name).sort()).toEqual([...BUILT_IN].sort());
    for (const t of builtIns) expect(t.description.trim().length).toBeGreaterThan(0);
    const custom = webhookEventTypes.filter((t: any) => !t.builtIn);
    expect(custom).toEqual(
      expect.arrayContaining([
        { name: 'scan.completed', description: 'A scan finished', builtIn: false },
        { name: 'scan.started', description: 'A scan started', builtIn: false },
        { name: 'deploy.finished', description: 'A deploy finished', builtIn: false },
      ]),
    );
    expect(custom).toHaveLength(3);
    expect(new Set(webhookEventTypes.map((t: any) => t.name)).size).toBe(webhookEventTypes.length);
  });

  it('a MEMBER reads the same catalog', async () => {
    const mine = await admin.must(TYPES);
    const theirs = await member.must(TYPES);
    expect(theirs).toEqual(mine);
  });

  it("another organization sees only the built-ins, not Acme's types", async () => {
    const fresh = await hw.admin('Fresh', 'admin@fresh.test');
    const { webhookEventTypes } = await fresh.must(TYPES);
    expect(webhookEventTypes.map((t: any) => t.name).sort()).toEqual([...BUILT_IN].sort());
    expect(webhookEventTypes.every((t: any) => t.builtIn)).toBe(true);
  });
});

describe('createEventType', () => {
  it('returns the new type (builtIn false) and it joins the catalog', async () => {
    const { createEventType } = await admin.must(CREATE_TYPE, { name: 'asset.discovered', description: 'A new asset was found' });
    expect(createEventType).toEqual({ name: 'asset.discovered', description: 'A new asset was found', builtIn: false });
    const { webhookEventTypes } = await admin.must(TYPES);
    expect(webhookEventTypes).toContainEqual(createEventType);
  });

  it.each([
    ['issue.custom', 'reserved issue.*'],
    ['issue.created', 'a built-in name'],
    ['webhook.test', 'reserved webhook.*'],
    ['webhook.custom', 'reserved webhook.*'],
    ['Bad Name!', 'not a dotted lower-case name'],
    ['', 'empty'],
    ['Scan.Completed', 'upper case'],
    ['scan..completed', 'an empty part'],
    ['scan.*', 'a wildcard'],
    ['*', 'the catch-all'],
  ])('%j (%s) is BAD_USER_INPUT on name and writes nothing', async (name) => {
    const before = await hw.service.app.db.prisma.eventType.count();
    const result = await admin.query(CREATE_TYPE, { name, description: 'd' });
    expect(errorCode(result)).toBe('BAD_USER_INPUT');
    expect(result.errors?.[0].extensions?.field).toBe('name');
    expect(await hw.service.app.db.prisma.eventType.count()).toBe(before);
  });

  it('an empty description is BAD_USER_INPUT on description', async () => {
    const result = await admin.query(CREATE_TYPE, { name: 'nodesc.type', description: '  ' });
    expect(errorCode(result)).toBe('BAD_USER_INPUT');
    expect(result.errors?.[0].extensions?.field).toBe('description');
  });

  it('a duplicate name is CONFLICT on name and keeps the first description', async () => {
    const result = await admin.query(CREATE_TYPE, { name: 'scan.completed', description: 'Replaced?' });
    expect(errorCode(result)).toBe('CONFLICT');
    expect(result.errors?.[0].extensions?.field).toBe('name');
    const { webhookEventTypes } = await admin.must(TYPES);
    expect(webhookEventTypes.filter((t: any) => t.name === 'scan.completed')).toEqual([{ name: 'scan.completed', description: 'A scan finished', builtIn: false }]);
  });

  it('concurrent registrations of one name: exactly one succeeds, the others are CONFLICT', async () => {
    // Several rounds, each a burst of 10 registrations of one new name: a check-then-insert race shows in some round.
    for (let round = 0; round < 5; round += 1) {
      const name = `race.type_${round}`;
      const results = await Promise.all(Array.from({ length: 10 }, () => admin.query(CREATE_TYPE, { name, description: 'Raced' })));
      const codes = results.map((r) => errorCode(r) ?? 'OK').sort();
      expect(codes, name).toEqual([...Array(9).fill('CONFLICT'), 'OK']);
      for (const r of results.filter((x) => errorCode(x))) expect(r.errors?.[0].extensions?.field).toBe('name');
      const { webhookEventTypes } = await admin.must(TYPES);
      expect(webhookEventTypes.filter((t: any) => t.name === name)).toHaveLength(1);
    }
  });

  it('names are unique per organization: another org may register the same name', async () => {
    const { createEventType } = await other.must(CREATE_TYPE, { name: 'scan.completed', description: "Other's scans" });
    expect(createEventType).toEqual({ name: 'scan.completed', description: "Other's scans", builtIn: false });
    const mine = (await admin.must(TYPES)).webhookEventTypes.find((t: any) => t.name === 'scan.completed');
    expect(mine.description).toBe('A scan finished');
  });
});

describe('webhooks and custom types', () => {
  it('may subscribe to a custom type, a custom prefix and a mix with built-ins', async () => {
    for (const events of [['scan.completed'], ['scan.*'], ['scan.completed', 'issue.created', 'deploy.*'], ['*']]) {
      const result = await admin.query(CREATE_HOOK, { input: { name: 'sub', url: receiver.url('/sub'), events } });
      expect(result.errors, JSON.stringify(events)).toBeUndefined();
      expect(result.data?.createWebhook.webhook.events).toEqual(events);
    }
  });

  it('an unregistered custom type is BAD_USER_INPUT on events; so is a type only another org registered', async () => {
    await other.must(CREATE_TYPE, { name: 'other.only', description: 'Registered by Other' });
    for (const events of [['scan.unregistered'], ['other.only']]) {
      const result = await admin.query(CREATE_HOOK, { input: { name: 'bad', url: receiver.url('/bad'), events } });
      expect(errorCode(result), JSON.stringify(events)).toBe('BAD_USER_INPUT');
      expect(result.errors?.[0].extensions?.field).toBe('events');
    }
  });
});

describe('publishEvent validation', () => {
  async function rejects(input: Record<string, unknown>, field: string, client: GraphQLClient = admin) {
    const prisma = hw.service.app.db.prisma;
    const [events, deliveries] = [await prisma.event.count(), await prisma.delivery.count()];
    const result = await client.query(PUBLISH, { input });
    expect(errorCode(result)).toBe('BAD_USER_INPUT');
    expect(result.errors?.[0].extensions?.field).toBe(field);
    expect(result.data?.publishEvent ?? null).toBeNull();
    expect(await prisma.event.count()).toBe(events);
    expect(await prisma.delivery.count()).toBe(deliveries);
  }

  it.each([
    ['an unregistered type', 'scan.unknown'],
    ['issue.created (built in, emitted only by issue mutations)', 'issue.created'],
    ['issue.updated', 'issue.updated'],
    ['webhook.test', 'webhook.test'],
    ["a type only another org registered", 'other.only'],
  ])('%s is BAD_USER_INPUT on type', async (_label, type) => {
    await hook(admin, `catch-${type.replace(/\W/g, '-')}`, { events: ['*'] });
    await rejects({ type, data: { a: 1 } }, 'type');
  });

  it('data over 256 KiB is BAD_USER_INPUT on data; just under is accepted', async () => {
    await rejects({ type: 'scan.completed', data: { blob: 'x'.repeat(256 * 1024) } }, 'data');
    const ok = await admin.query(PUBLISH, { input: { type: 'scan.completed', data: { blob: 'y'.repeat(256 * 1024 - 20) } } });
    expect(ok.errors).toBeUndefined();
    expect(ok.data?.publishEvent.data.blob).toHaveLength(256 * 1024 - 20);
  });

  it.each([
    ['an array', [1, 2, 3]],
    ['a string', 'hello'],
    ['a number', 42],
    ['a boolean', true],
  ])('data that is %s is BAD_USER_INPUT on data', async (_label, data) => {
    await rejects({ type: 'scan.completed', data }, 'data');
  });

  it('a teamId of another organization is BAD_USER_INPUT on teamId', async () => {
    const team = (await other.must('mutation { createTeam(name: "Theirs") { id } }')).createTeam.id;
    await rejects({ type: 'scan.completed', data: {}, teamId: team }, 'teamId');
  });
});

describe('publishEvent delivery', () => {
  it('returns the event and delivers the caller data under data to every webhook subscribed to it', async () => {
    const org = await hw.admin('Publisher', 'admin@publisher.test');
    await org.must(CREATE_TYPE, { name: 'scan.completed', description: 'Scan done' });
    await org.must(CREATE_TYPE, { name: 'scan.started', description: 'Scan started' });
    const { createApiToken } = await org.must('mutation { createApiToken(name: "m", role: MEMBER) { token } }');
    const publisher = hw.client(createApiToken.token);
    const hooks = {
      exact: await hook(org, 'p-exact', { events: ['scan.completed'] }),
      prefix: await hook(org, 'p-prefix', { events: ['scan.*'] }),
      star: await hook(org, 'p-star', { events: ['*'] }),
      critical: await hook(org, 'p-critical', { events: ['*'], severities: ['CRITICAL'] }),
      issues: await hook(org, 'p-issues', { events: ['issue.*'] }),
      started: await hook(org, 'p-started', { events: ['scan.started'] }),
      defaults: await hook(org, 'p-defaults', {}),
      disabled: await hook(org, 'p-disabled', { events: ['*'], enabled: false }),
    };
    const data = { scanId: 'scan-42', findings: 3, nested: { ok: true, list: [1, 'two', null] } };
    const before = Date.now();
    const { publishEvent: event } = await publisher.must(PUBLISH, { input: { type: 'scan.completed', data } });
    expect(event.id).toMatch(/^evt_/);
    expect(event.type).toBe('scan.completed');
    expect(event.teamId).toBeNull();
    expect(event.data).toEqual(data);
    expect(Date.parse(event.timestamp)).toBeGreaterThanOrEqual(before - 1000);

    for (const [name, id] of Object.entries(hooks)) {
      const got = await envelopes(org, id);
      const expected = ['exact', 'prefix', 'star', 'critical'].includes(name) ? 1 : 0;
      expect(got, name).toHaveLength(expected);
      if (!expected) continue;
      const { env, eventId, eventType } = got[0];
      expect(eventId).toBe(event.id);
      expect(eventType).toBe('scan.completed');
      expect(env).toEqual({
        id: event.id,
        event: 'scan.completed',
        type: 'scan.completed',
        timestamp: event.timestamp,
        data,
        metadata: { organizationId: expect.any(String), teamId: null, webhookId: id },
      });
    }
    const [request] = await receiver.waitFor('/p-exact');
    expect(request.webhookId).toBe(event.id);
    expect(JSON.parse(request.body.toString()).data).toEqual(data);
  });

  it('merges the caller metadata into the envelope metadata; ours win for organizationId, teamId and webhookId', async () => {
    const id = await hook(admin, 'meta', { events: ['deploy.finished'] });
    const metadata = { source: 'ci', run: 17, organizationId: 'org_forged', webhookId: 'whk_forged', teamId: 'team_forged' };
    const { publishEvent: event } = await admin.must(PUBLISH, { input: { type: 'deploy.finished', data: { ok: true }, metadata } });
    const [{ env }] = await envelopes(admin, id);
    expect(env.id).toBe(event.id);
    expect(env.metadata).toEqual({ source: 'ci', run: 17, organizationId: orgId, teamId: null, webhookId: id });
    expect(env.data).toEqual({ ok: true });
  });

  it('metadata that is not an object is BAD_USER_INPUT on metadata', async () => {
    const result = await admin.query(PUBLISH, { input: { type: 'deploy.finished', data: {}, metadata: ['not', 'an', 'object'] } });
    expect(errorCode(result)).toBe('BAD_USER_INPUT');
    expect(result.errors?.[0].extensions?.field).toBe('metadata');
  });

  it('a webhook with a severity filter still gets custom events (they have no severity)', async () => {
    const org = await hw.admin('Severity', 'admin@severity.test');
    await org.must(CREATE_TYPE, { name: 'scan.completed', description: 'Scan done' });
    const id = await hook(org, 'sev', { events: ['scan.completed'], severities: ['LOW'] });
    const { publishEvent } = await org.must(PUBLISH, { input: { type: 'scan.completed', data: { severity: 'critical' } } });
    expect((await envelopes(org, id)).map((e) => e.eventId)).toEqual([publishEvent.id]);
  });
});

describe('publishEvent idempotency', () => {
  it('the same key returns the same event and creates no new event or delivery', async () => {
    const org = await hw.admin('Idem', 'admin@idem.test');
    await org.must(CREATE_TYPE, { name: 'scan.completed', description: 'Scan done' });
    const id = await hook(org, 'idem', { events: ['*'] });
    const prisma = hw.service.app.db.prisma;

    const first = (await org.must(PUBLISH, { input: { type: 'scan.completed', data: { n: 1 }, idempotencyKey: 'run-1' } })).publishEvent;
    const [events, deliveries] = [await prisma.event.count(), await prisma.delivery.count()];
    const second = (await org.must(PUBLISH, { input: { type: 'scan.completed', data: { n: 2 }, idempotencyKey: 'run-1' } })).publishEvent;
    expect(second.id).toBe(first.id);
    expect(second.data).toEqual({ n: 1 });
    expect(second.timestamp).toBe(first.timestamp);
    expect(await prisma.event.count()).toBe(events);
    expect(await prisma.delivery.count()).toBe(deliveries);
    expect((await envelopes(org, id)).map((e) => e.eventId)).toEqual([first.id]);

    // A different key, or none, is a new event.
    const third = (await org.must(PUBLISH, { input: { type: 'scan.completed', data: { n: 3 }, idempotencyKey: 'run-2' } })).publishEvent;
    const fourth = (await org.must(PUBLISH, { input: { type: 'scan.completed', data: { n: 4 } } })).publishEvent;
    const fifth = (await org.must(PUBLISH, { input: { type: 'scan.completed', data: { n: 4 } } })).publishEvent;
    expect(new Set([first.id, third.id, fourth.id, fifth.id]).size).toBe(4);
    expect((await envelopes(org, id)).map((e) => e.eventId)).toEqual([first.id, third.id, fourth.id, fifth.id]);

    // The receiver saw the first event once.
    await receiver.waitFor('/idem', 4);
    expect(receiver.on('/idem').filter((r) => r.webhookId === first.id)).toHaveLength(1);
  });

  it('concurrent publishes with one key: one event, one delivery, every answer the same event', async () => {
    const org = await hw.admin('Idem Race', 'admin@idemrace.test');
    await org.must(CREATE_TYPE, { name: 'scan.completed', description: 'Scan done' });
    const id = await hook(org, 'idem-race', { events: ['*'] });
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, n) => org.query(PUBLISH, { input: { type: 'scan.completed', data: { n }, idempotencyKey: 'same-run' } })),
    );
    for (const result of results) expect(result.errors).toBeUndefined();
    const ids = new Set(results.map((r) => r.data?.publishEvent.id));
    expect(ids.size).toBe(1);
    expect((await envelopes(org, id)).map((e) => e.eventId)).toEqual([...ids]);
  });

  it('keys are per organization: another org with the same key gets its own event', async () => {
    await other.must(CREATE_TYPE, { name: 'deploy.finished', description: 'Deploys' }).catch(() => undefined);
    const mine = (await admin.must(PUBLISH, { input: { type: 'deploy.finished', data: { who: 'acme' }, idempotencyKey: 'shared-key' } })).publishEvent;
    const theirs = (await other.must(PUBLISH, { input: { type: 'deploy.finished', data: { who: 'other' }, idempotencyKey: 'shared-key' } })).publishEvent;
    expect(theirs.id).not.toBe(mine.id);
    expect(theirs.data).toEqual({ who: 'other' });
  });
});

describe('publishEvent with teamId', () => {
  it('reaches webhooks of that team and webhooks without a team, never another team', async () => {
    const org = await hw.admin('Teams', 'admin@teams.test');
    await org.must(CREATE_TYPE, { name: 'scan.completed', description: 'Scan done' });
    const red = (await org.must('mutation { createTeam(name: "Red") { id } }')).createTeam.id;
    const blue = (await org.must('mutation { createTeam(name: "Blue") { id } }')).createTeam.id;
    const hooks = {
      red: await hook(org, 't-red', { events: ['scan.*'], teamId: red }),
      blue: await hook(org, 't-blue', { events: ['scan.*'], teamId: blue }),
      none: await hook(org, 't-none', { events: ['scan.*'] }),
    };
    const forRed = (await org.must(PUBLISH, { input: { type: 'scan.completed', data: { team: 'red' }, teamId: red } })).publishEvent;
    expect(forRed.teamId).toBe(red);
    const forNobody = (await org.must(PUBLISH, { input: { type: 'scan.completed', data: { team: null } } })).publishEvent;

    expect((await envelopes(org, hooks.red)).map((e) => e.eventId)).toEqual([forRed.id]);
    expect((await envelopes(org, hooks.blue)).map((e) => e.eventId)).toEqual([]);
    expect((await envelopes(org, hooks.none)).map((e) => e.eventId)).toEqual([forRed.id, forNobody.id]);
    const [{ env }] = await envelopes(org, hooks.red);
    expect(env.metadata.teamId).toBe(red);
  });
});
