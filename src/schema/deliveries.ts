import { filter, pipe } from 'graphql-yoga';
import { authorize } from '../domain/access.ts';
import * as webhooks from '../domain/webhooks.ts';
import type { Delivery as DeliveryRow } from '../generated/prisma/client.ts';
import type { DeliveryUpdate } from '../pubsub.ts';
import { builder } from './builder.ts';
import { DeliveryStatusEnum } from './enums.ts';
import { connection, pageQuery, toPage, type PageArgs } from './pagination.ts';
import { Webhook } from './webhooks.ts';
import type { Context } from './builder.ts';

export const DeliveryAttempt = builder.prismaObject('DeliveryAttempt', {
  fields: (t) => ({
    number: t.exposeInt('number', { description: '1-based' }),
    startedAt: t.expose('startedAt', { type: 'DateTime' }),
    durationMs: t.exposeInt('durationMs'),
    statusCode: t.exposeInt('statusCode', { nullable: true, description: 'Null when no response (timeout, refused, DNS)' }),
    success: t.exposeBoolean('success'),
    error: t.exposeString('error', {
      nullable: true,
      description: 'E.g. "timeout after 5000 ms", "connection refused"; an attempt refused by the SSRF guard starts with "blocked:"',
    }),
    responseBody: t.exposeString('responseBody', { nullable: true, description: 'First 4 KiB' }),
  }),
});

export const Delivery = builder.prismaObject('Delivery', {
  fields: (t) => ({
    id: t.exposeID('id'),
    webhookId: t.exposeID('webhookId'),
    eventId: t.exposeID('eventId'),
    eventType: t.exposeString('eventType'),
    status: t.field({ type: DeliveryStatusEnum, resolve: (delivery) => delivery.status as never }),
    test: t.exposeBoolean('test', { description: 'Sent by testWebhook' }),
    attemptCount: t.exposeInt('attemptCount'),
    nextAttemptAt: t.expose('nextAttemptAt', { type: 'DateTime', nullable: true }),
    lastStatusCode: t.exposeInt('lastStatusCode', { nullable: true }),
    requestHeaders: t.field({
      type: 'JSON',
      description: 'What was sent (the last attempt, or what will be sent); custom header values masked',
      resolve: async (delivery, _args, ctx) => JSON.parse((await requestOf(ctx, delivery)).requestHeaders),
    }),
    requestBody: t.string({
      description: 'Exactly the bytes that were signed and sent',
      resolve: async (delivery, _args, ctx) => (await requestOf(ctx, delivery)).requestBody,
    }),
    attempts: t.relation('attempts', { query: { orderBy: { number: 'asc' } } }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

const DeliveryConnection = connection<DeliveryRow>('Delivery', Delivery);

type StatusArg = { status?: string | null };

async function listDeliveries(ctx: Context, organizationId: string, webhookId: string | null, args: PageArgs & StatusArg) {
  const { take, where } = pageQuery(args);
  const rows = await ctx.app.db.prisma.delivery.findMany({
    where: { ...where, organizationId, ...(webhookId ? { webhookId } : {}), ...(args.status ? { status: args.status } : {}) },
    orderBy: { id: 'desc' },
    take,
  });
  return toPage(rows, take);
}

builder.prismaObjectField(Webhook, 'deliveries', (t) =>
  t.field({
    type: DeliveryConnection,
    nullable: true,
    description: 'Newest first; FORBIDDEN for non-admins',
    args: { first: t.arg.int(), after: t.arg.string(), status: t.arg({ type: DeliveryStatusEnum }) },
    resolve: (webhook, args, ctx) => listDeliveries(ctx, authorize(ctx.actor, 'see deliveries').organizationId, webhook.id, args),
  }),
);

/** A delivery published by deliveryUpdated carries no request: it is read only when asked for. */
type PublishedDelivery = Omit<DeliveryRow, 'requestHeaders' | 'requestBody'> & Partial<Pick<DeliveryRow, 'requestHeaders' | 'requestBody'>>;

async function requestOf(ctx: Context, delivery: PublishedDelivery): Promise<Pick<DeliveryRow, 'requestHeaders' | 'requestBody'>> {
  if (delivery.requestHeaders !== undefined && delivery.requestBody !== undefined) {
    return { requestHeaders: delivery.requestHeaders, requestBody: delivery.requestBody };
  }
  return ctx.app.db.prisma.delivery.findUniqueOrThrow({ where: { id: delivery.id }, select: { requestHeaders: true, requestBody: true } });
}

/** The delivery as it was at this update, even if it has moved on since. */
function deliveryAt(update: DeliveryUpdate): DeliveryRow {
  const published: PublishedDelivery = {
    id: update.deliveryId,
    organizationId: update.organizationId,
    webhookId: update.webhookId,
    eventId: update.eventId,
    eventType: update.eventType,
    status: update.status,
    test: update.test,
    attemptCount: update.attemptCount,
    nextAttemptAt: update.nextAttemptAt ? new Date(update.nextAttemptAt) : null,
    leaseExpiresAt: null,
    lastStatusCode: update.lastStatusCode,
    createdAt: new Date(update.createdAt),
    updatedAt: new Date(update.updatedAt),
  };
  // requestHeaders and requestBody resolve through requestOf, which reads them when absent.
  return published as DeliveryRow;
}

builder.queryFields((t) => ({
  deliveries: t.field({
    type: DeliveryConnection,
    description: 'Newest first, admin only',
    args: { webhookId: t.arg.id(), status: t.arg({ type: DeliveryStatusEnum }), first: t.arg.int(), after: t.arg.string() },
    resolve: (_root, args, ctx) =>
      listDeliveries(ctx, authorize(ctx.actor, 'see deliveries').organizationId, args.webhookId == null ? null : String(args.webhookId), args),
  }),
  delivery: t.prismaField({
    type: 'Delivery',
    nullable: true,
    description: 'Admin only',
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args, ctx) => {
      const actor = authorize(ctx.actor, 'see deliveries');
      return ctx.app.db.prisma.delivery.findFirst({ ...query, where: { id: String(args.id), organizationId: actor.organizationId } });
    },
  }),
}));

builder.mutationFields((t) => ({
  testWebhook: t.prismaField({
    type: 'Delivery',
    description: 'Sends a "webhook.test" event now; logged in delivery history with test: true',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (query, _root, args, ctx) => {
      return webhooks.testWebhook(ctx.app, authorize(ctx.actor, 'manage webhooks'), String(args.id), (id) =>
        ctx.app.db.prisma.delivery.findUniqueOrThrow({ ...query, where: { id } }),
      );
    },
  }),
  redeliver: t.prismaField({
    type: 'Delivery',
    description: 'Queues the same event (same id) again to the same webhook, as a new delivery',
    args: { deliveryId: t.arg.id({ required: true }) },
    resolve: async (query, _root, args, ctx) => {
      return webhooks.redeliver(ctx.app, authorize(ctx.actor, 'manage webhooks'), String(args.deliveryId), (id) =>
        ctx.app.db.prisma.delivery.findUniqueOrThrow({ ...query, where: { id } }),
      );
    },
  }),
}));

builder.subscriptionFields((t) => ({
  deliveryUpdated: t.field({
    type: Delivery,
    description: "Every status change and attempt of deliveries in the viewer's organization (admin)",
    args: { webhookId: t.arg.id() },
    subscribe: (_root, args, ctx) => {
      const { organizationId } = authorize(ctx.actor, 'see deliveries');
      const webhookId = args.webhookId == null ? null : String(args.webhookId);
      return pipe(
        ctx.app.pubsub.subscribe('delivery-updated'),
        filter((update: DeliveryUpdate) => update.organizationId === organizationId && (webhookId === null || update.webhookId === webhookId)),
      );
    },
    resolve: (update) => deliveryAt(update),
  }),
  webhookUpdated: t.field({
    type: Webhook,
    description: 'A webhook changed, e.g. the circuit breaker disabled it (admin)',
    subscribe: (_root, _args, ctx) => {
      const { organizationId } = authorize(ctx.actor, 'manage webhooks');
      return pipe(
        ctx.app.pubsub.subscribe('webhook-updated'),
        filter((update) => update.organizationId === organizationId),
      );
    },
    resolve: async (update, _args, ctx) => ({
      ...(await ctx.app.db.prisma.webhook.findUniqueOrThrow({ where: { id: update.webhookId } })),
      ...update.breaker,
    }),
  }),
}));
