import { WEBHOOK_FORMATS } from '../delivery/formats/index.ts';
import { ROLES } from '../domain/access.ts';
import { SEVERITIES } from '../domain/webhook-input.ts';
import { builder } from './builder.ts';

export const RoleEnum = builder.enumType('Role', {
  values: {
    ADMIN: { description: 'Manages webhooks, tokens and event types; sees everything in the organization' },
    MEMBER: { description: 'Works on issues and publishes events; sees webhooks without their url and headers, and no deliveries' },
    VIEWER: { description: 'Read-only; sees webhooks as a MEMBER does' },
  } satisfies Record<(typeof ROLES)[number], unknown>,
});

export const SeverityEnum = builder.enumType('Severity', { values: SEVERITIES });

export const IssueStatusEnum = builder.enumType('IssueStatus', { values: ['OPEN', 'FIXED', 'IGNORED', 'FALSE_POSITIVE'] as const });

export const WebhookFormatEnum = builder.enumType('WebhookFormat', {
  values: {
    JSON: { description: 'The event envelope as application/json' },
    SLACK: { description: 'Slack Block Kit message: {text, blocks}' },
    TEAMS: { description: 'Microsoft Teams message carrying an Adaptive Card attachment' },
    CEF: { description: 'One ArcSight Common Event Format line, text/plain' },
    SYSLOG: { description: 'One RFC 5424 syslog line with structured data, text/plain' },
    SPLUNK_HEC: { description: 'Splunk HTTP Event Collector JSON event' },
  } satisfies Record<(typeof WEBHOOK_FORMATS)[number], unknown>,
});

export const DeliveryStatusEnum = builder.enumType('DeliveryStatus', {
  values: {
    PENDING: { description: 'Queued, no attempt yet' },
    RETRYING: { description: 'At least one failed attempt, another is scheduled (nextAttemptAt)' },
    SUCCEEDED: { description: 'A 2xx response was received' },
    FAILED: { description: 'Retries exhausted, or a non-retryable response (4xx other than 408/429)' },
    CANCELLED: { description: 'The webhook was deleted or disabled before delivery' },
  },
});
