// HTTP and graphql-ws on one path. Yoga serves GraphQL over HTTP; graphql-ws runs the same
// schema, plugins and context over WebSocket.
import http from 'node:http';
import { GraphQLError, Kind, NoSchemaIntrospectionCustomRule, type DocumentNode } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { createYoga, handleStreamOrSingleExecutionResult, type Plugin } from 'graphql-yoga';
import { WebSocketServer } from 'ws';
import type { App } from './app.ts';
import { createConsoleHandler } from './console.ts';
import { actorForToken } from './domain/accounts.ts';
import type { Actor } from './domain/access.ts';
import { isUserError } from './errors.ts';
import { createRateLimiter, illFormedPath, operationLimitsRule } from './limits.ts';
import { createOperationsHandler, isOperationsPath } from './observability/endpoints.ts';
import { createMetrics, type Metrics } from './observability/metrics.ts';
import { withRequestLog } from './observability/requests.ts';
import type { Context } from './schema/builder.ts';
import { schema } from './schema/index.ts';

export const GRAPHQL_PATH = '/graphql';
export const MAX_BODY_BYTES = 1024 * 1024;
export const MAX_BATCH = 10;

function bearer(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const match = /^Bearer\s+(\S+)$/i.exec(value.trim());
  return match ? match[1] : null;
}

async function authenticate(app: App, authorization: unknown): Promise<Actor | null> {
  const token = bearer(authorization);
  return token ? actorForToken(app, token) : null;
}

const BODY_TOO_LARGE = `request body over ${MAX_BODY_BYTES} bytes`;

/**
 * A body without a declared length (chunked) is refused once it passes MAX_BODY_BYTES; a declared
 * one the HTTP handler refused already, and Node reads no more than it declares. This replaces
 * yoga's own limit (maxRequestBodySize), which piped every body through a stream of its own: about
 * a third of the CPU of a small mutation such as createIssue.
 */
const undeclaredBodyLimit: Plugin = {
  onRequestParse({ request, requestParser, setRequestParser, fetchAPI }) {
    if (request.headers.has('content-length') || request.body == null || requestParser == null) return;
    setRequestParser((req) => {
      let bytes = 0;
      // Node's own stream when the body is Node's (as yoga does: the ponyfill's does not accept it).
      const Transform = req.body instanceof ReadableStream ? globalThis.TransformStream : fetchAPI.TransformStream;
      const counted = req.body!.pipeThrough(
        new Transform({
          transform(chunk: Uint8Array, controller) {
            bytes += chunk.byteLength;
            if (bytes > MAX_BODY_BYTES) controller.error(new GraphQLError(BODY_TOO_LARGE, { extensions: { code: 'BAD_USER_INPUT', http: { status: 413 } } }));
            else controller.enqueue(chunk);
          },
        }),
      );
      return requestParser(new fetchAPI.Request(req.url, { method: req.method, headers: req.headers, signal: req.signal, body: counted, duplex: 'half' } as RequestInit));
    });
  },
};

const disableIntrospection: Plugin = {
  onValidate: ({ addValidationRule }) => addValidationRule(NoSchemaIntrospectionCustomRule),
};

const operationLimits: Plugin = {
  onValidate: ({ addValidationRule }) => addValidationRule(operationLimitsRule()),
};

/** Text that is not well-formed UTF-16 (a lone surrogate, valid as a JSON escape) is refused before anything stores it. */
const wellFormedText: Plugin = {
  onParams({ params, setResult }) {
    const where = params.query?.isWellFormed() === false ? 'query' : illFormedPath(params.variables, 'variables');
    if (!where) return;
    setResult({ errors: [new GraphQLError(`${where}: text must be valid Unicode (it holds a lone surrogate)`, { extensions: { code: 'BAD_USER_INPUT', field: where } })] });
  },
};

/** Mutations per API user per minute, when HOOKWARDEN_RATE_LIMIT_MUTATIONS_PER_MINUTE is set. */
function rateLimit(perMinute: number): Plugin<Context> {
  const limiter = createRateLimiter(perMinute);
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const actor = args.contextValue.actor;
      const mutation = (args.document as DocumentNode).definitions.some((d) => d.kind === Kind.OPERATION_DEFINITION && d.operation === 'mutation');
      if (!actor || !mutation) return;
      const retryAfter = limiter.take(actor.userId);
      if (retryAfter === 0) return;
      setResultAndStopExecution({
        errors: [new GraphQLError(`too many mutations: at most ${perMinute} a minute; retry after ${retryAfter} s`, { extensions: { code: 'RATE_LIMITED', retryAfter } })],
      });
    },
  };
}

/**
 * The request each error came from, for the line that logs it: yoga masks (and we log) errors
 * where the request is out of reach. Tagged before masking: our plugins run before yoga's.
 */
const requestOfError = new WeakMap<object, string>();

function tagErrors(errors: readonly unknown[] | undefined, requestId: string | undefined): void {
  if (!requestId || !errors) return;
  for (const error of errors) {
    if (typeof error !== 'object' || error === null) continue;
    requestOfError.set(error, requestId);
    if (error instanceof GraphQLError && error.originalError) requestOfError.set(error.originalError, requestId);
  }
}

const requestIdOfError = (error: unknown) => (typeof error === 'object' && error !== null ? requestOfError.get(error) : undefined);

const requestIds: Plugin<Context> = {
  onExecute({ args }) {
    const { requestId } = args.contextValue;
    return { onExecuteDone: (payload) => handleStreamOrSingleExecutionResult(payload, ({ result }) => tagErrors(result.errors, requestId)) };
  },
  onSubscribe({ args }) {
    const { requestId } = args.contextValue;
    return { onSubscribeResult: (payload) => handleStreamOrSingleExecutionResult(payload, ({ result }) => tagErrors(result.errors, requestId)) };
  },
};

function variableError(error: GraphQLError, variable: string): GraphQLError {
  const at = /at "([\w.[\]]+)"/.exec(error.message)?.[1];
  const missing = / was not provided\.$/.test(error.message);
  const message = missing ? error.message : `Variable "$${variable}" has a value of the wrong type${at ? ` at "${at}"` : ''}`;
  return new GraphQLError(message, { nodes: error.nodes, extensions: { code: 'BAD_USER_INPUT', field: at ?? variable } });
}

export function createYogaServer(app: App) {
  return createYoga<{ connectionParams?: Record<string, unknown>; requestId?: string }, Context>({
    schema,
    graphqlEndpoint: GRAPHQL_PATH,
    graphiql: app.config.graphiql ? { subscriptionsProtocol: 'WS' } : false,
    landingPage: false,
    batching: { limit: MAX_BATCH },
    maxRequestBodySize: false,
    logging: false,
    plugins: [
      requestIds,
      undeclaredBodyLimit,
      wellFormedText,
      operationLimits,
      ...(app.config.introspection ? [] : [disableIntrospection]),
      ...(app.config.rateLimitPerMinute ? [rateLimit(app.config.rateLimitPerMinute)] : []),
    ],
    // Over WebSocket the token is in connectionParams (which a client may leave out) and there is no Fetch request.
    context: async ({ request, connectionParams, requestId }) => {
      try {
        return { app, requestId, actor: await authenticate(app, request ? request.headers.get('authorization') : connectionParams?.authorization) };
      } catch (error) {
        tagErrors([error], requestId);
        throw error;
      }
    },
    maskedErrors: {
      maskError(error) {
        // A variable that does not fit its type is the client's input error. graphql-js quotes the
        // value, which may be a secret: the answer names the field instead, and nothing is logged.
        if (error instanceof GraphQLError && !error.path) {
          const variable = /^Variable "\$(\w+)"/.exec(error.message);
          if (variable) return variableError(error, variable[1]);
        }
        const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
        if (isUserError(original)) return original;
        // Errors from parsing and validation carry no original error: they are the client's.
        if (error instanceof GraphQLError && !error.originalError) return error;
        if (original instanceof GraphQLError && original.extensions?.code) return original;
        app.log.error({ err: original, requestId: requestIdOfError(original) ?? requestIdOfError(error) }, 'unexpected error while resolving');
        return new GraphQLError('Internal server error', { extensions: { code: 'INTERNAL_SERVER_ERROR' } });
      },
    },
  });
}

export interface RunningServer {
  server: http.Server;
  url: string;
  /**
   * Stops taking connections and ends subscriptions; requests under way get up to graceMs to be
   * answered (each answer closes its connection), then whatever is left is cut.
   */
  close(graceMs?: number): Promise<void>;
}

/** How long requests under way get to finish when the server closes. */
export const CLOSE_GRACE_MS = 5_000;

/** `metrics` should be the one whose observer the dispatcher reports to (startService does that). */
export async function startServer(app: App, port: number, host: string, metrics: Metrics = createMetrics(app.db)): Promise<RunningServer> {
  const yoga = createYogaServer(app);
  const serveConsole = createConsoleHandler();
  const serveOperations = createOperationsHandler(app, metrics);
  let closing = false;
  /** Requests not answered yet: when the server closes, each answer ends its connection. */
  const unanswered = new Set<http.ServerResponse>();
  const route = (req: http.IncomingMessage, res: http.ServerResponse, requestId: string) => {
    // The client's next request goes elsewhere instead of racing the connection's end.
    if (closing) res.setHeader('connection', 'close');
    else {
      unanswered.add(res);
      res.once('close', () => unanswered.delete(res));
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_BODY_BYTES) {
      res.writeHead(413, { 'content-type': 'application/json', connection: 'close' });
      res.end(JSON.stringify({ errors: [{ message: BODY_TOO_LARGE, extensions: { code: 'BAD_USER_INPUT' } }] }));
      req.resume();
      return;
    }
    // /healthz, /readyz and /metrics; the API at /graphql; the web console (web/dist) on every other path.
    if (serveOperations(req, res, requestId)) return;
    const pathname = (req.url ?? '/').split('?')[0];
    if (pathname === GRAPHQL_PATH || pathname.startsWith(`${GRAPHQL_PATH}/`)) yoga.handle(req, res, { requestId });
    else void serveConsole(req, res);
  };
  const server = http.createServer((req, res) => withRequestLog(app.log, isOperationsPath, req, res, (requestId) => route(req, res, requestId)));
  const wsServer = new WebSocketServer({ server, path: GRAPHQL_PATH, maxPayload: MAX_BODY_BYTES });
  const wsCleanup = useServer(
    {
      // Refuse a connection whose token is given but wrong; with no token only introspection answers.
      onConnect: async (ctx) => {
        const authorization = ctx.connectionParams?.authorization;
        if (authorization === undefined) return true;
        return (await authenticate(app, authorization)) !== null;
      },
      execute: (args: unknown) => (args as { rootValue: { execute: (a: unknown) => unknown } }).rootValue.execute(args) as never,
      subscribe: (args: unknown) => (args as { rootValue: { subscribe: (a: unknown) => unknown } }).rootValue.subscribe(args) as never,
      onSubscribe: async (ctx, _id, params) => {
        const { schema: enveloped, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params,
        });
        const args = {
          schema: enveloped,
          operationName: params.operationName,
          document: parse(params.query),
          variableValues: params.variables,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe },
        };
        const errors = validate(args.schema, args.document);
        if (errors.length) return errors;
        return args;
      },
    },
    wsServer,
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  return {
    server,
    url: `http://${shownHost}:${actualPort}${GRAPHQL_PATH}`,
    async close(graceMs = CLOSE_GRACE_MS) {
      closing = true;
      for (const res of unanswered) if (!res.headersSent) res.setHeader('connection', 'close');
      await wsCleanup.dispose();
      wsServer.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Connections between requests go now, those with a request under way once it is answered.
      server.closeIdleConnections();
      const idle = setInterval(() => server.closeIdleConnections(), 50);
      const cut = setTimeout(() => server.closeAllConnections(), graceMs);
      try {
        await closed;
      } finally {
        clearInterval(idle);
        clearTimeout(cut);
      }
    },
  };
}
