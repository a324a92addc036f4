import { useId } from 'react';
import type { DeliveryStatus } from '../gql/graphql';
import { isFiltered, NO_FILTERS, type LogFilters } from '../lib/filters.ts';
import { DELIVERY_STATUSES } from './Status.tsx';

/** The delivery log's filters; every change applies at once (the parent debounces typing). */
export function LogFilterForm({ value, onChange, eventTypes }: { value: LogFilters; onChange(next: LogFilters): void; eventTypes: readonly string[] }) {
  const id = useId();
  const set = <K extends keyof LogFilters>(key: K, v: LogFilters[K]) => onChange({ ...value, [key]: v });
  return (
    <form role="search" aria-label="Filter deliveries" className="filters" onSubmit={(e) => e.preventDefault()}>
      <div className="field">
        <label htmlFor={`${id}-status`}>Status</label>
        <select id={`${id}-status`} value={value.status} onChange={(e) => set('status', e.target.value as DeliveryStatus | '')}>
          <option value="">Any status</option>
          {DELIVERY_STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={`${id}-type`}>Event type</label>
        <select id={`${id}-type`} value={value.eventType} onChange={(e) => set('eventType', e.target.value)}>
          <option value="">Any event type</option>
          {eventTypes.map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={`${id}-since`}>From</label>
        <input id={`${id}-since`} type="datetime-local" step={1} value={value.since} onChange={(e) => set('since', e.target.value)} />
      </div>
      <div className="field">
        <label htmlFor={`${id}-until`}>To</label>
        <input id={`${id}-until`} type="datetime-local" step={1} value={value.until} onChange={(e) => set('until', e.target.value)} />
      </div>
      <div className="field">
        <label htmlFor={`${id}-code`}>Response status</label>
        <input
          id={`${id}-code`}
          type="number"
          inputMode="numeric"
          min={100}
          max={599}
          placeholder="e.g. 500"
          value={value.statusCode}
          onChange={(e) => set('statusCode', e.target.value)}
        />
      </div>
      <div className="field grow">
        <label htmlFor={`${id}-search`}>Event id or delivery id</label>
        <input
          id={`${id}-search`}
          type="search"
          className="mono"
          placeholder="evt_… or dlv_…"
          spellCheck={false}
          autoComplete="off"
          value={value.search}
          onChange={(e) => set('search', e.target.value)}
        />
      </div>
      <div className="field">
        <button type="button" onClick={() => onChange(NO_FILTERS)} disabled={!isFiltered(value)}>
          Clear filters
        </button>
      </div>
    </form>
  );
}
