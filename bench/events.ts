import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import type { Bench } from './run.js';
import { freshDataDir, requireBuild, startSpineProcess } from './support/platform.js';
import type { ServerProcess } from './support/server.js';
import { cpuSecondsOf, postgresCpuSeconds, postmasterPid } from './support/cpu.js';
import { log, type BenchLine } from './support/report.js';
import { SyntheticNhsNumbers } from '../src/services/demographics/population/nhs-numbers.js';

/**
 * Issue 12: event fan-out to local webhooks. The Spine in sandbox mode (loopback `http://` webhooks
 * are allowed there) with SUBSCRIPTIONS MNS rest-hook subscriptions to one event type, all pointing
 * at a receiver in this process; events are published through `POST /multicast-notification-service/events`
 * at a steady rate (PUBLISH_RATE × SUBSCRIPTIONS = the target deliveries/s), each about one of
 * PATIENTS patients, so the relay keeps order per patient and audits every delivery as it must.
 * Delivery lag is commit → received: from the publish call's answer (the outbox row has committed)
 * to the webhook call's arrival. Targets: ≥ 3,000 deliveries/s with p99 lag < 1 s.
 *
 * Run twice, on a fresh store each time: with the relay in a process of its own beside the API's
 * (a layout the README describes; the same machine, cores and database), then in the API's own
 * process (a plain `serve`). CPU per delivery is the sum over the
 * Spine's processes, each also given apart.
 */
const SUBSCRIPTIONS = 10;
// Offered a little above the target, so the figure shows whether the relay keeps up rather than the publishing rate.
const PUBLISH_RATE = 350;
const PATIENTS = 2_000;
const EVENT_TYPE = 'imms-vaccination-record-change-1';
const TARGETS = { deliveriesPerSecond: 3000, p99LagMs: 1000 } as const;

const percentile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! : NaN);

/**
 * Where the relay runs: in the API's own process (a plain `serve`), or in a process of its own beside
 * it (`serve --services events` with `OPENSPINE_EVENTS_RELAY=false` on the API process), on the
 * same machine and database.
 */
interface Topology {
  name: string;
  start(dir: string): Promise<{ api: ServerProcess; all: Array<{ role: string; process: ServerProcess }> }>;
}

const TOPOLOGIES: Topology[] = [
  {
    name: 'relay in its own process',
    async start(dir) {
      const api = await startSpineProcess(dir, ['--sandbox'], { OPENSPINE_EVENTS_RELAY: 'false' });
      const relay = await startSpineProcess(dir, ['--sandbox', '--services', 'events']).catch(async (err: unknown) => {
        await api.stop();
        throw err;
      });
      return { api, all: [{ role: 'API', process: api }, { role: 'relay', process: relay }] };
    },
  },
  {
    name: 'one process',
    async start(dir) {
      const api = await startSpineProcess(dir, ['--sandbox']);
      return { api, all: [{ role: 'server', process: api }] };
    },
  },
];

export const bench: Bench = async (options) => {
  const lines: BenchLine[] = [];
  for (const topology of TOPOLOGIES) lines.push(await measure(options, topology));
  return lines;
};

async function measure(options: Parameters<Bench>[0], topology: Topology): Promise<BenchLine> {
  requireBuild();
  const data = freshDataDir(options.benchDir, 'events');
  // The receiver: counts deliveries and their lag; answers 204 at once.
  const committedAt = new Map<string, number>();
  const lags: number[] = [];
  let received = 0;
  let lastReceived = 0;
  const receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const now = performance.now();
      received += 1;
      lastReceived = now;
      const id = req.headers['x-openspine-event-id'];
      const at = typeof id === 'string' ? committedAt.get(id) : undefined;
      if (at !== undefined) lags.push(now - at);
      res.writeHead(204).end();
    });
  });
  receiver.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  const { api: server, all: processes } = await topology.start(data.dir);
  try {
    const headers = { 'content-type': 'application/json', 'x-correlation-id': randomUUID(), 'x-request-id': randomUUID() };
    for (let i = 0; i < SUBSCRIPTIONS; i++) {
      const response = await fetch(`${server.url}/multicast-notification-service/subscriptions`, {
        method: 'POST', headers: { ...headers, 'x-request-id': randomUUID() },
        body: JSON.stringify({ resourceType: 'Subscription', status: 'requested', reason: `bench ${i}`, criteria: `eventType=${EVENT_TYPE}`,
          channel: { type: 'rest-hook', endpoint: `${hook}?s=${i}`, payload: 'application/json' } }),
      });
      if (response.status !== 201) throw new Error(`subscribe: ${response.status} ${await response.text()}`);
    }
    const numbers = new SyntheticNhsNumbers();
    const patients = Array.from({ length: PATIENTS }, () => numbers.next());
    let published = 0;
    let failed = 0;
    // Why publishes fail (e.g. `503`, `429`, `fetch`): a 5xx other than a shed 503 is a defect.
    const failures = new Map<string, number>();
    const fail = (why: string) => {
      failed += 1;
      failures.set(why, (failures.get(why) ?? 0) + 1);
    };
    const publishOne = async () => {
      const id = randomUUID();
      const subject = patients[published % PATIENTS]!;
      published += 1;
      try {
        const response = await fetch(`${server.url}/multicast-notification-service/events`, {
          method: 'POST', headers: { ...headers, 'x-request-id': randomUUID() },
          body: JSON.stringify({ specversion: '1.0', id, source: 'urn:bench', type: EVENT_TYPE, time: new Date().toISOString(), subject }),
        });
        const text = await response.text();
        if (response.status === 200) committedAt.set(id, performance.now());
        // The status and the answer's own words (a shed 503 says "overloaded", an unwritable audit trail says so).
        else fail(`${response.status} ${/"diagnostics":"([^"]{0,60})/.exec(text)?.[1] ?? ''}`.trim());
      } catch {
        fail('fetch');
      }
    };
    const publish = async (seconds: number) => {
      const started = performance.now();
      const inFlight = new Set<Promise<void>>();
      // Paced in 20 ms ticks; a tick's events go out together, at most 200 calls in flight.
      for (let tick = 0; performance.now() - started < seconds * 1000; tick++) {
        const due = Math.floor(((tick + 1) * 20 * PUBLISH_RATE) / 1000) - Math.floor((tick * 20 * PUBLISH_RATE) / 1000);
        for (let i = 0; i < due && inFlight.size < 200; i++) {
          const p = publishOne().finally(() => inFlight.delete(p));
          inFlight.add(p);
        }
        const next = started + (tick + 1) * 20;
        await new Promise((r) => setTimeout(r, Math.max(0, next - performance.now())));
      }
      await Promise.all(inFlight);
    };
    log(`events (${topology.name}): warm-up (3 s)`);
    await publish(3);
    const drain = async (expected: number, timeoutMs: number) => {
      const deadline = performance.now() + timeoutMs;
      while (received < expected && performance.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    };
    await drain(committedAt.size * SUBSCRIPTIONS, 60_000);
    received = 0;
    lags.length = 0;
    committedAt.clear();
    failed = 0;
    failures.clear();
    log(`events (${topology.name}): ${PUBLISH_RATE} events/s × ${SUBSCRIPTIONS} webhook subscriptions for ${options.seconds} s`);
    const postmaster = postmasterPid(data.dir);
    const cpuBefore = { processes: processes.map((p) => cpuSecondsOf(p.process.pid)), postgres: postgresCpuSeconds(postmaster), client: process.cpuUsage() };
    const stopRss = processes.map((p) => p.process.sampleRss());
    const started = performance.now();
    await publish(options.seconds);
    const expected = committedAt.size * SUBSCRIPTIONS;
    await drain(expected, 120_000);
    const seconds = (Math.max(lastReceived, started) - started) / 1000;
    const rss = stopRss.map((stop) => stop().peakMb);
    const clientCpu = process.cpuUsage(cpuBefore.client);
    const cpu = { processes: processes.map((p, i) => cpuSecondsOf(p.process.pid) - cpuBefore.processes[i]!), postgres: postgresCpuSeconds(postmaster) - cpuBefore.postgres,
      client: (clientCpu.user + clientCpu.system) / 1e6 };
    const serverCpu = cpu.processes.reduce((a, b) => a + b, 0);
    const rate = received / Math.max(seconds, 1e-3);
    lags.sort((a, b) => a - b);
    const p50 = percentile(lags, 50);
    const p95 = percentile(lags, 95);
    const p99 = percentile(lags, 99);
    const perDelivery = (s: number) => (s * 1000) / Math.max(1, received);
    const byProcess = processes.length > 1 ? ` (${processes.map((p, i) => `${p.role} ${perDelivery(cpu.processes[i]!).toFixed(3)}`).join(', ')})` : '';
    const line: BenchLine = {
      bench: 'events', what: `fan-out to local webhooks, ${topology.name} (${SUBSCRIPTIONS} subscriptions, ${PUBLISH_RATE} events/s)`,
      value: `${rate.toFixed(0)} deliveries/s, lag p50 ${p50.toFixed(0)} ms p95 ${p95.toFixed(0)} ms p99 ${p99.toFixed(0)} ms`,
      target: `≥ ${TARGETS.deliveriesPerSecond}/s, p99 lag < ${TARGETS.p99LagMs} ms`,
      met: rate >= TARGETS.deliveriesPerSecond && p99 < TARGETS.p99LagMs && received >= expected && failed === 0,
      note: `${received}/${expected} delivered, ${failed} publishes failed${failed ? ` (${[...failures].map(([why, n]) => `${why}: ${n}`).join(', ')})` : ''}; CPU/delivery: server ${perDelivery(serverCpu).toFixed(3)} ms${byProcess}, PostgreSQL ${perDelivery(cpu.postgres).toFixed(3)} ms, bench client (publisher and receiver) ${perDelivery(cpu.client).toFixed(3)} ms; RSS peak ${processes.map((p, i) => `${processes.length > 1 ? `${p.role} ` : ''}${rss[i]!.toFixed(0)} MB`).join(', ')}`,
      scenario: {
        name: `events: fan-out to local webhooks, ${topology.name}`, rps: rate, p50, p95, p99, errors: failed + (expected - Math.min(received, expected)),
        rss_mb: rss.reduce((a, b) => a + b, 0), rss_mb_by_process: Object.fromEntries(processes.map((p, i) => [p.role, rss[i]!])),
        unit: 'deliveries/s; latencies are delivery lag (commit → received)', subscriptions: SUBSCRIPTIONS, publish_rate: PUBLISH_RATE,
        topology: topology.name,
        cpu_ms_per_delivery: { server: perDelivery(serverCpu), postgres: perDelivery(cpu.postgres), client: perDelivery(cpu.client), ...Object.fromEntries(processes.map((p, i) => [`process_${p.role}`, perDelivery(cpu.processes[i]!)])) },
      },
    };
    return line;
  } finally {
    for (const { process: child } of [...processes].reverse()) await child.stop();
    await new Promise<void>((resolve) => { receiver.closeAllConnections(); receiver.close(() => resolve()); });
    data.remove();
  }
}
