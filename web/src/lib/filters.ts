// The delivery log's filters: as typed in the form, as sent to the API, and as applied to rows that
// arrive live (a new delivery appears only when it matches what is on screen).
import type { DeliveryRowFragment, DeliveryStatus } from '../gql/graphql';
import { fromLocalInput } from './format.ts';

export interface LogFilters {
  status: DeliveryStatus | '';
  eventType: string;
  /** datetime-local values */
  since: string;
  until: string;
  statusCode: string;
  search: string;
}

export const NO_FILTERS: LogFilters = { status: '', eventType: '', since: '', until: '', statusCode: '', search: '' };

export interface LogVariables {
  status: DeliveryStatus | null;
  eventType: string | null;
  since: string | null;
  until: string | null;
  statusCode: number | null;
  search: string | null;
}

export function toVariables(filters: LogFilters): LogVariables {
  const code = filters.statusCode.trim();
  return {
    status: filters.status || null,
    eventType: filters.eventType || null,
    since: fromLocalInput(filters.since),
    until: fromLocalInput(filters.until),
    statusCode: code && /^\d+$/.test(code) ? Number(code) : null,
    search: filters.search.trim().toLowerCase() || null,
  };
}

export function isFiltered(filters: LogFilters): boolean {
  return Object.values(filters).some((value) => value !== '');
}

export function matches(row: DeliveryRowFragment, v: LogVariables): boolean {
  if (v.status && row.status !== v.status) return false;
  if (v.eventType && row.eventType !== v.eventType) return false;
  if (v.statusCode !== null && row.lastStatusCode !== v.statusCode) return false;
  if (v.search && row.id !== v.search && row.eventId !== v.search) return false;
  const created = Date.parse(row.createdAt);
  if (v.since && created < Date.parse(v.since)) return false;
  if (v.until && created >= Date.parse(v.until)) return false;
  return true;
}
