import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import underPressure from '@fastify/under-pressure';
import type { Config } from '../config.js';
import { PLATFORM_ERRORS, SpineError } from './errors.js';
import { callers } from '../db/faults.js';

/** Seconds a shed client is asked to wait. */
const RETRY_AFTER_SECONDS = 1;
const SAMPLE_INTERVAL_MS = 200;
// Two samples after listening: the first may still hold start-up's lag.
const STARTUP_GRACE_MS = 2 * SAMPLE_INTERVAL_MS + 100;

declare module 'fastify' {
  interface FastifyInstance {
    /** Requests admitted and not yet answered (for tests and metrics). */
    inFlight(): number;
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
 * - past `maxInFlight` admitted requests, the next is refused at once (503, `Retry-After`),
 *   before its body is read or any database work is done, so memory stays bounded whatever
 *   the number of connections and the requests admitted keep their latency;
 * - @fastify/under-pressure refuses requests while the event loop lags past
 *   `maxEventLoopDelayMs` or the heap holds more than `maxHeapUsedBytes`;
 * - a request whose client has gone (timed out, cancelled) while it waited is dropped before
 *   its handler runs, and a database call made for it after its client has gone is refused
 *   before it takes a connection (`callers`): no work, no write, no audit record for an answer
 *   nobody reads.
 * Refusals go through each service's error handler, so each API answers in its own error shape.
 * Registered first, ahead of authentication: a shed request costs no signature check either.
 */
export async function registerOverloadShedding(app: FastifyInstance, limits: Config['overload']) {
  // Start-up work (migrations, schema compilation) lags the event loop once; that is not load.
  let measuringSince = Number.POSITIVE_INFINITY;
  app.addHook('onListen', async () => { measuringSince = Date.now() + STARTUP_GRACE_MS; });
  await app.register(underPressure, {
    maxEventLoopDelay: limits.maxEventLoopDelayMs,
    maxHeapUsedBytes: limits.maxHeapUsedBytes,
    retryAfter: RETRY_AFTER_SECONDS,
    // A lag is seen within a fifth of a second rather than the default second.
    sampleInterval: SAMPLE_INTERVAL_MS,
    pressureHandler: (_request, _reply, type, value) => {
      if (type === 'eventLoopDelay' && Date.now() < measuringSince) return undefined;
      const what = type === 'eventLoopDelay' ? `the event loop lags ${Math.round(Number(value))} ms` : `memory is short (${type})`;
      return Promise.reject(new SpineError(PLATFORM_ERRORS.SERVICE_UNAVAILABLE,
        `The service is overloaded (${what}); retry after ${RETRY_AFTER_SECONDS} s`,
        { headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) } }));
    },
  });

  let inFlight = 0;
  app.decorate('inFlight', () => inFlight);
  app.addHook('onRequest', (request, reply, done) => {
    if (clientGone(request)) {
      abandon(request, reply);
      return;
    }
    if (limits.maxInFlight > 0 && inFlight >= limits.maxInFlight) {
      done(new SpineError(PLATFORM_ERRORS.SERVICE_UNAVAILABLE,
        `The service is at capacity (${limits.maxInFlight} requests in progress); retry after ${RETRY_AFTER_SECONDS} s`,
        { headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) } }));
      return;
    }
    inFlight += 1;
    // 'close' comes once per response, whether it was sent or its connection was lost first.
    reply.raw.once('close', () => { inFlight -= 1; });
    // Everything the request does from here runs as this caller: a database call checks it first.
    callers.run({ gone: () => clientGone(request) }, done);
  });
  app.addHook('preHandler', (request, reply, done) => {
    if (clientGone(request)) {
      abandon(request, reply);
      return;
    }
    done();
  });
}
