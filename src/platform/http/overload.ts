import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import underPressure from '@fastify/under-pressure';
import type { Config } from '../config.js';
import { PLATFORM_ERRORS, SpineError } from './errors.js';
import { isHealthCheck, type Admission } from './shed.js';
import { SHED_RETRY_AFTER_SECONDS as RETRY_AFTER_SECONDS } from './shed-answers.js';
const SAMPLE_INTERVAL_MS = 200;
// Two samples after listening: the first may still hold start-up's lag.
const STARTUP_GRACE_MS = 2 * SAMPLE_INTERVAL_MS + 100;

declare module 'fastify' {
  interface FastifyInstance {
    /** Requests admitted and not yet answered (for tests and metrics). */
    inFlight(): number;
    /** The admission's record of what it did (shed.ts): for tests and metrics. */
    admission: Pick<Admission, 'shed' | 'waiting' | 'recentLatenciesMs' | 'recentWaitsMs' | 'limit'>;
  }
}

/**
 * The peer has closed its connection: nobody will read an answer. The socket says so, not the
 * request stream, which is destroyed as soon as its body has been read.
 */
function clientGone(request: FastifyRequest): boolean {
  const socket = request.raw.socket;
  return !socket || socket.destroyed || !socket.writable;
}

/** Drops a request whose client has gone: no handler, no database, no audit record of work not done. */
function abandon(request: FastifyRequest, reply: FastifyReply) {
  reply.hijack();
  request.raw.socket?.destroy();
}

/**
 * Load shedding, so that overload costs the clients a quick 503 and not everyone a slow answer:
 * - the admission on the raw server (shed.ts) refuses a request past `maxInFlight` requests in
 *   progress, or while @fastify/under-pressure sees the event loop lag past `maxEventLoopDelayMs`
 *   or the heap hold more than `maxHeapUsedBytes`, before Fastify does any work for it;
 * - under-pressure's own hook stays as a second line, through each service's error handler;
 * - a request whose client has gone (timed out, cancelled) while it waited is dropped before
 *   its handler runs: no work, no write, no audit record for an answer nobody reads. Once its
 *   handler has begun it runs to the end: the admission keeps what is in progress within the
 *   latency target, so a client rarely leaves mid-way, and following each request through its
 *   awaits to stop it there (AsyncLocalStorage) cost 10–15% of the server's CPU on Node 20.
 * Registered first, ahead of authentication: a shed request costs no signature check either.
 */
export async function registerOverloadShedding(app: FastifyInstance, limits: Config['overload'], admission: Admission) {
  // Start-up work (migrations, schema compilation) lags the event loop once; that is not load.
  let measuringSince = Number.POSITIVE_INFINITY;
  app.addHook('onListen', async () => { measuringSince = Date.now() + STARTUP_GRACE_MS; });
  await app.register(underPressure, {
    maxEventLoopDelay: limits.maxEventLoopDelayMs,
    maxHeapUsedBytes: limits.maxHeapUsedBytes,
    retryAfter: RETRY_AFTER_SECONDS,
    // A lag is seen within a fifth of a second rather than the default second.
    sampleInterval: SAMPLE_INTERVAL_MS,
    pressureHandler: (request, _reply, type, value) => {
      if (isHealthCheck(request.url)) return undefined;
      if (type === 'eventLoopDelay' && (Date.now() < measuringSince || !Number.isFinite(Number(value)))) return undefined;
      const what = type === 'eventLoopDelay' ? `the event loop lags ${Math.round(Number(value))} ms` : `memory is short (${type})`;
      return Promise.reject(new SpineError(PLATFORM_ERRORS.SERVICE_UNAVAILABLE,
        `The service is overloaded (${what}); retry after ${RETRY_AFTER_SECONDS} s`,
        { headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) } }));
    },
  });

  admission.alsoShedWhile(() => {
    const { heapUsed, eventLoopDelay } = app.memoryUsage();
    return (limits.maxHeapUsedBytes > 0 && heapUsed > limits.maxHeapUsedBytes)
      // under-pressure reports an interval with no sample as an infinite lag: on a machine whose other
      // processes keep this one off the CPU for a sampling interval that is not this process's load,
      // and shedding on it refused a tenth of the PDS bench's reads. A lag that was measured is finite.
      || (limits.maxEventLoopDelayMs > 0 && Number.isFinite(eventLoopDelay) && eventLoopDelay > limits.maxEventLoopDelayMs && Date.now() >= measuringSince);
  });
  app.decorate('inFlight', admission.inFlight);
  app.decorate('admission', { shed: admission.shed, waiting: admission.waiting, recentLatenciesMs: admission.recentLatenciesMs, recentWaitsMs: admission.recentWaitsMs, limit: admission.limit });
  const dropIfGone = (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    if (clientGone(request)) abandon(request, reply);
    else done();
  };
  app.addHook('onRequest', dropIfGone);
  app.addHook('preHandler', dropIfGone);
}
