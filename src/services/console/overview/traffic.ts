import { LATENCY_BUCKETS, type TrafficRow } from '../../../platform/http/traffic-minutes.js';

/**
 * Traffic per service over the last hour, from the platform's per-minute request counts that every
 * process adds to (platform/http/traffic-minutes.ts): the figures are the whole Spine's, whichever
 * process answers the page.
 */
const WINDOW_MINUTES = 60;

/** Which service answers a route, by its NHS URL prefix. */
const SERVICE_PREFIXES: ReadonlyArray<readonly [string, string]> = [
  ['/personal-demographics', 'demographics'], ['/messageexchange', 'messaging'], ['/admin/reset', 'messaging'],
  ['/admin/mailbox', 'messaging'], ['/admin/message', 'messaging'], ['/record-locator', 'record-locator'],
  ['/admin/record-locator', 'record-locator'], ['/spine-directory', 'directory'], ['/admin/directory', 'directory'],
  ['/audit', 'audit'], ['/oauth2', 'identity'], ['/admin/identity', 'identity'], ['/identity', 'identity'], ['/console', 'console'],
  ['/fhir-prescribing', 'prescriptions'], ['/fhir-dispensing', 'prescriptions'], ['/nems', 'events'],
  ['/multicast-notification-service', 'events'], ['/admin/events', 'events'], ['/consent', 'consent'], ['/export', 'export'],
];

export function serviceOfRoute(route: string): string {
  return SERVICE_PREFIXES.find(([prefix]) => route === prefix || route.startsWith(`${prefix}/`))?.[1] ?? 'platform';
}

/** Counts for one service over some minutes. */
export interface Counts {
  requests: number;
  serverErrors: number;
  latencySeconds: number;
  /** Cumulative histogram: requests answered within each bound (seconds), as Prometheus keeps it. */
  buckets: Record<string, number>;
}

const empty = (): Counts => ({ requests: 0, serverErrors: 0, latencySeconds: 0, buckets: {} });

function add(into: Counts, row: TrafficRow): void {
  into.requests += row.requests;
  into.serverErrors += row.serverErrors;
  into.latencySeconds += row.latencySeconds;
  LATENCY_BUCKETS.forEach((bound, i) => { into.buckets[String(bound)] = (into.buckets[String(bound)] ?? 0) + (row.buckets[i] ?? 0); });
}

/** The 95th percentile in milliseconds from a cumulative histogram: the bound of the bucket that reaches 95 %. */
export function percentile95Ms(counts: Counts): number | null {
  if (counts.requests === 0) return null;
  const bounds = Object.keys(counts.buckets).filter((le) => le !== '+Inf').map(Number).sort((x, y) => x - y);
  const wanted = counts.requests * 0.95;
  for (const bound of bounds) if ((counts.buckets[String(bound)] ?? 0) >= wanted) return bound * 1000;
  return bounds.length > 0 ? bounds[bounds.length - 1]! * 1000 : null;
}

export interface MinutePoint { requests: number; errorRatePercent: number | null; p95Ms: number | null }

export interface ServiceTraffic {
  service: string;
  /** Over the last hour (or since the first minute counted). */
  requests: number;
  serverErrors: number;
  errorRatePercent: number | null;
  meanMs: number | null;
  p95Ms: number | null;
  /** One point a minute, oldest first: the last hour, or as much of it as has been counted; the last minute is the one in progress. */
  minutes: MinutePoint[];
  /** 5xx share over the last five minutes: the service's health. */
  recentErrorRatePercent: number | null;
}

const rate = (part: number, whole: number) => (whole === 0 ? null : (100 * part) / whole);

/** Where the overview's window starts: the minute an hour before `nowMs`'s (rows from then on are read). */
export const windowStartMs = (nowMs: number) => (Math.floor(nowMs / 60_000) - (WINDOW_MINUTES - 1)) * 60_000;

/** Per-service traffic over the hour up to `nowMs`, from every process's per-minute, per-route counts. */
export function summarise(rows: readonly TrafficRow[], nowMs: number, services: readonly string[]): ServiceTraffic[] {
  const current = Math.floor(nowMs / 60_000);
  const inWindow = rows.filter((r) => r.minute >= windowStartMs(nowMs) && r.minute <= nowMs);
  const oldest = inWindow.reduce((min, r) => Math.min(min, Math.floor(r.minute / 60_000)), current);
  // A Spine younger than an hour charts the minutes it has counted (at least two), so its charts fill their width.
  const span = Math.min(WINDOW_MINUTES, Math.max(2, current - oldest + 1));
  return services.map((service) => {
    const minutes: Counts[] = Array.from({ length: span }, empty);
    const hour = empty();
    const recent = empty();
    for (const row of inWindow) {
      if (serviceOfRoute(row.route) !== service) continue;
      const index = span - 1 - (current - Math.floor(row.minute / 60_000));
      if (index < 0) continue;
      add(minutes[index]!, row);
      add(hour, row);
      if (current - Math.floor(row.minute / 60_000) < 5) add(recent, row);
    }
    return {
      service,
      requests: hour.requests,
      serverErrors: hour.serverErrors,
      errorRatePercent: rate(hour.serverErrors, hour.requests),
      meanMs: hour.requests === 0 ? null : (1000 * hour.latencySeconds) / hour.requests,
      p95Ms: percentile95Ms(hour),
      minutes: minutes.map((m) => ({ requests: m.requests, errorRatePercent: rate(m.serverErrors, m.requests), p95Ms: percentile95Ms(m) })),
      recentErrorRatePercent: rate(recent.serverErrors, recent.requests),
    };
  });
}
