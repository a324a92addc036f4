// together.ts: calls that pile up while runs are under way share the next run; each caller gets
// its own outcome. Plain functions stand in for the statements here: what is tested is the
// gathering, which no database is needed for.
import { describe, expect, it } from 'vitest';
import { together, type Outcome } from '../../src/db/together.ts';

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

describe('together', () => {
  it('sends the first two calls at once and the rest, arrived meanwhile, in one run; outcomes go to their callers', async () => {
    const runs: number[][] = [];
    const gates = [gate(), gate(), gate()];
    const call = together(async (inputs: number[]): Promise<Array<Outcome<number>>> => {
      const index = runs.push(inputs) - 1;
      await gates[index].opened;
      return inputs.map((n) => (n === 4 ? { ok: false, error: new Error('four') } : { ok: true, value: n * 10 }));
    });
    const results = Promise.allSettled([1, 2, 3, 4, 5].map(call));
    expect(runs).toEqual([[1], [2]]);
    gates[0].open();
    await new Promise((resolve) => setImmediate(resolve));
    expect(runs).toEqual([[1], [2], [3, 4, 5]]);
    gates[1].open();
    gates[2].open();
    expect((await results).map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual([10, 20, 30, 'four', 50]);
  });

  it('fails every call of a run that throws, and later calls run again', async () => {
    let fail = true;
    const call = together(async (inputs: string[]): Promise<Array<Outcome<string>>> => {
      if (fail) throw new Error('down');
      return inputs.map((value) => ({ ok: true, value }));
    });
    await expect(call('a')).rejects.toThrow('down');
    fail = false;
    await expect(call('b')).resolves.toBe('b');
  });
});
