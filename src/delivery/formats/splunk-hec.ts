// Splunk HTTP Event Collector event; the token travels in the webhook's own Authorization header.
import { epochMs } from './summary.ts';
import type { Formatter } from './types.ts';

export const formatSplunkHec: Formatter = (envelope, context) => ({
  body: JSON.stringify({
    // HEC reads epoch seconds and keeps a millisecond fraction.
    time: epochMs(envelope) / 1000,
    host: context.hostname,
    source: 'hookwarden',
    sourcetype: 'hookwarden:event',
    event: envelope,
  }),
  contentType: 'application/json',
});
