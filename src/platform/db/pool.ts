import pg from 'pg';
import { Availability, DatabaseUnavailableError } from './faults.js';
import { createCallerCommits } from './caller-commits.js';
import { PrimaryReads, ReplicaReads, type ReadRouting, type ReplicaOptions } from './replica.js';

/** Anything that runs a query: the pool or a client inside a transaction. Stores take this, so one
 * store function works both alone and as part of a larger transaction (e.g. with the event outbox). */
export interface Queryable {
  /** Text with values, or a config with a `name` to make it a prepared statement (hot paths). */
  query<R extends pg.QueryResultRow = any>(text: string | pg.QueryConfig, values?: unknown[]): Promise<pg.QueryResult<R>>;
}

export interface Db extends Queryable {
  readonly pool: pg.Pool;
  /** Whether the database answered last time it was tried; calls fail fast while it does not. */
  readonly availability: Availability;
  /** Runs `work` in one transaction: committed if it resolves, rolled back if it throws. */
  tx<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T>;
  /** Another pool on the same database with the same timeouts and fault handling, for a writer
   * that batches the work of many requests (its batches do not queue behind requests for the main pool). */
  openPool(overrides: pg.PoolConfig): pg.Pool;
  /**
   * Runs `work`, which only reads and tolerates a little lag (searches), on the read replica when
   * there is one that is within the lag bound and has replayed the last write of `reader` (who
   * reads, as read-your-writes knows them: `readerOf(request)`; undefined for no one's own
   * writes); otherwise, or if the replica fails, on the primary. Services never learn which.
   */
  lagTolerantRead<T>(reader: string | undefined, work: (db: Queryable) => Promise<T>): Promise<T>;
  /** Remembers that `identity` has just written, for read-your-writes (a no-op without a replica). */
  rememberWrite(identity: string): Promise<void>;
  /** Where lag-tolerant reads went, and the replica's state (for metrics). */
  readonly reads: ReadRouting;
  close(): Promise<void>;
}

export interface DbOptions {
  max?: number;
  /** Longest wait for a connection (new or from the pool); 0 waits for ever. */
  connectTimeoutMs?: number;
  /** Longest a statement may run: the server cancels it, and the client gives up a little later
   * even when the server does not answer at all (a frozen host). 0 for no limit. */
  statementTimeoutMs?: number;
  log?: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
  /** A streaming replica for lag-tolerant reads (`DATABASE_REPLICA_URL`): same timeouts and fault handling. */
  replica?: ReplicaOptions;
}

// bigint (int8) and numeric come back as strings by default; counts and sequence numbers here fit in a double.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

// What the client waits beyond statement_timeout before deciding the server itself is gone.
const CLIENT_GRACE_MS = 2_000;

/**
 * A pg pool that consults the database's `Availability` before every connection: while the
 * database is down, `connect` and `query` fail at once with `DatabaseUnavailableError`. Every
 * client gets an 'error' listener for its whole life, so a connection lost while a client is
 * checked out (a server crash mid-transaction) is a failed call, never an unhandled 'error' event
 * that kills the process.
 */
class GuardedPool extends pg.Pool {
  constructor(options: pg.PoolConfig, readonly availability: Availability) {
    super(options);
    this.on('error', (err) => availability.failed(err));
    this.on('connect', (client) => {
      client.on('error', (err) => availability.failed(err));
      availability.succeeded();
    });
  }

  override connect(callback?: (err: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void): any {
    if (!this.availability.admit()) {
      const refused = new DatabaseUnavailableError();
      // Refused on a later turn of the event loop, never synchronously in a chain of microtasks:
      // a caller that retries at once must still let timers and I/O run.
      if (callback) {
        setImmediate(() => callback(refused, undefined, () => undefined));
        return undefined;
      }
      return new Promise((_resolve, reject) => setImmediate(() => reject(refused)));
    }
    const startedAt = this.availability.startOf();
    if (callback) {
      return super.connect((err, client, done) => {
        if (err) this.availability.failed(err, startedAt);
        callback(err, client, done);
      });
    }
    return super.connect().catch((err: unknown) => {
      this.availability.failed(err, startedAt);
      throw err;
    });
  }

  override query(...args: unknown[]): any {
    const startedAt = this.availability.startOf();
    const result = (super.query as (...a: unknown[]) => unknown)(...args);
    if (result && typeof (result as Promise<unknown>).then === 'function') {
      (result as Promise<unknown>).then(() => this.availability.succeeded(), (err) => this.availability.failed(err, startedAt));
    }
    return result;
  }
}

function timeoutOptions(options: DbOptions): pg.PoolConfig {
  const config: pg.PoolConfig = {};
  if (options.connectTimeoutMs) config.connectionTimeoutMillis = options.connectTimeoutMs;
  if (options.statementTimeoutMs) {
    config.statement_timeout = options.statementTimeoutMs;
    config.query_timeout = options.statementTimeoutMs + CLIENT_GRACE_MS;
  }
  return config;
}

const silent = { warn: () => undefined, info: () => undefined };

export function createDb(connectionString: string, options: number | DbOptions = {}): Db {
  const opts = typeof options === 'number' ? { max: options } : options;
  const availability = new Availability(opts.log ?? silent);
  const base: pg.PoolConfig = { connectionString, idleTimeoutMillis: 30_000, ...timeoutOptions(opts) };
  const pool = new GuardedPool({ ...base, max: opts.max ?? 20 }, availability);
  const siblings: pg.Pool[] = [];
  const openPool = (overrides: pg.PoolConfig) => {
    const sibling = new GuardedPool({ ...base, ...overrides }, availability);
    siblings.push(sibling);
    return sibling;
  };
  const query: Queryable['query'] = (text, values) => pool.query(text as string, values as unknown[]);
  let reads: ReplicaReads | PrimaryReads;
  let replicaPool: pg.Pool | undefined;
  if (opts.replica) {
    const log = opts.log ?? silent;
    // The replica's faults are its own: they send reads to the primary, never a 503.
    const replicaAvailability = new Availability({
      warn: (obj) => log.warn({ ...obj, pool: 'replica' }, 'replica unreachable: lag-tolerant reads go to the primary'),
      info: (obj) => log.info({ ...obj, pool: 'replica' }, 'replica reachable again'),
    });
    replicaPool = new GuardedPool({ ...base, connectionString: opts.replica.url, max: opts.max ?? 20 }, replicaAvailability);
    // Marks are routing hints: they need not wait for a synchronous standby (see caller-commits.ts).
    const commits = createCallerCommits(openPool({ max: 2, options: '-c synchronous_commit=local' }), Math.max(600_000, 10 * opts.replica.maxLagMs));
    reads = new ReplicaReads({ query }, replicaPool, replicaAvailability, commits, opts.replica, log);
  } else {
    reads = new PrimaryReads({ query });
  }
  return {
    pool,
    availability,
    query,
    reads,
    lagTolerantRead: (reader, work) => reads.read(reader, work),
    rememberWrite: (identity) => (reads instanceof ReplicaReads ? reads.remember(identity) : Promise.resolve()),
    tx: transactionOn(pool, availability),
    openPool,
    async close() {
      if (reads instanceof ReplicaReads) await reads.close();
      await Promise.all([pool, ...siblings, ...(replicaPool ? [replicaPool] : [])].map((p) => (p.ending ? undefined : p.end())));
    },
  };
}

/**
 * Transactions on a pool: `work` runs in one transaction on one client, committed if it resolves,
 * rolled back if it throws; a client whose connection failed is discarded rather than reused, and
 * a failed rollback is reported to `availability`. Every pool of the process (the platform's, a
 * worker's own) makes its transactions this one way.
 */
export function transactionOn(pool: pg.Pool, availability?: Availability): <T>(work: (client: pg.PoolClient) => Promise<T>) => Promise<T> {
  return async (work) => {
    const client = await pool.connect();
    let broken: unknown;
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      availability?.succeeded();
      return result;
    } catch (err) {
      // The work's error may be anything (a client's aborted upload too): only the connection's
      // own state says whether the database is at fault.
      if (connectionLost(client, err)) {
        // No ROLLBACK on a dead or unanswering connection: dropping it aborts the transaction.
        broken = err;
      } else {
        await client.query('ROLLBACK').catch((rollbackErr: unknown) => {
          broken = rollbackErr;
          availability?.failed(rollbackErr);
        });
      }
      throw err;
    } finally {
      // A client whose connection failed is discarded rather than reused.
      client.release(broken as Error | undefined);
    }
  };
}

/** The client's connection failed (lost, or a statement went unanswered): it cannot be used again. */
function connectionLost(client: pg.PoolClient, err: unknown): boolean {
  const state = client as unknown as { _ending?: boolean; _queryable?: boolean; _connectionError?: boolean };
  return state._ending === true || state._queryable === false || state._connectionError === true
    || (err as Error | null)?.message === 'Query read timeout';
}
