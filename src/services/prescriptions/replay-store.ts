import { createCoalescer } from '../../platform/db/coalesce.js';
import type { Queryable } from '../../platform/db/pool.js';
import { deleteRowsBefore } from '../../platform/db/prune.js';
import type { Statement } from '../../platform/db/write-batch.js';

/** The SQL of the answers kept for retries (`prescriptions.replays`; handlers/once.ts). */

/** A first answer, kept as the text that was sent: a retry gets the same bytes. */
export interface Replay { operation: string; statusCode: number; text: string; requestDigest?: string }

/**
 * Kept answers are looked up by (application, X-Request-ID) with other requests' in one statement
 * under load; only those kept since `notBefore` (the start of the retention window) count. A batch
 * reads from the latest of its items' window starts, a few milliseconds apart: an answer it misses
 * is then past the window of the next attempt's insert too, which takes its key (`replayStatement`).
 * Found under the id in lower case (`key`) or as `sent` (as the release before kept it).
 */
const readReplays = createCoalescer<{ key: string; sent: string; notBefore: Date }, Replay | undefined>(async (db, appId, asked) => {
  const notBefore = new Date(Math.max(...asked.map((a) => a.notBefore.getTime())));
  const { rows } = await db.query({
    name: 'eps-read-replays',
    // A row the previous release wrote has its answer as jsonb only (migration 006).
    text: `SELECT request_id, operation, status_code, coalesce(answer, body::text) AS answer, request_digest FROM prescriptions.replays
            WHERE app_id = $1 AND request_id = ANY($2) AND created_at >= $3`,
    values: [appId, [...new Set(asked.flatMap((a) => [a.key, a.sent]))], notBefore],
  });
  const found = new Map<string, Replay>(rows.map((r) => [r.request_id,
    { operation: r.operation, statusCode: r.status_code, text: r.answer, ...(r.request_digest ? { requestDigest: r.request_digest } : {}) }]));
  return asked.map((a) => found.get(a.key) ?? found.get(a.sent));
});

/** The answer kept for this request since `notBefore`, if any: under its `key`, or under the id as `sent`. */
export function readReplay(db: Queryable, appId: string, request: { key: string; sent: string }, notBefore: Date): Promise<Replay | undefined> {
  return readReplays(db, appId, { ...request, notBefore });
}

/**
 * Keeps a first answer, kept `at`, under the request's `key`. Writes nothing when another request
 * with the same id got there within the window (its transaction must then roll back), under the key
 * or as `sent` (the release before ids were read in either case kept it so, and in a rolling upgrade
 * still does); one kept before `notBefore` is replaced, so that a key is not taken for ever (the
 * pruner may not have reached it). Of two replacing one stale answer at once, the second writes nothing.
 */
export function replayStatement(appId: string, request: { key: string; sent: string }, replay: Replay, at: Date, notBefore: Date): Statement {
  return {
    text: `INSERT INTO prescriptions.replays AS kept (app_id, request_id, operation, status_code, answer, created_at, request_digest)
       SELECT $1, $2, $3, $4::integer, $5, $6::timestamptz, $8 WHERE NOT ($9::text <> $2
         AND EXISTS (SELECT 1 FROM prescriptions.replays WHERE app_id = $1 AND request_id = $9::text AND created_at >= $7::timestamptz))
     ON CONFLICT (app_id, request_id) DO UPDATE
       SET operation = EXCLUDED.operation, status_code = EXCLUDED.status_code, answer = EXCLUDED.answer, body = EXCLUDED.body, created_at = EXCLUDED.created_at,
           request_digest = EXCLUDED.request_digest
       WHERE kept.created_at < $7::timestamptz`,
    values: [appId, request.key, replay.operation, replay.statusCode, replay.text, at, notBefore, replay.requestDigest ?? null, request.sent],
  };
}

/** Deletes every answer kept before `before` (by the `replays_created_at` index), in batches; how many went. */
export function deleteReplaysBefore(db: Queryable, before: Date): Promise<number> {
  return deleteRowsBefore(db, 'prescriptions.replays', 'created_at', before);
}
