import type pg from 'pg';
import type { Queryable } from '../../../platform/db/pool.js';

/**
 * A query PostgreSQL parses and plans once per connection (a named prepared statement) rather than
 * on every call. For the hot MESH statements that planning is a large share of their cost. Both
 * the pool and a transaction's client accept pg's query-config form, which `Queryable` does not spell out.
 */
export function preparedQuery<R extends pg.QueryResultRow>(db: Queryable, name: string, text: string, values: unknown[]): Promise<pg.QueryResult<R>> {
  const withConfig = db as unknown as { query(config: pg.QueryConfig): Promise<pg.QueryResult<R>> };
  return withConfig.query({ name: `mesh_${name}`, text, values });
}
