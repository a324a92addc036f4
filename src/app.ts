// What the GraphQL layer, the domain and the dispatcher share in one running process.
import os from 'node:os';
import type { Config } from './config.ts';
import type { Database } from './db/client.ts';
import type { AttemptRecord, ClaimedDelivery, CompletionOutcome } from './db/queue.ts';
import type { FormatContext } from './delivery/formats/types.ts';
import type { Cipher } from './domain/secrets.ts';
import type { Logger } from './log.ts';
import type { PubSub } from './pubsub.ts';

export const VERSION = '0.1.0';
export const USER_AGENT = `Hookwarden/${VERSION}`;

/**
 * What the dispatcher reports as it works, for metrics. Called on the delivery path: implementations
 * must be cheap and must not throw.
 */
export interface DeliveryObserver {
  /** An attempt finished (its result is not written yet). */
  attempted(attempt: AttemptRecord): void;
  /** A batch of attempts was written: the deliveries' new statuses and the webhooks that changed. */
  recorded(outcome: CompletionOutcome): void;
}

/**
 * Room this process's dispatcher promises to deliveries about to be written, so that they are
 * written leased to it and sent as soon as they are committed, with no claim in between.
 */
export interface Handoff {
  /** Which of these deliveries (their webhooks and body sizes, in order) it takes; null when it takes none. */
  reserve(deliveries: ReadonlyArray<{ webhookId: string; bytes: number }>): Reservation | null;
  /**
   * The webhook was changed, disabled or deleted here (after the commit): deliveries of it that
   * wait here for a slot are checked against it again before they are sent.
   */
  changed(webhookId: string): void;
}

export interface Reservation {
  /** For each delivery of the request: written leased to this process (true) or PENDING for any claim. */
  readonly taken: readonly boolean[];
  /**
   * The taken deliveries were committed: send them. A reservation never started (the write
   * failed) lapses by itself; its deliveries, if they were written after all, wait out their lease.
   */
  start(deliveries: readonly ClaimedDelivery[]): void;
}

export const NO_HANDOFF: Handoff = { reserve: () => null, changed: () => {} };

export const SILENT_OBSERVER: DeliveryObserver = { attempted: () => {}, recorded: () => {} };

export interface App {
  config: Config;
  db: Database;
  cipher: Cipher;
  log: Logger;
  pubsub: PubSub;
  /** Tells the dispatcher that deliveries were committed and are due now. */
  wakeDispatcher(): void;
  handoff: Handoff;
  format: FormatContext;
  observer: DeliveryObserver;
}

export function formatContext(): FormatContext {
  return { version: VERSION, hostname: os.hostname() };
}
