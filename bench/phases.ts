// The measurements. Each phase is bounded in count and time and talks only to 127.0.0.1.
import type { Pool } from 'undici';
import { cpuMeter, cpuSecondsOf, machineBusySeconds, monotonicUs, type Helper, type ServiceChild } from './children.ts';
import type { DbProbe } from './db.ts';
import { closedLoop, keepAlivePool, pacedLoop, wallNow, type LoopResult } from './load.ts';
import { distribution, median, round, type Distribution } from './stats.ts';

export interface Sizes {
  baseline: { count: number; warmup: number; capMs: number; concurrency: number };
  api: { count: number; warmup: number; capMs: number; concurrency: number };
  dispatch: { issues: number; webhooks: number; concurrency: number; capMs: number };
  latency: { seconds: number; rate: number; warmupSeconds: number };
  fanout: { webhooks: number; events: number };
  backlog: { sizes: number[]; webhooks: number; concurrency: number; createCapMs: number; drainCapMs: number };
}

export const FULL: Sizes = {
  baseline: { count: 20_000, warmup: 2_000, capMs: 20_000, concurrency: 64 },
  api: { count: 10_000, warmup: 500, capMs: 15_000, concurrency: 32 },
  dispatch: { issues: 2_000, webhooks: 10, concurrency: 32, capMs: 300_000 },
  latency: { seconds: 30, rate: 200, warmupSeconds: 1 },
  fanout: { webhooks: 1_000, events: 4 },
  backlog: { sizes: [20_000, 100_000], webhooks: 10, concurrency: 32, createCapMs: 600_000, drainCapMs: 900_000 },
};

export const QUICK: Sizes = {
  baseline: { count: 3_000, warmup: 500, capMs: 5_000, concurrency: 64 },
  api: { count: 1_000, warmup: 100, capMs: 2_000, concurrency: 32 },
  dispatch: { issues: 100, webhooks: 10, concurrency: 32, capMs: 30_000 },
  latency: { seconds: 5, rate: 200, warmupSeconds: 0.25 },
  fanout: { webhooks: 100, events: 2 },
  backlog: { sizes: [500, 2_000], webhooks: 10, concurrency: 32, createCapMs: 30_000, drainCapMs: 60_000 },
};

export type Say = (message: string) => void;

/** The bench's own CPU, the receiver's and the service's over one phase, and the phase's window. */
export interface PhaseCost {
  /** On the monotonic clock (µs), as CPU profiles count: to cut a profile to this phase. */
  window: { startUs: number; endUs: number };
  seconds: number;
  serviceLabel: string;
  serviceCpuSeconds: number;
  /** CPU seconds per wall second: 1 = one core busy. */
  serviceCores: number;
  servicePeakRssMB: number;
  receiverCpuSeconds: number;
  /** The bench process, and on PostgreSQL its probe's session. */
  benchCpuSeconds: number;
  /** PostgreSQL server processes serving the service's database (0 on SQLite). */
  databaseCores: number;
  /** Everything else the machine did meanwhile (other people's tests…), in cores: should be near 0. */
  otherCores: number;
}

async function backendCpu(probe: DbProbe | null): Promise<Map<number, number>> {
  const pids = probe ? await probe.backendPids() : [];
  return new Map(pids.map((pid) => [pid, cpuSecondsOf(pid) ?? 0]));
}

export async function meter(svc: ServiceChild, receiver: Helper, probe: DbProbe | null = null) {
  const backendsBefore = await backendCpu(probe);
  const startUs = monotonicUs();
  const started = performance.now();
  svc.rss.window();
  const svcCpu = cpuMeter(svc.pid);
  const recvCpu = cpuMeter(receiver.pid);
  const benchCpu = process.cpuUsage();
  // The probe's own PostgreSQL session works for the bench: counted as its CPU, not as other work.
  const probeCpu = probe?.ownPid ? cpuMeter(probe.ownPid) : () => 0;
  const machine = machineBusySeconds();
  return async (): Promise<PhaseCost> => {
    const endUs = monotonicUs();
    const seconds = (performance.now() - started) / 1000;
    const machineSeconds = machineBusySeconds() - machine;
    const bench = process.cpuUsage(benchCpu);
    const benchSeconds = (bench.user + bench.system) / 1e6 + probeCpu();
    const serviceCpuSeconds = svcCpu();
    const receiverSeconds = recvCpu();
    let databaseSeconds = 0;
    for (const pid of new Set([...backendsBefore.keys(), ...(await backendCpu(probe)).keys()])) {
      const now = cpuSecondsOf(pid);
      if (now !== null) databaseSeconds += now - (backendsBefore.get(pid) ?? 0);
    }
    const others = machineSeconds - serviceCpuSeconds - receiverSeconds - benchSeconds - databaseSeconds;
    return {
      window: { startUs, endUs },
      seconds: round(seconds, 2)!,
      serviceLabel: svc.label,
      serviceCpuSeconds: round(serviceCpuSeconds, 2)!,
      serviceCores: round(serviceCpuSeconds / seconds, 2)!,
      servicePeakRssMB: round(svc.rss.window(), 1)!,
      receiverCpuSeconds: round(receiverSeconds, 2)!,
      benchCpuSeconds: round(benchSeconds, 2)!,
      databaseCores: round(databaseSeconds / seconds, 2)!,
      otherCores: round(Math.max(0, others) / seconds, 2)!,
    };
  };
}

// ---- GraphQL against the service ----------------------------------------------------------------

export const CREATE_ISSUE = 'mutation CreateIssue($input: CreateIssueInput!) { createIssue(input: $input) { id } }';

/** A createIssue body; its delivery envelope comes to about 600 bytes. */
export function createIssueBody(tag: string, i: number): string {
  return JSON.stringify({
    query: CREATE_ISSUE,
    variables: {
      input: { pluginId: 'sql-injection', severity: 'HIGH', weakness: 'SQL Injection', targetId: `${tag}-target-${i}`, providerId: 'hookwarden-bench' },
    },
  });
}

export function issueIdOf(statusCode: number, text: string): { value: string | null; error?: string } {
  if (statusCode !== 200) return { value: null, error: `HTTP ${statusCode}: ${text.slice(0, 200)}` };
  try {
    const json = JSON.parse(text) as { data?: { createIssue?: { id?: string } }; errors?: Array<{ message: string }> };
    if (json.errors?.length) return { value: null, error: json.errors[0].message };
    const id = json.data?.createIssue?.id;
    return id ? { value: id } : { value: null, error: `no id in ${text.slice(0, 200)}` };
  } catch {
    return { value: null, error: `not JSON: ${text.slice(0, 200)}` };
  }
}

export interface Api {
  pool: Pool;
  headers: Record<string, string>;
  must<T = Record<string, any>>(query: string, variables?: Record<string, unknown>): Promise<T>;
  close(): Promise<void>;
}

export function serviceApi(svc: ServiceChild, token: string, connections = 32): Api {
  const pool = keepAlivePool(svc.origin, connections);
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
  return {
    pool,
    headers,
    async must<T>(query: string, variables: Record<string, unknown> = {}) {
      const response = await pool.request({ path: '/graphql', method: 'POST', headers, body: JSON.stringify({ query, variables }) });
      const json = (await response.body.json()) as { data?: T; errors?: unknown[] };
      if (response.statusCode !== 200 || json.errors?.length || !json.data) {
        throw new Error(`GraphQL failed (HTTP ${response.statusCode}): ${JSON.stringify(json.errors ?? json).slice(0, 500)}`);
      }
      return json.data;
    },
    close: () => pool.close(),
  };
}

const CREATE_WEBHOOK = 'mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { webhook { id } } }';
const DELETE_WEBHOOK = 'mutation($id: ID!) { deleteWebhook(id: $id) }';

/** Creates webhooks (concurrency 16) for issue.created at the given URLs; returns their ids in order. */
export async function createWebhooks(api: Api, urls: string[], extra: Record<string, unknown> = {}): Promise<string[]> {
  const ids: string[] = new Array(urls.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(16, urls.length) }, async () => {
      while (next < urls.length) {
        const i = next++;
        const data = await api.must<{ createWebhook: { webhook: { id: string } } }>(CREATE_WEBHOOK, {
          input: { name: `bench-${i}`, url: urls[i], events: ['issue.created'], ...extra },
        });
        ids[i] = data.createWebhook.webhook.id;
      }
    }),
  );
  return ids;
}

export async function deleteWebhooks(api: Api, ids: readonly string[]): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(16, ids.length) }, async () => {
      while (next < ids.length) await api.must(DELETE_WEBHOOK, { id: ids[next++] });
    }),
  );
}

function issueLoop(api: Api, tag: string, options: { count: number; concurrency: number; capMs: number; progress?: (done: number, ms: number) => void }) {
  return closedLoop({
    pool: api.pool,
    concurrency: options.concurrency,
    count: options.count,
    timeCapMs: options.capMs,
    request: (i) => ({ path: '/graphql', body: createIssueBody(tag, i), headers: api.headers }),
    check: (status, text) => issueIdOf(status, text).error ?? null,
    progress: options.progress,
  });
}

interface ReceiverStats {
  total: number;
  bytes: number;
  counts: Record<string, number>;
  parseErrors: number;
  held: number;
  heldTotal: number;
  records: number;
}

export const receiverStats = (receiver: Helper) => receiver.call<ReceiverStats>('stats');

/**
 * Waits until no delivery is open (and `ready()` says the load is done), or the cap. `doneAt` is
 * the wall time of the database poll that first saw none open. The database is asked every 50 ms
 * only once the receiver has had `expected()` arrivals (before that every second: counting open
 * rows is not free, on PostgreSQL without vacuum least of all, and the bench must not load the
 * database it measures). Also watches the receiver for stalls: the longest time with work open and
 * nothing arriving.
 */
export async function untilDrained(options: {
  probe: DbProbe;
  receiver: Helper;
  capMs: number;
  ready?: () => boolean;
  /** Arrivals at the receiver (since its last reset) after which the end is near. */
  expected?: () => number;
  say?: Say;
  label: string;
  pollMs?: number;
  /** Stops waiting (and throws) when this service process has exited. */
  svc?: ServiceChild;
}): Promise<{ doneAt: number | null; timedOut: boolean; longestStallMs: number; dbPolls: number; timeline: Array<[number, number, number]> }> {
  const { probe, receiver, capMs, ready = () => true, expected = () => 0, say, label, pollMs = 50, svc } = options;
  const started = wallNow();
  const timeline: Array<[number, number, number]> = [];
  let lastArrivals = -1;
  let lastChange = started;
  let longestStallMs = 0;
  let lastDbPoll = -Infinity;
  let lastSample = -Infinity;
  let lastSay = started;
  let open = -1;
  let dbPolls = 0;
  const result = (doneAt: number | null) => ({ doneAt, timedOut: doneAt === null, longestStallMs: round(longestStallMs, 0)!, dbPolls, timeline });
  for (;;) {
    const at = wallNow();
    const { total } = await receiverStats(receiver);
    if (total !== lastArrivals) {
      lastArrivals = total;
      lastChange = at;
    } else if (open !== 0) {
      longestStallMs = Math.max(longestStallMs, at - lastChange);
    }
    const near = ready() && total >= expected();
    if (near || at - lastDbPoll >= 1_000) {
      lastDbPoll = at;
      dbPolls += 1;
      open = await probe.openCount();
      if (ready() && open === 0) return result(at);
    }
    if (at - lastSample >= 250) {
      lastSample = at;
      timeline.push([Math.round(at - started), open, total]);
    }
    if (say && at - lastSay >= 2_000) {
      lastSay = at;
      say(`${label}: ${open.toLocaleString('en-US')} open, ${total.toLocaleString('en-US')} arrived at the receiver`);
    }
    if (at - started > capMs) return result(null);
    const ended = svc?.exited();
    if (ended) throw new ServiceExited(svc!.label, ended, open);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/** The service process ended during a phase (it was not stopped by the bench). */
export class ServiceExited extends Error {
  constructor(label: string, public ending: { code: number | null; signal: string | null }, public open: number) {
    super(`the service "${label}" exited during the phase (code ${ending.code}, signal ${ending.signal}) with ${open} deliveries open; see its log`);
  }
}

// ---- 1. baseline ---------------------------------------------------------------------------------

/** About 600 bytes of JSON, shaped like a delivery envelope. */
export function baselineBody(): string {
  const base = {
    id: 'evt_0000000000000000000000',
    event: 'issue.created',
    type: 'issue.created',
    timestamp: new Date(0).toISOString(),
    data: { issue: { id: 'iss_0000000000000000000000', pluginId: 'sql-injection', status: 'open', severity: 'high', weakness: 'SQL Injection' }, eventData: {}, userId: 'usr_0000000000000000000000' },
    metadata: { organizationId: 'org_0000000000000000000000', teamId: null, webhookId: 'whk_0000000000000000000000' },
    pad: '',
  };
  base.pad = 'x'.repeat(Math.max(0, 600 - JSON.stringify(base).length));
  return JSON.stringify(base);
}

export interface BaselineResult extends LoopResult {
  bodyBytes: number;
  concurrency: number;
  receiverCpuSeconds: number;
  benchCpuSeconds: number;
  /** Everything else the machine did meanwhile, in cores. */
  otherCores: number;
}

export async function runBaseline(receiver: Helper, sizes: Sizes['baseline'], say: Say): Promise<BaselineResult> {
  const body = baselineBody();
  const pool = keepAlivePool(`http://127.0.0.1:${receiver.port}`, sizes.concurrency);
  const headers = { 'content-type': 'application/json' };
  try {
    const request = () => ({ path: '/base/1', body, headers });
    await closedLoop({ pool, concurrency: sizes.concurrency, count: sizes.warmup, timeCapMs: 10_000, request });
    await receiver.call('reset');
    const recvCpu = cpuMeter(receiver.pid);
    const benchCpu = process.cpuUsage();
    const machine = machineBusySeconds();
    const result = await closedLoop({
      pool,
      concurrency: sizes.concurrency,
      count: sizes.count,
      timeCapMs: sizes.capMs,
      request,
      progress: (done) => say(`baseline: ${done.toLocaleString('en-US')}/${sizes.count.toLocaleString('en-US')}`),
    });
    const bench = process.cpuUsage(benchCpu);
    const benchSeconds = (bench.user + bench.system) / 1e6;
    const receiverSeconds = recvCpu();
    const others = machineBusySeconds() - machine - benchSeconds - receiverSeconds;
    return {
      ...result,
      bodyBytes: Buffer.byteLength(body),
      concurrency: sizes.concurrency,
      receiverCpuSeconds: round(receiverSeconds, 2)!,
      benchCpuSeconds: round(benchSeconds, 2)!,
      otherCores: round(Math.max(0, others) / (result.elapsedMs / 1000), 2)!,
    };
  } finally {
    await pool.close();
  }
}

// ---- 6. API: createIssue against a bare yoga -----------------------------------------------------

export async function runYogaBare(yoga: Helper, sizes: Sizes['api'], say: Say): Promise<LoopResult & { cpuSeconds: number }> {
  const pool = keepAlivePool(`http://127.0.0.1:${yoga.port}`, sizes.concurrency);
  const headers = { 'content-type': 'application/json' };
  const query = 'mutation Noop($x: Int) { noop(x: $x) }';
  const request = (i: number) => ({ path: '/graphql', body: JSON.stringify({ query, variables: { x: i } }), headers });
  const check = (status: number, text: string, i: number) =>
    status === 200 && text.includes(`"noop":${i}`) ? null : `HTTP ${status}: ${text.slice(0, 200)}`;
  try {
    await closedLoop({ pool, concurrency: sizes.concurrency, count: sizes.warmup, timeCapMs: 10_000, request, check });
    const cpu = cpuMeter(yoga.pid);
    const result = await closedLoop({
      pool,
      concurrency: sizes.concurrency,
      count: sizes.count,
      timeCapMs: sizes.capMs,
      request,
      check,
      progress: (done) => say(`api (bare yoga): ${done.toLocaleString('en-US')} mutations`),
    });
    return { ...result, cpuSeconds: round(cpu(), 2)! };
  } finally {
    await pool.close();
  }
}

export async function runApi(api: Api, svc: ServiceChild, receiver: Helper, probe: DbProbe, sizes: Sizes['api'], say: Say): Promise<LoopResult & { cost: PhaseCost }> {
  await issueLoop(api, 'api-warmup', { count: sizes.warmup, concurrency: sizes.concurrency, capMs: 10_000 });
  const done = await meter(svc, receiver, probe);
  const result = await issueLoop(api, 'api', {
    count: sizes.count,
    concurrency: sizes.concurrency,
    capMs: sizes.capMs,
    progress: (n) => say(`api (createIssue): ${n.toLocaleString('en-US')} mutations`),
  });
  return { ...result, cost: await done() };
}

// ---- 2. sustained dispatch -----------------------------------------------------------------------

export interface DispatchResult {
  issues: number;
  webhooks: number;
  deliveries: number;
  succeeded: number;
  byStatus: Record<string, number>;
  attempts: number;
  successfulAttempts: number;
  receiverArrivals: number;
  bodyBytesMean: number | null;
  mutations: LoopResult;
  /** From the first mutation to the poll that saw no delivery open. */
  elapsedMs: number | null;
  deliveriesPerSecond: number | null;
  timedOut: boolean;
  longestStallMs: number;
  timeline: Array<[number, number, number]>;
  cost: PhaseCost;
}

export async function runDispatch(
  api: Api,
  svc: ServiceChild,
  receiver: Helper,
  probe: DbProbe,
  sizes: Sizes['dispatch'],
  say: Say,
  label: string,
): Promise<DispatchResult> {
  const urls = Array.from({ length: sizes.webhooks }, (_, k) => `http://127.0.0.1:${receiver.port}/sink/d${k}`);
  const webhookIds = await createWebhooks(api, urls);
  try {
    // Warm-up: a few events through the whole path, not counted.
    await issueLoop(api, 'dispatch-warmup', { count: 20, concurrency: 4, capMs: 10_000 });
    await untilDrained({ probe, receiver, svc, capMs: 30_000, label: `${label} warm-up` });
    const before = await probe.statusOf(webhookIds);
    await receiver.call('reset');
    const done = await meter(svc, receiver, probe);
    const started = wallNow();
    let loadDone = false;
    const mutationsPromise = issueLoop(api, 'dispatch', {
      count: sizes.issues,
      concurrency: sizes.concurrency,
      capMs: sizes.capMs,
    }).finally(() => (loadDone = true));
    let okIssues = 0;
    void mutationsPromise.then((m) => (okIssues = m.ok));
    const drained = await untilDrained({
      probe,
      receiver,
      svc,
      capMs: sizes.capMs,
      ready: () => loadDone,
      expected: () => okIssues * sizes.webhooks,
      say,
      label,
    });
    const mutations = await mutationsPromise;
    const cost = await done();
    const after = await probe.statusOf(webhookIds);
    const stats = await receiverStats(receiver);
    const diff = (key: string) => (after.byStatus[key] ?? 0) - (before.byStatus[key] ?? 0);
    const byStatus = Object.fromEntries(Object.keys(after.byStatus).map((key) => [key, diff(key)]));
    const succeeded = diff('SUCCEEDED');
    const elapsedMs = drained.doneAt === null ? null : drained.doneAt - started;
    return {
      issues: sizes.issues,
      webhooks: sizes.webhooks,
      deliveries: mutations.ok * sizes.webhooks,
      succeeded,
      byStatus,
      attempts: after.attempts - before.attempts,
      successfulAttempts: after.successfulAttempts - before.successfulAttempts,
      receiverArrivals: stats.total,
      bodyBytesMean: stats.total ? round(stats.bytes / stats.total, 0) : null,
      mutations,
      elapsedMs: round(elapsedMs, 0),
      deliveriesPerSecond: elapsedMs ? round((succeeded / elapsedMs) * 1000, 0) : null,
      timedOut: drained.timedOut,
      longestStallMs: drained.longestStallMs,
      timeline: drained.timeline,
      cost,
    };
  } finally {
    // After the service died the deletes cannot work: the phase's own error tells what happened.
    await deleteWebhooks(api, webhookIds).catch((error) => {
      if (!svc.exited()) throw error;
    });
  }
}

// ---- 3. latency -----------------------------------------------------------------------------------

export interface LatencyResult {
  rate: number;
  seconds: number;
  sent: number;
  /** Not sent: 1,000 were already waiting for an answer (the service could not keep up). */
  skipped: number;
  /** createIssue answered per second over the run: below `rate` means the service was overloaded. */
  achievedPerSecond: number;
  mutationErrors: number;
  firstError?: string;
  arrived: number;
  missing: number;
  /** createIssue sent → receiver arrival (ms). */
  fromSend: Distribution;
  /** createIssue response read → receiver arrival (ms); negative when the delivery came first. */
  fromResponse: Distribution;
  /** How many arrived before their mutation's response was read. */
  arrivedBeforeResponse: number;
  /** createIssue sent → response read (ms). */
  mutation: Distribution;
  /** How late the open loop sent, against its schedule (ms). */
  sendLag: Distribution;
  cost: PhaseCost;
}

export async function runLatency(
  api: Api,
  svc: ServiceChild,
  receiver: Helper,
  probe: DbProbe,
  sizes: Sizes['latency'],
  say: Say,
  label: string,
): Promise<LatencyResult> {
  const [webhookId] = await createWebhooks(api, [`http://127.0.0.1:${receiver.port}/lat/1`]);
  const parse = issueIdOf;
  const request = (tag: string) => (i: number) => ({ path: '/graphql', body: createIssueBody(tag, i), headers: api.headers });
  try {
    await pacedLoop({ pool: api.pool, rate: sizes.rate, count: Math.round(sizes.rate * sizes.warmupSeconds), maxOutstanding: 1_000, request: request('latency-warmup'), parse });
    await untilDrained({ probe, receiver, svc, capMs: 30_000, label: `${label} warm-up` });
    await receiver.call('take');
    const done = await meter(svc, receiver, probe);
    const count = Math.round(sizes.rate * sizes.seconds);
    const run = await pacedLoop({
      pool: api.pool,
      rate: sizes.rate,
      count,
      maxOutstanding: 1_000,
      request: request('latency'),
      parse,
      progress: (sent) => say(`${label}: ${sent.toLocaleString('en-US')}/${count.toLocaleString('en-US')} createIssue answered`),
    });
    const ids = new Set(run.samples.filter((s) => s.value).map((s) => s.value!));
    await untilDrained({ probe, receiver, svc, capMs: 30_000, label: `${label} drain` });
    // Every delivery is settled; give the receiver's last records a moment to be taken.
    const arrivals = new Map<string, number>();
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline) {
      for (const [, id, at] of await receiver.call<Array<[string, string, number]>>('take')) if (!arrivals.has(id)) arrivals.set(id, at);
      if ([...ids].every((id) => arrivals.has(id))) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const cost = await done();
    const ok = run.samples.filter((s) => s.value);
    const matched = ok.filter((s) => arrivals.has(s.value!));
    const fromSend = matched.map((s) => arrivals.get(s.value!)! - s.sentAt);
    const fromResponse = matched.map((s) => arrivals.get(s.value!)! - s.respondedAt);
    const errors = run.samples.filter((s) => !s.value);
    return {
      rate: sizes.rate,
      seconds: sizes.seconds,
      sent: run.samples.length,
      skipped: run.skipped,
      achievedPerSecond: round((run.samples.length / run.elapsedMs) * 1000, 0)!,
      mutationErrors: errors.length,
      firstError: errors[0]?.error,
      arrived: matched.length,
      missing: ok.length - matched.length,
      fromSend: roundDist(distribution(fromSend)),
      fromResponse: roundDist(distribution(fromResponse)),
      arrivedBeforeResponse: fromResponse.filter((v) => v < 0).length,
      mutation: roundDist(distribution(ok.map((s) => s.respondedAt - s.sentAt))),
      sendLag: roundDist(distribution(run.samples.map((s) => s.sentAt - s.dueAt))),
      cost,
    };
  } finally {
    await deleteWebhooks(api, [webhookId]).catch((error) => {
      if (!svc.exited()) throw error;
    });
  }
}

function roundDist(d: Distribution): Distribution {
  return Object.fromEntries(Object.entries(d).map(([k, v]) => [k, k === 'count' ? v : round(v as number | null, 2)])) as unknown as Distribution;
}

// ---- 4. fan-out -----------------------------------------------------------------------------------

export interface FanoutRun {
  /** createIssue sent → last of the webhooks' deliveries arrived (ms). */
  lastFromSend: number | null;
  lastFromResponse: number | null;
  firstFromResponse: number | null;
  /** createIssue sent → response read (ms): the transaction writing every delivery. */
  mutationMs: number;
  arrived: number;
}

export interface FanoutResult {
  webhooks: number;
  createWebhooksMs: number;
  runs: FanoutRun[];
  /** The first event, when the dispatcher meets the webhooks for the first time. */
  cold: FanoutRun | null;
  /** Median over the later events. */
  warmLastFromSend: number | null;
  warmLastFromResponse: number | null;
  cost: PhaseCost;
}

export async function runFanout(
  api: Api,
  svc: ServiceChild,
  receiver: Helper,
  probe: DbProbe,
  sizes: Sizes['fanout'],
  say: Say,
  label: string,
): Promise<FanoutResult> {
  const created = performance.now();
  const urls = Array.from({ length: sizes.webhooks }, (_, k) => `http://127.0.0.1:${receiver.port}/fan/${k}`);
  say(`${label}: creating ${sizes.webhooks.toLocaleString('en-US')} webhooks`);
  await createWebhooks(api, urls);
  const createWebhooksMs = round(performance.now() - created, 0)!;
  const runs: FanoutRun[] = [];
  try {
    await untilDrained({ probe, receiver, svc, capMs: 30_000, label });
    await receiver.call('take');
    const done = await meter(svc, receiver, probe);
    for (let n = 0; n < sizes.events; n += 1) {
      const sentAt = wallNow();
      const response = await api.pool.request({ path: '/graphql', method: 'POST', headers: api.headers, body: createIssueBody('fanout', n) });
      const text = await response.body.text();
      const respondedAt = wallNow();
      const { value: issueId, error } = issueIdOf(response.statusCode, text);
      if (!issueId) throw new Error(`fan-out createIssue failed: ${error}`);
      const times: number[] = [];
      const deadline = Date.now() + 30_000;
      while (times.length < sizes.webhooks && Date.now() < deadline) {
        for (const [, id, at] of await receiver.call<Array<[string, string, number]>>('take')) if (id === issueId) times.push(at);
        if (times.length < sizes.webhooks) await new Promise((resolve) => setTimeout(resolve, 5));
      }
      const last = times.length >= sizes.webhooks ? Math.max(...times) : null;
      const run: FanoutRun = {
        lastFromSend: round(last === null ? null : last - sentAt, 1),
        lastFromResponse: round(last === null ? null : last - respondedAt, 1),
        firstFromResponse: round(times.length ? Math.min(...times) - respondedAt : null, 1),
        mutationMs: round(respondedAt - sentAt, 1)!,
        arrived: times.length,
      };
      runs.push(run);
      say(`${label}: event ${n + 1}: ${run.arrived}/${sizes.webhooks} arrived, last ${run.lastFromSend ?? '—'} ms after sending (mutation ${run.mutationMs} ms)`);
      await untilDrained({ probe, receiver, svc, capMs: 30_000, label });
      await receiver.call('take');
    }
    const warm = runs.slice(1);
    return {
      webhooks: sizes.webhooks,
      createWebhooksMs,
      runs,
      cold: runs[0] ?? null,
      warmLastFromSend: warm.some((r) => r.lastFromSend === null) ? null : median(warm.map((r) => r.lastFromSend!)),
      warmLastFromResponse: warm.some((r) => r.lastFromResponse === null) ? null : median(warm.map((r) => r.lastFromResponse!)),
      cost: await done(),
    };
  } finally {
    // Left in place: fan-out is the last phase of a service. (1,000 deletes would cost more than the phase.)
  }
}

// ---- 5. backlog -----------------------------------------------------------------------------------

export interface BacklogCreation {
  size: number;
  webhooks: number;
  webhookIds: string[];
  mutations: LoopResult;
  /** Deliveries the hung receiver was sent (and answered after holdMs) while the backlog grew. */
  sentWhileHung: number;
  cost: PhaseCost;
}

/**
 * Grows a backlog through the API: `size / webhooks` createIssue to an organization whose webhooks
 * point at the receiver while it hangs (accepts, answers nothing for holdMs). The dispatcher holds
 * its 64 attempts in flight and everything else stays PENDING.
 */
export async function createBacklog(
  api: Api,
  svc: ServiceChild,
  receiver: Helper,
  probe: DbProbe,
  size: number,
  sizes: Sizes['backlog'],
  say: Say,
  label: string,
  webhookIds?: string[],
): Promise<BacklogCreation> {
  const ids =
    webhookIds ??
    (await createWebhooks(
      api,
      Array.from({ length: sizes.webhooks }, (_, k) => `http://127.0.0.1:${receiver.port}/sink/b${k}`),
      { timeoutMs: 30_000 },
    ));
  await receiver.call('hold', { holdMs: 25_000 });
  await receiver.call('reset');
  const done = await meter(svc, receiver, probe);
  const issues = Math.ceil(size / sizes.webhooks);
  const mutations = await issueLoop(api, `backlog-${size}`, {
    count: issues,
    concurrency: sizes.concurrency,
    capMs: sizes.createCapMs,
    progress: (n) => say(`${label}: ${(n * sizes.webhooks).toLocaleString('en-US')}/${size.toLocaleString('en-US')} deliveries created`),
  });
  const cost = await done();
  const stats = await receiverStats(receiver);
  return { size, webhooks: sizes.webhooks, webhookIds: ids, mutations, sentWhileHung: stats.heldTotal, cost };
}

export interface BacklogDrain {
  /** Deliveries open when the receiver came back. */
  pending: number;
  startMs: number;
  rssAtReadyMB: number | null;
  elapsedMs: number | null;
  deliveriesPerSecond: number | null;
  timedOut: boolean;
  longestStallMs: number;
  /** The most RSS sampled (every 100 ms) while draining, and the process's own peak (VmHWM). */
  peakRssMB: number;
  hwmMB: number | null;
  byStatus: Record<string, number>;
  attempts: number;
  timeline: Array<[number, number, number]>;
  cost: PhaseCost;
}

/** The receiver comes back (a fresh service was started while it still hung): drain to zero open. */
export async function drainBacklog(
  svc: ServiceChild,
  receiver: Helper,
  probe: DbProbe,
  webhookIds: string[],
  sizes: Sizes['backlog'],
  say: Say,
  label: string,
  startMs: number,
  hwm: () => number | null,
): Promise<BacklogDrain> {
  const pending = await probe.openCount();
  const rssAtReadyMB = svc.rss.window();
  // The attempts the fresh service already holds arrived before the reset: they will not count again.
  const { held } = await receiverStats(receiver);
  await receiver.call('reset');
  const done = await meter(svc, receiver, probe);
  const started = wallNow();
  await receiver.call('release');
  const drained = await untilDrained({ probe, receiver, svc, capMs: sizes.drainCapMs, expected: () => pending - held, say, label });
  const cost = await done();
  const elapsedMs = drained.doneAt === null ? null : drained.doneAt - started;
  const status = await probe.statusOf(webhookIds);
  return {
    pending,
    startMs: round(startMs, 0)!,
    rssAtReadyMB: round(rssAtReadyMB, 1),
    elapsedMs: round(elapsedMs, 0),
    deliveriesPerSecond: elapsedMs ? round((pending / elapsedMs) * 1000, 0) : null,
    timedOut: drained.timedOut,
    longestStallMs: drained.longestStallMs,
    peakRssMB: cost.servicePeakRssMB,
    hwmMB: round(hwm(), 1),
    byStatus: status.byStatus,
    attempts: status.attempts,
    timeline: drained.timeline,
    cost,
  };
}
