// What the web console needs beyond the contract: the filtered delivery log, delivery counts per
// time bucket, a webhook's health and "retry failed". All of it is delivery data: admins only.
import { authorize } from '../domain/access.ts';
import {
  deliveryStats,
  findDeliveryLog,
  MAX_BUCKETS,
  MAX_LOOKBACK_DAYS,
  MAX_RETRY_FAILED,
  retryFailedDeliveries,
  webhookHealth,
  type DeliveryCounts as Counts,
  type DeliveryStats as Stats,
  type RetryFailedResult,
  type WebhookHealth as Health,
} from '../domain/console.ts';
import type { Delivery as DeliveryRow } from '../generated/prisma/client.ts';
import { builder } from './builder.ts';
import { Delivery } from './deliveries.ts';
import { DeliveryStatusEnum } from './enums.ts';
import { connection, pageQuery, toPage } from './pagination.ts';
import { Webhook } from './webhooks.ts';

const DeliveryLogConnection = connection<DeliveryRow>('DeliveryLog', Delivery);

const DeliveryCounts = builder.objectRef<Counts>('DeliveryCounts').implement({
  description: 'Deliveries by their current status',
  fields: (t) => ({
    pending: t.exposeInt('pending'),
    retrying: t.exposeInt('retrying'),
    succeeded: t.exposeInt('succeeded'),
    failed: t.exposeInt('failed'),
    cancelled: t.exposeInt('cancelled'),
    total: t.exposeInt('total'),
  }),
});

const DeliveryStatsBucket = builder.objectRef<Stats['buckets'][number]>('DeliveryStatsBucket').implement({
  fields: (t) => ({
    start: t.expose('start', { type: 'DateTime' }),
    counts: t.field({ type: DeliveryCounts, description: 'Deliveries created in this bucket, by their current status', resolve: (b) => b.counts }),
  }),
});

const DeliveryStats = builder.objectRef<Stats>('DeliveryStats').implement({
  fields: (t) => ({
    since: t.expose('since', { type: 'DateTime', description: 'Start of the first bucket: the asked time rounded down to a bucket boundary' }),
    until: t.expose('until', { type: 'DateTime', description: 'When the counts were taken' }),
    bucketMinutes: t.exposeInt('bucketMinutes'),
    buckets: t.field({ type: [DeliveryStatsBucket], description: 'Oldest first; every bucket, empty ones too', resolve: (s) => s.buckets }),
    totals: t.field({ type: DeliveryCounts, resolve: (s) => s.totals }),
  }),
});

const WebhookHealthHour = builder.objectRef<Health['hourly'][number]>('WebhookHealthHour').implement({
  fields: (t) => ({
    start: t.expose('start', { type: 'DateTime' }),
    attempts: t.exposeInt('attempts'),
    successfulAttempts: t.exposeInt('successfulAttempts'),
  }),
});

const WebhookHealth = builder.objectRef<Health>('WebhookHealth').implement({
  description: 'Attempts of the deliveries created in the last 24 hours',
  fields: (t) => ({
    since: t.expose('since', { type: 'DateTime' }),
    attempts: t.exposeInt('attempts'),
    successfulAttempts: t.exposeInt('successfulAttempts', { description: 'Attempts answered with a 2xx' }),
    successRate: t.exposeFloat('successRate', { nullable: true, description: 'successfulAttempts / attempts, 0..1; null without attempts' }),
    p95DurationMs: t.exposeInt('p95DurationMs', { nullable: true, description: '95th percentile (nearest rank) of attempt durations; null without attempts' }),
    hourly: t.field({ type: [WebhookHealthHour], description: '24 one-hour buckets, oldest first, the last ending now', resolve: (h) => h.hourly }),
  }),
});

const RetryFailedPayload = builder.objectRef<RetryFailedResult>('RetryFailedPayload').implement({
  fields: (t) => ({
    queued: t.exposeInt('queued', { description: 'How many deliveries were queued again' }),
    hasMore: t.exposeBoolean('hasMore', { description: `More than ${MAX_RETRY_FAILED} matched: run it again to queue the next ones` }),
  }),
});

builder.prismaObjectField(Webhook, 'health', (t) =>
  t.field({
    type: WebhookHealth,
    nullable: true,
    description: 'Success rate and p95 attempt latency over the last 24 hours; null/FORBIDDEN for non-admins',
    resolve: (webhook, _args, ctx) => {
      authorize(ctx.actor, 'see deliveries');
      return webhookHealth(ctx.app, webhook.id);
    },
  }),
);

builder.queryFields((t) => ({
  deliveryLog: t.field({
    type: DeliveryLogConnection,
    description: 'Deliveries newest first, filtered; every filter is optional and they combine. Admin only',
    args: {
      webhookId: t.arg.id(),
      status: t.arg({ type: DeliveryStatusEnum }),
      eventType: t.arg.string({ description: 'Exact event type, e.g. "issue.created"' }),
      since: t.arg({ type: 'DateTime', description: 'Created at or after' }),
      until: t.arg({ type: 'DateTime', description: 'Created before' }),
      statusCode: t.arg.int({ description: "The last attempt's HTTP status code" }),
      search: t.arg.string({ description: 'An event id or a delivery id, exactly' }),
      first: t.arg.int(),
      after: t.arg.string(),
    },
    resolve: async (_root, args, ctx) => {
      const actor = authorize(ctx.actor, 'see deliveries');
      const { take } = pageQuery(args);
      const rows = await findDeliveryLog(
        ctx.app,
        actor,
        { ...args, webhookId: args.webhookId == null ? null : String(args.webhookId) },
        { take, before: args.after ?? null },
      );
      return toPage(rows, take);
    },
  }),
  deliveryStats: t.field({
    type: DeliveryStats,
    description: `Deliveries per time bucket by status, for the organization or one webhook; at most ${MAX_LOOKBACK_DAYS} days back and ${MAX_BUCKETS} buckets. Admin only`,
    args: {
      webhookId: t.arg.id(),
      since: t.arg({ type: 'DateTime', required: true }),
      bucketMinutes: t.arg.int({ description: '1..1440, default 1' }),
    },
    resolve: (_root, args, ctx) =>
      deliveryStats(ctx.app, authorize(ctx.actor, 'see deliveries'), {
        webhookId: args.webhookId == null ? null : String(args.webhookId),
        since: args.since,
        bucketMinutes: args.bucketMinutes ?? null,
      }),
  }),
}));

builder.mutationField('retryFailedDeliveries', (t) =>
  t.field({
    type: RetryFailedPayload,
    description: `Queues again (same event ids) every event whose latest delivery to this webhook since then FAILED or was CANCELLED; at most ${MAX_RETRY_FAILED}, oldest first. Admin only`,
    args: { webhookId: t.arg.id({ required: true }), since: t.arg({ type: 'DateTime', required: true }) },
    resolve: (_root, args, ctx) =>
      retryFailedDeliveries(ctx.app, authorize(ctx.actor, 'manage webhooks'), String(args.webhookId), args.since),
  }),
);
