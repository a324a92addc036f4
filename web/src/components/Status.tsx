// Statuses in words first; the colour and the symbol only repeat them.
import type { DeliveryStatus } from '../gql/graphql';

const SYMBOL: Record<DeliveryStatus, string> = { PENDING: '○', RETRYING: '↻', SUCCEEDED: '✓', FAILED: '✕', CANCELLED: '⊘' };

export const DELIVERY_STATUSES: readonly DeliveryStatus[] = ['PENDING', 'RETRYING', 'SUCCEEDED', 'FAILED', 'CANCELLED'];

export function DeliveryStatusBadge({ status }: { status: DeliveryStatus }) {
  return (
    <span className={`badge status-${status.toLowerCase()}`} data-status={status}>
      <span aria-hidden="true">{SYMBOL[status]} </span>
      {status}
    </span>
  );
}

export function WebhookStateBadge({ enabled }: { enabled: boolean }) {
  return (
    <span className={`badge ${enabled ? 'state-enabled' : 'state-disabled'}`}>
      <span aria-hidden="true">{enabled ? '● ' : '■ '}</span>
      {enabled ? 'Enabled' : 'Disabled'}
    </span>
  );
}
