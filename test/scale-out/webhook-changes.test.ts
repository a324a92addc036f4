// Several instances (PostgreSQL and Redis): a webhook disabled through one instance sends nothing
// more from another that already holds some of its deliveries, waiting for a slot. The holder
// hears of the change through Redis, as subscriptions do, and checks what waits against the
// webhook's new state. Two services as child processes, a real receiver.
import fs from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { graphqlClient } from '../support/graphql.ts';
import { createIssue, createWebhook, deliveriesOf } from '../support/ops.ts';
import { bootstrapToken, killChildren, startChild, type Child } from '../support/processes.ts';
import { startReceiver, type Receiver } from '../support/receiver.ts';
import { createTestDatabase, instancesEnv, tempDir, type TestDatabase } from '../support/service.ts';

const dir = tempDir();
let database: TestDatabase;
let receiver: Receiver;
let env: Record<string, string>;
let holder: Child;
let other: Child;

beforeAll(async () => {
  database = await createTestDatabase(dir, 'postgres');
  receiver = await startReceiver();
  env = instancesEnv(database, {
    // One attempt at a time per webhook: the others wait in the instance that holds them.
    HOOKWARDEN_WEBHOOK_CONCURRENCY: '1',
    HOOKWARDEN_LEASE_MARGIN_MS: '20000',
  });
  holder = await startChild(env);
  other = await startChild(env);
}, 90_000);

afterAll(async () => {
  killChildren();
  await receiver?.close();
  await database?.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

it('a webhook disabled through another instance gets nothing more from the one holding its deliveries', async () => {
  const token = await bootstrapToken(env, 'Two', 'admin@two.test');
  const atHolder = graphqlClient(holder.url, token);
  const atOther = graphqlClient(other.url, token);
  const { id: webhookId } = await createWebhook(atHolder, { url: receiver.url('/held') });
  receiver.script('/held', [{ status: 200, delayMs: 1_500 }]);
  // Recorded through the holder: handed to its dispatcher, one in flight and three waiting there.
  for (let i = 0; i < 4; i += 1) await createIssue(atHolder);
  await receiver.waitFor('/held', 1);

  await atOther.must('mutation ($id: ID!) { updateWebhook(id: $id, input: { enabled: false }) { id } }', { id: webhookId });
  // Long enough for the first attempt to end and for each waiting one to have gone out after it.
  await new Promise((resolve) => setTimeout(resolve, 3 * 1_500 + 1_000));
  expect(receiver.on('/held')).toHaveLength(1);
  const waited = (await deliveriesOf(atOther, webhookId)).filter((d) => d.attempts.length === 0);
  expect(waited.map((d) => d.status)).toEqual(['CANCELLED', 'CANCELLED', 'CANCELLED']);
});
