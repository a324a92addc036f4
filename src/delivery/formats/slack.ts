// Slack incoming-webhook message in Block Kit. Limits are Slack's: a longer text makes Slack reject
// the whole message, so every text is cut to fit rather than trusted to be short.
import type { ContextBlock, HeaderBlock, KnownBlock, MrkdwnElement, SectionBlock } from '@slack/types';
import { describe, factsOf, truncate, type Fact } from './summary.ts';
import type { Envelope, Formatter } from './types.ts';

const HEADER_MAX = 150;
const TEXT_MAX = 3000;
const FIELD_MAX = 2000;
/** Leaves most of a field to the value when a custom event has an absurdly long key. */
const LABEL_MAX = 100;

export interface SlackMessage {
  text: string;
  blocks: KnownBlock[];
}

export function slackMessage(envelope: Envelope): SlackMessage {
  const description = describe(envelope);
  const header: HeaderBlock = { type: 'header', text: { type: 'plain_text', text: truncate(description.summary, HEADER_MAX) } };
  const section: SectionBlock = { type: 'section', fields: factsOf(envelope, description).map(field) };
  const context: ContextBlock = { type: 'context', elements: [mrkdwn(`Event id: ${envelope.id}`, TEXT_MAX)] };
  return { text: mrkdwnText(description.summary, TEXT_MAX), blocks: [header, section, context] };
}

export const formatSlack: Formatter = (envelope) => ({
  body: JSON.stringify(slackMessage(envelope)),
  contentType: 'application/json',
});

function field({ label, value }: Fact): MrkdwnElement {
  const head = `*${escapeMrkdwn(truncate(label, LABEL_MAX))}*\n`;
  return { type: 'mrkdwn', text: head + mrkdwnText(value, FIELD_MAX - head.length) };
}

function mrkdwn(text: string, max: number): MrkdwnElement {
  return { type: 'mrkdwn', text: mrkdwnText(text, max) };
}

/** Escaped so that caller data cannot become a mention (<!channel>) or a link; the cut never splits an entity. */
function mrkdwnText(text: string, max: number): string {
  const escaped = escapeMrkdwn(text);
  const cut = truncate(escaped, max);
  return cut === escaped ? cut : cut.replace(/&[a-z]*…$/, '…');
}

function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
