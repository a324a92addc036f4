// A webhook's delivery log: filtered in the database, newest first, paged on demand, with rows that
// appear and change as deliveryUpdated reports them (no polling).
import { useId, useMemo, useState } from 'react';
import { Link } from 'wouter';
import { useClient, useQuery } from 'urql';
import { graphql } from '../gql';
import type { DeliveryRowFragment } from '../gql/graphql';
import { errorText } from '../lib/errors.ts';
import { matches, type LogVariables } from '../lib/filters.ts';
import { formatDateTime } from '../lib/format.ts';
import { fresher, type LiveRows } from '../lib/live.ts';
import { useRefreshOnConnect } from '../lib/session.tsx';
import { DeliveryStatusBadge } from './Status.tsx';

const DeliveryLogQuery = graphql(`
  query DeliveryLog(
    $webhookId: ID!
    $status: DeliveryStatus
    $eventType: String
    $since: DateTime
    $until: DateTime
    $statusCode: Int
    $search: String
    $after: String
  ) {
    deliveryLog(
      webhookId: $webhookId
      status: $status
      eventType: $eventType
      since: $since
      until: $until
      statusCode: $statusCode
      search: $search
      first: 25
      after: $after
    ) {
      edges { node { ...DeliveryRow } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

interface Older {
  rows: DeliveryRowFragment[];
  endCursor: string | null;
  hasNextPage: boolean;
}

/** Mount it again (a new `key`) when the filters change: paging starts over. */
export function DeliveryLog({ webhookId, filters, live }: { webhookId: string; filters: LogVariables; live: LiveRows<DeliveryRowFragment> }) {
  const id = useId();
  const client = useClient();
  const variables = { webhookId, ...filters, after: null };
  const [{ data, error, fetching }, reexecute] = useQuery({ query: DeliveryLogQuery, variables });
  const [older, setOlder] = useState<Older | null>(null);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [olderError, setOlderError] = useState<string | null>(null);
  useRefreshOnConnect(() => reexecute({ requestPolicy: 'network-only' }));

  const firstPage = data?.deliveryLog;
  const hasNextPage = older ? older.hasNextPage : (firstPage?.pageInfo.hasNextPage ?? false);
  const endCursor = older ? older.endCursor : (firstPage?.pageInfo.endCursor ?? null);

  const rows = useMemo(() => {
    const fetched = [...(firstPage?.edges.map((e) => e.node) ?? []), ...(older?.rows ?? [])];
    const known = new Set(fetched.map((r) => r.id));
    const oldestShown = fetched.at(-1)?.id ?? '';
    // A live row not fetched yet is shown when it matches the filters and belongs above the last page read.
    const arrived = [...live.rows.values()].filter((r) => !known.has(r.id) && matches(r, filters) && (!hasNextPage || r.id > oldestShown));
    return [...arrived, ...fetched.map((r) => fresher(r, live.rows.get(r.id)))].sort((a, b) => (a.id < b.id ? 1 : -1));
  }, [firstPage, older, live.rows, filters, hasNextPage]);

  async function loadOlder() {
    setLoadingOlder(true);
    setOlderError(null);
    const result = await client.query(DeliveryLogQuery, { ...variables, after: endCursor }, { requestPolicy: 'network-only' }).toPromise();
    setLoadingOlder(false);
    if (result.error || !result.data) {
      setOlderError(result.error ? errorText(result.error) : 'Could not load older deliveries.');
      return;
    }
    const page = result.data.deliveryLog;
    setOlder((prev) => ({
      rows: [...(prev?.rows ?? []), ...page.edges.map((e) => e.node)],
      endCursor: page.pageInfo.endCursor ?? null,
      hasNextPage: page.pageInfo.hasNextPage,
    }));
  }

  if (error && !data) return <p className="alert error">{errorText(error)}</p>;
  return (
    <div className="log">
      <div className="table-wrap">
        <table className="deliveries" aria-labelledby={`${id}-caption`} aria-busy={fetching && !data}>
          <caption id={`${id}-caption`} className="sr-only">
            Deliveries, newest first
          </caption>
          <thead>
            <tr>
              <th scope="col">Status</th>
              <th scope="col">Event</th>
              <th scope="col">Event id</th>
              <th scope="col">Created</th>
              <th scope="col">Attempts</th>
              <th scope="col">Response</th>
              <th scope="col">Next attempt</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.id} data-delivery-id={row.id} data-event-id={row.eventId} data-status={row.status}>
                <td data-label="Status">
                  <DeliveryStatusBadge status={row.status} />
                </td>
                <td data-label="Event">
                  <Link href={`/deliveries/${row.id}`}>
                    {row.eventType}
                    <span className="sr-only"> delivery {row.id}</span>
                  </Link>
                  {row.test && <span className="chip small">test</span>}
                </td>
                <td data-label="Event id" className="mono small">
                  {row.eventId}
                </td>
                <td data-label="Created">
                  <time dateTime={row.createdAt}>{formatDateTime(row.createdAt)}</time>
                </td>
                <td data-label="Attempts">{row.attemptCount}</td>
                <td data-label="Response">{row.lastStatusCode ?? '—'}</td>
                <td data-label="Next attempt">{row.nextAttemptAt ? <time dateTime={row.nextAttemptAt}>{formatDateTime(row.nextAttemptAt)}</time> : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {data && rows.length === 0 && <p className="empty">No deliveries match.</p>}
      {!data && fetching && <p role="status">Loading deliveries…</p>}
      {olderError && <p className="alert error">{olderError}</p>}
      {hasNextPage && (
        <button type="button" onClick={loadOlder} disabled={loadingOlder}>
          {loadingOlder ? 'Loading…' : 'Show older deliveries'}
        </button>
      )}
    </div>
  );
}
