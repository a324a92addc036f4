// Assembling a running Hookwarden: database (migrated), keys, pub/sub, dispatcher, HTTP server.
// main.ts, the CLI and the tests all start it from here.
import { formatContext, NO_HANDOFF, SILENT_OBSERVER, type App, type Handoff } from './app.ts';
import type { Config } from './config.ts';
import { openDatabase, type Database } from './db/client.ts';
import { migrate } from './db/migrate.ts';
import { createQueue } from './db/queue.ts';
import { createDispatcher, type Dispatcher } from './delivery/dispatcher.ts';
import { createThreadedSender } from './delivery/threaded-sender.ts';
import { createCipher, loadKey } from './domain/secrets.ts';
import { createLogger, type Logger } from './log.ts';
import { createInMemoryPubSub, createRedisPubSub } from './pubsub.ts';
import { connectWakeups } from './db/wakeups.ts';
import { createMetrics } from './observability/metrics.ts';
import { startServer, type RunningServer } from './server.ts';

export interface OpenedApp {
  app: App;
  /** Where app.wakeDispatcher() and app.handoff go; nowhere until a dispatcher is connected. */
  connectDispatcher(wake: () => void, handoff: Handoff): void;
  close(): Promise<void>;
}

/** Migrates and opens the database and builds the shared services; no server, no dispatcher. */
export async function openApp(config: Config, log: Logger = createLogger(config.logLevel)): Promise<OpenedApp> {
  const applied = await migrate(config.databaseUrl);
  if (applied.length) log.info({ migrations: applied }, 'applied database migrations');
  const db: Database = await openDatabase(config.databaseUrl);
  const { key, source } = loadKey(config.encryptionKey, config.keyFile);
  if (source !== 'environment') {
    log.warn(
      { keyFile: config.keyFile },
      `webhook secrets are encrypted with a ${source === 'generated' ? 'newly generated' : 'development'} key file; set HOOKWARDEN_ENCRYPTION_KEY in production`,
    );
  }
  let wake = () => {};
  let handoff = NO_HANDOFF;
  const app: App = {
    config,
    db,
    cipher: createCipher(key),
    log,
    pubsub: config.redis ? createRedisPubSub(config.redis.url, config.redis.prefix) : createInMemoryPubSub(),
    wakeDispatcher: () => wake(),
    handoff: { reserve: (deliveries) => handoff.reserve(deliveries), changed: (webhookId) => handoff.changed(webhookId) },
    format: formatContext(),
    observer: SILENT_OBSERVER,
  };
  return {
    app,
    connectDispatcher: (connectedWake, connectedHandoff) => {
      wake = connectedWake;
      handoff = connectedHandoff;
    },
    async close() {
      await app.pubsub.close();
      await db.close();
    },
  };
}

export interface Service {
  app: App;
  url: string;
  dispatcher: Dispatcher;
  http: RunningServer;
  /** Stops taking connections and claiming work, answers requests under way, finishes or releases attempts in flight, closes the database. */
  stop(): Promise<void>;
}

export async function startService(config: Config, log?: Logger): Promise<Service> {
  const opened = await openApp(config, log);
  const { app } = opened;
  // The dispatcher reports to the metrics served at /metrics (openApp alone, as the CLI uses it, stays silent).
  const metrics = createMetrics(app.db, { onError: (error) => app.log.error({ err: error }, 'reading the queue for metrics failed') });
  app.observer = metrics.observer;
  const sender = createThreadedSender({
    allowInsecureTargets: config.allowInsecureTargets,
    checkpoints: app.db.backgroundCheckpoints,
    onCheckpointsStopped: (error) =>
      app.log.error({ err: error }, 'the sender thread stopped checkpointing SQLite; commits checkpoint the log themselves until a new thread does'),
  });
  const dispatcher = createDispatcher(app, createQueue(app.db), sender);
  const wakeups = await connectWakeups(app.db, dispatcher.wake, (error) => app.log.error({ err: error }, 'wake-up channel failed'));
  opened.connectDispatcher(wakeups.notify, dispatcher);
  dispatcher.start();
  const http = await startServer(app, config.port, config.host, metrics);
  let stopping: Promise<void> | null = null;
  return {
    app,
    url: http.url,
    dispatcher,
    http,
    stop() {
      stopping ??= (async () => {
        await http.close();
        await dispatcher.stop();
        await wakeups.close();
        await opened.close();
      })();
      return stopping;
    },
  };
}
