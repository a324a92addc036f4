// SQLite checkpoints in the background. In WAL mode a commit appends the pages it changed to the
// log; a checkpoint copies the log back into the database file and syncs it. Left to SQLite, the
// commit that takes the log past 1,000 pages runs the checkpoint itself: tens of milliseconds in
// which the service's one thread does nothing else, every few thousand deliveries (a latency
// spike, and close to a tenth of a busy dispatcher's time). In a running service a second
// connection, on the sender thread (the service's one helper thread, threaded-sender.ts),
// checkpoints every INTERVAL_MS without blocking anyone (PASSIVE), so commits only append. A thread
// of their own would cost a second helper heap (about 10 MB) for a few statements a second. The
// CLI and other short uses of the database leave checkpoints to SQLite.
//
// A passive checkpoint copies what was committed when it began; the log starts over at the next
// write only once it has all been copied, which under writes that never pause does not happen
// (and a writer faster than the copy would outgrow it). So the connection still checkpoints
// itself past MAX_LOG_PAGES: between two of its own commits, where it completes, the log starts
// over, and a writer that outpaces the thread is held back as SQLite holds it back by default.
import type BetterSqlite3 from 'better-sqlite3';

const INTERVAL_MS = 50;
/** 64 MiB of 4 KiB pages: past this the connection checkpoints as it commits. */
const MAX_LOG_PAGES = 16_384;
/** SQLite's default, for the connection that checkpoints as it commits again. */
const AUTOCHECKPOINT_PAGES = 1_000;

/** What the thread that checkpoints needs to know. */
export interface CheckpointJob {
  file: string;
  intervalMs: number;
}

/** The connection's side: the job for a thread, and what the connection does while one runs it or none does. */
export interface BackgroundCheckpoints {
  job: CheckpointJob;
  /** A thread checkpoints from now on: the connection does so itself only past the bound. */
  running(): void;
  /** No thread does any longer (it failed or ended): the connection checkpoints as it commits again. */
  stopped(): void;
}

export function backgroundCheckpoints(connection: BetterSqlite3.Database, file: string, maxLogPages = MAX_LOG_PAGES): BackgroundCheckpoints {
  const autocheckpoint = (pages: number) => {
    if (connection.open) connection.pragma(`wal_autocheckpoint = ${pages}`);
  };
  return {
    job: { file, intervalMs: INTERVAL_MS },
    running: () => autocheckpoint(maxLogPages),
    stopped: () => autocheckpoint(AUTOCHECKPOINT_PAGES),
  };
}

export interface CheckpointLoop {
  /** Checkpoints once more and closes the thread's connection. */
  stop(): void;
}

/** The thread's side: opens its own connection (throws if it cannot) and checkpoints every job.intervalMs. */
export async function startCheckpointLoop(job: CheckpointJob): Promise<CheckpointLoop> {
  // Loaded only where there is an SQLite database to checkpoint.
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(job.file, { timeout: 30_000, fileMustExist: true });
  db.pragma('synchronous = NORMAL');
  const checkpoint = () => db.pragma('wal_checkpoint(PASSIVE)');
  checkpoint();
  const timer = setInterval(checkpoint, job.intervalMs);
  return {
    stop() {
      clearInterval(timer);
      checkpoint();
      db.close();
    },
  };
}
