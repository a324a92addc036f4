// Deliveries per minute by outcome over the last hour, for the organization or one webhook. It
// reads again (at most every two seconds) when the live stream says something changed.
import { useId, useRef, useState } from 'react';
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useQuery } from 'urql';
import { graphql } from '../gql';
import type { DeliveryStatsQuery } from '../gql/graphql';
import { errorText } from '../lib/errors.ts';
import { formatTime } from '../lib/format.ts';
import { useRefreshAfterChanges } from '../lib/live.ts';

const DeliveryStatsQueryDoc = graphql(`
  query DeliveryStats($webhookId: ID, $since: DateTime!) {
    deliveryStats(webhookId: $webhookId, since: $since, bucketMinutes: 1) {
      since
      until
      buckets {
        start
        counts { pending retrying succeeded failed cancelled total }
      }
      totals { pending retrying succeeded failed cancelled total }
    }
  }
`);

export const OUTCOMES = [
  { key: 'succeeded', label: 'Succeeded', color: '#15803d' },
  { key: 'failed', label: 'Failed', color: '#b91c1c' },
  { key: 'retrying', label: 'Retrying', color: '#b45309' },
  { key: 'pending', label: 'Pending', color: '#64748b' },
  { key: 'cancelled', label: 'Cancelled', color: '#1e293b' },
] as const;

const HOUR_MS = 3_600_000;

function lastHour(): string {
  return new Date(Date.now() - HOUR_MS).toISOString();
}

/** `changes` counts live updates seen by the page; each change asks for fresh counts, throttled. */
export function DeliveryChart({ webhookId, changes, title }: { webhookId?: string; changes: number; title: string }) {
  const id = useId();
  const [since, setSince] = useState(lastHour);
  useRefreshAfterChanges(changes, () => setSince(lastHour()));

  const [{ data, error }] = useQuery({ query: DeliveryStatsQueryDoc, variables: { webhookId: webhookId ?? null, since }, requestPolicy: 'network-only' });
  // Keep showing the last counts while the next ones load.
  const shown = useRef<DeliveryStatsQuery['deliveryStats'] | null>(null);
  if (data) shown.current = data.deliveryStats;
  const stats = shown.current;
  const rows = stats?.buckets.map((bucket) => ({ minute: formatTime(bucket.start), ...bucket.counts })) ?? [];
  const totals = stats?.totals;

  return (
    <figure className="card chart" aria-labelledby={`${id}-title`}>
      <figcaption>
        <h2 id={`${id}-title`}>{title}</h2>
        {totals && (
          <p className="chart-summary" data-testid="chart-summary">
            {OUTCOMES.map((o) => `${totals[o.key]} ${o.label.toLowerCase()}`).join(' · ')}
          </p>
        )}
      </figcaption>
      {error && !stats && <p className="alert error">{errorText(error)}</p>}
      <div className="chart-area">
        {stats && (
          <ResponsiveContainer width="100%" height={220}>
            <BarChart
              data={rows}
              margin={{ top: 8, right: 8, bottom: 0, left: 0 }}
              barCategoryGap={1}
              title={title}
              desc="Deliveries per minute over the last hour, stacked by outcome; the counts are also written above the chart."
            >
              <CartesianGrid strokeDasharray="3 3" vertical={false} />
              <XAxis dataKey="minute" interval="preserveStartEnd" minTickGap={24} tick={{ fontSize: 12 }} />
              <YAxis allowDecimals={false} width={36} tick={{ fontSize: 12 }} />
              <Tooltip />
              <Legend />
              {OUTCOMES.map((o) => (
                <Bar key={o.key} dataKey={o.key} name={o.label} stackId="outcome" fill={o.color} isAnimationActive={false} />
              ))}
            </BarChart>
          </ResponsiveContainer>
        )}
      </div>
    </figure>
  );
}

/** 24 hourly bars of successful and failed attempts: a glance, the numbers sit next to it. */
export function HealthSpark({ hourly }: { hourly: ReadonlyArray<{ start: string; attempts: number; successfulAttempts: number }> }) {
  const rows = hourly.map((h) => ({ ok: h.successfulAttempts, failed: h.attempts - h.successfulAttempts }));
  return (
    <div className="spark" aria-hidden="true" title="Attempts per hour over the last 24 hours: succeeded (green) and failed (red)">
      <BarChart width={120} height={32} data={rows} margin={{ top: 0, right: 0, bottom: 0, left: 0 }} barCategoryGap={1}>
        <Bar dataKey="ok" stackId="a" fill="#15803d" isAnimationActive={false} />
        <Bar dataKey="failed" stackId="a" fill="#b91c1c" isAnimationActive={false} />
      </BarChart>
    </div>
  );
}
