// Every webhook at a glance: state (and why the breaker stopped it), health, and the organization's
// deliveries per minute. Admins create and edit here; the list follows webhookUpdated live.
import { useMemo, useState } from 'react';
import { Link } from 'wouter';
import { useMutation, useQuery } from 'urql';
import { DeliveryChart, HealthSpark } from '../components/DeliveryChart.tsx';
import { SecretReveal } from '../components/SecretReveal.tsx';
import { WebhookStateBadge } from '../components/Status.tsx';
import { WebhookForm } from '../components/WebhookForm.tsx';
import { graphql } from '../gql';
import type { WebhookFieldsFragment, WebhooksQuery } from '../gql/graphql';
import { EnableWebhookMutation } from '../lib/documents.ts';
import { errorText } from '../lib/errors.ts';
import { formatDuration, formatPercent } from '../lib/format.ts';
import { fresher, useLiveDeliveries, useLiveWebhooks, useRefreshAfterChanges } from '../lib/live.ts';
import { useRefreshOnConnect, useSession } from '../lib/session.tsx';

const WebhooksQueryDoc = graphql(`
  query Webhooks($admin: Boolean!) {
    webhooks(first: 100) {
      edges {
        node {
          ...WebhookFields
          health @include(if: $admin) {
            attempts
            successRate
            p95DurationMs
            hourly { start attempts successfulAttempts }
          }
        }
      }
      pageInfo { hasNextPage }
    }
  }
`);

type Health = NonNullable<WebhooksQuery['webhooks']['edges'][number]['node']['health']>;
type Listed = WebhookFieldsFragment & { health?: Health | null };

export function WebhooksPage() {
  const { isAdmin } = useSession();
  const [{ data, error, fetching }, reexecute] = useQuery({ query: WebhooksQueryDoc, variables: { admin: isAdmin } });
  const live = useLiveWebhooks(!isAdmin);
  const deliveries = useLiveDeliveries(null, !isAdmin);
  const [editing, setEditing] = useState<WebhookFieldsFragment | 'new' | null>(null);
  const [secret, setSecret] = useState<{ name: string; secret: string } | null>(null);
  useRefreshOnConnect(() => reexecute({ requestPolicy: 'network-only' }));

  // Health figures change with every attempt: read the list again after live changes, throttled.
  useRefreshAfterChanges(live.changes + deliveries.changes, () => reexecute({ requestPolicy: 'network-only' }));

  const webhooks = useMemo<Listed[]>(() => {
    const fetched = data?.webhooks.edges.map((e) => e.node) ?? [];
    const newest = fetched[0]?.id ?? '';
    const known = new Set(fetched.map((w) => w.id));
    // Created since the list was read (by this admin or another): on top. Older unknown ids were deleted.
    const added = [...live.rows.values()].filter((w) => !known.has(w.id) && w.id > newest).sort((a, b) => (a.id < b.id ? 1 : -1));
    return [...added, ...fetched.map((w) => ({ ...fresher(w, live.rows.get(w.id)), health: w.health }))];
  }, [data, live.rows]);

  return (
    <>
      <div className="page-head">
        <h1>Webhooks</h1>
        {isAdmin && editing === null && (
          <button
            type="button"
            className="primary"
            onClick={() => {
              setSecret(null);
              setEditing('new');
            }}
          >
            New webhook
          </button>
        )}
      </div>
      {secret && <SecretReveal title={`Webhook “${secret.name}” created`} secret={secret.secret} onDone={() => setSecret(null)} />}
      {editing && (
        <WebhookForm
          key={editing === 'new' ? 'new' : editing.id}
          webhook={editing === 'new' ? undefined : editing}
          onCreated={(result) => {
            setEditing(null);
            setSecret({ name: result.webhook.name, secret: result.secret });
          }}
          onSaved={() => setEditing(null)}
          onCancel={() => setEditing(null)}
        />
      )}
      {isAdmin && <DeliveryChart title="Deliveries per minute, last hour (all webhooks)" changes={deliveries.changes} />}
      {error && <p className="alert error">{errorText(error)}</p>}
      {!data && fetching && <p role="status">Loading webhooks…</p>}
      {data && webhooks.length === 0 && (
        <p className="empty">No webhooks yet.{isAdmin ? ' Create one to start receiving events.' : ''}</p>
      )}
      <ul className="webhooks" aria-label="Webhooks">
        {webhooks.map((webhook) => (
          <li key={webhook.id}>
            <WebhookCard
              webhook={webhook}
              onEdit={() => {
                setSecret(null);
                setEditing(webhook);
              }}
            />
          </li>
        ))}
      </ul>
      {data?.webhooks.pageInfo.hasNextPage && <p className="hint">Showing the newest 100 webhooks.</p>}
    </>
  );
}

function WebhookCard({ webhook, onEdit }: { webhook: Listed; onEdit(): void }) {
  const { isAdmin } = useSession();
  const [enabling, enable] = useMutation(EnableWebhookMutation);
  const titleId = `webhook-${webhook.id}-name`;
  return (
    <article className={`card webhook${webhook.enabled ? '' : ' is-disabled'}`} aria-labelledby={titleId} data-webhook-id={webhook.id}>
      <div className="webhook-head">
        <h2 id={titleId}>
          <Link href={`/webhooks/${webhook.id}`}>{webhook.name}</Link>
        </h2>
        <WebhookStateBadge enabled={webhook.enabled} />
      </div>
      {!webhook.enabled && (
        <p className="alert danger disabled-reason">
          <strong>Disabled:</strong> {webhook.disabledReason ?? 'turned off by an admin'}
        </p>
      )}
      <dl className="facts">
        <div>
          <dt>URL</dt>
          <dd className={webhook.url ? 'mono url' : 'muted'}>{webhook.url ?? 'Hidden (admins only)'}</dd>
        </div>
        <div>
          <dt>Format</dt>
          <dd>{webhook.format}</dd>
        </div>
        <div>
          <dt>Events</dt>
          <dd>
            <ul className="chips" aria-label="Events">
              {webhook.events.map((e) => (
                <li key={e} className="chip">
                  {e}
                </li>
              ))}
            </ul>
          </dd>
        </div>
        <div>
          <dt>Consecutive failures</dt>
          <dd data-testid="consecutive-failures">{webhook.consecutiveFailures}</dd>
        </div>
        {webhook.health && (
          <div className="health">
            <dt>Health, last 24 h</dt>
            <dd>
              <span>
                {webhook.health.attempts === 0
                  ? 'No attempts'
                  : `${formatPercent(webhook.health.successRate)} of ${webhook.health.attempts} attempts succeeded · p95 ${formatDuration(webhook.health.p95DurationMs)}`}
              </span>
              <HealthSpark hourly={webhook.health.hourly} />
            </dd>
          </div>
        )}
      </dl>
      <div className="actions">
        <Link href={`/webhooks/${webhook.id}`} className="button">
          {isAdmin ? 'Deliveries' : 'Details'}
          <span className="sr-only"> of {webhook.name}</span>
        </Link>
        {isAdmin && (
          <button type="button" onClick={onEdit}>
            Edit<span className="sr-only"> {webhook.name}</span>
          </button>
        )}
        {isAdmin && !webhook.enabled && (
          <button type="button" className="primary" disabled={enabling.fetching} onClick={() => enable({ id: webhook.id })}>
            Re-enable<span className="sr-only"> {webhook.name}</span>
          </button>
        )}
        {enabling.error && <span className="field-error">{errorText(enabling.error)}</span>}
      </div>
    </article>
  );
}
