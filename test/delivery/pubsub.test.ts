// Subscriptions across instances go through Redis (a real server on 127.0.0.1): the updates of a
// topic published in one turn of the event loop travel as one message, and subscribers get them
// one by one, in order.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createRedisPubSub, type DeliveryUpdate, type PubSub } from '../../src/pubsub.ts';
import { TEST_REDIS_URL } from '../support/service.ts';
import { waitUntil } from '../support/receiver.ts';

const prefix = `pubsub-test-${randomBytes(4).toString('hex')}:`;
const channel = `${prefix}delivery-updated:batch`;
let publisher: PubSub;
let listener: PubSub;
let raw: Redis;
let admin: Redis;
const messages: string[] = [];

beforeAll(async () => {
  publisher = createRedisPubSub(TEST_REDIS_URL, prefix);
  listener = createRedisPubSub(TEST_REDIS_URL, prefix);
  raw = new Redis(TEST_REDIS_URL);
  admin = new Redis(TEST_REDIS_URL);
  raw.on('message', (from: string, message: string) => {
    if (from === channel) messages.push(message);
  });
  await raw.subscribe(channel);
});

afterAll(async () => {
  await publisher?.close();
  await listener?.close();
  raw?.disconnect();
  admin?.disconnect();
});

const update = (n: number): DeliveryUpdate => ({
  organizationId: 'org_1',
  webhookId: 'whk_1',
  deliveryId: `dlv_${n}`,
  eventId: `evt_${n}`,
  eventType: 'issue.created',
  test: false,
  status: 'SUCCEEDED',
  attemptCount: 1,
  nextAttemptAt: null,
  lastStatusCode: 200,
  createdAt: new Date(0).toISOString(),
  updatedAt: new Date(0).toISOString(),
});

const subscribers = async () => Number(((await admin.pubsub('NUMSUB', channel)) as [string, number])[1]);

it('sends the updates of one turn as one message, 1,000 at most; a subscriber gets each, in order', async () => {
  const updates = listener.subscribe('delivery-updated')[Symbol.asyncIterator]();
  // The listener's own subscription is up once Redis counts it beside the raw one.
  await waitUntil(async () => (await subscribers()) === 2, 'the subscription in Redis');
  for (let n = 0; n < 50; n += 1) publisher.publish('delivery-updated', update(n));
  await new Promise((resolve) => setTimeout(resolve, 20));
  for (let n = 50; n < 2_551; n += 1) publisher.publish('delivery-updated', update(n));
  const received: string[] = [];
  for (let n = 0; n < 2_551; n += 1) received.push(((await updates.next()).value as DeliveryUpdate).deliveryId);
  expect(received).toEqual(Array.from({ length: 2_551 }, (_, n) => `dlv_${n}`));
  await waitUntil(() => messages.length === 4, 'four messages');
  expect(messages.map((message) => JSON.parse(message).length)).toEqual([50, 1_000, 1_000, 501]);
  await updates.return!();
});

it('a subscriber that leaves while waiting ends at once, and its Redis subscription with it', async () => {
  const updates = listener.subscribe('delivery-updated')[Symbol.asyncIterator]();
  await waitUntil(async () => (await subscribers()) === 2, 'the subscription in Redis');
  const pending = updates.next();
  await expect(updates.return!()).resolves.toMatchObject({ done: true });
  await expect(pending).resolves.toMatchObject({ done: true });
  await waitUntil(async () => (await subscribers()) === 1, 'the subscription gone from Redis');
});
