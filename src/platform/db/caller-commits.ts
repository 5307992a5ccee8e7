import { randomUUID } from 'node:crypto';
import type pg from 'pg';

/**
 * Read-your-writes across processes: where every `serve` process finds a caller's last write.
 *
 * After a request that wrote, the process remembers the caller in `platform.caller_commits` with
 * the primary's WAL insert position at that moment: it is past the commit of everything the caller
 * had written, because those commits returned first. A lag-tolerant read of that caller, at any
 * process, goes to the replica only once the replica has replayed past that position (replica.ts).
 *
 * Cost, by design off the hot path's contended writes:
 * - a write request waits for one more statement, shared by every write a process answers at the
 *   same moment (group commit: one `INSERT … ON CONFLICT` per flush, whoever the callers are), on
 *   its own connection, with `synchronous_commit = local` (a routing hint: it need not wait for a
 *   standby; a failover may forget the last moment of marks). Each process keeps rows of its own
 *   (caller, process), so no process ever waits for another's row lock, and a process's flushes
 *   run one at a time;
 * - a lag-tolerant read waits for one indexed primary read, likewise shared by every read a
 *   process starts at the same moment (one `SELECT … WHERE caller = ANY($1)` per round).
 * Only callers' rows are locked, for one short statement; reads never write. Marks older than the
 * horizon are dropped: a replica that far behind is excluded by the lag bound anyway.
 */
export interface CallerCommits {
  /** Resolves once the caller's write is remembered where every process will look. */
  remember(identity: string): Promise<void>;
  /** The WAL position (as PostgreSQL prints it) past the caller's last recent write, if any. */
  lastWrite(identity: string): Promise<string | undefined>;
  close(): Promise<void>;
}

/** How often a process deletes marks past the horizon (any process may; they do not collide). */
const PRUNE_EVERY_MS = 60_000;

export function createCallerCommits(pool: pg.Pool, horizonMs: number): CallerCommits {
  const processId = randomUUID();
  let lastPrune = 0;
  const remember = grouped<string, void>(async (identities) => {
    await pool.query({
      name: 'caller-commits-remember',
      // The position is read in the statement: after every commit the callers' requests waited for.
      text: `INSERT INTO platform.caller_commits AS c (caller, process, lsn, at)
               SELECT caller, $2, pg_current_wal_insert_lsn(), now() FROM unnest($1::text[]) AS caller
             ON CONFLICT (caller, process) DO UPDATE SET lsn = GREATEST(c.lsn, EXCLUDED.lsn), at = EXCLUDED.at`,
      values: [identities, processId],
    });
    if (Date.now() - lastPrune > PRUNE_EVERY_MS) {
      lastPrune = Date.now();
      await pool.query('DELETE FROM platform.caller_commits WHERE at < now() - make_interval(secs => $1)', [horizonMs / 1000]);
    }
    return new Map();
  });
  const lastWrite = grouped<string, string | undefined>(async (identities) => {
    const { rows } = await pool.query<{ caller: string; lsn: string }>({
      name: 'caller-commits-last',
      text: `SELECT caller, max(lsn)::text AS lsn FROM platform.caller_commits
              WHERE caller = ANY($1::text[]) AND at > now() - make_interval(secs => $2) GROUP BY caller`,
      values: [identities, horizonMs / 1000],
    });
    return new Map(rows.map((r) => [r.caller, r.lsn]));
  });
  return {
    remember,
    lastWrite,
    async close() {
      await Promise.all([remember.idle(), lastWrite.idle()]);
    },
  };
}

type Grouped<K, R> = ((key: K) => Promise<R | undefined>) & { idle(): Promise<void> };

/**
 * Calls `run` with every key asked for while the previous run was in flight: one statement serves
 * all of them, and a key asked for during a run waits for the next one (so it sees that run's
 * effects, never an answer computed before it asked).
 */
function grouped<K, R>(run: (keys: K[]) => Promise<Map<K, R>>): Grouped<K, R> {
  let waiting = new Map<K, Array<{ resolve(value: R | undefined): void; reject(err: unknown): void }>>();
  let running: Promise<void> | undefined;
  async function drain() {
    while (waiting.size > 0) {
      const batch = waiting;
      waiting = new Map();
      try {
        const answers = await run([...batch.keys()]);
        for (const [key, callers] of batch) for (const c of callers) c.resolve(answers.get(key));
      } catch (err) {
        for (const callers of batch.values()) for (const c of callers) c.reject(err);
      }
    }
    running = undefined;
  }
  const ask = (key: K) => new Promise<R | undefined>((resolve, reject) => {
    const list = waiting.get(key);
    if (list) list.push({ resolve, reject });
    else waiting.set(key, [{ resolve, reject }]);
    running ??= drain();
  });
  return Object.assign(ask, { idle: async () => { while (running) await running; } });
}

/** An LSN (`16/B374D848`) as a number, to compare positions. */
export function lsnValue(lsn: string): bigint {
  const [high, low] = lsn.split('/');
  return (BigInt(`0x${high}`) << 32n) + BigInt(`0x${low}`);
}
