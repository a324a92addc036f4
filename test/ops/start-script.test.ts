// `npm start`, as the README tells users to run it: it builds the bundle, runs it with the heap
// settings the bench and the crash tests use too, serves on the port it is given and stops
// cleanly on SIGTERM.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { cleanEnv, freePort, REPO, SERVICE_NODE_FLAGS } from '../support/processes.ts';
import { waitUntil } from '../support/receiver.ts';
import { tempDir } from '../support/service.ts';

const dir = tempDir('hookwarden-start-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

it('the start script runs the bundle with the heap settings the tests and the bench use', () => {
  const { scripts } = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));
  expect(scripts.start).toBe(`node scripts/build-server.mjs && node ${SERVICE_NODE_FLAGS.join(' ')} dist/main.mjs`);
});

it('npm start serves a fresh SQLite database and exits 0 on SIGTERM', async () => {
  const port = await freePort();
  const child = spawn('npm', ['start', '--silent'], {
    cwd: REPO,
    detached: true,
    env: { ...cleanEnv(), DATABASE_URL: `file:${path.join(dir, 'hw.db')}`, HOOKWARDEN_KEY_FILE: path.join(dir, 'key'), PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    await waitUntil(async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null))?.status === 200, 'npm start to be ready', 60_000);
    expect(stderr).toContain(`Hookwarden is running: http://127.0.0.1:${port}/graphql`);
    // The service itself, as a process manager would signal it; npm and its shell pass its exit code on.
    const group = execFileSync('pgrep', ['-g', String(child.pid)]).toString().trim().split('\n').map(Number);
    // A short-lived member of the group (a shell, npm's helpers) may be gone by the time it is read.
    const argv = (pid: number): string[] => {
      try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      } catch {
        return [];
      }
    };
    const service = group.find((pid) => argv(pid).includes('dist/main.mjs') && path.basename(argv(pid)[0]) === 'node')!;
    expect(argv(service)).toEqual(expect.arrayContaining([...SERVICE_NODE_FLAGS, 'dist/main.mjs']));
    process.kill(service, 'SIGTERM');
    expect(await exited).toBe(0);
  } finally {
    if (child.exitCode === null) process.kill(-child.pid!, 'SIGKILL');
  }
}, 90_000);
