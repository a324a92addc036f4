// The webhook receiver of the benchmark, in its own process: a tiny node:http server on 127.0.0.1
// that answers 200 at once. Paths choose what it keeps:
//   /base/…  /sink/…   count and bytes only (the raw baseline and sustained dispatch)
//   /lat/…   /fan/…    also the issue id of the JSON body and the arrival time (latency, fan-out)
// Arrival times are a high-resolution wall clock (performance.timeOrigin + performance.now()), the
// same clock the bench process uses, so times of the two processes on one machine compare.
// "hold" keeps requests unanswered (a hung receiver) until "release" or until holdMs passes.
// The parent drives it over the IPC channel: { id, cmd, ...args } → { id, ok, result | error }.
import http from 'node:http';

const wallNow = () => performance.timeOrigin + performance.now();

interface Held {
  res: http.ServerResponse;
  timer: NodeJS.Timeout;
}

const counts: Record<string, number> = {};
let total = 0;
let bytes = 0;
let parseErrors = 0;
/** [path kind, issue id, arrival] of /lat and /fan requests since the last "take". */
let records: Array<[string, string, number]> = [];
let holding = false;
let holdMs = 25_000;
const held = new Set<Held>();
let heldTotal = 0;

function answer(res: http.ServerResponse): void {
  if (res.destroyed) return;
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
  res.end('ok');
}

const server = http.createServer((req, res) => {
  const url = req.url ?? '/';
  const kind = url.split('/')[1] || 'other';
  const keep = kind === 'lat' || kind === 'fan';
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (keep) chunks.push(chunk);
  });
  req.on('end', () => {
    const at = wallNow();
    total += 1;
    bytes += size;
    counts[kind] = (counts[kind] ?? 0) + 1;
    if (keep) {
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { data?: { issue?: { id?: string } } };
        records.push([kind, body.data?.issue?.id ?? '', at]);
      } catch {
        parseErrors += 1;
      }
    }
    if (!holding) return answer(res);
    heldTotal += 1;
    const entry: Held = {
      res,
      timer: setTimeout(() => {
        held.delete(entry);
        answer(res);
      }, holdMs),
    };
    held.add(entry);
  });
});
// Longer than the clients' own keep-alive, so that the clients decide when an idle socket goes.
server.keepAliveTimeout = 65_000;

function release(): number {
  const n = held.size;
  for (const entry of held) {
    clearTimeout(entry.timer);
    answer(entry.res);
  }
  held.clear();
  return n;
}

type Command = { id: number; cmd: string; [key: string]: unknown };

const commands: Record<string, (msg: Command) => unknown> = {
  stats: () => ({ total, bytes, counts: { ...counts }, parseErrors, held: held.size, heldTotal, records: records.length }),
  reset: () => {
    total = 0;
    bytes = 0;
    parseErrors = 0;
    heldTotal = 0;
    for (const key of Object.keys(counts)) delete counts[key];
    records = [];
    return true;
  },
  take: () => {
    const taken = records;
    records = [];
    return taken;
  },
  hold: (msg) => {
    holding = true;
    if (typeof msg.holdMs === 'number') holdMs = msg.holdMs;
    return true;
  },
  release: () => {
    holding = false;
    return release();
  },
  close: async () => {
    release();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    return true;
  },
};

process.on('message', async (msg: Command) => {
  try {
    const handler = commands[msg.cmd];
    if (!handler) throw new Error(`unknown command ${msg.cmd}`);
    process.send!({ id: msg.id, ok: true, result: await handler(msg) });
  } catch (error) {
    process.send!({ id: msg.id, ok: false, error: String((error as Error).message ?? error) });
  }
});
// The parent went away: nothing left to receive for.
process.on('disconnect', () => process.exit(0));

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  process.send!({ ready: true, port });
});
