import type { FastifyInstance } from 'fastify';
import { PLATFORM_ERRORS, SpineError } from './errors.js';
import type { Db } from '../db/pool.js';
import { SharedWindows } from './shared-windows.js';

export { SHARE_INTERVAL_MS } from './shared-windows.js';

/**
 * Per-application rate limits (`Principal.rateLimit`, requests per second), NHS England style:
 * over the limit is 429 TOO_MANY_REQUESTS with `Retry-After`.
 *
 * One limit for the whole Spine, however many processes serve it: each process counts a fixed
 * one-second window per app in memory (one lookup and one increment per request, no database
 * round trip on the request path) and shares it through `platform.rate_windows` (SharedWindows).
 * A request is admitted while the shared total plus what this process has not yet shared stays
 * within the limit. So the limit holds across processes to within one share interval: a burst
 * that arrives at several processes inside the same tenth of a second can pass the limit by what
 * each admitted before hearing of the others. While the database is unreachable, each process
 * goes on counting alone (the limit then holds per process) and shares again once it answers.
 *
 * Registered right after the auth guard's onRequest hook, so `request.principal` is set and a
 * throttled request is refused before its body is read. Routes without an activity are not counted.
 */
export function registerRateLimit(app: FastifyInstance, db: Db, now: () => number = Date.now) {
  const windows = new SharedWindows({ windowSeconds: 1, now });

  app.addHook('onRequest', (request, reply, done) => {
    const principal = request.principal;
    if (!principal || !request.routeOptions.config?.activity) return done();
    const { total, resetInMs } = windows.count(principal.appId);
    if (total <= principal.rateLimit) return done();
    const retryAfter = Math.max(1, Math.ceil(resetInMs / 1000));
    done(new SpineError(PLATFORM_ERRORS.TOO_MANY_REQUESTS,
      `Application ${principal.appName} is limited to ${principal.rateLimit} requests per second; retry after ${retryAfter} s`,
      { headers: { 'retry-after': String(retryAfter) } }));
  });

  const stopSharing = windows.startSharing(db);
  app.addHook('onClose', stopSharing);
}
