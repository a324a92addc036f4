// Attempts on a thread of their own: the HTTP exchanges, their timers and their sockets run beside
// the GraphQL API and the queue instead of on their thread. The thread runs createSender itself
// (sender-thread.ts); this side numbers the attempts and passes them over, those that start in the
// same moment in one message, and the thread answers the same way. On SQLite the same thread also
// runs the database's checkpoints (src/db/checkpoints.ts): one helper heap for both.
//
// A thread that ends unexpectedly (it ran out of memory, say) answers its attempts under way as
// failed, so their deliveries are retried like any failed attempt; the connection checkpoints as it
// commits again; and the next attempt starts a new thread, which takes the checkpoints back.
import { Worker } from 'node:worker_threads';
import type { BackgroundCheckpoints, CheckpointJob } from '../db/checkpoints.ts';
import type { Sender, SenderOptions, SendRequest, SendResult } from './sender.ts';

export type ToThread = { type: 'send'; batch: Array<[number, SendRequest]> } | { type: 'abort-all' } | { type: 'close' };
export type FromThread =
  | { type: 'results'; batch: Array<[number, SendResult]> }
  | { type: 'checkpointing' }
  | { type: 'checkpoints-failed'; message: string }
  | { type: 'closed' };

/** What the thread starts with. */
export interface ThreadData {
  sender: Omit<SenderOptions, 'lookup'>;
  checkpoints: CheckpointJob | null;
}

/** The bundle's own file beside dist/main.mjs, or src/ through tsx (tests, `--cpu-prof` runs). */
function startThread(data: ThreadData): Worker {
  if (import.meta.url.endsWith('.mjs')) {
    return new Worker(new URL('./sender-thread.mjs', import.meta.url), { workerData: data });
  }
  const boot = `const { workerData } = require('node:worker_threads');
(async () => { (await import(workerData.tsx)).register(); await import(workerData.file); })();`;
  return new Worker(boot, {
    eval: true,
    workerData: { ...data, tsx: import.meta.resolve('tsx/esm/api'), file: new URL('./sender-thread.ts', import.meta.url).href },
  });
}

export interface ThreadedSenderOptions extends Omit<SenderOptions, 'lookup'> {
  /** SQLite's checkpoints, run on the same thread. */
  checkpoints?: BackgroundCheckpoints | null;
  /** The thread stopped checkpointing other than by close() (it failed, or ended): until another one runs them, the connection does. */
  onCheckpointsStopped?: (error: Error) => void;
}

export interface ThreadedSender extends Sender {
  /** The thread now running, if any (tests end it to see what happens to attempts under way). */
  readonly thread: Worker | null;
}

export function createThreadedSender(options: ThreadedSenderOptions): ThreadedSender {
  const { checkpoints, onCheckpointsStopped, ...senderOptions } = options;
  let thread: Worker | null = null;
  /** Attempts passed to the thread (or about to be) and not answered yet. */
  const waiting = new Map<number, (result: SendResult) => void>();
  let outbox: Array<[number, SendRequest]> = [];
  let next = 0;
  let aborting = false;
  let closing: Promise<void> | null = null;

  function answer(id: number, result: SendResult): void {
    const resolve = waiting.get(id);
    if (!resolve) return;
    waiting.delete(id);
    resolve(result);
    // An idle thread does not keep the process alive; one with attempts under way does.
    if (waiting.size === 0) thread?.unref();
  }

  function failWaiting(reason: string): void {
    const startedAt = new Date();
    for (const id of [...waiting.keys()]) {
      answer(id, { startedAt, durationMs: 0, statusCode: null, retryAfter: null, responseBody: null, error: reason, blocked: false, signatures: null });
    }
  }

  function running(): Worker {
    if (thread) return thread;
    const started = startThread({ sender: senderOptions, checkpoints: checkpoints?.job ?? null });
    let reason = 'the sender thread stopped';
    /** This thread said it runs the checkpoints, and has not failed at it or ended since. */
    let checkpointing = false;
    function checkpointsStopped(why: string): void {
      checkpointing = false;
      checkpoints?.stopped();
      if (!closing) onCheckpointsStopped?.(new Error(why));
    }
    started.on('message', (message: FromThread) => {
      if (message.type === 'results') {
        for (const [id, result] of message.batch) answer(id, result);
      } else if (message.type === 'checkpointing') {
        checkpointing = true;
        checkpoints?.running();
      } else if (message.type === 'checkpoints-failed') {
        checkpointsStopped(`the sender thread cannot checkpoint: ${message.message}`);
      }
    });
    started.on('error', (error) => {
      reason = `the sender thread failed: ${error.message}`;
    });
    started.once('exit', () => {
      if (thread === started) thread = null;
      if (checkpointing) checkpointsStopped(reason);
      // Whatever it had not answered is lost with it: failed attempts, retried as such.
      failWaiting(reason);
    });
    thread = started;
    if (aborting) started.postMessage({ type: 'abort-all' } satisfies ToThread);
    return started;
  }

  function flush(): void {
    const batch = outbox;
    outbox = [];
    if (batch.length === 0) return;
    const target = running();
    target.ref();
    target.postMessage({ type: 'send', batch } satisfies ToThread);
  }

  // Started now, not with the first attempt: the first event would wait for the thread to start and
  // load its modules, and SQLite's checkpoints should not wait for an attempt either. An idle
  // thread does not keep the process alive.
  running().unref();

  return {
    get thread() {
      return thread;
    },
    send(request) {
      return new Promise((resolve) => {
        const id = next++;
        waiting.set(id, resolve);
        outbox.push([id, request]);
        if (outbox.length === 1) queueMicrotask(flush);
      });
    },
    abortAll() {
      aborting = true;
      flush();
      thread?.postMessage({ type: 'abort-all' } satisfies ToThread);
    },
    close() {
      closing ??= (async () => {
        flush();
        const closed = thread;
        if (!closed) return;
        closed.ref();
        const exited = new Promise<void>((resolve) => closed.once('exit', () => resolve()));
        // It answers what is under way and closes its sockets first.
        closed.on('message', (message: FromThread) => {
          if (message.type === 'closed') void closed.terminate();
        });
        closed.postMessage({ type: 'close' } satisfies ToThread);
        await exited;
      })();
      return closing;
    },
  };
}
