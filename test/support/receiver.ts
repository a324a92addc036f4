// A webhook receiver on 127.0.0.1, port 0, that records every request and answers from a script.
import http from 'node:http';

export interface ReceivedRequest {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  webhookId: string | undefined;
  at: number;
}

export interface Step {
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  delayMs?: number;
}

export interface Receiver {
  port: number;
  url(path: string): string;
  requests: ReceivedRequest[];
  on(path: string): ReceivedRequest[];
  /** The n-th request for one webhook-id on a path gets step n (the last step repeats). */
  script(path: string, steps: Step[]): void;
  waitFor(path: string, count?: number, timeoutMs?: number, pred?: (r: ReceivedRequest) => boolean): Promise<ReceivedRequest[]>;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const scripts = new Map<string, Step[]>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
      const webhookId = req.headers['webhook-id'] as string | undefined;
      const nth = requests.filter((r) => r.path === path && r.webhookId === webhookId).length;
      requests.push({ path, headers: req.headers, body: Buffer.concat(chunks), webhookId, at: Date.now() });
      const steps = scripts.get(path) ?? [];
      const step = steps.length ? steps[Math.min(nth, steps.length - 1)] : {};
      const answer = () => {
        if (res.destroyed) return;
        res.writeHead(step.status ?? 200, { 'content-type': 'text/plain', ...step.headers });
        res.end(step.body ?? 'ok');
      };
      if (step.delayMs) setTimeout(answer, step.delayMs);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const on = (path: string) => requests.filter((r) => r.path === path);
  return {
    port,
    url: (path) => `http://127.0.0.1:${port}${path}`,
    requests,
    on,
    script: (path, steps) => void scripts.set(path, steps),
    async waitFor(path, count = 1, timeoutMs = 10_000, pred = () => true) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const matching = on(path).filter(pred);
        if (matching.length >= count) return matching;
        if (Date.now() > deadline) throw new Error(`expected ${count} request(s) on ${path}, got ${matching.length}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Polls until fn returns a truthy value; throws with `what` after timeoutMs. */
export async function waitUntil<T>(fn: () => T | Promise<T>, what: string, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
