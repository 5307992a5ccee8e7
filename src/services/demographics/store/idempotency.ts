import type { Queryable } from '../../../platform/db/pool.js';
import { deleteRowsBefore } from '../../../platform/db/prune.js';
import type { Statement } from '../../../platform/db/write-batch.js';

/** The response a request got the first time, replayed to a retry instead of doing the work twice. */
export interface StoredOutcome {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The patient the outcome is about (the new record of a create, the updated one of a PATCH). */
  nhsNumber: string;
  /** Set when the outcome comes from the store, i.e. the request is a retry. */
  replayed?: boolean;
  /** The SHA-256 (base64) of the body of the request that got it; none for one saved before digests were. */
  requestDigest?: string;
}

/**
 * Whose retry this is: the same X-Request-ID from another application or user is another request
 * (it neither sees nor replays someone else's outcome). `scope` is what the request acts on: the
 * NHS number for a Patient PATCH, '' for POST /Patient (which has none yet), `Coverage/<NHS
 * number>` for POST /Coverage (stored in the `nhs_number` column).
 */
export interface ReplayKey {
  requestId: string;
  caller: string;
  scope: string;
  /** The SHA-256 (base64) of this request's body: not part of the key, kept with its outcome. */
  requestDigest?: string;
}

/** The outcome saved for a key at or after `notBefore` (older ones are past the retention window). */
export async function findOutcome(db: Queryable, key: ReplayKey, notBefore: Date): Promise<StoredOutcome | undefined> {
  const { rows } = await db.query<{ status: number; headers: Record<string, string>; body: string; subject: string; request_digest: string | null }>(
    `SELECT status, headers, body, subject, request_digest FROM demographics.idempotent_requests
      WHERE request_id = $1 AND nhs_number = $2 AND caller = $3 AND created_at >= $4`,
    [key.requestId, key.scope, key.caller, notBefore]);
  const row = rows[0];
  return row && { status: row.status, headers: row.headers, body: row.body, nhsNumber: row.subject, replayed: true, ...(row.request_digest ? { requestDigest: row.request_digest } : {}) };
}

/**
 * Saved in the same transaction as the change it describes. Writes no row when a concurrent
 * request with the same key saved first (the insert waits for it to commit): the caller rolls back
 * its own change and replays that outcome instead. An expired row for the key is replaced.
 */
export function outcomeStatement(key: ReplayKey, outcome: StoredOutcome, at: Date, notBefore: Date): Statement {
  return {
    text: `INSERT INTO demographics.idempotent_requests (request_id, nhs_number, caller, status, headers, body, subject, created_at, request_digest)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $10)
     ON CONFLICT (request_id, nhs_number, caller) DO UPDATE
       SET status = EXCLUDED.status, headers = EXCLUDED.headers, body = EXCLUDED.body, subject = EXCLUDED.subject, created_at = EXCLUDED.created_at,
           request_digest = EXCLUDED.request_digest
       WHERE demographics.idempotent_requests.created_at < $9`,
    values: [key.requestId, key.scope, key.caller, outcome.status, outcome.headers, outcome.body, outcome.nhsNumber, at, notBefore, key.requestDigest ?? null],
  };
}

/** Deletes every outcome saved before `before`, in batches; how many went. */
export function deleteOutcomesBefore(db: Queryable, before: Date): Promise<number> {
  return deleteRowsBefore(db, 'demographics.idempotent_requests', 'created_at', before);
}

/** Thrown inside a transaction to roll it back when a concurrent duplicate request already won. */
export class DuplicateRequest extends Error {}
