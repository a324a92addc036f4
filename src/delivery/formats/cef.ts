// ArcSight Common Event Format, one line. Escaping follows the CEF spec ("Implementing ArcSight CEF", rev. 25).
import { describe, epochMs, oneLine, truncate, type Severity } from './summary.ts';
import type { Formatter } from './types.ts';

const CEF_SEVERITY: Record<Severity, number> = { critical: 10, high: 8, medium: 5, low: 3 };
/** Events without a severity (custom events, webhook.test) are informational. */
const NO_SEVERITY = 1;
/** The spec's lengths for Device Event Class ID and the csN strings; receivers cut longer values anyway. */
const EVENT_CLASS_MAX = 1023;
const CUSTOM_STRING_MAX = 4000;

export const formatCef: Formatter = (envelope, context) => {
  const description = describe(envelope);
  const header = [
    'Hookwarden',
    'Hookwarden',
    context.version,
    truncate(envelope.type, EVENT_CLASS_MAX),
    description.summary,
    String(description.severity ? CEF_SEVERITY[description.severity] : NO_SEVERITY),
  ].map(headerField);
  const custom: Array<[label: string, value: string | null]> = [
    ['eventType', envelope.type],
    ['issueId', description.issueId],
    ['status', description.status],
    ['severity', description.severity],
    ['pluginId', description.pluginId],
    ['target', description.targetId],
  ];
  const extensions: Array<[key: string, value: string]> = [
    ['rt', String(epochMs(envelope))],
    ['externalId', envelope.id],
    ...custom.flatMap(([label, value], i): Array<[string, string]> =>
      value === null ? [] : [[`cs${i + 1}Label`, label], [`cs${i + 1}`, truncate(value, CUSTOM_STRING_MAX)]],
    ),
    ['msg', description.summary],
  ];
  const extension = extensions.map(([key, value]) => `${key}=${extensionValue(value)}`).join(' ');
  return { body: `CEF:0|${header.join('|')}|${extension}`, contentType: 'text/plain; charset=utf-8' };
};

/** The spec allows no line break in the header at all, so one becomes a space. */
function headerField(value: string): string {
  return oneLine(value).replace(/\\/g, '\\\\').replace(/\|/g, '\\|');
}

function extensionValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/=/g, '\\=').replace(/\r/g, '\\r').replace(/\n/g, '\\n');
}
