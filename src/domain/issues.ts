// Issues (security findings): every change commits together with the event it emits.
import type { App } from '../app.ts';
import { badInput, notFound } from '../errors.ts';
import type { Issue } from '../generated/prisma/client.ts';
import { requireTeam } from './accounts.ts';
import type { Actor } from './access.ts';
import { issuePayload } from './envelope.ts';
import { announceDeliveries, recordEvent, recordEventTogether, type Tx } from './events.ts';
import { newIdAt } from './ids.ts';
import { issueChanges, updateEvent, type IssueValues } from './issue-events.ts';

export interface CreateIssueInput {
  pluginId: string;
  severity: string;
  weakness: string;
  teamId?: string | null;
  targetId?: string | null;
  providerId?: string | null;
}

export type UpdateIssueInput = Partial<{ status: string | null; severity: string | null; weakness: string | null; teamId: string | null; targetId: string | null; providerId: string | null }>;

const TEXT_LIMITS = { pluginId: 200, weakness: 500, targetId: 200, providerId: 200 } as const;

function checkText(field: keyof typeof TEXT_LIMITS, value: string, required: boolean): string {
  const trimmed = value.trim();
  if (required && !trimmed) throw badInput(field, 'must not be empty');
  if (trimmed.length > TEXT_LIMITS[field]) throw badInput(field, `must be at most ${TEXT_LIMITS[field]} characters`);
  return trimmed;
}

function optionalText(field: 'targetId' | 'providerId', value: string | null | undefined): string | null {
  return value == null ? null : checkText(field, value, false) || null;
}

export async function findIssue(db: Pick<Tx, 'issue'>, actor: Actor, id: string): Promise<Issue> {
  const issue = await db.issue.findFirst({ where: { id, organizationId: actor.organizationId } });
  if (!issue) throw notFound('issue', id);
  return issue;
}

async function payloadOf(tx: Tx, issue: Issue) {
  const history = await tx.issueHistory.findMany({ where: { issueId: issue.id }, orderBy: { id: 'asc' } });
  return issuePayload(issue, history);
}

export async function createIssue(app: App, actor: Actor, input: CreateIssueInput): Promise<Issue> {
  const pluginId = checkText('pluginId', input.pluginId, true);
  const weakness = checkText('weakness', input.weakness, true);
  const targetId = optionalText('targetId', input.targetId);
  const providerId = optionalText('providerId', input.providerId);
  if (input.teamId != null) await requireTeam(app, actor, input.teamId);
  const { id, at } = newIdAt('iss');
  const issue: Issue = {
    id,
    organizationId: actor.organizationId,
    pluginId,
    status: 'OPEN',
    severity: input.severity,
    teamId: input.teamId ?? null,
    targetId,
    providerId,
    weakness,
    createdAt: at,
    updatedAt: at,
  };
  const spec = {
    organizationId: actor.organizationId,
    type: 'issue.created',
    teamId: issue.teamId,
    severity: issue.severity,
    data: { issue: issuePayload(issue, []), eventData: {}, userId: actor.userId },
  };
  // The API's hot path, on our own statements: on PostgreSQL one read and one write statement (no
  // transaction needed), shared by the calls of the moment; on SQLite a few statements in one
  // transaction, sharing its commit.
  const { deliveries, handoff } =
    app.db.provider === 'postgresql'
      ? await recordEventTogether(app, spec, { issue })
      : await app.db.sql.transaction((tx) => recordEvent(tx, app, spec, { issue }));
  announceDeliveries(app, deliveries, handoff);
  return issue;
}

export async function updateIssue(app: App, actor: Actor, id: string, input: UpdateIssueInput): Promise<Issue> {
  const wanted: Partial<IssueValues> = {};
  if (input.status != null) wanted.status = input.status;
  if (input.severity != null) wanted.severity = input.severity;
  if (input.weakness != null) wanted.weakness = checkText('weakness', input.weakness, true);
  if (input.targetId !== undefined) wanted.targetId = optionalText('targetId', input.targetId);
  if (input.providerId !== undefined) wanted.providerId = optionalText('providerId', input.providerId);
  if (input.teamId !== undefined) {
    if (input.teamId !== null) await requireTeam(app, actor, input.teamId);
    wanted.teamId = input.teamId;
  }
  const { issue, deliveries, handoff } = await app.db.prisma.$transaction(async (tx) => {
    await app.db.lockRow(tx, 'Issue', id);
    const stored = await findIssue(tx, actor, id);
    const changes = issueChanges(stored, wanted);
    const spec = updateEvent(changes);
    if (!spec) return { issue: stored, deliveries: [], handoff: undefined };
    const { id: historyId, at } = newIdAt('his');
    const issue = await tx.issue.update({
      where: { id },
      data: { ...Object.fromEntries(changes.map((change) => [change.field, change.to])), updatedAt: at },
    });
    await tx.issueHistory.create({
      data: { id: historyId, issueId: id, at, userId: actor.userId, changes: JSON.stringify(changes.map((change) => change.text)) },
    });
    const recorded = await recordEvent(app.db.sqlIn(tx), app, {
      organizationId: actor.organizationId,
      type: spec.type,
      teamId: issue.teamId,
      severity: issue.severity,
      data: { issue: await payloadOf(tx, issue), eventData: spec.eventData, userId: actor.userId },
    });
    return { issue, ...recorded };
  });
  announceDeliveries(app, deliveries, handoff);
  return issue;
}

export const MAX_COMMENT_LENGTH = 10_000;

export async function addIssueComment(app: App, actor: Actor, issueId: string, body: string) {
  const text = body.trim();
  if (!text) throw badInput('body', 'must not be empty');
  if (text.length > MAX_COMMENT_LENGTH) throw badInput('body', `must be at most ${MAX_COMMENT_LENGTH} characters`);
  const { comment, deliveries, handoff } = await app.db.prisma.$transaction(async (tx) => {
    const issue = await findIssue(tx, actor, issueId);
    const { id, at } = newIdAt('cmt');
    const comment = await tx.issueComment.create({ data: { id, issueId, userId: actor.userId, body: text, createdAt: at } });
    const recorded = await recordEvent(app.db.sqlIn(tx), app, {
      organizationId: actor.organizationId,
      type: 'issue.comment_added',
      teamId: issue.teamId,
      severity: issue.severity,
      data: {
        issue: await payloadOf(tx, issue),
        eventData: { comment: { id, body: text, userId: actor.userId, createdAt: at.toISOString() } },
        userId: actor.userId,
      },
    });
    return { comment, ...recorded };
  });
  announceDeliveries(app, deliveries, handoff);
  return comment;
}
