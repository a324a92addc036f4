// The web console in a real browser: Debian's Chromium driven by playwright-core, against a real
// started server (its own SQLite file, the real dispatcher) and a local receiver on 127.0.0.1.
// Each test signs in to an organization of its own and saves a screenshot under test-output/console/.
import { execSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GraphQLClient } from '../support/graphql.ts';
import { startReceiver, waitUntil, type Receiver } from '../support/receiver.ts';
import { startTestService, type TestService } from '../support/service.ts';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = path.resolve(import.meta.dirname, '../..');
const SHOTS = path.join(ROOT, 'test-output', 'console');
const canRun = fs.existsSync(CHROMIUM) || process.env.CI === 'true';
if (!canRun) process.stderr.write(`console browser tests skipped: no ${CHROMIUM} (install it with: apt-get install -y chromium)\n`);

const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };

let hw: TestService;
let receiver: Receiver;
let browser: Browser;
let base = '';
let orgs = 0;

/** Problems the page reported: uncaught errors and Content-Security-Policy refusals. */
const problems = new WeakMap<Page, string[]>();

async function org(name: string): Promise<GraphQLClient & { token: string }> {
  orgs += 1;
  return hw.admin(`${name} ${orgs}`, `admin${orgs}@example.test`);
}

async function createWebhook(client: GraphQLClient, name: string, receiverPath: string, extra = ''): Promise<string> {
  const { createWebhook } = await client.must(
    `mutation ($name: String!, $url: String!) { createWebhook(input: { name: $name, url: $url ${extra} }) { webhook { id } } }`,
    { name, url: receiver.url(receiverPath) },
  );
  return createWebhook.webhook.id;
}

async function createIssue(client: GraphQLClient, weakness = 'Cross-site scripting'): Promise<string> {
  const { createIssue } = await client.must('mutation ($w: String!) { createIssue(input: { pluginId: "xss", severity: HIGH, weakness: $w }) { id } }', {
    w: weakness,
  });
  return createIssue.id;
}

type LogRow = { id: string; eventId: string; eventType: string; status: string };
async function deliveries(client: GraphQLClient, webhookId: string, filter: Record<string, unknown> = {}): Promise<LogRow[]> {
  const { deliveryLog } = await client.must(
    `query ($id: ID!, $status: DeliveryStatus, $since: DateTime) {
      deliveryLog(webhookId: $id, status: $status, since: $since, first: 100) { edges { node { id eventId eventType status } } } }`,
    { id: webhookId, ...filter },
  );
  return deliveryLog.edges.map((e: { node: LogRow }) => e.node);
}

async function openPage(viewport = DESKTOP): Promise<Page> {
  const context = await browser.newContext({ viewport, timezoneId: 'UTC', locale: 'en-GB' });
  const page = await context.newPage();
  const seen: string[] = [];
  problems.set(page, seen);
  page.on('pageerror', (error) => seen.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (/Content.Security.Policy|Refused to/i.test(message.text())) seen.push(`CSP: ${message.text()}`);
  });
  return page;
}

async function signIn(token: string, viewport = DESKTOP): Promise<Page> {
  const page = await openPage(viewport);
  await page.goto(`${base}/`);
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Webhooks', exact: true }).waitFor();
  return page;
}

/** Waits until the live connection is up and the page's subscriptions had time to register. */
async function live(page: Page): Promise<void> {
  await page.locator('.live-live').waitFor();
  await page.waitForTimeout(300);
}

async function rowCount(page: Page, selector = 'table.deliveries tbody tr'): Promise<number> {
  return page.locator(selector).count();
}

async function waitForRows(page: Page, count: number, selector = 'table.deliveries tbody tr'): Promise<void> {
  await page.waitForFunction(([s, n]) => document.querySelectorAll(s as string).length === n, [selector, count] as const, { timeout: 10_000 });
}

/** Waits until the log shows exactly these deliveries, in this order. */
async function waitForIds(page: Page, ids: string[]): Promise<void> {
  await page.waitForFunction(
    (expected) =>
      JSON.stringify([...document.querySelectorAll('table.deliveries tbody tr')].map((row) => row.getAttribute('data-delivery-id'))) === JSON.stringify(expected),
    ids,
    { timeout: 10_000 },
  );
}

async function finish(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  const seen = problems.get(page) ?? [];
  await page.context().close();
  expect(seen).toEqual([]);
}

describe.runIf(canRun)('the web console in Chromium', () => {
  beforeAll(async () => {
    if (!fs.existsSync(path.join(ROOT, 'web/dist/index.html'))) execSync('npm run --silent build:console', { cwd: ROOT, stdio: 'inherit' });
    fs.mkdirSync(SHOTS, { recursive: true });
    [hw, receiver, browser] = await Promise.all([
      startTestService({ HOOKWARDEN_CIRCUIT_BREAKER_THRESHOLD: '3' }),
      startReceiver(),
      chromium.launch({ executablePath: CHROMIUM, args: ARGS }),
    ]);
    base = hw.url.replace(/\/graphql$/, '');
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await hw?.stop();
    await receiver?.close();
  });

  it('signs in with a bootstrap token kept in sessionStorage only, refuses a bad one, and signs out', async () => {
    const admin = await org('Sign-in');
    const page = await openPage();
    await page.goto(`${base}/`);
    // Keyboard only: Tab reaches the token field first; Enter signs in.
    await page.getByLabel('API token').waitFor();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('name'))).toBe('token');
    await page.keyboard.type('hw_not-a-real-token');
    await page.keyboard.press('Enter');
    await page.getByText('That token was not accepted').waitFor();
    expect(await page.getByLabel('API token').getAttribute('aria-invalid')).toBe('true');
    await page.screenshot({ path: path.join(SHOTS, '01-bad-token.png') });

    await page.getByLabel('API token').fill(admin.token);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Webhooks', exact: true }).waitFor();
    await page.getByText('ADMIN', { exact: true }).waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('hookwarden.token'))).toBe(admin.token);
    expect(await page.evaluate(() => JSON.stringify(localStorage))).not.toContain(admin.token);
    expect(page.url()).not.toContain(admin.token);
    await page.screenshot({ path: path.join(SHOTS, '01-signed-in.png') });

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API token').waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('hookwarden.token'))).toBeNull();
    await finish(page, '01-signed-out');
  });

  it('creates a webhook through the form: the URL error next to the field, then the secret once', async () => {
    const admin = await org('Form');
    const page = await signIn(admin.token);
    await page.getByRole('button', { name: 'New webhook' }).click();
    await page.getByLabel('Name').fill('Local receiver');
    await page.getByLabel('URL').fill('not a url');
    await page.getByRole('button', { name: 'Create webhook' }).click();
    const urlError = page.locator('[data-field="url"] .field-error');
    await urlError.waitFor();
    expect(await urlError.textContent()).toContain('must be an absolute https URL');
    const urlInput = page.getByLabel('URL');
    expect(await urlInput.getAttribute('aria-invalid')).toBe('true');
    expect(await urlInput.getAttribute('aria-describedby')).toContain(await urlError.getAttribute('id'));
    expect(await page.locator('[data-field="name"] .field-error').count()).toBe(0);
    await page.screenshot({ path: path.join(SHOTS, '02-url-error.png'), fullPage: true });

    await urlInput.fill(receiver.url('/form'));
    await page.getByRole('button', { name: 'Create webhook' }).click();
    const reveal = page.getByTestId('secret-reveal');
    await reveal.waitFor();
    expect(await reveal.textContent()).toContain('you will not see this again');
    const secret = await reveal.getByLabel('Signing secret').inputValue();
    expect(secret).toMatch(/^whsec_/);
    await reveal.getByRole('button', { name: 'Copy' }).waitFor();
    await page.locator('article.webhook', { hasText: 'Local receiver' }).waitFor();
    await page.screenshot({ path: path.join(SHOTS, '02-secret.png'), fullPage: true });

    await page.getByRole('button', { name: 'I have stored it' }).click();
    await reveal.waitFor({ state: 'detached' });
    await page.reload();
    await page.locator('article.webhook', { hasText: 'Local receiver' }).waitFor();
    expect(await page.content()).not.toContain(secret);
    const { webhooks } = await admin.must('{ webhooks { edges { node { name url } } } }');
    expect(webhooks.edges.map((e: { node: unknown }) => e.node)).toEqual([{ name: 'Local receiver', url: receiver.url('/form') }]);
    await finish(page, '02-created');
  });

  it('shows a delivery appear and succeed live; a flaky receiver RETRYING, then SUCCEEDED; both attempts on the delivery page', async () => {
    const admin = await org('Live');
    const webhookId = await createWebhook(admin, 'Live receiver', '/live', 'events: ["issue.created"], retryCount: 3');
    const page = await signIn(admin.token);
    await page.getByRole('link', { name: 'Live receiver', exact: true }).click();
    await page.getByRole('heading', { name: 'Delivery log' }).waitFor();
    await live(page);
    const logReads: string[] = [];
    page.on('request', (request) => {
      if (request.postData()?.includes('"operationName":"DeliveryLog"')) logReads.push(request.url());
    });

    await createIssue(admin);
    await page.locator('table.deliveries tbody tr[data-status="SUCCEEDED"]').waitFor();
    expect(await rowCount(page)).toBe(1);

    receiver.script('/live', [{ status: 500, body: 'try again' }, { status: 200, delayMs: 1500 }]);
    await createIssue(admin);
    const flaky = page.locator('table.deliveries tbody tr').first();
    await page.locator('table.deliveries tbody tr:first-child[data-status="RETRYING"]').waitFor();
    await page.screenshot({ path: path.join(SHOTS, '03-retrying.png'), fullPage: true });
    await page.locator('table.deliveries tbody tr:first-child[data-status="SUCCEEDED"]').waitFor();
    expect(await rowCount(page, 'table.deliveries tbody tr[data-status="SUCCEEDED"]')).toBe(2);
    // The rows came from the subscription: the log was not read again meanwhile.
    expect(logReads).toEqual([]);
    await page.screenshot({ path: path.join(SHOTS, '03-webhook-page.png'), fullPage: false });

    // The same page at phone width: nothing spills out sideways.
    await page.setViewportSize(PHONE);
    await page.waitForFunction((width) => document.documentElement.scrollWidth <= width, PHONE.width, { timeout: 3_000 });
    await page.screenshot({ path: path.join(SHOTS, '03-webhook-page-390.png'), fullPage: true });
    await page.setViewportSize(DESKTOP);

    const deliveryId = await flaky.getAttribute('data-delivery-id');
    await flaky.getByRole('link').click();
    await page.locator('.attempt[data-attempt="2"]').waitFor();
    expect(await page.locator('.attempt').evaluateAll((items) => items.map((li) => li.getAttribute('data-status-code')))).toEqual(['500', '200']);
    expect(await page.locator('.attempt[data-attempt="1"]').textContent()).toContain('try again');
    expect(await page.getByTestId('delivery-status').textContent()).toBe('SUCCEEDED');
    const body = await page.getByTestId('request-body').textContent();
    expect(JSON.parse(body ?? '')).toMatchObject({ type: 'issue.created' });
    expect(body).toContain('\n  "');
    await page.getByRole('row', { name: /webhook-id/ }).waitFor();
    expect(page.url()).toBe(`${base}/deliveries/${deliveryId}`);
    expect((await deliveries(admin, webhookId)).map((d) => d.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    await finish(page, '03-delivery-page');
  });

  it('shows the breaker disabling a webhook live, with its reason, and re-enables it', async () => {
    const admin = await org('Breaker');
    const webhookId = await createWebhook(admin, 'Failing receiver', '/down', 'events: ["issue.created"], retryCount: 5');
    receiver.script('/down', [{ status: 503 }]);
    const page = await signIn(admin.token);
    const card = page.locator(`article[data-webhook-id="${webhookId}"]`);
    await card.locator('.badge.state-enabled', { hasText: 'Enabled' }).waitFor();
    await live(page);

    await createIssue(admin);
    const reason = card.locator('.disabled-reason');
    await reason.waitFor();
    expect(await reason.textContent()).toContain('circuit breaker: 3 consecutive failed attempts');
    await card.locator('.badge.state-disabled', { hasText: 'Disabled' }).waitFor();
    await page.screenshot({ path: path.join(SHOTS, '04-disabled.png'), fullPage: true });

    receiver.script('/down', [{ status: 200 }]);
    await card.getByRole('button', { name: /Re-enable/ }).click();
    await card.locator('.badge.state-enabled', { hasText: 'Enabled' }).waitFor();
    await reason.waitFor({ state: 'detached' });
    expect(await card.getByTestId('consecutive-failures').textContent()).toBe('0');
    const { webhook } = await admin.must('query ($id: ID!) { webhook(id: $id) { enabled disabledReason consecutiveFailures } }', { id: webhookId });
    expect(webhook).toEqual({ enabled: true, disabledReason: null, consecutiveFailures: 0 });
    await finish(page, '04-re-enabled');
  });

  it('retries exactly the deliveries that failed since a chosen time, and shows them succeed', async () => {
    const admin = await org('Retry');
    const webhookId = await createWebhook(admin, 'Flaky receiver', '/retry', 'events: ["issue.created"], retryCount: 0');
    // Failed before the chosen time, then a success: neither is queued again.
    receiver.script('/retry', [{ status: 503 }]);
    await createIssue(admin);
    await waitUntil(async () => (await deliveries(admin, webhookId, { status: 'FAILED' })).length === 1, 'the early failure');
    receiver.script('/retry', [{ status: 200 }]);
    await createIssue(admin);
    await waitUntil(async () => (await deliveries(admin, webhookId, { status: 'SUCCEEDED' })).length === 1, 'a success');
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const since = new Date();
    // While the receiver is down: two failures.
    receiver.script('/retry', [{ status: 503 }]);
    await createIssue(admin);
    await createIssue(admin);
    await waitUntil(async () => (await deliveries(admin, webhookId, { status: 'FAILED' })).length === 3, 'two failures');
    const failed = (await deliveries(admin, webhookId, { status: 'FAILED', since: new Date(Math.floor(since.getTime() / 1000) * 1000).toISOString() }))
      .map((d) => d.eventId)
      .sort();
    expect(failed).toHaveLength(2);
    receiver.script('/retry', [{ status: 200 }]);

    const page = await signIn(admin.token);
    await page.getByRole('link', { name: 'Flaky receiver', exact: true }).click();
    await waitForRows(page, 4);
    await live(page);
    // The browser runs in UTC: the datetime-local value is the UTC time to the second.
    await page.getByLabel('Retry failed deliveries since').fill(since.toISOString().slice(0, 19));
    await page.getByRole('button', { name: 'Retry failed' }).click();
    await page.getByTestId('action-result').getByText('Queued 2 deliveries again').waitFor();
    await waitForRows(page, 6);
    await waitForRows(page, 3, 'table.deliveries tbody tr[data-status="SUCCEEDED"]');
    const succeeded = await page
      .locator('table.deliveries tbody tr[data-status="SUCCEEDED"]')
      .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-event-id')));
    expect(succeeded.slice(0, 2).sort()).toEqual(failed);
    await finish(page, '05-retried');
  });

  it('narrows the log with the status and event-type filters and finds an event by its id', async () => {
    const admin = await org('Filters');
    const webhookId = await createWebhook(admin, 'Everything', '/filters', 'events: ["*"], retryCount: 0');
    const issueId = await createIssue(admin);
    // Settled, not merely written: a first delivery still in flight would take the 400 meant for the second.
    await waitUntil(async () => (await deliveries(admin, webhookId, { status: 'SUCCEEDED' })).length === 1, 'the first delivery');
    receiver.script('/filters', [{ status: 400, body: 'bad request' }]);
    await createIssue(admin);
    await waitUntil(async () => (await deliveries(admin, webhookId, { status: 'FAILED' })).length === 1, 'the failure');
    receiver.script('/filters', [{ status: 200 }]);
    await admin.must('mutation ($id: ID!) { updateIssue(id: $id, input: { status: FIXED }) { id } }', { id: issueId });
    await admin.must('mutation ($id: ID!) { testWebhook(id: $id) { id } }', { id: webhookId });
    const all = await waitUntil(async () => {
      const rows = await deliveries(admin, webhookId);
      return rows.length === 4 && rows.every((r) => r.status === 'SUCCEEDED' || r.status === 'FAILED') ? rows : null;
    }, 'four settled deliveries');
    const failed = all.find((r) => r.status === 'FAILED')!;
    const changed = all.find((r) => r.eventType === 'issue.status_changed')!;

    const page = await signIn(admin.token);
    await page.getByRole('link', { name: 'Everything', exact: true }).click();
    await waitForIds(page, all.map((r) => r.id));
    const clear = () => page.getByRole('button', { name: 'Clear filters' }).click();

    await page.getByLabel('Status', { exact: true }).selectOption('FAILED');
    await waitForIds(page, [failed.id]);
    await clear();
    await waitForIds(page, all.map((r) => r.id));

    await page.getByLabel('Event type').selectOption('issue.status_changed');
    await waitForIds(page, [changed.id]);
    await page.getByLabel('Status', { exact: true }).selectOption('FAILED');
    await waitForIds(page, []);
    await page.getByText('No deliveries match.').waitFor();
    await clear();
    await waitForIds(page, all.map((r) => r.id));

    await page.getByLabel('Event id or delivery id').fill(failed.eventId);
    await waitForIds(page, [failed.id]);
    await page.getByLabel('Event id or delivery id').fill(changed.id);
    await waitForIds(page, [changed.id]);
    await clear();
    await page.getByLabel('Response status').fill('400');
    await waitForIds(page, [failed.id]);
    await finish(page, '06-filters');
  });

  it('sends a test event, rotates the secret (once, with the overlap end) and deletes after confirmation', async () => {
    const admin = await org('Actions');
    const webhookId = await createWebhook(admin, 'Disposable', '/actions', 'events: ["issue.created"]');
    const page = await signIn(admin.token);
    await page.getByRole('link', { name: 'Disposable', exact: true }).click();
    await page.getByRole('heading', { name: 'Delivery log' }).waitFor();
    await live(page);

    await page.getByRole('button', { name: 'Send test event' }).click();
    await page.locator('table.deliveries tbody tr[data-status="SUCCEEDED"]', { hasText: 'webhook.test' }).waitFor();

    await page.getByRole('button', { name: 'Rotate secret' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Rotate secret' }).click();
    const reveal = page.getByTestId('secret-reveal');
    await reveal.waitFor();
    expect(await reveal.getByLabel('Signing secret').inputValue()).toMatch(/^whsec_/);
    expect(await reveal.textContent()).toContain('The old secret keeps signing too until');
    await page.screenshot({ path: path.join(SHOTS, '07-rotated.png'), fullPage: true });
    await reveal.getByRole('button', { name: 'I have stored it' }).click();

    await page.getByRole('button', { name: 'Delete webhook' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('Delete “Disposable”?').waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    expect((await admin.must('query ($id: ID!) { webhook(id: $id) { id } }', { id: webhookId })).webhook).not.toBeNull();
    await page.getByRole('button', { name: 'Delete webhook' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete webhook' }).click();
    await page.getByRole('heading', { name: 'Webhooks', exact: true }).waitFor();
    await page.getByText('No webhooks yet.').waitFor();
    expect((await admin.must('query ($id: ID!) { webhook(id: $id) { id } }', { id: webhookId })).webhook).toBeNull();
    await finish(page, '07-deleted');
  });

  it('pages through older deliveries and edits a webhook, with the API errors next to the fields', async () => {
    const admin = await org('Paging');
    const webhookId = await createWebhook(admin, 'Busy receiver', '/busy', 'events: ["issue.created"]');
    for (let i = 0; i < 30; i += 1) await createIssue(admin);
    await waitUntil(async () => (await deliveries(admin, webhookId, { status: 'SUCCEEDED' })).length === 30, '30 deliveries');
    const page = await signIn(admin.token);
    await page.getByRole('link', { name: 'Busy receiver', exact: true }).click();
    await waitForRows(page, 25);
    await page.getByRole('button', { name: 'Show older deliveries' }).click();
    await waitForRows(page, 30);
    expect(await page.getByRole('button', { name: 'Show older deliveries' }).count()).toBe(0);
    const shown = await page.locator('table.deliveries tbody tr').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-delivery-id')));
    expect(shown).toEqual((await deliveries(admin, webhookId)).map((d) => d.id));

    await page.getByRole('button', { name: 'Edit', exact: true }).click();
    await page.getByLabel('Name').fill('Busy receiver (EU)');
    await page.getByLabel('Timeout (ms)').fill('50');
    await page.getByRole('button', { name: 'Save changes' }).click();
    const timeoutError = page.locator('[data-field="timeoutMs"] .field-error');
    await timeoutError.waitFor();
    expect(await timeoutError.textContent()).toContain('1000');
    await page.getByLabel('Timeout (ms)').fill('8000');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('heading', { name: 'Busy receiver (EU)', level: 1 }).waitFor();
    const { webhook } = await admin.must('query ($id: ID!) { webhook(id: $id) { name timeoutMs } }', { id: webhookId });
    expect(webhook).toEqual({ name: 'Busy receiver (EU)', timeoutMs: 8000 });
    await finish(page, '08-paged-and-edited');
  });

  it('shows a MEMBER no URLs, no secrets and no delivery bodies, without broken pages', async () => {
    const admin = await org('Member');
    const webhookId = await createWebhook(admin, 'Private receiver', '/member-only-path', 'events: ["issue.created"]');
    await createIssue(admin, 'Weakness-in-the-body');
    const [delivery] = await waitUntil(async () => {
      const rows = await deliveries(admin, webhookId);
      return rows.length === 1 && rows[0].status === 'SUCCEEDED' ? rows : null;
    }, 'the delivery');
    const { createApiToken } = await admin.must('mutation { createApiToken(name: "reader", role: MEMBER) { token } }');

    const page = await signIn(createApiToken.token);
    const card = page.locator(`article[data-webhook-id="${webhookId}"]`);
    await card.waitFor();
    await card.getByText('Hidden (admins only)').waitFor();
    expect(await page.getByRole('button', { name: 'New webhook' }).count()).toBe(0);
    expect(await card.getByRole('button').count()).toBe(0);
    const forbidden = ['member-only-path', 'whsec_', 'Weakness-in-the-body'];
    for (const text of forbidden) expect(await page.content()).not.toContain(text);
    await page.screenshot({ path: path.join(SHOTS, '09-member-webhooks.png'), fullPage: true });

    await card.getByRole('link', { name: 'Private receiver', exact: true }).click();
    await page.getByText('Delivery history and actions are available to admins only.').waitFor();
    expect(await page.locator('table.deliveries').count()).toBe(0);
    for (const text of forbidden) expect(await page.content()).not.toContain(text);
    await page.screenshot({ path: path.join(SHOTS, '09-member-webhook.png'), fullPage: true });

    await page.goto(`${base}/deliveries/${delivery.id}`);
    await page.getByText('Deliveries are visible to admins only.').waitFor();
    for (const text of forbidden) expect(await page.content()).not.toContain(text);
    await finish(page, '09-member-delivery');
  });
});
