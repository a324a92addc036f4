import { formatCef } from './cef.ts';
import { formatJson } from './json.ts';
import { formatSlack } from './slack.ts';
import { formatSplunkHec } from './splunk-hec.ts';
import { formatSyslog } from './syslog.ts';
import { formatTeams } from './teams.ts';
import type { Formatter } from './types.ts';

export type WebhookFormat = 'JSON' | 'SLACK' | 'TEAMS' | 'CEF' | 'SYSLOG' | 'SPLUNK_HEC';

const FORMATTERS: Record<WebhookFormat, Formatter> = {
  JSON: formatJson,
  SLACK: formatSlack,
  TEAMS: formatTeams,
  CEF: formatCef,
  SYSLOG: formatSyslog,
  SPLUNK_HEC: formatSplunkHec,
};

export const WEBHOOK_FORMATS: readonly WebhookFormat[] = Object.freeze(Object.keys(FORMATTERS) as WebhookFormat[]);

export function formatFor(format: WebhookFormat): Formatter {
  return FORMATTERS[format];
}
