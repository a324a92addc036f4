// Time-ordered ids: a millisecond timestamp, a per-process counter, then randomness, all in a
// fixed-width lowercase alphabet so that string order is creation order. Lists sort by id
// ("newest first" is id descending) and an id doubles as a pagination cursor.
import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';
let lastMs = 0;
let counter = 0;

function base36(value: number, width: number): string {
  let out = '';
  for (let i = 0; i < width; i += 1) {
    out = ALPHABET[value % 36] + out;
    value = Math.floor(value / 36);
  }
  return out;
}

// Random bytes are drawn in blocks: one call per id cost more than the rest of making it.
const POOL_SIZE = 4096;
let pool = randomBytes(POOL_SIZE);
let used = 0;

function random(width: number): string {
  if (used + width > POOL_SIZE) {
    pool = randomBytes(POOL_SIZE);
    used = 0;
  }
  let out = '';
  for (let i = used; i < used + width; i += 1) out += ALPHABET[pool[i] % 36];
  used += width;
  return out;
}

export type IdPrefix = 'org' | 'team' | 'usr' | 'tok' | 'whk' | 'etp' | 'evt' | 'dlv' | 'att' | 'iss' | 'his' | 'cmt' | 'aud';

/** A new id and the instant it stands for (use it as the row's createdAt). */
export function newIdAt(prefix: IdPrefix, now = Date.now()): { id: string; at: Date } {
  if (now > lastMs) {
    lastMs = now;
    counter = 0;
  } else {
    counter += 1;
  }
  return { id: `${prefix}_${base36(lastMs, 9)}${base36(counter, 4)}${random(8)}`, at: new Date(now) };
}

export function newId(prefix: IdPrefix): string {
  return newIdAt(prefix).id;
}
