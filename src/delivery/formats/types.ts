// What every format turns an event into. Formatting happens once per (event, webhook), when the
// delivery is recorded; the stored body is what gets signed and sent on every attempt.

/** The JSON envelope of delivery.md: what the JSON format sends as is, and what the others render. */
export interface Envelope {
  id: string;
  event: string;
  type: string;
  timestamp: string;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
}

export interface FormatContext {
  /** Hookwarden's version, for CEF's device version. */
  version: string;
  /** This host's name, for syslog's HOSTNAME and Splunk's host. */
  hostname: string;
}

export interface FormattedBody {
  body: string;
  contentType: string;
}

export type Formatter = (envelope: Envelope, context: FormatContext) => FormattedBody;
