import type { Queryable } from '../db/pool.js';

interface Window {
  /** The epoch second this window starts at. */
  start: number;
  /** Requests this process counted in the window and has not yet told the database. */
  unshared: number;
  /** The window's count across every process, as the database last answered (ours included). */
  shared: number;
}

/** Bounds the map if keys come and go (each key keeps one entry). */
const MAX_TRACKED_KEYS = 100_000;
/** How often each process shares its counts and learns the others'. */
export const SHARE_INTERVAL_MS = 100;
/** Windows that ended longer ago than this are deleted from the shared table. */
const KEEP_SECONDS = 60;

export interface SharedWindowsOptions {
  /** Each window's length: 1 counts per second, 60 per minute. */
  windowSeconds: number;
  now: () => number;
}

/**
 * Request counts in fixed windows, one per key, shared by every process on one database through
 * `platform.rate_windows`: each process counts in memory (no database round trip on the request
 * path), and every SHARE_INTERVAL_MS `share()` adds what it counted to the window's row and reads
 * back the total across processes. `count` answers the shared total plus what this process has not
 * yet shared, so a limit checked against it holds across processes to within one share interval.
 * While the database is unreachable each process goes on counting alone and shares again later.
 * Keys of different users of the table must not collide (application ids are UUIDs; other users
 * prefix theirs).
 */
export class SharedWindows {
  private readonly windows = new Map<string, Window>();
  private lastPrune = 0;

  constructor(private readonly options: SharedWindowsOptions) {}

  private windowStart(millis: number): number {
    const seconds = Math.floor(millis / 1000);
    return seconds - (seconds % this.options.windowSeconds);
  }

  /** Counts one request for `key`: the window's total so far (this one included) and the ms until it ends. */
  count(key: string): { total: number; resetInMs: number } {
    const millis = this.options.now();
    const start = this.windowStart(millis);
    let window = this.windows.get(key);
    if (!window || window.start !== start) {
      if (!window && this.windows.size >= MAX_TRACKED_KEYS) this.windows.clear();
      window = { start, unshared: 0, shared: 0 };
      this.windows.set(key, window);
    }
    window.unshared += 1;
    return { total: window.shared + window.unshared, resetInMs: (start + this.options.windowSeconds) * 1000 - millis };
  }

  /** One round: hands in this process's counts and reads back every process's. */
  async share(db: Queryable): Promise<void> {
    const current = this.windowStart(this.options.now());
    const previous = current - this.options.windowSeconds;
    // The current windows are refreshed even when this process has nothing to add, so it hears of
    // the others' requests before its own next one; the previous ones only to hand in the rest.
    const pending = [...this.windows].filter(([, w]) => w.start === current || (w.unshared > 0 && w.start === previous));
    for (const [key, w] of this.windows) if (w.start < previous || (w.start < current && w.unshared === 0)) this.windows.delete(key);
    if (pending.length > 0) {
      const sent = pending.map(([, w]) => w.unshared);
      // Windows with something to add are upserted; the rest are only read. A write with nothing in it
      // would still cost a row version, WAL and a durable commit every interval per active key.
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
      }, [adding.map(([key]) => key), adding.map(([, w]) => w.start), adding.map(([, w]) => w.unshared),
        reading.map(([key]) => key), reading.map(([, w]) => w.start)]);
      const totals = new Map(rows.map((r) => [`${r.app_id} ${r.second}`, r.count]));
      pending.forEach(([key, w], i) => {
        const total = totals.get(`${key} ${w.start}`);
        if (total === undefined) return;
        // Requests counted while the statement ran stay unshared until the next round.
        w.unshared -= sent[i]!;
        w.shared = Math.max(w.shared, total);
      });
    }
    if (current - this.lastPrune >= KEEP_SECONDS) {
      this.lastPrune = current;
      await db.query('DELETE FROM platform.rate_windows WHERE second < $1', [current - this.options.windowSeconds - KEEP_SECONDS]);
    }
  }

  /**
   * Shares every SHARE_INTERVAL_MS until the returned stop, which hands in the last counts. One
   * round at a time; a database that does not answer leaves the counts local until it does.
   */
  startSharing(db: Queryable): () => Promise<void> {
    let sharing: Promise<void> | undefined;
    const timer = setInterval(() => {
      sharing ??= this.share(db).catch(() => undefined).finally(() => { sharing = undefined; });
    }, SHARE_INTERVAL_MS);
    timer.unref();
    return async () => {
      clearInterval(timer);
      await sharing;
      await this.share(db).catch(() => undefined);
    };
  }
}
