// The benchmark still runs: a quick pass of the baseline and the sustained dispatch on SQLite
// (npm run bench measures for real; timings are never asserted in tests).
import { expect, it } from 'vitest';
import { main } from '../bench/run.ts';

it('npm run bench --quick measures the baseline and a dispatch run end to end', async () => {
  const results = await main(['--quick', '--database', 'sqlite', '--only', 'dispatch', '--no-write'], { log: () => {} });
  expect(results.baselinePerSecond).toBeGreaterThan(0);
  const dispatch = results.databases.sqlite?.phases?.dispatch as { deliveries: number; succeeded: number } | undefined;
  expect(results.databases.sqlite?.error).toBeUndefined();
  expect(results.databases.sqlite?.phaseErrors).toBeUndefined();
  expect(dispatch?.deliveries).toBe(1000);
  expect(dispatch?.succeeded).toBe(1000);
}, 120_000);
