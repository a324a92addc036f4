// A typed Hookwarden client: creates a webhook, publishes an event to it and watches its delivery
// live over graphql-ws until the delivery is final. Every GraphQL document below is typed by
// GraphQL Code Generator from schema.graphql (codegen.ts → examples/client/gql/, made by
// `npm install` or `npm run codegen`), so results and variables are checked by tsc.
//
//   HOOKWARDEN_TOKEN=<admin token> npx tsx examples/client/main.ts --target https://receiver.example.com/hooks
//
// Options: --api <url> (default $HOOKWARDEN_URL or http://localhost:4000/graphql), --target <url> (the
// webhook's URL, required), --secret <whsec_…> (default $WEBHOOK_SECRET, else one is generated and
// printed), --event-type <name> (default example.ping), --timeout <seconds> (default 60).
// Prints one line per delivery update on stdout; exits 0 when the delivery SUCCEEDED, 1 otherwise.
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { graphql } from './gql/index.ts';
import type { ExampleDeliveryStateFragment } from './gql/graphql.ts';

const EventTypes = graphql(`
  query ExampleEventTypes {
    webhookEventTypes {
      name
    }
  }
`);

const CreateEventType = graphql(`
  mutation ExampleCreateEventType($name: String!, $description: String!) {
    createEventType(name: $name, description: $description) {
      name
    }
  }
`);

const CreateWebhook = graphql(`
  mutation ExampleCreateWebhook($input: CreateWebhookInput!) {
    createWebhook(input: $input) {
      secret
      webhook {
        id
        name
      }
    }
  }
`);

const PublishEvent = graphql(`
  mutation ExamplePublishEvent($input: PublishEventInput!) {
    publishEvent(input: $input) {
      id
      type
    }
  }
`);

const WebhookDeliveries = graphql(`
  query ExampleWebhookDeliveries($webhookId: ID!) {
    deliveries(webhookId: $webhookId, first: 10) {
      edges {
        node {
          ...ExampleDeliveryState
        }
      }
    }
  }
`);

const DeliveryUpdated = graphql(`
  subscription ExampleDeliveryUpdated($webhookId: ID!) {
    deliveryUpdated(webhookId: $webhookId) {
      ...ExampleDeliveryState
    }
  }
`);

// What the example shows of a delivery; the two documents above spread it.
graphql(`
  fragment ExampleDeliveryState on Delivery {
    id
    eventId
    status
    attemptCount
    lastStatusCode
    nextAttemptAt
  }
`);

type DeliveryState = ExampleDeliveryStateFragment;

const FINAL = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

const USAGE =
  'usage: HOOKWARDEN_TOKEN=<admin token> npx tsx examples/client/main.ts --target <webhook url> [--api <url>] [--secret <whsec_…>] [--event-type <name>] [--timeout <seconds>]\n';

function usage(problem?: string): never {
  process.stderr.write(`${USAGE}${problem ? `${problem}\n` : ''}`);
  process.exit(2);
}

const { values } = (() => {
  try {
    return parseArgs({
      options: {
        api: { type: 'string', default: process.env.HOOKWARDEN_URL ?? 'http://localhost:4000/graphql' },
        target: { type: 'string' },
        secret: { type: 'string', default: process.env.WEBHOOK_SECRET },
        'event-type': { type: 'string', default: 'example.ping' },
        timeout: { type: 'string', default: '60' },
      },
    });
  } catch (error) {
    return usage((error as Error).message);
  }
})();
const token = process.env.HOOKWARDEN_TOKEN;
const timeoutSeconds = Number(values.timeout);
if (!token || !values.target || !(timeoutSeconds > 0)) usage();
const api = values.api;
const eventType = values['event-type'];

/** One GraphQL request over HTTP; throws with the API's messages and codes. */
async function request<Result, Variables>(document: TypedDocumentNode<Result, Variables>, variables: Variables): Promise<Result> {
  const response = await fetch(api, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: print(document), variables }),
  });
  const body = (await response.json()) as { data?: Result; errors?: Array<{ message: string; extensions?: { code?: string } }> };
  if (body.errors?.length || !body.data) {
    throw new Error((body.errors ?? []).map((e) => `${e.extensions?.code ?? 'ERROR'}: ${e.message}`).join('; ') || `HTTP ${response.status}`);
  }
  return body.data;
}

/** Subscribes and resolves once the server acknowledged the connection (the subscription follows on it). */
async function watch<Result, Variables extends Record<string, unknown>>(
  document: TypedDocumentNode<Result, Variables>,
  variables: Variables,
  onData: (data: Result) => void,
  onError: (error: unknown) => void,
): Promise<Client> {
  let connected!: () => void;
  const acknowledged = new Promise<void>((resolve) => (connected = resolve));
  const client = createClient({
    url: api.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: 0,
    lazy: false,
    on: { connected: () => connected() },
  });
  client.subscribe<Result>(
    { query: print(document), variables },
    {
      next: (value) => (value.errors?.length ? onError(new Error(value.errors.map((e) => e.message).join('; '))) : onData(value.data as Result)),
      error: onError,
      complete: () => {},
    },
  );
  await acknowledged;
  return client;
}

async function main(): Promise<number> {
  const known = await request(EventTypes, {});
  if (!known.webhookEventTypes.some((type) => type.name === eventType)) {
    await request(CreateEventType, { name: eventType, description: 'Sent by the Hookwarden example client' });
    process.stderr.write(`registered the event type ${eventType}\n`);
  }
  const { createWebhook } = await request(CreateWebhook, {
    input: { name: 'example client', url: values.target!, events: [eventType], secret: values.secret ?? null },
  });
  const webhookId = createWebhook.webhook.id;
  process.stderr.write(`created webhook ${webhookId} → ${values.target}\n`);
  if (!values.secret) process.stderr.write(`its signing secret (shown once): ${createWebhook.secret}\n`);

  // Updates may arrive before publishEvent answers: they wait here until the event id is known.
  let eventId: string | null = null;
  const early: DeliveryState[] = [];
  // Per delivery, the last state printed: the snapshot read below and the subscription can overlap,
  // and with several instances an update can arrive after a newer one. Each attempt adds one to
  // attemptCount, so a state with fewer attempts, or anything after a final status, is old news.
  const shown = new Map<string, DeliveryState>();
  let finish!: (code: number) => void;
  const finished = new Promise<number>((resolve) => (finish = resolve));

  function show(delivery: DeliveryState): void {
    if (delivery.eventId !== eventId) return;
    const last = shown.get(delivery.id);
    if (last && (FINAL.has(last.status) || delivery.attemptCount < last.attemptCount)) return;
    if (last && last.status === delivery.status && last.attemptCount === delivery.attemptCount) return;
    shown.set(delivery.id, delivery);
    const details = [`attempts: ${delivery.attemptCount}`];
    if (delivery.lastStatusCode !== null && delivery.lastStatusCode !== undefined) details.push(`last answer: HTTP ${delivery.lastStatusCode}`);
    if (delivery.status === 'RETRYING' && delivery.nextAttemptAt) details.push(`next attempt: ${delivery.nextAttemptAt}`);
    process.stdout.write(`${new Date().toISOString()} ${delivery.id} ${delivery.status} (${details.join(', ')})\n`);
    if (FINAL.has(delivery.status)) finish(delivery.status === 'SUCCEEDED' ? 0 : 1);
  }

  const client = await watch(
    DeliveryUpdated,
    { webhookId },
    ({ deliveryUpdated }) => (eventId ? show(deliveryUpdated) : early.push(deliveryUpdated)),
    (error) => {
      process.stderr.write(`subscription failed: ${error instanceof Error ? error.message : JSON.stringify(error)}\n`);
      finish(1);
    },
  );
  const timer = setTimeout(() => {
    process.stderr.write(`no final status within ${timeoutSeconds} s\n`);
    finish(1);
  }, timeoutSeconds * 1000);
  try {
    const { publishEvent } = await request(PublishEvent, { input: { type: eventType, data: { message: 'Hello from the Hookwarden example client' } } });
    eventId = publishEvent.id;
    process.stderr.write(`published ${publishEvent.type} ${eventId}; watching its delivery\n`);
    early.splice(0).forEach(show);
    // What happened before the subscription was in place is in the delivery's current state.
    const { deliveries } = await request(WebhookDeliveries, { webhookId });
    for (const { node } of [...deliveries.edges].reverse()) show(node);
    return await finished;
  } finally {
    clearTimeout(timer);
    await client.dispose();
  }
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`error: ${error.message}\n`);
    process.exit(1);
  },
);
