// Receivers that misbehave never harm the service or other webhooks: each attempt ends within
// timeoutMs + 1 s with a recorded error (or a 2xx read no further than 4 KiB), memory stays flat,
// and a healthy webhook delivered at the same time is not held up.
import net from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createIssue, createWebhook, deliveriesOf, newOrg } from '../support/ops.ts';
import { startReceiver, waitUntil, type Receiver } from '../support/receiver.ts';
import { startTestService, type TestService } from '../support/service.ts';

const TIMEOUT_MS = 1000;

/** A TCP server on 127.0.0.1 that treats every connection as `behave` says. */
async function hostile(behave: (socket: net.Socket) => void): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    behave(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const timers = new Set<NodeJS.Timeout>();
const every = (ms: number, fn: () => void) => {
  const timer = setInterval(fn, ms);
  timers.add(timer);
  return timer;
};

const BEHAVIOURS: Record<string, { behave: (socket: net.Socket) => void; status: string; error: RegExp | null }> = {
  'never answers': { behave: () => {}, status: 'FAILED', error: /timeout after 1000 ms/ },
  'answers one byte a second': {
    behave: (socket) => {
      const reply = Buffer.from('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\nok');
      let sent = 0;
      const timer = every(1000, () => (sent < reply.length && !socket.destroyed ? socket.write(reply.subarray(sent, ++sent)) : clearInterval(timer)));
    },
    status: 'FAILED',
    error: /timeout after 1000 ms/,
  },
  'sends an endless body': {
    behave: (socket) => {
      socket.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n');
      const chunk = `10000\r\n${'x'.repeat(0x10000)}\r\n`;
      const timer = every(1, () => (socket.destroyed ? clearInterval(timer) : socket.write(chunk)));
    },
    status: 'SUCCEEDED',
    error: null,
  },
  'announces a 100 MB body': {
    behave: (socket) => {
      socket.write(`HTTP/1.1 200 OK\r\ncontent-length: ${100 * 1024 * 1024}\r\n\r\n`);
      const block = 'y'.repeat(0x10000);
      const timer = every(1, () => (socket.destroyed ? clearInterval(timer) : socket.write(block)));
    },
    status: 'SUCCEEDED',
    error: null,
  },
  'resets the connection': { behave: (socket) => socket.once('data', () => socket.resetAndDestroy()), status: 'FAILED', error: /connection reset/ },
  'answers something that is not HTTP': {
    behave: (socket) => socket.once('data', () => socket.end('SSH-2.0-OpenSSH_9.6\r\n\r\n')),
    status: 'FAILED',
    error: /invalid HTTP response/,
  },
};

let hw: TestService;
let receiver: Receiver;
const servers: Array<{ close(): Promise<void> }> = [];
beforeAll(async () => {
  hw = await startTestService();
  receiver = await startReceiver();
});
afterAll(async () => {
  for (const timer of timers) clearInterval(timer);
  await Promise.all(servers.map((s) => s.close()));
  await hw?.stop();
  await receiver?.close();
});

it('every hostile receiver ends in its own attempt window, memory stays flat, a healthy webhook is not held up', async () => {
  const admin = await newOrg(hw, 'Hostile');
  const hooks: Array<{ label: string; id: string }> = [];
  for (const [label, { behave }] of Object.entries(BEHAVIOURS)) {
    const server = await hostile(behave);
    servers.push(server);
    hooks.push({ label, id: (await createWebhook(admin, { url: server.url, retryCount: 0, timeoutMs: TIMEOUT_MS, events: ['issue.created'] })).id });
  }
  const healthy = await createWebhook(admin, { url: receiver.url('/healthy'), events: ['issue.created'] });
  const heapBefore = process.memoryUsage().heapUsed;

  const sentAt = Date.now();
  await createIssue(admin);
  const [arrival] = await receiver.waitFor('/healthy', 1, 5000);
  expect(arrival.at - sentAt, 'the healthy webhook waited for the hostile ones').toBeLessThan(1000);

  for (const { label, id } of hooks) {
    const { status, error } = BEHAVIOURS[label];
    const [delivery] = await waitUntil(async () => {
      const found = await deliveriesOf(admin, id);
      return found.length && ['SUCCEEDED', 'FAILED'].includes(found[0].status) ? found : null;
    }, `a final status for the receiver that ${label}`, 10_000);
    expect(delivery.status, label).toBe(status);
    expect(delivery.attemptCount, label).toBe(1);
    const [attempt] = delivery.attempts;
    expect(attempt.durationMs, `${label}: attempt took ${attempt.durationMs} ms`).toBeLessThan(TIMEOUT_MS + 1000);
    if (error) expect(attempt.error, label).toMatch(error);
    else expect(attempt.responseBody.length, `${label}: response body kept`).toBeLessThanOrEqual(4096);
  }
  expect((await deliveriesOf(admin, healthy.id))[0].status).toBe('SUCCEEDED');
  // The endless and 100 MB bodies were cut off at 4 KiB: nothing of them piled up in memory.
  expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(50 * 1024 * 1024);
});
