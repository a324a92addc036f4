// The request id: the handler gets the request's id (the incoming x-request-id when it is a plain
// token, a new one otherwise), the response carries it, and the line logged when the request ends
// has it; concurrent requests never mix.
import http from 'node:http';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { withRequestLog } from '../../src/observability/requests.ts';

const lines: Array<Record<string, unknown>> = [];
const log = pino(
  { level: 'debug' },
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
    withRequestLog(log, (path) => path === '/quiet', req, res, async (requestId) => {
      log.info({ requestId, step: 1 }, 'handling');
      await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 20));
      log.info({ requestId, step: 2 }, 'handling');
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
    expect(mine[2]).toMatchObject({ level: 30, method: 'GET', path: '/work', status: 200 });
  }
  expect(JSON.stringify(lines)).not.toContain('hw_secret');
});

it('makes up an id when the given one is not a plain token', async () => {
  const response = await fetch(`${origin}/work`, { headers: { 'x-request-id': 'two words' } });
  const id = response.headers.get('x-request-id');
  expect(id).toMatch(/^[0-9a-f-]{36}$/);
  await new Promise((resolve) => setTimeout(resolve, 20));
  expect(lines.filter((line) => line.requestId === id).map((line) => line.step ?? line.msg)).toEqual([1, 2, 'request']);
});

it('logs quiet paths at debug and server errors at warn', async () => {
  const quiet = await fetch(`${origin}/quiet`);
  const failed = await fetch(`${origin}/fail`);
  await new Promise((resolve) => setTimeout(resolve, 20));
  const requestLine = (id: string | null) => lines.find((line) => line.msg === 'request' && line.requestId === id);
  expect(requestLine(quiet.headers.get('x-request-id'))).toMatchObject({ level: 20, path: '/quiet' });
  expect(requestLine(failed.headers.get('x-request-id'))).toMatchObject({ level: 40, path: '/fail', status: 500 });
});
