import type pg from 'pg';
import { transactionOn, type Db, type Queryable } from '../../../platform/db/pool.js';

/** What the relay needs of the database: queries and transactions. */
export interface RelayDb extends Queryable {
  readonly pool: pg.Pool;
  tx<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T>;
}

/**
 * The relay's own small pool (same database, same timeouts and fault handling), so that routing
 * and delivery never take connections requests are waiting for: a busy relay slows events, not
 * the APIs.
 */
export function relayPool(db: Db, max: number): RelayDb & { close(): Promise<void> } {
  const pool = db.openPool({ max });
  return {
    pool,
    query: (text: string | pg.QueryConfig, values?: unknown[]) => pool.query(text as string, values),
    tx: transactionOn(pool, db.availability),
    close: () => pool.end(),
  };
}
