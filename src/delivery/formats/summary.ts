// What the human-readable formats say about an event. Issue events have a known shape (delivery.md);
// custom events carry arbitrary caller JSON, so everything read from `data` is checked, never assumed.
import type { Envelope } from './types.ts';

export type Severity = 'critical' | 'high' | 'medium' | 'low';

const SEVERITIES: readonly string[] = ['critical', 'high', 'medium', 'low'] satisfies Severity[];

export interface EventDescription {
  /** One line, at most SUMMARY_MAX characters. */
  summary: string;
  severity: Severity | null;
  status: string | null;
  pluginId: string | null;
  targetId: string | null;
  weakness: string | null;
  issueId: string | null;
}

export interface Fact {
  label: string;
  value: string;
}

const SUMMARY_MAX = 200;
/** Slack allows 10 fields in a section and the event type takes one. */
const MAX_DATA_FACTS = 9;
/** Custom-event fields that usually hold a human-readable line, in order of preference. */
const TITLE_KEYS = ['title', 'name', 'message', 'summary'];
const STATUS_PHRASES: Record<string, string> = {
  open: 'reopened',
  fixed: 'fixed',
  ignored: 'ignored',
  false_positive: 'marked as false positive',
};

export function describe(envelope: Envelope): EventDescription {
  const issue = issueOf(envelope);
  const severity = issue ? severityOf(issue.severity) : null;
  const facts = {
    severity,
    status: issue ? stringOrNull(issue.status) : null,
    pluginId: issue ? stringOrNull(issue.pluginId) : null,
    targetId: issue ? stringOrNull(issue.targetId) : null,
    weakness: issue ? stringOrNull(issue.weakness) : null,
    issueId: issue ? stringOrNull(issue.id) : null,
  };
  const summary = issue ? issueSummary(envelope, facts) : otherSummary(envelope);
  return { summary: truncate(oneLine(summary), SUMMARY_MAX), ...facts };
}

/** Labelled values for the card formats: the issue's state, or a custom event's top-level data. */
export function factsOf(envelope: Envelope, description: EventDescription): Fact[] {
  const event = { label: 'Event', value: envelope.type };
  if (!issueOf(envelope)) return [event, ...dataFacts(envelope.data)];
  return [
    event,
    { label: 'Severity', value: description.severity ?? 'none' },
    { label: 'Status', value: description.status ?? 'none' },
    { label: 'Plugin', value: description.pluginId ?? 'none' },
    { label: 'Target', value: description.targetId ?? 'none' },
    // So a person reading the chat message can find the issue in the platform.
    { label: 'Issue', value: description.issueId ?? 'none' },
  ];
}

/** Envelope timestamps are made by our own code, so an unparsable one is a bug: fail rather than send a wrong time. */
export function epochMs(envelope: Envelope): number {
  const ms = Date.parse(envelope.timestamp);
  if (Number.isNaN(ms)) throw new RangeError(`event ${envelope.id} has an invalid timestamp: ${envelope.timestamp}`);
  return ms;
}

/** Cuts to at most `max` UTF-16 units with an ellipsis, never between the halves of a surrogate pair. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}

/** Replaces every run of control characters and Unicode line separators with one space. */
export function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f\u0085\u2028\u2029]+/g, ' ');
}

type IssueFacts = Omit<EventDescription, 'summary'>;

function issueSummary(envelope: Envelope, issue: IssueFacts): string {
  const subject = `${issue.weakness ?? issue.pluginId ?? 'unnamed issue'}${issue.targetId ? ` on ${issue.targetId}` : ''}`;
  const kind = issue.severity ? `${issue.severity} severity issue` : 'issue';
  switch (envelope.type) {
    case 'issue.created':
      return `New ${kind}: ${subject}`;
    case 'issue.status_changed': {
      const phrase = issue.status ? (STATUS_PHRASES[issue.status] ?? `status changed to ${issue.status}`) : 'status changed';
      return `${capitalize(kind)} ${phrase}: ${subject}`;
    }
    case 'issue.severity_changed':
      return `Issue severity changed to ${issue.severity ?? 'none'}: ${subject}`;
    case 'issue.updated': {
      const changes = changesOf(envelope.data.eventData);
      return `Issue updated${changes.length ? ` (${changes.join(', ')})` : ''}: ${subject}`;
    }
    case 'issue.comment_added':
      return `New comment on ${kind}: ${subject}`;
    default:
      return `Event ${envelope.type}: ${subject}`;
  }
}

function otherSummary(envelope: Envelope): string {
  if (envelope.type === 'webhook.test') return 'Test event from Hookwarden';
  const title = TITLE_KEYS.map((key) => envelope.data[key]).find((value) => typeof value === 'string' && value !== '');
  return `Event ${envelope.type}${title ? `: ${title}` : ''}`;
}

function dataFacts(data: Record<string, unknown>): Fact[] {
  return Object.entries(data)
    .slice(0, MAX_DATA_FACTS)
    .map(([label, value]) => ({ label, value: typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value)) }));
}

/** The issue of an issue event; custom events may use any type name, so the data's shape decides too. */
function issueOf(envelope: Envelope): Record<string, unknown> | null {
  const issue = envelope.data.issue;
  return envelope.type.startsWith('issue.') && isRecord(issue) ? issue : null;
}

function changesOf(eventData: unknown): string[] {
  const changes = isRecord(eventData) ? eventData.changes : undefined;
  return Array.isArray(changes) ? changes.filter((change): change is string => typeof change === 'string') : [];
}

function severityOf(value: unknown): Severity | null {
  const severity = typeof value === 'string' ? value.toLowerCase() : null;
  return severity !== null && SEVERITIES.includes(severity) ? (severity as Severity) : null;
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
