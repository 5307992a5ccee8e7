import type pg from 'pg';
import type { PlatformContext } from '../../../platform/service.js';
import type { EpsCaller } from '../caller.js';
import type { Json } from '../domain/fhir.js';
import { WriteBatch } from '../../../platform/db/write-batch.js';
import { readReplay, replayStatement } from '../store.js';

/** An answer a transition gives, kept so that a retry of the same request gets it again. */
export interface Answer { statusCode: number; body: Json }

class DuplicateRequest extends Error {}

/**
 * Runs a state change exactly once per (application, X-Request-ID): in one transaction with its
 * answer, so a retried request returns the first answer and changes nothing, even when the retry
 * arrives while the first is still running (its insert of the same key waits, then finds the
 * first's, and rolls back). A request without an X-Request-ID (sandbox mode) is simply run.
 *
 * `work` reads what it needs (locking it) and adds its writes to `writes`; they are sent with the
 * answer's own insert in one statement (`WriteBatch`) once it has decided.
 */
export async function answerOnce(
  ctx: PlatformContext, caller: EpsCaller, operation: string, work: (tx: pg.PoolClient, writes: WriteBatch) => Promise<Answer>,
): Promise<Answer & { replayed: boolean }> {
  const requestId = caller.requestId;
  // The transaction: `work`'s writes, and with an X-Request-ID the answer kept for retries, in one statement.
  const once = () => ctx.db.tx(async (tx) => {
    const writes = new WriteBatch();
    const answer = await work(tx, writes);
    const replay = requestId === undefined ? undefined : writes.add(replayStatement(caller.appId, requestId, { operation, ...answer }));
    const counts = await writes.run(tx);
    if (replay !== undefined && counts[replay] !== 1) throw new DuplicateRequest();
    return { ...answer, replayed: false };
  });
  if (requestId === undefined) return once();
  const earlier = await readReplay(ctx.db, caller.appId, requestId);
  if (earlier) return { statusCode: earlier.statusCode, body: earlier.body, replayed: true };
  try {
    return await once();
  } catch (err) {
    if (!(err instanceof DuplicateRequest)) throw err;
    const first = await readReplay(ctx.db, caller.appId, requestId);
    return { statusCode: first!.statusCode, body: first!.body, replayed: true };
  }
}
