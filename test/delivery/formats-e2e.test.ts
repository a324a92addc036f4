// Each format end to end: a real issue event to a local receiver, the signatures verified over the
// bytes received, and the body read back by an independent parser to the issue's id, severity and status.
import { createRequire } from 'node:module';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver, type Receiver } from '../support/receiver.ts';
import { startTestService, type TestService } from '../support/service.ts';

const require = createRequire(import.meta.url);
const AdaptiveCards = require('adaptivecards/dist/adaptivecards.js') as typeof import('adaptivecards');
const parseLine = require('nsyslog-parser') as (line: string) => {
  levelval: number;
  facilityval: number;
  appName: string;
  messageid: string;
  message: string;
  structuredData?: Array<Record<string, string>>;
  cef?: Record<string, string>;
  fields?: Record<string, string>;
};

interface Read {
  issueId: string;
  severity: string;
  status: string;
}

/** Reads a received body back with a parser we did not write. */
const readers: Record<string, (body: string) => Read> = {
  JSON: (body) => {
    const { data } = JSON.parse(body);
    return { issueId: data.issue.id, severity: data.issue.severity, status: data.issue.status };
  },
  SPLUNK_HEC: (body) => {
    const hec = JSON.parse(body);
    expect(hec).toMatchObject({ source: 'hookwarden', sourcetype: 'hookwarden:event' });
    expect(typeof hec.time).toBe('number');
    return { issueId: hec.event.data.issue.id, severity: hec.event.data.issue.severity, status: hec.event.data.issue.status };
  },
  SLACK: (body) => {
    const message = JSON.parse(body);
    expect(message.blocks.map((b: { type: string }) => b.type)).toEqual(['header', 'section', 'context']);
    const fields = Object.fromEntries(
      message.blocks[1].fields.map((f: { text: string }) => f.text.split('\n') as [string, string]).map(([k, v]: [string, string]) => [k.replace(/\*/g, ''), v]),
    );
    const context = message.blocks[2].elements.map((e: { text: string }) => e.text).join(' ');
    expect(context).toMatch(/evt_/);
    return { issueId: fields.Issue, severity: fields.Severity, status: fields.Status };
  },
  TEAMS: (body) => {
    const content = JSON.parse(body).attachments[0].content;
    const card = new AdaptiveCards.AdaptiveCard();
    const context = new AdaptiveCards.SerializationContext(AdaptiveCards.Versions.v1_4);
    card.parse(content, context);
    expect(context.eventCount).toBe(0);
    expect(content.version).toBe('1.4');
    const facts: Array<{ title: string; value: string }> = content.body.find((b: { type: string }) => b.type === 'FactSet').facts;
    const fact = (title: string) => facts.find((f) => f.title === title)?.value ?? '';
    return { issueId: facts.map((f) => f.value).join(' '), severity: fact('Severity'), status: fact('Status') };
  },
  CEF: (body) => {
    const parsed = parseLine(body);
    expect(parsed.cef?.severity).toBe('8');
    return { issueId: parsed.fields?.cs2 ?? '', severity: parsed.fields?.cs4 ?? '', status: parsed.fields?.cs3 ?? '' };
  },
  SYSLOG: (body) => {
    const parsed = parseLine(body);
    expect([parsed.facilityval, parsed.levelval, parsed.appName, parsed.messageid]).toEqual([13, 3, 'hookwarden', 'issue.created']);
    const sd = parsed.structuredData?.[0] ?? {};
    const envelope = JSON.parse(parsed.message);
    return { issueId: envelope.data.issue.id, severity: sd.severity, status: envelope.data.issue.status };
  },
};

let hw: TestService;
let receiver: Receiver;
beforeAll(async () => {
  hw = await startTestService();
  receiver = await startReceiver();
});
afterAll(async () => {
  await hw?.stop();
  await receiver?.close();
});

describe('every format reaches a receiver signed and readable', () => {
  it.each(Object.keys(readers))('%s', async (format) => {
    const admin = await hw.admin();
    const path = `/format-${format}`;
    const { createWebhook } = await admin.must(
      'mutation ($input: CreateWebhookInput!) { createWebhook(input: $input) { secret } }',
      { input: { name: format, url: receiver.url(path), format, events: ['issue.created'] } },
    );
    const { createIssue } = await admin.must(
      'mutation { createIssue(input: { pluginId: "prompt-injection", severity: HIGH, weakness: "Prompt injection", targetId: "target-7" }) { id } }',
    );
    // The webhook is new, so the first request on its path is this issue's.
    const [request] = await receiver.waitFor(path);
    const headers = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k, String(v)]));
    expect(() => new StandardWebhook(createWebhook.secret).verify(request.body.toString('utf8'), headers, { jsonParse: false })).not.toThrow();
    expect(headers['x-hookwarden-signature']).toBe(createHmac('sha256', createWebhook.secret).update(request.body).digest('hex'));
    const read = readers[format](request.body.toString('utf8'));
    expect(read.issueId).toContain(createIssue.id);
    expect(read.severity).toBe('high');
    expect(read.status).toBe('open');
  });
});
