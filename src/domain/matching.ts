// Which webhooks receive an event (delivery.md, "Which webhooks receive an event").

export interface WebhookFilter {
  enabled: boolean;
  events: readonly string[];
  teamId: string | null;
  /** Upper-case severities, or null for all. */
  severities: readonly string[] | null;
}

export interface EventFacts {
  type: string;
  teamId: string | null;
  /** Upper-case severity of an issue event; null for events without one. */
  severity: string | null;
}

/** "*" matches everything; "issue.*" matches every name that starts with "issue.". */
export function eventNameMatches(pattern: string, type: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('.*')) return type.startsWith(pattern.slice(0, -1));
  return pattern === type;
}

export function webhookReceives(webhook: WebhookFilter, event: EventFacts): boolean {
  if (!webhook.enabled) return false;
  if (!webhook.events.some((pattern) => eventNameMatches(pattern, event.type))) return false;
  if (webhook.teamId !== null && webhook.teamId !== event.teamId) return false;
  if (webhook.severities !== null && event.severity !== null && !webhook.severities.includes(event.severity)) return false;
  return true;
}
