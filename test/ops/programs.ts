// Running the repository's TypeScript programs (the CLI, the examples) as child processes, the way
// an operator or a developer would, with only the environment a test gives them; and the GraphQL
// helpers the operations tests share beyond test/support/ops.ts.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { waitUntil } from '../support/receiver.ts';
import { cleanEnv, REPO } from '../support/processes.ts';
import type { GraphQLClient } from '../support/graphql.ts';

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `node --import tsx <script> …args` to completion. */
export function runProgram(script: string, args: string[], env: Record<string, string>, timeoutMs = 30_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', script, ...args], { cwd: REPO, env: { ...cleanEnv(), ...env }, timeout: timeoutMs }, (error, stdout, stderr) => {
      const code = error ? (error as { code?: unknown }).code : 0;
      resolve({ code: typeof code === 'number' ? code : null, stdout, stderr });
    });
  });
}

export interface Program {
  process: ChildProcess;
  stdout: string[];
  stderr: string[];
  /** Resolves with the first stderr line that matches. */
  waitForStderr(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  stop(): Promise<void>;
}

/** A long-running program; its stdout and stderr are kept line by line. */
export function startProgram(script: string, env: Record<string, string>): Program {
  const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: REPO, env: { ...cleanEnv(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout: string[] = [];
  const stderr: string[] = [];
  const lines = (into: string[]) => {
    let partial = '';
    return (chunk: Buffer) => {
      const parts = (partial + chunk.toString()).split('\n');
      partial = parts.pop() ?? '';
      into.push(...parts);
    };
  };
  child.stdout!.on('data', lines(stdout));
  child.stderr!.on('data', lines(stderr));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    process: child,
    stdout,
    stderr,
    async waitForStderr(pattern, timeoutMs = 15_000) {
      const line = await waitUntil(() => stderr.find((l) => pattern.test(l)), `a line matching ${pattern} (stderr so far: ${stderr.join(' | ')})`, timeoutMs);
      return line.match(pattern)!;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** A webhook.test event to this webhook only; the new delivery's id. */
export async function testWebhook(admin: GraphQLClient, webhookId: string): Promise<string> {
  const { testWebhook } = await admin.must('mutation ($id: ID!) { testWebhook(id: $id) { id } }', { id: webhookId });
  return testWebhook.id;
}

export async function deliveryStatus(admin: GraphQLClient, id: string): Promise<string> {
  const { delivery } = await admin.must('query ($id: ID!) { delivery(id: $id) { status } }', { id });
  return delivery.status;
}

/** Waits until the delivery has reached `status`. */
export async function deliveryReaches(admin: GraphQLClient, id: string, status: string, timeoutMs = 10_000): Promise<void> {
  await waitUntil(async () => (await deliveryStatus(admin, id)) === status, `delivery ${id} to be ${status}`, timeoutMs);
}
