// The operator's CLI beyond bootstrap (test/e2e/cli.test.ts), as child processes on the database of
// a running service: tokens, webhooks, deliveries with their last error, redeliver, enabling a webhook
// the breaker disabled. Results on stdout, everything else on stderr, exit codes 0/1/2.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { GraphQLClient } from '../support/graphql.ts';
import { startReceiver, type Receiver } from '../support/receiver.ts';
import { createWebhook } from '../support/ops.ts';
import { startTestService, type TestService } from '../support/service.ts';
import { deliveryReaches, runProgram, testWebhook, type Run } from './programs.ts';

let hw: TestService;
let receiver: Receiver;
let admin: GraphQLClient & { token: string };
let good: string;
let broken: string;
let tripped: string;
let goodDelivery: string;
let brokenDelivery: string;
let runs: Record<string, Run>;

beforeAll(async () => {
  // One failed attempt trips the breaker.
  hw = await startTestService({ HOOKWARDEN_CIRCUIT_BREAKER_THRESHOLD: '1' });
  receiver = await startReceiver();
  admin = await hw.admin('Cli Org', 'ops@cli.test');
  good = (await createWebhook(admin, { name: 'good', url: receiver.url('/good') })).id;
  // Nothing listens on port 9 of 127.0.0.1: attempts fail without an answer, and the breaker
  // disables both webhooks. "broken" stays disabled; "tripped" is enabled again by the CLI.
  broken = (await createWebhook(admin, { name: 'broken', url: 'http://127.0.0.1:9/hooks', retryCount: 0 })).id;
  tripped = (await createWebhook(admin, { name: 'tripped', url: 'http://127.0.0.1:9/tripped', retryCount: 0 })).id;
  goodDelivery = await testWebhook(admin, good);
  brokenDelivery = await testWebhook(admin, broken);
  const trippedDelivery = await testWebhook(admin, tripped);
  await deliveryReaches(admin, goodDelivery, 'SUCCEEDED');
  await deliveryReaches(admin, brokenDelivery, 'FAILED');
  await deliveryReaches(admin, trippedDelivery, 'FAILED');

  // Each run is a cold start of tsx and the app, so they all run side by side; none changes what
  // another one reads.
  const { config } = hw.service.app;
  const env = { DATABASE_URL: config.databaseUrl, HOOKWARDEN_KEY_FILE: config.keyFile };
  const commands: Record<string, string[]> = {
    token: ['token', 'create', '--org', 'Cli Org', '--name', 'ci', '--role', 'member'],
    webhooks: ['webhooks', 'list', '--org', 'Cli Org'],
    deliveries: ['deliveries', 'list', '--webhook', broken, '--status', 'failed', '--limit', '5'],
    redeliver: ['redeliver', '--delivery', goodDelivery],
    refused: ['redeliver', '--delivery', 'dlv_nope', '--delivery', brokenDelivery],
    enable: ['webhooks', 'enable', '--webhook', tripped],
    badRole: ['token', 'create', '--org', 'Cli Org', '--name', 'x', '--role', 'boss'],
    unknown: ['webhooks', 'frobnicate'],
    help: ['deliveries', 'list', '--help'],
  };
  const results = await Promise.all(Object.values(commands).map((args) => runProgram('src/cli.ts', args, env)));
  runs = Object.fromEntries(Object.keys(commands).map((name, i) => [name, results[i]]));
}, 60_000);

afterAll(async () => {
  await hw?.stop();
  await receiver?.close();
});

const expectUsageError = (run: Run, message: string | RegExp) => {
  expect(run.code).toBe(2);
  expect(run.stdout).toBe('');
  expect(run.stderr).toMatch(message);
  expect(run.stderr).toContain('Usage: npm run cli --');
};

it('token create prints a working token of that role, alone', async () => {
  const run = runs.token;
  expect(run.code, run.stderr).toBe(0);
  expect(run.stdout).toMatch(/^hw_[A-Za-z0-9_-]{43}\n$/);
  const { viewer } = await hw.client(run.stdout.trim()).must('{ viewer { organization { name } user { name role } } }');
  expect(viewer).toEqual({ organization: { name: 'Cli Org' }, user: { name: 'ci', role: 'MEMBER' } });
});

it('webhooks list shows id, name, enabled, why it was disabled, and the url', () => {
  const run = runs.webhooks;
  expect(run.code, run.stderr).toBe(0);
  const lines = run.stdout.trim().split('\n');
  expect(lines[0].split(/\s{2,}/)).toEqual(['ID', 'NAME', 'ENABLED', 'DISABLED REASON', 'URL']);
  const row = (id: string) => lines.find((line) => line.startsWith(id))!.split(/\s{2,}/);
  expect(row(broken)).toEqual([broken, 'broken', 'no', 'circuit breaker: 1 consecutive failed attempts', 'http://127.0.0.1:9/hooks']);
  expect(row(good)).toEqual([good, 'good', 'yes', '-', receiver.url('/good')]);
});

it("deliveries list shows the webhook's deliveries with the last attempt's error, filtered by status", () => {
  const run = runs.deliveries;
  expect(run.code, run.stderr).toBe(0);
  const lines = run.stdout.trim().split('\n');
  expect(lines[0].split(/\s{2,}/)).toEqual(['ID', 'STATUS', 'EVENT', 'ATTEMPTS', 'CREATED', 'LAST ERROR']);
  expect(lines).toHaveLength(2);
  expect(lines[1].split(/\s{2,}/)).toEqual([brokenDelivery, 'FAILED', 'webhook.test', '1', expect.stringMatching(/^\d{4}-\d\d-\d\dT/), expect.stringMatching(/refused/)]);
});

it('redeliver queues the same event again and the running service sends it (same webhook-id)', async () => {
  const run = runs.redeliver;
  expect(run.code, run.stderr).toBe(0);
  const redelivery = run.stdout.trim();
  expect(redelivery).toMatch(/^dlv_\S+$/);
  await deliveryReaches(admin, redelivery, 'SUCCEEDED');
  const requests = receiver.on('/good');
  expect(requests).toHaveLength(2);
  expect(requests[1].webhookId).toBe(requests[0].webhookId);
});

it('redeliver says why each delivery was not queued, with progress, and exits 1', () => {
  const run = runs.refused;
  expect(run.code).toBe(1);
  expect(run.stdout).toBe('');
  expect(run.stderr).toContain('dlv_nope: delivery dlv_nope not found');
  expect(run.stderr).toContain(`${brokenDelivery}: deliveryId: the webhook of this delivery is disabled; enable it first`);
  expect(run.stderr).toContain('redeliver: 2/2 done, 2 failed');
  expect(run.stderr).toContain('error: 2 of 2 deliveries were not queued again');
});

it('webhooks enable re-enables a webhook the breaker disabled and resets its failures, as the org admin', async () => {
  const run = runs.enable;
  expect(run.code, run.stderr).toBe(0);
  expect(run.stdout).toBe(`${tripped} enabled (it was disabled: circuit breaker: 1 consecutive failed attempts)\n`);
  const { webhook } = await admin.must('query ($id: ID!) { webhook(id: $id) { enabled disabledReason consecutiveFailures } }', { id: tripped });
  expect(webhook).toEqual({ enabled: true, disabledReason: null, consecutiveFailures: 0 });
  const { webhookAuditLog } = await admin.must('query ($id: ID) { webhookAuditLog(webhookId: $id, first: 1) { edges { node { action changes userId } } } }', { id: tripped });
  const { viewer } = await admin.must('{ viewer { user { id } } }');
  expect(webhookAuditLog.edges[0].node).toEqual({ action: 'updated', changes: ['enabled'], userId: viewer.user.id });
});

it('mistakes exit 2 with the usage; --help exits 0 with it, on stderr', () => {
  expectUsageError(runs.badRole, '--role must be one of ADMIN, MEMBER, VIEWER');
  expectUsageError(runs.unknown, 'unknown command "webhooks frobnicate"');
  expect(runs.help.code).toBe(0);
  expect(runs.help.stdout).toBe('');
  expect(runs.help.stderr).toMatch(/^Usage: npm run cli -- deliveries list --webhook <id>/);
});
