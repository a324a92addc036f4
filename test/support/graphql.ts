// GraphQL over real connections: fetch for HTTP, graphql-ws for subscriptions.
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

export interface GraphQLResult<T = Record<string, any>> {
  status: number;
  data: T | null;
  errors?: Array<{ message: string; extensions?: { code?: string; field?: string } }>;
}

export interface GraphQLClient {
  /** Never throws on GraphQL errors. */
  query<T = Record<string, any>>(document: string, variables?: Record<string, unknown>): Promise<GraphQLResult<T>>;
  /** Throws unless the answer has data and no errors. */
  must<T = Record<string, any>>(document: string, variables?: Record<string, unknown>): Promise<T>;
}

export function graphqlClient(url: string, token?: string): GraphQLClient {
  async function query<T>(document: string, variables: Record<string, unknown> = {}): Promise<GraphQLResult<T>> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query: document, variables }) });
    const json = (await response.json()) as { data?: T; errors?: GraphQLResult['errors'] };
    return { status: response.status, data: json.data ?? null, errors: json.errors };
  }
  return {
    query,
    async must<T>(document: string, variables?: Record<string, unknown>) {
      const result = await query<T>(document, variables);
      if (result.errors?.length || !result.data) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors)}`);
      return result.data;
    },
  };
}

/** The code of the first error, or undefined. */
export function errorCode(result: GraphQLResult): string | undefined {
  return result.errors?.[0]?.extensions?.code;
}

export interface Subscription<T> {
  items: T[];
  errors: unknown[];
  /** Resolves once the server acknowledged the connection. */
  connected: Promise<void>;
  close(): Promise<void>;
}

export function subscribe<T = Record<string, any>>(wsUrl: string, token: string | null, document: string, variables: Record<string, unknown> = {}): Subscription<T> {
  const items: T[] = [];
  const errors: unknown[] = [];
  let onConnected = () => {};
  const connected = new Promise<void>((resolve) => (onConnected = resolve));
  const client = createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
    lazy: false,
    on: { connected: () => onConnected() },
  });
  const dispose = client.subscribe<T>(
    { query: document, variables },
    {
      next: (value) => (value.errors ? errors.push(value.errors) : items.push(value.data as T)),
      error: (error) => {
        errors.push(error);
        onConnected();
      },
      complete: () => {},
    },
  );
  return {
    items,
    errors,
    connected,
    async close() {
      dispose();
      await client.dispose();
    },
  };
}
