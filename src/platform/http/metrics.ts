import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Db } from '../db/pool.js';
import { registerReplicaMetrics } from './replica-metrics.js';
import { FLUSH_MS, LATENCY_BUCKETS, TrafficCounter, purgeOldTraffic } from './traffic-minutes.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The server's Prometheus registry: `/metrics` serves it, services add their own metrics, the console charts it. */
    metrics: Registry;
  }
}

/**
 * A registry per server, so several servers in one process (tests) never share counters. Request
 * counts also go to the shared per-minute table (traffic-minutes.ts) every FLUSH_MS.
 */
export function registerMetrics(app: FastifyInstance, db: Db, now: () => number = Date.now): Registry {
  const registry = new Registry();
  app.decorate('metrics', registry);
  // Default metrics include event-loop lag, heap and RSS.
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });
  const requests = new Counter({
    name: 'openspine_http_requests_total', help: 'HTTP requests by route and status',
    labelNames: ['method', 'route', 'status'], registers: [registry],
  });
  const latency = new Histogram({
    name: 'openspine_http_request_duration_seconds', help: 'HTTP request latency by route and status',
    labelNames: ['method', 'route', 'status'], registers: [registry],
    buckets: [...LATENCY_BUCKETS],
  });
  new Gauge({
    name: 'openspine_db_pool_clients', help: 'PostgreSQL pool clients by state', labelNames: ['state'], registers: [registry],
    collect() {
      this.set({ state: 'total' }, db.pool.totalCount);
      this.set({ state: 'idle' }, db.pool.idleCount);
      this.set({ state: 'waiting' }, db.pool.waitingCount);
    },
  });
  registerReplicaMetrics(registry, db);
  const traffic = new TrafficCounter(now);
  app.addHook('onResponse', (request, reply, done) => {
    // The route pattern, not the URL, keeps label cardinality bounded.
    const labels = { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) };
    requests.inc(labels);
    latency.observe(labels, reply.elapsedTime / 1000);
    traffic.count(labels.route, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
  let lastPurge = 0;
  const flush = async () => {
    await traffic.flush(db);
    if (now() - lastPurge > 10 * 60_000) {
      lastPurge = now();
      await purgeOldTraffic(db, lastPurge);
    }
  };
  const timer = setInterval(() => { flush().catch((err: Error) => app.log.warn({ err }, 'traffic figures not flushed')); }, FLUSH_MS);
  timer.unref();
  app.addHook('onClose', async () => {
    clearInterval(timer);
    await flush().catch(() => undefined);
  });
  app.get('/metrics', { config: { public: true } }, async (_request, reply) => {
    reply.type(registry.contentType);
    return registry.metrics();
  });
  return registry;
}
