// delivery.md "Which webhooks receive an event", as tables over the pure matching functions.
import { describe, expect, it } from 'vitest';
import { eventNameMatches, webhookReceives, type EventFacts, type WebhookFilter } from '../../src/domain/matching.ts';

describe('eventNameMatches', () => {
  it.each([
    ['*', 'issue.created', true],
    ['*', 'scan.completed', true],
    ['*', 'webhook.test', true],
    ['issue.*', 'issue.created', true],
    ['issue.*', 'issue.status_changed', true],
    ['issue.*', 'issues.x', false],
    ['issue.*', 'issue', false],
    ['issue.*', 'scan.issue.created', false],
    ['issue.*', 'xissue.created', false],
    ['scan.*', 'scan.completed', true],
    ['scan.*', 'scan.completed.sub', true],
    ['scan.completed.*', 'scan.completed.sub', true],
    ['scan.completed.*', 'scan.completed', false],
    ['issue.created', 'issue.created', true],
    ['issue.created', 'issue.updated', false],
    ['issue.created', 'issue.created.extra', false],
    ['issue.created', 'issue.create', false],
    ['issue.created', 'Issue.created', false],
  ] as const)('%s vs %s → %s', (pattern, type, expected) => {
    expect(eventNameMatches(pattern, type)).toBe(expected);
  });
});

describe('webhookReceives', () => {
  const hook = (over: Partial<WebhookFilter> = {}): WebhookFilter => ({ enabled: true, events: ['*'], teamId: null, severities: null, ...over });
  const event = (over: Partial<EventFacts> = {}): EventFacts => ({ type: 'issue.created', teamId: null, severity: 'HIGH', ...over });

  it.each<{ name: string; webhook: WebhookFilter; event: EventFacts; expected: boolean }>([
    { name: 'enabled, "*", no filters', webhook: hook(), event: event(), expected: true },
    { name: 'disabled webhook receives nothing', webhook: hook({ enabled: false }), event: event(), expected: false },
    { name: 'disabled webhook with an exact name still receives nothing', webhook: hook({ enabled: false, events: ['issue.created'] }), event: event(), expected: false },
    { name: 'event name not listed', webhook: hook({ events: ['issue.updated'] }), event: event(), expected: false },
    { name: 'one of several names matches', webhook: hook({ events: ['issue.updated', 'issue.*'] }), event: event(), expected: true },
    { name: 'no names at all', webhook: hook({ events: [] }), event: event(), expected: false },
    { name: 'team filter, event of that team', webhook: hook({ teamId: 'team_a' }), event: event({ teamId: 'team_a' }), expected: true },
    { name: 'team filter, event of another team', webhook: hook({ teamId: 'team_a' }), event: event({ teamId: 'team_b' }), expected: false },
    { name: 'team filter, event without a team', webhook: hook({ teamId: 'team_a' }), event: event({ teamId: null }), expected: false },
    { name: 'no team filter, event of a team', webhook: hook(), event: event({ teamId: 'team_b' }), expected: true },
    { name: 'severity filter, issue of a listed severity', webhook: hook({ severities: ['HIGH', 'CRITICAL'] }), event: event({ severity: 'HIGH' }), expected: true },
    { name: 'severity filter, issue of another severity', webhook: hook({ severities: ['CRITICAL'] }), event: event({ severity: 'LOW' }), expected: false },
    {
      name: 'severity filter, custom event without severity is not filtered',
      webhook: hook({ severities: ['CRITICAL'] }),
      event: event({ type: 'scan.completed', severity: null }),
      expected: true,
    },
    {
      name: 'severity filter passes a severity-less event, but the team filter still applies',
      webhook: hook({ severities: ['CRITICAL'], teamId: 'team_a' }),
      event: event({ type: 'scan.completed', severity: null, teamId: 'team_b' }),
      expected: false,
    },
    {
      name: 'team and severity filters both satisfied',
      webhook: hook({ severities: ['LOW'], teamId: 'team_a', events: ['issue.*'] }),
      event: event({ severity: 'LOW', teamId: 'team_a' }),
      expected: true,
    },
    {
      name: 'team matches but severity does not',
      webhook: hook({ severities: ['LOW'], teamId: 'team_a' }),
      event: event({ severity: 'MEDIUM', teamId: 'team_a' }),
      expected: false,
    },
  ])('$name → $expected', ({ webhook, event, expected }) => {
    expect(webhookReceives(webhook, event)).toBe(expected);
  });
});
