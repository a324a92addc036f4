// examples/client as a developer runs it, against a started service: it creates a webhook, publishes
// an event and prints each status of the delivery it watches live, through the final one.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startReceiver, type Receiver } from '../support/receiver.ts';
import { startTestService, type TestService } from '../support/service.ts';
import { runProgram } from './programs.ts';

let hw: TestService;
let receiver: Receiver;

beforeAll(async () => {
  hw = await startTestService();
  receiver = await startReceiver();
});

afterAll(async () => {
  await hw?.stop();
  await receiver?.close();
});

const STATUS = /^\S+ (dlv_\S+) (PENDING|RETRYING|SUCCEEDED|FAILED|CANCELLED) \(attempts: (\d+)/;

it('prints the delivery going PENDING → RETRYING → SUCCEEDED and exits 0', async () => {
  const admin = await hw.admin('Client Org', 'dev@client.test');
  // The first attempt takes a moment and fails with a retryable answer; the retry succeeds.
  receiver.script('/client', [{ status: 503, delayMs: 300 }, { status: 200 }]);
  const run = await runProgram('examples/client/main.ts', ['--api', hw.url, '--target', receiver.url('/client'), '--timeout', '20'], {
    HOOKWARDEN_TOKEN: admin.token,
  });
  expect(run.code, run.stderr).toBe(0);
  const updates = run.stdout
    .trim()
    .split('\n')
    .map((line) => line.match(STATUS));
  expect(updates.every(Boolean), run.stdout).toBe(true);
  expect(new Set(updates.map((u) => u![1])).size).toBe(1);
  expect(updates.map((u) => `${u![2]}/${u![3]}`)).toEqual(['PENDING/0', 'RETRYING/1', 'SUCCEEDED/2']);
  expect(run.stdout).toContain('last answer: HTTP 200');
  expect(run.stderr).toMatch(/registered the event type example\.ping/);
  expect(run.stderr).toMatch(/its signing secret \(shown once\): whsec_/);

  // The webhook the example made received exactly that event, signed.
  const requests = receiver.on('/client');
  expect(requests).toHaveLength(2);
  expect(requests[0].headers['x-hookwarden-event']).toBe('example.ping');
  expect(JSON.parse(requests[1].body.toString()).data).toEqual({ message: 'Hello from the Hookwarden example client' });
});

it('exits 1 with the final status when the delivery fails, reusing the registered event type', async () => {
  const admin = await hw.admin('Client Org', 'dev@client.test');
  receiver.script('/rejecting', [{ status: 400 }]);
  const run = await runProgram('examples/client/main.ts', ['--api', hw.url, '--target', receiver.url('/rejecting'), '--timeout', '20'], {
    HOOKWARDEN_TOKEN: admin.token,
    WEBHOOK_SECRET: `whsec_${Buffer.alloc(32, 7).toString('base64')}`,
  });
  expect(run.code).toBe(1);
  expect(run.stdout.trim().split('\n').at(-1)).toMatch(/ FAILED \(attempts: 1, last answer: HTTP 400\)$/);
  expect(run.stderr).not.toMatch(/registered the event type/);
  expect(run.stderr).not.toMatch(/signing secret/);
});

it('explains its usage without a token', async () => {
  const run = await runProgram('examples/client/main.ts', ['--target', receiver.url('/x')], {});
  expect(run.code).toBe(2);
  expect(run.stderr).toMatch(/^usage: HOOKWARDEN_TOKEN=/);
});
