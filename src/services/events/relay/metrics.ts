import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Db } from '../../../platform/db/pool.js';
import { backlog } from '../store/deliveries.js';

export interface RelayMetrics {
  attempt(channel: string, outcome: 'delivered' | 'retry' | 'dead'): void;
  lag(channel: string, seconds: number): void;
}

/**
 * The relay in `/metrics`: delivery lag (commit of the change → delivered) as a histogram per
 * channel, attempts by outcome, and the backlog read from the database at scrape time (so every
 * process reports the whole backlog, not only its own).
 */
export function registerRelayMetrics(registry: Registry, db: Db): RelayMetrics {
  const attempts = new Counter({ name: 'openspine_events_delivery_attempts_total', help: 'Event delivery attempts by channel and outcome', labelNames: ['channel', 'outcome'], registers: [registry] });
  const lag = new Histogram({
    name: 'openspine_events_delivery_lag_seconds', help: 'From the event\'s commit to its delivery', labelNames: ['channel'], registers: [registry],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600],
  });
  let pending: Promise<void> | undefined;
  // prom-client awaits an async collect: a scrape reads the backlog as it is now (one query for both gauges).
  const gauge = new Gauge({ name: 'openspine_events_backlog', help: 'Events not yet routed (unrouted), deliveries waiting (pending) and dead-lettered (dead)', labelNames: ['state'], registers: [registry], collect: () => refresh() });
  const oldest = new Gauge({ name: 'openspine_events_oldest_waiting_seconds', help: 'Age of the oldest unrouted event and of the oldest pending delivery', labelNames: ['state'], registers: [registry], collect: () => refresh() });
  const refresh = (): Promise<void> => {
    // Shared by concurrent scrapes.
    pending ??= backlog(db).then((b) => {
      gauge.set({ state: 'unrouted' }, b.unrouted);
      gauge.set({ state: 'pending' }, b.pending);
      gauge.set({ state: 'dead' }, b.dead);
      oldest.set({ state: 'unrouted' }, b.oldestUnroutedSeconds);
      oldest.set({ state: 'pending' }, b.oldestPendingSeconds);
    }).catch(() => undefined).finally(() => { pending = undefined; });
    return pending;
  };
  return {
    attempt: (channel, outcome) => attempts.inc({ channel, outcome }),
    lag: (channel, seconds) => lag.observe({ channel }, Math.max(0, seconds)),
  };
}
