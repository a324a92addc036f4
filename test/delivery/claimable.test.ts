// The per-webhook cap of a SQLite claim, applied between reading the candidates and leasing them.
import { describe, expect, it } from 'vitest';
import { claimable } from '../../src/db/queue.ts';

const rows = (...pairs: Array<[string, string]>) => pairs.map(([id, webhookId]) => ({ id, webhookId }));

describe('claimable', () => {
  it('keeps the oldest first, at most perWebhook of each webhook', () => {
    const candidates = rows(['d1', 'a'], ['d2', 'a'], ['d3', 'b'], ['d4', 'a'], ['d5', 'b'], ['d6', 'c']);
    expect(claimable(candidates, 2, 10)).toEqual(['d1', 'd2', 'd3', 'd5', 'd6']);
    expect(claimable(candidates, 1, 10)).toEqual(['d1', 'd3', 'd6']);
  });

  it('stops at the limit, skipping a capped webhook rather than stopping at it', () => {
    const candidates = rows(['d1', 'a'], ['d2', 'a'], ['d3', 'a'], ['d4', 'b'], ['d5', 'c']);
    expect(claimable(candidates, 1, 2)).toEqual(['d1', 'd4']);
    expect(claimable(candidates, 5, 2)).toEqual(['d1', 'd2']);
  });

  it('claims nothing from nothing', () => {
    expect(claimable([], 4, 64)).toEqual([]);
  });
});
