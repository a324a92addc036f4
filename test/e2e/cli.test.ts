// The operator's CLI as a real child process: stdout carries the token alone, everything else stderr.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { startService, type Service } from '../../src/service.ts';
import { graphqlClient } from '../support/graphql.ts';
import { tempDir } from '../support/service.ts';

const REPO = path.resolve(import.meta.dirname, '../..');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment of a fresh operator shell: none of Hookwarden's variables but DATABASE_URL. */
function cleanEnv(databaseUrl: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (name === 'LOG_LEVEL' || name === 'DATABASE_URL' || name === 'PORT' || name === 'HOST' || name.startsWith('HOOKWARDEN_')) continue;
    if (name.startsWith('VITEST') || name === 'NODE_ENV' || name === 'TEST') continue;
    env[name] = value;
  }
  env.DATABASE_URL = databaseUrl;
  return env;
}

function cli(args: string[], databaseUrl: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile('npx', ['tsx', 'src/cli.ts', ...args], { cwd: REPO, env: cleanEnv(databaseUrl), timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error ? ((error as { code?: unknown }).code as number | null) : 0;
      resolve({ code: typeof code === 'number' ? code : null, stdout, stderr });
    });
  });
}

const VIEWER = '{ viewer { organization { id name } user { id email role } } }';

describe('hookwarden cli', () => {
  let dir: string;
  let databaseUrl: string;
  let first: Run;
  let second: Run;
  let missingEmail: Run;
  let help: Run;
  let unknownCommand: Run;
  let noCommand: Run;
  let service: Service | undefined;

  // Each run is a cold start of tsx and the app's modules: run the independent ones side by side.
  beforeAll(async () => {
    dir = tempDir('hookwarden-cli-');
    databaseUrl = `file:${path.join(dir, 'db')}`;
    await Promise.all([
      (async () => {
        first = await cli(['bootstrap', '--org', 'X', '--email', 'a@x.test'], databaseUrl);
        second = await cli(['bootstrap', '--org', 'X', '--email', 'a@x.test'], databaseUrl);
      })(),
      (async () => (missingEmail = await cli(['bootstrap', '--org', 'Y'], `file:${path.join(dir, 'other.db')}`)))(),
      (async () => (help = await cli(['--help'], databaseUrl)))(),
      (async () => (unknownCommand = await cli(['frobnicate'], databaseUrl)))(),
      (async () => (noCommand = await cli([], databaseUrl)))(),
    ]);
  }, 90_000);

  afterAll(async () => {
    await service?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('bootstrap prints exactly one line on stdout: the token, nothing else', () => {
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^hw_[A-Za-z0-9_-]{43}\n$/);
    expect(first.stdout.split('\n')).toHaveLength(2);
  });

  it('a second bootstrap also prints only a token, a different one', () => {
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/^hw_[A-Za-z0-9_-]{43}\n$/);
    expect(second.stdout).not.toBe(first.stdout);
  });

  it('uses the DATABASE_URL it was given, with the development key file beside it (mode 0600)', () => {
    expect(fs.existsSync(path.join(dir, 'db'))).toBe(true);
    const keyFile = path.join(dir, 'encryption.key');
    expect(fs.existsSync(keyFile)).toBe(true);
    expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
  });

  it('both tokens work, and the second run reused the organization and its admin', async () => {
    const config = loadConfig({ DATABASE_URL: databaseUrl, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' });
    service = await startService(config);
    const a = await graphqlClient(`${service.url}`, first.stdout.trim()).must(VIEWER);
    const b = await graphqlClient(`${service.url}`, second.stdout.trim()).must(VIEWER);
    expect(a.viewer.organization.name).toBe('X');
    expect(a.viewer.user).toMatchObject({ email: 'a@x.test', role: 'ADMIN' });
    expect(b.viewer.organization.id).toBe(a.viewer.organization.id);
    expect(b.viewer.user.id).toBe(a.viewer.user.id);
    const organizations = await service.app.db.prisma.organization.count();
    expect(organizations).toBe(1);
    const unknown = await graphqlClient(`${service.url}`, 'hw_not-a-real-token').query(VIEWER);
    expect(unknown.data?.viewer ?? null).toBeNull();
  });

  it('missing --email → non-zero exit, a message on stderr, nothing on stdout', () => {
    const run = missingEmail;
    expect(run.code).not.toBe(0);
    expect(run.code).not.toBeNull();
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/--email/);
  });

  it('--help → exit 0, usage on stderr, nothing on stdout', () => {
    const run = help;
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^Usage:/);
    expect(run.stderr).toContain('bootstrap --org <name> --email <address>');
  });

  it('an unknown command → non-zero exit, naming the command on stderr', () => {
    const run = unknownCommand;
    expect(run.code).not.toBe(0);
    expect(run.code).not.toBeNull();
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('unknown command "frobnicate"');
  });

  it('no command at all → non-zero exit with the usage', () => {
    const run = noCommand;
    expect(run.code).not.toBe(0);
    expect(run.code).not.toBeNull();
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^Usage:/);
  });
});
