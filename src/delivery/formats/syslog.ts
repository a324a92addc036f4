// One RFC 5424 syslog line; the MSG is the JSON envelope so a SIEM gets every field, not just the SD.
import { describe, epochMs, type Severity } from './summary.ts';
import type { Formatter } from './types.ts';

/** Facility 13, "log audit": the security facility the contract names. */
const FACILITY = 13;
const SYSLOG_SEVERITY: Record<Severity, number> = { critical: 2, high: 3, medium: 4, low: 5 };
/** Informational, for events without a severity. */
const NO_SEVERITY = 6;
/** 32473 is the private enterprise number RFC 5424 reserves for examples. */
const SD_ID = 'hookwarden@32473';
const HOSTNAME_MAX = 255;
const MSGID_MAX = 32;

export const formatSyslog: Formatter = (envelope, context) => {
  const description = describe(envelope);
  const pri = FACILITY * 8 + (description.severity ? SYSLOG_SEVERITY[description.severity] : NO_SEVERITY);
  const params: Array<[name: string, value: string | null]> = [
    ['eventId', envelope.id],
    ['severity', description.severity ?? 'none'],
    ['status', description.status],
    ['issueId', description.issueId],
    ['pluginId', description.pluginId],
    ['weakness', description.weakness],
    ['target', description.targetId],
  ];
  const sd = params
    .filter((param): param is [string, string] => param[1] !== null)
    .map(([name, value]) => ` ${name}="${paramValue(value)}"`)
    .join('');
  const timestamp = new Date(epochMs(envelope)).toISOString();
  const header = `<${pri}>1 ${timestamp} ${headerField(context.hostname, HOSTNAME_MAX)} hookwarden - ${headerField(envelope.type, MSGID_MAX)}`;
  // MSG without the UTF-8 BOM (MSG-ANY): receivers can hand it straight to a JSON parser.
  return { body: `${header} [${SD_ID}${sd}] ${JSON.stringify(envelope)}`, contentType: 'text/plain; charset=utf-8' };
};

/** HOSTNAME and MSGID are PRINTUSASCII (33-126) only; an empty field is the NILVALUE. */
function headerField(value: string, max: number): string {
  return value.replace(/[^\x21-\x7e]/g, '').slice(0, max) || '-';
}

/**
 * RFC 5424 escapes only `"`, `\` and `]`, and has no escape for line breaks, so a line break becomes a
 * space: the frame stays one line and every receiver reads the same value.
 */
function paramValue(value: string): string {
  return value.replace(/\r\n|[\r\n\u0085\u2028\u2029]/g, ' ').replace(/["\\\]]/g, '\\$&');
}
