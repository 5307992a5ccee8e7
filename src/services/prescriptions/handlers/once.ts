import type { Queryable } from '../../../platform/db/pool.js';
import { WriteBatch, WriteConflict } from '../../../platform/db/write-batch.js';
import { PLATFORM_ERRORS, SpineError } from '../../../platform/http/errors.js';
import type { PlatformContext } from '../../../platform/service.js';
import type { EpsCaller } from '../caller.js';
import { EPS_ERRORS } from '../errors.js';
import type { Json } from '../domain/fhir.js';
import { readReplay, replayStatement } from '../replay-store.js';
import { replayWindowStart } from './replay-retention.js';

/** An answer a transition gives, kept so that a retry of the same request gets it again. */
export interface Answer { statusCode: number; body: Json }

/** An answer as it is sent: serialized once, and kept as that text, so that a retry gets the same bytes. */
export interface SentAnswer { statusCode: number; text: string; replayed: boolean }

/** Times a change is decided again because what it read changed before it could write, before it answers 503. */
const ATTEMPTS = 5;
/** Attempts decided without a lock before the rest lock what they read (below). */
const UNLOCKED_ATTEMPTS = 2;

/**
 * Runs a state change exactly once per (application, X-Request-ID), with its answer kept so that a
 * retried request returns the first answer and changes nothing. A request without an X-Request-ID
 * (sandbox mode) is simply run.
 *
 * The kept answers are not looked up before the work: a retry is rare, and its work cannot get
 * past the answer's own guarded insert (below), so a retry is told its first answer when that
 * insert, or the state change it repeats, finds the first one's effect. Looking first cost every
 * call a statement (bench/README.md).
 *
 * An answer is kept for the retention window (`epsReplayRetentionHours`, replay-retention.ts): past
 * it, a request with the same id is a new request, and its answer replaces the old one.
 *
 * `work` reads what it needs and adds its writes to `writes`, each state change guarded on the
 * version of the row it was decided from (`recordTransition`). They go to PostgreSQL with the
 * answer's own insert, also guarded, as one statement (`WriteBatch`) that writes all of them or
 * none. By default `work` reads without a transaction or a lock: one round trip per read and one for
 * the writes. When another change got to the row first, this one is decided again on what is there
 * now, where the other's effect counts (of two pharmacies releasing one prescription, the second is
 * told it is with another dispenser; of two orders with one prescription id, the second is a
 * duplicate). When a retry of the same request got its answer in first (even while this one ran, so
 * that this one was refused or lost its race), that answer is given.
 *
 * The attempt after the first conflict is decided again the same way, unlocked: most callers that
 * lost a race are then refused (the prescription is with another dispenser), which writes only their
 * answer and needs no lock. Had it been locked, the 49 losers of 50 pharmacies releasing one
 * prescription each held a pooled connection while queued on the row's lock, and under load the
 * requests behind them waited out the pool's connect timeout: 503s (seen at load average 10-13).
 * Only when another change got in first again does the next attempt run in a transaction and
 * `work` is asked to `lock` the rows it decides from (`SELECT … FOR UPDATE`): a change decided
 * under that lock cannot be overtaken, so a prescription many callers change at once (one
 * pharmacy's system sending its release twice over, say) is changed by each in turn instead of
 * sending one away with a 503. `locking`: every attempt runs so (a nominated release skips the
 * prescriptions another release holds; the sandbox's order replaces an earlier prescription with its id).
 */
export async function answerOnce(
  ctx: PlatformContext, caller: EpsCaller, operation: string, work: (db: Queryable, writes: WriteBatch, lock: boolean) => Promise<Answer>,
  options: { locking?: boolean } = {},
): Promise<SentAnswer> {
  const requestId = caller.requestId;
  // A UUID read in either case (RFC 4122: "case insensitive on input"), as EPS does: NHS England's
  // implementation upper-cases it as the message id it gives Spine, which keeps each message once.
  // A retry whose X-Request-ID came back in the other case did its work twice (found by probing).
  const request = requestId === undefined ? undefined : { key: requestId.toLowerCase(), sent: requestId };
  const attempt = async (db: Queryable, lock: boolean): Promise<SentAnswer> => {
    const writes = new WriteBatch();
    const answer = await work(db, writes, lock);
    const text = JSON.stringify(answer.body);
    if (request !== undefined) {
      const now = ctx.clock.now();
      writes.add(replayStatement(caller.appId, request, { operation, statusCode: answer.statusCode, text, requestDigest: caller.requestDigest }, now, replayWindowStart(ctx, now)), 1);
    }
    await writes.run(db);
    return { statusCode: answer.statusCode, text, replayed: false };
  };
  const earlierAnswer = async (): Promise<SentAnswer | undefined> => {
    const earlier = request === undefined ? undefined : await readReplay(ctx.db, caller.appId, request, replayWindowStart(ctx));
    // A retry repeats its request: an id the application already gave another operation is its
    // mistake, not a retry, and gets neither that operation's answer nor a second use of the id.
    if (earlier && earlier.operation !== operation) {
      throw new SpineError(EPS_ERRORS.INVALID_VALUE, `Invalid value - '${requestId}' in header 'X-Request-ID': it identifies an earlier ${earlier.operation} request; a new request needs a new X-Request-ID`);
    }
    // Nor is the same operation with another body (another prescription, another release): it
    // would be told the first one's answer while its own was never made. (An answer kept before
    // digests were, has none to compare.)
    if (earlier?.requestDigest !== undefined && caller.requestDigest !== undefined && earlier.requestDigest !== caller.requestDigest) {
      throw new SpineError(EPS_ERRORS.INVALID_VALUE, `Invalid value - '${requestId}' in header 'X-Request-ID': it identifies an earlier ${operation} request with another body; a new request needs a new X-Request-ID`);
    }
    return earlier && { statusCode: earlier.statusCode, text: earlier.text, replayed: true };
  };
  for (let n = 1; ; n++) {
    try {
      const lock = options.locking === true || n > UNLOCKED_ATTEMPTS;
      return await (lock ? ctx.db.tx((tx) => attempt(tx, true)) : attempt(ctx.db, false));
    } catch (err) {
      // A refusal may be the first attempt's own doing (a retry that arrived as it committed finds
      // its prescription taken): then the first's answer is the answer.
      if (!(err instanceof WriteConflict)) {
        const first = err instanceof SpineError ? await earlierAnswer() : undefined;
        if (first) return first;
        throw err;
      }
      const first = await earlierAnswer();
      if (first) return first;
      if (n === ATTEMPTS) {
        throw new SpineError(PLATFORM_ERRORS.SERVICE_UNAVAILABLE, `The prescription changed under this ${operation} ${ATTEMPTS} times over: retry it`, { headers: { 'Retry-After': '1' } });
      }
    }
  }
}
