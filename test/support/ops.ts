// GraphQL operations the tests share, written against the public schema.
import type { GraphQLClient } from './graphql.ts';
import type { TestService } from './service.ts';

export type Admin = GraphQLClient & { token: string };

let organizations = 0;

/** A fresh organization and its admin, so a test's events reach only its own webhooks. */
export function newOrg(hw: TestService, label = 'Org'): Promise<Admin> {
  organizations += 1;
  return hw.admin(`${label} ${organizations} ${process.pid}`, `admin${organizations}@${label.toLowerCase().replace(/\W/g, '')}.test`);
}

export async function createWebhook(admin: GraphQLClient, input: Record<string, unknown>): Promise<{ id: string; secret: string }> {
  const { createWebhook } = await admin.must('mutation ($input: CreateWebhookInput!) { createWebhook(input: $input) { secret webhook { id } } }', {
    input: { name: 'test', ...input },
  });
  return { id: createWebhook.webhook.id, secret: createWebhook.secret };
}

export async function createIssue(admin: GraphQLClient, input: Record<string, unknown> = {}): Promise<string> {
  const { createIssue } = await admin.must('mutation ($input: CreateIssueInput!) { createIssue(input: $input) { id } }', {
    input: { pluginId: 'sql-injection', severity: 'HIGH', weakness: 'SQL Injection', ...input },
  });
  return createIssue.id;
}

export const DELIVERY_FIELDS = `id webhookId eventId eventType status test attemptCount nextAttemptAt lastStatusCode requestBody
  attempts { number statusCode success error durationMs responseBody }`;

/** Every delivery of a webhook (of one status, if given), newest first, following the pages. */
export async function deliveriesOf(admin: GraphQLClient, webhookId: string, status?: string, fields = DELIVERY_FIELDS): Promise<any[]> {
  const all: any[] = [];
  let after: string | null = null;
  for (let page = 0; page < 1000; page += 1) {
    const { deliveries }: any = await admin.must(
      `query ($w: ID!, $s: DeliveryStatus, $after: String) {
        deliveries(webhookId: $w, status: $s, first: 100, after: $after) { edges { node { ${fields} } } pageInfo { hasNextPage endCursor } }
      }`,
      { w: webhookId, s: status ?? null, after },
    );
    all.push(...deliveries.edges.map((e: any) => e.node));
    if (!deliveries.pageInfo.hasNextPage) break;
    after = deliveries.pageInfo.endCursor;
  }
  return all;
}
