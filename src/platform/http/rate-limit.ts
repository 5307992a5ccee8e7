import type { FastifyInstance } from 'fastify';
import { PLATFORM_ERRORS, SpineError } from './errors.js';
import type { Db } from '../db/pool.js';

interface Window {
  /** The second (epoch seconds) this window counts. */
  second: number;
  /** Requests this process admitted or refused in the window and has not yet told the database. */
  unshared: number;
  /** The window's count across every process, as the database last answered (ours included). */
  shared: number;
}

/** Bounds the map if apps come and go (each app keeps one entry). */
const MAX_TRACKED_APPS = 100_000;
/** How often each process shares its counts and learns the others'. */
export const SHARE_INTERVAL_MS = 100;
/** Windows older than this are deleted from the shared table. */
const KEEP_SECONDS = 60;

/**
 * Per-application rate limits (`Principal.rateLimit`, requests per second), NHS England style:
 * over the limit is 429 TOO_MANY_REQUESTS with `Retry-After`.
 *
 * One limit for the whole Spine, however many processes serve it: each process counts a fixed
 * one-second window per app in memory (one lookup and one increment per request, no database
 * round trip on the request path), and every SHARE_INTERVAL_MS adds what it counted to the
 * window's row in `platform.rate_windows` and reads back the total across processes. A request is
 * admitted while the shared total plus what this process has not yet shared stays within the
 * limit. So the limit holds across processes to within one share interval: a burst that arrives
 * at several processes inside the same tenth of a second can pass the limit by what each admitted
 * before hearing of the others. While the database is unreachable, each process goes on counting
 * alone (the limit then holds per process) and shares again once it answers.
 *
 * Registered right after the auth guard's onRequest hook, so `request.principal` is set and a
 * throttled request is refused before its body is read. Routes without an activity are not counted.
 */
export function registerRateLimit(app: FastifyInstance, db: Db, now: () => number = Date.now) {
  const windows = new Map<string, Window>();

  app.addHook('onRequest', (request, reply, done) => {
    const principal = request.principal;
    if (!principal || !request.routeOptions.config?.activity) return done();
    const millis = now();
    const second = Math.floor(millis / 1000);
    let window = windows.get(principal.appId);
    if (!window || window.second !== second) {
      if (!window && windows.size >= MAX_TRACKED_APPS) windows.clear();
      window = { second, unshared: 0, shared: 0 };
      windows.set(principal.appId, window);
    }
    window.unshared += 1;
    if (window.shared + window.unshared <= principal.rateLimit) return done();
    const retryAfter = Math.max(1, Math.ceil((((second + 1) * 1000) - millis) / 1000));
    done(new SpineError(PLATFORM_ERRORS.TOO_MANY_REQUESTS,
      `Application ${principal.appName} is limited to ${principal.rateLimit} requests per second; retry after ${retryAfter} s`,
      { headers: { 'retry-after': String(retryAfter) } }));
  });

  let sharing: Promise<void> | undefined;
  let lastPrune = 0;
  const share = async () => {
    const current = Math.floor(now() / 1000);
    // This second's windows are refreshed even when this process has nothing to add, so it hears
    // of the others' requests before its own next one; last second's only to hand in the rest.
    const pending = [...windows].filter(([, w]) => w.second === current || (w.unshared > 0 && w.second === current - 1));
    for (const [appId, w] of windows) if (w.second < current - 1 || (w.second < current && w.unshared === 0)) windows.delete(appId);
    if (pending.length === 0) return;
    const sent = pending.map(([, w]) => w.unshared);
    // Windows with something to add are upserted; the rest are only read. A write with nothing in it
    // would still cost a row version, WAL and a durable commit every interval per active app.
    const adding = pending.filter(([, w]) => w.unshared > 0);
    const reading = pending.filter(([, w]) => w.unshared === 0);
    const { rows } = await db.query<{ app_id: string; second: number; count: number }>({
      name: 'rate-windows-share',
      text: `WITH added AS (
               INSERT INTO platform.rate_windows AS w (app_id, second, count)
                 SELECT * FROM unnest($1::text[], $2::bigint[], $3::int[])
               ON CONFLICT (app_id, second) DO UPDATE SET count = w.count + EXCLUDED.count
               RETURNING app_id, second, count)
             SELECT app_id, second, count FROM added
             UNION ALL
             SELECT w.app_id, w.second, w.count FROM platform.rate_windows w
               JOIN unnest($4::text[], $5::bigint[]) AS r(app_id, second) USING (app_id, second)`,
    }, [adding.map(([appId]) => appId), adding.map(([, w]) => w.second), adding.map(([, w]) => w.unshared),
      reading.map(([appId]) => appId), reading.map(([, w]) => w.second)]);
    const totals = new Map(rows.map((r) => [`${r.app_id} ${r.second}`, r.count]));
    pending.forEach(([appId, w], i) => {
      const total = totals.get(`${appId} ${w.second}`);
      if (total === undefined) return;
      // Requests counted while the statement ran stay unshared until the next round.
      w.unshared -= sent[i]!;
      w.shared = Math.max(w.shared, total);
    });
    if (current - lastPrune >= KEEP_SECONDS) {
      lastPrune = current;
      await db.query('DELETE FROM platform.rate_windows WHERE second < $1', [current - KEEP_SECONDS]);
    }
  };
  const timer = setInterval(() => {
    // One round at a time; a database that does not answer leaves the counts local until it does.
    sharing ??= share().catch(() => undefined).finally(() => { sharing = undefined; });
  }, SHARE_INTERVAL_MS);
  timer.unref();
  app.addHook('onClose', async () => {
    clearInterval(timer);
    await sharing;
    await share().catch(() => undefined);
  });
}
