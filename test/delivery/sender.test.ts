// The sender against real TCP servers on 127.0.0.1: what an attempt reports, that a finished
// exchange leaves its connection for the next one, that more than 4 KiB of answer is not read, and
// that abortAll ends attempts in flight (and any started after it) at once. The same for the
// sender the service runs, on a thread of its own, and what happens when that thread ends.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createSender, MAX_RESPONSE_BYTES, type Sender } from '../../src/delivery/sender.ts';
import { signingKey, standardSignature } from '../../src/delivery/signing.ts';
import { createThreadedSender } from '../../src/delivery/threaded-sender.ts';

/** A TCP server that answers each connection as `behave` says; counts connections. */
async function server(behave: (socket: net.Socket) => void) {
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const tcp = net.createServer((socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    // Reading (and dropping) what arrives is what lets the end of a connection be seen.
    socket.resume();
    behave(socket);
  });
  await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
  const { port } = tcp.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook?x=1`,
    connections: () => connections,
    open: () => sockets.size,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => tcp.close(resolve));
    },
  };
}

/** Answers every request on a connection with `reply`, or what it makes of the request's head (keep-alive). */
function answering(reply: string | ((head: string) => string)) {
  return (socket: net.Socket) => {
    let buffered = '';
    socket.on('data', (data) => {
      buffered += data.toString('latin1');
      // The sender's bodies here are small and carry content-length: one request per header block.
      while (buffered.includes('\r\n\r\n')) {
        const end = buffered.indexOf('\r\n\r\n') + 4;
        const length = Number(/content-length: (\d+)/i.exec(buffered.slice(0, end))?.[1] ?? 0);
        if (buffered.length < end + length) return;
        const head = buffered.slice(0, end);
        buffered = buffered.slice(end + length);
        socket.write(typeof reply === 'string' ? reply : reply(head));
      }
    });
  };
}

const closers: Array<{ close(): Promise<unknown> }> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c.close()));
});

function track<S extends Sender>(created: S): S {
  closers.push(created);
  return created;
}

const post = (s: Sender, url: string, timeoutMs = 2_000) =>
  s.send({ url, headers: { 'content-type': 'application/json' }, body: '{"hello":"world"}', timeoutMs });

describe.each([
  { kind: 'in process', create: () => createSender({ allowInsecureTargets: true }) },
  { kind: 'on its own thread', create: () => createThreadedSender({ allowInsecureTargets: true }) },
])('sender, $kind', ({ create }) => {
  const sender = () => track(create());

  it('reports status, Retry-After and the body, and keeps connections for the next attempts', async () => {
    const target = await server(answering('HTTP/1.1 503 Service Unavailable\r\nretry-after: 7\r\ncontent-length: 4\r\n\r\nbusy'));
    closers.push(target);
    const s = sender();
    const results = [];
    for (let i = 0; i < 10; i += 1) results.push(await post(s, target.url));
    for (const result of results) expect(result).toMatchObject({ statusCode: 503, retryAfter: '7', responseBody: 'busy', error: null, blocked: false });
    // An attempt sent the moment the last one ended may find its connection not yet free and open
    // another; the pool then has both. Without keep-alive there would be ten.
    expect(target.connections()).toBeLessThanOrEqual(2);
  });

  it('reads no more than 4 KiB of an answer and closes that connection', async () => {
    const body = 'z'.repeat(MAX_RESPONSE_BYTES * 4);
    const target = await server(answering(`HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\n\r\n${body}`));
    closers.push(target);
    const result = await post(sender(), target.url);
    expect(result.statusCode).toBe(200);
    expect(result.responseBody).toBe('z'.repeat(MAX_RESPONSE_BYTES));
    await expect.poll(() => target.open(), { timeout: 2_000 }).toBe(0);
  });

  it('shows NUL in an answer as U+FFFD', async () => {
    const target = await server(answering('HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\na\0b'));
    closers.push(target);
    expect((await post(sender(), target.url)).responseBody).toBe('a\uFFFDb');
  });

  it('a receiver that never answers ends at the timeout, and its connection is closed', async () => {
    const target = await server(() => {});
    closers.push(target);
    const started = performance.now();
    const result = await post(sender(), target.url, 300);
    expect(result).toMatchObject({ statusCode: null, error: 'timeout after 300 ms' });
    expect(performance.now() - started).toBeLessThan(1_000);
    await expect.poll(() => target.open(), { timeout: 2_000 }).toBe(0);
  });

  it('abortAll ends attempts in flight at once, and any started after it', async () => {
    const target = await server(() => {});
    closers.push(target);
    const s = sender();
    const pending = [post(s, target.url, 30_000), post(s, target.url, 30_000)];
    await expect.poll(() => target.connections(), { timeout: 2_000 }).toBe(2);
    const started = performance.now();
    s.abortAll();
    const results = await Promise.all(pending);
    expect(performance.now() - started).toBeLessThan(500);
    for (const result of results) expect(result).toMatchObject({ statusCode: null, error: 'aborted: Hookwarden was shutting down', blocked: false });
    const later = await post(s, target.url, 30_000);
    expect(later.error).toBe('aborted: Hookwarden was shutting down');
    await expect.poll(() => target.open(), { timeout: 2_000 }).toBe(0);
  });

  it('signs an attempt as it starts when given a signer, and reports the headers it added', async () => {
    let head = '';
    const target = await server((socket) => {
      socket.on('data', (data) => {
        head += data.toString('latin1');
        if (head.includes('{"hello":"world"}')) socket.write('HTTP/1.1 204 No Content\r\n\r\n');
      });
    });
    closers.push(target);
    const key = signingKey(`whsec_${Buffer.alloc(24, 7).toString('base64')}`);
    const result = await sender().send({
      url: target.url,
      headers: { 'content-type': 'application/json', 'webhook-id': 'evt_1' },
      body: '{"hello":"world"}',
      timeoutMs: 2_000,
      signer: { keys: [key] },
    });
    expect(result.statusCode).toBe(204);
    const timestamp = Number(result.signatures!['webhook-timestamp']);
    expect(Math.abs(timestamp - Date.now() / 1000)).toBeLessThan(5);
    expect(result.signatures!['webhook-signature']).toBe(standardSignature(key, 'evt_1', timestamp, '{"hello":"world"}'));
    for (const [name, value] of Object.entries(result.signatures!)) expect(head).toContain(`${name}: ${value}\r\n`);
    expect((await post(sender(), target.url)).signatures).toBeNull();
  });

  it('a refused connection is reported as such', async () => {
    const target = await server(() => {});
    const url = target.url;
    await target.close();
    expect((await post(sender(), url)).error).toBe('connection refused');
  });
});

/** Answers each request with its own path, so that every answer shows which request it is. */
const echoingPath = answering((head) => {
  const path = /^POST (\S+)/.exec(head)![1];
  return `HTTP/1.1 200 OK\r\ncontent-length: ${path.length}\r\n\r\n${path}`;
});

describe('sender on its own thread', () => {
  it('gives each of many attempts started together its own answer', async () => {
    const target = await server(echoingPath);
    closers.push(target);
    const s = track(createThreadedSender({ allowInsecureTargets: true }));
    const base = target.url.replace(/\/hook\?x=1$/, '');
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => post(s, `${base}/n/${i}`)));
    expect(results.map((result) => result.responseBody)).toEqual(Array.from({ length: 200 }, (_, i) => `/n/${i}`));
  });

  it('answers the attempts under way as failed when the thread ends, and the next attempt starts a new one', async () => {
    const silent = await server(() => {});
    const answers = await server(answering('HTTP/1.1 204 No Content\r\n\r\n'));
    closers.push(silent, answers);
    const s = track(createThreadedSender({ allowInsecureTargets: true }));
    const pending = [post(s, silent.url, 30_000), post(s, silent.url, 30_000)];
    await expect.poll(() => silent.connections(), { timeout: 5_000 }).toBe(2);
    const first = s.thread!;
    await first.terminate();
    for (const result of await Promise.all(pending)) expect(result).toMatchObject({ statusCode: null, error: 'the sender thread stopped', blocked: false });
    expect((await post(s, answers.url)).statusCode).toBe(204);
    expect(s.thread).not.toBe(first);
    // The ended thread's sockets went with it.
    await expect.poll(() => silent.open(), { timeout: 2_000 }).toBe(0);
  });

  it('starts its thread at once, so that the first attempt does not wait for it to start', async () => {
    const s = track(createThreadedSender({ allowInsecureTargets: true }));
    const thread = s.thread;
    expect(thread).not.toBeNull();
    await new Promise<void>((resolve) => thread!.once('online', () => resolve()));
    expect(s.thread).toBe(thread);
  });

  it('close waits for the thread to end', async () => {
    const answers = await server(answering('HTTP/1.1 204 No Content\r\n\r\n'));
    closers.push(answers);
    const s = createThreadedSender({ allowInsecureTargets: true });
    expect((await post(s, answers.url)).statusCode).toBe(204);
    const thread = s.thread!;
    let ended = false;
    thread.once('exit', () => (ended = true));
    await s.close();
    expect(ended).toBe(true);
    await expect.poll(() => answers.open(), { timeout: 2_000 }).toBe(0);
  });
});
