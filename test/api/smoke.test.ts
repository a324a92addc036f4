import { afterAll, beforeAll, expect, it } from 'vitest';
import { startReceiver, type Receiver } from '../support/receiver.ts';
import { startTestService, type TestService } from '../support/service.ts';

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

it('a created issue reaches a webhook', async () => {
  const admin = await hw.admin();
  await admin.must(`mutation ($url: String!) { createWebhook(input: { name: "r", url: $url }) { secret } }`, { url: receiver.url('/smoke') });
  const { createIssue } = await admin.must('mutation { createIssue(input: { pluginId: "p", severity: LOW, weakness: "W" }) { id } }');
  const [request] = await receiver.waitFor('/smoke');
  expect(JSON.parse(request.body.toString()).data.issue.id).toBe(createIssue.id);
});
