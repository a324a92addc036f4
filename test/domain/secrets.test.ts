import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createCipher, hashToken, loadKey, maskValue, newApiToken, newWebhookSecret, parseKey, secretProblem } from '../../src/domain/secrets.ts';
import { tempDir } from '../support/service.ts';

const dirs: string[] = [];
function freshDir(): string {
  const dir = tempDir('hookwarden-secrets-');
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

describe('cipher', () => {
  const key = randomBytes(32);
  const cipher = createCipher(key);

  it.each([
    ['a webhook secret', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
    ['an empty string', ''],
    ['unicode', 'Grüße, 世界 🎉'],
    ['a long header value', 'Splunk ' + 'x'.repeat(4096)],
    ['JSON', JSON.stringify([{ name: 'authorization', value: 'Bearer abc' }])],
  ])('round-trips %s', (_label, plaintext) => {
    expect(cipher.decrypt(cipher.encrypt(plaintext))).toBe(plaintext);
  });

  it('ciphertext differs every time and never contains the plaintext', () => {
    const plaintext = 'Splunk super-secret-token-1234';
    const sealed = Array.from({ length: 50 }, () => cipher.encrypt(plaintext));
    expect(new Set(sealed).size).toBe(sealed.length);
    for (const text of sealed) {
      expect(text.startsWith('v1:')).toBe(true);
      expect(text).not.toContain(plaintext);
      expect(text).not.toContain('super-secret');
      expect(text).not.toContain(Buffer.from(plaintext).toString('base64').slice(0, 12));
      expect(Buffer.from(text.slice(3), 'base64').toString('latin1')).not.toContain('super-secret');
    }
  });

  // Tampering any part of the sealed bytes (IV 0..11, tag 12..27, ciphertext 28..) must be detected.
  it.each([
    ['the IV', 0],
    ['the auth tag', 15],
    ['the ciphertext', 30],
    ['the last byte', -1],
  ])('tampering with %s fails to decrypt', (_label, index) => {
    const stored = cipher.encrypt('a secret that must stay intact');
    const raw = Buffer.from(stored.slice(3), 'base64');
    const at = index < 0 ? raw.length + index : index;
    raw[at] ^= 0x01;
    const tampered = `v1:${raw.toString('base64')}`;
    expect(tampered).not.toBe(stored);
    expect(() => cipher.decrypt(tampered)).toThrow();
  });

  it('a truncated ciphertext fails to decrypt', () => {
    const stored = cipher.encrypt('a secret that must stay intact');
    const raw = Buffer.from(stored.slice(3), 'base64');
    expect(() => cipher.decrypt(`v1:${raw.subarray(0, raw.length - 4).toString('base64')}`)).toThrow();
  });

  it.each([['v2:abcd'], ['abcd'], ['v1:'], ['']])('an unknown format %j fails to decrypt', (stored) => {
    expect(() => cipher.decrypt(stored)).toThrow();
  });

  it('the wrong key fails to decrypt', () => {
    const stored = cipher.encrypt('only for the right key');
    const other = createCipher(randomBytes(32));
    expect(() => other.decrypt(stored)).toThrow();
  });

  it.each([16, 31, 33, 0])('a %d-byte key is refused', (length) => {
    expect(() => createCipher(randomBytes(length))).toThrow(/32 bytes/);
  });
});

describe('parseKey', () => {
  const key = randomBytes(32);
  it.each([
    ['hex lower case', key.toString('hex')],
    ['hex upper case', key.toString('hex').toUpperCase()],
    ['base64', key.toString('base64')],
    ['base64 with surrounding whitespace and newline', `  ${key.toString('base64')}\n`],
    ['hex with a trailing newline', `${key.toString('hex')}\n`],
  ])('accepts %s', (_label, text) => {
    expect(parseKey(text).equals(key)).toBe(true);
  });

  it.each([
    ['hex of 31 bytes', randomBytes(31).toString('hex')],
    ['hex of 33 bytes', randomBytes(33).toString('hex')],
    ['base64 of 16 bytes', randomBytes(16).toString('base64')],
    ['base64 of 48 bytes', randomBytes(48).toString('base64')],
    ['empty', ''],
    ['a passphrase', 'correct horse battery staple'],
  ])('refuses %s', (_label, text) => {
    expect(() => parseKey(text)).toThrow(/32 bytes/);
  });
});

describe('loadKey', () => {
  it('creates the key file with mode 0600 on first use, then reuses it', () => {
    const dir = freshDir();
    const keyFile = path.join(dir, 'nested', 'encryption.key');
    const first = loadKey(undefined, keyFile);
    expect(first.source).toBe('generated');
    expect(first.key.length).toBe(32);
    expect(fs.existsSync(keyFile)).toBe(true);
    expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(parseKey(fs.readFileSync(keyFile, 'utf8')).equals(first.key)).toBe(true);

    const contentBefore = fs.readFileSync(keyFile, 'utf8');
    const second = loadKey(undefined, keyFile);
    expect(second.source).toBe('file');
    expect(second.key.equals(first.key)).toBe(true);
    expect(fs.readFileSync(keyFile, 'utf8')).toBe(contentBefore);
    expect(fs.readdirSync(path.dirname(keyFile))).toEqual(['encryption.key']);
  });

  it('a ciphertext made with the generated key decrypts after reloading the file', () => {
    const keyFile = path.join(freshDir(), 'encryption.key');
    const sealed = createCipher(loadKey(undefined, keyFile).key).encrypt('survives a restart');
    expect(createCipher(loadKey(undefined, keyFile).key).decrypt(sealed)).toBe('survives a restart');
  });

  it('the environment key wins over an existing key file', () => {
    const keyFile = path.join(freshDir(), 'encryption.key');
    const fileKey = loadKey(undefined, keyFile).key;
    const envKey = randomBytes(32);
    const loaded = loadKey(envKey.toString('hex'), keyFile);
    expect(loaded.source).toBe('environment');
    expect(loaded.key.equals(envKey)).toBe(true);
    expect(loaded.key.equals(fileKey)).toBe(false);
  });

  it('with an environment key no key file is created', () => {
    const keyFile = path.join(freshDir(), 'encryption.key');
    const envKey = randomBytes(32);
    const loaded = loadKey(envKey.toString('base64'), keyFile);
    expect(loaded).toEqual({ key: envKey, source: 'environment' });
    expect(fs.existsSync(keyFile)).toBe(false);
  });

  it('a malformed environment key is an error, not a silent fallback to the file', () => {
    const keyFile = path.join(freshDir(), 'encryption.key');
    loadKey(undefined, keyFile);
    expect(() => loadKey('too-short', keyFile)).toThrow(/32 bytes/);
  });
});

describe('secretProblem', () => {
  const b64 = (bytes: number) => randomBytes(bytes).toString('base64');
  it.each<[string, string, RegExp | null]>([
    ['a generated secret', newWebhookSecret(), null],
    ['32 bytes', `whsec_${b64(32)}`, null],
    ['24 bytes (the minimum)', `whsec_${b64(24)}`, null],
    ['64 bytes (the maximum)', `whsec_${b64(64)}`, null],
    ['25 bytes, padded', `whsec_${b64(25)}`, null],
    ['no prefix', b64(32), /must start with "whsec_"/],
    ['wrong prefix', `whsek_${b64(32)}`, /must start with "whsec_"/],
    ['prefix only', 'whsec_', /base64/],
    ['not base64', 'whsec_this is not base64 at all!!', /base64/],
    ['base64url characters', `whsec_${randomBytes(33).toString('base64url').replace(/^./, '-')}`, /base64/],
    ['missing padding', `whsec_${b64(25).replace(/=+$/, '')}`, /base64/],
    ['23 bytes (too short)', `whsec_${b64(23)}`, /24 to 64 bytes, not 23/],
    ['16 bytes', `whsec_${b64(16)}`, /24 to 64 bytes, not 16/],
    ['65 bytes (too long)', `whsec_${b64(65)}`, /24 to 64 bytes, not 65/],
  ])('%s', (_label, secret, problem) => {
    const result = secretProblem(secret);
    if (problem === null) expect(result).toBeNull();
    else expect(result).toMatch(problem);
  });

  it('every generated secret is acceptable', () => {
    for (let i = 0; i < 200; i += 1) expect(secretProblem(newWebhookSecret())).toBeNull();
  });
});

describe('hashToken', () => {
  it('is the stable SHA-256 hex of the token', () => {
    expect(hashToken('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    const token = newApiToken();
    expect(hashToken(token)).toBe(hashToken(token));
    expect(hashToken(token)).toBe(createHash('sha256').update(token).digest('hex'));
    expect(hashToken(token)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('differs for different tokens and never contains the token', () => {
    const a = newApiToken();
    const b = newApiToken();
    expect(hashToken(a)).not.toBe(hashToken(b));
    expect(hashToken(a)).not.toContain(a.slice(3, 13));
  });
});

describe('maskValue', () => {
  const revealed = (masked: string) => masked.replaceAll('…', '').length;
  const values = [
    '',
    'a',
    'secret',
    '12345678',
    '123456789',
    'Splunk abcdef-token',
    'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.signature',
    'x'.repeat(4096),
    ...Array.from({ length: 40 }, (_, n) => 'abcdefghijklmnopqrstuvwxyz0123456789ABCD'.slice(0, n)),
  ];
  it.each(values.map((value) => [value.length, value]))('a %d-character value reveals at most 6 characters', (_length, value) => {
    const masked = maskValue(value as string);
    expect(revealed(masked)).toBeLessThanOrEqual(6);
    expect(masked).toContain('…');
    if ((value as string).length > 0) expect(masked).not.toBe(value);
  });

  it.each([
    ['Splunk abcdef-token', 'Spl…ken'],
    ['12345678', '…'],
    ['123456789', '123…789'],
  ])('%s → %s', (value, masked) => {
    expect(maskValue(value)).toBe(masked);
  });
});

describe('newApiToken', () => {
  it('makes 1,000 distinct hw_ tokens of 256 bits', () => {
    const tokens = Array.from({ length: 1000 }, () => newApiToken());
    expect(new Set(tokens).size).toBe(tokens.length);
    for (const token of tokens) {
      expect(token).toMatch(/^hw_[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(token.slice(3), 'base64url').length).toBe(32);
    }
  });
});
