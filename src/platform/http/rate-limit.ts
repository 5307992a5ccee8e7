import type { FastifyInstance } from 'fastify';
import { PLATFORM_ERRORS, SpineError } from './errors.js';

interface Window {
  /** The second (epoch seconds) this window counts. */
  second: number;
  count: number;
}

/** Bounds the map if apps come and go (each app keeps one entry). */
const MAX_TRACKED_APPS = 100_000;

/**
 * Per-application rate limits (`Principal.rateLimit`, requests per second), NHS England style:
 * over the limit is 429 TOO_MANY_REQUESTS with `Retry-After`. A fixed one-second window per app in
 * an in-process Map: one lookup and one increment per request. The count is per process, so N
 * processes behind a balancer allow up to N × the limit; a shared store (@fastify/rate-limit with
 * Redis) would trade that for a network round trip on every call.
 *
 * Registered right after the auth guard's onRequest hook, so `request.principal` is set and a
 * throttled request is refused before its body is read. Routes without an activity are not counted.
 */
export function registerRateLimit(app: FastifyInstance, now: () => number = Date.now) {
  const windows = new Map<string, Window>();
  app.addHook('onRequest', (request, reply, done) => {
    const principal = request.principal;
    if (!principal || !request.routeOptions.config?.activity) return done();
    const millis = now();
    const second = Math.floor(millis / 1000);
    let window = windows.get(principal.appId);
    if (!window || window.second !== second) {
      if (!window && windows.size >= MAX_TRACKED_APPS) windows.clear();
      window = { second, count: 0 };
      windows.set(principal.appId, window);
    }
    window.count += 1;
    if (window.count <= principal.rateLimit) return done();
    const retryAfter = Math.max(1, Math.ceil((((second + 1) * 1000) - millis) / 1000));
    done(new SpineError(PLATFORM_ERRORS.TOO_MANY_REQUESTS,
      `Application ${principal.appName} is limited to ${principal.rateLimit} requests per second; retry after ${retryAfter} s`,
      { headers: { 'retry-after': String(retryAfter) } }));
  });
}
