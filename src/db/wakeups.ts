// Telling every instance's dispatcher that new deliveries were committed. In one process that is a
// function call; across instances on PostgreSQL it is LISTEN/NOTIFY, so a delivery created on a
// busy instance is sent at once by an idle one. (SQLite instances are one machine's processes;
// they rely on the poll interval for each other's work.)
import pg from 'pg';
import type { Database } from './client.ts';

const CHANNEL = 'hookwarden_deliveries';
const NOTIFY = `SELECT pg_notify('${CHANNEL}', '')`;

export interface Wakeups {
  /** After a commit that created deliveries: wake this process and, on PostgreSQL, the others. */
  notify(): void;
  close(): Promise<void>;
}

/** For a process without a dispatcher (the CLI): tells the instances on PostgreSQL that new deliveries were committed. */
export async function notifyInstances(db: Database): Promise<void> {
  if (db.provider === 'postgresql') await db.sql.query(NOTIFY);
}

export async function connectWakeups(db: Database, onWake: () => void, onError: (error: unknown) => void): Promise<Wakeups> {
  if (db.provider === 'sqlite') return { notify: onWake, close: async () => {} };
  const listener = new pg.Client({ connectionString: db.url });
  listener.on('notification', () => onWake());
  listener.on('error', onError);
  await listener.connect();
  await listener.query(`LISTEN ${CHANNEL}`);
  // One NOTIFY in flight at a time; commits meanwhile ask for one more, not one each.
  let sending = false;
  let again = false;
  async function send(): Promise<void> {
    sending = true;
    do {
      again = false;
      try {
        await db.sql.query(NOTIFY);
      } catch (error) {
        onError(error);
      }
    } while (again);
    sending = false;
  }
  return {
    notify() {
      onWake();
      if (sending) again = true;
      else void send();
    },
    async close() {
      await listener.end();
    },
  };
}
