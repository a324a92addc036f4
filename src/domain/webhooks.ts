// Managing webhooks: create, partial update, soft delete, secret rotation, test and redeliver.
import { eventRecordOf } from './envelope.ts';
import type { App } from '../app.ts';
import { badInput, conflict, notFound } from '../errors.ts';
import type { Webhook } from '../generated/prisma/client.ts';
import { deliveryUpdate, type DeliveryUpdate } from '../pubsub.ts';
import { requireTeam } from './accounts.ts';
import type { Actor } from './access.ts';
import { announceDeliveries, createDeliveries, recordEventFor, type Tx } from './events.ts';
import { knownEventTypes } from './event-types.ts';
import { newIdAt } from './ids.ts';
import { TEST_EVENT_TYPE } from './issue-events.ts';
import { maskValue, newWebhookSecret } from './secrets.ts';
import * as rules from './webhook-input.ts';

export interface CreateWebhookInput {
  name: string;
  url: string;
  events?: string[] | null;
  teamId?: string | null;
  severities?: string[] | null;
  enabled?: boolean | null;
  format?: string | null;
  retryCount?: number | null;
  timeoutMs?: number | null;
  secret?: string | null;
  headers?: rules.HeaderInput[] | null;
}

export type UpdateWebhookInput = { [K in keyof Omit<CreateWebhookInput, 'secret'>]?: CreateWebhookInput[K] | null };

export const OPEN_STATUSES = ['PENDING', 'RETRYING'];

export type AuditAction = 'created' | 'updated' | 'secret_rotated' | 'tested' | 'deleted';

/** Who did what to a webhook, in the transaction that did it. Field names only, never values. */
async function audit(tx: Tx, actor: Actor, webhookId: string, action: AuditAction, changes: string[]): Promise<void> {
  const { id, at } = newIdAt('aud');
  await tx.auditEntry.create({
    data: { id, organizationId: actor.organizationId, webhookId, userId: actor.userId, action, changes: JSON.stringify(changes), at },
  });
}

function encryptHeaders(app: App, headers: rules.HeaderInput[]): { headers: string | null; headerMasks: string | null } {
  if (headers.length === 0) return { headers: null, headerMasks: null };
  return {
    headers: app.cipher.encrypt(JSON.stringify(headers)),
    headerMasks: JSON.stringify(headers.map((h) => ({ name: h.name, valueMasked: maskValue(h.value) }))),
  };
}

/** The webhook when it exists in the actor's organization; NOT_FOUND otherwise, whoever owns it. */
export async function findWebhook(db: Tx, actor: Actor, id: string): Promise<Webhook> {
  const webhook = await db.webhook.findFirst({ where: { id, organizationId: actor.organizationId, deletedAt: null } });
  if (!webhook) throw notFound('webhook', id);
  return webhook;
}

export async function createWebhook(app: App, actor: Actor, input: CreateWebhookInput): Promise<{ webhook: Webhook; secret: string }> {
  const name = rules.checkName(input.name);
  const url = rules.checkUrl(input.url, app.config.allowInsecureTargets);
  const events = rules.checkEvents(input.events ?? rules.DEFAULT_EVENTS, await knownEventTypes(app.db.prisma, actor.organizationId));
  const severities = input.severities == null ? null : rules.checkSeverities(input.severities);
  const format = rules.checkFormat(input.format ?? 'JSON');
  const retryCount = rules.checkRange('retryCount', input.retryCount ?? 3);
  const timeoutMs = rules.checkRange('timeoutMs', input.timeoutMs ?? 5000);
  const secret = input.secret == null ? newWebhookSecret() : rules.checkSecret(input.secret);
  const headers = rules.checkHeaders(input.headers ?? []);
  if (input.teamId != null) await requireTeam(app, actor, input.teamId);
  const { id, at } = newIdAt('whk');
  const webhook = await app.db.prisma.$transaction(async (tx) => {
    await audit(tx, actor, id, 'created', Object.keys(input).filter((field) => field !== 'secret' && input[field as keyof CreateWebhookInput] != null));
    return tx.webhook.create({
      data: {
        id,
        organizationId: actor.organizationId,
        name,
        url,
        events: JSON.stringify(events),
        teamId: input.teamId ?? null,
        severities: severities && JSON.stringify(severities),
        enabled: input.enabled ?? true,
        format,
        retryCount,
        timeoutMs,
        secret: app.cipher.encrypt(secret),
        ...encryptHeaders(app, headers),
        createdAt: at,
        updatedAt: at,
      },
    });
  });
  app.pubsub.publish('webhook-updated', { organizationId: actor.organizationId, webhookId: id });
  return { webhook, secret };
}

/** Marks every open delivery of the webhook CANCELLED; returns what to publish. */
async function cancelOpenDeliveries(tx: Tx, webhookId: string): Promise<DeliveryUpdate[]> {
  const open = await tx.delivery.findMany({
    where: { webhookId, status: { in: OPEN_STATUSES } },
    select: { id: true, organizationId: true, webhookId: true, eventId: true, eventType: true, test: true, createdAt: true, attemptCount: true, lastStatusCode: true },
  });
  if (open.length === 0) return [];
  const now = new Date();
  // By webhook, not by id: a list of every open id could pass SQLite's limit on parameters. The
  // webhook row is locked, so the dispatcher cannot settle one of them in between.
  await tx.delivery.updateMany({
    where: { webhookId, status: { in: OPEN_STATUSES } },
    data: { status: 'CANCELLED', nextAttemptAt: null, updatedAt: now },
  });
  return open.map((d) => deliveryUpdate(d, { ...d, status: 'CANCELLED', nextAttemptAt: null, updatedAt: now }));
}

function publishChanges(app: App, organizationId: string, webhookId: string, cancelled: DeliveryUpdate[]): void {
  app.handoff.changed(webhookId);
  for (const update of cancelled) app.pubsub.publish('delivery-updated', update);
  app.pubsub.publish('webhook-updated', { organizationId, webhookId });
}

export async function updateWebhook(app: App, actor: Actor, id: string, input: UpdateWebhookInput): Promise<Webhook> {
  const data: Record<string, unknown> = {};
  if (input.name != null) data.name = rules.checkName(input.name);
  if (input.url != null) data.url = rules.checkUrl(input.url, app.config.allowInsecureTargets);
  if (input.events != null) {
    data.events = JSON.stringify(rules.checkEvents(input.events, await knownEventTypes(app.db.prisma, actor.organizationId)));
  }
  if (input.severities !== undefined) data.severities = input.severities === null ? null : JSON.stringify(rules.checkSeverities(input.severities));
  if (input.format != null) data.format = rules.checkFormat(input.format);
  if (input.retryCount != null) data.retryCount = rules.checkRange('retryCount', input.retryCount);
  if (input.timeoutMs != null) data.timeoutMs = rules.checkRange('timeoutMs', input.timeoutMs);
  if (input.headers !== undefined) Object.assign(data, encryptHeaders(app, rules.checkHeaders(input.headers ?? [])));
  if (input.teamId !== undefined) {
    if (input.teamId !== null) await requireTeam(app, actor, input.teamId);
    data.teamId = input.teamId;
  }
  const { webhook, cancelled } = await app.db.prisma.$transaction(async (tx) => {
    await app.db.lockRow(tx, 'Webhook', id);
    const current = await findWebhook(tx, actor, id);
    if (input.enabled === true && !current.enabled) Object.assign(data, { enabled: true, consecutiveFailures: 0, disabledReason: null });
    if (input.enabled === false) data.enabled = false;
    // The webhook row first, then its deliveries: the dispatcher locks them in that order too.
    const webhook = await tx.webhook.update({ where: { id }, data });
    await audit(tx, actor, id, 'updated', Object.keys(data).filter((field) => field !== 'headerMasks' && field !== 'consecutiveFailures' && field !== 'disabledReason'));
    const cancelled = input.enabled === false && current.enabled ? await cancelOpenDeliveries(tx, id) : [];
    return { webhook, cancelled };
  });
  publishChanges(app, actor.organizationId, id, cancelled);
  return webhook;
}

/** Soft delete: sends stop and open deliveries are CANCELLED, but the history stays readable. */
export async function deleteWebhook(app: App, actor: Actor, id: string): Promise<string> {
  const cancelled = await app.db.prisma.$transaction(async (tx) => {
    await findWebhook(tx, actor, id);
    await tx.webhook.update({ where: { id }, data: { deletedAt: new Date(), enabled: false } });
    await audit(tx, actor, id, 'deleted', []);
    return cancelOpenDeliveries(tx, id);
  });
  publishChanges(app, actor.organizationId, id, cancelled);
  return id;
}

export const MAX_OVERLAP_SECONDS = 30 * 24 * 60 * 60;

export async function rotateWebhookSecret(app: App, actor: Actor, id: string, overlapSeconds: number | null | undefined) {
  const overlap = overlapSeconds ?? 86_400;
  if (!Number.isInteger(overlap) || overlap < 0 || overlap > MAX_OVERLAP_SECONDS) {
    throw badInput('overlapSeconds', `must be between 0 and ${MAX_OVERLAP_SECONDS}`);
  }
  const secret = newWebhookSecret();
  const oldSecretExpiresAt = new Date(Date.now() + overlap * 1000);
  const webhook = await app.db.prisma.$transaction(async (tx) => {
    const current = await findWebhook(tx, actor, id);
    await audit(tx, actor, id, 'secret_rotated', ['secret']);
    return tx.webhook.update({
      where: { id },
      data: { secret: app.cipher.encrypt(secret), previousSecret: current.secret, previousSecretExpiresAt: oldSecretExpiresAt },
    });
  });
  app.handoff.changed(id);
  app.pubsub.publish('webhook-updated', { organizationId: actor.organizationId, webhookId: id });
  return { webhook, secret, oldSecretExpiresAt };
}

/**
 * Sends a webhook.test event to this webhook only, whatever its filters (and even while disabled).
 * `shown` reads the new delivery for the answer before the dispatcher hears of it: PENDING, no attempt.
 */
export async function testWebhook<T>(app: App, actor: Actor, id: string, shown: (deliveryId: string) => Promise<T>): Promise<T> {
  const { deliveries } = await app.db.prisma.$transaction(async (tx) => {
    const webhook = await findWebhook(tx, actor, id);
    await audit(tx, actor, id, 'tested', []);
    return recordEventFor(app.db.sqlIn(tx), app, {
      spec: {
        organizationId: actor.organizationId,
        type: TEST_EVENT_TYPE,
        teamId: null,
        severity: null,
        data: { message: 'This is a test event sent by Hookwarden.', webhookId: id, userId: actor.userId },
      },
      webhooks: [webhook],
      test: true,
    });
  });
  const answer = await shown(deliveries[0].deliveryId);
  announceDeliveries(app, deliveries);
  return answer;
}

/** A new delivery of the same event to the same webhook: receivers see the same webhook-id. `shown` as for testWebhook. */
export async function redeliver<T>(app: App, actor: Actor, deliveryId: string, shown: (deliveryId: string) => Promise<T>): Promise<T> {
  const deliveries = await app.db.prisma.$transaction(async (tx) => {
    const original = await tx.delivery.findFirst({
      where: { id: deliveryId, organizationId: actor.organizationId },
      include: { event: true, webhook: true },
    });
    if (!original) throw notFound('delivery', deliveryId);
    if (original.webhook.deletedAt) throw conflict('deliveryId', 'the webhook of this delivery was deleted');
    if (!original.webhook.enabled) throw conflict('deliveryId', 'the webhook of this delivery is disabled; enable it first');
    return createDeliveries(app.db.sqlIn(tx), app, eventRecordOf(original.event), [original.webhook], { test: original.test });
  });
  const answer = await shown(deliveries[0].deliveryId);
  announceDeliveries(app, deliveries);
  return answer;
}
