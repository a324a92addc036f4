// The rules for webhook input. Each failure names the field it is about.
import { WEBHOOK_FORMATS, type WebhookFormat } from '../delivery/formats/index.ts';
import { badInput } from '../errors.ts';
import { secretProblem } from './secrets.ts';

export const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'] as const;
export const DEFAULT_EVENTS = ['issue.created', 'issue.updated'];
export const LIMITS = { name: 100, url: 2048, retryCount: [0, 10], timeoutMs: [1000, 30000], headers: 20, headerValue: 4096 } as const;

export interface HeaderInput {
  name: string;
  value: string;
}

export function checkName(name: string): string {
  const trimmed = name.trim();
  if (!trimmed) throw badInput('name', 'must not be empty');
  if (trimmed.length > LIMITS.name) throw badInput('name', `must be at most ${LIMITS.name} characters`);
  return trimmed;
}

export function checkUrl(url: string, allowInsecure: boolean): string {
  const trimmed = url.trim();
  if (trimmed.length > LIMITS.url) throw badInput('url', `must be at most ${LIMITS.url} characters`);
  let parsed: URL;
  try {
    parsed = new URL(trimmed);
  } catch {
    throw badInput('url', 'must be an absolute https URL');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw badInput('url', 'must be an http(s) URL');
  if (parsed.protocol === 'http:' && !allowInsecure) {
    throw badInput('url', 'must use https (plain http is allowed only with HOOKWARDEN_ALLOW_INSECURE_TARGETS=true)');
  }
  if (parsed.username || parsed.password) throw badInput('url', 'must not carry credentials; use a custom header');
  return trimmed;
}

/** Event names must be known types, "*", or a prefix wildcard such as "issue.*". */
export function checkEvents(events: readonly string[], known: ReadonlySet<string>): string[] {
  if (events.length === 0) throw badInput('events', 'must list at least one event type, or "*"');
  const unique = [...new Set(events.map((e) => e.trim()))];
  for (const name of unique) {
    if (name === '*') continue;
    if (name.endsWith('.*')) {
      const prefix = name.slice(0, -1);
      if (!/^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*\.$/.test(prefix)) throw badInput('events', `"${name}" is not a valid wildcard`);
      continue;
    }
    if (!known.has(name)) throw badInput('events', `unknown event type "${name}"`);
  }
  return unique;
}

export function checkSeverities(severities: readonly string[]): string[] {
  if (severities.length === 0) throw badInput('severities', 'must list at least one severity, or be null for all');
  return [...new Set(severities)];
}

export function checkFormat(format: string): WebhookFormat {
  if (!(WEBHOOK_FORMATS as readonly string[]).includes(format)) throw badInput('format', `must be one of ${WEBHOOK_FORMATS.join(', ')}`);
  return format as WebhookFormat;
}

export function checkRange(field: 'retryCount' | 'timeoutMs', value: number): number {
  const [min, max] = LIMITS[field];
  if (!Number.isInteger(value) || value < min || value > max) throw badInput(field, `must be between ${min} and ${max}`);
  return value;
}

export function checkSecret(secret: string): string {
  const problem = secretProblem(secret);
  if (problem) throw badInput('secret', problem);
  return secret;
}

const TOKEN = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
const RESERVED = new Set(['host', 'content-length', 'content-type', 'transfer-encoding', 'connection', 'user-agent', 'expect', 'upgrade', 'te', 'trailer']);

export function checkHeaders(headers: readonly HeaderInput[]): HeaderInput[] {
  if (headers.length > LIMITS.headers) throw badInput('headers', `at most ${LIMITS.headers} custom headers`);
  const seen = new Set<string>();
  return headers.map((header, index) => {
    const name = header.name.trim();
    const lower = name.toLowerCase();
    const field = `headers[${index}].name`;
    if (!TOKEN.test(name)) throw badInput(field, `"${name}" is not a valid header name`);
    if (RESERVED.has(lower) || lower.startsWith('webhook-') || lower.startsWith('x-hookwarden-')) {
      throw badInput(field, `"${name}" is set by Hookwarden and cannot be overridden`);
    }
    if (seen.has(lower)) throw badInput(field, `"${name}" is given twice`);
    seen.add(lower);
    if (/[\r\n\0]/.test(header.value)) throw badInput(`headers[${index}].value`, 'must not contain line breaks or NUL');
    if (header.value.length > LIMITS.headerValue) throw badInput(`headers[${index}].value`, `must be at most ${LIMITS.headerValue} characters`);
    return { name, value: header.value };
  });
}
