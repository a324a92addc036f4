// The operator's command line: `npm run cli -- <command> [options]`. Output meant for scripts goes
// to stdout (bootstrap prints the token alone); everything else goes to stderr.
import { parseArgs } from 'node:util';
import { loadConfig } from './config.ts';
import { bootstrap } from './domain/accounts.ts';
import { createLogger } from './log.ts';
import { openApp } from './service.ts';

const HELP = `Usage: npm run cli -- <command> [options]

Commands:
  bootstrap --org <name> --email <address>
      Creates the organization and its admin user (or reuses them) and prints a new admin API
      token on stdout, alone. The token is shown once; it is stored hashed.

Options:
  -h, --help    Show this help.

The database is DATABASE_URL (default file:./data/hookwarden.db), as for npm start.`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '-h' || command === '--help' || command === 'help') {
    process.stderr.write(`${HELP}\n`);
    return command ? 0 : 2;
  }
  if (command !== 'bootstrap') {
    process.stderr.write(`unknown command "${command}"\n\n${HELP}\n`);
    return 2;
  }
  const { values } = parseArgs({ args: rest, options: { org: { type: 'string' }, email: { type: 'string' } }, strict: true });
  if (!values.org || !values.email) {
    process.stderr.write('bootstrap needs --org <name> and --email <address>\n');
    return 2;
  }
  const config = loadConfig();
  // Logs go to stderr so that stdout carries the token alone.
  const log = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, 2);
  const opened = await openApp(config, log);
  try {
    const token = await bootstrap(opened.app, values.org, values.email);
    process.stdout.write(`${token}\n`);
    return 0;
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
