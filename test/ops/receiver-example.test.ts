// examples/receiver as a receiver author runs it, fed by a started service: real deliveries pass both
// signature checks and are processed once, a redelivery (same webhook-id) is acknowledged without
// being processed again, and tampered or unsigned requests get 401.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { GraphQLClient } from '../support/graphql.ts';
import { waitUntil } from '../support/receiver.ts';
import { createWebhook } from '../support/ops.ts';
import { startTestService, type TestService } from '../support/service.ts';
import { deliveryReaches, runProgram, startProgram, type Program } from './programs.ts';

let hw: TestService;
let receiver: Program;
let receiverUrl: string;
let admin: GraphQLClient & { token: string };
let webhookId: string;
const secret = `whsec_${randomBytes(32).toString('base64')}`;

beforeAll(async () => {
  hw = await startTestService();
  receiver = startProgram('examples/receiver/server.ts', { WEBHOOK_SECRET: secret, PORT: '0', HOST: '127.0.0.1' });
  const [, url] = await receiver.waitForStderr(/^receiver listening on (http:\/\/\S+)$/);
  receiverUrl = url;
  admin = await hw.admin('Receiver Org', 'dev@receiver.test');
  // The webhook signs with the secret the receiver was started with.
  webhookId = (await createWebhook(admin, { url: `${receiverUrl}hooks`, events: ['issue.*'], secret })).id;
});

afterAll(async () => {
  await receiver?.stop();
  await hw?.stop();
});

interface Outcome {
  outcome: string;
  id: string | null;
  type?: string;
  reason?: string;
}

const outcomes = () => receiver.stdout.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Outcome);
async function waitForOutcomes(count: number): Promise<Outcome[]> {
  await waitUntil(() => outcomes().length >= count, `${count} outcomes from the receiver`);
  return outcomes();
}

const DELIVERY = 'query ($id: ID!) { delivery(id: $id) { id eventId status requestHeaders requestBody attempts { statusCode } } }';

let first: { id: string; eventId: string; requestHeaders: Record<string, string>; requestBody: string };

it('processes a real, signed delivery once', async () => {
  await admin.must('mutation { createIssue(input: { pluginId: "p", severity: HIGH, weakness: "XSS" }) { id } }');
  const { deliveries } = await admin.must('query ($w: ID!) { deliveries(webhookId: $w) { edges { node { id } } } }', { w: webhookId });
  expect(deliveries.edges).toHaveLength(1);
  const id = deliveries.edges[0].node.id;
  await deliveryReaches(admin, id, 'SUCCEEDED');
  first = (await admin.must(DELIVERY, { id })).delivery;
  expect(await waitForOutcomes(1)).toEqual([{ outcome: 'processed', id: first.eventId, type: 'issue.created' }]);
});

it('acknowledges a redelivery of the same event with 200 without processing it again', async () => {
  const { redeliver } = await admin.must('mutation ($id: ID!) { redeliver(deliveryId: $id) { id } }', { id: first.id });
  await deliveryReaches(admin, redeliver.id, 'SUCCEEDED');
  const again = (await admin.must(DELIVERY, { id: redeliver.id })).delivery;
  expect(again.eventId).toBe(first.eventId);
  expect(again.attempts).toEqual([{ statusCode: 200 }]);
  expect(await waitForOutcomes(2)).toEqual([
    { outcome: 'processed', id: first.eventId, type: 'issue.created' },
    { outcome: 'duplicate', id: first.eventId },
  ]);
  expect(outcomes().filter((o) => o.outcome === 'processed')).toHaveLength(1);
});

it('answers 401 to a tampered body, a forged hex signature and a request without signatures', async () => {
  // Replays of what Hookwarden really sent (its headers, with their signatures, are recorded on the
  // delivery), each altered in one way. The timestamp is recent, so only the alteration can fail.
  const signed = first.requestHeaders;
  const post = (headers: Record<string, string>, body: string) => fetch(`${receiverUrl}hooks`, { method: 'POST', headers, body });
  const fresh = `evt_${randomBytes(8).toString('hex')}`;
  const tamperedBody = first.requestBody.replace('"severity":"high"', '"severity":"low"');
  expect(tamperedBody).not.toBe(first.requestBody);

  expect((await post(signed, tamperedBody)).status).toBe(401);
  expect((await post({ ...signed, 'x-hookwarden-signature': '0'.repeat(64) }, first.requestBody)).status).toBe(401);
  expect((await post({ ...signed, 'webhook-id': fresh }, first.requestBody)).status).toBe(401);
  expect((await post({ 'content-type': 'application/json' }, first.requestBody)).status).toBe(401);
  // The untouched replay is a duplicate: 200, not processed again.
  expect((await post(signed, first.requestBody)).status).toBe(200);

  const last = (await waitForOutcomes(7)).slice(2);
  expect(last.map((o) => o.outcome)).toEqual(['rejected', 'rejected', 'rejected', 'rejected', 'duplicate']);
  expect(outcomes().filter((o) => o.outcome === 'processed')).toHaveLength(1);
});

it('refuses to start without a whsec_ secret', async () => {
  const run = await runProgram('examples/receiver/server.ts', [], { WEBHOOK_SECRET: 'not-a-secret', PORT: '0' });
  expect(run.code).toBe(2);
  expect(run.stderr).toMatch(/^usage: WEBHOOK_SECRET=whsec_/);
});
