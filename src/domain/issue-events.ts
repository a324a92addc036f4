// The issue event rules of delivery.md, as pure functions: what changed, and which event says so.

export const ISSUE_FIELDS_IN_ORDER = ['status', 'severity', 'weakness', 'teamId', 'targetId', 'providerId'] as const;
export type IssueField = (typeof ISSUE_FIELDS_IN_ORDER)[number];

/** The stored values of the fields an update can change (enum values as stored: upper case). */
export type IssueValues = Record<IssueField, string | null>;

export interface IssueChange {
  field: IssueField;
  from: string | null;
  to: string | null;
  /** "status changed to fixed": enum values lower case, as in payloads. */
  text: string;
}

const ENUM_FIELDS: ReadonlySet<IssueField> = new Set(['status', 'severity']);

/** How a value appears in payloads and history: enum values lower case, null as "null". */
export function payloadValue(field: IssueField, value: string | null): string | null {
  if (value === null) return null;
  return ENUM_FIELDS.has(field) ? value.toLowerCase() : value;
}

/** Every field the input sets to a value other than the stored one, in the contract's order. */
export function issueChanges(stored: IssueValues, input: Partial<IssueValues>): IssueChange[] {
  const changes: IssueChange[] = [];
  for (const field of ISSUE_FIELDS_IN_ORDER) {
    if (!(field in input) || input[field] === undefined) continue;
    const to = input[field] ?? null;
    const from = stored[field];
    if (to === from) continue;
    changes.push({ field, from, to, text: `${field} changed to ${payloadValue(field, to) ?? 'null'}` });
  }
  return changes;
}

export interface IssueEventSpec {
  type: 'issue.status_changed' | 'issue.severity_changed' | 'issue.updated';
  eventData: Record<string, unknown>;
}

/** The one event an update emits, or null when nothing changed. */
export function updateEvent(changes: IssueChange[]): IssueEventSpec | null {
  if (changes.length === 0) return null;
  const texts = changes.map((change) => change.text);
  if (changes.length === 1 && (changes[0].field === 'status' || changes[0].field === 'severity')) {
    const [change] = changes;
    return {
      type: change.field === 'status' ? 'issue.status_changed' : 'issue.severity_changed',
      eventData: { from: payloadValue(change.field, change.from), to: payloadValue(change.field, change.to), changes: texts },
    };
  }
  return { type: 'issue.updated', eventData: { changes: texts } };
}

export const BUILT_IN_EVENT_TYPES = [
  { name: 'issue.created', description: 'A new issue (security finding) was recorded.' },
  { name: 'issue.updated', description: 'Several fields of an issue changed at once, or a field other than status or severity.' },
  { name: 'issue.status_changed', description: "Only an issue's status changed (for example open to fixed)." },
  { name: 'issue.severity_changed', description: "Only an issue's severity changed (for example high to low)." },
  { name: 'issue.comment_added', description: 'Someone commented on an issue.' },
] as const;

export const TEST_EVENT_TYPE = 'webhook.test';
