// A request id for every HTTP request: taken from x-request-id when it is a plain token, made up
// otherwise, returned in the response header, and on every log line written while the request is
// handled (the logger's mixin reads it). One line per request when it ends: method, path, status,
// duration. Never headers, query strings or bodies: they carry tokens and secrets.
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import type { Logger } from '../log.ts';

export const REQUEST_ID_HEADER = 'x-request-id';
/** What we accept from a client or proxy: no spaces, quotes or control characters, nothing long. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:+/=-]{1,128}$/;
const MAX_LOGGED_PATH = 256;

const current = new AsyncLocalStorage<{ requestId: string }>();

/** For the logger's mixin: the request id of the request being handled, if any. A new object each time: pino merges the line's fields into it. */
export function requestLogFields(): { requestId?: string } {
  const store = current.getStore();
  return store ? { requestId: store.requestId } : {};
}

export function requestIdOf(req: http.IncomingMessage): string {
  const given = req.headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && SANE_REQUEST_ID.test(given) ? given : randomUUID();
}

/** Paths probed every few seconds: logged at debug so that they do not bury the rest. */
export type Quiet = (pathname: string) => boolean;

/** Runs `handle` with the request's id in scope, and logs the request when its response ends. */
export function withRequestLog(log: Logger, quiet: Quiet, req: http.IncomingMessage, res: http.ServerResponse, handle: () => void): void {
  const started = process.hrtime.bigint();
  const requestId = requestIdOf(req);
  res.setHeader(REQUEST_ID_HEADER, requestId);
  const path = (req.url ?? '/').split('?')[0].slice(0, MAX_LOGGED_PATH);
  res.once('close', () => {
    const status = res.statusCode;
    const fields = {
      requestId,
      method: req.method,
      path,
      status,
      durationMs: Math.round(Number(process.hrtime.bigint() - started) / 1e4) / 100,
      ...(res.writableFinished ? {} : { aborted: true }),
    };
    if (quiet(path)) log.debug(fields, 'request');
    else if (status >= 500) log.warn(fields, 'request');
    else log.info(fields, 'request');
  });
  current.run({ requestId }, handle);
}
