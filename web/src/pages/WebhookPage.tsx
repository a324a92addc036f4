// One webhook: its settings, health, actions, the per-minute chart and the live delivery log.
import { useEffect, useMemo, useState } from 'react';
import { Link, useLocation } from 'wouter';
import { useMutation, useQuery } from 'urql';
import { ConfirmDialog } from '../components/ConfirmDialog.tsx';
import { DeliveryChart } from '../components/DeliveryChart.tsx';
import { DeliveryLog } from '../components/DeliveryLog.tsx';
import { LogFilterForm } from '../components/LogFilterForm.tsx';
import { SecretReveal } from '../components/SecretReveal.tsx';
import { WebhookStateBadge } from '../components/Status.tsx';
import { WebhookForm } from '../components/WebhookForm.tsx';
import { graphql } from '../gql';
import { errorText } from '../lib/errors.ts';
import { NO_FILTERS, toVariables, type LogFilters } from '../lib/filters.ts';
import { formatDateTime, formatDuration, formatPercent, fromLocalInput, toLocalInput } from '../lib/format.ts';
import { EnableWebhookMutation, EventTypesQuery } from '../lib/documents.ts';
import { fresher, useLiveDeliveries, useLiveWebhooks, useRefreshAfterChanges } from '../lib/live.ts';
import { useLive, useRefreshOnConnect, useSession } from '../lib/session.tsx';

const WebhookQuery = graphql(`
  query Webhook($id: ID!, $admin: Boolean!) {
    webhook(id: $id) {
      ...WebhookFields
      headers @include(if: $admin) { name valueMasked }
      health @include(if: $admin) { attempts successfulAttempts successRate p95DurationMs }
    }
  }
`);

const TestWebhookMutation = graphql(`
  mutation TestWebhook($id: ID!) {
    testWebhook(id: $id) { ...DeliveryRow }
  }
`);

const RotateSecretMutation = graphql(`
  mutation RotateSecret($id: ID!) {
    rotateWebhookSecret(id: $id) {
      secret
      oldSecretExpiresAt
      webhook { ...WebhookFields }
    }
  }
`);

const DeleteWebhookMutation = graphql(`
  mutation DeleteWebhook($id: ID!) {
    deleteWebhook(id: $id)
  }
`);

const RetryFailedMutation = graphql(`
  mutation RetryFailed($id: ID!, $since: DateTime!) {
    retryFailedDeliveries(webhookId: $id, since: $since) { queued hasMore }
  }
`);

const TYPING_MS = 300;

export function WebhookPage({ id }: { id: string }) {
  const { isAdmin } = useSession();
  const [{ data, error, fetching }, reexecute] = useQuery({ query: WebhookQuery, variables: { id, admin: isAdmin } });
  const liveWebhooks = useLiveWebhooks(!isAdmin);
  const liveDeliveries = useLiveDeliveries(id, !isAdmin);
  const [{ data: types }] = useQuery({ query: EventTypesQuery, requestPolicy: 'cache-first' });
  const [editing, setEditing] = useState(false);
  useRefreshOnConnect(() => reexecute({ requestPolicy: 'network-only' }));
  // Failure counts and health follow the attempts: read them again as deliveries change, throttled.
  useRefreshAfterChanges(liveDeliveries.changes, () => reexecute({ requestPolicy: 'network-only' }));

  const [draft, setDraft] = useState<LogFilters>(NO_FILTERS);
  const [filters, setFilters] = useState<LogFilters>(NO_FILTERS);
  useEffect(() => {
    const timer = setTimeout(() => setFilters(draft), TYPING_MS);
    return () => clearTimeout(timer);
  }, [draft]);
  const variables = useMemo(() => toVariables(filters), [filters]);
  const eventTypes = useMemo(() => [...(types?.webhookEventTypes.map((t) => t.name) ?? []), 'webhook.test'], [types]);

  if (error && !data) return <p className="alert error">{errorText(error)}</p>;
  if (!data) return fetching ? <p role="status">Loading…</p> : null;
  if (!data.webhook) {
    return (
      <section>
        <h1>Webhook not found</h1>
        <p>
          It does not exist or was deleted. <Link href="/">Back to the webhooks</Link>
        </p>
      </section>
    );
  }
  const webhook = { ...data.webhook, ...fresher(data.webhook, liveWebhooks.rows.get(id)) };

  return (
    <>
      <nav aria-label="Breadcrumb" className="crumbs">
        <Link href="/">Webhooks</Link> <span aria-hidden="true">›</span> <span aria-current="page">{webhook.name}</span>
      </nav>
      <div className="page-head">
        <h1>{webhook.name}</h1>
        <WebhookStateBadge enabled={webhook.enabled} />
      </div>
      {!webhook.enabled && <DisabledBanner id={id} reason={webhook.disabledReason} />}
      {editing && <WebhookForm webhook={webhook} onSaved={() => setEditing(false)} onCancel={() => setEditing(false)} />}
      <div className="two-up">
        {!editing && (
          <section className="card" aria-labelledby="settings-title">
            <h2 id="settings-title">Settings</h2>
            <dl className="facts wide">
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
                <dd>{webhook.events.join(', ')}</dd>
              </div>
              <div>
                <dt>Severities</dt>
                <dd>{webhook.severities?.join(', ') ?? 'All'}</dd>
              </div>
              <div>
                <dt>Retries · timeout</dt>
                <dd>
                  {webhook.retryCount} · {formatDuration(webhook.timeoutMs)}
                </dd>
              </div>
              <div>
                <dt>Consecutive failures</dt>
                <dd data-testid="consecutive-failures">{webhook.consecutiveFailures}</dd>
              </div>
              {webhook.headers && webhook.headers.length > 0 && (
                <div>
                  <dt>Custom headers</dt>
                  <dd className="mono">{webhook.headers.map((h) => `${h.name}: ${h.valueMasked}`).join(', ')}</dd>
                </div>
              )}
              {webhook.health && (
                <div>
                  <dt>Health, last 24 h</dt>
                  <dd>
                    {webhook.health.attempts === 0
                      ? 'No attempts'
                      : `${formatPercent(webhook.health.successRate)} of ${webhook.health.attempts} attempts succeeded · p95 ${formatDuration(webhook.health.p95DurationMs)}`}
                  </dd>
                </div>
              )}
              <div>
                <dt>Created</dt>
                <dd>{formatDateTime(webhook.createdAt)}</dd>
              </div>
            </dl>
            {isAdmin && (
              <div className="actions">
                <button type="button" onClick={() => setEditing(true)}>
                  Edit
                </button>
              </div>
            )}
          </section>
        )}
        {isAdmin && <Actions id={id} name={webhook.name} />}
      </div>
      {isAdmin ? (
        <>
          <DeliveryChart webhookId={id} title="Deliveries per minute, last hour" changes={liveDeliveries.changes} />
          <section aria-labelledby="log-title" className="log-section">
            <div className="page-head">
              <h2 id="log-title">Delivery log</h2>
              <LiveNote />
            </div>
            <LogFilterForm value={draft} onChange={setDraft} eventTypes={eventTypes} />
            <DeliveryLog key={JSON.stringify(variables)} webhookId={id} filters={variables} live={liveDeliveries} />
          </section>
        </>
      ) : (
        <p className="alert info">Delivery history and actions are available to admins only.</p>
      )}
    </>
  );
}

function LiveNote() {
  const { state } = useLive();
  return <p className="hint">{state === 'live' ? 'New deliveries and status changes appear as they happen.' : 'Connecting to live updates…'}</p>;
}

function DisabledBanner({ id, reason }: { id: string; reason: string | null | undefined }) {
  const { isAdmin } = useSession();
  const [enabling, enable] = useMutation(EnableWebhookMutation);
  return (
    <div className="alert danger banner disabled-reason">
      <p>
        <strong>This webhook is disabled:</strong> {reason ?? 'turned off by an admin'}. Nothing is sent to it until it is enabled again (test events still are).
      </p>
      {isAdmin && (
        <button type="button" className="primary" disabled={enabling.fetching} onClick={() => enable({ id })}>
          Re-enable
        </button>
      )}
      {enabling.error && <p className="field-error">{errorText(enabling.error)}</p>}
    </div>
  );
}

function Actions({ id, name }: { id: string; name: string }) {
  const [, navigate] = useLocation();
  const [tested, test] = useMutation(TestWebhookMutation);
  const [rotated, rotate] = useMutation(RotateSecretMutation);
  const [deleted, remove] = useMutation(DeleteWebhookMutation);
  const [retried, retry] = useMutation(RetryFailedMutation);
  const [confirm, setConfirm] = useState<'rotate' | 'delete' | null>(null);
  const [secret, setSecret] = useState<{ secret: string; oldSecretExpiresAt: string } | null>(null);
  const [since, setSince] = useState(() => toLocalInput(new Date(Date.now() - 3_600_000)));
  const [message, setMessage] = useState<string | null>(null);
  const problem = [tested, rotated, deleted, retried].find((r) => r.error)?.error;

  async function sendTest() {
    setMessage(null);
    const result = await test({ id });
    if (result.data) setMessage('Test event queued: it appears in the log below.');
  }
  async function doRotate() {
    setConfirm(null);
    const result = await rotate({ id });
    if (result.data) setSecret({ secret: result.data.rotateWebhookSecret.secret, oldSecretExpiresAt: result.data.rotateWebhookSecret.oldSecretExpiresAt });
  }
  async function doDelete() {
    setConfirm(null);
    const result = await remove({ id });
    if (result.data) navigate('/');
  }
  async function retryFailed() {
    setMessage(null);
    const iso = fromLocalInput(since);
    if (!iso) return setMessage('Choose the time to retry from.');
    const result = await retry({ id, since: iso });
    if (!result.data) return;
    const { queued, hasMore } = result.data.retryFailedDeliveries;
    setMessage(
      `${queued === 0 ? 'No failed deliveries to retry' : `Queued ${queued} ${queued === 1 ? 'delivery' : 'deliveries'} again`} since ${formatDateTime(iso)}.` +
        (hasMore ? ' More matched than one run takes: run it again for the rest.' : ''),
    );
  }

  return (
    <section className="card" aria-labelledby="actions-title">
      <h2 id="actions-title">Actions</h2>
      {secret && <SecretReveal title="New signing secret" secret={secret.secret} oldSecretExpiresAt={secret.oldSecretExpiresAt} onDone={() => setSecret(null)} />}
      <div className="actions">
        <button type="button" onClick={sendTest} disabled={tested.fetching}>
          Send test event
        </button>
        <button type="button" onClick={() => setConfirm('rotate')} disabled={rotated.fetching}>
          Rotate secret
        </button>
        <button type="button" className="danger" onClick={() => setConfirm('delete')} disabled={deleted.fetching}>
          Delete webhook
        </button>
      </div>
      <form
        className="retry"
        onSubmit={(e) => {
          e.preventDefault();
          void retryFailed();
        }}
      >
        <div className="field">
          <label htmlFor="retry-since">Retry failed deliveries since</label>
          <input id="retry-since" type="datetime-local" step={1} value={since} onChange={(e) => setSince(e.target.value)} aria-describedby="retry-hint" />
          <p id="retry-hint" className="hint">
            Sends again every event whose latest delivery since then FAILED or was CANCELLED (at most 1,000 per run), with the same event id.
          </p>
        </div>
        <button type="submit" className="primary" disabled={retried.fetching}>
          Retry failed
        </button>
      </form>
      <p role="status" className="result" data-testid="action-result">
        {message}
      </p>
      {problem && (
        <p role="alert" className="alert error">
          {errorText(problem)}
        </p>
      )}
      <ConfirmDialog
        open={confirm === 'rotate'}
        title="Rotate the signing secret?"
        confirmLabel="Rotate secret"
        onConfirm={doRotate}
        onCancel={() => setConfirm(null)}
      >
        <p>A new secret signs from now on. The old one keeps signing too for 24 hours, so receivers can switch over.</p>
      </ConfirmDialog>
      <ConfirmDialog open={confirm === 'delete'} title={`Delete “${name}”?`} confirmLabel="Delete webhook" danger onConfirm={doDelete} onCancel={() => setConfirm(null)}>
        <p>Nothing more is sent to it and deliveries not yet sent are cancelled. Its delivery history stays readable through the API.</p>
      </ConfirmDialog>
    </section>
  );
}
