// Webhook secrets and custom header values are stored encrypted (AES-256-GCM); API tokens are
// stored as SHA-256 hashes (they are 256-bit random, so a slow hash would add nothing).
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const VERSION = 'v1';

export interface Cipher {
  encrypt(plaintext: string): string;
  decrypt(stored: string): string;
}

export function createCipher(key: Buffer): Cipher {
  if (key.length !== 32) throw new Error('the encryption key must be 32 bytes');
  return {
    encrypt(plaintext) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const sealed = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return `${VERSION}:${Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64')}`;
    },
    decrypt(stored) {
      const [version, payload] = stored.split(':');
      if (version !== VERSION || !payload) throw new Error('unknown ciphertext format');
      const raw = Buffer.from(payload, 'base64');
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
      decipher.setAuthTag(raw.subarray(12, 28));
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
    },
  };
}

/** Parses HOOKWARDEN_ENCRYPTION_KEY: 32 bytes as base64 or hex. */
export function parseKey(text: string): Buffer {
  const trimmed = text.trim();
  const key = /^[0-9a-f]{64}$/i.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
  if (key.length !== 32) throw new Error('HOOKWARDEN_ENCRYPTION_KEY must be 32 bytes, as 64 hex digits or base64');
  return key;
}

/**
 * The key from the environment, or else the development key file (created on first use).
 * `generated` tells the caller to warn that production needs a real key.
 */
export function loadKey(envKey: string | undefined, keyFile: string): { key: Buffer; source: 'environment' | 'file' | 'generated' } {
  if (envKey) return { key: parseKey(envKey), source: 'environment' };
  if (fs.existsSync(keyFile)) return { key: parseKey(fs.readFileSync(keyFile, 'utf8')), source: 'file' };
  fs.mkdirSync(path.dirname(keyFile), { recursive: true });
  const key = randomBytes(32);
  try {
    fs.writeFileSync(keyFile, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    // Another process (the CLI, a second instance) created it first: use theirs.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return { key: parseKey(fs.readFileSync(keyFile, 'utf8')), source: 'file' };
    throw error;
  }
  return { key, source: 'generated' };
}

export const SECRET_PREFIX = 'whsec_';

/** A new Standard Webhooks secret: "whsec_" + base64 of 32 random bytes. */
export function newWebhookSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64');
}

/** Why a caller-chosen secret is unusable, or null when it is fine. */
export function secretProblem(secret: string): string | null {
  if (!secret.startsWith(SECRET_PREFIX)) return 'must start with "whsec_"';
  const encoded = secret.slice(SECRET_PREFIX.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || encoded.length % 4 !== 0) return 'must be "whsec_" followed by base64';
  const bytes = Buffer.from(encoded, 'base64').length;
  if (bytes < 24 || bytes > 64) return `must encode 24 to 64 bytes, not ${bytes}`;
  return null;
}

export function newApiToken(): string {
  return `hw_${randomBytes(32).toString('base64url')}`;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** "Splunk abcdef-token" → "Spl…ken": enough to recognise a value, never enough to use it. */
export function maskValue(value: string): string {
  if (value.length <= 8) return '…';
  return `${value.slice(0, 3)}…${value.slice(-3)}`;
}
