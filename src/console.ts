// Serves the built web console (web/dist) on every path outside /graphql: its files, and index.html
// for any other page address (the console routes in the browser). Every answer carries the security
// headers; the Content-Security-Policy allows our own origin only, plus its WebSocket for subscriptions.
import fs from 'node:fs/promises';
import type http from 'node:http';
import path from 'node:path';
import { ROOT } from './paths.ts';

export const CONSOLE_DIR = path.join(ROOT, 'web/dist') + path.sep;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

/** A Host header we may echo into the policy: a name or address and an optional port, nothing else. */
const SAFE_HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

export function securityHeaders(host: string | undefined): Record<string, string> {
  // 'self' covers ws:/wss: of our own origin in current browsers; the explicit entries cover older ones.
  const sockets = host && SAFE_HOST.test(host) ? ` ws://${host} wss://${host}` : '';
  return {
    'content-security-policy': [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' data:",
      "font-src 'self'",
      `connect-src 'self'${sockets}`,
      "object-src 'none'",
      "base-uri 'none'",
      "form-action 'self'",
      "frame-ancestors 'none'",
    ].join('; '),
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
  };
}

const NOT_BUILT = `<!doctype html><html lang="en"><meta charset="utf-8"><title>Hookwarden</title>
<p>The web console is not built. Run <code>npm install</code> (or <code>npm run build:console</code>) and restart.
The GraphQL API is at <a href="/graphql">/graphql</a>.</p></html>`;

async function readFileIn(dir: string, urlPath: string): Promise<{ body: Buffer; file: string } | null> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const file = path.resolve(dir, `.${path.posix.normalize(decoded)}`);
  if (file !== dir && !file.startsWith(dir.endsWith(path.sep) ? dir : dir + path.sep)) return null;
  try {
    const stat = await fs.stat(file);
    if (!stat.isFile()) return null;
    return { body: await fs.readFile(file), file };
  } catch {
    return null;
  }
}

/** The console's request handler; `dir` is the built console (web/dist by default). */
export function createConsoleHandler(dir: string = CONSOLE_DIR) {
  const root = path.resolve(dir);
  return async function serveConsole(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const headers = securityHeaders(req.headers.host);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...headers, allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
      res.end('method not allowed\n');
      return;
    }
    const urlPath = new URL(req.url ?? '/', 'http://localhost').pathname;
    let found = urlPath === '/' ? null : await readFileIn(root, urlPath);
    let cache = found && urlPath.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
    if (!found) {
      // A missing file with an extension is a 404; any other address is a page of the console.
      if (path.posix.extname(urlPath) !== '') {
        res.writeHead(404, { ...headers, 'content-type': 'text/plain; charset=utf-8' });
        res.end('not found\n');
        return;
      }
      found = await readFileIn(root, '/index.html');
      cache = 'no-cache';
      if (!found) {
        res.writeHead(503, { ...headers, 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : NOT_BUILT);
        return;
      }
    }
    res.writeHead(200, {
      ...headers,
      'content-type': TYPES[path.extname(found.file).toLowerCase()] ?? 'application/octet-stream',
      'content-length': String(found.body.length),
      'cache-control': cache,
    });
    res.end(req.method === 'HEAD' ? undefined : found.body);
  };
}
