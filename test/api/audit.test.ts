// The webhook audit log: who created, changed, rotated, tested or deleted each webhook.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { errorCode } from '../support/graphql.ts';
import { startTestService, type TestService } from '../support/service.ts';

let hw: TestService;
beforeAll(async () => {
  hw = await startTestService();
});
afterAll(async () => {
  await hw?.stop();
});

const AUDIT = 'query ($id: ID) { webhookAuditLog(webhookId: $id) { edges { node { webhookId userId action changes at } } } }';

it('records every change to a webhook with who made it, field names only, and keeps it after delete', async () => {
  const admin = await hw.admin();
  const me = (await admin.must('{ viewer { user { id } } }')).viewer.user.id;
  const { createWebhook } = await admin.must(
    'mutation { createWebhook(input: { name: "audited", url: "http://127.0.0.1:9/x", headers: [{ name: "Authorization", value: "Bearer very-secret" }] }) { webhook { id } } }',
  );
  const id = createWebhook.webhook.id;
  await admin.must('mutation ($id: ID!) { updateWebhook(id: $id, input: { name: "renamed", retryCount: 5 }) { id } }', { id });
  await admin.must('mutation ($id: ID!) { rotateWebhookSecret(id: $id, overlapSeconds: 0) { secret } }', { id });
  await admin.must('mutation ($id: ID!) { testWebhook(id: $id) { id } }', { id });
  await admin.must('mutation ($id: ID!) { deleteWebhook(id: $id) }', { id });

  const { webhookAuditLog } = await admin.must(AUDIT, { id });
  const entries = webhookAuditLog.edges.map((e: { node: any }) => e.node).reverse();
  expect(entries.map((e: { action: string }) => e.action)).toEqual(['created', 'updated', 'secret_rotated', 'tested', 'deleted']);
  expect(entries.every((e: { userId: string; webhookId: string }) => e.userId === me && e.webhookId === id)).toBe(true);
  expect(entries[0].changes).toEqual(expect.arrayContaining(['name', 'url', 'headers']));
  expect(entries[1].changes.sort()).toEqual(['name', 'retryCount']);
  expect(JSON.stringify(webhookAuditLog)).not.toContain('very-secret');
});

it('is for admins of the same organization only', async () => {
  const admin = await hw.admin();
  const { createApiToken } = await admin.must('mutation { createApiToken(name: "m", role: MEMBER) { token } }');
  expect(errorCode(await hw.client(createApiToken.token).query(AUDIT, {}))).toBe('FORBIDDEN');
  const other = await hw.admin('Other', 'ops@other.test');
  const { webhookAuditLog } = await other.must(AUDIT, {});
  expect(webhookAuditLog.edges).toEqual([]);
});
