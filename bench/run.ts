// `npm run bench`: Hookwarden's throughput, latency, fan-out, backlog memory and API rate against
// baselines taken in the same run (issue 8; targets in ../shared/targets.md). Prints a table and
// writes bench/results/<ISO date>.json.
//
//   npx tsx bench/run.ts [--quick] [--only baseline,api,dispatch,latency,backlog,fanout]
//                        [--database sqlite|postgres|both] [--cpu-prof] [--wait-quiet <s>] [--out <dir>] [--no-write] [--keep]
//
// Programmatic: `import { main } from './bench/run.ts'; const results = await main(['--quick'])`.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { bootstrapToken } from '../test/support/processes.ts';
import { cpuSecondsOf, killAll, machineBusySeconds, memoryOf, REPO, startHelper, startService, type Helper, type LogSummary, type ServiceChild } from './children.ts';
import { createPostgresDatabase, dropPostgresDatabase, flushWrites, postgresProbe, postgresFacts, sqliteProbe, type DbProbe } from './db.ts';
import type { LoopResult } from './load.ts';
import {
  createBacklog,
  deleteWebhooks,
  drainBacklog,
  FULL,
  QUICK,
  runApi,
  runBaseline,
  runDispatch,
  runFanout,
  runLatency,
  runYogaBare,
  serviceApi,
  type Api,
  type BacklogCreation,
  type BacklogDrain,
  type BaselineResult,
  type DispatchResult,
  type FanoutResult,
  type LatencyResult,
  type PhaseCost,
  type Say,
  type Sizes,
} from './phases.ts';
import { fmtInt, fmtNum, renderTable, round } from './stats.ts';
import { mainProfileIn, renderSummary, summarizeProfile, type ProfileSummary } from './profile-summary.ts';

/** Clean-ups of runs in progress (PostgreSQL databases to drop), for an interrupted command line. */
const pendingCleanups = new Set<() => Promise<void>>();

export const PHASES = ['baseline', 'api', 'dispatch', 'latency', 'backlog', 'fanout'] as const;
export type Phase = (typeof PHASES)[number];
export type DatabaseKind = 'sqlite' | 'postgres';

export interface BenchOptions {
  quick: boolean;
  phases: Phase[];
  databases: DatabaseKind[];
  cpuProf: boolean;
  /** Where results/, logs/ and profiles/ go; null with --no-write (logs and profiles then go to a temp folder). */
  out: string | null;
  keep: boolean;
  /** Before each block of measurements, wait up to this many seconds for other work on the machine to stop. */
  waitQuietSeconds: number;
}

export function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      database: { type: 'string', default: 'both' },
      'cpu-prof': { type: 'boolean', default: false },
      out: { type: 'string' },
      'no-write': { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      'wait-quiet': { type: 'string', default: '0' },
    },
    strict: true,
  });
  const only = values.only ? values.only.split(',').map((s) => s.trim()).filter(Boolean) : [...PHASES];
  for (const phase of only) if (!PHASES.includes(phase as Phase)) throw new Error(`unknown phase "${phase}" (phases: ${PHASES.join(', ')})`);
  const phases = new Set(only as Phase[]);
  // Ratios need the raw loop of the same run.
  if (phases.has('dispatch') || phases.has('backlog')) phases.add('baseline');
  const database = values.database!;
  if (!['sqlite', 'postgres', 'both'].includes(database)) throw new Error(`--database must be sqlite, postgres or both, not "${database}"`);
  return {
    quick: values.quick!,
    phases: PHASES.filter((p) => phases.has(p)),
    databases: database === 'both' ? ['sqlite', 'postgres'] : [database as DatabaseKind],
    cpuProf: values['cpu-prof']!,
    out: values['no-write'] ? null : path.resolve(values.out ?? path.join(REPO, 'bench', 'results')),
    keep: values.keep!,
    waitQuietSeconds: Number(values['wait-quiet']) || 0,
  };
}

export interface ServiceRecord {
  label: string;
  startMs: number;
  stop?: { code: number | null; signal: string | null; hwmMB: number | null; stopMs: number; killed: boolean };
  /** It exited before the bench stopped it: how. */
  diedOnItsOwn?: { code: number | null; signal: string | null };
  logs?: LogSummary;
}

export interface DatabaseResults {
  url: string;
  phases: {
    api?: LoopResult & { cost: PhaseCost; yoga: LoopResult & { cpuSeconds: number }; ratio: number | null };
    dispatch?: DispatchResult & { ratio: number | null };
    latency?: LatencyResult;
    fanout?: FanoutResult;
    backlog?: { runs: Array<{ creation: BacklogCreation; drain: BacklogDrain; drainRatio: number | null }> };
  };
  services: Record<string, ServiceRecord>;
  /** Service label → the main thread's .cpuprofile (relative to the repository). */
  profiles?: Record<string, string>;
  /** Phase → what was written out before it (flushWrites): how long it took, and the kernel's dirty pages then. */
  flushes?: Record<string, { ms: number; dirtyKB: number | null }>;
  /** A phase that failed (the others still ran). */
  phaseErrors?: Record<string, string>;
  /** The run of this database stopped (start-up, bootstrap). */
  error?: string;
}

export interface BenchResults {
  runId: string;
  date: string;
  argv: string[];
  options: BenchOptions;
  sizes: Sizes;
  machine: Record<string, unknown>;
  baseline: BaselineResult | null;
  baselineEnd: BaselineResult | null;
  /** The denominator of every ratio: the better of the two raw runs. */
  baselinePerSecond: number | null;
  databases: Partial<Record<DatabaseKind, DatabaseResults>>;
  table: string[][];
  profileSummaries?: Record<string, ProfileSummary>;
  /** Phases during which other work on the machine took more than 0.25 core. */
  disturbed: string[];
  quietWaits: Array<{ before: string; waitedSeconds: number; otherCores: number }>;
  file: string | null;
  elapsedSeconds: number;
  /** False in the file written after each database while the run goes on. */
  complete?: boolean;
}

function machineFacts(): Record<string, unknown> {
  const git = (...args: string[]) => {
    try {
      return execFileSync('git', args, { cwd: REPO, encoding: 'utf8' }).trim();
    } catch {
      return null;
    }
  };
  return {
    cores: os.cpus().length,
    availableParallelism: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? null,
    node: process.version,
    v8: process.versions.v8,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    totalMemMB: Math.round(os.totalmem() / 2 ** 20),
    hostname: os.hostname(),
    loadAverageAtStart: os.loadavg().map((v) => round(v, 2)),
    gitCommit: git('rev-parse', 'HEAD'),
    gitChangedFiles: git('status', '--porcelain')?.split('\n').filter(Boolean).length ?? null,
  };
}

const ratio = (value: number | null | undefined, base: number | null | undefined) =>
  value && base ? round(value / base, 3) : null;

export async function main(argv: string[] = process.argv.slice(2), io: { log?: (line: string) => void } = {}): Promise<BenchResults> {
  const options = parseOptions(argv);
  const sizes = options.quick ? QUICK : FULL;
  const t0 = performance.now();
  const write = io.log ?? ((line: string) => console.log(line));
  const say: Say = (message) => write(`[${((performance.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${message}`);
  const date = new Date();
  const runId = date.toISOString().replace(/[:.]/g, '-');
  const outDir = options.out ?? fs.mkdtempSync(path.join(os.tmpdir(), 'hookwarden-bench-'));
  const workDir = path.join(outDir, 'tmp', runId);
  fs.mkdirSync(workDir, { recursive: true });
  const results: BenchResults = {
    runId,
    date: date.toISOString(),
    argv,
    options,
    sizes,
    machine: machineFacts(),
    baseline: null,
    baselineEnd: null,
    baselinePerSecond: null,
    databases: {},
    table: [],
    disturbed: [],
    quietWaits: [],
    file: null,
    elapsedSeconds: 0,
  };
  if (options.databases.includes('postgres')) results.machine.postgres = await postgresFacts();
  const want = (phase: Phase) => options.phases.includes(phase);
  const servicePhases = options.phases.filter((p) => p !== 'baseline');
  const cleanups: Array<() => Promise<void>> = [];
  let receiver: Helper | null = null;
  let yoga: Helper | null = null;
  // The temporary work folder (logs, profiles) goes at the end; with --cpu-prof only after the
  // profiles in it are summarized.
  const removeWork = () => {
    if (options.keep) return;
    fs.rmSync(options.out ? workDir : outDir, { recursive: true, force: true });
    try {
      fs.rmdirSync(path.dirname(workDir));
    } catch {
      // other runs' folders are there
    }
  };
  let measured = false;
  say(`Hookwarden bench ${runId}: phases ${options.phases.join(', ')}; databases ${options.databases.join(', ')}${options.quick ? '; quick' : ''}${options.cpuProf ? '; --cpu-prof' : ''}`);
  try {
    receiver = await startHelper('receiver-child.ts');
    say(`receiver (pid ${receiver.pid}) on 127.0.0.1:${receiver.port}`);
    if (want('baseline')) {
      await quiet('baseline');
      results.baseline = await runBaseline(receiver, sizes.baseline, say);
      say(`baseline: ${fmtInt(results.baseline.perSecond)} requests/s (${results.baseline.ok} ok, ${results.baseline.errors} errors)`);
    }
    if (want('api')) yoga = await startHelper('yoga-child.ts');
    for (const database of options.databases) {
      if (servicePhases.length === 0) break;
      await quiet(database);
      results.databases[database] = await runDatabase(database);
      save(false);
    }
    if (want('baseline') && !options.quick && servicePhases.length > 0) {
      await quiet('baseline (end)');
      results.baselineEnd = await runBaseline(receiver, sizes.baseline, say);
      say(`baseline again: ${fmtInt(results.baselineEnd.perSecond)} requests/s`);
    }
    measured = true;
  } finally {
    await yoga?.stop().catch(() => {});
    await receiver?.stop().catch(() => {});
    killAll();
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error) => say(`cleanup failed: ${error}`));
    if (!options.cpuProf || !measured) removeWork();
  }
  finalize(results);
  write('');
  write(renderTable(results.table));
  write('');
  write(renderTable(costTable(results)));
  write('');
  write(machineLine(results));
  if ((results.machine.postgres as Record<string, string> | undefined)?.autovacuum === 'off' && results.databases.postgres) {
    write('NOTE: autovacuum is off on this PostgreSQL server: dead row versions of Delivery pile up during a run (each delivery is updated once or twice), which slows the claims of long drains.');
  }
  if (results.disturbed.length) {
    write(`WARNING: other work on this machine took over 0.25 core during: ${results.disturbed.join(', ')}. Those figures understate Hookwarden; rerun on a quiet machine (--wait-quiet 600).`);
  }
  for (const [database, db] of Object.entries(results.databases)) {
    for (const [label, service] of Object.entries(db.services)) {
      const logs = service.logs;
      if (!logs) continue;
      const stop = service.stop;
      write(
        `${database}/${label}: started in ${service.startMs} ms; log ${logs.file}: ${logs.warnings} warnings, ${logs.errors} errors` +
          (stop ? `; stopped in ${stop.stopMs} ms (exit ${stop.code ?? stop.signal}${stop.killed ? ', KILLED after timeout' : ''})` : ''),
      );
      for (const m of logs.messages.slice(0, 5)) write(`    ${m.count}× ${m.level}: ${m.msg}${m.example ? ` — ${m.example}` : ''}`);
    }
    for (const [phase, error] of Object.entries(db.phaseErrors ?? {})) write(`${database} ${phase}: FAILED: ${error.split('\n')[0]}`);
    if (db.error) write(`${database}: FAILED: ${db.error}`);
  }
  if (options.cpuProf) {
    try {
      summarizeProfiles();
    } finally {
      removeWork();
    }
  }
  save(true);
  write(`\nresults: ${results.file ?? '(not written)'}`);
  return results;

  function summarizeProfiles(): void {
    results.profileSummaries = {};
    for (const [database, db] of Object.entries(results.databases)) {
      for (const [phase, value] of Object.entries(db.phases)) {
        const cost = (value as { cost?: PhaseCost }).cost;
        const profile = cost && db.profiles?.[cost.serviceLabel];
        if (!cost || !profile) continue;
        const summary = summarizeProfile(path.resolve(REPO, profile), { fromUs: cost.window.startUs, toUs: cost.window.endUs, top: 15 });
        results.profileSummaries[`${database}/${phase}`] = summary;
        write('');
        write(`== service CPU profile, ${database} / ${phase} (window of the phase only) ==`);
        write(renderSummary(summary));
      }
    }
  }

  /** Writes the JSON (also after each database, so that a run cut short keeps what it measured). */
  function save(complete: boolean): void {
    results.elapsedSeconds = round((performance.now() - t0) / 1000, 1)!;
    results.complete = complete;
    if (!complete) finalize(results);
    if (!options.out) return;
    fs.mkdirSync(outDir, { recursive: true });
    const file = path.join(outDir, `${runId}.json`);
    results.file = path.relative(REPO, file);
    fs.writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  }

  /** Waits (up to --wait-quiet seconds) until the rest of the machine uses under 0.25 core. */
  async function quiet(before: string): Promise<void> {
    if (options.waitQuietSeconds <= 0) return;
    const started = performance.now();
    let lastSaid = -Infinity;
    const ours = () => [receiver, yoga].reduce((n, h) => n + (h ? (cpuSecondsOf(h.pid) ?? 0) : 0), 0);
    for (;;) {
      const machine = machineBusySeconds();
      const mine = ours();
      const bench = process.cpuUsage();
      await sleep(2_000);
      const b = process.cpuUsage(bench);
      const others = (machineBusySeconds() - machine - (ours() - mine) - (b.user + b.system) / 1e6) / 2;
      const waited = (performance.now() - started) / 1000;
      if (others < 0.25 || waited >= options.waitQuietSeconds) {
        results.quietWaits.push({ before, waitedSeconds: round(waited, 0)!, otherCores: round(others, 2)! });
        if (others >= 0.25) say(`still busy after ${Math.round(waited)} s (others use ${others.toFixed(2)} cores): measuring ${before} anyway`);
        return;
      }
      if (waited - lastSaid >= 10) {
        lastSaid = waited;
        say(`waiting for a quiet machine before ${before}: others use ${others.toFixed(2)} cores (load ${os.loadavg()[0].toFixed(1)})`);
      }
    }
  }

  async function runDatabase(database: DatabaseKind): Promise<DatabaseResults> {
    const env: Record<string, string> = { HOOKWARDEN_ENCRYPTION_KEY: randomBytes(32).toString('hex') };
    let probe: DbProbe | null = null;
    let sqliteFile: string | null = null;
    if (database === 'sqlite') {
      sqliteFile = path.join(workDir, 'sqlite.db');
      env.DATABASE_URL = `file:${sqliteFile}`;
    } else {
      const name = `hwbench_${runId.replace(/[^0-9]/g, '').slice(0, 17)}_${process.pid}`;
      env.DATABASE_URL = await createPostgresDatabase(name);
      const drop = async () => {
        pendingCleanups.delete(drop);
        await dropPostgresDatabase(name);
        say(`dropped PostgreSQL database ${name}`);
      };
      cleanups.push(drop);
      pendingCleanups.add(drop);
      say(`created PostgreSQL database ${name}`);
    }
    const db: DatabaseResults = { url: env.DATABASE_URL, phases: {}, services: {}, profiles: options.cpuProf ? {} : undefined };
    let svc: ServiceChild | null = null;
    let api: Api | null = null;
    const start = async (label: string, extraEnv: Record<string, string> = {}) => {
      const profileDir = path.join(outDir, 'profiles', runId, `${database}-${label}`);
      const started = performance.now();
      const child = await startService({
        label,
        env: { ...env, ...extraEnv },
        logFile: path.join(outDir, 'logs', runId, `${database}-${label}.log`),
        cpuProfDir: options.cpuProf ? profileDir : undefined,
      });
      const record: ServiceRecord = { label, startMs: round(performance.now() - started, 0)! };
      db.services[label] = record;
      say(`${database}: service "${label}" (pid ${child.pid}) ready in ${record.startMs} ms`);
      return child;
    };
    const stop = async (child: ServiceChild, during?: () => Promise<void>) => {
      const record = db.services[child.label];
      if (record.stop) return;
      const before = child.exited();
      if (before) {
        record.diedOnItsOwn = before;
        say(`${database}: service "${child.label}" had exited on its own (code ${before.code}, signal ${before.signal})`);
      }
      const stopping = child.stop();
      await during?.();
      record.stop = await stopping;
      record.logs = child.logSummary();
      if (options.cpuProf) {
        const file = mainProfileIn(path.join(outDir, 'profiles', runId, `${database}-${child.label}`));
        if (file) db.profiles![child.label] = path.relative(REPO, file);
      }
    };
    let token = '';
    let restarts = 0;
    /** Runs one phase; a failure is recorded and the run goes on (with a new service if it died). */
    const phase = async (name: string, run: () => Promise<void>, onError?: () => Promise<void>) => {
      try {
        (db.flushes ??= {})[name] = await flushWrites(database === 'postgres');
        await run();
      } catch (error) {
        const message = (error as Error).message ?? String(error);
        (db.phaseErrors ??= {})[name] = String((error as Error).stack ?? error);
        say(`${database} ${name}: FAILED: ${message}`);
        await onError?.().catch((e) => say(`${database} ${name}: clean-up after the failure failed: ${e}`));
        if (svc?.exited()) {
          await stop(svc);
          await api?.close().catch(() => {});
          svc = await start(`main-${++restarts}`);
          api = serviceApi(svc, token);
        }
      }
    };
    try {
      say(`${database}: bootstrapping an organization with the CLI`);
      token = await bootstrapToken(env, 'Hookwarden Bench', 'bench@hookwarden.test');
      probe = sqliteFile ? sqliteProbe(sqliteFile) : await postgresProbe(env.DATABASE_URL);
      const db$ = probe;
      svc = await start('main');
      api = serviceApi(svc, token);
      if (want('api')) {
        await phase('api', async () => {
          const bare = await runYogaBare(yoga!, sizes.api, say);
          const own = await runApi(api!, svc!, receiver!, db$, sizes.api, say);
          db.phases.api = { ...own, yoga: bare, ratio: ratio(own.perSecond, bare.perSecond) };
          say(`${database} api: createIssue ${fmtInt(own.perSecond)}/s, bare yoga ${fmtInt(bare.perSecond)}/s, ratio ${fmtNum(db.phases.api.ratio, 2)}`);
        });
      }
      if (want('dispatch')) {
        await phase('dispatch', async () => {
          const result = await runDispatch(api!, svc!, receiver!, db$, sizes.dispatch, say, `${database} dispatch`);
          db.phases.dispatch = { ...result, ratio: null };
          say(`${database} dispatch: ${fmtInt(result.succeeded)} succeeded in ${fmtInt(result.elapsedMs)} ms = ${fmtInt(result.deliveriesPerSecond)}/s`);
        });
      }
      if (want('latency')) {
        await phase('latency', async () => {
          db.phases.latency = await runLatency(api!, svc!, receiver!, db$, sizes.latency, say, `${database} latency`);
          const l = db.phases.latency;
          say(`${database} latency: send→arrival p50 ${l.fromSend.p50} ms, p99 ${l.fromSend.p99} ms; response→arrival p50 ${l.fromResponse.p50} ms, p99 ${l.fromResponse.p99} ms`);
        });
      }
      if (want('backlog')) {
        const runs: Array<{ creation: BacklogCreation; drain: BacklogDrain; drainRatio: number | null }> = [];
        db.phases.backlog = { runs };
        let webhookIds: string[] | undefined;
        await phase(
          'backlog',
          async () => {
            for (const size of sizes.backlog.sizes) {
              const label = `${database} backlog ${size.toLocaleString('en-US')}`;
              say(`${label}: creating through the API while the receiver hangs`);
              const creation = await createBacklog(api!, svc!, receiver!, db$, size, sizes.backlog, say, label, webhookIds);
              webhookIds = creation.webhookIds;
              say(`${label}: created in ${fmtInt(creation.mutations.elapsedMs)} ms (${fmtInt(creation.mutations.perSecond)} createIssue/s); restarting the service`);
              await api!.close();
              // SIGTERM first (no more claims), then the receiver answers what the old service holds in flight.
              await stop(svc!, async () => {
                await sleep(300);
                await receiver!.call('release');
              });
              await receiver!.call('hold', { holdMs: 25_000 });
              const started = performance.now();
              svc = await start(`drain-${size}`);
              const startMs = performance.now() - started;
              api = serviceApi(svc, token);
              const current = svc;
              const drain = await drainBacklog(svc, receiver!, db$, webhookIds, sizes.backlog, say, label, startMs, () => memoryOf(current.pid)?.hwmMB ?? null);
              runs.push({ creation, drain, drainRatio: null });
              say(`${label}: ${fmtInt(drain.pending)} drained in ${fmtInt(drain.elapsedMs)} ms = ${fmtInt(drain.deliveriesPerSecond)}/s; peak RSS ${fmtNum(drain.peakRssMB)} MB (VmHWM ${fmtNum(drain.hwmMB)} MB)`);
            }
          },
          // What is left of the backlog must not reach the next phase: deleting its webhooks cancels it.
          async () => {
            await receiver!.call('release');
            if (svc?.exited()) {
              await stop(svc);
              svc = await start(`main-${++restarts}`);
              await api?.close().catch(() => {});
              api = serviceApi(svc, token);
            }
            if (webhookIds) await deleteWebhooks(api!, webhookIds);
            webhookIds = undefined;
          },
        );
        if (webhookIds) await deleteWebhooks(api, webhookIds);
      }
      if (want('fanout')) {
        await phase('fanout', async () => {
          db.phases.fanout = await runFanout(api!, svc!, receiver!, db$, sizes.fanout, say, `${database} fan-out`);
        });
      }
    } catch (error) {
      db.error = String((error as Error).stack ?? error);
      say(`${database}: FAILED: ${(error as Error).message}`);
    } finally {
      await api?.close().catch(() => {});
      if (svc) await stop(svc).catch((error) => say(`stopping the service failed: ${error}`));
      await probe?.close().catch(() => {});
    }
    return db;
  }
}

/** Ratios to the baseline, the phases other work disturbed, the table. */
function finalize(results: BenchResults): void {
  results.baselinePerSecond = round(Math.max(results.baseline?.perSecond ?? 0, results.baselineEnd?.perSecond ?? 0), 0) || null;
  for (const db of Object.values(results.databases)) {
    if (db.phases.dispatch) db.phases.dispatch.ratio = ratio(db.phases.dispatch.deliveriesPerSecond, results.baselinePerSecond);
    for (const run of db.phases.backlog?.runs ?? []) run.drainRatio = ratio(run.drain.deliveriesPerSecond, results.baselinePerSecond);
  }
  results.machine.loadAverageAtEnd = os.loadavg().map((v) => round(v, 2));
  const DISTURBED = 0.25;
  results.disturbed = [];
  if ((results.baseline?.otherCores ?? 0) > DISTURBED) results.disturbed.push(`baseline (${results.baseline!.otherCores} cores)`);
  if ((results.baselineEnd?.otherCores ?? 0) > DISTURBED) results.disturbed.push(`baseline end (${results.baselineEnd!.otherCores} cores)`);
  for (const [database, db] of Object.entries(results.databases)) {
    for (const [phase, cost] of phaseCosts(db)) if (cost.otherCores > DISTURBED) results.disturbed.push(`${database} ${phase} (${cost.otherCores} cores)`);
  }
  results.table = buildTable(results);
}

// ---- the table ----------------------------------------------------------------------------------

const mark = (ok: boolean | null) => (ok === null ? '' : ok ? ' PASS' : ' MISS');

function buildTable(results: BenchResults): string[][] {
  const dbs = (['sqlite', 'postgres'] as const).filter((d) => results.databases[d]);
  const rows: string[][] = [['phase', 'measure', 'target', ...dbs.map((d) => (d === 'sqlite' ? 'SQLite' : 'PostgreSQL'))]];
  const row = (phase: string, measure: string, target: string, cell: (db: DatabaseResults) => string) =>
    rows.push([phase, measure, target, ...dbs.map((d) => cell(results.databases[d]!))]);
  if (results.baseline) {
    const b = results.baseline;
    const end = results.baselineEnd ? ` (end: ${fmtInt(results.baselineEnd.perSecond)})` : '';
    rows.push(['1 baseline', `raw undici POST/s, c=${b.concurrency}, ${b.bodyBytes} B`, 'physical limit', ...(dbs.length ? dbs.map(() => `${fmtInt(b.perSecond)}${end}`) : [`${fmtInt(b.perSecond)}${end}`])]);
  }
  const any = (pick: (db: DatabaseResults) => unknown) => dbs.some((d) => pick(results.databases[d]!) !== undefined);
  if (any((db) => db.phases.dispatch)) {
    row('2 dispatch', 'deliveries/s, first mutation → all SUCCEEDED', '', (db) => {
      const d = db.phases.dispatch;
      if (!d) return '—';
      return `${fmtInt(d.deliveriesPerSecond)} (${fmtInt(d.succeeded)}/${fmtInt(d.deliveries)} in ${fmtNum((d.elapsedMs ?? 0) / 1000, 1)} s${d.timedOut ? ', TIMED OUT' : ''})`;
    });
    row('2 dispatch', 'ratio to baseline', '≥ 0.50', (db) => (db.phases.dispatch ? `${fmtNum(db.phases.dispatch.ratio, 3)}${mark(db.phases.dispatch.ratio === null ? false : db.phases.dispatch.ratio >= 0.5)}` : '—'));
    row('2 dispatch', 'attempts recorded / receiver arrivals', 'every attempt', (db) => (db.phases.dispatch ? `${fmtInt(db.phases.dispatch.attempts)} / ${fmtInt(db.phases.dispatch.receiverArrivals)}` : '—'));
    row('2 dispatch', 'createIssue/s meanwhile (10 deliveries each)', '', (db) => (db.phases.dispatch ? fmtInt(db.phases.dispatch.mutations.perSecond) : '—'));
  }
  if (any((db) => db.phases.latency)) {
    const lat = (db: DatabaseResults, which: 'fromSend' | 'fromResponse') => {
      const l = db.phases.latency;
      if (!l) return '—';
      const d = l[which];
      return `${fmtNum(d.p50, 1)} / ${fmtNum(d.p99, 1)} / ${fmtNum(d.max, 1)}${mark(d.p50 !== null && d.p99 !== null && d.p50 <= 2 && d.p99 <= 10 && l.missing === 0)}`;
    };
    const rate = dbs.map((d) => results.databases[d]!.phases.latency?.rate).find(Boolean) ?? 200;
    row('3 latency', `createIssue sent → arrival, p50/p99/max ms (${rate}/s)`, 'p50 ≤ 2, p99 ≤ 10', (db) => lat(db, 'fromSend'));
    row('3 latency', 'response read → arrival, p50/p99/max ms', '(issue 8 wording)', (db) => lat(db, 'fromResponse'));
    row('3 latency', 'createIssue round trip p50/p99 ms; missing', '', (db) => {
      const l = db.phases.latency;
      if (!l) return '—';
      const overloaded = l.skipped > 0 || l.achievedPerSecond < l.rate * 0.95 ? ` — OVERLOADED: ${fmtInt(l.achievedPerSecond)}/s answered, ${fmtInt(l.skipped)} not sent` : '';
      return `${fmtNum(l.mutation.p50, 1)} / ${fmtNum(l.mutation.p99, 1)}; ${l.missing} missing, ${l.mutationErrors} errors${overloaded}`;
    });
  }
  if (any((db) => db.phases.fanout)) {
    const n = dbs.map((d) => results.databases[d]!.phases.fanout?.webhooks).find(Boolean) ?? 1000;
    row('4 fan-out', `1 event → last of ${fmtInt(n)} arrived, ms from send: cold / warm`, '≤ 200', (db) => {
      const f = db.phases.fanout;
      if (!f) return '—';
      const worst = Math.max(f.cold?.lastFromSend ?? Infinity, f.warmLastFromSend ?? Infinity);
      return `${fmtNum(f.cold?.lastFromSend, 0)} / ${fmtNum(f.warmLastFromSend, 0)}${mark(worst <= 200)}`;
    });
    row('4 fan-out', 'same, from the response: cold / warm', '', (db) => {
      const f = db.phases.fanout;
      return f ? `${fmtNum(f.cold?.lastFromResponse, 0)} / ${fmtNum(f.warmLastFromResponse, 0)} (mutation ${fmtNum(f.cold?.mutationMs, 0)} ms)` : '—';
    });
  }
  if (any((db) => db.phases.backlog)) {
    const runs = (db: DatabaseResults) => db.phases.backlog?.runs ?? [];
    const sizesLabel = dbs.map((d) => runs(results.databases[d]!).map((r) => `${r.creation.size / 1000}k`).join(' / ')).find(Boolean) ?? '';
    row('5 backlog', `drain deliveries/s (${sizesLabel})`, '', (db) => runs(db).map((r) => `${fmtInt(r.drain.deliveriesPerSecond)}${r.drain.timedOut ? ' TIMED OUT' : ''}`).join(' / ') || '—');
    row('5 backlog', 'drain ratio to baseline', '', (db) => runs(db).map((r) => fmtNum(r.drainRatio, 3)).join(' / ') || '—');
    row('5 backlog', `peak RSS MB while draining (${sizesLabel})`, '≤ 200, flat', (db) => {
      const r = runs(db);
      if (!r.length) return '—';
      const peaks = r.map((x) => Math.max(x.drain.peakRssMB, x.drain.hwmMB ?? 0));
      const flat = peaks.length < 2 || peaks.at(-1)! <= peaks[0] * 1.1 + 10;
      return `${peaks.map((p) => fmtNum(p, 0)).join(' / ')}${mark(peaks.every((p) => p <= 200) && flat)}${flat ? '' : ' (grows)'}`;
    });
    row('5 backlog', 'createIssue/s while the backlog grew', '', (db) => runs(db).map((r) => fmtInt(r.creation.mutations.perSecond)).join(' / ') || '—');
  }
  if (any((db) => db.phases.api)) {
    row('6 api', 'createIssue/s, c=32 (no webhooks)', '', (db) => (db.phases.api ? fmtInt(db.phases.api.perSecond) : '—'));
    row('6 api', 'bare graphql-yoga noop mutation/s, c=32', '', (db) => (db.phases.api ? fmtInt(db.phases.api.yoga.perSecond) : '—'));
    row('6 api', 'ratio', '≥ 0.50', (db) => (db.phases.api ? `${fmtNum(db.phases.api.ratio, 3)}${mark((db.phases.api.ratio ?? 0) >= 0.5)}` : '—'));
  }
  if (dbs.length) {
    row('service', 'log warnings / errors', '0 / 0', (db) => {
      const logs = Object.values(db.services).map((s) => s.logs);
      const w = logs.reduce((n, l) => n + (l?.warnings ?? 0), 0);
      const e = logs.reduce((n, l) => n + (l?.errors ?? 0), 0);
      const died = Object.values(db.services).filter((s) => s.diedOnItsOwn).length;
      const failed = Object.keys(db.phaseErrors ?? {});
      return `${w} / ${e}${died ? `; ${died} service process(es) DIED` : ''}${failed.length ? `; FAILED: ${failed.join(', ')}` : ''}${db.error ? ' (RUN FAILED)' : ''}`;
    });
  }
  return rows;
}

function phaseCosts(db: DatabaseResults): Array<[string, PhaseCost]> {
  const costs: Array<[string, PhaseCost | undefined]> = [
    ['api', db.phases.api?.cost],
    ['dispatch', db.phases.dispatch?.cost],
    ['latency', db.phases.latency?.cost],
  ];
  for (const run of db.phases.backlog?.runs ?? []) {
    costs.push([`backlog ${run.creation.size} create`, run.creation.cost]);
    costs.push([`backlog ${run.creation.size} drain`, run.drain.cost]);
  }
  costs.push(['fanout', db.phases.fanout?.cost]);
  return costs.filter((c): c is [string, PhaseCost] => c[1] !== undefined);
}

function costTable(results: BenchResults): string[][] {
  const rows: string[][] = [['database', 'phase', 'seconds', 'service', 'service cores', 'PG backends cores', 'other work cores', 'service peak RSS MB', 'receiver CPU s', 'bench CPU s']];
  for (const [label, b] of [['baseline', results.baseline], ['baseline end', results.baselineEnd]] as const) {
    if (b) rows.push(['—', label, fmtNum(b.elapsedMs / 1000, 1), '—', '—', '—', fmtNum(b.otherCores, 2), '—', fmtNum(b.receiverCpuSeconds, 2), fmtNum(b.benchCpuSeconds, 2)]);
  }
  for (const [database, db] of Object.entries(results.databases)) {
    for (const [phase, cost] of phaseCosts(db)) {
      rows.push([
        database,
        phase,
        fmtNum(cost.seconds, 1),
        cost.serviceLabel,
        fmtNum(cost.serviceCores, 2),
        database === 'postgres' ? fmtNum(cost.databaseCores, 2) : '—',
        fmtNum(cost.otherCores, 2),
        fmtNum(cost.servicePeakRssMB, 0),
        fmtNum(cost.receiverCpuSeconds, 2),
        fmtNum(cost.benchCpuSeconds, 2),
      ]);
    }
  }
  return rows;
}

function machineLine(results: BenchResults): string {
  const m = results.machine;
  return `machine: ${m.cores} cores (${m.cpuModel}), ${m.totalMemMB} MB, Node ${m.node}, ${m.platform}${m.postgres ? `, PostgreSQL ${(m.postgres as Record<string, string>).server_version}` : ''}; load ${JSON.stringify(m.loadAverageAtStart)} → ${JSON.stringify(m.loadAverageAtEnd)}; ${results.date}; commit ${String(m.gitCommit).slice(0, 10)} (+${m.gitChangedFiles} changed files)`;
}

// ---- the command line -----------------------------------------------------------------------------

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const interrupt = async () => {
    killAll();
    process.stderr.write('\ninterrupted: children killed; dropping the run\'s PostgreSQL databases\n');
    const timer = setTimeout(() => process.exit(130), 10_000);
    for (const cleanup of [...pendingCleanups]) await cleanup().catch((error) => process.stderr.write(`${error}\n`));
    clearTimeout(timer);
    process.exit(130);
  };
  process.once('SIGINT', () => void interrupt());
  process.once('SIGTERM', () => void interrupt());
  main().then(
    (results) => process.exit(Object.values(results.databases).some((db) => db.error || db.phaseErrors) ? 1 : 0),
    (error: Error) => {
      killAll();
      process.stderr.write(`bench failed: ${error.stack ?? error}\n`);
      process.exit(1);
    },
  );
}
