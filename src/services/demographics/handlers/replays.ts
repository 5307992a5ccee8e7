import type { FastifyReply, FastifyRequest } from 'fastify';
import { jsonBodyDigest } from '../../../platform/http/body-parsers.js';
import { SpineError } from '../../../platform/http/errors.js';
import { PDS_ERRORS } from '../errors.js';
import type { BackgroundWorker, PlatformContext } from '../../../platform/service.js';
import type { Queryable } from '../../../platform/db/pool.js';
import { deleteOutcomesBefore, findOutcome, outcomeStatement, type ReplayKey, type StoredOutcome } from '../store/idempotency.js';
import type { Statement } from '../../../platform/db/write-batch.js';
import { startPeriodic } from '../../../platform/periodic.js';

/**
 * PDS recognises a retried create or update by its X-Request-ID (spec: after a 503, "re-send the
 * request … using the same X-Request-ID") and answers it with the first outcome. The retry must
 * come from the same caller (application and user), is audited like the first request, and is
 * recognised only within the retention window (`pdsReplayRetentionHours`), after which the
 * outcome is pruned.
 */

const HOUR_MS = 3_600_000;

/** A retry is the same request only from the same application and the same user. */
export function replayKeyOf(request: FastifyRequest, requestId: string, scope: string): ReplayKey {
  const p = request.principal;
  return {
    requestId, scope, caller: JSON.stringify([p?.appId ?? '', p?.userId ?? '']),
    requestDigest: jsonBodyDigest(request),
  };
}

/** The oldest saved outcome still replayed at `now`. */
function windowStart(ctx: PlatformContext, now = ctx.clock.now()): Date {
  return new Date(now.getTime() - ctx.config.pdsReplayRetentionHours * HOUR_MS);
}

/** The outcome a retry gets, if this caller already sent this request within the window. */
export async function findReplay(ctx: PlatformContext, db: Queryable, key: ReplayKey): Promise<StoredOutcome | undefined> {
  const found = await findOutcome(db, key, windowStart(ctx));
  // A retry sends the same body: the same X-Request-ID with another (another PATCH of the patient,
  // another new patient) is the client's mistake, and would be told an outcome that is not its own
  // while its change was never made.
  if (found?.requestDigest !== undefined && key.requestDigest !== undefined && found.requestDigest !== key.requestDigest) {
    throw new SpineError(PDS_ERRORS.INVALID_VALUE,
      `Invalid value - '${key.requestId}' in header 'X-Request-ID': it identifies an earlier request with another body; a new request needs a new X-Request-ID`);
  }
  return found;
}

/** Saves an outcome for retries, in the transaction of the change; false if a concurrent duplicate won. */
export async function saveReplay(ctx: PlatformContext, tx: Queryable, key: ReplayKey, outcome: StoredOutcome): Promise<boolean> {
  return (await tx.query(replayStatement(ctx, key, outcome))).rowCount === 1;
}

/** `saveReplay`'s statement, for a change that sends its writes together (`WriteBatch`). */
export function replayStatement(ctx: PlatformContext, key: ReplayKey, outcome: StoredOutcome): Statement {
  const now = ctx.clock.now();
  return outcomeStatement(key, outcome, now, windowStart(ctx, now));
}

/**
 * Sends an outcome. A replayed one is patient data served again, so it gets its own audit
 * record (the route's action, marked as a replay), which the platform writes before the response goes.
 */
export function sendOutcome(reply: FastifyReply, outcome: StoredOutcome, resource = `Patient/${outcome.nhsNumber}`) {
  if (outcome.replayed) {
    reply.request.audited = { resource, nhsNumbers: [outcome.nhsNumber], outcome: 'success', detail: { replay: true, status: outcome.status } };
  }
  return reply.code(outcome.status).headers(outcome.headers).type('application/fhir+json').send(outcome.body);
}

/** Deletes every outcome past the retention window, in batches; returns how many went. */
export function pruneReplays(ctx: PlatformContext): Promise<number> {
  return deleteOutcomesBefore(ctx.db, windowStart(ctx));
}

/** Prunes every `intervalMs` (outcomes are also ignored once past the window, pruned or not). */
export function startReplayPruner(ctx: PlatformContext, intervalMs = 10 * 60_000): BackgroundWorker {
  return startPeriodic(ctx.log, 'PDS replay pruning', intervalMs, () => pruneReplays(ctx));
}
