import type pg from 'pg';
import { Availability, isDatabaseUnavailable } from './faults.js';
import { lsnValue, type CallerCommits } from './caller-commits.js';
import type { Queryable } from './pool.js';

export interface ReplicaOptions {
  /** A streaming replica (or a balancer over replicas, e.g. HAProxy on Patroni's `/replica` check). */
  url: string;
  /** Past this lag the replica is not used: lag-tolerant reads go to the primary. */
  maxLagMs: number;
  /** How often the lag is measured (never per request). */
  checkIntervalMs: number;
}

export type ReadPool = 'primary' | 'replica';
/** Why a lag-tolerant read went where it went (the metrics' `reason` label). */
export type ReadReason = 'replica' | 'no-replica' | 'replica-unavailable' | 'replica-lagging' | 'own-write' | 'replica-failed';

/** What the metrics show of lag-tolerant reads. */
export interface ReadRouting {
  readonly replicated: boolean;
  /** Lag-tolerant reads so far, by the pool that served them and why. */
  counts(): Array<{ pool: ReadPool; reason: ReadReason; count: number }>;
  /** The replica's lag when last measured, in ms; undefined when it could not be measured. */
  lagMs(): number | undefined;
  /** Whether lag-tolerant reads go to the replica now (reachable, a standby, within the bound). */
  usable(): boolean;
}

type Log = { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
/** A replica stuck far behind keeps its oldest sample (its lag) and the newest ones: memory stays bounded. */
const MAX_SAMPLES = 1_000;

type ReplicaState = 'unknown' | 'usable' | 'lagging' | 'unavailable';

/**
 * Measures the replica's lag every `checkIntervalMs`, by LSN rather than by the replay timestamp
 * (which reads as a large lag after an idle spell and as none on a replica cut off from its
 * primary): it samples the primary's WAL position each round and keeps the samples the replica
 * has not yet replayed; the lag is the age of the oldest of them (0 when it has replayed them
 * all), so it is exact to within one interval.
 */
class LagMonitor {
  state: ReplicaState = 'unknown';
  lagMs: number | undefined;
  private samples: Array<{ at: number; lsn: bigint }> = [];
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;

  constructor(
    private readonly primary: Queryable,
    private readonly replica: pg.Pool,
    private readonly options: ReplicaOptions,
    private readonly log: Log,
  ) {}

  start() {
    const round = () => { this.checking ??= this.check().finally(() => { this.checking = undefined; }); };
    round();
    this.timer = setInterval(round, this.options.checkIntervalMs);
    this.timer.unref();
  }

  async stop() {
    clearInterval(this.timer);
    await this.checking;
  }

  private async check() {
    const now = Date.now();
    try {
      const { rows } = await this.primary.query<{ lsn: string }>({ name: 'replica-monitor-primary', text: 'SELECT pg_current_wal_lsn()::text AS lsn' });
      this.samples.push({ at: now, lsn: lsnValue(rows[0]!.lsn) });
    } catch {
      // The primary's own pool reports its faults; without a fresh sample the lag is judged on older ones.
    }
    let replayed: bigint;
    try {
      const { rows } = await this.replica.query<{ standby: boolean; replayed: string | null }>({
        name: 'replica-monitor-replica', text: 'SELECT pg_is_in_recovery() AS standby, pg_last_wal_replay_lsn()::text AS replayed',
      });
      // A server that is not in recovery (a promoted standby) is no replica to offload reads to.
      if (!rows[0]!.standby || rows[0]!.replayed === null) return this.become('unavailable', undefined, 'the replica is not a standby (promoted?)');
      replayed = lsnValue(rows[0]!.replayed);
    } catch (err) {
      return this.become('unavailable', undefined, (err as Error).message);
    }
    // Samples the replica has replayed are done with; the oldest it has not yet replayed dates its lag.
    while (this.samples.length > 1 && this.samples[0]!.lsn <= replayed) this.samples.shift();
    if (this.samples.length > MAX_SAMPLES) this.samples.splice(1, 1);
    const oldest = this.samples[0];
    if (oldest === undefined) return this.become('unknown', undefined, 'the primary\'s position is unknown');
    const lag = oldest.lsn > replayed ? now - oldest.at : 0;
    this.become(lag > this.options.maxLagMs ? 'lagging' : 'usable', lag);
  }

  private become(state: ReplicaState, lagMs: number | undefined, reason?: string) {
    const before = this.state;
    this.state = state;
    this.lagMs = lagMs;
    if (state === before) return;
    if (state === 'usable') this.log.info({ lagMs, was: before }, 'replica in use for lag-tolerant reads');
    else if (before === 'usable' || before === 'unknown') {
      this.log.warn({ state, lagMs, maxLagMs: this.options.maxLagMs, reason }, 'replica not in use: lag-tolerant reads go to the primary');
    }
  }
}

/**
 * Where a lag-tolerant read runs. On the replica when it is reachable, a standby, within the lag
 * bound, and has replayed the caller's own last write; otherwise on the primary. A replica that
 * fails during the read (unreachable, too slow, a conflict with recovery) costs a retry on the
 * primary, never an error of its own: the replica only ever adds capacity.
 */
export class ReplicaReads implements ReadRouting {
  readonly replicated = true;
  private readonly monitor: LagMonitor;
  private readonly tally = new Map<string, number>();

  constructor(
    private readonly primary: Queryable,
    private readonly replica: pg.Pool,
    private readonly replicaAvailability: Availability,
    private readonly commits: CallerCommits,
    options: ReplicaOptions,
    log: Log,
  ) {
    this.monitor = new LagMonitor(primary, replica, options, log);
    this.monitor.start();
  }

  async read<T>(identity: string | undefined, work: (db: Queryable) => Promise<T>): Promise<T> {
    const state = this.monitor.state;
    // The monitor alone tries a replica that failed: a request never waits out its timeouts twice.
    if (!this.replicaAvailability.isUp || state === 'unavailable' || state === 'unknown') return this.onPrimary(work, 'replica-unavailable');
    if (state === 'lagging') return this.onPrimary(work, 'replica-lagging');
    // Asked of the primary before anything else: a write acknowledged at any process is there.
    const ownWrite = identity === undefined ? undefined : await this.commits.lastWrite(identity);
    let client: pg.PoolClient;
    try {
      client = await this.replica.connect();
    } catch {
      return this.onPrimary(work, 'replica-failed');
    }
    let failure: unknown;
    let result: { value: T } | undefined;
    try {
      // Checked on the connection that serves the read: exact however many replicas a balancer spreads over.
      if (ownWrite === undefined || await replayedPast(client, ownWrite)) result = { value: await work(client) };
    } catch (err) {
      failure = err;
      this.replicaAvailability.failed(err);
    } finally {
      client.release(failure !== undefined && isDatabaseUnavailable(failure) ? failure as Error : undefined);
    }
    if (result) {
      this.count('replica', 'replica');
      return result.value;
    }
    return this.onPrimary(work, failure === undefined ? 'own-write' : 'replica-failed');
  }

  private async onPrimary<T>(work: (db: Queryable) => Promise<T>, reason: ReadReason): Promise<T> {
    const value = await work(this.primary);
    this.count('primary', reason);
    return value;
  }

  private count(pool: ReadPool, reason: ReadReason) {
    const key = `${pool} ${reason}`;
    this.tally.set(key, (this.tally.get(key) ?? 0) + 1);
  }

  counts() {
    return [...this.tally].map(([key, count]) => {
      const [pool, reason] = key.split(' ') as [ReadPool, ReadReason];
      return { pool, reason, count };
    });
  }

  /** Resolves once `identity`'s write is remembered for every process (see caller-commits.ts). */
  async remember(identity: string): Promise<void> {
    await this.commits.remember(identity);
  }

  lagMs() {
    return this.monitor.lagMs;
  }

  usable() {
    return this.monitor.state === 'usable' && this.replicaAvailability.isUp;
  }

  async close() {
    await this.monitor.stop();
    await this.commits.close();
  }
}

async function replayedPast(client: pg.PoolClient, lsn: string): Promise<boolean> {
  const { rows } = await client.query<{ replayed: boolean }>({
    name: 'replica-replayed-past',
    text: 'SELECT coalesce(pg_last_wal_replay_lsn() >= $1::pg_lsn, false) AS replayed',
    values: [lsn],
  });
  return rows[0]!.replayed;
}

/** Without a replica every lag-tolerant read is an ordinary read of the primary. */
export class PrimaryReads implements ReadRouting {
  readonly replicated = false;
  private served = 0;

  constructor(private readonly primary: Queryable) {}

  async read<T>(_identity: string | undefined, work: (db: Queryable) => Promise<T>): Promise<T> {
    const value = await work(this.primary);
    this.served += 1;
    return value;
  }

  counts() {
    return this.served === 0 ? [] : [{ pool: 'primary' as const, reason: 'no-replica' as const, count: this.served }];
  }

  lagMs() {
    return undefined;
  }

  usable() {
    return false;
  }
}
