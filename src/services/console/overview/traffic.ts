import type { Registry } from 'prom-client';

/**
 * Traffic per service over the last hour, from the platform's own Prometheus metrics: the console
 * samples the request counter and latency histogram every SAMPLE_MS and keeps an hour of samples.
 * Figures are this process's (each API process behind a load balancer keeps its own).
 */
export const SAMPLE_MS = 15_000;
const WINDOW_MS = 60 * 60 * 1000;

/** Which service answers a route, by its NHS URL prefix. */
const SERVICE_PREFIXES: ReadonlyArray<readonly [string, string]> = [
  ['/personal-demographics', 'demographics'], ['/messageexchange', 'messaging'], ['/admin/reset', 'messaging'],
  ['/admin/mailbox', 'messaging'], ['/admin/message', 'messaging'], ['/record-locator', 'record-locator'],
  ['/admin/record-locator', 'record-locator'], ['/spine-directory', 'directory'], ['/admin/directory', 'directory'],
  ['/audit', 'audit'], ['/oauth2', 'identity'], ['/admin/identity', 'identity'], ['/identity', 'identity'], ['/console', 'console'],
];

export function serviceOfRoute(route: string): string {
  return SERVICE_PREFIXES.find(([prefix]) => route === prefix || route.startsWith(`${prefix}/`))?.[1] ?? 'platform';
}

/** Cumulative counts for one service at one instant. */
export interface Counts {
  requests: number;
  serverErrors: number;
  latencySeconds: number;
  /** Cumulative histogram: requests answered within each bound (seconds), as Prometheus keeps it. */
  buckets: Record<string, number>;
}

export interface Sample { at: number; services: Record<string, Counts> }

const empty = (): Counts => ({ requests: 0, serverErrors: 0, latencySeconds: 0, buckets: {} });

export async function takeSample(registry: Registry, at: number): Promise<Sample> {
  const services: Record<string, Counts> = {};
  const of = (route: unknown) => (services[serviceOfRoute(String(route ?? ''))] ??= empty());
  const requests = await registry.getSingleMetric('openspine_http_requests_total')?.get();
  for (const value of requests?.values ?? []) {
    const counts = of(value.labels.route);
    counts.requests += value.value;
    if (Number(value.labels.status) >= 500) counts.serverErrors += value.value;
  }
  const latency = await registry.getSingleMetric('openspine_http_request_duration_seconds')?.get();
  for (const value of latency?.values ?? []) {
    const counts = of(value.labels.route);
    const name = (value as { metricName?: string }).metricName ?? '';
    if (name.endsWith('_sum')) counts.latencySeconds += value.value;
    else if (name.endsWith('_bucket')) {
      const le = String(value.labels.le);
      counts.buckets[le] = (counts.buckets[le] ?? 0) + value.value;
    }
  }
  return { at, services };
}

function difference(later: Counts | undefined, earlier: Counts | undefined): Counts {
  const a = later ?? empty();
  const b = earlier ?? empty();
  const buckets: Record<string, number> = {};
  for (const le of Object.keys(a.buckets)) buckets[le] = Math.max(0, a.buckets[le]! - (b.buckets[le] ?? 0));
  return {
    requests: Math.max(0, a.requests - b.requests),
    serverErrors: Math.max(0, a.serverErrors - b.serverErrors),
    latencySeconds: Math.max(0, a.latencySeconds - b.latencySeconds),
    buckets,
  };
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
  /** Over the last hour (or since start). */
  requests: number;
  serverErrors: number;
  errorRatePercent: number | null;
  meanMs: number | null;
  p95Ms: number | null;
  /** One point a minute, oldest first: the last hour, or as much of it as the samples cover; the last minute is the one in progress. */
  minutes: MinutePoint[];
  /** 5xx share over the last five minutes: the service's health. */
  recentErrorRatePercent: number | null;
}

const rate = (part: number, whole: number) => (whole === 0 ? null : (100 * part) / whole);

/** Per-service traffic over the hour the samples cover; `now` is a fresh sample. */
export function summarise(samples: readonly Sample[], now: Sample, services: readonly string[]): ServiceTraffic[] {
  const inWindow = samples.filter((s) => s.at >= now.at - WINDOW_MS && s.at <= now.at);
  const oldest = inWindow[0] ?? now;
  const fiveMinutesAgo = inWindow.find((s) => s.at >= now.at - 5 * 60_000) ?? now;
  const series = [...inWindow, now];
  // A process younger than an hour charts the minutes it has seen (at least two), so its charts fill their width.
  const span = Math.min(60, Math.max(2, Math.ceil((now.at - oldest.at) / 60_000) + 1));
  return services.map((service) => {
    const hour = difference(now.services[service], oldest.services[service]);
    const recent = difference(now.services[service], fiveMinutesAgo.services[service]);
    const minutes: Counts[] = Array.from({ length: span }, empty);
    for (let i = 1; i < series.length; i++) {
      const step = difference(series[i]!.services[service], series[i - 1]!.services[service]);
      const minute = span - 1 - Math.floor((now.at - series[i]!.at) / 60_000);
      if (minute < 0 || minute >= span) continue;
      const bin = minutes[minute]!;
      bin.requests += step.requests;
      bin.serverErrors += step.serverErrors;
      bin.latencySeconds += step.latencySeconds;
      for (const [le, n] of Object.entries(step.buckets)) bin.buckets[le] = (bin.buckets[le] ?? 0) + n;
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

/** Keeps an hour of samples of a registry, taken every SAMPLE_MS. */
export class TrafficSampler {
  private samples: Sample[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly registry: Registry, private readonly now: () => number) {}

  start(): void {
    const sample = () => {
      takeSample(this.registry, this.now()).then((s) => {
        this.samples.push(s);
        const cutoff = s.at - WINDOW_MS - SAMPLE_MS;
        while (this.samples.length > 0 && this.samples[0]!.at < cutoff) this.samples.shift();
      }).catch(() => undefined);
    };
    sample();
    this.timer = setInterval(sample, SAMPLE_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  async traffic(services: readonly string[]): Promise<ServiceTraffic[]> {
    return summarise(this.samples, await takeSample(this.registry, this.now()), services);
  }
}
