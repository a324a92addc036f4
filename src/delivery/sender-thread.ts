// The worker side of createThreadedSender (threaded-sender.ts): runs createSender here and answers
// each attempt by its number; answers finished in the same turn of the loop travel together. Given
// an SQLite database, it also checkpoints it (src/db/checkpoints.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { startCheckpointLoop, type CheckpointLoop } from '../db/checkpoints.ts';
import { createSender, type SendResult } from './sender.ts';
import type { FromThread, ThreadData, ToThread } from './threaded-sender.ts';

const port = parentPort!;
const data = workerData as ThreadData;
const sender = createSender(data.sender);
let answers: Array<[number, SendResult]> = [];

const checkpoints: Promise<CheckpointLoop | null> = data.checkpoints
  ? startCheckpointLoop(data.checkpoints).then(
      (loop) => {
        port.postMessage({ type: 'checkpointing' } satisfies FromThread);
        return loop;
      },
      (error: unknown) => {
        port.postMessage({ type: 'checkpoints-failed', message: error instanceof Error ? error.message : String(error) } satisfies FromThread);
        return null;
      },
    )
  : Promise.resolve(null);

function answer(id: number, result: SendResult): void {
  answers.push([id, result]);
  if (answers.length === 1) setImmediate(flush);
}

function flush(): void {
  const batch = answers;
  answers = [];
  port.postMessage({ type: 'results', batch } satisfies FromThread);
}

async function close(): Promise<void> {
  await sender.close();
  if (answers.length) flush();
  (await checkpoints)?.stop();
  port.postMessage({ type: 'closed' } satisfies FromThread);
  port.close();
}

port.on('message', (message: ToThread) => {
  switch (message.type) {
    case 'send':
      for (const [id, request] of message.batch) void sender.send(request).then((result) => answer(id, result));
      break;
    case 'abort-all':
      sender.abortAll();
      break;
    case 'close':
      void close();
      break;
  }
});
