// The operator's endpoints: /healthz (the process serves), /readyz (the database answers and is
// migrated), /metrics (Prometheus). No token: they show aggregates only, never an organization's data.
import type http from 'node:http';
import type { App } from '../app.ts';
import type { Metrics } from './metrics.ts';
import { createReadinessCheck } from './readiness.ts';

export const OPERATIONS_PATHS = ['/healthz', '/readyz', '/metrics'] as const;
type OperationsPath = (typeof OPERATIONS_PATHS)[number];

export const isOperationsPath = (pathname: string): pathname is OperationsPath => (OPERATIONS_PATHS as readonly string[]).includes(pathname);

function send(res: http.ServerResponse, req: http.IncomingMessage, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/**
 * Answers the request when it is for one of OPERATIONS_PATHS and returns true; returns false for
 * any other path.
 */
export function createOperationsHandler(
  app: App,
  metrics: Metrics,
): (req: http.IncomingMessage, res: http.ServerResponse, requestId?: string) => boolean {
  const log = app.log.child({ component: 'operations' });
  const readiness = createReadinessCheck(app.db);

  async function answer(path: OperationsPath, req: http.IncomingMessage, res: http.ServerResponse, requestId?: string): Promise<void> {
    switch (path) {
      case '/healthz':
        return send(res, req, 200, 'text/plain; charset=utf-8', 'ok\n');
      case '/readyz': {
        const state = await readiness((error) => log.error({ err: error, requestId }, 'readiness check failed'));
        if (state.ready) return send(res, req, 200, 'text/plain; charset=utf-8', 'ready\n');
        return send(res, req, 503, 'application/json', JSON.stringify({ status: 'unavailable', reason: state.reason, ...(state.pending ? { pending: state.pending } : {}) }));
      }
      case '/metrics':
        return send(res, req, 200, metrics.contentType, await metrics.render());
    }
  }

  return (req, res, requestId) => {
    const pathname = (req.url ?? '/').split('?')[0];
    if (!isOperationsPath(pathname)) return false;
    // Bodies are never read here: let the rest of a request arrive and go.
    req.resume();
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
      res.end('method not allowed\n');
      return true;
    }
    answer(pathname, req, res, requestId).catch((error) => {
      log.error({ err: error, path: pathname, requestId }, 'operations endpoint failed');
      if (!res.headersSent) send(res, req, 503, 'application/json', JSON.stringify({ status: 'unavailable', reason: 'internal error' }));
      else res.destroy();
    });
    return true;
  };
}
