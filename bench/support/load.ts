import type { EventEmitter } from 'node:events';
import autocannon from 'autocannon';

/** One load run's figures: throughput and latency percentiles from every response (ms). */
export interface LoadFigures {
  requests: number;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  /** Responses with a status other than the expected one, plus socket errors and timeouts. */
  failures: number;
  statusCounts: Record<number, number>;
}

/** A run's figures with what is needed to combine them with other runs' (`combineLoads`). */
export interface LoadRun extends LoadFigures {
  /** How long the run took (s), over which `rps` was counted. */
  seconds: number;
  /** Every response's latency (ms), for figures over several runs (`combineLoads`). */
  latencies: Float64Array;
}

export interface LoadRequest {
  method?: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface LoadOptions {
  url: string;
  connections: number;
  seconds: number;
  /** Called for each request: vary paths and bodies (fresh ids, fresh assertions). */
  next: () => LoadRequest;
  headers?: Record<string, string>;
  /** Statuses that count as answered correctly (default 200). */
  expectStatus?: number | number[];
  /** Stop after this many requests (e.g. when each needs a single-use credential made in advance). */
  amount?: number;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/**
 * Drives `url` with autocannon for `seconds` over `connections` keep-alive connections. Latencies
 * are recorded from every response (autocannon's own summary has no p95), so p95 is exact.
 */
export async function runLoad(options: LoadOptions): Promise<LoadRun> {
  const latencies: number[] = [];
  const statusCounts: Record<number, number> = {};
  const expected = [options.expectStatus ?? 200].flat();
  const instance = autocannon({
    url: options.url,
    connections: options.connections,
    ...(options.amount ? { amount: options.amount } : { duration: options.seconds }),
    headers: options.headers,
    requests: [{
      setupRequest: (request: Record<string, unknown>) => {
        const next = options.next();
        request.method = next.method ?? 'GET';
        request.path = next.path;
        if (next.body !== undefined) request.body = next.body;
        if (next.headers) request.headers = { ...(request.headers as object), ...next.headers };
        return request;
      },
    }],
  } as unknown as autocannon.Options) as unknown as EventEmitter & PromiseLike<autocannon.Result>;
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    latencies.push(responseTime);
    statusCounts[statusCode] = (statusCounts[statusCode] ?? 0) + 1;
  });
  // With a fixed amount autocannon ignores the duration; the run still ends when its time is up.
  const timer = options.amount ? setTimeout(() => (instance as unknown as { stop(): void }).stop(), options.seconds * 1000) : undefined;
  const result = await instance;
  clearTimeout(timer);
  const sorted = Float64Array.from(latencies).sort();
  const good = expected.reduce((sum, status) => sum + (statusCounts[status] ?? 0), 0);
  return {
    requests: latencies.length,
    rps: good / (result.duration || options.seconds),
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    failures: latencies.length - good + result.errors + result.timeouts,
    statusCounts,
    seconds: result.duration || options.seconds,
    latencies: sorted,
  };
}

/**
 * One set of figures for several runs of the same load (slices of a run alternated with another
 * load's): requests and answers counted over their time together, percentiles over every response.
 */
export function combineLoads(runs: readonly LoadRun[]): LoadRun {
  const seconds = runs.reduce((sum, r) => sum + r.seconds, 0);
  const good = runs.reduce((sum, r) => sum + r.rps * r.seconds, 0);
  const sorted = Float64Array.from(runs.flatMap((r) => Array.from(r.latencies))).sort();
  const statusCounts: Record<number, number> = {};
  for (const run of runs) {
    for (const [status, count] of Object.entries(run.statusCounts)) statusCounts[Number(status)] = (statusCounts[Number(status)] ?? 0) + count;
  }
  return {
    requests: sorted.length,
    rps: good / Math.max(seconds, Number.EPSILON),
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    failures: runs.reduce((sum, r) => sum + r.failures, 0),
    statusCounts,
    seconds,
    latencies: sorted,
  };
}
