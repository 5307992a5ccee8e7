import type { Queryable } from './pool.js';

/**
 * Deletes the rows of `table` whose `column` is before `before`, `batch` at a time (each batch its
 * own short statement, so a large backlog holds no long lock or transaction); how many went.
 * `table` and `column` are the caller's own constants, never input: they are written into the SQL.
 * The column wants an index for the range scan.
 */
export async function deleteRowsBefore(db: Queryable, table: string, column: string, before: Date, batch = 1000): Promise<number> {
  let deleted = 0;
  for (;;) {
    const result = await db.query(
      `DELETE FROM ${table} WHERE ctid = ANY (ARRAY(SELECT ctid FROM ${table} WHERE ${column} < $1 LIMIT $2))`, [before, batch]);
    const n = result.rowCount ?? 0;
    deleted += n;
    if (n < batch) return deleted;
  }
}
