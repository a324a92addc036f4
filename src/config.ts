// Every environment variable Hookwarden reads, parsed and validated once.
import path from 'node:path';
import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0', ''])
  .transform((value) => value === 'true' || value === '1');

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().default('0.0.0.0'),
  DATABASE_URL: z.string().default('file:./data/hookwarden.db'),
  REDIS_URL: z.string().url().optional(),
  HOOKWARDEN_REDIS_PREFIX: z.string().default('hookwarden:'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  HOOKWARDEN_ALLOW_INSECURE_TARGETS: bool.default(false),
  HOOKWARDEN_ENCRYPTION_KEY: z.string().optional(),
  HOOKWARDEN_KEY_FILE: z.string().optional(),
  HOOKWARDEN_RETRY_BASE_MS: z.coerce.number().int().min(1).default(5_000),
  HOOKWARDEN_RETRY_MAX_MS: z.coerce.number().int().min(1).default(4 * 60 * 60 * 1000),
  HOOKWARDEN_CIRCUIT_BREAKER_THRESHOLD: z.coerce.number().int().min(1).default(20),
  HOOKWARDEN_CONCURRENCY: z.coerce.number().int().min(1).max(1024).default(64),
  HOOKWARDEN_WEBHOOK_CONCURRENCY: z.coerce.number().int().min(1).max(1024).default(8),
  HOOKWARDEN_POLL_INTERVAL_MS: z.coerce.number().int().min(10).default(1_000),
  HOOKWARDEN_LEASE_MARGIN_MS: z.coerce.number().int().min(1_000).default(10_000),
  HOOKWARDEN_RATE_LIMIT_MUTATIONS_PER_MINUTE: z.coerce.number().int().min(0).default(0),
  HOOKWARDEN_GRAPHIQL: bool.default(true),
  HOOKWARDEN_INTROSPECTION: bool.default(true),
});

export interface Config {
  port: number;
  host: string;
  databaseUrl: string;
  /** Pub/sub across instances; in memory when absent. */
  redis: { url: string; prefix: string } | null;
  logLevel: z.infer<typeof schema>['LOG_LEVEL'];
  /** Lifts the https-only rule and the SSRF guard: development and tests only. */
  allowInsecureTargets: boolean;
  encryptionKey: string | undefined;
  /** Where the generated development key lives when HOOKWARDEN_ENCRYPTION_KEY is not set. */
  keyFile: string;
  retry: { baseMs: number; maxMs: number };
  breakerThreshold: number;
  dispatch: { concurrency: number; perWebhook: number; pollIntervalMs: number; leaseMarginMs: number };
  graphiql: boolean;
  introspection: boolean;
  /** Mutations per API user per minute; 0 is no limit. */
  rateLimitPerMinute: number;
}

/** The folder next to the SQLite file, or ./data for a server database. */
function dataDir(databaseUrl: string): string {
  if (databaseUrl.startsWith('file:')) return path.dirname(path.resolve(databaseUrl.slice('file:'.length)));
  return path.resolve('data');
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`invalid configuration: ${problems.join('; ')}`);
  }
  const e = parsed.data;
  if (e.HOOKWARDEN_RETRY_MAX_MS < e.HOOKWARDEN_RETRY_BASE_MS) {
    throw new Error('invalid configuration: HOOKWARDEN_RETRY_MAX_MS must be at least HOOKWARDEN_RETRY_BASE_MS');
  }
  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    redis: e.REDIS_URL ? { url: e.REDIS_URL, prefix: e.HOOKWARDEN_REDIS_PREFIX } : null,
    logLevel: e.LOG_LEVEL,
    allowInsecureTargets: e.HOOKWARDEN_ALLOW_INSECURE_TARGETS,
    encryptionKey: e.HOOKWARDEN_ENCRYPTION_KEY,
    keyFile: e.HOOKWARDEN_KEY_FILE ?? path.join(dataDir(e.DATABASE_URL), 'encryption.key'),
    retry: { baseMs: e.HOOKWARDEN_RETRY_BASE_MS, maxMs: e.HOOKWARDEN_RETRY_MAX_MS },
    breakerThreshold: e.HOOKWARDEN_CIRCUIT_BREAKER_THRESHOLD,
    dispatch: {
      concurrency: e.HOOKWARDEN_CONCURRENCY,
      perWebhook: e.HOOKWARDEN_WEBHOOK_CONCURRENCY,
      pollIntervalMs: e.HOOKWARDEN_POLL_INTERVAL_MS,
      leaseMarginMs: e.HOOKWARDEN_LEASE_MARGIN_MS,
    },
    graphiql: e.HOOKWARDEN_GRAPHIQL,
    introspection: e.HOOKWARDEN_INTROSPECTION,
    rateLimitPerMinute: e.HOOKWARDEN_RATE_LIMIT_MUTATIONS_PER_MINUTE,
  };
}
