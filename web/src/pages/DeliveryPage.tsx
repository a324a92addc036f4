// One delivery: the request exactly as sent, every attempt, and redeliver. It reads itself again
// whenever deliveryUpdated reports a change to it.
import { useEffect } from 'react';
import { Link, useLocation } from 'wouter';
import { useMutation, useQuery } from 'urql';
import { CopyButton } from '../components/CopyButton.tsx';
import { DeliveryStatusBadge } from '../components/Status.tsx';
import { graphql } from '../gql';
import { errorText, isForbidden } from '../lib/errors.ts';
import { formatDateTime, formatDuration, prettyBody } from '../lib/format.ts';
import { useLiveDeliveries } from '../lib/live.ts';
import { useRefreshOnConnect, useSession } from '../lib/session.tsx';

const DeliveryQuery = graphql(`
  query Delivery($id: ID!) {
    delivery(id: $id) {
      ...DeliveryRow
      requestHeaders
      requestBody
      attempts { number startedAt durationMs statusCode success error responseBody }
    }
  }
`);

const WebhookNameQuery = graphql(`
  query WebhookName($id: ID!) {
    webhook(id: $id) { id name }
  }
`);

const RedeliverMutation = graphql(`
  mutation Redeliver($id: ID!) {
    redeliver(deliveryId: $id) { id }
  }
`);

export function DeliveryPage({ id }: { id: string }) {
  const { isAdmin } = useSession();
  const [{ data, error, fetching }, reexecute] = useQuery({ query: DeliveryQuery, variables: { id }, pause: !isAdmin });
  const delivery = data?.delivery;
  const webhookId = delivery?.webhookId ?? null;
  const [{ data: named }] = useQuery({ query: WebhookNameQuery, variables: { id: webhookId ?? '' }, pause: !webhookId });
  const live = useLiveDeliveries(webhookId, !isAdmin || !webhookId);
  const [, navigate] = useLocation();
  const [redelivered, redeliver] = useMutation(RedeliverMutation);
  useRefreshOnConnect(() => reexecute({ requestPolicy: 'network-only' }));

  const mine = live.rows.get(id);
  useEffect(() => {
    if (mine) reexecute({ requestPolicy: 'network-only' });
  }, [mine, reexecute]);

  if (!isAdmin || isForbidden(error)) {
    return (
      <section>
        <h1>Delivery</h1>
        <p className="alert info">Deliveries are visible to admins only.</p>
      </section>
    );
  }
  if (error && !data) return <p className="alert error">{errorText(error)}</p>;
  if (!data) return fetching ? <p role="status">Loading…</p> : null;
  if (!delivery) {
    return (
      <section>
        <h1>Delivery not found</h1>
        <p>
          <Link href="/">Back to the webhooks</Link>
        </p>
      </section>
    );
  }
  const status = mine && Date.parse(mine.updatedAt) > Date.parse(delivery.updatedAt) ? mine.status : delivery.status;
  const headers = Object.entries((delivery.requestHeaders ?? {}) as Record<string, string>);
  const body = prettyBody(delivery.requestBody);

  async function doRedeliver() {
    const result = await redeliver({ id });
    if (result.data) navigate(`/deliveries/${result.data.redeliver.id}`);
  }

  return (
    <>
      <nav aria-label="Breadcrumb" className="crumbs">
        <Link href="/">Webhooks</Link> <span aria-hidden="true">›</span>{' '}
        <Link href={`/webhooks/${delivery.webhookId}`}>{named?.webhook?.name ?? 'Webhook'}</Link> <span aria-hidden="true">›</span>{' '}
        <span aria-current="page">Delivery</span>
      </nav>
      <div className="page-head">
        <h1>
          {delivery.eventType} <span className="mono small">{delivery.id}</span>
        </h1>
        <DeliveryStatusBadge status={status} />
      </div>
      <section className="card" aria-labelledby="summary-title">
        <h2 id="summary-title" className="sr-only">
          Summary
        </h2>
        <dl className="facts wide">
          <div>
            <dt>Status</dt>
            <dd data-testid="delivery-status">{status}</dd>
          </div>
          <div>
            <dt>Event id</dt>
            <dd className="mono">{delivery.eventId}</dd>
          </div>
          <div>
            <dt>Created</dt>
            <dd>{formatDateTime(delivery.createdAt)}</dd>
          </div>
          <div>
            <dt>Attempts</dt>
            <dd>{delivery.attemptCount}</dd>
          </div>
          <div>
            <dt>Last response</dt>
            <dd>{delivery.lastStatusCode ?? '—'}</dd>
          </div>
          {(status === 'RETRYING' || status === 'PENDING') && (
            <div>
              <dt>Next attempt</dt>
              <dd>{delivery.nextAttemptAt ? <time dateTime={delivery.nextAttemptAt}>{formatDateTime(delivery.nextAttemptAt)}</time> : 'now'}</dd>
            </div>
          )}
          {delivery.test && (
            <div>
              <dt>Test</dt>
              <dd>Sent with “Send test event”</dd>
            </div>
          )}
        </dl>
        <div className="actions">
          <button type="button" onClick={doRedeliver} disabled={redelivered.fetching}>
            Redeliver
          </button>
          <span className="hint">Queues the same event (same id) again to this webhook.</span>
        </div>
        {redelivered.error && (
          <p role="alert" className="alert error">
            {errorText(redelivered.error)}
          </p>
        )}
      </section>

      <section className="card" aria-labelledby="request-title">
        <h2 id="request-title">Request as sent</h2>
        <h3>Headers</h3>
        <div className="table-wrap">
          <table className="headers">
            <thead>
              <tr>
                <th scope="col">Header</th>
                <th scope="col">Value</th>
              </tr>
            </thead>
            <tbody>
              {headers.map(([name, value]) => (
                <tr key={name}>
                  <th scope="row" className="mono">
                    {name}
                  </th>
                  <td className="mono wrap">{String(value)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <div className="page-head">
          <h3>Body</h3>
          <CopyButton text={delivery.requestBody} label="Copy body" />
        </div>
        <pre className="code" tabIndex={0} aria-label="Request body" data-testid="request-body">
          {body}
        </pre>
      </section>

      <section className="card" aria-labelledby="attempts-title">
        <h2 id="attempts-title">Attempts</h2>
        {delivery.attempts.length === 0 ? (
          <p className="empty">No attempt yet.</p>
        ) : (
          <ol className="attempts">
            {delivery.attempts.map((a) => (
              <li key={a.number} className="attempt" data-attempt={a.number} data-status-code={a.statusCode ?? ''}>
                <div className="attempt-head">
                  <strong>Attempt {a.number}</strong>
                  <span className={`badge ${a.success ? 'status-succeeded' : 'status-failed'}`}>
                    <span aria-hidden="true">{a.success ? '✓ ' : '✕ '}</span>
                    {a.success ? 'Succeeded' : 'Failed'}
                  </span>
                </div>
                <dl className="facts">
                  <div>
                    <dt>Started</dt>
                    <dd>
                      <time dateTime={a.startedAt}>{formatDateTime(a.startedAt)}</time>
                    </dd>
                  </div>
                  <div>
                    <dt>Duration</dt>
                    <dd>{formatDuration(a.durationMs)}</dd>
                  </div>
                  <div>
                    <dt>Status code</dt>
                    <dd className="status-code">{a.statusCode ?? 'no response'}</dd>
                  </div>
                  {a.error && (
                    <div>
                      <dt>Error</dt>
                      <dd>{a.error}</dd>
                    </div>
                  )}
                </dl>
                {a.responseBody != null && a.responseBody !== '' && (
                  <details>
                    <summary>Response body</summary>
                    <pre className="code small">{a.responseBody}</pre>
                  </details>
                )}
              </li>
            ))}
          </ol>
        )}
      </section>
    </>
  );
}
