// Event catalogs: the built-in issue events plus each organization's own types, and publishEvent.
import type { App } from '../app.ts';
import { badInput, conflict, isUniqueViolation } from '../errors.ts';
import { nestsDeeperThan } from '../limits.ts';
import { requireTeam } from './accounts.ts';
import type { Actor } from './access.ts';
import { announceDeliveries, recordEvent, type Tx } from './events.ts';
import { eventRecordOf, type EventRecord } from './envelope.ts';
import { newIdAt } from './ids.ts';
import { BUILT_IN_EVENT_TYPES } from './issue-events.ts';

export interface EventTypeView {
  name: string;
  description: string;
  builtIn: boolean;
}

const NAME = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$/;
const RESERVED_PREFIXES = ['issue.', 'webhook.'];
export const MAX_DATA_BYTES = 256 * 1024;
export const MAX_JSON_DEPTH = 64;
export const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000;

type Reader = Pick<Tx, 'eventType'>;

export async function listEventTypes(db: Reader, organizationId: string): Promise<EventTypeView[]> {
  const custom = await db.eventType.findMany({ where: { organizationId }, orderBy: { name: 'asc' } });
  return [
    ...BUILT_IN_EVENT_TYPES.map((t) => ({ name: t.name, description: t.description, builtIn: true })),
    ...custom.map((t) => ({ name: t.name, description: t.description, builtIn: false })),
  ];
}

export async function knownEventTypes(db: Reader, organizationId: string): Promise<Set<string>> {
  return new Set((await listEventTypes(db, organizationId)).map((t) => t.name));
}

export async function createEventType(app: App, actor: Actor, name: string, description: string): Promise<EventTypeView> {
  const trimmed = name.trim();
  if (!NAME.test(trimmed) || trimmed.length > 100) {
    throw badInput('name', 'must be lower case letters, digits and underscores in dot-separated parts, such as scan.completed (at most 100 characters)');
  }
  if (trimmed === 'issue' || trimmed === 'webhook' || RESERVED_PREFIXES.some((prefix) => trimmed.startsWith(prefix))) {
    throw badInput('name', 'issue.* and webhook.* are reserved for built-in events');
  }
  const text = description.trim();
  if (!text) throw badInput('description', 'must not be empty');
  if (text.length > 500) throw badInput('description', 'must be at most 500 characters');
  const { id, at } = newIdAt('etp');
  try {
    await app.db.prisma.$transaction((tx) =>
      tx.eventType.create({ data: { id, organizationId: actor.organizationId, name: trimmed, description: text, createdAt: at } }),
    );
  } catch (error) {
    if (isUniqueViolation(error)) throw conflict('name', `event type "${trimmed}" already exists`);
    throw error;
  }
  return { name: trimmed, description: text, builtIn: false };
}

export interface PublishEventInput {
  type: string;
  data: unknown;
  metadata?: unknown;
  teamId?: string | null;
  idempotencyKey?: string | null;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export async function publishEvent(app: App, actor: Actor, input: PublishEventInput): Promise<EventRecord> {
  const type = input.type.trim();
  if (RESERVED_PREFIXES.some((prefix) => type.startsWith(prefix))) throw badInput('type', `${type} is built in and cannot be published by hand`);
  if (!isObject(input.data)) throw badInput('data', 'must be a JSON object');
  if (nestsDeeperThan(input.data, MAX_JSON_DEPTH)) throw badInput('data', `must nest at most ${MAX_JSON_DEPTH} levels`);
  if (input.metadata != null && nestsDeeperThan(input.metadata, MAX_JSON_DEPTH)) throw badInput('metadata', `must nest at most ${MAX_JSON_DEPTH} levels`);
  if (Buffer.byteLength(JSON.stringify(input.data)) > MAX_DATA_BYTES) throw badInput('data', `must be at most ${MAX_DATA_BYTES} bytes as JSON`);
  if (input.metadata != null && !isObject(input.metadata)) throw badInput('metadata', 'must be a JSON object');
  if (input.metadata != null && Buffer.byteLength(JSON.stringify(input.metadata)) > 16 * 1024) throw badInput('metadata', 'must be at most 16 KiB as JSON');
  const key = input.idempotencyKey?.trim() || null;
  if (key && key.length > 200) throw badInput('idempotencyKey', 'must be at most 200 characters');
  if (input.teamId != null) await requireTeam(app, actor, input.teamId);
  const publish = () => app.db.prisma.$transaction(async (tx) => {
    const registered = await tx.eventType.findUnique({ where: { organizationId_name: { organizationId: actor.organizationId, name: type } } });
    if (!registered) throw badInput('type', `unknown event type "${type}"; register it with createEventType first`);
    if (key) {
      const first = await tx.event.findUnique({ where: { organizationId_idempotencyKey: { organizationId: actor.organizationId, idempotencyKey: key } } });
      if (first && first.createdAt.getTime() >= Date.now() - IDEMPOTENCY_WINDOW_MS) return { event: eventRecordOf(first), deliveries: [] };
      // The key's 24 h are over: it may name a new event now.
      if (first) await tx.event.update({ where: { id: first.id }, data: { idempotencyKey: null } });
    }
    return recordEvent(app.db.sqlIn(tx), app, {
      organizationId: actor.organizationId,
      type,
      teamId: input.teamId ?? null,
      severity: null,
      data: input.data as Record<string, unknown>,
      metadata: (input.metadata as Record<string, unknown> | null | undefined) ?? null,
      idempotencyKey: key,
    });
  });
  let outcome;
  try {
    outcome = await publish();
  } catch (error) {
    // A concurrent publish with the same key committed first: this one now finds and returns it.
    if (!key || !isUniqueViolation(error)) throw error;
    outcome = await publish();
  }
  announceDeliveries(app, outcome.deliveries, outcome.handoff);
  return outcome.event;
}
