// The SSRF guard: webhook targets must be public. Checked at connect time, on the addresses the
// connection will actually use, so a DNS answer that changes after the webhook was created
// (rebinding) is caught too.
import dns from 'node:dns';
import net from 'node:net';

const V4_RANGES: Array<[string, number, string]> = [
  ['0.0.0.0', 8, 'an unspecified address'],
  ['10.0.0.0', 8, 'a private address'],
  ['100.64.0.0', 10, 'a shared (CGNAT) address'],
  ['127.0.0.0', 8, 'a loopback address'],
  ['169.254.0.0', 16, 'a link-local address'],
  ['172.16.0.0', 12, 'a private address'],
  ['192.0.0.0', 24, 'a reserved address'],
  ['192.168.0.0', 16, 'a private address'],
  ['198.18.0.0', 15, 'a benchmarking address'],
  ['224.0.0.0', 4, 'a multicast address'],
  ['240.0.0.0', 4, 'a reserved address'],
];

function v4ToInt(ip: string): number {
  return ip.split('.').reduce((acc, part) => (acc << 8) + Number(part), 0) >>> 0;
}

function v4Reason(ip: string): string | null {
  const value = v4ToInt(ip);
  for (const [base, bits, reason] of V4_RANGES) {
    const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
    if ((value & mask) === (v4ToInt(base) & mask)) return reason;
  }
  return null;
}

/** Expands an IPv6 address to its eight 16-bit groups. */
function v6Groups(ip: string): number[] {
  let text = ip.split('%')[0].toLowerCase();
  const dotted = text.match(/(\d+\.\d+\.\d+\.\d+)$/);
  if (dotted) {
    const v4 = v4ToInt(dotted[1]);
    text = `${text.slice(0, -dotted[1].length)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const parse = (part: string | undefined) => (part ? part.split(':').map((g) => parseInt(g, 16)) : []);
  const left = parse(head);
  const right = parse(tail);
  const fill = tail === undefined ? [] : new Array(8 - left.length - right.length).fill(0);
  return [...left, ...fill, ...right];
}

function v6Reason(ip: string): string | null {
  const g = v6Groups(ip);
  if (g.every((x) => x === 0)) return 'an unspecified address';
  if (g.slice(0, 7).every((x) => x === 0) && g[7] === 1) return 'a loopback address';
  // IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible forms are judged as the IPv4 address they carry.
  if (g.slice(0, 5).every((x) => x === 0) && (g[5] === 0xffff || g[5] === 0)) {
    return v4Reason(`${g[6] >> 8}.${g[6] & 0xff}.${g[7] >> 8}.${g[7] & 0xff}`);
  }
  if (g[0] === 0x64 && g[1] === 0xff9b) return v4Reason(`${g[6] >> 8}.${g[6] & 0xff}.${g[7] >> 8}.${g[7] & 0xff}`);
  if ((g[0] & 0xfe00) === 0xfc00) return 'a unique-local address';
  if ((g[0] & 0xffc0) === 0xfe80) return 'a link-local address';
  if ((g[0] & 0xff00) === 0xff00) return 'a multicast address';
  return null;
}

/** Why an IP address may not be a webhook target, or null when it is public. */
export function blockedReason(ip: string): string | null {
  const family = net.isIP(ip);
  if (family === 4) return v4Reason(ip);
  if (family === 6) return v6Reason(ip);
  return 'not an IP address';
}

export class BlockedTargetError extends Error {
  readonly code = 'HOOKWARDEN_BLOCKED';
  constructor(ip: string, reason: string) {
    super(`blocked: ${ip} is ${reason}`);
  }
}

/** Throws BlockedTargetError for the first non-public address. */
export function assertPublic(addresses: readonly string[]): void {
  for (const ip of addresses) {
    const reason = blockedReason(ip);
    if (reason) throw new BlockedTargetError(ip, reason);
  }
}

type LookupAll = (hostname: string, callback: (error: Error | null, addresses: dns.LookupAddress[]) => void) => void;

const systemLookup: LookupAll = (hostname, callback) => dns.lookup(hostname, { all: true }, callback);

/**
 * A `lookup` for net.connect that resolves, refuses the connection if any address is not public,
 * and answers in whichever shape the caller asked for. `resolve` is swappable for tests.
 */
export function guardedLookup(resolve: LookupAll = systemLookup) {
  return (hostname: string, options: dns.LookupOptions, callback: (...args: unknown[]) => void) => {
    resolve(hostname, (error, addresses) => {
      if (error) return callback(error);
      try {
        assertPublic(addresses.map((a) => a.address));
      } catch (blocked) {
        return callback(blocked);
      }
      const wanted = options.family === 4 || options.family === 6 ? addresses.filter((a) => a.family === options.family) : addresses;
      if (wanted.length === 0) return callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }));
      if (options.all) return callback(null, wanted);
      return callback(null, wanted[0].address, wanted[0].family);
    });
  };
}
