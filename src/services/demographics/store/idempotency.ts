import type { Queryable } from '../../../platform/db/pool.js';

/** The response a request id got the first time, replayed to a retry instead of doing the work twice. */
export interface StoredOutcome {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** `scope` is the NHS number for a PATCH and '' for a POST (which has none yet). */
export async function findOutcome(db: Queryable, requestId: string, scope: string): Promise<StoredOutcome | undefined> {
  const { rows } = await db.query<StoredOutcome>(
    'SELECT status, headers, body FROM demographics.idempotent_requests WHERE request_id = $1 AND nhs_number = $2',
    [requestId, scope]);
  return rows[0];
}

/**
 * Saved in the same transaction as the change it describes. False when a concurrent request with
 * the same id saved first (the insert waits for it to commit): the caller rolls back its own
 * change and replays that outcome instead.
 */
export async function saveOutcome(tx: Queryable, requestId: string, scope: string, outcome: StoredOutcome): Promise<boolean> {
  const result = await tx.query(
    `INSERT INTO demographics.idempotent_requests (request_id, nhs_number, status, headers, body)
     VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
    [requestId, scope, outcome.status, outcome.headers, outcome.body]);
  return result.rowCount === 1;
}

/** Thrown inside a transaction to roll it back when a concurrent duplicate request already won. */
export class DuplicateRequest extends Error {}
