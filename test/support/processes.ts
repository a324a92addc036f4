// The real service as a child process (`npm start`'s program: the bundle in dist/, built here
// once per test process), for crash and multi-instance tests, and the CLI's bootstrap as a child
// process.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { waitUntil } from './receiver.ts';

export const REPO = path.resolve(import.meta.dirname, '../..');

/**
 * The V8 heap settings `npm start` runs the service with (test/ops/start-script.test.ts keeps the
 * two in step): with V8's defaults the heap grew to ~130 MB under load for ~50 MB of live data;
 * these keep a 50,000-delivery drain under ~165 MB of RSS at about the same speed.
 */
export const SERVICE_NODE_FLAGS = ['--max-semi-space-size=8', '--max-old-space-size=256'];

let built = false;

/** dist/main.mjs and dist/cli.mjs from the current src/, as `npm start` builds them. */
export function buildBundle(): void {
  if (built) return;
  execFileSync(process.execPath, ['scripts/build-server.mjs'], { cwd: REPO, stdio: 'inherit' });
  built = true;
}

/** This process's environment without anything Hookwarden reads, so each child gets only what a test gives it. */
export function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (['LOG_LEVEL', 'DATABASE_URL', 'PORT', 'HOST', 'REDIS_URL'].includes(name) || name.startsWith('HOOKWARDEN_')) continue;
    env[name] = value;
  }
  return env;
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface Child {
  process: ChildProcess;
  url: string;
  wsUrl: string;
  output: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once /graphql answers (the dispatcher starts before the HTTP server). */
  ready: Promise<unknown>;
}

const started = new Set<ChildProcess>();

/** Kills every child still running (for afterAll, whatever happened). */
export function killChildren(): void {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  started.clear();
}

/** Starts `npm start`'s program with env and waits until /graphql answers. */
export async function startChild(env: Record<string, string>): Promise<Child> {
  const child = await spawnChild(env);
  await child.ready;
  return child;
}

/** Starts `npm start`'s program with env and returns at once; `ready` says when it answers. */
export async function spawnChild(env: Record<string, string>): Promise<Child> {
  const port = await freePort();
  buildBundle();
  const child = spawn(process.execPath, [...SERVICE_NODE_FLAGS, 'dist/main.mjs'], {
    cwd: REPO,
    env: { ...cleanEnv(), ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.add(child);
  const output: string[] = [];
  child.stdout!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let gone = false;
  void exited.then(() => (gone = true));
  const url = `http://127.0.0.1:${port}/graphql`;
  const ready = waitUntil(
    async () => {
      if (gone) throw new Error(`the service exited during start-up:\n${output.join('')}`);
      try {
        const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' });
        return response.status === 200;
      } catch {
        return false;
      }
    },
    'the service to answer on /graphql',
    30_000,
  );
  ready.catch(() => {}); // the caller awaits it, or kills the child first
  return { process: child, url, wsUrl: url.replace(/^http/, 'ws'), output, exited, ready };
}

/** `npm run cli -- bootstrap` as a child process; resolves to the token it printed. */
export function bootstrapToken(env: Record<string, string>, org: string, email: string): Promise<string> {
  buildBundle();
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['dist/cli.mjs', 'bootstrap', '--org', org, '--email', email],
      { cwd: REPO, env: { ...cleanEnv(), ...env }, timeout: 30_000 },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`bootstrap failed: ${error.message}\n${stderr}`));
        const token = stdout.trim();
        if (!/^hw_\S+$/.test(token)) return reject(new Error(`bootstrap printed ${JSON.stringify(stdout)}`));
        resolve(token);
      },
    );
  });
}
