import pg from 'pg';

/** Anything that runs a query: the pool or a client inside a transaction. Stores take this, so one
 * store function works both alone and as part of a larger transaction (e.g. with the event outbox). */
export interface Queryable {
  /** Text with values, or a config with a `name` to make it a prepared statement (hot paths). */
  query<R extends pg.QueryResultRow = any>(text: string | pg.QueryConfig, values?: unknown[]): Promise<pg.QueryResult<R>>;
}

export interface Db extends Queryable {
  readonly pool: pg.Pool;
  /** Runs `work` in one transaction: committed if it resolves, rolled back if it throws. */
  tx<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

// bigint (int8) and numeric come back as strings by default; counts and sequence numbers here fit in a double.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export function createDb(connectionString: string, max = 20): Db {
  const pool = new pg.Pool({ connectionString, max, idleTimeoutMillis: 30_000 });
  // An idle client losing its connection (server restart) must not crash the process.
  pool.on('error', () => undefined);
  return {
    pool,
    query: (text, values) => pool.query(text as string, values as unknown[]),
    async tx(work) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await work(client);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}
