// Every format is read back by a parser we did not write: adaptivecards for Teams, nsyslog-parser for
// CEF and syslog, JSON.parse for the JSON formats. Where nsyslog-parser cannot read what the spec
// allows, a few lines derived from the spec read it instead (see "nsyslog-parser's limits" below).
import { createRequire } from 'node:module';
import type { KnownBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import { formatCef } from '../../src/delivery/formats/cef.ts';
import { formatFor, WEBHOOK_FORMATS } from '../../src/delivery/formats/index.ts';
import { formatJson } from '../../src/delivery/formats/json.ts';
import { formatSlack, slackMessage } from '../../src/delivery/formats/slack.ts';
import { formatSplunkHec } from '../../src/delivery/formats/splunk-hec.ts';
import { describe as describeEvent } from '../../src/delivery/formats/summary.ts';
import { formatSyslog } from '../../src/delivery/formats/syslog.ts';
import { formatTeams } from '../../src/delivery/formats/teams.ts';
import type { Envelope, FormatContext } from '../../src/delivery/formats/types.ts';

const require = createRequire(import.meta.url);
// The package's ESM build imports extensionless paths Node cannot resolve; its UMD bundle needs no DOM.
const AdaptiveCards = require('adaptivecards/dist/adaptivecards.js') as typeof import('adaptivecards');

/** The fields of nsyslog-parser's result these tests read (the package ships no types). */
interface ParsedLine {
  err?: Error;
  type: string;
  version?: number;
  prival: number;
  facilityval: number;
  levelval: number;
  ts: Date;
  host: string;
  appName: string;
  messageid: string;
  message: string;
  structuredData?: Array<Record<string, string>>;
  cef?: Record<string, string>;
  fields?: Record<string, string>;
}
const parseLine = require('nsyslog-parser') as (line: string) => ParsedLine;

const CONTEXT: FormatContext = { version: '0.1.0', hostname: 'hookwarden-1.example.com' };
/** Every character class a format must escape or survive, and a mention Slack must not fire. */
const HOSTILE = 'pipe| equals= a=b back\\slash ]bracket "quote" <!channel> & new\nline cr\rlf crlf\r\nend Ünïcødé 漢字 🚀';
/** 10,000 UTF-16 units; the pattern is 10 long, so the cut never splits the emoji. */
const LONG = 'a|=\\]"🚀\n漢'.repeat(1000);

// ---------------------------------------------------------------------------------------------------
// Envelopes

const baseIssue = {
  id: 'iss_01',
  pluginId: 'prompt-injection',
  status: 'open',
  severity: 'high',
  organizationId: 'org_1',
  teamId: null,
  targetId: 'target-7',
  providerId: 'prov_1',
  createdAt: '2026-03-14T14:00:00.000Z',
  updatedAt: '2026-03-14T14:22:33.000Z',
  weakness: 'Prompt injection',
  history: [] as unknown[],
};

function envelope(type: string, data: Record<string, unknown>, id = `evt_${type.replace(/\W/g, '_')}`): Envelope {
  return {
    id,
    event: type,
    type,
    timestamp: '2026-03-14T14:22:33.123Z',
    data,
    metadata: { organizationId: 'org_1', teamId: null, webhookId: 'wh_1' },
  };
}

function issueEvent(type: string, issue: Record<string, unknown> = {}, eventData: Record<string, unknown> = {}): Envelope {
  return envelope(type, { issue: { ...baseIssue, ...issue }, eventData, userId: 'usr_1' });
}

interface Case {
  name: string;
  envelope: Envelope;
  /** The expected summary, when it is short enough to state. */
  summary?: string;
}

const manyKeys = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`key${i}|=${HOSTILE}`, i % 2 ? LONG : { nested: [i, HOSTILE] }]));

const CASES: Case[] = [
  { name: 'issue.created', envelope: issueEvent('issue.created'), summary: 'New high severity issue: Prompt injection on target-7' },
  {
    name: 'issue.status_changed to fixed',
    envelope: issueEvent('issue.status_changed', { status: 'fixed' }, { from: 'open', to: 'fixed', changes: ['status changed to fixed'] }),
    summary: 'High severity issue fixed: Prompt injection on target-7',
  },
  {
    name: 'issue.status_changed to false_positive, no target',
    envelope: issueEvent('issue.status_changed', { status: 'false_positive', targetId: null, severity: 'medium' }),
    summary: 'Medium severity issue marked as false positive: Prompt injection',
  },
  {
    name: 'issue.severity_changed',
    envelope: issueEvent('issue.severity_changed', { severity: 'low' }, { from: 'high', to: 'low', changes: ['severity changed to low'] }),
    summary: 'Issue severity changed to low: Prompt injection on target-7',
  },
  {
    name: 'issue.updated',
    envelope: issueEvent('issue.updated', { status: 'ignored', severity: 'low' }, { changes: ['status changed to ignored', 'severity changed to low'] }),
    summary: 'Issue updated (status changed to ignored, severity changed to low): Prompt injection on target-7',
  },
  {
    name: 'issue.comment_added with a hostile comment',
    envelope: issueEvent('issue.comment_added', { severity: 'critical' }, { comment: { id: 'cmt_1', body: HOSTILE, userId: 'usr_1', createdAt: '2026-03-14T14:22:33.000Z' } }),
    summary: 'New comment on critical severity issue: Prompt injection on target-7',
  },
  { name: 'webhook.test', envelope: envelope('webhook.test', { message: 'ping' }), summary: 'Test event from Hookwarden' },
  {
    name: 'custom event with a title',
    envelope: envelope('scan.completed', { title: 'Nightly scan finished', findings: 3, tags: ['a', 'b'] }),
    summary: 'Event scan.completed: Nightly scan finished',
  },
  { name: 'custom event without a title', envelope: envelope('deploy.finished', { count: 1 }), summary: 'Event deploy.finished' },
  {
    name: 'issue with hostile and 10,000-character values',
    envelope: issueEvent('issue.created', { severity: 'critical', weakness: HOSTILE, pluginId: `plugin|=\\]"\n${HOSTILE}`, targetId: LONG, status: HOSTILE }),
  },
  {
    name: 'issue with unusual values nsyslog-parser can follow',
    envelope: issueEvent('issue.created', { weakness: 'Ünïcødé 漢字 🚀 pipe|x new\nline cr\rlf', pluginId: 'a=b', targetId: 'target|7' }),
    summary: 'New high severity issue: Ünïcødé 漢字 🚀 pipe|x new line cr lf on target|7',
  },
  {
    name: 'custom event with hostile keys, long values, a long type and 20 keys',
    envelope: envelope('very.long.custom.event.type.name.past.thirty.two', { message: HOSTILE, ...manyKeys }),
  },
  { name: 'issue with an unknown severity', envelope: issueEvent('issue.created', { severity: 'info' }), summary: 'New issue: Prompt injection on target-7' },
];

const isIssue = (e: Envelope) => e.type.startsWith('issue.');
type IssueData = { id: string; status: string; severity: string; pluginId: string; weakness: string; targetId: string | null };
const issueOf = (e: Envelope) => e.data.issue as IssueData;
const KNOWN_SEVERITIES = ['critical', 'high', 'medium', 'low'];
const severityOf = (e: Envelope): string | null =>
  isIssue(e) && KNOWN_SEVERITIES.includes(issueOf(e).severity) ? issueOf(e).severity : null;

/** `actual` is `original`, or when `original` is longer than `max`, a prefix of it ending in an ellipsis. */
function expectCut(actual: string, original: string, max: number): void {
  if (original.length <= max) {
    expect(actual).toBe(original);
    return;
  }
  expect(actual.length).toBeLessThanOrEqual(max);
  expect(actual.endsWith('…')).toBe(true);
  expect(original.startsWith(actual.slice(0, -1))).toBe(true);
}

// ---------------------------------------------------------------------------------------------------

describe('summary', () => {
  it.each(CASES)('$name', ({ envelope: e, summary }) => {
    const description = describeEvent(e);
    if (summary) expect(description.summary).toBe(summary);
    expect(description.summary.length).toBeLessThanOrEqual(200);
    expect(description.summary).not.toMatch(/[\u0000-\u001f\u007f\u0085\u2028\u2029]/);
    expect(description.severity).toBe(severityOf(e));
  });

  it('issue facts come from data.issue; custom events have none', () => {
    expect(describeEvent(issueEvent('issue.status_changed', { status: 'fixed' }))).toEqual({
      summary: 'High severity issue fixed: Prompt injection on target-7',
      severity: 'high',
      status: 'fixed',
      pluginId: 'prompt-injection',
      targetId: 'target-7',
      weakness: 'Prompt injection',
      issueId: 'iss_01',
    });
    expect(describeEvent(envelope('scan.completed', { issue: { severity: 'high' } }))).toMatchObject({ severity: null, issueId: null });
  });
});

describe('SLACK', () => {
  it.each(CASES)('$name: Block Kit within its limits', ({ envelope: e }) => {
    const { body, contentType } = formatSlack(e, CONTEXT);
    expect(contentType).toBe('application/json');
    // Compile-time check against Slack's own types; the body must be exactly this message.
    const typed: { text: string; blocks: KnownBlock[] } = slackMessage(e);
    const message = JSON.parse(body);
    expect(message).toEqual(typed);

    const summary = describeEvent(e).summary;
    expect(unescapeSlack(message.text)).toBe(summary);
    expect(message.blocks.length).toBeLessThanOrEqual(50);
    expect(message.blocks.map((block: { type: string }) => block.type)).toEqual(['header', 'section', 'context']);
    const [header, section, context] = message.blocks;

    expect(header.text.type).toBe('plain_text');
    expect(header.text.text.length).toBeGreaterThan(0);
    expectCut(header.text.text, summary, 150);

    expect(section.text?.text.length ?? 0).toBeLessThanOrEqual(3000);
    expect(section.fields.length).toBeGreaterThan(0);
    expect(section.fields.length).toBeLessThanOrEqual(10);
    for (const field of section.fields) {
      expect(field.type).toBe('mrkdwn');
      expect(field.text.length).toBeLessThanOrEqual(2000);
    }
    const fieldTexts: string[] = section.fields.map((field: { text: string }) => field.text);
    if (isIssue(e)) {
      expect(fieldTexts).toContain(`*Severity*\n${severityOf(e) ?? 'none'}`);
      expect(fieldTexts.map((text) => text.split('\n')[0])).toEqual(['*Event*', '*Severity*', '*Status*', '*Plugin*', '*Target*', '*Issue*']);
    } else {
      expect(fieldTexts[0]).toBe(`*Event*\n${e.type}`);
    }

    expect(context.elements.length).toBeGreaterThan(0);
    expect(context.elements.length).toBeLessThanOrEqual(10);
    expect(context.elements.some((element: { text: string }) => element.text.includes(e.id))).toBe(true);

    // Caller data must not become a mention or a link: no raw angle bracket in any mrkdwn text.
    for (const text of [message.text, ...fieldTexts, ...context.elements.map((element: { text: string }) => element.text)]) {
      expect(text.length).toBeLessThanOrEqual(3000);
      expect(text).not.toMatch(/[<>]|&(?!amp;|lt;|gt;)/);
    }
  });
});

describe('TEAMS', () => {
  it.each(CASES)('$name: a valid Adaptive Card 1.4 with a FactSet', ({ envelope: e }) => {
    const { body, contentType } = formatTeams(e, CONTEXT);
    expect(contentType).toBe('application/json');
    // Teams refuses incoming-webhook messages over 28 KB.
    expect(Buffer.byteLength(body)).toBeLessThan(28 * 1024);
    const message = JSON.parse(body);
    expect(message.type).toBe('message');
    expect(message.attachments).toHaveLength(1);
    expect(message.attachments[0].contentType).toBe('application/vnd.microsoft.card.adaptive');
    const content = message.attachments[0].content;
    expect(content.$schema).toBe('http://adaptivecards.io/schemas/adaptive-card.json');

    const card = new AdaptiveCards.AdaptiveCard();
    const serialization = new AdaptiveCards.SerializationContext(AdaptiveCards.Versions.v1_4);
    card.parse(content, serialization);
    const events = Array.from({ length: serialization.eventCount }, (_, i) => serialization.getEventAt(i).message);
    events.push(...card.validateProperties().validationEvents.map((event) => event.message));
    expect(events).toEqual([]);
    expect(card.version.toString()).toBe('1.4');

    const items = Array.from({ length: card.getItemCount() }, (_, i) => card.getItemAt(i));
    const [title, summary, factSet] = items;
    expect(items).toHaveLength(3);
    if (!(title instanceof AdaptiveCards.TextBlock && summary instanceof AdaptiveCards.TextBlock)) throw new Error('no TextBlocks');
    expect([title.weight, title.size, title.wrap]).toEqual([AdaptiveCards.TextWeight.Bolder, AdaptiveCards.TextSize.Medium, true]);
    expect([summary.text, summary.wrap]).toEqual([describeEvent(e).summary, true]);
    if (!(factSet instanceof AdaptiveCards.FactSet)) throw new Error('no FactSet');
    const facts = factSet.facts.map((fact) => [fact.name, fact.value]);
    for (const fact of content.body[2].facts) {
      expect(typeof fact.title).toBe('string');
      expect(typeof fact.value).toBe('string');
    }
    expect(facts[0]).toEqual(['Event', e.type]);
    expect(facts.at(-1)).toEqual(['Event id', e.id]);
    if (isIssue(e)) {
      expect(facts).toContainEqual(['Severity', severityOf(e) ?? 'none']);
      expect(facts).toContainEqual(['Plugin', expect.any(String)]);
    }
  });
});

// ---------------------------------------------------------------------------------------------------
// nsyslog-parser's limits (0.10.1). It is independent but not complete, so these tests use it as far as
// it goes and fall back to readers written from the specs only where it cannot follow them:
// - CEF header: it splits at unescaped pipes correctly but returns fields still escaped (`\|`, `\\`),
//   so the split comes from it and `unescapeCef` (the spec's two escapes) reads the field.
// - CEF extension: it splits pairs at every "=", so a value with the spec's escaped `\=` is cut short,
//   and it never unescapes. Values without "=" are read through it (then unescaped); every value is
//   also read by `cefExtensionBySpec`.
// - Syslog SD: it drops the whole STRUCTURED-DATA when a PARAM-VALUE holds an escaped `"` (as RFC 5424
//   requires), strips quotes, never unescapes `\\` `\]`, and splits values at spaces before a word with
//   "=". Such lines are read by `syslogSdBySpec`; the header still goes through nsyslog-parser.

/** CEF spec: in the header `\\` and `\|`, in extensions `\\`, `\=`, `\n` and `\r`. */
function unescapeCef(text: string): string {
  return text.replace(/\\(.)/gs, (_, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : c));
}

/** CEF spec: "=" in a value is always escaped, so each " key=" with an unescaped "=" starts a pair. */
function cefExtensionBySpec(extension: string): Record<string, string> {
  const pair = /([A-Za-z0-9_]+)=((?:[^\\=]|\\.)*?)(?: (?=[A-Za-z0-9_]+=)|$)/sy;
  const pairs: Record<string, string> = {};
  while (pair.lastIndex < extension.length) {
    const match = pair.exec(extension);
    if (!match) throw new Error(`unreadable extension at ${pair.lastIndex}: ${extension.slice(pair.lastIndex, pair.lastIndex + 40)}`);
    pairs[match[1]] = unescapeCef(match[2]);
  }
  return pairs;
}

/** RFC 5424 §6.3: SD-ELEMENTs after the sixth space, PARAM-VALUEs escaping `"`, `\` and `]`; then " MSG". */
function syslogSdBySpec(line: string): { elements: Array<Record<string, string>>; msg: string } {
  const header = /^(?:\S+ ){6}/.exec(line);
  if (!header) throw new Error('no RFC 5424 header');
  const element = /\[([^ =\]"]+)((?: [^ =\]"]+="(?:[^"\\\]]|\\["\\\]])*")*)\]/y;
  const param = / ([^ =\]"]+)="((?:[^"\\\]]|\\["\\\]])*)"/g;
  element.lastIndex = header[0].length;
  const elements: Array<Record<string, string>> = [];
  let end = header[0].length;
  for (let match = element.exec(line); match; match = element.exec(line)) {
    const params: Record<string, string> = { $id: match[1] };
    for (const [, name, value] of match[2].matchAll(param)) params[name] = value.replace(/\\(["\\\]])/g, '$1');
    elements.push(params);
    end = element.lastIndex;
  }
  const rest = line.slice(end);
  if (!elements.length || !rest.startsWith(' ')) throw new Error(`malformed STRUCTURED-DATA near ${rest.slice(0, 40)}`);
  return { elements, msg: rest.slice(1) };
}

function parse(line: string): ParsedLine {
  const parsed = parseLine(line);
  if (parsed.err) throw parsed.err;
  return parsed;
}

function unescapeSlack(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

function expectOneLine(body: string): void {
  expect(body).not.toMatch(/[\r\n]/);
}

// ---------------------------------------------------------------------------------------------------

describe('CEF', () => {
  it.each(CASES)('$name: nsyslog-parser reads the header and extensions back', ({ envelope: e }) => {
    const { body, contentType } = formatCef(e, CONTEXT);
    expect(contentType).toMatch(/^text\/plain/);
    expectOneLine(body);
    const parsed = parse(body);
    expect(parsed.type).toBe('CEF');
    const cef = parsed.cef!;
    const summary = describeEvent(e).summary;
    const cefSeverity: Record<string, string> = { critical: '10', high: '8', medium: '5', low: '3' };
    expect([cef.version, cef.deviceVendor, cef.deviceProduct, cef.deviceVersion, cef.deviceEventClassID, cef.severity]).toEqual([
      'CEF:0',
      'Hookwarden',
      'Hookwarden',
      CONTEXT.version,
      e.type,
      cefSeverity[severityOf(e) ?? ''] ?? '1',
    ]);
    expect(unescapeCef(cef.name)).toBe(summary);

    const expected: Record<string, string> = {
      rt: String(Date.parse(e.timestamp)),
      externalId: e.id,
      cs1Label: 'eventType',
      cs1: e.type,
      msg: summary,
    };
    if (isIssue(e)) {
      const issue = issueOf(e);
      const optional: Array<[number, string, string | null]> = [
        [2, 'issueId', issue.id],
        [3, 'status', issue.status],
        [4, 'severity', severityOf(e)],
        [5, 'pluginId', issue.pluginId],
        [6, 'target', issue.targetId],
      ];
      for (const [n, label, value] of optional) {
        if (value !== null) Object.assign(expected, { [`cs${n}Label`]: label, [`cs${n}`]: value });
      }
    }
    const bySpec = cefExtensionBySpec(cef.extension);
    expect(Object.keys(bySpec).sort()).toEqual(Object.keys(expected).sort());
    for (const [key, value] of Object.entries(expected)) {
      // The spec's length for csN strings is 4000.
      expectCut(bySpec[key], value, key.startsWith('cs') ? 4000 : Infinity);
      if (!value.includes('=')) expectCut(unescapeCef(parsed.fields![key]), value, key.startsWith('cs') ? 4000 : Infinity);
    }
  });

  it('escapes pipes and backslashes in every header field, and line breaks become spaces', () => {
    const e = envelope('scan|odd\\type', { title: 'a|b\\c\nd' });
    const body = formatCef(e, { ...CONTEXT, version: '1.0|beta\\2\n' }).body;
    expectOneLine(body);
    const cef = parse(body).cef!;
    expect(unescapeCef(cef.deviceVersion)).toBe('1.0|beta\\2 ');
    expect(unescapeCef(cef.deviceEventClassID)).toBe('scan|odd\\type');
    expect(unescapeCef(cef.name)).toBe('Event scan|odd\\type: a|b\\c d');
    expect(cef.severity).toBe('1');
    expect(cefExtensionBySpec(cef.extension).cs1).toBe('scan|odd\\type');
    expect(unescapeCef(parse(body).fields!.cs1)).toBe('scan|odd\\type');
  });
});

describe('SYSLOG', () => {
  /** The contract's choice for line breaks in PARAM-VALUEs, which RFC 5424 cannot escape. */
  const sdValue = (value: string) => value.replace(/\r\n|[\r\n\u0085\u2028\u2029]/g, ' ');
  const nsyslogReads = (params: Record<string, string>) => Object.values(params).every((value) => !/["\\\]]|\s\S*=|\s\s/.test(value));

  it.each(CASES)('$name: RFC 5424 fields, SD and the JSON envelope read back', ({ envelope: e }) => {
    const { body, contentType } = formatSyslog(e, CONTEXT);
    expect(contentType).toMatch(/^text\/plain/);
    expectOneLine(body);
    const parsed = parse(body);
    const severity = severityOf(e);
    const level = { critical: 2, high: 3, medium: 4, low: 5 }[severity ?? ''] ?? 6;
    expect(parsed).toMatchObject({
      type: 'RFC5424',
      version: 1,
      prival: 13 * 8 + level,
      facilityval: 13,
      levelval: level,
      host: CONTEXT.hostname,
      appName: 'hookwarden',
      messageid: e.type.slice(0, 32),
    });
    expect(parsed.ts.toISOString()).toBe(e.timestamp);

    const expected: Record<string, string> = { $id: 'hookwarden@32473', eventId: e.id, severity: severity ?? 'none' };
    if (isIssue(e)) {
      const issue = issueOf(e);
      const optional = { status: issue.status, issueId: issue.id, pluginId: issue.pluginId, weakness: issue.weakness, target: issue.targetId };
      for (const [name, value] of Object.entries(optional)) if (value !== null) expected[name] = sdValue(value);
    }
    const bySpec = syslogSdBySpec(body);
    expect(bySpec.elements).toEqual([expected]);
    expect(JSON.parse(bySpec.msg)).toEqual(e);
    if (nsyslogReads(expected)) {
      expect(parsed.structuredData).toEqual([expected]);
      expect(JSON.parse(parsed.message)).toEqual(e);
    }
  });

  it('only the values nsyslog-parser cannot follow skip it', () => {
    const unreadable = CASES.filter(({ envelope: e }) => !nsyslogReads(syslogSdBySpec(formatSyslog(e, CONTEXT).body).elements[0]));
    expect(unreadable.map(({ name }) => name)).toEqual(['issue with hostile and 10,000-character values']);
  });

  it.each([
    ['hookwarden-1.example.com', 'hookwarden-1.example.com'],
    ['', '-'],
    ['bad host\nname', 'badhostname'],
    ['ünï', 'n'],
    ['漢字', '-'],
    ['h'.repeat(300), 'h'.repeat(255)],
  ])('HOSTNAME %j is sent as %j', (hostname, host) => {
    const body = formatSyslog(issueEvent('issue.created'), { ...CONTEXT, hostname }).body;
    expect(parse(body)).toMatchObject({ host, appName: 'hookwarden', messageid: 'issue.created' });
  });
});

describe('SPLUNK_HEC', () => {
  it.each(CASES)('$name: an HEC event carrying the envelope', ({ envelope: e }) => {
    const { body, contentType } = formatSplunkHec(e, CONTEXT);
    expect(contentType).toBe('application/json');
    const event = JSON.parse(body);
    expect(Object.keys(event).sort()).toEqual(['event', 'host', 'source', 'sourcetype', 'time']);
    expect(typeof event.time).toBe('number');
    expect(event.time).toBe(Date.parse(e.timestamp) / 1000);
    expect(event).toMatchObject({ host: CONTEXT.hostname, source: 'hookwarden', sourcetype: 'hookwarden:event' });
    expect(event.event).toEqual(e);
  });
});

describe('severity mapping', () => {
  it.each([
    ['critical', '10', 2],
    ['high', '8', 3],
    ['medium', '5', 4],
    ['low', '3', 5],
    [null, '1', 6],
  ])('%s → CEF %s, syslog severity %i', (severity, cefSeverity, syslogSeverity) => {
    const events = severity ? [issueEvent('issue.created', { severity })] : [issueEvent('issue.created', { severity: null }), envelope('scan.completed', {})];
    for (const e of events) {
      expect(parse(formatCef(e, CONTEXT).body).cef!.severity).toBe(cefSeverity);
      const line = parse(formatSyslog(e, CONTEXT).body);
      expect([line.prival, line.facilityval, line.levelval]).toEqual([13 * 8 + syslogSeverity, 13, syslogSeverity]);
      expect(line.structuredData![0].severity).toBe(severity ?? 'none');
    }
  });
});

describe('formatFor', () => {
  it('has a formatter for every format', () => {
    expect([...WEBHOOK_FORMATS]).toEqual(['JSON', 'SLACK', 'TEAMS', 'CEF', 'SYSLOG', 'SPLUNK_HEC']);
    expect(WEBHOOK_FORMATS.map(formatFor)).toEqual([formatJson, formatSlack, formatTeams, formatCef, formatSyslog, formatSplunkHec]);
  });

  it('JSON sends the envelope as is', () => {
    const e = issueEvent('issue.created', { weakness: HOSTILE });
    expect(formatFor('JSON')(e, CONTEXT)).toEqual({ body: JSON.stringify(e), contentType: 'application/json' });
  });
});
