// A request id for every HTTP request: taken from x-request-id when it is a plain token, made up
// otherwise, returned in the response header, and handed to the request's handler, which puts it
// on the lines it logs (GraphQL: the context's requestId). One line per request when it ends:
// method, path, status, duration. Never headers, query strings or bodies: they carry tokens and
// secrets.
//
// Passed along explicitly, not through AsyncLocalStorage: on Node 20 that installs a hook on every
// promise of the process, the dispatcher's included, and cost about a tenth of the service's CPU.
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import type { Logger } from '../log.ts';

export const REQUEST_ID_HEADER = 'x-request-id';
/** What we accept from a client or proxy: no spaces, quotes or control characters, nothing long. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:+/=-]{1,128}$/;
const MAX_LOGGED_PATH = 256;

export function requestIdOf(req: http.IncomingMessage): string {
  const given = req.headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && SANE_REQUEST_ID.test(given) ? given : randomUUID();
}

/** Paths probed every few seconds: logged at debug so that they do not bury the rest. */
export type Quiet = (pathname: string) => boolean;

/** Runs `handle` with the request's id, and logs the request when its response ends. */
export function withRequestLog(
  log: Logger,
  quiet: Quiet,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  handle: (requestId: string) => void,
): void {
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
  handle(requestId);
}
