// The worker side of createThreadedSender (threaded-sender.ts): runs createSender here and answers
// each attempt by its number; answers finished in the same turn of the loop travel together.
import { parentPort, workerData } from 'node:worker_threads';
import { createSender, type SendResult, type SenderOptions } from './sender.ts';
import type { FromThread, ToThread } from './threaded-sender.ts';

const port = parentPort!;
const sender = createSender(workerData as SenderOptions);
let answers: Array<[number, SendResult]> = [];

function answer(id: number, result: SendResult): void {
  answers.push([id, result]);
  if (answers.length === 1) setImmediate(flush);
}

function flush(): void {
  const batch = answers;
  answers = [];
  port.postMessage({ type: 'results', batch } satisfies FromThread);
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
      void sender.close().then(() => {
        if (answers.length) flush();
        port.postMessage({ type: 'closed' } satisfies FromThread);
        port.close();
      });
      break;
  }
});
