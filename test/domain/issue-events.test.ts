// delivery.md "Issue event rules" as tables over the pure functions issueChanges + updateEvent.
import { describe, expect, it } from 'vitest';
import { ISSUE_FIELDS_IN_ORDER, issueChanges, updateEvent, type IssueValues } from '../../src/domain/issue-events.ts';

const STORED: IssueValues = {
  status: 'OPEN',
  severity: 'HIGH',
  weakness: 'SQL injection',
  teamId: null,
  targetId: 'tgt_1',
  providerId: 'prv_1',
};

function withTeam(teamId: string | null): IssueValues {
  return { ...STORED, teamId };
}

type Row = {
  name: string;
  stored: IssueValues;
  input: Partial<IssueValues>;
  type: string | null;
  eventData: Record<string, unknown> | null;
  fields: string[];
};

const rows: Row[] = [
  {
    name: 'status only → issue.status_changed with lower-case from/to',
    stored: STORED,
    input: { status: 'FIXED' },
    type: 'issue.status_changed',
    eventData: { from: 'open', to: 'fixed', changes: ['status changed to fixed'] },
    fields: ['status'],
  },
  {
    name: 'status to FALSE_POSITIVE keeps the underscore, lower case',
    stored: STORED,
    input: { status: 'FALSE_POSITIVE' },
    type: 'issue.status_changed',
    eventData: { from: 'open', to: 'false_positive', changes: ['status changed to false_positive'] },
    fields: ['status'],
  },
  {
    name: 'severity only → issue.severity_changed with lower-case from/to',
    stored: STORED,
    input: { severity: 'LOW' },
    type: 'issue.severity_changed',
    eventData: { from: 'high', to: 'low', changes: ['severity changed to low'] },
    fields: ['severity'],
  },
  {
    name: 'status and severity → one issue.updated, status first',
    stored: STORED,
    input: { status: 'FIXED', severity: 'LOW' },
    type: 'issue.updated',
    eventData: { changes: ['status changed to fixed', 'severity changed to low'] },
    fields: ['status', 'severity'],
  },
  {
    name: 'weakness only → issue.updated',
    stored: STORED,
    input: { weakness: 'XSS' },
    type: 'issue.updated',
    eventData: { changes: ['weakness changed to XSS'] },
    fields: ['weakness'],
  },
  {
    name: 'targetId only → issue.updated, value kept as is',
    stored: STORED,
    input: { targetId: 'Tgt_Upper' },
    type: 'issue.updated',
    eventData: { changes: ['targetId changed to Tgt_Upper'] },
    fields: ['targetId'],
  },
  {
    name: 'providerId only → issue.updated',
    stored: STORED,
    input: { providerId: 'prv_2' },
    type: 'issue.updated',
    eventData: { changes: ['providerId changed to prv_2'] },
    fields: ['providerId'],
  },
  {
    name: 'teamId set → issue.updated',
    stored: withTeam(null),
    input: { teamId: 'team_a' },
    type: 'issue.updated',
    eventData: { changes: ['teamId changed to team_a'] },
    fields: ['teamId'],
  },
  {
    name: 'teamId cleared to null → "teamId changed to null"',
    stored: withTeam('team_a'),
    input: { teamId: null },
    type: 'issue.updated',
    eventData: { changes: ['teamId changed to null'] },
    fields: ['teamId'],
  },
  {
    name: 'status plus another field → issue.updated, not status_changed',
    stored: STORED,
    input: { status: 'IGNORED', weakness: 'XSS' },
    type: 'issue.updated',
    eventData: { changes: ['status changed to ignored', 'weakness changed to XSS'] },
    fields: ['status', 'weakness'],
  },
  {
    name: 'identical status → no change, no event',
    stored: STORED,
    input: { status: 'OPEN' },
    type: null,
    eventData: null,
    fields: [],
  },
  {
    name: 'every field identical → no change, no event',
    stored: withTeam('team_a'),
    input: { ...withTeam('team_a') },
    type: null,
    eventData: null,
    fields: [],
  },
  {
    name: 'teamId null onto null → no change, no event',
    stored: withTeam(null),
    input: { teamId: null },
    type: null,
    eventData: null,
    fields: [],
  },
  {
    name: 'empty input → no change, no event',
    stored: STORED,
    input: {},
    type: null,
    eventData: null,
    fields: [],
  },
  {
    name: 'an undefined field is "not given", not a change to null',
    stored: withTeam('team_a'),
    input: { teamId: undefined, targetId: undefined },
    type: null,
    eventData: null,
    fields: [],
  },
  {
    name: 'identical status next to a real severity change → severity_changed (equal fields are not changes)',
    stored: STORED,
    input: { status: 'OPEN', severity: 'CRITICAL' },
    type: 'issue.severity_changed',
    eventData: { from: 'high', to: 'critical', changes: ['severity changed to critical'] },
    fields: ['severity'],
  },
  {
    name: 'identical values next to one other-field change → issue.updated with only that change',
    stored: STORED,
    input: { status: 'OPEN', severity: 'HIGH', weakness: 'XSS', targetId: 'tgt_1' },
    type: 'issue.updated',
    eventData: { changes: ['weakness changed to XSS'] },
    fields: ['weakness'],
  },
];

describe('issueChanges + updateEvent', () => {
  it.each(rows)('$name', ({ stored, input, type, eventData, fields }) => {
    const changes = issueChanges(stored, input);
    expect(changes.map((c) => c.field)).toEqual(fields);
    const event = updateEvent(changes);
    if (type === null) {
      expect(changes).toEqual([]);
      expect(event).toBeNull();
    } else {
      expect(event).toEqual({ type, eventData });
    }
  });

  it.each([
    { name: 'enum fields', stored: STORED, input: { severity: 'MEDIUM', status: 'FIXED' }, from: ['OPEN', 'HIGH'], to: ['FIXED', 'MEDIUM'] },
    { name: 'teamId cleared', stored: withTeam('team_a'), input: { teamId: null }, from: ['team_a'], to: [null] },
  ])('changes carry the stored from and the new to as stored values ($name)', ({ stored, input, from, to }) => {
    const changes = issueChanges(stored, input);
    expect(changes.map((c) => c.from)).toEqual(from);
    expect(changes.map((c) => c.to)).toEqual(to);
  });

  // Every permutation of key order must give the contract order.
  const allChanged: Partial<IssueValues> = {
    providerId: 'prv_9',
    targetId: 'tgt_9',
    teamId: 'team_9',
    weakness: 'Path traversal',
    severity: 'CRITICAL',
    status: 'FIXED',
  };
  const expectedTexts = [
    'status changed to fixed',
    'severity changed to critical',
    'weakness changed to Path traversal',
    'teamId changed to team_9',
    'targetId changed to tgt_9',
    'providerId changed to prv_9',
  ];
  const keyOrders: string[][] = [
    ['providerId', 'targetId', 'teamId', 'weakness', 'severity', 'status'],
    ['status', 'severity', 'weakness', 'teamId', 'targetId', 'providerId'],
    ['weakness', 'providerId', 'status', 'targetId', 'severity', 'teamId'],
    ['teamId', 'status', 'providerId', 'severity', 'targetId', 'weakness'],
  ];
  it.each(keyOrders)('order of changes is status, severity, weakness, teamId, targetId, providerId for key order %s,%s,%s,%s,%s,%s', (...order) => {
    const input = Object.fromEntries(order.map((key) => [key, allChanged[key as keyof IssueValues]])) as Partial<IssueValues>;
    expect(Object.keys(input)).toEqual(order);
    const changes = issueChanges(STORED, input);
    expect(changes.map((c) => c.field)).toEqual([...ISSUE_FIELDS_IN_ORDER]);
    expect(updateEvent(changes)).toEqual({ type: 'issue.updated', eventData: { changes: expectedTexts } });
  });

  it.each([
    ['severity', 'CRITICAL', 'severity changed to critical'],
    ['severity', 'MEDIUM', 'severity changed to medium'],
    ['status', 'IGNORED', 'status changed to ignored'],
    ['status', 'FALSE_POSITIVE', 'status changed to false_positive'],
  ] as const)('enum field %s = %s reads lower case in texts: %s', (field, value, text) => {
    const changes = issueChanges(STORED, { [field]: value });
    expect(changes.map((c) => c.text)).toEqual([text]);
    const event = updateEvent(changes)!;
    expect(event.eventData.changes).toEqual([text]);
    expect(event.eventData.to).toBe(value.toLowerCase());
  });

  it('non-enum values are not lower-cased', () => {
    const changes = issueChanges(STORED, { weakness: 'CSRF In LOGIN' });
    expect(changes[0].text).toBe('weakness changed to CSRF In LOGIN');
  });
});
