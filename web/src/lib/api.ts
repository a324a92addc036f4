// The console's one GraphQL client: urql over HTTP for queries and mutations, graphql-ws on the
// same /graphql path for subscriptions, both carrying the signed-in token.
import { createClient as createWsClient } from 'graphql-ws';
import { Client, cacheExchange, fetchExchange, mapExchange, subscriptionExchange } from 'urql';
import { isUnauthenticated } from './errors.ts';

export const GRAPHQL_PATH = '/graphql';

export type LiveState = 'idle' | 'connecting' | 'live' | 'offline';

export interface Api {
  client: Client;
  dispose(): void;
}

export interface ApiEvents {
  /** The subscription socket's state; `live` comes again after each reconnection. */
  onLive(state: LiveState): void;
  /** The server no longer accepts the token. */
  onUnauthenticated(): void;
}

function wsUrl(): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${GRAPHQL_PATH}`;
}

export function createApi(token: string, events: ApiEvents): Api {
  const authorization = `Bearer ${token}`;
  const ws = createWsClient({
    url: wsUrl(),
    connectionParams: { authorization },
    lazy: true,
    lazyCloseTimeout: 2_000,
    keepAlive: 20_000,
    retryAttempts: Number.POSITIVE_INFINITY,
    shouldRetry: () => true,
    on: {
      connecting: () => events.onLive('connecting'),
      connected: () => events.onLive('live'),
      // 1000 is the lazy close when no page subscribes any more; anything else is a lost connection.
      closed: (event) => events.onLive((event as CloseEvent | undefined)?.code === 1000 ? 'idle' : 'offline'),
    },
  });
  const client = new Client({
    url: GRAPHQL_PATH,
    requestPolicy: 'cache-and-network',
    fetchOptions: () => ({ headers: { authorization } }),
    exchanges: [
      mapExchange({
        onError(error) {
          if (isUnauthenticated(error)) events.onUnauthenticated();
        },
      }),
      cacheExchange,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query ?? '' };
          return {
            subscribe(sink) {
              return { unsubscribe: ws.subscribe(input, sink) };
            },
          };
        },
      }),
    ],
  });
  return { client, dispose: () => void ws.dispose() };
}

/** A client for one check of a token before it is kept (no socket, no cache). */
export function createCheckClient(token: string): Client {
  return new Client({
    url: GRAPHQL_PATH,
    requestPolicy: 'network-only',
    fetchOptions: { headers: { authorization: `Bearer ${token}` } },
    exchanges: [fetchExchange],
  });
}
