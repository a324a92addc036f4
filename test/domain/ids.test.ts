import { describe, expect, it } from 'vitest';
import { newId, newIdAt, type IdPrefix } from '../../src/domain/ids.ts';

const PREFIXES: IdPrefix[] = ['org', 'team', 'usr', 'tok', 'whk', 'etp', 'evt', 'dlv', 'att', 'iss', 'his', 'cmt'];

describe('ids', () => {
  it.each(PREFIXES)('%s ids carry their prefix and a fixed-width lower-case body', (prefix) => {
    const id = newId(prefix);
    expect(id).toMatch(new RegExp(`^${prefix}_[0-9a-z]{21}$`));
  });

  it('10,000 ids made in a tight loop (many per millisecond) sort in creation order and are unique', () => {
    const ids: string[] = [];
    const started = Date.now();
    for (let i = 0; i < 10_000; i += 1) ids.push(newId('evt'));
    // The loop must really have produced several ids within one millisecond (same time part), or the test proves little.
    const timePart = (id: string) => id.slice(4, 13);
    const sameMs = ids.filter((id, i) => i > 0 && timePart(id) === timePart(ids[i - 1])).length;
    expect(sameMs).toBeGreaterThan(1000);
    expect(Number.parseInt(timePart(ids[0]), 36)).toBeGreaterThanOrEqual(started);
    expect(new Set(ids).size).toBe(ids.length);
    const sorted = [...ids].sort();
    expect(sorted).toEqual(ids);
  });

  it('ids made for the same instant sort in creation order', () => {
    const now = Date.now() + 60_000; // ahead of every id made so far
    const ids = Array.from({ length: 1000 }, () => newIdAt('dlv', now).id);
    expect(new Set(ids).size).toBe(1000);
    expect([...ids].sort()).toEqual(ids);
    // ... and after the clock moves on, later ids still sort after them.
    const later = newIdAt('dlv', now + 1).id;
    expect(later > ids[ids.length - 1]).toBe(true);
  });

  it('newIdAt returns the instant it stands for', () => {
    const now = Date.now() + 120_000;
    const { at } = newIdAt('iss', now);
    expect(at.getTime()).toBe(now);
  });

  it('ids of different prefixes made together are all distinct', () => {
    const ids = PREFIXES.flatMap((prefix) => Array.from({ length: 200 }, () => newId(prefix)));
    expect(new Set(ids).size).toBe(ids.length);
  });
});
