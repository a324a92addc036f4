// The request id follows a request through async work: every line logged while it is handled carries
// its id (the logger's mixin), concurrent requests never mix, and a line's fields never stick to the next.
import http from 'node:http';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { requestLogFields, withRequestLog } from '../../src/observability/requests.ts';

const lines: Array<Record<string, unknown>> = [];
const log = pino(
  { level: 'debug', mixin: requestLogFields },
  new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  }),
);

let server: http.Server;
let origin: string;

beforeAll(async () => {
  server = http.createServer((req, res) =>
    withRequestLog(log, (path) => path === '/quiet', req, res, async () => {
      log.info({ step: 1, only: 'first line' }, 'handling');
      await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 20));
      log.info({ step: 2 }, 'handling');
      res.writeHead(req.url === '/fail' ? 500 : 200).end('done');
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

it('tags every line of a request with its id, and concurrent requests keep theirs', async () => {
  const ids = Array.from({ length: 8 }, (_, i) => `req-${i}`);
  const responses = await Promise.all(ids.map((id) => fetch(`${origin}/work?token=hw_secret`, { headers: { 'x-request-id': id } })));
  expect(responses.map((r) => r.headers.get('x-request-id'))).toEqual(ids);
  await new Promise((resolve) => setTimeout(resolve, 20));
  for (const id of ids) {
    const mine = lines.filter((line) => line.requestId === id);
    expect(mine.map((line) => [line.msg, line.step ?? null])).toEqual([
      ['handling', 1],
      ['handling', 2],
      ['request', null],
    ]);
    // Fields of one line do not leak into the next.
    expect(mine[1].only).toBeUndefined();
    expect(mine[2]).toMatchObject({ level: 30, method: 'GET', path: '/work', status: 200 });
  }
  expect(JSON.stringify(lines)).not.toContain('hw_secret');
  expect(requestLogFields()).toEqual({});
});

it('logs quiet paths at debug and server errors at warn', async () => {
  const quiet = await fetch(`${origin}/quiet`);
  const failed = await fetch(`${origin}/fail`);
  await new Promise((resolve) => setTimeout(resolve, 20));
  const requestLine = (id: string | null) => lines.find((line) => line.msg === 'request' && line.requestId === id);
  expect(requestLine(quiet.headers.get('x-request-id'))).toMatchObject({ level: 20, path: '/quiet' });
  expect(requestLine(failed.headers.get('x-request-id'))).toMatchObject({ level: 40, path: '/fail', status: 500 });
});
