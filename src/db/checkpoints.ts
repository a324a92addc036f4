// SQLite checkpoints on a thread of their own. In WAL mode a commit appends the pages it changed to
// the log; a checkpoint copies the log back into the database file and syncs it. Left to SQLite,
// the commit that takes the log past 1,000 pages runs the checkpoint itself: tens of milliseconds
// in which the service's one thread does nothing else, every few thousand deliveries (a latency
// spike, and close to a tenth of a busy dispatcher's time). Here a second connection, on a worker
// thread, checkpoints every INTERVAL_MS without blocking anyone (PASSIVE), so commits only append.
//
// A passive checkpoint copies what was committed when it began; the log starts over only when it
// caught up and the next write begins. Under writes that never pause it may not catch up, so past
// MAX_LOG_PAGES the thread checkpoints with RESTART, which waits for the writer in hand and makes
// the next write start the log over: one pause like SQLite's own, and rare.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type BetterSqlite3 from 'better-sqlite3';

const INTERVAL_MS = 50;
/** 64 MiB of 4 KiB pages. */
const MAX_LOG_PAGES = 16_384;
/** SQLite's default, for the connection that checkpoints as it commits again. */
const AUTOCHECKPOINT_PAGES = 1_000;

// Plain JavaScript, evaluated by the worker: it runs the same from src/ (tsx, vitest) and from the
// bundle in dist/, without a loader or a second bundle entry.
const THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { timeout: 30000 });
db.pragma('synchronous = NORMAL');
function checkpoint() {
  const [{ log }] = db.pragma('wal_checkpoint(PASSIVE)');
  if (log > workerData.maxLogPages) db.pragma('wal_checkpoint(RESTART)');
}
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.once('message', () => {
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.close();
});
`;

export interface Checkpoints {
  stop(): Promise<void>;
}

/**
 * Turns the connection's own checkpoints off and starts the thread. If the thread fails, the
 * connection checkpoints as it commits again, and onError hears why.
 */
export function checkpointInBackground(connection: BetterSqlite3.Database, file: string, onError: (error: unknown) => void): Checkpoints {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  connection.pragma('wal_autocheckpoint = 0');
  const thread = new Worker(THREAD, { eval: true, workerData: { file, driver, intervalMs: INTERVAL_MS, maxLogPages: MAX_LOG_PAGES } });
  // The connection's owner decides when the process ends, not this thread.
  thread.unref();
  let stopping = false;
  const exited = new Promise<void>((resolve) => thread.once('exit', () => resolve()));
  thread.once('error', (error) => {
    if (connection.open) connection.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
    if (!stopping) onError(error);
  });
  return {
    async stop() {
      if (stopping) return exited;
      stopping = true;
      // Held while it finishes: waiting on an unreferenced thread alone would let the process end.
      thread.ref();
      thread.postMessage('stop');
      await exited;
    },
  };
}
