// SQLite checkpoints on a thread of their own. In WAL mode a commit appends the pages it changed to
// the log; a checkpoint copies the log back into the database file and syncs it. Left to SQLite,
// the commit that takes the log past 1,000 pages runs the checkpoint itself: tens of milliseconds
// in which the service's one thread does nothing else, every few thousand deliveries (a latency
// spike, and close to a tenth of a busy dispatcher's time). Here a second connection, on a worker
// thread, checkpoints every INTERVAL_MS without blocking anyone (PASSIVE), so commits only append.
//
// A passive checkpoint copies what was committed when it began; the log starts over at the next
// write only once it has all been copied, which under writes that never pause does not happen
// (and a writer faster than the copy would outgrow it). So the connection still checkpoints
// itself past MAX_LOG_PAGES: between two of its own commits, where it completes, the log starts
// over, and a writer that outpaces the thread is held back as SQLite holds it back by default.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type BetterSqlite3 from 'better-sqlite3';

const INTERVAL_MS = 50;
/** 64 MiB of 4 KiB pages: past this the connection checkpoints as it commits. */
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
const checkpoint = () => db.pragma('wal_checkpoint(PASSIVE)');
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
 * Leaves the connection its own checkpoints past MAX_LOG_PAGES only, and starts the thread. If the
 * thread fails, the connection checkpoints as SQLite's default has it again, and onError hears why.
 */
export function checkpointInBackground(
  connection: BetterSqlite3.Database,
  file: string,
  onError: (error: unknown) => void,
  maxLogPages = MAX_LOG_PAGES,
): Checkpoints {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  connection.pragma(`wal_autocheckpoint = ${maxLogPages}`);
  const thread = new Worker(THREAD, { eval: true, workerData: { file, driver, intervalMs: INTERVAL_MS } });
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
