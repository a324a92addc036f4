// Create or edit a webhook. The API checks every field; its errors (extensions.field) appear next
// to the field they are about.
import { useId, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { useMutation, useQuery } from 'urql';
import { graphql } from '../gql';
import type { CreateWebhookInput, Severity, WebhookFieldsFragment, WebhookFormat } from '../gql/graphql';
import { apiErrors, type ApiErrors } from '../lib/errors.ts';
import { EventTypesQuery } from '../lib/documents.ts';
import { useSession } from '../lib/session.tsx';

const CreateWebhookMutation = graphql(`
  mutation CreateWebhook($input: CreateWebhookInput!) {
    createWebhook(input: $input) {
      secret
      webhook { ...WebhookFields }
    }
  }
`);

const UpdateWebhookMutation = graphql(`
  mutation UpdateWebhook($id: ID!, $input: UpdateWebhookInput!) {
    updateWebhook(id: $id, input: $input) { ...WebhookFields }
  }
`);

const FORMATS: readonly WebhookFormat[] = ['JSON', 'SLACK', 'TEAMS', 'CEF', 'SYSLOG', 'SPLUNK_HEC'];
const SEVERITIES: readonly Severity[] = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'];
const FIELDS = ['name', 'url', 'format', 'events', 'severities', 'teamId', 'retryCount', 'timeoutMs', 'enabled'] as const;
type Field = (typeof FIELDS)[number];
const DEFAULT_EVENTS = ['issue.created', 'issue.updated'];

interface FormState {
  name: string;
  url: string;
  format: WebhookFormat;
  events: string[];
  severities: Severity[];
  teamId: string;
  retryCount: string;
  timeoutMs: string;
  enabled: boolean;
}

function initialState(webhook?: WebhookFieldsFragment): FormState {
  return {
    name: webhook?.name ?? '',
    url: webhook?.url ?? '',
    format: webhook?.format ?? 'JSON',
    events: webhook?.events ?? DEFAULT_EVENTS,
    severities: webhook?.severities ?? [],
    teamId: webhook?.teamId ?? '',
    retryCount: String(webhook?.retryCount ?? 3),
    timeoutMs: String(webhook?.timeoutMs ?? 5000),
    enabled: webhook?.enabled ?? true,
  };
}

function toggle<T>(list: readonly T[], item: T, on: boolean): T[] {
  return on ? [...list.filter((x) => x !== item), item] : list.filter((x) => x !== item);
}

export function WebhookForm({
  webhook,
  onCreated,
  onSaved,
  onCancel,
}: {
  webhook?: WebhookFieldsFragment;
  onCreated?(result: { secret: string; webhook: WebhookFieldsFragment }): void;
  onSaved?(webhook: WebhookFieldsFragment): void;
  onCancel(): void;
}) {
  const id = useId();
  const { teams } = useSession();
  const [state, setState] = useState<FormState>(() => initialState(webhook));
  const [errors, setErrors] = useState<ApiErrors>({ fields: {}, general: [] });
  const [{ data: types }] = useQuery({ query: EventTypesQuery, requestPolicy: 'cache-first' });
  const [created, create] = useMutation(CreateWebhookMutation);
  const [updated, update] = useMutation(UpdateWebhookMutation);
  const formRef = useRef<HTMLFormElement>(null);
  const busy = created.fetching || updated.fetching;

  const set = <K extends keyof FormState>(key: K, value: FormState[K]) => setState((prev) => ({ ...prev, [key]: value }));
  const eventNames = ['*', ...(types?.webhookEventTypes.map((t) => t.name) ?? DEFAULT_EVENTS)];
  for (const name of state.events) if (!eventNames.includes(name)) eventNames.push(name);
  const descriptions = new Map(types?.webhookEventTypes.map((t) => [t.name, t.description]));

  function showErrors(next: ApiErrors) {
    setErrors(next);
    const first = FIELDS.find((f) => next.fields[f]);
    // Move focus to the first field in trouble, or to the form's message.
    requestAnimationFrame(() => {
      const target = formRef.current?.querySelector<HTMLElement>(first ? `[data-field="${first}"] :is(input, select)` : '[data-form-error]');
      target?.focus();
    });
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    const whole = (field: 'retryCount' | 'timeoutMs') => {
      const value = state[field].trim();
      return value === '' ? null : Number(value);
    };
    const local: Record<string, string> = {};
    for (const field of ['retryCount', 'timeoutMs'] as const) {
      const value = whole(field);
      if (value !== null && !Number.isInteger(value)) local[field] = 'must be a whole number';
    }
    if (Object.keys(local).length) return showErrors({ fields: local, general: [] });
    const input: CreateWebhookInput = {
      name: state.name,
      url: state.url,
      format: state.format,
      events: state.events,
      severities: state.severities.length ? state.severities : null,
      teamId: state.teamId || null,
      retryCount: whole('retryCount'),
      timeoutMs: whole('timeoutMs'),
      enabled: state.enabled,
    };
    if (webhook) {
      const result = await update({ id: webhook.id, input });
      if (result.error) return showErrors(apiErrors(result.error, FIELDS));
      if (result.data) onSaved?.(result.data.updateWebhook);
    } else {
      const result = await create({ input });
      if (result.error) return showErrors(apiErrors(result.error, FIELDS));
      if (result.data) onCreated?.(result.data.createWebhook);
    }
  }

  const describedBy = (field: Field, hint?: boolean) =>
    [hint ? `${id}-${field}-hint` : '', errors.fields[field] ? `${id}-${field}-error` : ''].filter(Boolean).join(' ') || undefined;
  const fieldError = (field: Field) =>
    errors.fields[field] ? (
      <p id={`${id}-${field}-error`} className="field-error">
        <span aria-hidden="true">⚠ </span>
        {errors.fields[field]}
      </p>
    ) : null;
  const text = (field: 'name' | 'url' | 'retryCount' | 'timeoutMs', label: string, props: { hint?: ReactNode; type?: string; inputMode?: 'url' | 'numeric' } = {}) => (
    <div className="field" data-field={field}>
      <label htmlFor={`${id}-${field}`}>{label}</label>
      <input
        id={`${id}-${field}`}
        name={field}
        type={props.type ?? 'text'}
        inputMode={props.inputMode}
        value={state[field]}
        onChange={(e) => set(field, e.target.value)}
        aria-invalid={errors.fields[field] ? true : undefined}
        aria-describedby={describedBy(field, !!props.hint)}
        className={field === 'url' ? 'mono' : undefined}
        autoComplete="off"
      />
      {fieldError(field)}
      {props.hint && (
        <p id={`${id}-${field}-hint`} className="hint">
          {props.hint}
        </p>
      )}
    </div>
  );

  return (
    <form ref={formRef} onSubmit={submit} noValidate className="card form" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{webhook ? `Edit ${webhook.name}` : 'New webhook'}</h2>
      {errors.general.length > 0 && (
        <div className="alert error" role="alert" tabIndex={-1} data-form-error>
          {errors.general.map((message) => (
            <p key={message}>{message}</p>
          ))}
        </div>
      )}
      {Object.keys(errors.fields).length > 0 && (
        <p className="sr-only" role="alert">
          The webhook was not saved: {Object.keys(errors.fields).length} field(s) need attention.
        </p>
      )}
      <div className="grid-2">
        {text('name', 'Name')}
        {text('url', 'URL', { inputMode: 'url', hint: 'Where deliveries are POSTed: an absolute https URL.' })}
      </div>
      <div className="grid-3">
        <div className="field" data-field="format">
          <label htmlFor={`${id}-format`}>Format</label>
          <select id={`${id}-format`} value={state.format} onChange={(e) => set('format', e.target.value as WebhookFormat)} aria-describedby={describedBy('format')}>
            {FORMATS.map((f) => (
              <option key={f} value={f}>
                {f}
              </option>
            ))}
          </select>
          {fieldError('format')}
        </div>
        {text('retryCount', 'Retries', { type: 'number', inputMode: 'numeric', hint: '0 to 10' })}
        {text('timeoutMs', 'Timeout (ms)', { type: 'number', inputMode: 'numeric', hint: '1000 to 30000' })}
      </div>
      <fieldset className="field" data-field="events" aria-describedby={describedBy('events')}>
        <legend>Events</legend>
        <div className="checks">
          {eventNames.map((name) => (
            <label key={name} className="check">
              <input
                type="checkbox"
                checked={state.events.includes(name)}
                disabled={name !== '*' && state.events.includes('*')}
                onChange={(e) => set('events', toggle(state.events, name, e.target.checked))}
              />
              <span>
                {name === '*' ? 'All events (*)' : name}
                {descriptions.get(name) && <span className="hint"> — {descriptions.get(name)}</span>}
              </span>
            </label>
          ))}
        </div>
        {fieldError('events')}
      </fieldset>
      <div className="grid-2">
        <fieldset className="field" data-field="severities" aria-describedby={describedBy('severities', true)}>
          <legend>Severities</legend>
          <div className="checks row">
            {SEVERITIES.map((s) => (
              <label key={s} className="check">
                <input type="checkbox" checked={state.severities.includes(s)} onChange={(e) => set('severities', toggle(state.severities, s, e.target.checked))} />
                <span>{s}</span>
              </label>
            ))}
          </div>
          {fieldError('severities')}
          <p id={`${id}-severities-hint`} className="hint">
            None checked: issue events of every severity.
          </p>
        </fieldset>
        <div className="field" data-field="teamId">
          <label htmlFor={`${id}-team`}>Team</label>
          <select id={`${id}-team`} value={state.teamId} onChange={(e) => set('teamId', e.target.value)} aria-describedby={describedBy('teamId')}>
            <option value="">Every team</option>
            {teams.map((t) => (
              <option key={t.id} value={t.id}>
                {t.name}
              </option>
            ))}
          </select>
          {fieldError('teamId')}
        </div>
      </div>
      <div className="field" data-field="enabled">
        <label className="check">
          <input type="checkbox" checked={state.enabled} onChange={(e) => set('enabled', e.target.checked)} />
          <span>Enabled</span>
        </label>
      </div>
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Saving…' : webhook ? 'Save changes' : 'Create webhook'}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
