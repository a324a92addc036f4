import { authorize, can } from '../domain/access.ts';
import * as webhooks from '../domain/webhooks.ts';
import type { AuditEntry as AuditEntryRow, Webhook as WebhookRow } from '../generated/prisma/client.ts';
import { builder } from './builder.ts';
import { SeverityEnum, WebhookFormatEnum } from './enums.ts';
import { connection, pageQuery, toPage } from './pagination.ts';

const WebhookHeader = builder.objectRef<{ name: string; valueMasked: string }>('WebhookHeader').implement({
  fields: (t) => ({ name: t.exposeString('name'), valueMasked: t.exposeString('valueMasked') }),
});

export const Webhook = builder.prismaObject('Webhook', {
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    url: t.string({
      nullable: true,
      description: 'Null for non-admins',
      resolve: (webhook, _args, ctx) => (ctx.actor && can(ctx.actor, 'see webhook urls and headers') ? webhook.url : null),
    }),
    events: t.stringList({
      description: 'Event type names, "*" for all, "issue.*" for a prefix',
      resolve: (webhook) => JSON.parse(webhook.events),
    }),
    teamId: t.exposeID('teamId', { nullable: true, description: 'Only events of this team are delivered when set' }),
    severities: t.field({
      type: [SeverityEnum],
      nullable: true,
      description: 'Only issue events of these severities when set',
      resolve: (webhook) => (webhook.severities ? JSON.parse(webhook.severities) : null),
    }),
    enabled: t.exposeBoolean('enabled'),
    disabledReason: t.exposeString('disabledReason', { nullable: true, description: 'Set when the circuit breaker or a 410 disabled it' }),
    format: t.field({ type: WebhookFormatEnum, resolve: (webhook) => webhook.format as never }),
    retryCount: t.exposeInt('retryCount', { description: '0..10, default 3' }),
    timeoutMs: t.exposeInt('timeoutMs', { description: '1000..30000, default 5000' }),
    headers: t.field({
      type: [WebhookHeader],
      nullable: true,
      description: 'Custom headers, values masked; null for non-admins',
      resolve: (webhook, _args, ctx) => {
        if (!ctx.actor || !can(ctx.actor, 'see webhook urls and headers')) return null;
        return webhook.headerMasks ? JSON.parse(webhook.headerMasks) : [];
      },
    }),
    consecutiveFailures: t.exposeInt('consecutiveFailures'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

const WebhookConnection = connection<WebhookRow>('Webhook', Webhook);

const WebhookHeaderInput = builder.inputType('WebhookHeaderInput', {
  fields: (t) => ({ name: t.string({ required: true }), value: t.string({ required: true }) }),
});

const CreateWebhookInput = builder.inputType('CreateWebhookInput', {
  fields: (t) => ({
    name: t.string({ required: true, description: '1..100 characters' }),
    url: t.string({ required: true, description: 'Absolute https URL (http only with HOOKWARDEN_ALLOW_INSECURE_TARGETS=true)' }),
    events: t.stringList({ description: 'Default ["issue.created", "issue.updated"]; unknown names are rejected' }),
    teamId: t.id(),
    severities: t.field({ type: [SeverityEnum] }),
    enabled: t.boolean({ description: 'Default true' }),
    format: t.field({ type: WebhookFormatEnum, description: 'Default JSON' }),
    retryCount: t.int({ description: '0..10, default 3' }),
    timeoutMs: t.int({ description: '1000..30000, default 5000' }),
    secret: t.string({ description: 'Optional "whsec_" + base64 of 24..64 bytes; generated when absent' }),
    headers: t.field({ type: [WebhookHeaderInput] }),
  }),
});

const UpdateWebhookInput = builder.inputType('UpdateWebhookInput', {
  description: 'Partial: only the fields given change',
  fields: (t) => ({
    name: t.string(),
    url: t.string(),
    events: t.stringList(),
    teamId: t.id({ description: 'null clears the team filter' }),
    severities: t.field({ type: [SeverityEnum], description: 'null clears the severity filter' }),
    enabled: t.boolean({ description: 'Enabling resets consecutiveFailures and disabledReason' }),
    format: t.field({ type: WebhookFormatEnum }),
    retryCount: t.int(),
    timeoutMs: t.int(),
    headers: t.field({ type: [WebhookHeaderInput], description: 'Replaces all custom headers; null or [] removes them' }),
  }),
});

const CreateWebhookPayload = builder.objectRef<{ webhook: WebhookRow; secret: string }>('CreateWebhookPayload').implement({
  fields: (t) => ({
    webhook: t.field({ type: Webhook, resolve: (payload) => payload.webhook }),
    secret: t.exposeString('secret', { description: 'Shown once, never readable again' }),
  }),
});

const RotateWebhookSecretPayload = builder
  .objectRef<{ webhook: WebhookRow; secret: string; oldSecretExpiresAt: Date }>('RotateWebhookSecretPayload')
  .implement({
    fields: (t) => ({
      webhook: t.field({ type: Webhook, resolve: (payload) => payload.webhook }),
      secret: t.exposeString('secret', { description: 'The new secret; the old one keeps signing too until oldSecretExpiresAt' }),
      oldSecretExpiresAt: t.expose('oldSecretExpiresAt', { type: 'DateTime' }),
    }),
  });

builder.queryFields((t) => ({
  webhooks: t.field({
    type: WebhookConnection,
    description: 'Newest first',
    args: { first: t.arg.int(), after: t.arg.string() },
    resolve: async (_root, args, ctx) => {
      const actor = authorize(ctx.actor, 'read');
      const { take, where } = pageQuery(args);
      const rows = await ctx.app.db.prisma.webhook.findMany({
        where: { ...where, organizationId: actor.organizationId, deletedAt: null },
        orderBy: { id: 'desc' },
        take,
      });
      return toPage(rows, take);
    },
  }),
  webhook: t.prismaField({
    type: 'Webhook',
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args, ctx) => {
      const actor = authorize(ctx.actor, 'read');
      return ctx.app.db.prisma.webhook.findFirst({ ...query, where: { id: String(args.id), organizationId: actor.organizationId, deletedAt: null } });
    },
  }),
}));

builder.mutationFields((t) => ({
  createWebhook: t.field({
    type: CreateWebhookPayload,
    args: { input: t.arg({ type: CreateWebhookInput, required: true }) },
    resolve: (_root, args, ctx) =>
      webhooks.createWebhook(ctx.app, authorize(ctx.actor, 'manage webhooks'), {
        ...args.input,
        teamId: args.input.teamId == null ? args.input.teamId : String(args.input.teamId),
      }),
  }),
  updateWebhook: t.field({
    type: Webhook,
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: UpdateWebhookInput, required: true }) },
    resolve: (_root, args, ctx) =>
      webhooks.updateWebhook(ctx.app, authorize(ctx.actor, 'manage webhooks'), String(args.id), {
        ...args.input,
        teamId: args.input.teamId == null ? args.input.teamId : String(args.input.teamId),
      }),
  }),
  deleteWebhook: t.id({
    description: 'Pending deliveries become CANCELLED; the delivery history stays readable',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => webhooks.deleteWebhook(ctx.app, authorize(ctx.actor, 'manage webhooks'), String(args.id)),
  }),
  rotateWebhookSecret: t.field({
    type: RotateWebhookSecretPayload,
    description: 'Overlap default 86400 seconds',
    args: { id: t.arg.id({ required: true }), overlapSeconds: t.arg.int() },
    resolve: (_root, args, ctx) =>
      webhooks.rotateWebhookSecret(ctx.app, authorize(ctx.actor, 'manage webhooks'), String(args.id), args.overlapSeconds),
  }),
}));

const AuditEntry = builder.prismaObject('AuditEntry', {
  description: 'Who created, changed, rotated the secret of, tested or deleted a webhook',
  fields: (t) => ({
    id: t.exposeID('id'),
    webhookId: t.exposeID('webhookId'),
    userId: t.exposeID('userId', { nullable: true }),
    action: t.exposeString('action', { description: 'created, updated, secret_rotated, tested or deleted' }),
    changes: t.stringList({ description: 'The names of the fields that changed; never their values', resolve: (entry) => JSON.parse(entry.changes) }),
    at: t.expose('at', { type: 'DateTime' }),
  }),
});

const AuditEntryConnection = connection<AuditEntryRow>('AuditEntry', AuditEntry);

builder.queryField('webhookAuditLog', (t) =>
  t.field({
    type: AuditEntryConnection,
    description: "Admin only: the organization's webhook audit log, newest first; deleted webhooks' entries stay",
    args: { webhookId: t.arg.id(), first: t.arg.int(), after: t.arg.string() },
    resolve: async (_root, args, ctx) => {
      const actor = authorize(ctx.actor, 'manage webhooks');
      const { take, where } = pageQuery(args);
      const rows = await ctx.app.db.prisma.auditEntry.findMany({
        where: { ...where, organizationId: actor.organizationId, ...(args.webhookId ? { webhookId: String(args.webhookId) } : {}) },
        orderBy: { id: 'desc' },
        take,
      });
      return toPage(rows, take);
    },
  }),
);
