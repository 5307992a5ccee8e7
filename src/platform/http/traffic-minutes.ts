import type { Queryable } from '../db/pool.js';

/**
 * Request counts per route and minute, shared by every process on the database: each process adds
 * what it answered to `platform.traffic_minutes` every FLUSH_MS, so the console's overview shows the
 * whole Spine's traffic, not the answering process's. Prometheus (`/metrics`) stays per process, as
 * scrapers expect. Figures only: a flush that fails is retried with the next one, and the table is
 * unlogged (a crash loses a few seconds of counts, never a request).
 */
export const FLUSH_MS = 5_000;
/** Minutes kept: the overview charts one hour. */
const KEEP_MS = 2 * 60 * 60 * 1000;
/** The latency histogram's bounds in seconds (Prometheus `le`), shared with /metrics. */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10] as const;

export interface MinuteCounts {
  requests: number;
  serverErrors: number;
  latencySeconds: number;
  /** Requests answered within each LATENCY_BUCKETS bound (cumulative, as Prometheus keeps them). */
  buckets: number[];
}

export interface TrafficRow extends MinuteCounts {
  /** The minute's start, epoch milliseconds. */
  minute: number;
  route: string;
}

const emptyCounts = (): MinuteCounts => ({ requests: 0, serverErrors: 0, latencySeconds: 0, buckets: LATENCY_BUCKETS.map(() => 0) });

function add(into: MinuteCounts, from: MinuteCounts): void {
  into.requests += from.requests;
  into.serverErrors += from.serverErrors;
  into.latencySeconds += from.latencySeconds;
  from.buckets.forEach((n, i) => { into.buckets[i] = (into.buckets[i] ?? 0) + n; });
}

/** This process's counts not yet in the table, by minute and route. */
export class TrafficCounter {
  private pending = new Map<string, TrafficRow>();

  constructor(private readonly now: () => number) {}

  count(route: string, status: number, seconds: number): void {
    const minute = Math.floor(this.now() / 60_000) * 60_000;
    const key = `${minute} ${route}`;
    let row = this.pending.get(key);
    if (!row) this.pending.set(key, row = { minute, route, ...emptyCounts() });
    row.requests += 1;
    if (status >= 500) row.serverErrors += 1;
    row.latencySeconds += seconds;
    LATENCY_BUCKETS.forEach((bound, i) => { if (seconds <= bound) row.buckets[i]! += 1; });
  }

  /** Adds the pending counts to the table in one statement; on failure they wait for the next flush. */
  async flush(db: Queryable): Promise<void> {
    if (this.pending.size === 0) return;
    const rows = [...this.pending.values()];
    this.pending = new Map();
    try {
      await db.query(
        `INSERT INTO platform.traffic_minutes AS t (minute, route, requests, server_errors, latency_seconds, buckets)
         SELECT to_timestamp(minute / 1000.0), route, requests, server_errors, latency_seconds, buckets
           FROM jsonb_to_recordset($1::jsonb) AS r(minute bigint, route text, requests bigint, server_errors bigint, latency_seconds double precision, buckets double precision[])
         ON CONFLICT (minute, route) DO UPDATE SET
           requests = t.requests + excluded.requests,
           server_errors = t.server_errors + excluded.server_errors,
           latency_seconds = t.latency_seconds + excluded.latency_seconds,
           buckets = ARRAY(SELECT a + b FROM unnest(t.buckets, excluded.buckets) WITH ORDINALITY AS u(a, b, i) ORDER BY i)`,
        [JSON.stringify(rows.map((r) => ({ minute: r.minute, route: r.route, requests: r.requests, server_errors: r.serverErrors, latency_seconds: r.latencySeconds, buckets: r.buckets })))]);
    } catch (err) {
      for (const row of rows) {
        const key = `${row.minute} ${row.route}`;
        const waiting = this.pending.get(key);
        if (waiting) add(waiting, row); else this.pending.set(key, row);
      }
      throw err;
    }
  }
}

export async function purgeOldTraffic(db: Queryable, nowMs: number): Promise<void> {
  await db.query('DELETE FROM platform.traffic_minutes WHERE minute < $1', [new Date(nowMs - KEEP_MS)]);
}

/** Every process's counts per route for the minutes starting at or after `sinceMs`, oldest first. */
export async function trafficSince(db: Queryable, sinceMs: number): Promise<TrafficRow[]> {
  const { rows } = await db.query<{ minute: Date; route: string; requests: string; server_errors: string; latency_seconds: number; buckets: number[] }>(
    `SELECT minute, route, requests, server_errors, latency_seconds, buckets FROM platform.traffic_minutes WHERE minute >= $1 ORDER BY minute`,
    [new Date(sinceMs)]);
  return rows.map((r) => ({
    minute: r.minute.getTime(), route: r.route, requests: Number(r.requests), serverErrors: Number(r.server_errors),
    latencySeconds: r.latency_seconds, buckets: r.buckets.map(Number),
  }));
}
