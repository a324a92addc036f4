// What the GraphQL layer, the domain and the dispatcher share in one running process.
import os from 'node:os';
import type { Config } from './config.ts';
import type { Database } from './db/client.ts';
import type { FormatContext } from './delivery/formats/types.ts';
import type { Cipher } from './domain/secrets.ts';
import type { Logger } from './log.ts';
import type { PubSub } from './pubsub.ts';

export const VERSION = '0.1.0';
export const USER_AGENT = `Hookwarden/${VERSION}`;

export interface App {
  config: Config;
  db: Database;
  cipher: Cipher;
  log: Logger;
  pubsub: PubSub;
  /** Tells the dispatcher that deliveries were committed and are due now. */
  wakeDispatcher(): void;
  format: FormatContext;
}

export function formatContext(): FormatContext {
  return { version: VERSION, hostname: os.hostname() };
}
