// The JSON envelope of delivery.md, and the issue as payloads show it (enum values lower case).
import type { Envelope } from '../delivery/formats/types.ts';

export interface IssueRow {
  id: string;
  pluginId: string;
  status: string;
  severity: string;
  organizationId: string;
  teamId: string | null;
  targetId: string | null;
  providerId: string | null;
  weakness: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface HistoryRow {
  at: Date;
  userId: string | null;
  changes: string;
}

export function issuePayload(issue: IssueRow, history: HistoryRow[]): Record<string, unknown> {
  return {
    id: issue.id,
    pluginId: issue.pluginId,
    status: issue.status.toLowerCase(),
    severity: issue.severity.toLowerCase(),
    organizationId: issue.organizationId,
    teamId: issue.teamId,
    targetId: issue.targetId,
    providerId: issue.providerId,
    createdAt: issue.createdAt.toISOString(),
    updatedAt: issue.updatedAt.toISOString(),
    weakness: issue.weakness,
    history: history.map((entry) => ({ at: entry.at.toISOString(), userId: entry.userId, changes: JSON.parse(entry.changes) })),
  };
}

export interface EventRecord {
  id: string;
  type: string;
  organizationId: string;
  teamId: string | null;
  createdAt: Date;
  data: Record<string, unknown>;
  /** The caller's own metadata (custom events); ours is merged over it. */
  metadata: Record<string, unknown> | null;
}

/** An Event row as stored (data and metadata as JSON text). */
export interface EventRow {
  id: string;
  type: string;
  organizationId: string;
  teamId: string | null;
  createdAt: Date;
  data: string;
  metadata: string | null;
}

export function eventRecordOf(row: EventRow): EventRecord {
  return {
    id: row.id,
    type: row.type,
    organizationId: row.organizationId,
    teamId: row.teamId,
    createdAt: row.createdAt,
    data: JSON.parse(row.data),
    metadata: row.metadata ? JSON.parse(row.metadata) : null,
  };
}

export function envelopeFor(event: EventRecord, webhookId: string): Envelope {
  return {
    id: event.id,
    event: event.type,
    type: event.type,
    timestamp: event.createdAt.toISOString(),
    data: event.data,
    metadata: { ...(event.metadata ?? {}), organizationId: event.organizationId, teamId: event.teamId, webhookId },
  };
}
