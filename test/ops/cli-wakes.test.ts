// PostgreSQL: a delivery the CLI queues (redeliver) is sent by the running service at once, told by
// NOTIFY as by another instance, not at its next poll (a minute here).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebhook } from '../support/ops.ts';
import { startReceiver, type Receiver } from '../support/receiver.ts';
import { startTestService, TEST_DATABASE, type TestService } from '../support/service.ts';
import { deliveryReaches, runProgram, testWebhook } from './programs.ts';

describe.runIf(TEST_DATABASE === 'postgres')('the CLI wakes the running service (PostgreSQL)', () => {
  let hw: TestService;
  let receiver: Receiver;

  beforeAll(async () => {
    hw = await startTestService({ HOOKWARDEN_POLL_INTERVAL_MS: '60000' });
    receiver = await startReceiver();
  });

  afterAll(async () => {
    await hw?.stop();
    await receiver?.close();
  });

  it('redeliver: the running service sends the new delivery within seconds', async () => {
    const admin = await hw.admin('Wake Org', 'ops@wake.test');
    const { id: webhookId } = await createWebhook(admin, { url: receiver.url('/wake') });
    const first = await testWebhook(admin, webhookId);
    await deliveryReaches(admin, first, 'SUCCEEDED');
    const { config } = hw.service.app;
    const run = await runProgram('src/cli.ts', ['redeliver', '--delivery', first], { DATABASE_URL: config.databaseUrl, HOOKWARDEN_KEY_FILE: config.keyFile });
    expect(run.code, run.stderr).toBe(0);
    await receiver.waitFor('/wake', 2, 10_000);
    await deliveryReaches(admin, run.stdout.trim(), 'SUCCEEDED');
  });
});
