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

/** Saved in the same transaction as the change it describes. */
export async function saveOutcome(tx: Queryable, requestId: string, scope: string, outcome: StoredOutcome): Promise<void> {
  await tx.query(
    `INSERT INTO demographics.idempotent_requests (request_id, nhs_number, status, headers, body)
     VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
    [requestId, scope, outcome.status, outcome.headers, outcome.body]);
}
