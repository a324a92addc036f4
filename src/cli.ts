// The operator's command line: `npm run cli -- <command> [options]`. A command's result goes to
// stdout (bootstrap and token create print the token alone); help, progress and errors go to stderr.
// Exit codes: 0 done, 1 failed (nothing found, a rule refused it), 2 the command line was wrong.
//
// Commands act as an admin of the organization concerned (the oldest ADMIN user) through the same
// domain functions as the API, so the same rules apply and the audit log names that admin.
//
// The domain, the database and the service load only once the command line is checked (dynamic
// imports below): --help and mistakes answer at once.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { App } from './app.ts';
import { ROLES, type Actor, type Role } from './domain/access.ts';
import { isUserError } from './errors.ts';

/** The command line was wrong: exit 2 with the command's usage. */
class UsageError extends Error {}
/** The command could not be done: exit 1 with the message. */
class CommandError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>;
type Values = Record<string, string | boolean | string[] | undefined>;

interface Command<Input = unknown> {
  /** One or two words: "bootstrap", "webhooks list". */
  name: string;
  usage: string;
  description: string;
  options: Options;
  /** The command line's values, checked before the database is opened; UsageError when wrong. */
  check(values: Values): Input | Promise<Input>;
  run(app: App, input: Input): Promise<void>;
}

const command = <Input>(definition: Command<Input>) => definition as Command;

const DATABASE_NOTE = 'The database is DATABASE_URL (default file:./data/hookwarden.db), as for npm start.';

const out = (line: string): void => void process.stdout.write(`${line}\n`);
const note = (line: string): void => void process.stderr.write(`${line}\n`);

function required(values: Values, name: string, what: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value.trim() === '') throw new UsageError(`--${name} <${what}> is required`);
  return value.trim();
}

async function organizationNamed(app: App, name: string): Promise<string> {
  const org = await app.db.prisma.organization.findUnique({ where: { name }, select: { id: true } });
  if (!org) throw new CommandError(`no organization named "${name}" (bootstrap creates one)`);
  return org.id;
}

/** The organization's oldest admin, as the actor of the command. */
async function adminOf(app: App, organizationId: string): Promise<Actor> {
  const admin = await app.db.prisma.user.findFirst({ where: { organizationId, role: 'ADMIN' }, orderBy: { id: 'asc' }, select: { id: true } });
  if (!admin) throw new CommandError('the organization has no ADMIN user to act as (bootstrap creates one)');
  return { userId: admin.id, organizationId, role: 'ADMIN' };
}

async function organizationOfWebhook(app: App, id: string): Promise<string> {
  const webhook = await app.db.prisma.webhook.findUnique({ where: { id }, select: { organizationId: true } });
  if (!webhook) throw new CommandError(`webhook ${id} not found`);
  return webhook.organizationId;
}

/** Left-aligned columns, separated by at least two spaces. */
function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i].length)));
  for (const row of [header, ...rows]) out(row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ').trimEnd());
}

const COMMANDS: Command[] = [
  command({
    name: 'bootstrap',
    usage: 'bootstrap --org <name> --email <address>',
    description:
      'Creates the organization and its admin user (or reuses them) and prints a new admin API token on\nstdout, alone. The token is shown once; it is stored hashed.',
    options: { org: { type: 'string' }, email: { type: 'string' } },
    check: (values) => ({ org: required(values, 'org', 'name'), email: required(values, 'email', 'address') }),
    async run(app, { org, email }) {
      const { bootstrap } = await import('./domain/accounts.ts');
      out(await bootstrap(app, org, email));
    },
  }),
  command({
    name: 'token create',
    usage: 'token create --org <name> --name <name> --role ADMIN|MEMBER|VIEWER',
    description: 'Creates an API user of the organization with that role and prints its token on stdout, alone (shown once).',
    options: { org: { type: 'string' }, name: { type: 'string' }, role: { type: 'string' } },
    check(values) {
      const role = required(values, 'role', 'role').toUpperCase();
      if (!ROLES.includes(role as Role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
      return { org: required(values, 'org', 'name'), name: required(values, 'name', 'name'), role: role as Role };
    },
    async run(app, { org, name, role }) {
      const { createApiToken } = await import('./domain/accounts.ts');
      const actor = await adminOf(app, await organizationNamed(app, org));
      out((await createApiToken(app, actor, name, role)).token);
    },
  }),
  command({
    name: 'webhooks list',
    usage: 'webhooks list --org <name>',
    description: "Lists the organization's webhooks, newest first: id, name, enabled, why it was disabled, url.",
    options: { org: { type: 'string' } },
    check: (values) => ({ org: required(values, 'org', 'name') }),
    async run(app, { org }) {
      const organizationId = await organizationNamed(app, org);
      const webhooks = await app.db.prisma.webhook.findMany({
        where: { organizationId, deletedAt: null },
        orderBy: { id: 'desc' },
        select: { id: true, name: true, enabled: true, disabledReason: true, url: true },
      });
      if (webhooks.length === 0) return note('no webhooks');
      printTable(
        ['ID', 'NAME', 'ENABLED', 'DISABLED REASON', 'URL'],
        webhooks.map((w) => [w.id, w.name, w.enabled ? 'yes' : 'no', w.disabledReason ?? '-', w.url]),
      );
    },
  }),
  command({
    name: 'webhooks enable',
    usage: 'webhooks enable --webhook <id>',
    description:
      'Enables a webhook again, typically one the circuit breaker or a 410 Gone disabled; its count of\nconsecutive failures starts again from 0.',
    options: { webhook: { type: 'string' } },
    check: (values) => ({ id: required(values, 'webhook', 'id') }),
    async run(app, { id }) {
      const actor = await adminOf(app, await organizationOfWebhook(app, id));
      const before = await app.db.prisma.webhook.findUniqueOrThrow({ where: { id }, select: { enabled: true, disabledReason: true } });
      if (before.enabled) return out(`${id} is already enabled`);
      const { updateWebhook } = await import('./domain/webhooks.ts');
      await updateWebhook(app, actor, id, { enabled: true });
      out(`${id} enabled${before.disabledReason ? ` (it was disabled: ${before.disabledReason})` : ''}`);
    },
  }),
  command({
    name: 'deliveries list',
    usage: 'deliveries list --webhook <id> [--status PENDING|RETRYING|SUCCEEDED|FAILED|CANCELLED] [--limit <n>]',
    description: "Lists the webhook's deliveries, newest first (20 unless --limit, at most 1000), with the last attempt's error.",
    options: { webhook: { type: 'string' }, status: { type: 'string' }, limit: { type: 'string' } },
    async check(values) {
      const { DELIVERY_STATUSES } = await import('./domain/console.ts');
      const status = typeof values.status === 'string' ? values.status.toUpperCase() : null;
      if (status !== null && !(DELIVERY_STATUSES as readonly string[]).includes(status)) {
        throw new UsageError(`--status must be one of ${DELIVERY_STATUSES.join(', ')}`);
      }
      const limit = values.limit === undefined ? 20 : Number(values.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new UsageError('--limit must be a whole number from 1 to 1000');
      return { webhookId: required(values, 'webhook', 'id'), status, limit };
    },
    async run(app, { webhookId, status, limit }) {
      const { findDeliveryLog } = await import('./domain/console.ts');
      const actor = await adminOf(app, await organizationOfWebhook(app, webhookId));
      const deliveries = await findDeliveryLog(app, actor, { webhookId, status }, { take: limit, before: null });
      const attempts = await app.db.prisma.deliveryAttempt.findMany({
        where: { deliveryId: { in: deliveries.map((d) => d.id) } },
        orderBy: { number: 'desc' },
        select: { deliveryId: true, statusCode: true, error: true },
      });
      const last = new Map<string, { statusCode: number | null; error: string | null }>();
      for (const attempt of attempts) if (!last.has(attempt.deliveryId)) last.set(attempt.deliveryId, attempt);
      if (deliveries.length === 0) return note('no deliveries');
      printTable(
        ['ID', 'STATUS', 'EVENT', 'ATTEMPTS', 'CREATED', 'LAST ERROR'],
        deliveries.map((d) => {
          const attempt = last.get(d.id);
          const answered = attempt?.statusCode != null && (attempt.statusCode < 200 || attempt.statusCode > 299) ? `HTTP ${attempt.statusCode}` : null;
          return [d.id, d.status, d.eventType, String(d.attemptCount), d.createdAt.toISOString(), attempt?.error ?? answered ?? '-'];
        }),
      );
    },
  }),
  command({
    name: 'redeliver',
    usage: 'redeliver --delivery <id> [--delivery <id> …]',
    description:
      'Queues each delivery again, as a new delivery of the same event (the same webhook-id) to the same\nwebhook, and prints the new delivery ids. The running service sends them.',
    options: { delivery: { type: 'string', multiple: true } },
    check(values) {
      const ids = ((values.delivery as string[] | undefined) ?? []).map((id) => id.trim()).filter(Boolean);
      if (ids.length === 0) throw new UsageError('--delivery <id> is required');
      return { ids };
    },
    async run(app, { ids }) {
      const { redeliver } = await import('./domain/webhooks.ts');
      let failed = 0;
      for (const [i, id] of ids.entries()) {
        try {
          const delivery = await app.db.prisma.delivery.findUnique({ where: { id }, select: { organizationId: true } });
          if (!delivery) throw new CommandError(`delivery ${id} not found`);
          out(await redeliver(app, await adminOf(app, delivery.organizationId), id, async (created) => created));
        } catch (error) {
          if (ids.length === 1) throw error;
          failed += 1;
          note(`${id}: ${(error as Error).message}`);
        }
        if (ids.length > 1) note(`redeliver: ${i + 1}/${ids.length} done${failed ? `, ${failed} failed` : ''}`);
      }
      if (failed) throw new CommandError(`${failed} of ${ids.length} deliveries were not queued again`);
    },
  }),
];

const GROUPS = [...new Set(COMMANDS.filter((c) => c.name.includes(' ')).map((c) => c.name.split(' ')[0]))];

const HELP = `Usage: npm run cli -- <command> [options]

Commands:
${COMMANDS.map((c) => `  ${c.usage}\n      ${c.description.split('\n').join('\n      ')}`).join('\n')}

Options:
  -h, --help    Show this help, or a command's (npm run cli -- webhooks list --help).

${DATABASE_NOTE}`;

const commandHelp = (command: Command) => `Usage: npm run cli -- ${command.usage}\n\n${command.description}\n\n${DATABASE_NOTE}`;

const groupHelp = (group: string) =>
  `Usage: npm run cli -- ${group} <command> [options]\n\nCommands:\n${COMMANDS.filter((c) => c.name.startsWith(`${group} `))
    .map((c) => `  ${c.usage}`)
    .join('\n')}`;

const isHelp = (arg: string | undefined) => arg === '-h' || arg === '--help' || arg === 'help';

async function main(argv: string[]): Promise<number> {
  const [first, second] = argv;
  if (!first || isHelp(first)) {
    note(HELP);
    return first ? 0 : 2;
  }
  if (GROUPS.includes(first) && (!second || isHelp(second))) {
    note(groupHelp(first));
    return second ? 0 : 2;
  }
  const command = COMMANDS.find((c) => c.name === first) ?? COMMANDS.find((c) => c.name === `${first} ${second}`);
  if (!command) {
    const name = GROUPS.includes(first) ? `${first} ${second}` : first;
    note(`unknown command "${name}"\n\n${GROUPS.includes(first) ? groupHelp(first) : HELP}`);
    return 2;
  }
  const rest = argv.slice(command.name.split(' ').length);
  let values: Values;
  try {
    values = parseArgs({ args: rest, options: { ...command.options, help: { type: 'boolean', short: 'h' } }, strict: true }).values;
  } catch (error) {
    note(`${(error as Error).message}\n\n${commandHelp(command)}`);
    return 2;
  }
  if (values.help) {
    note(commandHelp(command));
    return 0;
  }
  let input: unknown;
  try {
    input = await command.check(values);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    note(`${error.message}\n\n${commandHelp(command)}`);
    return 2;
  }
  const [{ loadConfig }, { createLogger }, { openApp }] = await Promise.all([import('./config.ts'), import('./log.ts'), import('./service.ts')]);
  const config = loadConfig();
  // Logs go to stderr so that stdout carries the command's result alone.
  const log = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, 2);
  const opened = await openApp(config, log);
  // Deliveries a command queues (redeliver) are sent by the running service: on PostgreSQL it is
  // told at once, as by another instance; on SQLite it finds them at its next poll.
  const notified: Array<Promise<void>> = [];
  const [{ notifyInstances }, { NO_HANDOFF }] = await Promise.all([import('./db/wakeups.ts'), import('./app.ts')]);
  opened.connectDispatcher(
    () => void notified.push(notifyInstances(opened.app.db).catch((error) => log.warn({ err: error }, 'could not tell the running service'))),
    NO_HANDOFF,
  );
  try {
    await command.run(opened.app, input);
    await Promise.all(notified);
    return 0;
  } catch (error) {
    if (error instanceof CommandError || isUserError(error)) {
      note(`error: ${error.message}`);
      return 1;
    }
    throw error;
  } finally {
    await opened.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`error: ${error.message}\n`);
    process.exit(1);
  },
);
