// Child processes of the benchmark: helpers with an IPC channel (receiver, bare yoga), the service
// itself (`npm start`'s program, dist/main.mjs), and what /proc says about each (RSS, CPU time).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { request } from 'undici';
import { buildBundle, cleanEnv, freePort, SERVICE_NODE_FLAGS } from '../test/support/processes.ts';

export const REPO = path.resolve(import.meta.dirname, '..');

const running = new Set<ChildProcess>();

/** SIGKILL for every child still alive (the bench failed or was interrupted). */
export function killAll(): void {
  for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  running.clear();
}

function track(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
}

// ---- /proc --------------------------------------------------------------------------------------

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** VmRSS and VmHWM (the peak) of a process, in MB; null when it is gone. */
export function memoryOf(pid: number): { rssMB: number; hwmMB: number } | null {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return { rssMB: kb('VmRSS') / 1024, hwmMB: kb('VmHWM') / 1024 };
  } catch {
    return null;
  }
}

/** User + system CPU seconds a process has used so far; null when it is gone. */
export function cpuSecondsOf(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at field 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

/** Samples a process's RSS every intervalMs; `window()` returns the peak since the previous call. */
export function rssSampler(pid: number, intervalMs = 100) {
  let peak = 0;
  let overall = 0;
  const sample = () => {
    const mem = memoryOf(pid);
    if (!mem) return;
    peak = Math.max(peak, mem.rssMB);
    overall = Math.max(overall, mem.rssMB);
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  timer.unref();
  return {
    window(): number {
      sample();
      const value = peak;
      peak = memoryOf(pid)?.rssMB ?? 0;
      return value;
    },
    overall: () => overall,
    stop: () => clearInterval(timer),
  };
}

/** Busy CPU seconds of the whole machine so far (all cores; idle and iowait excluded). */
export function machineBusySeconds(): number {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0];
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  void idle;
  void iowait;
  return (user + nice + system + irq + softirq + (steal ?? 0)) / CLOCK_TICKS;
}

/** CPU seconds a process uses between start() and the returned function's call. */
export function cpuMeter(pid: number) {
  const start = cpuSecondsOf(pid) ?? 0;
  return () => (cpuSecondsOf(pid) ?? start) - start;
}

// ---- helpers with IPC -------------------------------------------------------------------------

export interface Helper {
  process: ChildProcess;
  pid: number;
  port: number;
  call<T = unknown>(cmd: string, args?: Record<string, unknown>): Promise<T>;
  stop(): Promise<void>;
}

/** Starts a bench/*-child.ts with an IPC channel and waits for its { ready, port }. */
export async function startHelper(script: string): Promise<Helper> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO, 'bench', script)], {
    cwd: REPO,
    env: cleanEnv(),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  track(child);
  let next = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start within 30 s`)), 30_000);
    child.once('exit', (code) => reject(new Error(`${script} exited during start-up (code ${code})`)));
    child.on('message', (msg: { ready?: boolean; port?: number; id?: number; ok?: boolean; result?: unknown; error?: string }) => {
      if (msg.ready) {
        clearTimeout(timer);
        resolve(msg.port!);
        return;
      }
      const waiting = pending.get(msg.id!);
      if (!waiting) return;
      pending.delete(msg.id!);
      if (msg.ok) waiting.resolve(msg.result);
      else waiting.reject(new Error(msg.error));
    });
  });
  child.once('exit', () => {
    for (const waiting of pending.values()) waiting.reject(new Error(`${script} exited`));
    pending.clear();
  });
  return {
    process: child,
    pid: child.pid!,
    port,
    call<T>(cmd: string, args: Record<string, unknown> = {}) {
      return new Promise<T>((resolve, reject) => {
        const id = next++;
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        child.send({ id, cmd, ...args });
      });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

// ---- the service --------------------------------------------------------------------------------

export interface LogSummary {
  file: string;
  lines: number;
  warnings: number;
  errors: number;
  /** The distinct messages of warnings and errors with how often each came, most frequent first. */
  messages: Array<{ level: string; msg: string; count: number; example?: string }>;
}

export interface ServiceChild {
  process: ChildProcess;
  pid: number;
  url: string;
  origin: string;
  label: string;
  rss: ReturnType<typeof rssSampler>;
  /** Starting time of the process on the monotonic clock (µs), as CPU profiles count. */
  spawnedAtUs: number;
  /** How the process ended if it already has (not through stop()): code, signal, and when (bench seconds). */
  exited(): { code: number | null; signal: string | null } | null;
  logSummary(): LogSummary;
  /** SIGTERM, then waits (SIGKILL after timeoutMs); resolves to how it ended and the peak RSS. */
  stop(timeoutMs?: number): Promise<{ code: number | null; signal: string | null; hwmMB: number | null; stopMs: number; killed: boolean }>;
}

export interface ServiceOptions {
  label: string;
  env: Record<string, string>;
  logFile: string;
  /** Directory for --cpu-prof; no profiling when absent. */
  cpuProfDir?: string;
}

const LEVELS: Record<number, string> = { 40: 'warn', 50: 'error', 60: 'fatal' };

export function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

export async function startService(options: ServiceOptions): Promise<ServiceChild> {
  const port = await freePort();
  const nodeArgs = options.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProfDir] : [];
  if (options.cpuProfDir) fs.mkdirSync(options.cpuProfDir, { recursive: true });
  fs.mkdirSync(path.dirname(options.logFile), { recursive: true });
  const log = fs.createWriteStream(options.logFile, { flags: 'a' });
  const spawnedAtUs = monotonicUs();
  // What `npm start` runs: the bundle. Profiled runs go through tsx instead, whose transform
  // profile-summary.ts maps back to src/ lines (the same code, unbundled).
  buildBundle();
  const program = options.cpuProfDir ? ['--import', 'tsx', 'src/main.ts'] : ['dist/main.mjs'];
  const child = spawn(process.execPath, [...SERVICE_NODE_FLAGS, ...nodeArgs, ...program], {
    cwd: REPO,
    env: {
      ...cleanEnv(),
      LOG_LEVEL: 'warn',
      HOOKWARDEN_ALLOW_INSECURE_TARGETS: 'true',
      ...options.env,
      PORT: String(port),
      HOST: '127.0.0.1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  track(child);
  let lines = 0;
  let warnings = 0;
  let errors = 0;
  const messages = new Map<string, { level: string; msg: string; count: number; example?: string }>();
  let partial = '';
  const tail: string[] = [];
  const onData = (chunk: Buffer) => {
    log.write(chunk);
    const text = partial + chunk.toString('utf8');
    const parts = text.split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      if (!line.trim()) continue;
      lines += 1;
      tail.push(line);
      if (tail.length > 40) tail.shift();
      if (!line.startsWith('{')) continue;
      try {
        const entry = JSON.parse(line) as { level?: number; msg?: string; err?: { message?: string } };
        const level = LEVELS[entry.level ?? 0];
        if (!level) continue;
        if (level === 'warn') warnings += 1;
        else errors += 1;
        const key = `${level}:${entry.msg}`;
        const known = messages.get(key) ?? { level, msg: String(entry.msg), count: 0, example: entry.err?.message?.slice(0, 300) };
        known.count += 1;
        messages.set(key, known);
      } catch {
        // not pino's JSON: counted as a line only
      }
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let gone = false;
  let ending: { code: number | null; signal: string | null } | null = null;
  void exited.then((result) => {
    gone = true;
    ending = result;
  });
  const origin = `http://127.0.0.1:${port}`;
  const url = `${origin}/graphql`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (gone) throw new Error(`the service (${options.label}) exited during start-up:\n${tail.join('\n')}`);
    try {
      const response = await request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"query":"{ __typename }"}',
        headersTimeout: 2_000,
        bodyTimeout: 2_000,
      });
      await response.body.dump();
      if (response.statusCode === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the service (${options.label}) did not answer within 60 s:\n${tail.join('\n')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const rss = rssSampler(child.pid!);
  return {
    process: child,
    pid: child.pid!,
    url,
    origin,
    label: options.label,
    rss,
    spawnedAtUs,
    exited: () => ending,
    logSummary: () => ({
      file: path.relative(REPO, options.logFile),
      lines,
      warnings,
      errors,
      messages: [...messages.values()].sort((a, b) => b.count - a.count).slice(0, 20),
    }),
    async stop(timeoutMs = 30_000) {
      const hwmMB = memoryOf(child.pid!)?.hwmMB ?? null;
      rss.stop();
      const started = Date.now();
      let killed = false;
      if (!gone) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => {
          killed = true;
          child.kill('SIGKILL');
        }, timeoutMs);
        await exited;
        clearTimeout(timer);
      }
      const result = await exited;
      await new Promise((resolve) => log.end(resolve));
      return { ...result, hwmMB, stopMs: Date.now() - started, killed };
    },
  };
}
