// delivery.md: targets must be public. The pure table first, then the real sender (undici, real
// sockets) with a resolver of our own, and a TCP tripwire on 127.0.0.1 that must never be touched.
import type dns from 'node:dns';
import net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSender, type Sender } from '../../src/delivery/sender.ts';
import { blockedReason, guardedLookup } from '../../src/delivery/ssrf.ts';
import { startReceiver, type Receiver } from '../support/receiver.ts';

describe('blockedReason', () => {
  it.each([
    ['127.0.0.1', 'a loopback address'],
    ['127.255.255.254', 'a loopback address'],
    ['10.1.2.3', 'a private address'],
    ['172.16.0.1', 'a private address'],
    ['172.31.255.255', 'a private address'],
    ['192.168.1.1', 'a private address'],
    ['169.254.169.254', 'a link-local address'], // cloud metadata
    ['100.64.0.1', 'a shared (CGNAT) address'],
    ['100.127.255.255', 'a shared (CGNAT) address'],
    ['0.0.0.0', 'an unspecified address'],
    ['224.0.0.1', 'a multicast address'],
    ['239.255.255.250', 'a multicast address'],
    ['::1', 'a loopback address'],
    ['::', 'an unspecified address'],
    ['fc00::1', 'a unique-local address'],
    ['fd12::1', 'a unique-local address'],
    ['fd00:ec2::254', 'a unique-local address'], // AWS IMDS over IPv6
    ['fe80::1', 'a link-local address'],
    ['fe80::1%eth0', 'a link-local address'],
    ['FE80::ABCD', 'a link-local address'],
    ['ff02::1', 'a multicast address'],
    ['::ffff:127.0.0.1', 'a loopback address'],
    ['::ffff:7f00:1', 'a loopback address'],
    ['::ffff:10.0.0.1', 'a private address'],
    ['::ffff:169.254.169.254', 'a link-local address'],
    ['::ffff:0.0.0.0', 'an unspecified address'],
    ['64:ff9b::a00:1', 'a private address'], // NAT64 of 10.0.0.1
    ['64:ff9b::127.0.0.1', 'a loopback address'],
    ['0:0:0:0:0:0:0:1', 'a loopback address'],
  ])('%s is blocked as %s', (ip, reason) => {
    expect(blockedReason(ip)).toBe(reason);
  });

  it.each([['8.8.8.8'], ['1.1.1.1'], ['172.32.0.1'], ['172.15.255.255'], ['100.128.0.1'], ['193.0.0.1'], ['2606:4700::1111'], ['2a00:1450:4001::200e'], ['64:ff9b::808:808'], ['::ffff:8.8.8.8']])(
    '%s is public',
    (ip) => {
      expect(blockedReason(ip)).toBeNull();
    },
  );

  it.each([['localhost'], ['example.com'], [''], ['127.0.0.1.nip.io']])('%j is not an IP address', (text) => {
    expect(blockedReason(text)).toBe('not an IP address');
  });
});

type Answer = Array<{ address: string; family: number }>;
type LookupAll = (hostname: string, callback: (error: Error | null, addresses: dns.LookupAddress[]) => void) => void;

/** A resolver with a script per hostname: the n-th lookup gets answer n (the last repeats). Needs no network. */
function scriptedResolver(script: Record<string, Answer[]>) {
  const calls: string[] = [];
  const resolve: LookupAll = (hostname, callback) => {
    const n = calls.filter((h) => h === hostname).length;
    calls.push(hostname);
    const answers = script[hostname];
    if (!answers) return void setImmediate(() => callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), []));
    const answer = answers[Math.min(n, answers.length - 1)];
    setImmediate(() => callback(null, answer as dns.LookupAddress[]));
  };
  return { resolve, calls };
}

describe('guardedLookup', () => {
  const { resolve } = scriptedResolver({
    'public.hookwarden.test': [[{ address: '93.184.216.34', family: 4 }, { address: '2606:2800:220:1::1', family: 6 }]],
    'mixed.hookwarden.test': [[{ address: '93.184.216.34', family: 4 }, { address: '127.0.0.1', family: 4 }]],
    'v6only.hookwarden.test': [[{ address: '2606:2800:220:1::1', family: 6 }]],
  });
  const lookup = guardedLookup(resolve);
  const ask = (hostname: string, options: dns.LookupOptions) =>
    new Promise<{ error: any; args: unknown[] }>((done) => lookup(hostname, options, (error: any, ...args: unknown[]) => done({ error, args })));

  it.each<[string, string, dns.LookupOptions, unknown]>([
    ['all addresses', 'public.hookwarden.test', { all: true }, [[{ address: '93.184.216.34', family: 4 }, { address: '2606:2800:220:1::1', family: 6 }]]],
    ['one address', 'public.hookwarden.test', {}, ['93.184.216.34', 4]],
    ['IPv6 only', 'public.hookwarden.test', { family: 6 }, ['2606:2800:220:1::1', 6]],
    ['IPv4 only, all', 'public.hookwarden.test', { family: 4, all: true }, [[{ address: '93.184.216.34', family: 4 }]]],
  ])('answers in the shape asked for: %s', async (_label, hostname, options, args) => {
    const { error, args: got } = await ask(hostname, options);
    expect(error).toBeNull();
    expect(got).toEqual(args);
  });

  it('refuses a mixed answer when any address is not public', async () => {
    const { error } = await ask('mixed.hookwarden.test', { all: true });
    expect(error?.message).toBe('blocked: 127.0.0.1 is a loopback address');
  });

  it('no address of the wanted family → ENOTFOUND', async () => {
    const { error } = await ask('v6only.hookwarden.test', { family: 4 });
    expect(error?.code).toBe('ENOTFOUND');
  });

  it('passes resolver errors through', async () => {
    const { error } = await ask('unknown.hookwarden.test', {});
    expect(error?.code).toBe('ENOTFOUND');
  });
});

describe('the real sender', () => {
  let tripwire: net.Server;
  let tripwirePort: number;
  const connections: net.Socket[] = [];
  let receiver: Receiver;
  const senders: Sender[] = [];

  beforeAll(async () => {
    tripwire = net.createServer((socket) => {
      connections.push(socket);
      socket.destroy();
    });
    await new Promise<void>((resolve) => tripwire.listen(0, '127.0.0.1', resolve));
    tripwirePort = (tripwire.address() as net.AddressInfo).port;
    receiver = await startReceiver();
  });
  afterEach(() => {
    // Every test in this block must leave the tripwire untouched, whatever it asserts itself.
    expect(connections.length, 'connections reached the tripwire on 127.0.0.1').toBe(0);
  });
  afterAll(async () => {
    await Promise.all(senders.map((s) => s.close().catch(() => {})));
    await new Promise((resolve) => tripwire?.close(resolve));
    await receiver?.close();
  });

  function guardedSender(script: Record<string, Answer[]>) {
    const resolver = scriptedResolver(script);
    const sender = createSender({ allowInsecureTargets: false, lookup: guardedLookup(resolver.resolve) });
    senders.push(sender);
    return { sender, calls: resolver.calls };
  }
  const post = (sender: Sender, url: string, timeoutMs = 2_000, headers: Record<string, string> = {}) =>
    sender.send({ url, headers: { 'content-type': 'application/json', ...headers }, body: '{"hello":"world"}', timeoutMs });

  it.each<[string, string, Answer]>([
    ['127.0.0.1', 'rebind.hookwarden.test', [{ address: '127.0.0.1', family: 4 }]],
    ['a public address plus 127.0.0.1', 'multi.hookwarden.test', [{ address: '93.184.216.34', family: 4 }, { address: '127.0.0.1', family: 4 }]],
  ])('a hostname resolving to %s is not contacted', async (_label, hostname, answer) => {
    const { sender, calls } = guardedSender({ [hostname]: [answer] });
    const result = await post(sender, `http://${hostname}:${tripwirePort}/hook`);
    expect(calls).toContain(hostname);
    expect(result.blocked).toBe(true);
    expect(result.statusCode).toBeNull();
    expect(result.error).toMatch(/^blocked: 127\.0\.0\.1 is a loopback address/);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(connections).toHaveLength(0);
  });

  it('a hostname resolving to ::ffff:127.0.0.1 is not contacted', async () => {
    const { sender } = guardedSender({ 'mapped.hookwarden.test': [[{ address: '::ffff:127.0.0.1', family: 6 }]] });
    const result = await post(sender, `http://mapped.hookwarden.test:${tripwirePort}/hook`);
    expect(result.blocked).toBe(true);
    expect(result.error).toMatch(/^blocked: ::ffff:127\.0\.0\.1 is a loopback address/);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(connections).toHaveLength(0);
  });

  it('DNS rebinding: public on the first lookup, 127.0.0.1 on the second → the second attempt is refused', async () => {
    // 203.0.113.7 is TEST-NET-3: public by the rules, routed nowhere on the internet.
    const { sender, calls } = guardedSender({
      'rebind.hookwarden.test': [[{ address: '203.0.113.7', family: 4 }], [{ address: '127.0.0.1', family: 4 }]],
    });
    const url = `http://rebind.hookwarden.test:${tripwirePort}/hook`;
    // "connection: close": whatever answers the first attempt, the second needs a new connection (and lookup).
    const first = await post(sender, url, 1_000, { connection: 'close' });
    // Not blocked: whatever the network makes of 203.0.113.7 (unreachable, timeout, a proxy's answer).
    expect(first.blocked).toBe(false);
    expect(first.error ?? '').not.toMatch(/^blocked:/);
    const second = await post(sender, url, 1_000, { connection: 'close' });
    expect(calls.filter((h) => h === 'rebind.hookwarden.test')).toHaveLength(2);
    expect(second.blocked).toBe(true);
    expect(second.statusCode).toBeNull();
    expect(second.error).toMatch(/^blocked: 127\.0\.0\.1 is a loopback address/);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(connections).toHaveLength(0);
  });

  it.each<[string, (port: number) => string, RegExp]>([
    ['http://127.0.0.1:<port>/', (port) => `http://127.0.0.1:${port}/`, /^blocked: 127\.0\.0\.1 is a loopback address/],
    ['a decimal IPv4 literal (2130706433)', (port) => `http://2130706433:${port}/`, /^blocked: 127\.0\.0\.1 is a loopback address/],
    ['a short IPv4 literal (127.1)', (port) => `http://127.1:${port}/`, /^blocked: 127\.0\.0\.1 is a loopback address/],
    ['a hex IPv4 literal (0x7f.0.0.1)', (port) => `http://0x7f.0.0.1:${port}/`, /^blocked: 127\.0\.0\.1 is a loopback address/],
    ['0.0.0.0 (reaches localhost on Linux)', (port) => `http://0.0.0.0:${port}/`, /^blocked: 0\.0\.0\.0 is an unspecified address/],
    ['[::ffff:127.0.0.1]', (port) => `http://[::ffff:127.0.0.1]:${port}/`, /^blocked: ::ffff:7f00:1 is a loopback address/],
    ['[::1]', (port) => `http://[::1]:${port}/`, /^blocked: ::1 is a loopback address/],
  ])('an IP-literal URL %s is refused the same way', async (_label, url, error) => {
    const { sender, calls } = guardedSender({});
    const result = await post(sender, url(tripwirePort));
    expect(result.blocked).toBe(true);
    expect(result.statusCode).toBeNull();
    expect(result.error).toMatch(error);
    expect(calls).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(connections).toHaveLength(0);
  });

  it('localhost through the system resolver is refused', async () => {
    const sender = createSender({ allowInsecureTargets: false });
    senders.push(sender);
    const result = await post(sender, `http://localhost:${tripwirePort}/`);
    expect(result.blocked).toBe(true);
    expect(result.error).toMatch(/^blocked: (127\.0\.0\.1|::1) is a loopback address/);
  });

  it('with allowInsecureTargets: true the same kind of request reaches a real receiver', async () => {
    const sender = createSender({ allowInsecureTargets: true, lookup: guardedLookup(scriptedResolver({}).resolve) });
    senders.push(sender);
    const result = await post(sender, receiver.url('/allowed'));
    expect(result).toMatchObject({ statusCode: 200, blocked: false, error: null, responseBody: 'ok' });
    const [request] = await receiver.waitFor('/allowed', 1, 2_000);
    expect(request.body.toString()).toBe('{"hello":"world"}');
  });

  it('a hostname resolving to a public address is not blocked (the guard does not refuse everything)', async () => {
    // 203.0.113.9 is TEST-NET-3: public by the rules. Whatever the network makes of it (unreachable,
    // timeout, or a sandbox proxy answering), the attempt is made and is not "blocked".
    const { sender, calls } = guardedSender({ 'public.hookwarden.test': [[{ address: '203.0.113.9', family: 4 }]] });
    const result = await post(sender, 'http://public.hookwarden.test:9/', 500);
    expect(calls).toEqual(['public.hookwarden.test']);
    expect(result.blocked).toBe(false);
    expect(result.error ?? '').not.toMatch(/^blocked:/);
  });
});
