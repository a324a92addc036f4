// Start-up only: configuration, the service, and a clean stop on SIGTERM/SIGINT.
import { loadConfig } from './config.ts';
import { createLogger } from './log.ts';
import { startService } from './service.ts';

const config = loadConfig();
const log = createLogger(config.logLevel);
const service = await startService(config, log);
log.info({ url: service.url, database: service.app.db.describe }, 'Hookwarden is listening');
process.stderr.write(
  [
    '',
    `  Hookwarden is running: ${service.url} (GraphiQL in a browser${config.graphiql ? '' : ': disabled'})`,
    `  Database: ${service.app.db.describe}`,
    `  Operations: ${new URL('/healthz', service.url)} · /readyz · /metrics (Prometheus)`,
    '  Get an admin token: npm run cli -- bootstrap --org "Acme" --email admin@acme.test',
    '',
  ].join('\n') + '\n',
);

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'stopping: no new work; finishing attempts in flight');
  try {
    await service.stop();
    log.info('stopped cleanly');
    process.exit(0);
  } catch (error) {
    log.error({ err: error }, 'error while stopping');
    process.exit(1);
  }
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
