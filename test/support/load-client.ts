// A bounded load on a loopback URL, run as a child process so that the server under test keeps its
// own event loop: autocannon with the given connections for the given seconds. Prints one JSON line:
// counts per status, errors and timeouts, latency percentiles per status, how many 503s carried
// Retry-After, and the distinct 503 bodies (the first few). Usage: node --import tsx test/support/load-client.ts '{"url":…,"connections":…,"seconds":…,"headers":{…}}'
import autocannon from 'autocannon';

const { url, connections, seconds, headers } = JSON.parse(process.argv[2] ?? '{}') as { url: string; connections: number; seconds: number; headers: Record<string, string> };
if (!/^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])[:/]/.test(url)) throw new Error(`loopback only, not ${url}`);

const latencies = new Map<number, number[]>();
let withRetryAfter = 0;
const shedBodies = new Set<string>();
const instance = autocannon({
  url, connections, duration: seconds, headers, timeout: 10,
  requests: [{
    onResponse: (status, body, _context, responseHeaders) => {
      if (status !== 503) return;
      const retryAfter = Object.entries(responseHeaders ?? {}).find(([name]) => name.toLowerCase() === 'retry-after')?.[1];
      if (Number(retryAfter) >= 1) withRetryAfter += 1;
      if (shedBodies.size < 5) shedBodies.add(body);
    },
  }],
}, (err, result) => {
  if (err) throw err;
  const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
  const latency: Record<string, { count: number; p50: number; p99: number; max: number }> = {};
  for (const [status, values] of latencies) {
    values.sort((a, b) => a - b);
    latency[status] = { count: values.length, p50: percentile(values, 0.5), p99: percentile(values, 0.99), max: values.at(-1) ?? 0 };
  }
  process.stdout.write(`${JSON.stringify({ errors: result.errors, timeouts: result.timeouts, latency, withRetryAfter, shedBodies: [...shedBodies] })}\n`);
});
instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
  let values = latencies.get(status);
  if (!values) latencies.set(status, (values = []));
  values.push(ms);
});
